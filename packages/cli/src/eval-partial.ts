// The partial-results file of one `radix eval --shard i/n`: a JSON header (what was asked, on which inputs, by
// which versions and backend, which index ranges) and a safetensors file of the numbers (float64 feature statistics,
// float32 features and logits where a metric needs them, float64 per-image scores), verified by size and SHA-256.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors } from '@radix/tensor-webgpu';
import type { FeatureStats } from '@radix/metrics';
import { writeFileAtomic } from './kit/output.js';
import type { Shard } from './shard.js';

/** Header file of a partial (written last: its presence marks the shard finished). */
export const PARTIAL_JSON = 'partial.json';
/** Numbers of a partial. */
export const PARTIAL_DATA = 'partial.safetensors';

/** A folder as a shard saw it. */
export interface PartialInput {
  dir: string;
  count: number;
  /** SHA-256 of names and sizes (inputDigest). */
  digest: string;
  ignored: string[];
  unreadable: { name: string; reason: string }[];
}

/** What the images one shard read looked like: resolutions and decoder notes, counted. */
export interface DecodedSummary {
  resolutions: Record<string, number>;
  notes: Record<string, number>;
}

/** One feature set's part in a shard. */
export interface PartialFeatureSet {
  /** Images of this shard. */
  n: number;
  d: number;
  /** The float64 statistics are stored (n ≥ 1). */
  stats: boolean;
  /** The float32 features themselves are stored (kid, pr, dc, FID intervals, FID∞). */
  raw: boolean;
  /** The FID-Inception logits are stored (is; fake set only). */
  logits: boolean;
}

/** The JSON header of a partial. */
export interface EvalPartial {
  tool: 'radix eval';
  format: 'radix-eval-partial';
  version: 1;
  shard: Shard;
  /** Every option that decides the numbers, after defaults (equal across the shards of one job). */
  request: Record<string, unknown>;
  inputs: { real: PartialInput; fake: PartialInput; pairs?: number };
  versions: Record<string, string>;
  backend: { name: string; device: string };
  /** The settings block of the unsharded report (without its date). */
  settings: Record<string, unknown>;
  extractor?: { name: string; dim: number; description: Record<string, string | number> };
  /** Index ranges [start, end) of this shard: real and fake images (feature metrics), matched pairs (paired). */
  ranges: { real?: [number, number]; fake?: [number, number]; pairs?: [number, number] };
  /** Paired rows in report order, with their settings; this shard's pair names. */
  paired?: { rows: { metric: string; settings: Record<string, string | number | boolean> }[]; names: string[] };
  features?: { real: PartialFeatureSet; fake: PartialFeatureSet };
  decoded: { real: DecodedSummary; fake: DecodedSummary };
  data: { file: string; bytes: number; sha256: string };
  finished: string;
}

/** The numbers of a partial, by tensor name. */
export interface PartialNumbers {
  paired: Map<string, Float64Array>;
  stats: { real?: FeatureStats; fake?: FeatureStats };
  features: { real?: Float32Array; fake?: Float32Array };
  logits?: Float32Array;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * Writes a shard's numbers then its header, each atomically, into `dir` (the header last, so a crash leaves no
 * header that points at missing data).
 *
 * @example
 * await writePartial('out/shards/0-of-4', header, numbers);
 */
export async function writePartial(dir: string, header: Omit<EvalPartial, 'data' | 'finished'>, nums: PartialNumbers): Promise<EvalPartial> {
  const tensors: Parameters<typeof encodeSafetensors>[0] = {};
  for (const [m, v] of nums.paired) if (v.length > 0) tensors[`paired.${m}`] = { dtype: 'F64', shape: [v.length], data: v };
  for (const set of ['real', 'fake'] as const) {
    const s = nums.stats[set];
    if (s) {
      tensors[`${set}.mean`] = { dtype: 'F64', shape: [s.d], data: s.mean };
      tensors[`${set}.cov`] = { dtype: 'F64', shape: [s.d, s.d], data: s.cov };
      tensors[`${set}.sum`] = { dtype: 'F64', shape: [s.d], data: s.sum };
      tensors[`${set}.sumOuter`] = { dtype: 'F64', shape: [s.d, s.d], data: s.sumOuter };
    }
    const f = nums.features[set];
    if (f && f.length > 0) tensors[`${set}.features`] = { dtype: 'F32', shape: [f.length / header.features![set].d, header.features![set].d], data: f };
  }
  if (nums.logits && nums.logits.length > 0) tensors['fake.logits'] = { dtype: 'F32', shape: [nums.logits.length / 1008, 1008], data: nums.logits };
  const bytes = encodeSafetensors(tensors, { format: 'radix-eval-partial' });
  await writeFileAtomic(join(dir, PARTIAL_DATA), bytes);
  const full: EvalPartial = { ...header, data: { file: PARTIAL_DATA, bytes: bytes.byteLength, sha256: sha256(bytes) }, finished: new Date().toISOString() };
  await writeFileAtomic(join(dir, PARTIAL_JSON), `${JSON.stringify(full, null, 1)}\n`);
  return full;
}

