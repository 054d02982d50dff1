// The bookkeeping of `radix sample OUT`: which files a job writes (one folder per class for class-conditional models),
// in which batches, the manifest that owns them (size and SHA-256 of every PNG, the checkpoint's digest, the
// settings, the runs), per-image seeds, and the completion record of a shard in OUT/shards/i-of-n.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { UsageError } from './kit/errors.js';
import { writeFileAtomic } from './kit/output.js';
import { digest as fileDigest, verifyOutput as verifySample } from './augment-manifest.js';
import { shardRange, type Shard } from './shard.js';

// A sample image is verified and digested exactly like an augment output (size, then SHA-256).
export { fileDigest, verifySample };

/** The manifest format this version writes and resumes. */
export const SAMPLE_MANIFEST_VERSION = 1;
/** The manifest's file name in OUT (and in each shard's folder). */
export const SAMPLE_MANIFEST = 'manifest.json';
/** A finished shard's completion record, in OUT/shards/i-of-n. */
export const SAMPLE_SHARD_RECORD = 'shard.json';

/** One class a job samples: the model's class index, its name and the folder its images go to. */
export interface SampleClass {
  index: number;
  name: string;
  folder: string;
}

/**
 * Everything that decides the pixels of a job (and so must match for a resume, a shard or a merge): the model kind,
 * images per class, classes, seed, batch and the sampler's settings.
 */
export interface SampleSettings {
  kind: 'diffusion' | 'gan';
  /** Images per class (in total for an unconditional model). */
  n: number;
  /** The classes sampled, or null for an unconditional model (images directly in OUT). */
  classes: SampleClass[] | null;
  seed: number;
  batch: number;
  /** 'ema' or 'raw' weights. */
  weights: 'ema' | 'raw';
  /** The kind's own settings (scheduler, steps, eta, guidance; truncation, noise mode). */
  sampler: Record<string, unknown>;
}

/** A checkpoint file that went into the job, with its size and SHA-256. */
export interface CheckpointFile {
  file: string;
  bytes: number;
  sha256: string;
}

/** What was sampled: the checkpoint as given, what it resolved to, and a digest of the files read. */
export interface SampleCheckpoint {
  /** CHECKPOINT as given (absolute). */
  path: string;
  /** The folder or file actually read (a run folder resolves to its newest intact checkpoint). */
  resolved: string;
  kind: 'diffusion' | 'gan';
  /** 'run', 'checkpoint', 'diffusers-model', 'diffusers-pipeline' (diffusion) or 'radix', 'pkl' (GAN). */
  source: string;
  /** The files whose content determines the images, relative to `resolved` (or its folder for a file). */
  files: CheckpointFile[];
  /** SHA-256 over the files' names, sizes and SHA-256 sums. */
  digest: string;
}

/** One invocation that wrote to the folder. */
export interface SampleRun {
  started: string;
  /** @radix/cli version. */
  radix: string;
  /** The model package and its version (`@radix/diffusion 0.1.0`). */
  model: string;
  /** 'webgpu' or 'cpu' (after 'auto'). */
  backend: string;
  device: string;
  host: string;
  pid: number;
}

/** One output image. */
export interface SampleEntry {
  /** Path relative to OUT, with forward slashes (`benign/benign_00007.png`). */
  file: string;
  /** The model's class index, or null (unconditional). */
  class: number | null;
  /** The image's index within its class: its noise comes from the stream (seed, class, index) alone. */
  index: number;
  /** Size in bytes; null while it is being written. */
  bytes: number | null;
  /** SHA-256 hex; null while it is being written. */
  sha256: string | null;
  /** Index into `runs` of the run that wrote it. */
  run: number;
}

/** OUT/manifest.json. */
export interface SampleManifest {
  tool: 'radix sample';
  format: 'radix-sample';
  version: typeof SAMPLE_MANIFEST_VERSION;
  settings: SampleSettings;
  checkpoint: SampleCheckpoint;
  /** Shard i of n when this manifest is a shard's (OUT/shards/i-of-n), else null. */
  shard: Shard | null;
  runs: SampleRun[];
  /** The images, in the job's order (class by class, by index). */
  files: SampleEntry[];
}

