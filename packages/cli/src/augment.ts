// `radix augment IN OUT`: runs the rudi/Augmentor pipeline of @radix/augment over a folder, writing PNG variants and a
// manifest of every drawn parameter. Data safety: inputs are never written, OUT is locked to one process, no file the
// manifest does not own is overwritten, and a resumed run verifies every existing output by size and SHA-256.
import { lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import { init, tensor, type Tensor } from '@radix/tensor-webgpu';
import { HostRandom, Pipeline } from '@radix/augment';
import { digest, loadManifest, MANIFEST_VERSION, planOutputs, sourceStream, verifyOutput, type AugmentManifest, type ManifestOutput, type ManifestRun } from './augment-manifest.js';
import { writeAugmentShardRecord } from './augment-shard.js';
import { cliVersion } from './dispatch.js';
import { UsageError } from './kit/errors.js';
import { writeFileAtomic } from './kit/output.js';
import { checkImageFile, folderWarnings, listImageFolder, readImage } from './images.js';
import { acquireOutputLock, LOCK_FILE } from './output-lock.js';
import { packageVersion } from './package-versions.js';
import { createProgress, silentProgress, type ProgressStream } from './progress.js';
import { isInside, physicalPath } from './safe-paths.js';
import { inputDigest, shardDir, shardRange, type Shard } from './shard.js';

export type { AugmentManifest, ManifestOutput, ManifestRun } from './augment-manifest.js';

/** Options of {@link runAugment} (the flags of `radix augment`). */
export interface AugmentOptions {
  input: string;
  output: string;
  /** Variants per source image (default 125). */
  variants?: number;
  /** `'rudi'`: the same pipeline as rudiPreset() — rotate ±15, zoom 1–1.2, distortion magnitude 5 on a 4×4 grid, p 0.7 (explicit flags below override it). */
  preset?: 'rudi';
  /** Maximum rotation left and right in whole degrees. */
  rotate?: number;
  /** Zoom factor range [min, max]. */
  zoom?: [number, number];
  /** Probability of every operation (default 0.7). */
  p?: number;
  /** Random-distortion magnitude in pixels (0 or absent: no distortion). */
  magnitude?: number;
  /** Random-distortion grid [width, height] (default [4, 4]). */
  grid?: [number, number];
  /** Seed of the host parameter draws, any integer in [0, 2^53) (default 1). */
  seed?: number;
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** Pixel budget per source image, checked from its header before decoding (default 64,000,000). */
  maxPixels?: number;
  /**
   * Resume a folder written by another radix version or on another backend (default false: refused, because the
   * pixels would not all come from one implementation). Each output records the run that wrote it.
   */
  allowMixed?: boolean;
  /**
   * Do only shard `index` of `count`: a contiguous block of the sorted sources, written (outputs, manifest, lock and
   * the completion record `shard.json`) into OUT/shards/i-of-n only; `radix merge OUT` assembles OUT. Every output is
   * bit-identical to the unsharded run's (parameters depend only on the seed and the source name).
   */
  shard?: Shard;
  /** Progress destination (default none). */
  progress?: ProgressStream;
}

/** Summary of a run. */
export interface AugmentResult {
  /** Outputs written by this run. */
  written: number;
  /** Outputs already present and verified (size and SHA-256 as recorded), kept. */
  skipped: number;
  /** Of `written`, those the manifest already listed but were missing, truncated, modified or unfinished. */
  repaired: number;
  /** Skipped folder entries, a taken-over stale lock, and the like. */
  warnings: string[];
  manifest: AugmentManifest;
}

/**
 * The pipeline and the settings object a run records (after the preset and defaults), from the options.
 *
 * @example
 * const { settings } = buildAugmentSettings({ input: 'in', output: 'out', preset: 'rudi' });
 */
export function buildAugmentSettings(o: AugmentOptions): { pipeline: Pipeline; settings: Record<string, unknown> } {
  const rudi = o.preset === 'rudi';
  if (o.preset !== undefined && !rudi) throw new UsageError(`runAugment: unknown preset '${String(o.preset)}' (expected rudi)`);
  const p = o.p ?? 0.7;
  const rotate = o.rotate ?? (rudi ? 15 : undefined);
  const zoom = o.zoom ?? (rudi ? ([1, 1.2] as [number, number]) : undefined);
  const magnitude = o.magnitude ?? (rudi ? 5 : undefined);
  const grid = o.grid ?? [4, 4];
  const variants = o.variants ?? 125;
  const seed = o.seed ?? 1;
  if (!Number.isInteger(variants) || variants < 1) throw new UsageError(`runAugment: --variants must be a positive integer, got ${variants}`);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`runAugment: --seed must be a non-negative integer, got ${seed}`);
  if (rotate === undefined && zoom === undefined && !magnitude) throw new UsageError('runAugment: no operation chosen (give --preset rudi or at least one of --rotate, --zoom, --magnitude)');
  const pipeline = new Pipeline();
  try {
    if (rotate !== undefined) pipeline.rotate({ probability: p, maxLeft: rotate, maxRight: rotate });
    if (zoom !== undefined) pipeline.zoom({ probability: p, minFactor: zoom[0], maxFactor: zoom[1] });
    if (magnitude) pipeline.randomDistortion({ probability: p, gridWidth: grid[0], gridHeight: grid[1], magnitude });
  } catch (e) {
    throw new UsageError(`runAugment: ${(e as Error).message}`);
  }
  const settings = { preset: o.preset ?? null, variants, p, rotate: rotate ?? null, zoom: zoom ?? null, magnitude: magnitude ?? null, grid, seed, gate: pipeline.gate };
  return { pipeline, settings };
}

