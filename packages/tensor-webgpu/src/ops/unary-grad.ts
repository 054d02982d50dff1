// Backward rules of every unary primitive, written in tensor ops (so they differentiate again): one exhaustive table.
import type { UnaryBackwardOp, UnaryOp } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { empty } from './util.js';
import { add, clamp, div, eq, ge, gt, le, logicalAnd, lt, mul, pow, sub, where } from './elementwise.js';
import { abs, cos, cosh, erfc, exp, exp2, neg, reciprocal, rsqrt, sigmoid, sign, sin, sinh, square, tanh, softplus } from './unary.js';

/** A unary rule: gradient w.r.t. x from the output gradient `g`, the input `x`, the output `y` and the op's alpha/beta. */
type UnaryRule = ((g: Tensor, x: Tensor, y: Tensor, a: number, b: number) => Tensor) | null;

const mask = (g: Tensor, m: Tensor): Tensor => where(m, g, 0);

/**
 * `g·f'(x)` in one backend pass (the same formula as `composite`) when the gradient itself needs no graph, i.e. no
 * `createGraph`; otherwise `composite()`, written in differentiable ops, so double backward still works.
 */
function onePass(op: UnaryBackwardOp, g: Tensor, x: Tensor, alpha: number, composite: () => Tensor): Tensor {
  if (isGradEnabled() || g.dtype !== 'float32' || x.dtype !== 'float32' || g.backend !== x.backend || g.shape.length !== x.shape.length || g.shape.some((d, i) => d !== x.shape[i])) {
    return composite();
  }
  const out = empty(op, x.backend, x.shape, 'float32');
  x.backend.unaryBackward(op, g.buf(op), x.buf(op), out.buf(op), x.size, alpha);
  return out;
}
const K_TANH = 0.7978845608028654;
/** (1 − x)(1 + x): 1 − x² without its cancellation near |x| = 1. */
const oneMinusSquare = (x: Tensor): Tensor => mul(sub(1, x), add(x, 1));
/** sech² x = 1/cosh² x (0 where cosh overflows), not 1 − tanh² x, which cancels for |x| > 4. */
const sech2 = (x: Tensor): Tensor => square(reciprocal(cosh(x)));
/** `near` for |x| ≤ 2⁶⁰, 1/|x| beyond (where x² + 1 and x² − 1 overflow float32 but their rsqrt is 1/|x|). */
const hugeAware = (x: Tensor, near: Tensor): Tensor => {
  const ax = abs(x);
  return where(gt(ax, 2 ** 60), reciprocal(ax), near);
};

