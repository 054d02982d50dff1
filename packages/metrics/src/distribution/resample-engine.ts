// Exact FID, unbiased MMD² and k-NN statistics of *weighted* real/fake sets (weights = how often each sample is drawn),
// from Gram matrices computed once: what the bootstrap (resampling with replacement) and FID∞ (subsets) evaluate
// hundreds of times without touching the features again.
import type { Backend } from '@radix/tensor-webgpu';
import { forEachGramChunk } from './gram.js';
import type { FeatureMatrix } from './matrix.js';
import { symmetricEigenvalues, traceSqrtProduct } from './linalg64.js';

type Mat = { data: Float64Array; n: number; d: number };

/** How the Gram matrices are computed: float32 matmul on a backend (fast, ~1e-6 relative), or float64 in JS (exact). */
export type GramCompute = 'gpu' | 'float64';

/** Row means of `x`. */
function meanOf(x: Mat): Float64Array {
  const m = new Float64Array(x.d);
  for (let i = 0; i < x.n; i++) for (let c = 0; c < x.d; c++) m[c]! += x.data[i * x.d + c]!;
  for (let c = 0; c < x.d; c++) m[c]! /= x.n;
  return m;
}

function centred(x: Mat, m: Float64Array): Float64Array {
  const out = new Float64Array(x.data.length);
  for (let i = 0; i < x.n; i++) for (let c = 0; c < x.d; c++) out[i * x.d + c] = x.data[i * x.d + c]! - m[c]!;
  return out;
}

/** a[i]·v for every row i. */
function project(a: Float64Array, n: number, d: number, v: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < d; c++) s += a[i * d + c]! * v[c]!;
    out[i] = s;
  }
  return out;
}

/** x yᵀ (n × m) in float64, or by float32 matmul on `backend`. */
async function gram(x: Float64Array, n: number, y: Float64Array, m: number, d: number, compute: GramCompute, backend: Backend | undefined): Promise<Float64Array> {
  const out = new Float64Array(n * m);
  if (compute === 'float64') {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let c = 0; c < d; c++) s += x[i * d + c]! * y[j * d + c]!;
        out[i * m + j] = s;
      }
    }
    return out;
  }
  await forEachGramChunk(x, n, y, m, d, backend, (r0, rows, dots) => {
    for (let i = 0; i < rows * m; i++) out[r0 * m + i] = dots[i]!;
  });
  return out;
}

/** Options of {@link ResampleEngine.create}. */
export interface ResampleEngineOptions {
  /** Default 'gpu' (float32 Gram matrices of the centred features); 'float64' for exact values. */
  compute?: GramCompute;
  backend?: Backend;
  /**
   * Compute the Gram matrices (needed by the MMD², the distances and the sample-space FID). Default: only when the
   * dimension exceeds half the smaller set (otherwise the FID works in feature space, O(n·d²) per evaluation).
   */
  grams?: boolean;
}

/**
 * Gram matrices of the centred real (X̃ = X − m₁) and fake (Ỹ = Y − m₂) features plus a few projections, from which
 * the FID, the unbiased MMD² and pairwise distances of any resample with multiplicities w follow exactly:
 * e.g. the resampled mean offset δ₁ = Σ wₐ x̃ₐ / n gives (xₐ − m₁*)·(y_b − m₂*) = G̃₁₂[a,b] − x̃ₐ·δ₂ − δ₁·ỹ_b + δ₁·δ₂,
 * all from G̃. Centring first keeps the float32 Gram accurate (no large means to cancel).
 */
export class ResampleEngine {
  private constructor(
    readonly n1: number, readonly n2: number, readonly d: number, readonly hasGrams: boolean,
    /** Centred features (for the feature-space FID when d is small). */
    private readonly xc: Float64Array, private readonly yc: Float64Array,
    private readonly g11: Float64Array, private readonly g22: Float64Array, private readonly g12: Float64Array,
    /** (m₁ − m₂)·x̃ₐ, (m₁ − m₂)·ỹ_b, ‖m₁ − m₂‖²; x̃ₐ·m₁, x̃ₐ·m₂, ỹ_b·m₁, ỹ_b·m₂ and the mean products (uncentred dots). */
    private readonly p1: Float64Array, private readonly p2: Float64Array, private readonly dm2: number,
    private readonly x1m1: Float64Array, private readonly x1m2: Float64Array, private readonly y2m1: Float64Array, private readonly y2m2: Float64Array,
    private readonly m11: number, private readonly m12: number, private readonly m22: number,
  ) {}