async function writePngAtomic(path: string, data: Float32Array, c: number, h: number, w: number): Promise<{ bytes: number; sha256: string }> {
  const png = new PNG({ width: w, height: h });
  const plane = h * w;
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < 3; k++) {
      const v = data[(c === 1 ? 0 : k) * plane + i]!;
      png.data[i * 4 + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    png.data[i * 4 + 3] = 255;
  }
  const bytes = PNG.sync.write(png);
  try {
    await writeFileAtomic(path, bytes);
  } catch (e) {
    throw new Error(`runAugment: ${(e as Error).message}`);
  }
  return digest(bytes);
}

/** Checks every source before anything is decoded or written: readable, sound (PNG chunks, CRCs and rows; JPEG end
 * marker), within the pixel budget, and at least as large as the distortion grid (each tile needs a pixel). Throws
 * listing every bad file. */
function preflight(dir: string, names: readonly string[], settings: Record<string, unknown>, maxPixels: number | undefined): void {
  const problems: string[] = [];
  const grid = settings.magnitude ? (settings.grid as [number, number]) : null;
  for (const name of names) {
    try {
      const h = checkImageFile(join(dir, name), { maxPixels });
      if (grid && (h.width < grid[0] || h.height < grid[1])) {
        problems.push(`'${join(dir, name)}' is ${h.width}×${h.height}, smaller than the ${grid[0]}×${grid[1]} distortion grid (--grid; every tile needs at least one pixel)`);
      }
    } catch (e) {
      problems.push((e as Error).message.replace(/^checkImageFile: /, ''));
    }
  }
  if (problems.length > 0) {
    throw new Error(`runAugment: ${problems.length} source image${problems.length === 1 ? '' : 's'} cannot be augmented, so nothing was written:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`);
  }
}

/** Refuses a resume whose earlier runs used another version or backend, unless allowed (then it is only recorded). */
function checkRuns(manifestPath: string, runs: readonly ManifestRun[], now: ManifestRun, allowMixed: boolean): string[] {
  const differ = runs.filter((r) => r.backend !== now.backend || r.radix !== now.radix || r.augment !== now.augment);
  if (differ.length === 0) return [];
  const was = differ.map((r) => `radix ${r.radix}, augment ${r.augment}, ${r.backend}`).filter((v, i, a) => a.indexOf(v) === i).join('; ');
  const msg = `'${manifestPath}' was written by ${was}; this run is radix ${now.radix}, augment ${now.augment}, ${now.backend}`;
  if (!allowMixed) {
    throw new UsageError(`runAugment: ${msg}. Resuming would mix outputs of two implementations (pixels can differ in the last bit); rerun with --backend ${differ[0]!.backend} on the same version, or pass --allow-mixed to continue (each output records its run)`);
  }
  return [`${msg}; continuing because of --allow-mixed (each output records its run)`];
}

