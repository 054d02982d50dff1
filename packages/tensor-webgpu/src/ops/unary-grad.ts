// Backward rules of every unary primitive, written in tensor ops (so they differentiate again): one exhaustive table.
import type { UnaryOp } from '../backend/backend.js';
import type { Tensor } from '../tensor.js';
import { add, div, ge, gt, le, logicalAnd, lt, mul, pow, sub, where } from './elementwise.js';
import { cos, cosh, exp, rsqrt, sigmoid, sign, sin, sinh, square, tanh, erf, softplus } from './unary.js';

/** A unary rule: gradient w.r.t. x from the output gradient `g`, the input `x`, the output `y` and the op's alpha/beta. */
type UnaryRule = ((g: Tensor, x: Tensor, y: Tensor, a: number, b: number) => Tensor) | null;

const mask = (g: Tensor, m: Tensor): Tensor => where(m, g, 0);
const K_TANH = 0.7978845608028654;

/** `null` marks ops whose derivative is zero or undefined everywhere it matters (rounding, predicates). */
export const UNARY_GRAD: { [K in UnaryOp]: UnaryRule } = {
  neg: (g) => mul(g, -1),
  abs: (g, x) => mul(g, sign(x)),
  sign: null,
  exp: (g, _x, y) => mul(g, y),
  exp2: (g, _x, y) => mul(g, mul(y, Math.LN2)),
  log: (g, x) => div(g, x),
  log2: (g, x) => div(g, mul(x, Math.LN2)),
  log1p: (g, x) => div(g, add(x, 1)),
  expm1: (g, _x, y) => mul(g, add(y, 1)),
  sqrt: (g, _x, y) => div(g, mul(y, 2)),
  rsqrt: (g, _x, y) => mul(g, mul(mul(y, square(y)), -0.5)),
  reciprocal: (g, _x, y) => mul(g, mul(square(y), -1)),
  square: (g, x) => mul(g, mul(x, 2)),
  sin: (g, x) => mul(g, cos(x)),
  cos: (g, x) => mul(g, mul(sin(x), -1)),
  tan: (g, _x, y) => mul(g, add(square(y), 1)),
  asin: (g, x) => mul(g, rsqrt(sub(1, square(x)))),
  acos: (g, x) => mul(g, mul(rsqrt(sub(1, square(x))), -1)),
  atan: (g, x) => div(g, add(square(x), 1)),
  sinh: (g, x) => mul(g, cosh(x)),
  cosh: (g, x) => mul(g, sinh(x)),
  tanh: (g, _x, y) => mul(g, sub(1, square(y))),
  asinh: (g, x) => mul(g, rsqrt(add(square(x), 1))),
  acosh: (g, x) => mul(g, rsqrt(sub(square(x), 1))),
  atanh: (g, x) => div(g, sub(1, square(x))),
  erf: (g, x) => mul(g, mul(exp(mul(square(x), -1)), 2 / Math.sqrt(Math.PI))),
  floor: null,
  ceil: null,
  round: null,
  trunc: null,
  frac: (g) => g,
  sigmoid: (g, _x, y) => mul(g, mul(y, sub(1, y))),
  relu: (g, x) => mask(g, gt(x, 0)),
  relu6: (g, x) => mask(g, logicalAnd(gt(x, 0), lt(x, 6))),
  leakyRelu: (g, x, _y, a) => mul(g, where(gt(x, 0), 1, a)),
  elu: (g, x, y, a) => mul(g, where(gt(x, 0), 1, add(y, a))),
  selu: (g, x) => mul(g, where(gt(x, 0), 1.0507009873554805, mul(exp(x), 1.0507009873554805 * 1.6732632423543772))),
  silu: (g, x) => {
    const s = sigmoid(x);
    return mul(g, mul(s, add(mul(x, sub(1, s)), 1)));
  },
  mish: (g, x) => {
    const t = tanh(softplus(x));
    return mul(g, add(t, mul(mul(x, sub(1, square(t))), sigmoid(x))));
  },
  geluErf: (g, x) => {
    const cdf = mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5);
    const pdf = mul(exp(mul(square(x), -0.5)), 1 / Math.sqrt(2 * Math.PI));
    return mul(g, add(cdf, mul(x, pdf)));
  },
  geluTanh: (g, x) => {
    const x2 = square(x);
    const t = tanh(mul(add(x, mul(mul(x2, x), 0.044715)), K_TANH));
    const inner = mul(add(mul(x2, 3 * 0.044715), 1), K_TANH);
    return mul(g, add(mul(add(t, 1), 0.5), mul(mul(mul(x, sub(1, square(t))), inner), 0.5)));
  },
  softplus: (g, x, _y, beta, threshold) => mul(g, where(gt(mul(x, beta), threshold), 1, sigmoid(mul(x, beta)))),
  hardtanh: (g, x, _y, lo, hi) => mask(g, logicalAnd(gt(x, lo), lt(x, hi))),
  hardsigmoid: (g, x) => mul(mask(g, logicalAnd(gt(x, -3), lt(x, 3))), 1 / 6),
  hardswish: (g, x) => mul(g, where(lt(x, -3), 0, where(le(x, 3), add(mul(x, 1 / 3), 0.5), 1))),
  logicalNot: null,
  isnan: null,
  isinf: null,
  isfinite: null,
  nanToNum: (g) => g,
  powScalar: (g, x, _y, a) => (a === 0 ? mul(g, 0) : a === 1 ? g : mul(g, mul(pow(x, a - 1), a))),
  addScalar: (g) => g,
  mulScalar: (g, _x, _y, a) => mul(g, a),
  clamp: (g, x, _y, lo, hi) => mask(g, logicalAnd(ge(x, lo), le(x, hi))),
  bitwiseNot: null,
};