/** The completion record of a shard. */
export interface SampleShardRecord {
  tool: 'radix sample';
  format: 'radix-sample-shard';
  version: 1;
  shard: Shard;
  settings: SampleSettings;
  checkpointDigest: string;
  /** Files of this shard, in order. */
  files: string[];
  run: SampleRun;
  finished: string;
}

/** One batch of a job: images `indices` of class `cls` (null: unconditional). */
export interface SampleBatch {
  cls: number | null;
  indices: number[];
  files: string[];
}

/**
 * Folder names for classes: letters, digits, `.`, `_` and `-` kept, anything else turned into `_`, and `class_`
 * before names OUT uses itself (shards, slurm, manifest.json) or made only of dots; refuses names that collide (also
 * by letter case, for case-insensitive file systems).
 *
 * @example
 * classFolders(['benign', 'malignant (G3)']); // ['benign', 'malignant__G3_']
 */
export function classFolders(names: readonly string[]): string[] {
  const folders = names.map((n) => {
    const f = n.replace(/[^A-Za-z0-9._-]/g, '_');
    // Names the job folder uses itself (and '', '.', '..') get a prefix.
    return f === '' || /^\.*$/.test(f) || RESERVED.includes(f.toLowerCase()) ? `class_${f}` : f;
  });
  const seen = new Map<string, number>();
  folders.forEach((f, i) => {
    const other = seen.get(f.toLowerCase());
    if (other !== undefined) throw new Error(`radix sample: classes '${names[other]}' and '${names[i]}' would share the folder '${f}' (folder names keep only letters, digits, '.', '_' and '-' and ignore case)`);
    seen.set(f.toLowerCase(), i);
  });
  return folders;
}

/** Entries of OUT that are not class folders: the shards' area, radix slurm's scripts, the manifest, the lock. */
const RESERVED = ['shards', 'slurm', 'manifest.json', 'shard.json', '.radix-augment.lock'];

/** Digits of the image numbers in file names: at least 5, more for larger n. */
function digits(n: number): number {
  return Math.max(5, String(n - 1).length);
}

/**
 * The file of image `index` of a class (`benign/benign_00007.png`), or of an unconditional model (`sample_00007.png`).
 *
 * @example
 * sampleFile({ index: 0, name: 'benign', folder: 'benign' }, 7, 100); // 'benign/benign_00007.png'
 */
export function sampleFile(cls: SampleClass | null, index: number, n: number): string {
  const k = String(index).padStart(digits(n), '0');
  return cls ? `${cls.folder}/${cls.folder}_${k}.png` : `sample_${k}.png`;
}

/**
 * The batches of a job (or of shard `shard` of it): per class, images [start, end) in batches of `batch`, where
 * [start, end) is the shard's block of whole batches. The batches of a shard are exactly the unsharded run's, so each
 * image is computed in the same company and is bit-identical.
 *
 * @example
 * planSampleBatches(settings, { index: 1, count: 2 }); // the second half of every class, in the same batches
 */
export function planSampleBatches(s: Pick<SampleSettings, 'n' | 'classes' | 'batch'>, shard?: Shard): SampleBatch[] {
  const [start, end] = shard ? shardRange(s.n, shard, s.batch) : [0, s.n];
  const out: SampleBatch[] = [];
  for (const cls of s.classes ?? [null]) {
    for (let b = start; b < end; b += s.batch) {
      const indices = Array.from({ length: Math.min(end, b + s.batch) - b }, (_, i) => b + i);
      out.push({ cls: cls?.index ?? null, indices, files: indices.map((k) => sampleFile(cls, k, s.n)) });
    }
  }
  return out;
}

/**
 * A 53-bit seed for the latent z of GAN image `index` of class `cls` (a splitmix64 hash of seed, class and index):
 * each image draws its latent from its own generator, so it depends neither on the batch size, nor on the shard, nor
 * on the other images.
 *
 * @example
 * new Generator(latentSeed(1, 0, 7));
 */