/**
 * Writes `variants` augmented PNGs per image of `input` into `output`, plus `manifest.json` (source → outputs with
 * size, SHA-256 and every drawn parameter; the runs that wrote the folder). Output names come from the whole source
 * name (`a.png` → `a_png_000.png`, `a.jpg` → `a_jpg_000.png`). Parameters come from a host generator seeded per
 * source (the 53-bit seed and a 53-bit hash of the file name), so a rerun with the same settings verifies the
 * outputs the manifest lists (size and SHA-256), keeps the good ones and redraws identically the rest.
 *
 * Safety: OUT may not be IN or inside it, also through symbolic links to folders not created yet; OUT is locked
 * (`.radix-augment.lock`: a second process is refused, a stale lock of a dead process is taken over with a warning);
 * a file in OUT the manifest does not list is never overwritten; every source is checked (readable, PNG CRCs and
 * rows, pixel budget, at least the distortion grid in size) before anything is written.
 *
 * @example
 * await runAugment({ input: 'patches', output: 'aug', preset: 'rudi', seed: 1, progress: process.stderr });
 */
export async function runAugment(o: AugmentOptions): Promise<AugmentResult> {
  const { pipeline, settings } = buildAugmentSettings(o);
  if (!o.input || !o.output) throw new UsageError('runAugment: needs an input folder and an output folder (radix augment IN OUT)');
  const backendName = o.backend ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backendName)) throw new UsageError(`runAugment: unknown backend '${String(backendName)}' (expected auto, webgpu, cpu)`);
  const listing = listImageFolder(o.input);
  const warnings = folderWarnings(listing, []);
  const inReal = realpathSync(listing.dir);
  const outAbs = resolve(o.output);
  const outPhysical = physicalPath(outAbs);
  if (isInside(outPhysical, inReal)) throw new UsageError(`runAugment: output folder '${o.output}' is the input folder or inside it (it resolves to '${outPhysical}'); refusing to write next to the inputs`);
  const variants = settings.variants as number;
  const plan = planOutputs(listing.names, variants);
  const all = listing.names;
  const [from, to] = o.shard ? shardRange(all.length, o.shard) : [0, all.length];
  const names = all.slice(from, to);
  const jobOut = outAbs;
  const workDir = o.shard ? shardDir(outAbs, o.shard) : outAbs;
  const streams = new Map(listing.names.map((n) => [n, sourceStream(n)]));
  if (new Set(streams.values()).size !== streams.size) throw new Error('runAugment: two source names hash to one random stream; rename one of them');
  preflight(listing.dir, listing.names, settings, o.maxPixels);
  mkdirSync(workDir, { recursive: true });
  // Checked again now that OUT exists: a link created meanwhile must not redirect the writes into IN.
  if (isInside(realpathSync(jobOut), inReal) || isInside(realpathSync(workDir), inReal)) throw new UsageError(`runAugment: output folder '${o.output}' resolves into the input folder; refusing to write next to the inputs`);
  return augmentInto(o, { pipeline, settings, listing: { dir: listing.dir, names }, all, plan, streams, warnings, outAbs: workDir, backendName });
}

