// Precision/recall (Kynkäänniemi et al. 2019) and density/coverage (Naeem et al. 2020) on k-NN balls, distances on the GPU.
import type { Backend } from '@radix/tensor-webgpu';
import { forEachGramChunk } from './gram.js';
import { type Features, toMatrix } from './matrix.js';

/** Options of {@link precisionRecall} and {@link densityCoverage}. */
export interface NearestNeighbourOptions {
  /** Neighbourhood size k (default 3 for precision/recall, 5 for density/coverage). */
  k?: number;
  /** Backend for the pairwise inner products (default: the current backend). */
  backend?: Backend;
}

type Mat = { data: Float64Array; n: number; d: number };

function norms(x: Mat): Float64Array {
  const out = new Float64Array(x.n);
  for (let i = 0; i < x.n; i++) {
    let s = 0;
    for (let c = 0; c < x.d; c++) s += x.data[i * x.d + c]! ** 2;
    out[i] = s;
  }
  return out;
}

/** Exact float64 Euclidean distance between row i of x and row j of y. */
function dist(x: Mat, i: number, y: Mat, j: number): number {
  let s = 0;
  const d = x.d;
  for (let c = 0; c < d; c++) { const t = x.data[i * d + c]! - y.data[j * d + c]!; s += t * t; }
  return Math.sqrt(s);
}

/** Bound on |float32-matmul squared distance − exact| relative to |x|² + |y|² (generous: ambiguous pairs are recomputed exactly). */
function relMargin(d: number): number {
  return Math.max(1e-4, 8 * d * 6e-8);
}

/** Smallest `k` values of `a` (ascending), by insertion into a short sorted buffer. */
function kSmallest(a: ArrayLike<number>, len: number, k: number): number {
  const buf = new Float64Array(k).fill(Infinity);
  for (let j = 0; j < len; j++) {
    const v = a[j]!;
    if (v >= buf[k - 1]!) continue;
    let p = k - 1;
    while (p > 0 && buf[p - 1]! > v) { buf[p] = buf[p - 1]!; p--; }
    buf[p] = v;
  }
  return buf[k - 1]!;
}

/**
 * Euclidean distance of every row to its k-th nearest neighbour in the same set (self excluded, i.e. the
 * (k+1)-th smallest distance counting the zero to itself), exact in float64: GPU float32 distances select
 * candidates within a rigorous error margin, and the candidates are re-measured in float64.
 */
async function kthNeighbourRadii(x: Mat, k: number, backend: Backend | undefined): Promise<Float64Array> {
  const { n, d } = x;
  const nrm = norms(x);
  const rel = relMargin(d);
  const radii = new Float64Array(n);
  const upper = new Float64Array(n);
  const approx = new Float64Array(n);
  await forEachGramChunk(x.data, n, x.data, n, d, backend, (r0, rows, dots) => {
    for (let r = 0; r < rows; r++) {
      const i = r0 + r;
      for (let j = 0; j < n; j++) {
        const m = rel * (nrm[i]! + nrm[j]!) + 1e-30;
        approx[j] = i === j ? 0 : Math.max(0, nrm[i]! + nrm[j]! - 2 * dots[r * n + j]!);
        upper[j] = i === j ? 0 : approx[j]! + m;
      }
      const bound = kSmallest(upper, n, k + 1);
      const exact: number[] = [];
      for (let j = 0; j < n; j++) {
        if (j === i) { exact.push(0); continue; }
        if (approx[j]! - rel * (nrm[i]! + nrm[j]!) <= bound) exact.push(dist(x, i, x, j));
      }
      exact.sort((a, b) => a - b);
      radii[i] = exact[k]!;
    }
  });
  return radii;
}

interface PairCounts { precision: number; recall: number; density: number; coverage: number }

