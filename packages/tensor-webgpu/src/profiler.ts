// The profiler: per-kernel counts and times for a function (`profile`) or a whole process (`RADIX_PROFILE=1`).
// WebGPU kernels are timed with timestamp queries where the adapter has them, otherwise by re-running each distinct
// dispatch alone and timing it on the wall clock; the CPU backend times each primitive on the wall clock.
import type { Backend } from './backend/backend.js';
import { RadixError } from './errors.js';
import { getBackend } from './backend/registry.js';

/**
 * How a profile's times were measured:
 * - `'gpu-timestamps'`: GPU time of each dispatch from timestamp queries written at the start and end of its compute
 *   pass (each dispatch gets its own pass while profiling).
 * - `'wall-replay'`: the adapter has no `timestamp-query`; after `fn`, each distinct dispatch (same kernel, binding
 *   sizes, parameters and grid) is run again alone on zero-filled scratch buffers and timed on the wall clock around
 *   submit → onSubmittedWorkDone, minus an empty submit's round trip; its time counts once per call.
 * - `'cpu-wall'`: CPU backend, wall time of each primitive call.
 * - `'counts-only'`: a process-wide profile (`RADIX_PROFILE=1`) on an adapter without `timestamp-query`: calls are
 *   counted, no times.
 */
export type ProfileTiming = 'gpu-timestamps' | 'wall-replay' | 'cpu-wall' | 'counts-only';

/** One kernel's (WebGPU) or primitive's (CPU) line of a profile. */
export interface KernelStat {
  /** Kernel name (WebGPU pipeline key, e.g. `conv_tiled_4_1`, `unary_silu_f32`) or CPU primitive (`conv2d`, `binary_add`). */
  name: string;
  /** Calls (dispatches). */
  count: number;
  /** Calls with a time (all of them except past the timestamp slots of one submit, or in `'counts-only'`). */
  timed: number;
  /** Summed time in milliseconds. */
  totalMs: number;
  /** `totalMs / timed`. */
  meanMs: number;
  minMs: number;
  maxMs: number;
  /** Share of the profile's `kernelMs`, in percent. */
  percent: number;
}

/** What {@link profile} returns. */
export interface ProfileResult<T = unknown> {
  /** `fn`'s return value. */
  result: T;
  backend: string;
  /** The adapter or CPU description. */
  device: string;
  timing: ProfileTiming;
  /** One sentence saying how the times were measured. */
  timingNote: string;
  /** Wall time of `fn` plus waiting for its GPU work to finish (not the replay), in milliseconds. */
  wallMs: number;
  /** Sum of every kernel's `totalMs`. */
  kernelMs: number;
  /** Kernel calls in all. */
  calls: number;
  /** One line per kernel, largest `totalMs` first (then most calls). */
  kernels: KernelStat[];
  /** A text table of the top `topN` kernels (default 20), like torch.profiler's `key_averages().table()`. */
  table(topN?: number): string;
}

/** Options of {@link profile}. */
export interface ProfileOptions {
  /** The backend to profile (default: the current one). */
  backend?: Backend;
  /**
   * `'auto'` (default): timestamp queries when the WebGPU adapter has them, else the wall-clock replay.
   * `'wall'` forces the replay (e.g. to compare both ways on one adapter).
   */
  timing?: 'auto' | 'wall';
  /** Timed runs per distinct dispatch in the wall-clock replay, the median taken (default 3). */
  replays?: number;
}