export function latentSeed(seed: number, cls: number | null, index: number): number {
  let h = 0x9e3779b97f4a7c15n;
  for (const k of [seed, cls === null ? 0 : cls + 1, index]) {
    h = BigInt.asUintN(64, h ^ BigInt(k));
    h = BigInt.asUintN(64, (h ^ (h >> 30n)) * 0xbf58476d1ce4e5b9n);
    h = BigInt.asUintN(64, (h ^ (h >> 27n)) * 0x94d049bb133111ebn);
    h ^= h >> 31n;
  }
  return Number(h & ((1n << 53n) - 1n));
}

/**
 * The seed of class `cls`'s image sequence for diffusion sampling (@radix/diffusion's `sample` then gives image k
 * the stream `imageSeed(classSeed, k)`): `seed` itself for an unconditional model, a splitmix64 hash of seed and class
 * otherwise, so classes do not share noise.
 *
 * @example
 * classSeed(1, null); // 1
 */
export function classSeed(seed: number, cls: number | null): number {
  if (cls === null) return seed;
  return latentSeed(seed, cls, 0x636c6173); // the same hash with a fixed third key
}

/**
 * The size and SHA-256 of checkpoint files and their combined digest (names relative to `base`).
 *
 * @example
 * const { files, digest } = digestFiles('run/checkpoints/step-00001000', ['ema/config.json', 'ema/diffusion_pytorch_model.safetensors']);
 */
export function digestFiles(base: string, paths: readonly string[]): { files: CheckpointFile[]; digest: string } {
  const files: CheckpointFile[] = [];
  for (const p of paths) {
    const abs = join(base, p);
    let data: Buffer;
    try {
      data = readFileSync(abs);
    } catch (e) {
      throw new Error(`radix sample: cannot read checkpoint file '${abs}': ${(e as Error).message}`);
    }
    files.push({ file: relative(base, abs).split(sep).join('/'), ...fileDigest(data) });
  }
  const h = createHash('sha256');
  for (const f of files) h.update(`${f.file}\0${f.bytes}\0${f.sha256}\n`);
  return { files, digest: h.digest('hex') };
}

/**
 * Reads a sample manifest, or null when there is none; throws naming the file when it exists but is not a radix
 * sample manifest of this version (so such a folder is never written into).
 *
 * @example
 * const m = loadSampleManifest('samples/manifest.json');
 */
export function loadSampleManifest(path: string): SampleManifest | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`radix sample: cannot read '${path}': ${(e as Error).message}`);
  }
  let m: Partial<SampleManifest>;
  try {
    m = JSON.parse(text) as Partial<SampleManifest>;
  } catch (e) {
    throw new UsageError(`radix sample: '${path}' exists but is not valid JSON (${(e as Error).message}); refusing to write into a folder whose manifest cannot be read`);
  }
  if (!m || m.tool !== 'radix sample' || m.format !== 'radix-sample') throw new UsageError(`radix sample: '${path}' exists but was not written by radix sample; refusing to write into that folder (use another OUT)`);
  if (m.version !== SAMPLE_MANIFEST_VERSION) throw new UsageError(`radix sample: '${path}' is a version ${String(m.version)} manifest (this radix writes version ${SAMPLE_MANIFEST_VERSION}); use a new OUT`);
  if (!m.settings || !m.checkpoint || !Array.isArray(m.runs) || !Array.isArray(m.files)) throw new Error(`radix sample: '${path}' is missing settings, checkpoint, runs or files (corrupt manifest)`);
  return m as SampleManifest;
}

/**
 * Why a manifest (or shard record) of another run cannot be continued by this job, or null when it can: other
 * settings or another checkpoint (by content).
 *
 * @example
 * const why = incompatibility(old.settings, old.checkpoint.digest, settings, checkpoint.digest);
 */