async function augmentInto(
  o: AugmentOptions,
  job: {
    pipeline: Pipeline; settings: Record<string, unknown>; listing: { dir: string; names: string[] }; all: string[];
    plan: Map<string, string[]>; streams: Map<string, number>; warnings: string[]; outAbs: string; backendName: 'auto' | 'webgpu' | 'cpu';
  },
): Promise<AugmentResult> {
  const { pipeline, settings, listing, plan, streams, warnings, outAbs, backendName } = job;
  const variants = settings.variants as number;
  const lock = acquireOutputLock(outAbs);
  if (lock.tookOver) warnings.push(`${outAbs}: ${lock.tookOver}`);
  try {
    const manifestPath = join(outAbs, 'manifest.json');
    const old = loadManifest(manifestPath);
    if (old && JSON.stringify(old.settings) !== JSON.stringify(settings)) {
      throw new UsageError(`runAugment: '${manifestPath}' was written with other settings (${JSON.stringify(old.settings)}); use a new output folder`);
    }
    const owned = new Set<string>([LOCK_FILE, 'manifest.json']);
    for (const list of Object.values(old?.sources ?? {})) for (const e of list) owned.add(e.file);
    const foreign: string[] = [];
    for (const name of listing.names) for (const f of plan.get(name)!) if (!owned.has(f) && exists(join(outAbs, f))) foreign.push(f);
    if (foreign.length > 0) {
      throw new Error(`runAugment: ${foreign.length} file${foreign.length === 1 ? '' : 's'} in '${outAbs}' would be overwritten but ${old ? 'its manifest does not list them' : 'the folder has no manifest'}, so radix augment did not write them: ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? ', …' : ''}. Nothing was written; move them or use another output folder`);
    }
    const backend = await init({ backend: backendName });
    const run: ManifestRun = {
      started: new Date().toISOString(), radix: cliVersion(), augment: packageVersion('@radix/augment'), backend: backend.name,
      device: backend.info.description, host: hostname(), pid: process.pid,
    };
    warnings.push(...checkRuns(manifestPath, old?.runs ?? [], run, o.allowMixed ?? false));
    const manifest: AugmentManifest = old ?? { tool: 'radix augment', version: MANIFEST_VERSION, settings, runs: [], sources: {} };
    const runIndex = manifest.runs.push(run) - 1;
    const save = async (): Promise<void> => {
      lock.check();
      await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
    };
    const progress = o.progress ? createProgress('augment', listing.names.length * variants, o.progress) : silentProgress;
    let written = 0;
    let skipped = 0;
    let repaired = 0;
    for (const name of listing.names) {
      const rng = new HostRandom(settings.seed as number, streams.get(name)!);
      const before = new Map((manifest.sources[name] ?? []).map((e) => [e.file, e]));
      const files = plan.get(name)!;
      // Draw every variant (the stream must advance identically), then decide what is already there and sound.
      const draws = files.map(() => pipeline.draw(0, rng));
      const entries: ManifestOutput[] = [];
      const todo: number[] = [];
      files.forEach((file, k) => {
        const prev = before.get(file);
        const same = prev !== undefined && JSON.stringify(prev.operations) === JSON.stringify(draws[k]!.operations);
        if (same && verifyOutput(join(outAbs, file), prev) === 'ok') {
          entries.push(prev);
          return;
        }
        entries.push({ file, bytes: null, sha256: null, run: runIndex, operations: draws[k]!.operations });
        todo.push(k);
      });
      skipped += files.length - todo.length;
      progress.tick(files.length - todo.length);
      if (todo.length === 0) continue; // every output verified: the manifest already lists exactly these entries
      // Claim the outputs about to be written before writing them, so an interruption leaves them owned (unfinished).
      manifest.sources[name] = entries;
      await save();
      let img: Tensor | undefined;
      let lastSave = Date.now();
      try {
        for (const k of todo) {
          if (!img) {
            const d = readImage(join(listing.dir, name), { maxPixels: o.maxPixels });
            img = tensor(d.data, { backend, shape: [1, 3, d.height, d.width] });
          }
          const out = pipeline.apply(img, draws[k]!);
          const data = Float32Array.from((await out.data()) as Float32Array);
          out.dispose();
          lock.check();
          const file = files[k]!;
          const d = await writePngAtomic(join(outAbs, file), data, 3, img.shape[2]!, img.shape[3]!);
          Object.assign(entries[k]!, d);
          written++;
          if (before.has(file)) repaired++;
          progress.tick();
          if (Date.now() - lastSave > 5000) {
            await save();
            lastSave = Date.now();
          }
        }
      } finally {
        img?.dispose();
      }
      await save();
    }
    progress.done();
    if (o.shard) {
      lock.check();
      await writeAugmentShardRecord(outAbs, { shard: o.shard, sources: listing.names, all: job.all, allDigest: inputDigest(listing.dir, job.all), settings, run });
    }
    return { written, skipped, repaired, warnings, manifest };
  } finally {
    lock.release();
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