/**
 * Reads a partial's header and checks its data file by size (and SHA-256 when `verify` is 'full'); throws naming the
 * file and what is wrong.
 *
 * @example
 * const header = readPartialHeader('out/shards/0-of-4', 'full');
 */
export function readPartialHeader(dir: string, verify: 'size' | 'full' = 'full'): EvalPartial {
  const path = join(dir, PARTIAL_JSON);
  if (!existsSync(path)) throw new Error(`not finished (no ${PARTIAL_JSON} in ${dir})`);
  let h: Partial<EvalPartial>;
  try {
    h = JSON.parse(readFileSync(path, 'utf8')) as Partial<EvalPartial>;
  } catch (e) {
    throw new Error(`'${path}' is not valid JSON (${(e as Error).message})`);
  }
  if (h.format !== 'radix-eval-partial' || h.version !== 1 || !h.shard || !h.request || !h.inputs || !h.data || !h.ranges || !h.decoded) {
    throw new Error(`'${path}' is not a radix eval partial (version 1)`);
  }
  const data = join(dir, h.data.file);
  let size: number;
  try {
    size = statSync(data).size;
  } catch {
    throw new Error(`'${data}' is missing (its header ${path} exists)`);
  }
  if (size !== h.data.bytes) throw new Error(`'${data}' has ${size} bytes, its header says ${h.data.bytes} (truncated or rewritten)`);
  if (verify === 'full' && sha256(readFileSync(data)) !== h.data.sha256) throw new Error(`'${data}' does not match the SHA-256 in ${path} (modified)`);
  return h as EvalPartial;
}

/**
 * Reads the numbers of a verified partial.
 *
 * @example
 * const nums = readPartialNumbers('out/shards/0-of-4', header);
 */
export function readPartialNumbers(dir: string, h: EvalPartial): PartialNumbers {
  const path = join(dir, h.data.file);
  // A plain Uint8Array copy: the decoder's copies of a Node Buffer (whose slice() does not copy) would alias its pool.
  const bytes = new Uint8Array(readFileSync(path));
  if (sha256(bytes) !== h.data.sha256) throw new Error(`'${path}' does not match the SHA-256 in its header (modified)`);
  const { tensors } = decodeSafetensors(bytes, { name: path });
  const get = (name: string, dtype: 'F64' | 'F32'): Float64Array | Float32Array => {
    const t = tensors[name];
    if (!t || t.dtype !== dtype) throw new Error(`'${path}' lacks the ${dtype} tensor '${name}'`);
    return t.data as Float64Array | Float32Array;
  };
  const nums: PartialNumbers = { paired: new Map(), stats: {}, features: {} };
  for (const r of h.paired?.rows ?? []) if (tensors[`paired.${r.metric}`]) nums.paired.set(r.metric, get(`paired.${r.metric}`, 'F64') as Float64Array);
  for (const set of ['real', 'fake'] as const) {
    const f = h.features?.[set];
    if (!f) continue;
    if (f.stats) {
      nums.stats[set] = {
        n: f.n, d: f.d, mean: get(`${set}.mean`, 'F64') as Float64Array, cov: get(`${set}.cov`, 'F64') as Float64Array,
        sum: get(`${set}.sum`, 'F64') as Float64Array, sumOuter: get(`${set}.sumOuter`, 'F64') as Float64Array,
      };
    }
    if (f.raw && f.n > 0) nums.features[set] = get(`${set}.features`, 'F32') as Float32Array;
    if (set === 'fake' && f.logits && f.n > 0) nums.logits = get('fake.logits', 'F32') as Float32Array;
  }
  return nums;
}
