// `radix sample CHECKPOINT OUT`: N images per class from a diffusion or GAN checkpoint as PNGs (one folder per class
// for class-conditional models) with a manifest that owns them. Data safety as in radix augment: OUT is locked, a
// folder holding files radix sample did not write is refused, a rerun with the same settings and checkpoint verifies
// what is there (size and SHA-256) and writes only what is missing, and `--shard i/n` writes into OUT/shards/i-of-n.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { cliVersion } from './dispatch.js';
import { UsageError } from './kit/errors.js';
import type { BackendChoice } from './kit/common.js';
import { writeFileAtomic } from './kit/output.js';
import { acquireOutputLock, LOCK_FILE } from './output-lock.js';
import { createProgress, silentProgress, type ProgressStream } from './progress.js';
import { isInside, physicalPath } from './safe-paths.js';
import { detectCheckpointKind, type CheckpointRef } from './sample-kind.js';
import {
  classFolders, fileDigest, foreignEntries, incompatibility, loadSampleManifest, readSampleShardRecord, planSampleBatches, verifySample,
  verifySampleShard, writeSampleShardRecord, SAMPLE_MANIFEST, SAMPLE_MANIFEST_VERSION, SAMPLE_SHARD_RECORD,
  type SampleCheckpoint, type SampleEntry, type SampleManifest, type SampleRun, type SampleSettings,
} from './sample-manifest.js';
import type { DiffusionSchedulerName } from './sample-diffusion.js';
import { shardDir, type Shard } from './shard.js';
import { packageVersion } from './package-versions.js';

/** Options of {@link runSample} (the flags of `radix sample`). */
export interface SampleOptions {
  checkpoint: string;
  out: string;
  /** Images per class (in total for an unconditional model). */
  n: number;
  /** Classes to sample, by name or index (default all). */
  classes?: readonly string[];
  /** Seed of every image's noise stream (default 1). */
  seed?: number;
  /** Images per forward pass (default 16); shards are cut in whole batches. */
  batch?: number;
  /** Diffusion: 'ddim' (default), 'ddpm' or 'ncsn'. */
  scheduler?: DiffusionSchedulerName;
  /** Diffusion: inference steps (default 50 for DDIM, every training timestep for DDPM; NCSN: noise levels, default 100). */
  steps?: number;
  /** Diffusion: DDIM's η (default 0). */
  eta?: number;
  /** Diffusion, NCSN: Langevin steps per noise level (default 5). */
  langevinSteps?: number;
  /** Diffusion, NCSN: the step-size constant ε (default 2e-4). */
  langevinEpsilon?: number;
  /** Diffusion: classifier-free guidance scale. */
  guidance?: number;
  /** GAN: truncation ψ (default 1). */
  truncation?: number;
  /** Sample the raw weights instead of the EMA ones (diffusion unet/ instead of ema/, GAN G instead of G_ema). */
  raw?: boolean;
  /** Do only shard i of n, into OUT/shards/i-of-n; `radix merge OUT` assembles OUT. */
  shard?: Shard;
  backend?: BackendChoice;
  /** Continue a folder written by another radix version or backend (default false: refused). */
  allowMixed?: boolean;
  /** Resolve relative paths against this (default process.cwd()). */
  cwd?: string;
  progress?: ProgressStream;
}

/** A planned job: what will be sampled and where, before anything is loaded or written. */
export interface SampleJob {
  kind: 'diffusion' | 'gan';
  ref: CheckpointRef;
  settings: SampleSettings;
  checkpoint: SampleCheckpoint;
  /** OUT, absolute. */
  out: string;
  /** Where this invocation writes: OUT, or OUT/shards/i-of-n. */
  workDir: string;
  shard: Shard | null;
  /** Notices about the checkpoint (skipped corrupt checkpoints, assumed defaults). */
  notes: string[];
  /** The model package and its version (`@radix/gan 0.1.0`), recorded per run. */
  model: string;
  /** Builds the sampler on a backend. */
  open(backend: import('@radix/tensor-webgpu').Backend): Promise<{ model: string; generate(cls: number | null, indices: readonly number[], seed: number, n: number, batch: number): Promise<{ data: Float32Array; shape: [number, number, number, number] }>; dispose(): void }>;
}

