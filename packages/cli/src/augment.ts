// `radix augment IN OUT`: runs the rudi/Augmentor pipeline of @radix/augment over a folder, writing PNG variants and a
// manifest of every drawn parameter; never touches the input folder and resumes an interrupted run.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, extname, join, relative, resolve, isAbsolute } from 'node:path';
import { PNG } from 'pngjs';
import { init, tensor } from '@radix/tensor-webgpu';
import { HostRandom, Pipeline, type DrawnSample } from '@radix/augment';
import { UsageError } from './kit/errors.js';
import { writeFileAtomic } from './kit/output.js';
import { listImageFolder, readImage } from './images.js';
import { createProgress, silentProgress, type ProgressStream } from './progress.js';

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
  /** Seed of the host parameter draws (default 1). */
  seed?: number;
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** Progress destination (default none). */
  progress?: ProgressStream;
}

/** One output file and the parameters drawn for it. */
export interface ManifestOutput {
  file: string;
  operations: DrawnSample['operations'];
}

/** The `manifest.json` written to OUT. */
export interface AugmentManifest {
  tool: 'radix augment';
  version: 1;
  settings: Record<string, unknown>;
  /** Source file name → its outputs, in variant order. */
  sources: Record<string, ManifestOutput[]>;
}

/** Summary of a run. */
export interface AugmentResult {
  written: number;
  skipped: number;
  manifest: AugmentManifest;
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

function buildSettings(o: AugmentOptions): { pipeline: Pipeline; settings: Record<string, unknown> } {
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

async function writePngAtomic(path: string, data: Float32Array, c: number, h: number, w: number): Promise<void> {
  const png = new PNG({ width: w, height: h });
  const plane = h * w;
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < 3; k++) {
      const v = data[(c === 1 ? 0 : k) * plane + i]!;
      png.data[i * 4 + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
    png.data[i * 4 + 3] = 255;
  }
  try {
    await writeFileAtomic(path, PNG.sync.write(png));
  } catch (e) {
    throw new Error(`runAugment: ${(e as Error).message}`);
  }
}

/**
 * Writes `variants` augmented PNGs per image of `input` into `output`, plus `manifest.json` (source → outputs and
 * every drawn parameter). Parameters come from a host generator seeded per source (seed and file name), so a rerun
 * with the same settings skips outputs the manifest lists whose files exist and redraws identically for the rest.
 *
 * @example
 * await runAugment({ input: 'patches', output: 'aug', preset: 'rudi', seed: 1, progress: process.stderr });
 */
export async function runAugment(o: AugmentOptions): Promise<AugmentResult> {
  const { pipeline, settings } = buildSettings(o);
  if (!o.input || !o.output) throw new UsageError('runAugment: needs an input folder and an output folder (radix augment IN OUT)');
  const listing = listImageFolder(o.input);
  const inReal = realpathSync(listing.dir);
  const outAbs = resolve(o.output);
  const outReal = existsSync(outAbs) ? realpathSync(outAbs) : outAbs;
  if (isInside(outReal, inReal)) throw new UsageError(`runAugment: output folder '${o.output}' is the input folder or inside it; refusing to write next to the inputs`);
  mkdirSync(outAbs, { recursive: true });
  const manifestPath = join(outAbs, 'manifest.json');
  let manifest: AugmentManifest = { tool: 'radix augment', version: 1, settings, sources: {} };
  if (existsSync(manifestPath)) {
    const old = JSON.parse(readFileSync(manifestPath, 'utf8')) as AugmentManifest;
    if (JSON.stringify(old.settings) !== JSON.stringify(settings)) {
      throw new UsageError(`runAugment: '${manifestPath}' was written with other settings (${JSON.stringify(old.settings)}); use a new output folder`);
    }
    manifest = old;
  }
  const backendName = o.backend ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backendName)) throw new UsageError(`runAugment: unknown backend '${String(backendName)}' (expected auto, webgpu, cpu)`);
  const backend = await init({ backend: backendName });
  const variants = settings.variants as number;
  const progress = o.progress ? createProgress('augment', listing.names.length * variants, o.progress) : silentProgress;
  let written = 0;
  let skipped = 0;
  for (const name of listing.names) {
    const rng = new HostRandom(((settings.seed as number) * 0x100000000 + fnv1a(name)) % Number.MAX_SAFE_INTEGER);
    const done = new Map((manifest.sources[name] ?? []).map((e) => [e.file, e]));
    const entries: ManifestOutput[] = [];
    const stem = basename(name, extname(name));
    const digits = String(variants - 1).length;
    let img: ReturnType<typeof tensor> | undefined;
    for (let k = 0; k < variants; k++) {
      const drawn = pipeline.draw(0, rng);
      const file = `${stem}_${String(k).padStart(digits, '0')}.png`;
      if (done.has(file) && existsSync(join(outAbs, file))) {
        entries.push(done.get(file)!);
        skipped++;
        progress.tick();
        continue;
      }
      if (!img) {
        const d = readImage(join(listing.dir, name));
        img = tensor(d.data, { backend, shape: [1, 3, d.height, d.width] });
      }
      const out = pipeline.apply(img, drawn);
      const data = Float32Array.from((await out.data()) as Float32Array);
      await writePngAtomic(join(outAbs, file), data, 3, img.shape[2]!, img.shape[3]!);
      out.dispose();
      entries.push({ file, operations: drawn.operations });
      written++;
      progress.tick();
    }
    img?.dispose();
    manifest.sources[name] = entries;
    await writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 1)}\n`);
  }
  progress.done();
  return { written, skipped, manifest };
}
