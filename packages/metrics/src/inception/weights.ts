// Weights of the FID Inception-v3: finds and loads pytorch-fid's `pt_inception-2015-12-05-6726825d.pth`
// (legacy .pth) from an explicit path, RADIX_INCEPTION_WEIGHTS or the PyTorch hub cache, and builds the
// deterministic formula weights of the reference fixtures for architecture tests.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadPth, tensor, type Backend, type BackendName, type Tensor } from '@radix/tensor-webgpu';
import { fidInceptionParameterShapes } from './architecture.js';

/** File name of pytorch-fid's FID Inception weights (as stored in the PyTorch hub cache). */
export const FID_INCEPTION_FILE = 'pt_inception-2015-12-05-6726825d.pth';
/** Where pytorch-fid publishes the weights. */
export const FID_INCEPTION_URL = `https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/${FID_INCEPTION_FILE}`;

/** Parameters of the FID Inception-v3 by state-dict name (472 tensors). */
export type FidInceptionWeights = Record<string, Tensor>;

/** Options of {@link loadFidInceptionWeights} and {@link findFidInceptionWeights}. */
export interface LoadFidInceptionOptions {
  /** Explicit file path; takes precedence over the environment and the hub cache. */
  path?: string;
  /** Backend for the loaded tensors (default: the current backend). */
  backend?: BackendName | Backend;
  /** Environment to read `RADIX_INCEPTION_WEIGHTS`, `TORCH_HOME`, `XDG_CACHE_HOME` and `HOME` from (default process.env). */
  env?: Record<string, string | undefined>;
}

/** The hub-cache directories searched, in order: `$TORCH_HOME/hub/checkpoints`, then `$XDG_CACHE_HOME|~/.cache` `/torch/hub/checkpoints`. */
function hubDirs(env: Record<string, string | undefined>): string[] {
  const home = env.HOME || homedir();
  const dirs: string[] = [];
  if (env.TORCH_HOME) dirs.push(join(env.TORCH_HOME, 'hub', 'checkpoints'));
  dirs.push(join(env.XDG_CACHE_HOME || join(home, '.cache'), 'torch', 'hub', 'checkpoints'));
  return dirs;
}

/**
 * Locates the FID Inception weights: `options.path`, else `RADIX_INCEPTION_WEIGHTS`, else the PyTorch hub cache.
 * Returns the path and the places looked at (the path is `null` when nothing was found).
 *
 * @example
 * const { path, searched } = findFidInceptionWeights();
 */
export function findFidInceptionWeights(options: LoadFidInceptionOptions = {}): { path: string | null; searched: string[] } {
  const env = options.env ?? process.env;
  const candidates: string[] = [];
  if (options.path) candidates.push(options.path);
  else {
    if (env.RADIX_INCEPTION_WEIGHTS) candidates.push(env.RADIX_INCEPTION_WEIGHTS);
    for (const d of hubDirs(env)) candidates.push(join(d, FID_INCEPTION_FILE));
  }
  const path = candidates.find((p) => existsSync(p) && statSync(p).isFile()) ?? null;
  return { path, searched: candidates };
}

/**
 * Maps a key of pytorch-fid's checkpoint to the network's parameter name: the names are torchvision's, so the map
 * is the identity on the 472 parameters; `*.num_batches_tracked` (unused in inference) and unknown keys give `null`.
 *
 * @example
 * checkpointKeyToParameter('Mixed_7c.branch_pool.conv.weight'); // 'Mixed_7c.branch_pool.conv.weight'
 * checkpointKeyToParameter('Conv2d_1a_3x3.bn.num_batches_tracked'); // null
 */
export function checkpointKeyToParameter(key: string): string | null {
  if (key.endsWith('.num_batches_tracked')) return null;
  return SHAPES.has(key) ? key : null;
}

const SHAPES = fidInceptionParameterShapes();

/**
 * Checks that `weights` holds every parameter with the right shape and nothing else; throws an Error naming `fn`
 * and the first problem.
 *
 * @example
 * validateFidInceptionWeights(formulaWeights()); // passes
 */
