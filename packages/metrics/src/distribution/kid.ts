// Kernel Inception Distance: torch-fidelity's unbiased MMD² with a polynomial kernel, averaged over seeded random subsets.
import type { Backend } from '@radix/tensor-webgpu';
import { forEachGramChunk } from './gram.js';
import { type Features, toMatrix } from './matrix.js';
import { RandomState } from './mt19937.js';

/** Options of {@link kid}; defaults are torch-fidelity's. */
export interface KidOptions {
  /** Number of subsets (default 100). */
  subsets?: number;
  /** Samples per subset (default 1000); must not exceed either set's size. */
  subsetSize?: number;
  /** Polynomial degree (default 3). */
  degree?: number;
  /** Kernel scale γ (default 1/d). */
  gamma?: number;
  /** Kernel offset (default 1). */
  coef0?: number;
  /** Seed of the NumPy-compatible subset draws (default 2020, torch-fidelity's `rng_seed`). */
  seed?: number;
  /** Explicit subset indices (overrides `seed`/`subsets`), e.g. to replay a Python run. */
  indices?: { real: ArrayLike<number>[]; fake: ArrayLike<number>[] };
  /** `'gpu'` (default): inner products by float32 matmul on the backend, kernel and sums in float64. `'float64'`: everything in float64 on the CPU (exact, slow for large d). */
  compute?: 'gpu' | 'float64';
  /** Backend for `'gpu'` (default: the current backend). */
  backend?: Backend;
}

/**
 * The subset indices torch-fidelity draws: `rng = np.random.RandomState(seed)` then, per subset,
 * `rng.choice(nReal, size, replace=False)` followed by `rng.choice(nFake, size, replace=False)`.
 *
 * @example
 * const { real, fake } = kidSubsetIndices(5000, 5000, 100, 1000, 2020);
 */
export function kidSubsetIndices(nReal: number, nFake: number, subsets: number, subsetSize: number, seed: number): { real: Int32Array[]; fake: Int32Array[] } {
  if (subsetSize > nReal || subsetSize > nFake) {
    throw new Error(`kidSubsetIndices: subsetSize ${subsetSize} exceeds the number of samples (${nReal} real, ${nFake} fake)`);
  }
  const rng = new RandomState(seed);
  const real: Int32Array[] = [];
  const fake: Int32Array[] = [];
  for (let s = 0; s < subsets; s++) {
    real.push(rng.choice(nReal, subsetSize));
    fake.push(rng.choice(nFake, subsetSize));
  }
  return { real, fake };
}

function gather(x: Float64Array, d: number, idx: ArrayLike<number>, n: number, fn: string): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r]!;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`${fn}: subset index ${i} out of range [0, ${n})`);
    out.set(x.subarray(i * d, (i + 1) * d), r * d);
  }
  return out;
}

async function kernelSums(
  x: Float64Array, y: Float64Array, m: number, d: number, k: (dot: number) => number, dropDiag: boolean,
  opts: KidOptions,
): Promise<number> {
  let total = 0;
  if (opts.compute === 'float64') {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) {
        if (dropDiag && i === j) continue;
        let dot = 0;
        for (let c = 0; c < d; c++) dot += x[i * d + c]! * y[j * d + c]!;
        total += k(dot);
      }
    }
    return total;
  }
  await forEachGramChunk(x, m, y, m, d, opts.backend, (r0, rows, dots) => {
    for (let r = 0; r < rows; r++) {
      let rowSum = 0;
      for (let j = 0; j < m; j++) if (!(dropDiag && r0 + r === j)) rowSum += k(dots[r * m + j]!);
      total += rowSum;
    }
  });
  return total;
}

/**
 * Kernel Inception Distance as torch-fidelity computes it: for each subset, the unbiased MMD²
 * (Σ_{i≠j} k(xᵢ,xⱼ) + Σ_{i≠j} k(yᵢ,yⱼ)) / (m(m−1)) − 2 Σ k(xᵢ,yⱼ) / m² with k(x,y) = (γ x·y + coef0)^degree;
 * returns the mean and the population standard deviation (np.std, ddof 0) over subsets.
 *
 * @example
 * const { mean, std } = await kid(realFeats, fakeFeats, { subsets: 10, subsetSize: 100 });
 */
export async function kid(featsReal: Features, featsFake: Features, options: KidOptions = {}): Promise<{ mean: number; std: number; values: Float64Array }> {
  const real = await toMatrix(featsReal, 'kid', 'real features');
  const fake = await toMatrix(featsFake, 'kid', 'fake features');
  if (real.d !== fake.d) throw new Error(`kid: feature dimensions differ (${real.d} vs ${fake.d})`);
  const d = real.d;
  const degree = options.degree ?? 3;
  const gamma = options.gamma ?? 1 / d;
  const coef0 = options.coef0 ?? 1;
  if (!Number.isInteger(degree) || degree < 1) throw new Error(`kid: degree must be a positive integer, got ${degree}`);
  if (!Number.isFinite(gamma) || !Number.isFinite(coef0)) throw new Error('kid: gamma and coef0 must be finite');
  let indices = options.indices;
  if (!indices) {
    const subsets = options.subsets ?? 100;
    const size = options.subsetSize ?? 1000;
    if (!Number.isInteger(subsets) || subsets < 1) throw new Error(`kid: subsets must be a positive integer, got ${subsets}`);
    if (!Number.isInteger(size) || size < 2) throw new Error(`kid: subsetSize must be an integer ≥ 2, got ${size}`);
    if (size > real.n || size > fake.n) throw new Error(`kid: subsetSize ${size} is larger than the number of samples (${real.n} real, ${fake.n} fake)`);
    indices = kidSubsetIndices(real.n, fake.n, subsets, size, options.seed ?? 2020);
  }
  if (indices.real.length !== indices.fake.length || indices.real.length === 0) throw new Error('kid: indices.real and indices.fake must be non-empty and of equal length');
  const k = (dot: number): number => (dot * gamma + coef0) ** degree;
  const values = new Float64Array(indices.real.length);
  for (let s = 0; s < values.length; s++) {
    const m = indices.real[s]!.length;
    if (m < 2 || indices.fake[s]!.length !== m) throw new Error(`kid: subset ${s} must have equal real/fake sizes ≥ 2`);
    const x = gather(real.data, d, indices.real[s]!, real.n, 'kid');
    const y = gather(fake.data, d, indices.fake[s]!, fake.n, 'kid');
    const kxx = await kernelSums(x, x, m, d, k, true, options);
    const kyy = await kernelSums(y, y, m, d, k, true, options);
    const kxy = await kernelSums(x, y, m, d, k, false, options);
    values[s] = (kxx + kyy) / (m * (m - 1)) - (2 * kxy) / (m * m);
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let varSum = 0;
  for (const v of values) varSum += (v - mean) ** 2;
  return { mean, std: Math.sqrt(varSum / values.length), values };
}
