// Fréchet (Inception) distance between two Gaussian feature summaries in float64, matching pytorch-fid's calculate_frechet_distance.
import { pivotedCholesky, traceSqrtProduct } from './linalg64.js';
import type { FeatureStats } from './stats.js';

/** Largest accepted |Σij − Σji| and |Schur remainder|, relative to the largest variance: float32-rounded statistics pass. */
const SYMMETRY_TOL = 1e-6;
const PSD_TOL = 1e-5;

/**
 * Checks that a covariance is symmetric and positive semi-definite within float tolerance, as any covariance of real
 * features is; throws an Error naming the set, the entries and the tolerance otherwise. Returns the symmetrised
 * matrix's pivoted Cholesky factor (reused by the distance).
 *
 * @example
 * validateCovariance('frechetDistance', 'first', stats.cov, stats.d);
 */
export function validateCovariance(fn: string, which: string, cov: Float64Array, d: number): { l: Float64Array; rank: number } {
  let maxDiag = 0;
  for (let i = 0; i < d; i++) {
    const v = cov[i * d + i]!;
    if (v < 0) throw new Error(`${fn}: the ${which} covariance has a negative variance (Σ[${i}][${i}] = ${v}); a covariance matrix is positive semi-definite — were the statistics built or edited by hand?`);
    maxDiag = Math.max(maxDiag, v);
  }
  const scale = maxDiag > 0 ? maxDiag : 1;
  let worst = 0;
  let wi = 0;
  let wj = 0;
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const e = Math.abs(cov[i * d + j]! - cov[j * d + i]!);
      if (e > worst) { worst = e; wi = i; wj = j; }
    }
  }
  if (worst > SYMMETRY_TOL * scale) {
    throw new Error(
      `${fn}: the ${which} covariance is not symmetric: Σ[${wi}][${wj}] = ${cov[wi * d + wj]} but Σ[${wj}][${wi}] = ${cov[wj * d + wi]} ` +
        `(|difference| ${worst.toExponential(3)} > ${SYMMETRY_TOL} × the largest variance ${maxDiag}); a covariance matrix is symmetric — were the statistics built or edited by hand?`,
    );
  }
  const sym = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) sym[i * d + j] = 0.5 * (cov[i * d + j]! + cov[j * d + i]!);
  const { l, rank, defect } = pivotedCholesky(sym, d, { defect: true });
  if (defect!.schurMax > PSD_TOL * scale) {
    const how = defect!.minResidual < -PSD_TOL * scale
      ? `a pivoted Cholesky factorisation meets the negative pivot ${defect!.minResidual.toExponential(3)} after ${rank} steps`
      : `a pivoted Cholesky factorisation stops at rank ${rank} with an indefinite remainder of size ${defect!.schurMax.toExponential(3)}`;
    throw new Error(
      `${fn}: the ${which} covariance is not positive semi-definite: ${how} (tolerance ${PSD_TOL} × the largest variance ${maxDiag}), ` +
        'so it has a negative eigenvalue; a covariance of real features never does — were the statistics built or edited by hand?',
    );
  }
  return { l, rank };
}

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
 * Both covariances must be symmetric and positive semi-definite within float tolerance ({@link validateCovariance}):
 * hand-built or corrupted statistics throw instead of giving a meaningless (even negative) number.
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
  const factor1 = validateCovariance('frechetDistance', 'first', stats1.cov, d);
  validateCovariance('frechetDistance', 'second', stats2.cov, d);
  let diff2 = 0;
  for (let j = 0; j < d; j++) diff2 += (stats1.mean[j]! - stats2.mean[j]!) ** 2;
  let tr1 = 0;
  let tr2 = 0;
  for (let j = 0; j < d; j++) { tr1 += stats1.cov[j * d + j]!; tr2 += stats2.cov[j * d + j]!; }
  let trace = traceSqrtProduct(stats1.cov, stats2.cov, d, factor1);
  if (!Number.isFinite(trace)) {
    const s1 = Float64Array.from(stats1.cov);
    const s2 = Float64Array.from(stats2.cov);
    for (let j = 0; j < d; j++) { s1[j * d + j]! += eps; s2[j * d + j]! += eps; }
    trace = traceSqrtProduct(s1, s2, d);
  }
  return diff2 + tr1 + tr2 - 2 * trace;
}
