// FID∞ (Chong & Forsyth, "Effectively Unbiased FID and Inception Score and where to find them", CVPR 2020): FID is
// very nearly linear in 1/N, so FIDs of N-sample subsets of the generated set, fitted by a line in 1/N, extrapolate to
// the bias-free value at 1/N = 0. Also the warnings every small-sample report should carry.
import { type Features, toMatrix } from './matrix.js';
import { RandomState } from './mt19937.js';
import { type GramCompute, ResampleEngine } from './resample-engine.js';

/** Options of {@link fidInfinity}. */
export interface FidInfinityOptions {
  /** Number of subset sizes (default 15, as Chong & Forsyth). */
  points?: number;
  /** Smallest subset size (default max(2, ⌈N/5⌉)); the largest is the whole generated set. */
  minSize?: number;
  /** Random subsets averaged per size (default 3; the full size has one). */
  repeats?: number;
  /** Seed of the subset draws (default 0). */
  seed?: number;
  compute?: GramCompute;
}

/** The result of {@link fidInfinity}. */
export interface FidInfinityResult {
  /** The extrapolated FID at 1/N = 0. */
  fidInfinity: number;
  /** Slope of FID in 1/N. */
  slope: number;
  /** The fitted points (N and mean FID over the repeats). */
  points: { n: number; fid: number }[];
  /** Coefficient of determination of the fit. */
  r2: number;
}

/**
 * FID∞: the real set's statistics are kept whole; for `points` sizes N from `minSize` to the generated set's size,
 * spaced evenly in 1/N, the FID against random N-subsets of the generated features (without replacement, seeded) is
 * averaged over `repeats` draws, and an ordinary least-squares line in 1/N gives the intercept. Every FID is exact on
 * its subset (see ResampleEngine). With few images (N below ~100) the extrapolation is itself noisy: report its
 * bootstrap or compare several seeds.
 *
 * @example
 * const { fidInfinity, points } = await fidInfinity(realFeats, fakeFeats, { seed: 1 });
 */
export async function fidInfinity(real: Features, fake: Features, options: FidInfinityOptions = {}): Promise<FidInfinityResult> {
  const fn = 'fidInfinity';
  const x = await toMatrix(real, fn, 'real features');
  const y = await toMatrix(fake, fn, 'fake features');
  if (x.d !== y.d) throw new Error(`${fn}: feature dimensions differ (${x.d} vs ${y.d})`);
  const points = options.points ?? 15;
  const repeats = options.repeats ?? 3;
  const minSize = options.minSize ?? Math.max(2, Math.ceil(y.n / 5));
  if (!Number.isInteger(points) || points < 2) throw new Error(`${fn}: points must be an integer ≥ 2, got ${points}`);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`${fn}: repeats must be a positive integer, got ${repeats}`);
  if (!Number.isInteger(minSize) || minSize < 2 || minSize >= y.n) throw new Error(`${fn}: minSize must be an integer in [2, ${y.n - 1}] (the generated set has ${y.n} samples), got ${minSize}`);
  if (x.n < 2) throw new Error(`${fn}: the real set needs at least 2 samples`);
  const engine = await ResampleEngine.create(x, y, { compute: options.compute ?? 'gpu' });
  const rng = new RandomState(options.seed ?? 0);
  const w1 = new Float64Array(x.n).fill(1);
  const sizes = new Set<number>();
  for (let i = 0; i < points; i++) {
    const inv = 1 / y.n + ((1 / minSize - 1 / y.n) * i) / (points - 1);
    sizes.add(Math.round(1 / inv));
  }
  const out: { n: number; fid: number }[] = [];
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const reps = n === y.n ? 1 : repeats;
    let total = 0;
    for (let r = 0; r < reps; r++) {
      const w2 = new Float64Array(y.n);
      for (const i of rng.choice(y.n, n)) w2[i] = 1;
      total += engine.fid(w1, w2);
    }
    out.push({ n, fid: total / reps });
  }
  // Least squares fid = a + b / n
  const xs = out.map((p) => 1 / p.n);
  const ys = out.map((p) => p.fid);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
    syy += (ys[i]! - my) ** 2;
  }
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return { fidInfinity: intercept, slope, points: out, r2: syy === 0 ? 1 : (sxy * sxy) / (sxx * syy) };
}

/**
 * Warnings about what the sample sizes do to the distribution metrics, in words a report can print: fewer samples
 * than feature dimensions (singular covariances; FID biased upwards roughly ∝ 1/N, Chong & Forsyth 2020), and sets of
 * different sizes (FID's bias depends on both, so it is comparable only at the same sizes).
 *
 * @example
 * sampleSizeWarnings({ nReal: 300, nFake: 500, dim: 2048 });
 */
export function sampleSizeWarnings(o: { nReal: number; nFake: number; dim: number; features?: string }): string[] {
  const out: string[] = [];
  const what = o.features ? `${o.dim}-d ${o.features} features` : `${o.dim}-d features`;
  for (const [name, n] of [['real', o.nReal], ['generated', o.nFake]] as const) {
    if (n < o.dim) {
      out.push(
        `FID: ${n} ${name} images for ${what}: the covariance has rank at most ${n - 1} < ${o.dim}, so FID is dominated by ` +
          'estimation bias, which grows roughly like 1/N (Chong & Forsyth 2020); it is not comparable with FIDs at other N — compare at equal N, or report FID∞ (fidInfinity, --fid-inf) or KID',
      );
    }
  }
  if (o.nReal !== o.nFake) {
    out.push(
      `the real and generated sets differ in size (${o.nReal} vs ${o.nFake}): FID's bias depends on both sizes, so this FID is comparable only ` +
        'with FIDs computed at the same two sizes (KID is unbiased, but its spread still depends on them)',
    );
  }
  return out;
}
