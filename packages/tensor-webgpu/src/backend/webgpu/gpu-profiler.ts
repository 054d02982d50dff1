// The WebGPU side of the profiler: a DispatchObserver that counts dispatches and times them with timestamp queries
// (resolved and read back once per submit), or records each distinct dispatch for a wall-clock replay.
import type { ProfileHook, ProfileSink, ProfileTiming } from '../../profiler.js';
import type { DispatchInfo, DispatchObserver } from './in-flight.js';
import type { GpuContext } from './gpu-context.js';

/** Timestamp pairs per submit: a GpuContext records at most 2,048 dispatches per submit, WebGPU allows 4,096 queries. */
const PAIRS = 2048;

interface Replay {
  key: string;
  info: DispatchInfo;
  workgroups: readonly [number, number, number];
  count: number;
}

/** @internal */
export class GpuProfiler implements DispatchObserver, ProfileHook {
  private readonly sinks = new Set<ProfileSink>();
  /** Sinks that want the wall-clock replay, with the distinct dispatches they saw. */
  private readonly replays = new Map<ProfileSink, Map<string, Replay>>();
  private readonly pending = new Map<ProfileSink, Set<Promise<void>>>();
  private readonly hasTimestamps: boolean;
  private querySet: GPUQuerySet | null = null;
  /** Kernel of each timestamp pair written in the submit being recorded. */
  private slots: string[] = [];
  private inSubmit: { keys: string[]; staging: GPUBuffer; resolve: GPUBuffer } | null = null;

  constructor(private readonly ctx: GpuContext) {
    this.hasTimestamps = ctx.device.features.has('timestamp-query');
  }

  timing(wantWall: boolean): ProfileTiming {
    return this.hasTimestamps && !wantWall ? 'gpu-timestamps' : 'wall-replay';
  }

  private get timestamps(): boolean {
    for (const s of this.sinks) if (!this.replays.has(s)) return this.hasTimestamps;
    return false;
  }

  attach(sink: ProfileSink, wantWall: boolean): void {
    this.ctx.flush();
    this.sinks.add(sink);
    this.pending.set(sink, new Set());
    if (wantWall || !this.hasTimestamps) this.replays.set(sink, new Map());
    this.ctx.observer = this;
  }

  detach(sink: ProfileSink): void {
    this.ctx.flush();
    this.sinks.delete(sink);
    if (this.sinks.size === 0) this.ctx.observer = null;
  }

  async settle(sink: ProfileSink, replays: number): Promise<void> {
    const pend = this.pending.get(sink);
    if (pend) await Promise.all([...pend]);
    this.pending.delete(sink);
    const reps = this.replays.get(sink);
    this.replays.delete(sink);
    if (reps) await this.replay(sink, [...reps.values()], replays);
  }

  // ---------- DispatchObserver ----------
  passDescriptor(key: string): GPUComputePassDescriptor | null {
    if (!this.timestamps || this.slots.length >= PAIRS) return null;
    this.querySet ??= this.ctx.device.createQuerySet({ type: 'timestamp', count: 2 * PAIRS });
    const i = this.slots.length;
    this.slots.push(key);
    return { timestampWrites: { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } };
  }

  dispatched(key: string, workgroups: readonly [number, number, number], info: DispatchInfo): void {
    for (const s of this.sinks) {
      s.count(key);
      const reps = this.replays.get(s);
      if (!reps) continue;
      const sig = `${key}|${info.sizes.join(',')}|${info.params.join(',')}|${workgroups.join(',')}`;
      const r = reps.get(sig);
      if (r) r.count++;
      else reps.set(sig, { key, info, workgroups: [...workgroups] as [number, number, number], count: 1 });
    }
  }

  beforeSubmit(encoder: GPUCommandEncoder): void {
    if (!this.slots.length || !this.querySet) return;
    const bytes = this.slots.length * 16;
    const device = this.ctx.device;
    const resolve = device.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const staging = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    encoder.resolveQuerySet(this.querySet, 0, 2 * this.slots.length, resolve, 0);
    encoder.copyBufferToBuffer(resolve, 0, staging, 0, bytes);
    this.inSubmit = { keys: this.slots, staging, resolve };
    this.slots = [];
  }

  afterSubmit(): void {
    const s = this.inSubmit;
    if (!s) return;
    this.inSubmit = null;
    const sinks = [...this.sinks].filter((k) => !this.replays.has(k));
    const read = s.staging.mapAsync(GPUMapMode.READ).then(
      () => {
        const t = new BigInt64Array(s.staging.getMappedRange().slice(0));
        s.staging.unmap();
        for (let i = 0; i < s.keys.length; i++) {
          // Timestamps are nanoseconds; an adapter may reorder or clamp them, never count negative time.
          const ns = Number(t[2 * i + 1]! - t[2 * i]!);
          for (const k of sinks) k.time(s.keys[i]!, Math.max(0, ns) / 1e6);
        }
      },
      () => {},
    );
    const done = read.finally(() => {
      s.staging.destroy();
      s.resolve.destroy();
      for (const k of sinks) this.pending.get(k)?.delete(done);
    });
    for (const k of sinks) this.pending.get(k)?.add(done);
  }

  // ---------- wall-clock replay ----------
  private async roundTrip(encode: ((pass: GPUComputePassEncoder) => void) | null): Promise<number> {
    const device = this.ctx.device;
    const t0 = performance.now();
    if (encode) {
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      encode(pass);
      pass.end();
      device.queue.submit([enc.finish()]);
    } else device.queue.submit([]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  }

  private async replay(sink: ProfileSink, list: Replay[], reps: number): Promise<void> {
    const device = this.ctx.device;
    await this.ctx.sync();
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const empty: number[] = [];
    for (let i = 0; i < Math.max(5, reps); i++) empty.push(await this.roundTrip(null));
    const base = median(empty);
    for (const r of list) {
      const uniform = device.createBuffer({ size: r.info.paramBytes, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      device.queue.writeBuffer(uniform, 0, new Uint32Array(r.info.params.length ? r.info.params : [0]));
      // New buffers are zero-filled, so the replay never reads or writes a live tensor.
      const bufs = r.info.sizes.map((size) => device.createBuffer({ size, usage: GPUBufferUsage.STORAGE }));
      const group = device.createBindGroup({
        layout: r.info.layout,
        entries: [
          { binding: 0, resource: { buffer: uniform, size: r.info.paramBytes } },
          ...bufs.map((buffer, i) => ({ binding: i + 1, resource: { buffer } })),
        ],
      });
      const encode = (pass: GPUComputePassEncoder) => {
        pass.setPipeline(r.info.pipeline);
        pass.setBindGroup(0, group, [0]);
        pass.dispatchWorkgroups(r.workgroups[0], r.workgroups[1], r.workgroups[2]);
      };
      await this.roundTrip(encode); // warm-up
      const times: number[] = [];
      for (let i = 0; i < reps; i++) times.push(await this.roundTrip(encode));
      sink.time(r.key, Math.max(0, median(times) - base), r.count);
      uniform.destroy();
      for (const b of bufs) b.destroy();
    }
    this.ctx.throwIfFailed('profile');
  }
}
