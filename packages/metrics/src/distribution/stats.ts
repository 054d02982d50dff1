// Mergeable float64 feature statistics (count, mean, unbiased covariance) so FID inputs can be computed in shards and combined.
import { type Features, toMatrix } from './matrix.js';

/** Mean and covariance of a feature set, with the raw sums that make shards mergeable. */
export interface FeatureStats {
  n: number;
  d: number;
  /** Mean, length d. */
  mean: Float64Array;
  /** Unbiased covariance (divided by n − 1; zeros when n = 1), row-major d × d. */
  cov: Float64Array;
  /** Σ x, length d. */
  sum: Float64Array;
  /** Σ x xᵀ, row-major d × d. */
  sumOuter: Float64Array;
}

/** The JSON-serialisable form of {@link FeatureStats} (plain number arrays; float64 values round-trip exactly). */
export interface FeatureStatsJSON {
  format: 'radix-feature-stats';
  version: 1;
  n: number;
  d: number;
  mean: number[];
  cov: number[];
  sum: number[];
  sumOuter: number[];
}

/**
 * Count, mean, unbiased covariance and raw sums of a feature set, all in float64. The covariance is
 * computed two-pass from centred values (as `numpy.cov`), so it is accurate even when the mean is large.
 *
 * @example
 * const s = await featureStats({ data: new Float32Array([0, 0, 2, 2]), n: 2, d: 2 });
 * s.mean; // Float64Array [1, 1]
 */
export async function featureStats(features: Features): Promise<FeatureStats> {
  const { data, n, d } = await toMatrix(features, 'featureStats');
  const sum = new Float64Array(d);
  const comp = new Float64Array(d); // Neumaier compensation for the sums
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const v = data[i * d + j]!;
      const t = sum[j]! + v;
      comp[j]! += Math.abs(sum[j]!) >= Math.abs(v) ? sum[j]! - t + v : v - t + sum[j]!;
      sum[j] = t;
    }
  }
  for (let j = 0; j < d; j++) sum[j]! += comp[j]!;
  const mean = sum.map((s) => s / n);
  // Centred second moment, accumulated over blocks of rows (transposed so each (a, b) term is a contiguous dot).
  const m2 = new Float64Array(d * d);
  const B = 128;
  const ct = new Float64Array(d * B);
  for (let r0 = 0; r0 < n; r0 += B) {
    const rows = Math.min(B, n - r0);
    for (let r = 0; r < rows; r++) {
      const row = (r0 + r) * d;
      for (let j = 0; j < d; j++) ct[j * B + r] = data[row + j]! - mean[j]!;
    }
    // 2 × 2 register blocks over (a, b ≥ a); the diagonal blocks compute one redundant mirrored term.
    for (let a = 0; a < d; a += 2) {
      const a1 = Math.min(a + 1, d - 1);
      const ao = a * B;
      const a1o = a1 * B;
      for (let b = a; b < d; b += 2) {
        const b1 = Math.min(b + 1, d - 1);
        const bo = b * B;
        const b1o = b1 * B;
        let s00 = 0;
        let s01 = 0;
        let s10 = 0;
        let s11 = 0;
        for (let r = 0; r < rows; r++) {
          const x0 = ct[ao + r]!;
          const x1 = ct[a1o + r]!;
          const y0 = ct[bo + r]!;
          const y1 = ct[b1o + r]!;
          s00 += x0 * y0;
          s01 += x0 * y1;
          s10 += x1 * y0;
          s11 += x1 * y1;
        }
        m2[a * d + b]! += s00;
        if (b1 !== b) m2[a * d + b1]! += s01;
        if (a1 !== a && b >= a1) m2[a1 * d + b]! += s10;
        if (a1 !== a && b1 !== b) m2[a1 * d + b1]! += s11;
      }
    }
  }
  symmetrise(m2, d);
  // Σ x xᵀ = M2 + n μ μᵀ (exact identity; kept for consumers that want raw moments)
  const sumOuter = new Float64Array(d * d);
  for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) sumOuter[a * d + b] = m2[a * d + b]! + n * mean[a]! * mean[b]!;
  const cov = n > 1 ? m2.map((v) => v / (n - 1)) : new Float64Array(d * d);
  return { n, d, mean, cov, sum, sumOuter };
}

function symmetrise(m: Float64Array, d: number): void {
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) m[a * d + b] = m[b * d + a]!;
}

/**
 * Statistics of the union of two feature sets from the statistics of each (Chan et al.'s pairwise update of
 * the centred second moment), so shards computed on different processes combine into the whole set's stats.
 *
 * @example
 * const all = mergeFeatureStats(await featureStats(shardA), await featureStats(shardB));
 */
export function mergeFeatureStats(a: FeatureStats, b: FeatureStats): FeatureStats {
  if (a.d !== b.d) throw new Error(`mergeFeatureStats: feature dimensions differ (${a.d} vs ${b.d})`);
  if (a.n < 1 || b.n < 1) throw new Error(`mergeFeatureStats: cannot merge empty statistics (n = ${a.n}, ${b.n})`);
  const { d } = a;
  const n = a.n + b.n;
  const sum = a.sum.map((v, j) => v + b.sum[j]!);
  const sumOuter = a.sumOuter.map((v, j) => v + b.sumOuter[j]!);
  const delta = b.mean.map((v, j) => v - a.mean[j]!);
  const mean = a.mean.map((v, j) => v + (delta[j]! * b.n) / n);
  const w = (a.n * b.n) / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      const m2 = a.cov[k]! * (a.n - 1) + b.cov[k]! * (b.n - 1) + delta[i]! * delta[j]! * w;
      cov[k] = m2 / (n - 1);
    }
  }
  return { n, d, mean, cov, sum, sumOuter };
}

/**
 * The JSON-serialisable form of feature statistics, for writing shards to disk or sending them between processes.
 *
 * @example
 * writeFileSync('shard0.json', JSON.stringify(featureStatsToJSON(stats)));
 */
export function featureStatsToJSON(s: FeatureStats): FeatureStatsJSON {
  return {
    format: 'radix-feature-stats', version: 1, n: s.n, d: s.d,
    mean: Array.from(s.mean), cov: Array.from(s.cov), sum: Array.from(s.sum), sumOuter: Array.from(s.sumOuter),
  };
}

/**
 * Restores statistics written by {@link featureStatsToJSON}, validating sizes and values.
 *
 * @example
 * const stats = featureStatsFromJSON(JSON.parse(readFileSync('shard0.json', 'utf8')));
 */
export function featureStatsFromJSON(j: FeatureStatsJSON): FeatureStats {
  if (!j || j.format !== 'radix-feature-stats' || j.version !== 1) throw new Error('featureStatsFromJSON: not a radix-feature-stats v1 object');
  const { n, d } = j;
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) throw new Error(`featureStatsFromJSON: invalid n=${n}, d=${d}`);
  const arr = (name: 'mean' | 'cov' | 'sum' | 'sumOuter', len: number): Float64Array => {
    const v = j[name];
    if (!Array.isArray(v) || v.length !== len) throw new Error(`featureStatsFromJSON: ${name} must have ${len} values`);
    const out = Float64Array.from(v);
    if (out.some((x) => !Number.isFinite(x))) throw new Error(`featureStatsFromJSON: ${name} contains a non-finite value`);
    return out;
  };
  return { n, d, mean: arr('mean', d), cov: arr('cov', d * d), sum: arr('sum', d), sumOuter: arr('sumOuter', d * d) };
}