/** What a run did. */
export interface SampleResult {
  /** Images written by this run. */
  written: number;
  /** Images already present and verified, kept. */
  skipped: number;
  /** Of `written`, those the manifest listed but were missing, truncated, modified or unfinished. */
  repaired: number;
  total: number;
  manifest: string;
  notes: string[];
  warnings: string[];
  job: SampleJob;
}

const DIFFUSION_ONLY = ['scheduler', 'steps', 'eta', 'guidance', 'langevinSteps', 'langevinEpsilon'] as const;

function pickClasses(names: string[] | null, asked: readonly string[] | undefined, where: string): SampleSettings['classes'] {
  const wanted = (asked ?? []).flatMap((a) => a.split(',')).map((a) => a.trim()).filter((a) => a !== '');
  if (names === null) {
    if (wanted.length > 0) throw new UsageError(`radix sample: --class given but '${where}' is an unconditional model`);
    return null;
  }
  const folders = classFolders(names);
  let indices = names.map((_, i) => i);
  if (wanted.length > 0) {
    indices = wanted.map((w) => {
      const byName = names.indexOf(w);
      if (byName >= 0) return byName;
      if (/^\d+$/.test(w) && Number(w) < names.length) return Number(w);
      throw new UsageError(`radix sample: --class '${w}' is not a class of '${where}' (its classes: ${names.map((n, i) => `${i} ${n}`).join(', ')})`);
    });
    indices = [...new Set(indices)].sort((a, b) => a - b);
  }
  return indices.map((i) => ({ index: i, name: names[i]!, folder: folders[i]! }));
}

/**
 * Resolves CHECKPOINT and the flags into a job: the checkpoint kind, its classes, the settings that decide the pixels
 * and the checkpoint's digest. Reads only what it must (JSON files, a safetensors header, the files' SHA-256);
 * writes nothing. Used by {@link runSample} and by `radix slurm -- sample` to tell which shards are complete.
 *
 * @example
 * const job = await planSample({ checkpoint: 'runs/ihc', out: 'samples', n: 100 });
 * job.settings.classes?.map((c) => c.name);
 */