  /**
   * Builds the engine from float64 feature matrices (one Gram pass: O((n₁ + n₂)² d)).
   *
   * @example
   * const e = await ResampleEngine.create(real, fake, { compute: 'float64' });
   * e.fid(ones(real.n), ones(fake.n)); // = frechetDistance(featureStats(real), featureStats(fake))
   */
  static async create(realIn: FeatureMatrix, fakeIn: FeatureMatrix, options: ResampleEngineOptions = {}): Promise<ResampleEngine> {
    const f64 = (m: FeatureMatrix): Mat => ({ n: m.n, d: m.d, data: m.data instanceof Float64Array ? m.data : Float64Array.from(m.data) });
    const real = f64(realIn);
    const fake = f64(fakeIn);
    if (real.d !== fake.d) throw new Error(`ResampleEngine: feature dimensions differ (${real.d} vs ${fake.d})`);
    const compute = options.compute ?? 'gpu';
    const d = real.d;
    const m1 = meanOf(real);
    const m2 = meanOf(fake);
    const xc = centred(real, m1);
    const yc = centred(fake, m2);
    const withGrams = options.grams ?? d > Math.min(real.n, fake.n) / 2;
    const none = new Float64Array(0);
    const g11 = withGrams ? await gram(xc, real.n, xc, real.n, d, compute, options.backend) : none;
    const g22 = withGrams ? await gram(yc, fake.n, yc, fake.n, d, compute, options.backend) : none;
    const g12 = withGrams ? await gram(xc, real.n, yc, fake.n, d, compute, options.backend) : none;
    const dm = m1.map((v, c) => v - m2[c]!);
    let dm2 = 0;
    let m11 = 0;
    let m12 = 0;
    let m22 = 0;
    for (let c = 0; c < d; c++) {
      dm2 += dm[c]! ** 2;
      m11 += m1[c]! * m1[c]!;
      m12 += m1[c]! * m2[c]!;
      m22 += m2[c]! * m2[c]!;
    }
    return new ResampleEngine(
      real.n, fake.n, d, withGrams, xc, yc, g11, g22, g12,
      project(xc, real.n, d, dm), project(yc, fake.n, d, dm), dm2,
      project(xc, real.n, d, m1), project(xc, real.n, d, m2), project(yc, fake.n, d, m1), project(yc, fake.n, d, m2),
      m11, m12, m22,
    );
  }