export function validateFidInceptionWeights(weights: Record<string, { shape: readonly number[] }>, fn = 'FidInceptionV3'): void {
  for (const [name, shape] of SHAPES) {
    const t = weights[name];
    if (!t) throw new Error(`${fn}: missing parameter '${name}' (shape [${shape.join(', ')}])`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new Error(`${fn}: parameter '${name}' has shape [${t.shape.join(', ')}], expected [${shape.join(', ')}]`);
    }
  }
  const extra = Object.keys(weights).filter((k) => !SHAPES.has(k));
  if (extra.length) throw new Error(`${fn}: unexpected parameters ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', …' : ''}`);
}

/**
 * Loads pytorch-fid's FID Inception weights (legacy `.pth`) as tensors keyed by parameter name. Looks at
 * `options.path`, `RADIX_INCEPTION_WEIGHTS`, then the PyTorch hub cache; throws an Error naming the download URL
 * and the places searched when the file is not found.
 *
 * @example
 * const weights = await loadFidInceptionWeights({ backend: 'webgpu' });
 * const net = new FidInceptionV3(weights);
 */
export async function loadFidInceptionWeights(options: LoadFidInceptionOptions = {}): Promise<FidInceptionWeights> {
  const { path, searched } = findFidInceptionWeights(options);
  if (!path) {
    const hub = hubDirs(options.env ?? process.env)[0]!;
    throw new Error(
      `loadFidInceptionWeights: ${FID_INCEPTION_FILE} not found (looked at: ${searched.join(', ')}). ` +
        `Download it from the pytorch-fid releases (${FID_INCEPTION_URL}) and put it in ${hub}/, ` +
        'or set RADIX_INCEPTION_WEIGHTS to its path, or pass { path }.',
    );
  }
  const raw = await loadPth(path, options.backend === undefined ? {} : { backend: options.backend });
  const out: FidInceptionWeights = {};
  for (const [key, t] of Object.entries(raw)) {
    const name = checkpointKeyToParameter(key);
    if (name) out[name] = t;
    else t.dispose();
  }
  try {
    validateFidInceptionWeights(out, `loadFidInceptionWeights(${path})`);
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}

/** Value of the formula for one element by the parameter's suffix (README of the reference fixtures). */
function formulaValue(name: string, shape: readonly number[], u: number): number {
  if (name.endsWith('conv.weight')) return u * Math.sqrt(6 / (shape[1]! * shape[2]! * shape[3]!));
  if (name.endsWith('bn.weight')) return 1 + 0.1 * u;
  if (name.endsWith('bn.bias') || name.endsWith('bn.running_mean')) return 0.1 * u;
  if (name.endsWith('bn.running_var')) return 1 + 0.25 * (u + 1);
  if (name === 'fc.weight') return u * Math.sqrt(3 / 2048);
  if (name === 'fc.bias') return 0.01 * u;
  throw new Error(`formulaWeights: no formula for parameter '${name}'`);
}

/**
 * The deterministic "formula weights" of the reference fixtures: key k (sorted names) draws from the 32-bit LCG
 * `s = (k·2654435761 + 12345) mod 2³²`, `s ← (1664525 s + 1013904223) mod 2³²`, `u = 2s/2³² − 1`, scaled by the
 * parameter's rule in float64 and rounded to float32. For architecture tests without the real weights.
 *
 * @example
 * const net = new FidInceptionV3(formulaWeights({ backend: 'cpu' }));
 */
export function formulaWeights(options: { backend?: BackendName | Backend } = {}): FidInceptionWeights {
  const out: FidInceptionWeights = {};
  let k = 0;
  for (const [name, shape] of SHAPES) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    let s = (k * 2654435761 + 12345) % 4294967296;
    for (let i = 0; i < n; i++) {
      s = (1664525 * s + 1013904223) % 4294967296;
      data[i] = formulaValue(name, shape, (s / 4294967296) * 2 - 1);
    }
    out[name] = tensor(data, { shape, ...(options.backend === undefined ? {} : { backend: options.backend }) });
    k++;
  }
  return out;
}