export async function planSample(o: SampleOptions): Promise<SampleJob> {
  const cwd = o.cwd ?? process.cwd();
  if (!Number.isSafeInteger(o.n) || o.n < 1) throw new UsageError(`radix sample: --n must be a positive integer, got ${o.n}`);
  const batch = o.batch ?? 16;
  if (!Number.isSafeInteger(batch) || batch < 1) throw new UsageError(`radix sample: --batch must be a positive integer, got ${batch}`);
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`radix sample: --seed must be a non-negative integer, got ${seed}`);
  const ckPath = resolve(cwd, o.checkpoint);
  const { verifyCheckpoint } = await import('@radix/diffusion');
  const ref = detectCheckpointKind(ckPath, verifyCheckpoint);
  const out = physicalPath(resolve(cwd, o.out));
  for (const inp of new Set([physicalPath(ckPath), physicalPath(ref.kind === 'gan' ? ref.path : ref.dir)])) {
    const folder = statSync(inp).isDirectory();
    if (out === inp || (folder && isInside(out, inp))) throw new UsageError(`radix sample: OUT '${o.out}' is the checkpoint${folder ? "'s folder or inside it" : ''} ('${inp}'); write the samples elsewhere`);
    if (isInside(inp, out)) throw new UsageError(`radix sample: the checkpoint '${inp}' is inside OUT '${o.out}'; write the samples elsewhere`);
  }
  const notes: string[] = [];
  const base = { n: o.n, seed, batch };
  let job: Omit<SampleJob, 'out' | 'workDir' | 'shard'>;
  if (ref.kind === 'gan') {
    const given = DIFFUSION_ONLY.filter((k) => o[k] !== undefined);
    const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (given.length > 0) throw new UsageError(`radix sample: ${given.map(flag).join(', ')} ${given.length === 1 ? 'is' : 'are'} for diffusion checkpoints; '${o.checkpoint}' is a GAN checkpoint (use --truncation)`);
    const { describeGan, openGan } = await import('./sample-gan.js');
    const d = await describeGan(ref, { truncation: o.truncation, raw: o.raw });
    const settings: SampleSettings = { kind: 'gan', ...base, classes: pickClasses(d.classNames, o.classes, o.checkpoint), weights: d.weights, sampler: d.sampler };
    job = { kind: 'gan', ref, settings, checkpoint: { ...d.checkpoint, path: ckPath }, notes, model: `@radix/gan ${packageVersion('@radix/gan')}`, open: (backend) => openGan(d, backend) };
  } else {
    if (o.truncation !== undefined) throw new UsageError(`radix sample: --truncation is for GAN checkpoints; '${o.checkpoint}' is a diffusion checkpoint`);
    for (const s of ref.skipped) notes.push(`skipped a damaged checkpoint: ${s}`);
    const { describeDiffusion, openDiffusion } = await import('./sample-diffusion.js');
    const d = await describeDiffusion(ref, { scheduler: o.scheduler, steps: o.steps, eta: o.eta, guidance: o.guidance, raw: o.raw, langevinSteps: o.langevinSteps, langevinEpsilon: o.langevinEpsilon });
    notes.push(...d.notes);
    const settings: SampleSettings = { kind: 'diffusion', ...base, classes: pickClasses(d.classNames, o.classes, o.checkpoint), weights: d.weights, sampler: d.sampler };
    job = { kind: 'diffusion', ref, settings, checkpoint: { ...d.checkpoint, path: ckPath }, notes, model: `@radix/diffusion ${packageVersion('@radix/diffusion')}`, open: (backend) => openDiffusion(d, backend) };
  }
  const shard = o.shard ?? null;
  return { ...job, out, workDir: shard ? shardDir(out, shard) : out, shard };
}

/**
 * PNG bytes (8-bit RGB) of image `i` of a [B, C, H, W] batch in [0, 1] (C = 1 or 3), rounded as v·255.
 *
 * @example
 * const bytes = encodeSamplePng(data, [4, 3, 32, 32], 0);
 */
export function encodeSamplePng(data: Float32Array, shape: readonly [number, number, number, number], i: number): Uint8Array {
  const [, c, h, w] = shape;
  if (c !== 1 && c !== 3) throw new Error(`radix sample: the model makes ${c}-channel images; PNG output needs 1 or 3 channels`);
  const png = new PNG({ width: w, height: h, colorType: 2, inputColorType: 6, inputHasAlpha: true });
  const plane = h * w;
  const base = i * c * plane;
  for (let p = 0; p < plane; p++) {
    for (let k = 0; k < 3; k++) png.data[p * 4 + k] = Math.round(Math.min(1, Math.max(0, data[base + (c === 1 ? 0 : k) * plane + p]!)) * 255);
    png.data[p * 4 + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true }));
}

/** Refuses a resume whose earlier runs used another version or backend, unless allowed (then it is only recorded). */
function checkRuns(path: string, runs: readonly SampleRun[], now: SampleRun, allowMixed: boolean): string[] {
  const differ = runs.filter((r) => r.backend !== now.backend || r.radix !== now.radix || r.model !== now.model);
  if (differ.length === 0) return [];
  const was = [...new Set(differ.map((r) => `radix ${r.radix}, ${r.model}, ${r.backend}`))].join('; ');
  const msg = `'${path}' was written by ${was}; this run is radix ${now.radix}, ${now.model}, ${now.backend}`;
  if (!allowMixed) throw new UsageError(`radix sample: ${msg}. Continuing would mix images of two implementations (pixels can differ in the last bit); rerun with --backend ${differ[0]!.backend} on the same version, or pass --allow-mixed (each image records its run)`);
  return [`${msg}; continuing because of --allow-mixed (each image records its run)`];
}

