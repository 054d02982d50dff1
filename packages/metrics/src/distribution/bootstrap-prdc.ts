// Bootstrap intervals of precision/recall and density/coverage: each replicate rebuilds the k-NN balls on the distinct
// points of the resampled sets (a copy of a point is not its own neighbour) and counts with multiplicities.
import { type BootstrapOptions, type BootstrapResult, bootstrapInterval } from './bootstrap.js';
import { type Features, toMatrix } from './matrix.js';
import { RandomState } from './mt19937.js';
import { ResampleEngine } from './resample-engine.js';

/** Options of {@link prdcBootstrap}. */
export interface PrdcBootstrapOptions extends BootstrapOptions {
  /** Neighbours for precision/recall (default 3) and density/coverage (default 5). */
  prK?: number;
  dcK?: number;
}

/** Intervals of the four k-NN metrics. */
export interface PrdcBootstrapResult {
  precision: BootstrapResult;
  recall: BootstrapResult;
  density: BootstrapResult;
  coverage: BootstrapResult;
}

/** Squared k-th nearest-neighbour distance of each distinct point among the other distinct points (Infinity if too few). */
function kthRadii(d2: Float64Array, n: number, idx: number[], k: number): Float64Array {
  const out = new Float64Array(n).fill(Infinity);
  const buf = new Float64Array(k);
  for (const a of idx) {
    buf.fill(Infinity);
    for (const b of idx) {
      if (b === a) continue;
      const v = d2[a * n + b]!;
      if (v >= buf[k - 1]!) continue;
      let p = k - 1;
      while (p > 0 && buf[p - 1]! > v) { buf[p] = buf[p - 1]!; p--; }
      buf[p] = v;
    }
    out[a] = buf[k - 1]!;
  }
  return out;
}

function counts(rng: RandomState, n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[rng.interval(n - 1)]! += 1;
  return w;
}

/**
 * Bootstrap intervals of precision, recall (Kynkäänniemi et al. 2019) and density, coverage (Naeem et al. 2020).
 * The estimates are the full-set values of the `prdc` definitions (strict `<` against the k-th neighbour radius);
 * in a replicate, the balls are those of the resample's distinct points and every count is weighted by how often
 * each point was drawn. Distances come from the (float32 by default) Gram matrices, so a pair within float32
 * rounding of a radius may be decided differently from precisionRecall's exact check. Default interval: percentile.
 *
 * @example
 * const r = await prdcBootstrap(realFeats, fakeFeats, { seed: 5 });
 * r.precision.ci; // { low, high, … }
 */
export async function prdcBootstrap(real: Features, fake: Features, options: PrdcBootstrapOptions = {}): Promise<PrdcBootstrapResult> {
  const fn = 'prdcBootstrap';
  const reps = options.reps ?? 200;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(reps) || reps < 2) throw new Error(`${fn}: reps must be an integer ≥ 2, got ${String(options.reps)}`);
  if (!(level > 0 && level < 1)) throw new Error(`${fn}: level must be in (0, 1), got ${String(options.level)}`);
  const prK = options.prK ?? 3;
  const dcK = options.dcK ?? 5;
  for (const [name, k] of [['prK', prK], ['dcK', dcK]] as const) if (!Number.isInteger(k) || k < 1) throw new Error(`${fn}: ${name} must be a positive integer, got ${k}`);
  const x = await toMatrix(real, fn, 'real features');
  const y = await toMatrix(fake, fn, 'fake features');
  if (x.d !== y.d) throw new Error(`${fn}: feature dimensions differ (${x.d} vs ${y.d})`);
  const kMax = Math.max(prK, dcK);
  if (x.n <= kMax || y.n <= kMax) throw new Error(`${fn}: each set needs more than k = ${kMax} samples (got ${x.n} real, ${y.n} fake)`);
  const engine = await ResampleEngine.create(x, y, { grams: true, compute: options.compute ?? 'gpu', ...(options.backend ? { backend: options.backend } : {}) });
  const { rr, ff, rf } = engine.squaredDistances();
  const n1 = x.n;
  const n2 = y.n;
  const evaluate = (w1: Float64Array, w2: Float64Array): [number, number, number, number] => {
    const i1: number[] = [];
    const i2: number[] = [];
    for (let a = 0; a < n1; a++) if (w1[a]! > 0) i1.push(a);
    for (let b = 0; b < n2; b++) if (w2[b]! > 0) i2.push(b);
    const rPr = kthRadii(rr, n1, i1, prK);
    const fPr = kthRadii(ff, n2, i2, prK);
    const rDc = prK === dcK ? rPr : kthRadii(rr, n1, i1, dcK);
    let s1 = 0;
    let s2 = 0;
    for (const a of i1) s1 += w1[a]!;
    for (const b of i2) s2 += w2[b]!;
    let precision = 0;
    let density = 0;
    for (const b of i2) {
      let inside = false;
      let count = 0;
      for (const a of i1) {
        const d = rf[a * n2 + b]!;
        if (d < rPr[a]!) inside = true;
        if (d < rDc[a]!) count += w1[a]!;
      }
      if (inside) precision += w2[b]!;
      density += w2[b]! * count;
    }
    let recall = 0;
    let coverage = 0;
    for (const a of i1) {
      let hit = false;
      let covered = false;
      for (const b of i2) {
        const d = rf[a * n2 + b]!;
        if (d < fPr[b]!) hit = true;
        if (d < rDc[a]!) covered = true;
        if (hit && covered) break;
      }
      if (hit) recall += w1[a]!;
      if (covered) coverage += w1[a]!;
    }
    return [precision / s2, recall / s1, density / (dcK * s2), coverage / s1];
  };
  const est = evaluate(new Float64Array(n1).fill(1), new Float64Array(n2).fill(1));
  const rng = new RandomState(seed);
  const reps4 = [0, 1, 2, 3].map(() => new Float64Array(reps));
  for (let i = 0; i < reps; i++) {
    const v = evaluate(counts(rng, n1), counts(rng, n2));
    for (let m = 0; m < 4; m++) reps4[m]![i] = v[m]!;
    options.onProgress?.(i + 1, reps);
  }
  const method = options.method ?? 'percentile';
  const mk = (m: number): BootstrapResult => ({ estimate: est[m]!, ci: bootstrapInterval(est[m]!, reps4[m]!, { level, method, seed }), replicates: reps4[m]! });
  return { precision: mk(0), recall: mk(1), density: mk(2), coverage: mk(3) };
}