  /** Σ wᵢ, and the weighted means of row i of `g` (as G̃·w / Σw) — the projections x̃·δ. */
  private static offsets(g: Float64Array, rows: number, cols: number, w: ArrayLike<number>, total: number): Float64Array {
    const out = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      let s = 0;
      for (let j = 0; j < cols; j++) s += g[i * cols + j]! * w[j]!;
      out[i] = s / total;
    }
    return out;
  }

  private static dotW(v: Float64Array, w: ArrayLike<number>, total: number): number {
    let s = 0;
    for (let i = 0; i < v.length; i++) s += v[i]! * w[i]!;
    return s / total;
  }

  /**
   * FID of the real set weighted by `w1` and the fake set weighted by `w2` (non-negative integer multiplicities,
   * each summing to ≥ 2), exactly as pytorch-fid would compute it on the resampled sets (unbiased covariances).
   * tr sqrtm(Σ₁Σ₂) is Σ of the singular values of the weighted centred cross-products (sample space) or, when the
   * dimension is smaller than the number of distinct samples, from the d × d covariances.
   *
   * @example
   * const f = engine.fid(w1, w2);
   */
  fid(w1: ArrayLike<number>, w2: ArrayLike<number>): number {
    const { n1, n2, d } = this;
    const s1 = sum(w1);
    const s2 = sum(w2);
    if (s1 < 2 || s2 < 2) throw new Error('ResampleEngine.fid: each set needs at least 2 samples');
    const i1 = nonzero(w1);
    const i2 = nonzero(w2);
    if (!this.hasGrams || d <= Math.min(i1.length, i2.length)) return this.featureSpaceFid(w1, s1, w2, s2);
    // δ₁·x̃ₐ, δ₂·ỹ_b, δ₁·ỹ_b, δ₂·x̃ₐ and the δ products
    const a11 = ResampleEngine.offsets(this.g11, n1, n1, w1, s1); // x̃ₐ·δ₁
    const a22 = ResampleEngine.offsets(this.g22, n2, n2, w2, s2); // ỹ_b·δ₂
    const a12 = ResampleEngine.offsets(this.g12, n1, n2, w2, s2); // x̃ₐ·δ₂
    const a21 = new Float64Array(n2); // ỹ_b·δ₁
    for (let a = 0; a < n1; a++) {
      const wa = w1[a]!;
      if (wa === 0) continue;
      for (let b = 0; b < n2; b++) a21[b]! += (wa * this.g12[a * n2 + b]!) / s1;
    }
    const d11 = ResampleEngine.dotW(a11, w1, s1);
    const d22 = ResampleEngine.dotW(a22, w2, s2);
    const d12 = ResampleEngine.dotW(a12, w1, s1);
    const mean2 = this.dm2 + 2 * (ResampleEngine.dotW(this.p1, w1, s1) - ResampleEngine.dotW(this.p2, w2, s2)) + d11 + d22 - 2 * d12;
    let tr1 = 0;
    for (let a = 0; a < n1; a++) tr1 += w1[a]! * (this.g11[a * n1 + a]! - 2 * a11[a]! + d11);
    tr1 /= s1 - 1;
    let tr2 = 0;
    for (let b = 0; b < n2; b++) tr2 += w2[b]! * (this.g22[b * n2 + b]! - 2 * a22[b]! + d22);
    tr2 /= s2 - 1;
    // C[a, b] = √(wₐ w_b) (xₐ − m₁*)·(y_b − m₂*); tr sqrtm(Σ₁Σ₂) = Σ σ(C) / √((n₁−1)(n₂−1)).
    {
      const u = i1.length;
      const v = i2.length;
      const c = new Float64Array(u * v);
      for (let p = 0; p < u; p++) {
        const a = i1[p]!;
        const sa = Math.sqrt(w1[a]!);
        for (let q = 0; q < v; q++) {
          const b = i2[q]!;
          c[p * v + q] = sa * Math.sqrt(w2[b]!) * (this.g12[a * n2 + b]! - a12[a]! - a21[b]! + d12);
        }
      }
      return mean2 + tr1 + tr2 - 2 * (nuclearNorm(c, u, v) / Math.sqrt((s1 - 1) * (s2 - 1)));
    }
  }

  /** The FID from the weighted means and d × d covariances of the centred features (O(n·d²)). */
  private featureSpaceFid(w1: ArrayLike<number>, s1: number, w2: ArrayLike<number>, s2: number): number {
    const { d } = this;
    const [c1, o1] = this.covariance(this.xc, w1, s1);
    const [c2, o2] = this.covariance(this.yc, w2, s2);
    // m₁* − m₂* = (m₁ − m₂) + δ₁ − δ₂, and (m₁ − m₂)·δ₁ = Σ wₐ p1ₐ / s₁.
    let mean2 = this.dm2 + 2 * (ResampleEngine.dotW(this.p1, w1, s1) - ResampleEngine.dotW(this.p2, w2, s2));
    for (let c = 0; c < d; c++) mean2 += (o1[c]! - o2[c]!) ** 2;
    let tr = 0;
    for (let c = 0; c < d; c++) tr += c1[c * d + c]! + c2[c * d + c]!;
    return mean2 + tr - 2 * traceSqrtProduct(c1, c2, d);
  }

  /** The unbiased covariance of the weighted centred rows (d × d) and their weighted mean (the offset δ). */
  private covariance(xc: Float64Array, w: ArrayLike<number>, total: number): [Float64Array, Float64Array] {
    const d = this.d;
    const n = w.length;
    const m = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) m[c]! += w[i]! * xc[i * d + c]!;
    for (let c = 0; c < d; c++) m[c]! /= total;
    const cov = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const wi = w[i]!;
      if (wi === 0) continue;
      for (let p = 0; p < d; p++) {
        const dp = xc[i * d + p]! - m[p]!;
        for (let q = p; q < d; q++) cov[p * d + q]! += wi * dp * (xc[i * d + q]! - m[q]!);
      }
    }
    for (let p = 0; p < d; p++) for (let q = p; q < d; q++) { cov[p * d + q]! /= total - 1; cov[q * d + p] = cov[p * d + q]!; }
    return [cov, m];
  }

  private needGrams(op: string): void {
    if (!this.hasGrams) throw new Error(`ResampleEngine.${op}: built without Gram matrices (create with { grams: true })`);
  }

  /** Uncentred inner products xₐ·xₐ', y_b·y_b', xₐ·y_b from the centred Grams (built with `grams: true`). */
  dotRealReal(a: number, b: number): number { return this.g11[a * this.n1 + b]! + this.x1m1[a]! + this.x1m1[b]! + this.m11; }
  dotFakeFake(a: number, b: number): number { return this.g22[a * this.n2 + b]! + this.y2m2[a]! + this.y2m2[b]! + this.m22; }
  dotRealFake(a: number, b: number): number { return this.g12[a * this.n2 + b]! + this.x1m2[a]! + this.y2m1[b]! + this.m12; }

  /** Squared Euclidean distances (real–real, fake–fake, real–fake), row-major. */
  squaredDistances(): { rr: Float64Array; ff: Float64Array; rf: Float64Array } {
    this.needGrams('squaredDistances');
    const { n1, n2 } = this;
    const rr = new Float64Array(n1 * n1);
    for (let a = 0; a < n1; a++) for (let b = 0; b < n1; b++) rr[a * n1 + b] = Math.max(0, this.g11[a * n1 + a]! + this.g11[b * n1 + b]! - 2 * this.g11[a * n1 + b]!);
    const ff = new Float64Array(n2 * n2);
    for (let a = 0; a < n2; a++) for (let b = 0; b < n2; b++) ff[a * n2 + b] = Math.max(0, this.g22[a * n2 + a]! + this.g22[b * n2 + b]! - 2 * this.g22[a * n2 + b]!);
    const rf = new Float64Array(n1 * n2);
    for (let a = 0; a < n1; a++) {
      for (let b = 0; b < n2; b++) {
        rf[a * n2 + b] = Math.max(0, this.g11[a * n1 + a]! + this.g22[b * n2 + b]! + this.dm2 - 2 * this.g12[a * n2 + b]! + 2 * this.p1[a]! - 2 * this.p2[b]!);
      }
    }
    return { rr, ff, rf };
  }
}

function sum(w: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i]!;
  return s;
}

function nonzero(w: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < w.length; i++) if (w[i]! > 0) out.push(i);
  return out;
}

/** Σ singular values of the u × v matrix c: Σ √λ over the eigenvalues of the smaller of c cᵀ and cᵀ c. */
function nuclearNorm(c: Float64Array, u: number, v: number): number {
  const k = Math.min(u, v);
  const m = new Float64Array(k * k);
  if (u <= v) {
    for (let i = 0; i < u; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let q = 0; q < v; q++) s += c[i * v + q]! * c[j * v + q]!;
        m[i * k + j] = s;
        m[j * k + i] = s;
      }
    }
  } else {
    for (let i = 0; i < v; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let p = 0; p < u; p++) s += c[p * v + i]! * c[p * v + j]!;
        m[i * k + j] = s;
        m[j * k + i] = s;
      }
    }
  }
  let total = 0;
  for (const x of symmetricEigenvalues(m, k)) total += Math.sqrt(Math.max(x, 0));
  return total;
}
