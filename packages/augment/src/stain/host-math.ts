// Small float64 host-side linear algebra for the stain code: 3×3 symmetric eigen-decomposition, inverses and
// numpy-style percentiles. Stain statistics are a handful of numbers, so they are computed on the host.

/** A row-major 3×3 matrix. */
export type Mat3 = number[][];

/**
 * Eigen-decomposition of a symmetric 3×3 matrix by cyclic Jacobi rotations. Returns eigenvalues in ascending
 * order and the matching unit eigenvectors as the columns of `vectors` (like numpy.linalg.eigh).
 *
 * @example
 * const { values, vectors } = eigSym3([[2, 0, 0], [0, 1, 0], [0, 0, 3]]); // values [1, 2, 3]
 */
export function eigSym3(m: Mat3): { values: number[]; vectors: Mat3 } {
  const a = m.map((r) => r.slice());
  const v: Mat3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  for (let sweep = 0; sweep < 60; sweep++) {
    const off = a[0]![1]! ** 2 + a[0]![2]! ** 2 + a[1]![2]! ** 2;
    if (off < 1e-30) break;
    for (const [p, q] of [[0, 1], [0, 2], [1, 2]] as const) {
      const apq = a[p]![q]!;
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[q]![q]! - a[p]![p]!) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        const akp = a[k]![p]!;
        const akq = a[k]![q]!;
        a[k]![p] = c * akp - s * akq;
        a[k]![q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[p]![k]!;
        const aqk = a[q]![k]!;
        a[p]![k] = c * apk - s * aqk;
        a[q]![k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[k]![p]!;
        const vkq = v[k]![q]!;
        v[k]![p] = c * vkp - s * vkq;
        v[k]![q] = s * vkp + c * vkq;
      }
    }
  }
  const order = [0, 1, 2].sort((i, j) => a[i]![i]! - a[j]![j]!);
  return { values: order.map((i) => a[i]![i]!), vectors: [0, 1, 2].map((r) => order.map((i) => v[r]![i]!)) };
}

/**
 * Inverse of a 3×3 matrix (throws when singular).
 *
 * @example
 * invert3([[2, 0, 0], [0, 4, 0], [0, 0, 1]]); // [[0.5, 0, 0], [0, 0.25, 0], [0, 0, 1]]
 */
export function invert3(m: Mat3): Mat3 {
  const [[a, b, c], [d, e, f], [g, h, i]] = m as [[number, number, number], [number, number, number], [number, number, number]];
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-300) throw new Error('invert3: matrix is singular');
  return [
    [A / det, -(b * i - c * h) / det, (b * f - c * e) / det],
    [B / det, (a * i - c * g) / det, -(a * f - c * d) / det],
    [C / det, -(a * h - b * g) / det, (a * e - b * d) / det],
  ];
}

/**
 * The q-th percentile (0–100) of `values` with numpy's default linear interpolation. Sorts a copy.
 *
 * @example
 * percentile(Float64Array.from([1, 2, 3, 4]), 50); // 2.5
 */
export function percentile(values: Float64Array, q: number): number {
  if (values.length === 0) throw new Error('percentile: empty input');
  const s = Float64Array.from(values).sort();
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