/** @internal Accumulates per-kernel calls and times; one per active profile. */
export class ProfileSink {
  readonly stats = new Map<string, { count: number; timed: number; total: number; min: number; max: number }>();
  calls = 0;
  private entry(name: string) {
    let e = this.stats.get(name);
    if (!e) this.stats.set(name, (e = { count: 0, timed: 0, total: 0, min: Infinity, max: 0 }));
    return e;
  }
  /** A call of `name` (its time arrives later, or never). */
  count(name: string): void {
    this.entry(name).count++;
    this.calls++;
  }
  /** The time of one call of `name`. */
  time(name: string, ms: number, calls = 1): void {
    const e = this.entry(name);
    e.timed += calls;
    e.total += ms * calls;
    e.min = Math.min(e.min, ms);
    e.max = Math.max(e.max, ms);
  }
  kernels(): KernelStat[] {
    let sum = 0;
    for (const e of this.stats.values()) sum += e.total;
    return [...this.stats.entries()]
      .map(([name, e]) => ({
        name,
        count: e.count,
        timed: e.timed,
        totalMs: e.total,
        meanMs: e.timed ? e.total / e.timed : 0,
        minMs: e.timed ? e.min : 0,
        maxMs: e.max,
        percent: sum > 0 ? (100 * e.total) / sum : 0,
      }))
      .sort((a, b) => b.totalMs - a.totalMs || b.count - a.count || (a.name < b.name ? -1 : 1));
  }
}

/** @internal What a backend's profiler hook provides. */
export interface ProfileHook {
  /** The timing this hook gives a sink attached with `wantWall`. */
  timing(wantWall: boolean): ProfileTiming;
  attach(sink: ProfileSink, wantWall: boolean): void;
  detach(sink: ProfileSink): void;
  /** Waits for every time still being read back into the sink (and runs the replay if it was attached for one). */
  settle(sink: ProfileSink, replays: number): Promise<void>;
}

/** @internal Backends that can be profiled expose a hook. */
export interface Profilable {
  profileHook(): ProfileHook;
}

const TIMING_NOTES: Record<ProfileTiming, string> = {
  'gpu-timestamps': 'GPU time per dispatch from timestamp queries (each dispatch in its own compute pass)',
  'wall-replay':
    'no timestamp-query on this adapter: each distinct dispatch re-run alone on zero-filled scratch buffers and timed on the wall clock (submit → done, minus an empty submit)',
  'cpu-wall': 'CPU backend: wall time per primitive call',
  'counts-only': 'no timestamp-query on this adapter: calls counted, no times (use profile() for wall-clock times)',
};

function hookOf(b: Backend): ProfileHook {
  const h = (b as Partial<Profilable>).profileHook?.();
  if (!h) throw new RadixError('profile', `the ${b.name} backend cannot be profiled`);
  return h;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toFixed(3);
}

/** @internal Formats a profile's kernels as a table. */
export function formatProfileTable(
  head: { backend: string; device: string; timing: ProfileTiming; wallMs?: number },
  kernels: readonly KernelStat[],
  topN = 20,
): string {
  const top = kernels.slice(0, Math.max(0, topN));
  const kernelMs = kernels.reduce((s, k) => s + k.totalMs, 0);
  const calls = kernels.reduce((s, k) => s + k.count, 0);
  const timed = head.timing !== 'counts-only';
  const nameW = Math.max(4, ...top.map((k) => k.name.length));
  const cols = timed ? ['Calls', 'Total ms', 'Total %', 'Mean ms', 'Min ms', 'Max ms'] : ['Calls'];
  const widths = cols.map((c) => Math.max(c.length, 9));
  const row = (name: string, cells: string[]) =>
    [name.padEnd(nameW), ...cells.map((c, i) => c.padStart(widths[i]!))].join('  ');
  const lines = [
    `${head.backend} · ${head.device}`,
    `${TIMING_NOTES[head.timing]}; ${calls} calls` +
      (timed ? `, ${fmt(kernelMs)} ms in kernels` : '') +
      (head.wallMs !== undefined ? `, ${fmt(head.wallMs)} ms wall` : ''),
    row('Name', cols),
    row('-'.repeat(nameW), widths.map((w) => '-'.repeat(w))),
  ];
  for (const k of top) {
    const untimed = k.timed < k.count ? '*' : '';
    lines.push(
      row(
        k.name,
        timed
          ? [String(k.count) + untimed, fmt(k.totalMs), `${k.percent.toFixed(1)} %`, fmt(k.meanMs), fmt(k.minMs), fmt(k.maxMs)]
          : [String(k.count)],
      ),
    );
  }
  const rest = kernels.slice(top.length);
  if (rest.length) {
    const restMs = rest.reduce((s, k) => s + k.totalMs, 0);
    const restCalls = rest.reduce((s, k) => s + k.count, 0);
    lines.push(`… ${rest.length} more kernels: ${restCalls} calls` + (timed ? `, ${fmt(restMs)} ms` : ''));
  }
  if (kernels.some((k) => k.timed < k.count && k.timed > 0)) lines.push('* some calls have no time (past the timestamp slots of one submit, or still being read back at exit)');
  return lines.join('\n');
}

