// Inception Score from classifier logits, computed like torch-fidelity (float64 softmax, per-split KL, exp of the mean).
import { type Features, toMatrix } from './matrix.js';
import { RandomState } from './mt19937.js';

/** Options of {@link inceptionScore}. */
export interface InceptionScoreOptions {
  /** Number of splits (default 10). */
  splits?: number;
  /** Shuffle rows before splitting with `np.random.RandomState(seed).permutation(n)` as torch-fidelity does (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 2020, torch-fidelity's `rng_seed`). */
  seed?: number;
}

/**
 * Inception Score of `[n × C]` logits (use the unbiased logits, C = 1008 for the FID Inception): rows are
 * shuffled (torch-fidelity's default), cut into `splits` parts `[i·n/splits, (i+1)·n/splits)`, and each part
 * scores exp(mean_x KL(p(y|x) ‖ p(y))) with p(y) the part's mean softmax. Returns the mean and the population
 * standard deviation (np.std, ddof 0) over splits.
 *
 * @example
 * const { mean, std } = await inceptionScore({ data: logits, n: 5000, d: 1008 });
 */
export async function inceptionScore(logits: Features, options: InceptionScoreOptions = {}): Promise<{ mean: number; std: number; values: Float64Array }> {
  const { data, n, d: c } = await toMatrix(logits, 'inceptionScore', 'logits');
  const splits = options.splits ?? 10;
  if (!Number.isInteger(splits) || splits < 1) throw new Error(`inceptionScore: splits must be a positive integer, got ${splits}`);
  if (n < splits) throw new Error(`inceptionScore: ${n} samples cannot fill ${splits} splits`);
  const order = options.shuffle === false ? null : new RandomState(options.seed ?? 2020).permutation(n);
  const values = splitScores(logSoftmaxRows(data, n, c), c, order ?? Int32Array.from({ length: n }, (_, i) => i), splits);
  const mean = values.reduce((a, b) => a + b, 0) / splits;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / splits);
  return { mean, std, values };
}

/** @internal log-softmax of each row of an [n × c] matrix, in float64. */
export function logSoftmaxRows(data: Float64Array, n: number, c: number): Float64Array {
  const logp = new Float64Array(n * c);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let j = 0; j < c; j++) max = Math.max(max, data[r * c + j]!);
    let s = 0;
    for (let j = 0; j < c; j++) s += Math.exp(data[r * c + j]! - max);
    const lse = max + Math.log(s);
    for (let j = 0; j < c; j++) logp[r * c + j] = data[r * c + j]! - lse;
  }
  return logp;
}

/**
 * @internal Per-split scores exp(mean KL(p(y|x) ‖ p(y))) of the rows `order` (in that order) cut into `splits`
 * consecutive parts [i·n/splits, (i+1)·n/splits).
 */
export function splitScores(logp: Float64Array, c: number, order: ArrayLike<number>, splits: number): Float64Array {
  const n = order.length;
  const values = new Float64Array(splits);
  for (let i = 0; i < splits; i++) {
    const lo = Math.floor((i * n) / splits);
    const hi = Math.floor(((i + 1) * n) / splits);
    const q = new Float64Array(c);
    for (let r = lo; r < hi; r++) for (let j = 0; j < c; j++) q[j]! += Math.exp(logp[order[r]! * c + j]!);
    const logq = q.map((v) => Math.log(v / (hi - lo)));
    let klSum = 0;
    for (let r = lo; r < hi; r++) {
      let kl = 0;
      for (let j = 0; j < c; j++) {
        const lp = logp[order[r]! * c + j]!;
        kl += Math.exp(lp) * (lp - logq[j]!);
      }
      klSum += kl;
    }
    values[i] = Math.exp(klSum / (hi - lo));
  }
  return values;
}