/** `null` marks ops whose derivative is zero or undefined everywhere it matters (rounding, predicates). */
export const UNARY_GRAD: { [K in UnaryOp]: UnaryRule } = {
  neg: (g) => mul(g, -1),
  abs: (g, x) => mul(g, sign(x)),
  sign: null,
  exp: (g, _x, y) => mul(g, y),
  // 2^x·ln2; above x = 127 from 2^(x−1) (exact shift) so it stays finite where 2^x alone overflows.
  exp2: (g, x, y) => mul(g, where(gt(x, 127), mul(exp2(sub(x, 1)), 2 * Math.LN2), mul(y, Math.LN2))),
  log: (g, x) => div(g, x),
  log2: (g, x) => div(g, mul(x, Math.LN2)),
  log1p: (g, x) => div(g, add(x, 1)),
  expm1: (g, x) => mul(g, exp(x)),
  sqrt: (g, _x, y) => div(g, mul(y, 2)),
  rsqrt: (g, _x, y) => mul(g, mul(mul(square(y), -0.5), y)),
  reciprocal: (g, _x, y) => mul(g, mul(square(y), -1)),
  square: (g, x) => mul(g, mul(x, 2)),
  sin: (g, x) => mul(g, cos(x)),
  cos: (g, x) => mul(g, mul(sin(x), -1)),
  tan: (g, _x, y) => mul(g, add(square(y), 1)),
  asin: (g, x) => mul(g, rsqrt(oneMinusSquare(x))),
  acos: (g, x) => mul(g, mul(rsqrt(oneMinusSquare(x)), -1)),
  atan: (g, x) => div(g, add(square(x), 1)),
  sinh: (g, x) => mul(g, cosh(x)),
  cosh: (g, x) => mul(g, sinh(x)),
  tanh: (g, x) => mul(g, sech2(x)),
  asinh: (g, x) => mul(g, hugeAware(x, rsqrt(add(square(x), 1)))),
  acosh: (g, x) => mul(g, hugeAware(x, rsqrt(mul(sub(x, 1), add(x, 1))))),
  atanh: (g, x) => div(g, oneMinusSquare(x)),
  erf: (g, x) => mul(g, mul(exp(mul(square(x), -1)), 2 / Math.sqrt(Math.PI))),
  erfc: (g, x) => mul(g, mul(exp(mul(square(x), -1)), -2 / Math.sqrt(Math.PI))),
  floor: null,
  ceil: null,
  round: null,
  trunc: null,
  frac: (g) => g,
  sigmoid: (g, x, y) => mul(g, mul(y, sigmoid(neg(x)))),
  relu: (g, x) => mask(g, gt(x, 0)),
  relu6: (g, x) => mask(g, logicalAnd(gt(x, 0), lt(x, 6))),
  leakyRelu: (g, x, _y, a) => onePass('leakyRelu', g, x, a, () => mul(g, where(gt(x, 0), 1, a))),
  elu: (g, x, _y, a) => mul(g, where(gt(x, 0), 1, mul(exp(x), a))),
  selu: (g, x) => mul(g, where(gt(x, 0), 1.0507009873554805, mul(exp(x), 1.0507009873554805 * 1.6732632423543772))),
  // σ(x)(1 + x·σ(−x)): 1 − σ(x) is σ(−x), which keeps its precision for large x.
  silu: (g, x) => onePass('silu', g, x, 0, () => mul(g, mul(sigmoid(x), add(mul(x, sigmoid(neg(x))), 1)))),
  // tanh(sp) + x·sech²(sp)·σ(x), sp = softplus(x); sech² from cosh rather than 1 − tanh².
  mish: (g, x) => {
    const sp = softplus(x);
    return mul(g, add(tanh(sp), mul(mul(x, sech2(sp)), sigmoid(x))));
  },
  // Φ(x) + x·φ(x) with Φ(x) = ½erfc(−x/√2), exact in the negative tail.
  geluErf: (g, x) => onePass('geluErf', g, x, 0, () => {
    const cdf = mul(erfc(mul(x, -Math.SQRT1_2)), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return mul(g, add(cdf, mul(x, pdf)));
  }),
  // d/dx x·σ(2u) = σ(2u) + 2x·u'·σ(2u)σ(−2u): no 1 − tanh² cancellation; |x| > 20 clamped (the second term is 0 there).
  geluTanh: (g, x) => onePass('geluTanh', g, x, 0, () => {
    const xc = clamp(x, -20, 20);
    const x2 = square(xc);
    const u2 = mul(mul(add(mul(x2, 0.044715), 1), xc), 2 * K_TANH);
    const du2 = mul(add(mul(x2, 3 * 0.044715), 1), 2 * K_TANH);
    const s = sigmoid(u2);
    return mul(g, add(s, mul(mul(mul(xc, du2), s), sigmoid(neg(u2)))));
  }),
  softplus: (g, x, _y, beta, threshold) => mul(g, where(gt(mul(x, beta), threshold), 1, sigmoid(mul(x, beta)))),
  hardtanh: (g, x, _y, lo, hi) => mask(g, logicalAnd(gt(x, lo), lt(x, hi))),
  hardsigmoid: (g, x) => mul(mask(g, logicalAnd(gt(x, -3), lt(x, 3))), 1 / 6),
  hardswish: (g, x) => mul(g, where(lt(x, -3), 0, where(le(x, 3), add(mul(x, 1 / 3), 0.5), 1))),
  logicalNot: null,
  isnan: null,
  isinf: null,
  isfinite: null,
  nanToNum: (g) => g,
  // a·x^(a−1); for a < 1 as a·y/x (y = x^a), which neither overflows where x^(a−1) alone would nor carries the
  // rounding of the exponent a − 1 (x = 0 keeps the power form).
  powScalar: (g, x, y, a) => {
    if (a === 0) return mul(g, 0);
    if (a === 1) return g;
    if (a > 1) return mul(g, mul(pow(x, a - 1), a));
    return mul(g, where(eq(x, 0), mul(pow(x, a - 1), a), div(mul(y, a), x)));
  },
  addScalar: (g) => g,
  mulScalar: (g, _x, _y, a) => mul(g, a),
  clamp: (g, x, _y, lo, hi) => mask(g, logicalAnd(ge(x, lo), le(x, hi))),
  bitwiseNot: null,
};