export function incompatibility(oldSettings: SampleSettings, oldDigest: string, settings: SampleSettings, digest: string): string | null {
  if (oldDigest !== digest) return 'it was sampled from another checkpoint (the checkpoint files\' SHA-256 differ)';
  const a = JSON.stringify(oldSettings);
  const b = JSON.stringify(settings);
  if (a === b) return null;
  const diff: string[] = [];
  const o = oldSettings as unknown as Record<string, unknown>;
  const s = settings as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(o), ...Object.keys(s)])) {
    if (JSON.stringify(o[k]) !== JSON.stringify(s[k])) diff.push(`${k}: ${JSON.stringify(o[k])} then, ${JSON.stringify(s[k])} now`);
  }
  return `it was written with other settings (${diff.join('; ')})`;
}

/**
 * Writes a finished shard's completion record (atomically, last, so it marks completion).
 *
 * @example
 * await writeSampleShardRecord('samples/shards/0-of-4', record);
 */
export async function writeSampleShardRecord(dir: string, r: Omit<SampleShardRecord, 'tool' | 'format' | 'version' | 'finished'>): Promise<void> {
  const record: SampleShardRecord = { tool: 'radix sample', format: 'radix-sample-shard', version: 1, ...r, finished: new Date().toISOString() };
  await writeFileAtomic(join(dir, SAMPLE_SHARD_RECORD), `${JSON.stringify(record, null, 1)}\n`);
}

/**
 * Reads a shard's completion record; throws naming the file when it is unreadable or another tool's.
 *
 * @example
 * const r = readSampleShardRecord('samples/shards/0-of-4');
 */
export function readSampleShardRecord(dir: string): SampleShardRecord {
  const path = join(dir, SAMPLE_SHARD_RECORD);
  let r: Partial<SampleShardRecord>;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as Partial<SampleShardRecord>;
  } catch (e) {
    throw new Error(`'${path}' cannot be read (${(e as Error).message})`);
  }
  if (r.tool !== 'radix sample' || r.format !== 'radix-sample-shard' || r.version !== 1 || !r.shard || !r.settings || !Array.isArray(r.files) || !r.run) {
    throw new Error(`'${path}' is not a radix sample shard record (version 1)`);
  }
  return r as SampleShardRecord;
}

/**
 * Checks a shard folder: its record, its manifest (same settings and checkpoint), and every file of the record listed
 * and verified. Returns the manifest and the problems found (none: complete).
 *
 * @example
 * const { problems } = verifySampleShard('samples/shards/1-of-2', record);
 */
export function verifySampleShard(dir: string, record: SampleShardRecord): { manifest: SampleManifest | null; problems: string[] } {
  let manifest: SampleManifest | null;
  try {
    manifest = loadSampleManifest(join(dir, SAMPLE_MANIFEST));
  } catch (e) {
    return { manifest: null, problems: [(e as Error).message] };
  }
  if (!manifest) return { manifest: null, problems: [`${dir}: ${SAMPLE_MANIFEST} is missing`] };
  const problems: string[] = [];
  const why = incompatibility(manifest.settings, manifest.checkpoint.digest, record.settings, record.checkpointDigest);
  if (why) problems.push(`${dir}: the manifest does not match ${SAMPLE_SHARD_RECORD} (${why})`);
  const byFile = new Map(manifest.files.map((e) => [e.file, e]));
  for (const f of record.files) {
    const e = byFile.get(f);
    if (!e) {
      problems.push(`${dir}: ${f} is not in the manifest`);
      continue;
    }
    const v = verifySample(join(dir, f), e);
    if (v !== 'ok') problems.push(`${dir}: ${f} is ${v === 'missing' ? 'missing' : 'truncated, modified or unfinished'}`);
  }
  return { manifest, problems };
}

/**
 * Entries of OUT that a sample job may find there without a manifest: its shards, the Slurm scripts `radix slurm`
 * writes, and a lock file.
 *
 * @example
 * foreignEntries('samples'); // ['notes.txt'] when OUT holds someone else's file
 */
export function foreignEntries(dir: string, allowed: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names.filter((n) => !allowed.includes(n)).sort();
}