let active = 0;

/**
 * Runs `fn` (sync or async) and reports, per kernel, how many times it ran and how long it took, like
 * torch.profiler's `key_averages()`. On WebGPU the times are GPU times from timestamp queries when the adapter has
 * `timestamp-query`, otherwise each distinct dispatch is re-run alone after `fn` and timed on the wall clock;
 * `result.timing` says which. On the CPU backend each primitive is timed on the wall clock. Profiling adds overhead
 * (one compute pass per dispatch, one read-back per submit), so `wallMs` is larger than an unprofiled run.
 *
 * @example
 * const p = await profile(() => tidy(() => {
 *   nn.mseLoss(net.call(x), y).backward();
 *   opt.step();
 *   opt.zeroGrad();
 * }));
 * console.log(p.timing, p.kernelMs);
 * console.log(p.table(10));
 */
export async function profile<T>(fn: () => T | Promise<T>, options: ProfileOptions = {}): Promise<ProfileResult<T>> {
  const backend = options.backend ?? getBackend();
  const hook = hookOf(backend);
  const wantWall = options.timing === 'wall';
  if (options.timing !== undefined && options.timing !== 'auto' && options.timing !== 'wall') {
    throw new RadixError('profile', `timing must be 'auto' or 'wall', got '${String(options.timing)}'`);
  }
  const replays = options.replays ?? 3;
  if (!Number.isInteger(replays) || replays < 1) throw new RadixError('profile', `replays must be a positive integer, got ${replays}`);
  if (active > 0) throw new RadixError('profile', 'profile() calls cannot nest (a profile is already running)');
  const timing = hook.timing(wantWall);
  const sink = new ProfileSink();
  active++;
  await backend.sync();
  hook.attach(sink, wantWall);
  let result: T;
  let wallMs: number;
  try {
    const t0 = performance.now();
    result = await fn();
    await backend.sync();
    wallMs = performance.now() - t0;
  } finally {
    hook.detach(sink);
    active--;
  }
  await hook.settle(sink, replays);
  const kernels = sink.kernels();
  const head = { backend: backend.name, device: backend.info.description, timing, wallMs };
  return {
    result,
    backend: backend.name,
    device: backend.info.description,
    timing,
    timingNote: TIMING_NOTES[timing],
    wallMs,
    kernelMs: kernels.reduce((s, k) => s + k.totalMs, 0),
    calls: sink.calls,
    kernels,
    table: (topN = 20) => formatProfileTable(head, kernels, topN),
  };
}

const profiledAtExit = new Set<Backend>();

/**
 * @internal Called by `init`: with `RADIX_PROFILE` set (to anything but `0`) in Node, profiles every kernel of
 * `backend` for the rest of the process and prints the table (top `RADIX_PROFILE_TOP`, default 25) to stderr when
 * the process exits.
 */
export function profileFromEnv(backend: Backend): void {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const flag = env?.RADIX_PROFILE;
  if (!flag || flag === '0' || profiledAtExit.has(backend)) return;
  const proc = (globalThis as { process?: NodeJS.Process }).process!;
  const hook = hookOf(backend);
  const sink = new ProfileSink();
  const timing = hook.timing(false) === 'wall-replay' ? 'counts-only' : hook.timing(false);
  const topN = Number(env?.RADIX_PROFILE_TOP ?? 25);
  hook.attach(sink, false);
  profiledAtExit.add(backend);
  const t0 = performance.now();
  proc.once('exit', () => {
    // Times of the last submits may still be in flight; counts are exact.
    const head = { backend: backend.name, device: backend.info.description, timing: timing as ProfileTiming, wallMs: performance.now() - t0 };
    proc.stderr.write(`\n[RADIX_PROFILE] kernels of this process\n${formatProfileTable(head, sink.kernels(), Number.isFinite(topN) ? topN : 25)}\n`);
  });
}
