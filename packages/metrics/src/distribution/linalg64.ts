// Float64 dense linear algebra for the Fréchet distance (pivoted Cholesky, Householder tridiagonalisation, implicit QL).
// JS numbers give the same float64 arithmetic scipy uses; these routines are O(d³) with small constants (d = 2048 in seconds).

const EPS = 2.220446049250313e-16;

/** The result of {@link pivotedCholesky}. */
export interface PivotedCholesky {
  /** The factor, d × rank, row-major. */
  l: Float64Array;
  rank: number;
  /**
   * With `defect: true`: what the factor leaves out — the smallest remaining pivot (negative for an indefinite
   * matrix), the largest |entry| of the remaining Schur complement, and the largest diagonal entry of A.
   */
  defect?: { minResidual: number; schurMax: number; maxDiag: number };
}

/**
 * Pivoted Cholesky factor of a symmetric positive semi-definite matrix: `A ≈ L Lᵀ` with L of shape d × r
 * (row-major), stopping at the numerical rank r (remaining pivots ≤ 4·d·ε·max diag). Non-PSD input yields
 * the factor of its leading PSD part; `defect: true` also measures what was left out (O((d − r)²·r)).
 *
 * @example
 * const { l, rank } = pivotedCholesky(new Float64Array([4, 2, 2, 1]), 2); // rank 1, l = [2, 1]
 */
export function pivotedCholesky(a: Float64Array, d: number, options: { defect?: boolean } = {}): PivotedCholesky {
  const residual = new Float64Array(d);
  let maxDiag = 0;
  for (let i = 0; i < d; i++) { residual[i] = a[i * d + i]!; maxDiag = Math.max(maxDiag, residual[i]!); }
  const tol = 4 * d * EPS * maxDiag;
  const used = new Uint8Array(d);
  // rows[i][k] = L[i, k]; rows are contiguous so each update is a contiguous dot product
  const rows: Float64Array[] = Array.from({ length: d }, () => new Float64Array(d));
  let rank = 0;
  for (let j = 0; j < d; j++) {
    let p = -1;
    let best = tol;
    for (let i = 0; i < d; i++) if (!used[i] && residual[i]! > best) { best = residual[i]!; p = i; }
    if (p < 0) break;
    used[p] = 1;
    const piv = Math.sqrt(best);
    const rp = rows[p]!;
    rp[j] = piv;
    for (let i = 0; i < d; i++) {
      if (used[i]) continue;
      const ri = rows[i]!;
      let s = a[i * d + p]!;
      for (let k = 0; k < j; k++) s -= ri[k]! * rp[k]!;
      ri[j] = s / piv;
      residual[i]! -= ri[j]! * ri[j]!;
    }
    rank++;
  }
  const l = new Float64Array(d * rank);
  for (let i = 0; i < d; i++) l.set(rows[i]!.subarray(0, rank), i * rank);
  if (!options.defect) return { l, rank };
  // The part the factor leaves out is the Schur complement S = A − L Lᵀ on the unused indices: A is PSD within
  // ‖S‖ ≤ (d − r)·max|S_ij|, and an indefinite A shows a negative pivot or an off-diagonal |S_ij| above the pivots.
  const rest: number[] = [];
  for (let i = 0; i < d; i++) if (!used[i]) rest.push(i);
  let minResidual = Infinity;
  let schurMax = 0;
  for (let x = 0; x < rest.length; x++) {
    const i = rest[x]!;
    minResidual = Math.min(minResidual, residual[i]!);
    schurMax = Math.max(schurMax, Math.abs(residual[i]!));
    const ri = rows[i]!;
    for (let y = x + 1; y < rest.length; y++) {
      const j = rest[y]!;
      const rj = rows[j]!;
      let v = a[i * d + j]!;
      for (let k = 0; k < rank; k++) v -= ri[k]! * rj[k]!;
      schurMax = Math.max(schurMax, Math.abs(v));
    }
  }
  return { l, rank, defect: { minResidual: rest.length ? minResidual : 0, schurMax, maxDiag } };
}

/**
 * Eigenvalues (ascending) of a symmetric matrix: Householder reduction to tridiagonal form, then the implicit
 * QL iteration with Wilkinson-style shifts. Only the lower triangle of the working copy is trusted.
 *
 * @example
 * symmetricEigenvalues(new Float64Array([2, 1, 1, 2]), 2); // Float64Array [1, 3]
 */