async function prdcCounts(realIn: Features, fakeIn: Features, k: number, backend: Backend | undefined, fn: string): Promise<PairCounts> {
  const real = await toMatrix(realIn, fn, 'real features');
  const fake = await toMatrix(fakeIn, fn, 'fake features');
  if (real.d !== fake.d) throw new Error(`${fn}: feature dimensions differ (${real.d} vs ${fake.d})`);
  if (!Number.isInteger(k) || k < 1) throw new Error(`${fn}: k must be a positive integer, got ${k}`);
  if (real.n <= k || fake.n <= k) throw new Error(`${fn}: each set needs more than k = ${k} samples (got ${real.n} real, ${fake.n} fake)`);
  const realR = await kthNeighbourRadii(real, k, backend);
  const fakeR = await kthNeighbourRadii(fake, k, backend);
  const nr = norms(real);
  const nf = norms(fake);
  const rel = relMargin(real.d);
  const m = fake.n;
  const precisionHit = new Uint8Array(m);
  const densityCount = new Float64Array(m);
  const coverageHit = new Uint8Array(real.n);
  const recallHit = new Uint8Array(real.n);
  // Is the true distance strictly below radius r? Decided from the float32 value when clear, else exactly.
  const below = (approx: number, margin: number, r: number, i: number, j: number): boolean => {
    const r2 = r * r;
    if (approx + margin < r2 * (1 - 1e-12)) return true;
    if (approx - margin > r2 * (1 + 1e-12)) return false;
    return dist(real, i, fake, j) < r;
  };
  await forEachGramChunk(real.data, real.n, fake.data, m, real.d, backend, (r0, rows, dots) => {
    for (let r = 0; r < rows; r++) {
      const i = r0 + r;
      for (let j = 0; j < m; j++) {
        const approx = Math.max(0, nr[i]! + nf[j]! - 2 * dots[r * m + j]!);
        const margin = rel * (nr[i]! + nf[j]!) + 1e-30;
        if (below(approx, margin, realR[i]!, i, j)) {
          precisionHit[j] = 1;
          densityCount[j]! += 1;
          coverageHit[i] = 1;
        }
        if (!recallHit[i] && below(approx, margin, fakeR[j]!, i, j)) recallHit[i] = 1;
      }
    }
  });
  const mean = (a: ArrayLike<number>): number => { let s = 0; for (let t = 0; t < a.length; t++) s += a[t]!; return s / a.length; };
  return { precision: mean(precisionHit), recall: mean(recallHit), density: mean(densityCount) / k, coverage: mean(coverageHit) };
}

/**
 * Improved precision and recall (Kynkäänniemi et al. 2019) as the `prdc` package computes them: precision is the
 * fraction of fake samples inside some real sample's k-NN ball (distance strictly below its k-th neighbour
 * distance); recall the fraction of real samples inside some fake sample's ball. Pairwise distances come from a
 * chunked matmul on the backend; every decision near a ball's boundary is re-checked in float64, so the counts
 * equal a float64 reference's.
 *
 * @example
 * const { precision, recall } = await precisionRecall(realFeats, fakeFeats, { k: 3 });
 */
export async function precisionRecall(real: Features, fake: Features, options: NearestNeighbourOptions = {}): Promise<{ precision: number; recall: number }> {
  const c = await prdcCounts(real, fake, options.k ?? 3, options.backend, 'precisionRecall');
  return { precision: c.precision, recall: c.recall };
}

/**
 * Density and coverage (Naeem et al. 2020) as the `prdc` package computes them: density = (1/k)·mean over fake
 * samples of how many real k-NN balls contain it; coverage = fraction of real samples whose ball contains at
 * least one fake sample. Same GPU distances and exact boundary checks as {@link precisionRecall}.
 *
 * @example
 * const { density, coverage } = await densityCoverage(realFeats, fakeFeats, { k: 5 });
 */
export async function densityCoverage(real: Features, fake: Features, options: NearestNeighbourOptions = {}): Promise<{ density: number; coverage: number }> {
  const c = await prdcCounts(real, fake, options.k ?? 5, options.backend, 'densityCoverage');
  return { density: c.density, coverage: c.coverage };
}