/**
 * Refuses a folder that holds files but no radix sample manifest (entries in `allowed` excepted), or whose
 * manifest.json is another tool's.
 *
 * @example
 * refuseForeignFolder('samples', 'samples', ['shards', 'slurm']);
 */
export function refuseForeignFolder(dir: string, given: string, allowed: readonly string[]): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new UsageError(`radix sample: OUT '${given}' exists and is not a folder`);
  if (existsSync(join(dir, SAMPLE_MANIFEST))) {
    loadSampleManifest(join(dir, SAMPLE_MANIFEST)); // throws for another tool's manifest
    return;
  }
  const foreign = foreignEntries(dir, [LOCK_FILE, ...allowed]);
  if (foreign.length > 0) {
    throw new UsageError(`radix sample: OUT '${given}' is not empty (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''}) and has no radix sample ${SAMPLE_MANIFEST}; refusing to write into a folder radix sample did not create (use an empty or new folder)`);
  }
}

/**
 * Samples a checkpoint into OUT; see `radix sample --help`. Each image's noise comes from its own stream (seed, class,
 * index), batches are cut per class in whole batches, and a shard does whole batches too, so a sharded job merged
 * with `radix merge` is byte-identical to the unsharded run. A rerun verifies every listed image and writes only
 * the missing, truncated or modified ones (regenerating their whole batch, so the bytes are the same).
 *
 * @example
 * const r = await runSample({ checkpoint: 'runs/ihc', out: 'samples', n: 100, scheduler: 'ddim', steps: 50 });
 */