export function symmetricEigenvalues(m: Float64Array, n: number): Float64Array {
  if (m.length !== n * n) throw new Error(`symmetricEigenvalues: expected ${n * n} values, got ${m.length}`);
  const a = Float64Array.from(m);
  const diag = new Float64Array(n);
  const off = new Float64Array(n); // off[i] couples i and i+1; off[n-1] = 0
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Householder vector for x = a[k+1:, k] (Golub & Van Loan, alg. 5.1.1)
    const x0 = a[(k + 1) * n + k]!;
    let sigma = 0;
    for (let i = k + 2; i < n; i++) sigma += a[i * n + k]! ** 2;
    if (sigma === 0) { off[k] = x0; continue; }
    const mu = Math.sqrt(x0 * x0 + sigma);
    const v0 = x0 <= 0 ? x0 - mu : -sigma / (x0 + mu);
    const beta = (2 * v0 * v0) / (sigma + v0 * v0);
    v[k + 1] = 1;
    for (let i = k + 2; i < n; i++) v[i] = a[i * n + k]! / v0;
    off[k] = mu;
    // p = beta · A' v over the trailing block, using the symmetric full block
    let pv = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      const row = i * n;
      for (let j = k + 1; j < n; j++) s += a[row + j]! * v[j]!;
      p[i] = beta * s;
      pv += p[i]! * v[i]!;
    }
    const half = (beta * pv) / 2;
    for (let i = k + 1; i < n; i++) p[i] = p[i]! - half * v[i]!; // w
    for (let i = k + 1; i < n; i++) {
      const vi = v[i]!;
      const wi = p[i]!;
      const row = i * n;
      for (let j = k + 1; j < n; j++) a[row + j]! -= vi * p[j]! + wi * v[j]!;
    }
  }
  for (let i = 0; i < n; i++) diag[i] = a[i * n + i]!;
  if (n >= 2) off[n - 2] = a[(n - 1) * n + (n - 2)]!;
  off[n - 1] = 0;
  tridiagonalQl(diag, off, n);
  return diag.sort();
}

/** Implicit QL on a symmetric tridiagonal matrix (diag, off); eigenvalues are left in `diag`. */
function tridiagonalQl(d: Float64Array, e: Float64Array, n: number): void {
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= EPS * dd) break;
      }
      if (m === l) break;
      if (++iter > 200) throw new Error('symmetricEigenvalues: QL iteration did not converge');
      let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
      let r = Math.hypot(g, 1);
      g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let pp = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i]!;
        const b = c * e[i]!;
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) { d[i + 1]! -= pp; e[m] = 0; underflow = true; break; }
        s = f / r;
        c = g / r;
        g = d[i + 1]! - pp;
        r = (d[i]! - g) * s + 2 * c * b;
        pp = s * r;
        d[i + 1] = g + pp;
        g = c * r - b;
      }
      if (underflow) continue;
      d[l]! -= pp;
      e[l] = g;
      e[m] = 0;
    }
  }
}

/**
 * Σ_i sqrt(max(λ_i, 0)) over the eigenvalues of A·B for symmetric PSD A and B — i.e. tr sqrtm(A B) — via
 * A = L Lᵀ (pivoted Cholesky) and the eigenvalues of the symmetric r × r matrix Lᵀ B L, which equal the
 * non-zero eigenvalues of A B. `factorA` reuses a factor of A already computed (e.g. by validateCovariance).
 *
 * @example
 * traceSqrtProduct(new Float64Array([1, 0, 0, 4]), new Float64Array([4, 0, 0, 1]), 2); // 4
 */
export function traceSqrtProduct(a: Float64Array, b: Float64Array, d: number, factorA?: { l: Float64Array; rank: number }): number {
  const { l, rank: r } = factorA ?? pivotedCholesky(a, d);
  if (r === 0) return 0;
  // t = B L (d × r)
  const t = new Float64Array(d * r);
  for (let i = 0; i < d; i++) {
    const trow = i * r;
    for (let k = 0; k < d; k++) {
      const bik = b[i * d + k]!;
      if (bik === 0) continue;
      const lrow = k * r;
      for (let j = 0; j < r; j++) t[trow + j]! += bik * l[lrow + j]!;
    }
  }
  // c = Lᵀ t (r × r), lower triangle computed then mirrored
  const c = new Float64Array(r * r);
  for (let k = 0; k < d; k++) {
    const lrow = k * r;
    const trow = k * r;
    for (let i = 0; i < r; i++) {
      const lki = l[lrow + i]!;
      if (lki === 0) continue;
      const crow = i * r;
      for (let j = 0; j <= i; j++) c[crow + j]! += lki * t[trow + j]!;
    }
  }
  for (let i = 0; i < r; i++) for (let j = 0; j < i; j++) c[j * r + i] = c[i * r + j]!;
  let trace = 0;
  for (const x of symmetricEigenvalues(c, r)) trace += Math.sqrt(Math.max(x, 0));
  return trace;
}
