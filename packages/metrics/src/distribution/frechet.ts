// Fréchet (Inception) distance between two Gaussian feature summaries in float64, matching pytorch-fid's calculate_frechet_distance.
import { traceSqrtProduct } from './linalg64.js';
import type { FeatureStats } from './stats.js';

/** Options of {@link frechetDistance}. */
export interface FrechetOptions {
  /** Diagonal offset added to both covariances when tr sqrtm(Σ1Σ2) comes out non-finite (pytorch-fid's retry). Default 1e-6. */
  eps?: number;
}

let warnedSmallN = false;

/**
 * Fréchet distance ‖μ1 − μ2‖² + tr Σ1 + tr Σ2 − 2 tr sqrtm(Σ1 Σ2) in float64, as pytorch-fid computes FID.
 * tr sqrtm(Σ1 Σ2) is the sum of square roots of the eigenvalues of the symmetric matrix Lᵀ Σ2 L (Σ1 = L Lᵀ by
 * pivoted Cholesky; same non-zero eigenvalues as Σ1 Σ2), which is the quantity scipy's `sqrtm` approximates
 * without its complex round-off; it stays finite for singular (rank-deficient)
 * covariances, where scipy may fail. As in pytorch-fid, a non-finite result is retried with `eps·I` added to both
 * covariances (the traces of Σ1, Σ2 stay unoffset).
 * Warns once when a set has fewer samples than feature dimensions (the covariance is then rank-deficient).
 *
 * @example
 * const fid = frechetDistance(await featureStats(real), await featureStats(fake));
 */
export function frechetDistance(stats1: FeatureStats, stats2: FeatureStats, options: FrechetOptions = {}): number {
  const eps = options.eps ?? 1e-6;
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`frechetDistance: eps must be a finite number ≥ 0, got ${eps}`);
  if (stats1.d !== stats2.d) throw new Error(`frechetDistance: feature dimensions differ (${stats1.d} vs ${stats2.d})`);
  const { d } = stats1;
  for (const [k, s] of [['first', stats1], ['second', stats2]] as const) {
    if (s.n < 2) throw new Error(`frechetDistance: the ${k} set has ${s.n} sample(s); a covariance needs at least 2`);
    if (s.mean.length !== d || s.cov.length !== d * d) throw new Error(`frechetDistance: the ${k} statistics have inconsistent sizes`);
    if (s.mean.some((x) => !Number.isFinite(x)) || s.cov.some((x) => !Number.isFinite(x))) throw new Error(`frechetDistance: the ${k} statistics contain non-finite values`);
    if (s.n < d && !warnedSmallN) {
      warnedSmallN = true;
      console.warn(`frechetDistance: only ${s.n} samples for ${d} feature dimensions; the covariance is singular and FID is unreliable`);
    }
  }
  let diff2 = 0;
  for (let j = 0; j < d; j++) diff2 += (stats1.mean[j]! - stats2.mean[j]!) ** 2;
  let tr1 = 0;
  let tr2 = 0;
  for (let j = 0; j < d; j++) { tr1 += stats1.cov[j * d + j]!; tr2 += stats2.cov[j * d + j]!; }
  let trace = traceSqrtProduct(stats1.cov, stats2.cov, d);
  if (!Number.isFinite(trace)) {
    const s1 = Float64Array.from(stats1.cov);
    const s2 = Float64Array.from(stats2.cov);
    for (let j = 0; j < d; j++) { s1[j * d + j]! += eps; s2[j * d + j]! += eps; }
    trace = traceSqrtProduct(s1, s2, d);
  }
  return diff2 + tr1 + tr2 - 2 * trace;
}