export async function runSample(o: SampleOptions): Promise<SampleResult> {
  const job = await planSample(o);
  const { settings, workDir } = job;
  const warnings: string[] = [];
  refuseForeignFolder(job.out, o.out, ['shards', 'slurm']);
  if (job.shard) refuseForeignFolder(workDir, workDir, []);
  mkdirSync(workDir, { recursive: true });
  const lock = acquireOutputLock(workDir, 'radix sample');
  if (lock.tookOver) warnings.push(`${workDir}: ${lock.tookOver}`);
  let sampler: Awaited<ReturnType<SampleJob['open']>> | undefined;
  try {
    const manifestPath = join(workDir, SAMPLE_MANIFEST);
    const old = loadSampleManifest(manifestPath);
    if (old) {
      const why = incompatibility(old.settings, old.checkpoint.digest, settings, job.checkpoint.digest);
      if (why) throw new UsageError(`radix sample: '${manifestPath}' cannot be continued by this run: ${why}. Use another OUT, or rerun with the earlier settings`);
      if (JSON.stringify(old.shard) !== JSON.stringify(job.shard)) throw new UsageError(`radix sample: '${manifestPath}' belongs to ${old.shard ? `shard ${old.shard.index}/${old.shard.count}` : 'an unsharded run'}, not to ${job.shard ? `shard ${job.shard.index}/${job.shard.count}` : 'an unsharded run'}`);
    }
    const batches = planSampleBatches(settings, job.shard ?? undefined);
    const planned = batches.flatMap((b) => b.files);
    const before = new Map((old?.files ?? []).map((e) => [e.file, e]));
    const foreign = planned.filter((f) => !before.has(f) && existsSync(join(workDir, f)));
    if (foreign.length > 0) {
      throw new UsageError(`radix sample: ${foreign.length} file${foreign.length === 1 ? '' : 's'} in '${workDir}' would be overwritten but ${old ? 'its manifest does not list them' : 'the folder has no manifest'}: ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? ', …' : ''}. Nothing was written; move them or use another OUT`);
    }
    // Which images are there and sound; only batches with missing ones are computed.
    const ok = new Set(planned.filter((f) => before.has(f) && verifySample(join(workDir, f), before.get(f)!) === 'ok'));
    const todo = batches.filter((b) => b.files.some((f) => !ok.has(f)));
    if (todo.length === 0 && old) {
      return { written: 0, skipped: planned.length, repaired: 0, total: planned.length, manifest: manifestPath, notes: job.notes, warnings, job };
    }
    const tw = await import('@radix/tensor-webgpu');
    const backend = await tw.init({ backend: o.backend ?? 'auto' });
    const run: SampleRun = { started: new Date().toISOString(), radix: cliVersion(), model: job.model, backend: backend.name, device: backend.info.description, host: hostname(), pid: process.pid };
    warnings.push(...checkRuns(manifestPath, old?.runs ?? [], run, o.allowMixed ?? false));
    if (todo.length > 0) sampler = await job.open(backend); // a shard can be empty (fewer batches than shards)
    const manifest: SampleManifest = {
      tool: 'radix sample', format: 'radix-sample', version: SAMPLE_MANIFEST_VERSION, settings, checkpoint: job.checkpoint, shard: job.shard,
      runs: [...(old?.runs ?? [])], files: [],
    };
    const runIndex = manifest.runs.push(run) - 1;
    const byFile = new Map<string, SampleEntry>();
    for (const b of batches) {
      b.indices.forEach((k, j) => {
        const file = b.files[j]!;
        const entry: SampleEntry = ok.has(file) ? before.get(file)! : { file, class: b.cls, index: k, bytes: null, sha256: null, run: runIndex };
        manifest.files.push(entry);
        byFile.set(file, entry);
      });
    }
    const save = async (): Promise<void> => {
      lock.check();
      await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
    };
    // Claim every image about to be written before writing it, so an interruption leaves them owned (unfinished).
    await save();
    const progress = o.progress ? createProgress(job.shard ? `sample ${job.shard.index}/${job.shard.count}` : 'sample', planned.length, o.progress, { rate: true, unit: 'images' }) : silentProgress;
    progress.tick(planned.length - todo.reduce((a, b) => a + b.files.filter((f) => !ok.has(f)).length, 0));
    let written = 0;
    let repaired = 0;
    let lastSave = Date.now();
    for (const b of todo) {
      const { data, shape } = await sampler!.generate(b.cls, b.indices, settings.seed, settings.n, settings.batch);
      for (let j = 0; j < b.files.length; j++) {
        const file = b.files[j]!;
        if (ok.has(file)) continue;
        const bytes = encodeSamplePng(data, shape, j);
        const path = join(workDir, file);
        mkdirSync(dirname(path), { recursive: true });
        lock.check();
        await writeFileAtomic(path, bytes);
        Object.assign(byFile.get(file)!, fileDigest(bytes), { run: runIndex });
        written++;
        if (before.has(file)) repaired++;
        progress.tick(1);
      }
      if (Date.now() - lastSave > 5000) {
        await save();
        lastSave = Date.now();
      }
    }
    await save();
    progress.done();
    if (job.shard) {
      lock.check();
      await writeSampleShardRecord(workDir, { shard: job.shard, settings, checkpointDigest: job.checkpoint.digest, files: planned, run });
    }
    return { written, skipped: planned.length - written, repaired, total: planned.length, manifest: manifestPath, notes: job.notes, warnings, job };
  } finally {
    sampler?.dispose();
    lock.release();
  }
}

/**
 * Whether shard `shard` of a job is complete: its record exists, matches the job (settings, checkpoint digest,
 * files) and every image verifies. Returns null when complete, else the reason (for `radix slurm`'s listing).
 *
 * @example
 * sampleShardStatus(job, { index: 1, count: 4 }); // null or 'not finished (no shard.json)'
 */
export function sampleShardStatus(job: SampleJob, shard: Shard): string | null {
  const dir = shardDir(job.out, shard);
  if (!existsSync(join(dir, SAMPLE_SHARD_RECORD))) return `not finished (no ${SAMPLE_SHARD_RECORD})`;
  try {
    const r = readSampleShardRecord(dir);
    const why = incompatibility(r.settings, r.checkpointDigest, job.settings, job.checkpoint.digest);
    if (why) return why;
    const files = planSampleBatches(job.settings, shard).flatMap((b) => b.files);
    if (JSON.stringify(files) !== JSON.stringify(r.files)) return 'written for other images';
    const { problems } = verifySampleShard(dir, r);
    return problems.length === 0 ? null : problems[0]!;
  } catch (e) {
    return (e as Error).message;
  }
}
