// Numeric comparison with PyTorch-style tolerances that reports the worst absolute and relative error.

/** Result of {@link compare}. */
export interface CompareResult {
  ok: boolean;
  maxAbs: number;
  maxRel: number;
  /** Index of the worst element (by how far it is outside tolerance), -1 when none. */
  worst: number;
}

/**
 * Checks `|a - b| <= atol + rtol * |b|` elementwise (torch.allclose; NaN equals NaN when both are NaN).
 *
 * @example
 * compare(await y.data(), expected, { rtol: 1e-4, atol: 1e-5 }).ok;
 */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol?: number; atol?: number } = {}): CompareResult {
  const rtol = tol.rtol ?? 1e-4;
  const atol = tol.atol ?? 1e-5;
  for (const [name, v] of [['actual', actual], ['expected', expected]] as const) {
    // A Tensor (or anything without a numeric length) would otherwise compare as "equal" with zero elements.
    if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
      throw new TypeError(`compare: ${name} must be an array of numbers (read a tensor with await t.data()), got ${v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v}`);
    }
  }
  if (actual.length !== expected.length) return { ok: false, maxAbs: Infinity, maxRel: Infinity, worst: -1 };
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstExcess = 0;
  let ok = true;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const b = expected[i]!;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (!(Number.isNaN(a) && Number.isNaN(b))) {
        ok = false;
        worst = i;
        worstExcess = Infinity;
      }
      continue;
    }
    if (a === b) continue;
    const d = Math.abs(a - b);
    if (!Number.isFinite(d)) {
      ok = false;
      worst = i;
      worstExcess = Infinity;
      maxAbs = Infinity;
      continue;
    }
    maxAbs = Math.max(maxAbs, d);
    if (b !== 0) maxRel = Math.max(maxRel, d / Math.abs(b));
    const excess = d - (atol + rtol * Math.abs(b));
    if (excess > 0) {
      ok = false;
      if (excess > worstExcess) {
        worstExcess = excess;
        worst = i;
      }
    }
  }
  return { ok, maxAbs, maxRel, worst };
}

/**
 * Throws a descriptive error unless `actual` is close to `expected`; returns the errors for logging.
 *
 * @example
 * expectClose(await y.data(), [1, 2, 3], { atol: 1e-6 }, 'relu');
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: { rtol?: number; atol?: number } = {}, label = 'values'): CompareResult {
  const r = compare(actual, expected, tol);
  if (!r.ok) {
    const i = r.worst;
    const detail = actual.length !== expected.length
      ? `length ${actual.length} vs expected ${expected.length}`
      : `worst at [${i}]: got ${actual[i]}, expected ${expected[i]}`;
    throw new Error(`${label}: not close (rtol ${tol.rtol ?? 1e-4}, atol ${tol.atol ?? 1e-5}); max abs ${r.maxAbs.toExponential(3)}, max rel ${r.maxRel.toExponential(3)}; ${detail}`);
  }
  return r;
}
