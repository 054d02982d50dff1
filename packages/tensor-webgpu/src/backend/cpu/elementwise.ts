// CPU elementwise kernels: the unary/binary rule tables in plain JS (double precision, rounded on store).
import type { BinaryOp, UnaryOp } from '../backend.js';
import { erf64, erfc64 } from './erf.js';

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

function softplus(x: number, beta: number, threshold: number): number {
  return x * beta > threshold ? x : Math.log1p(Math.exp(beta * x)) / beta;
}

/** JS definition of every unary op; `a`/`b` are the op's alpha/beta parameters. */
export const UNARY_CPU: { [K in UnaryOp]: (x: number, a: number, b: number) => number } = {
  neg: (x) => -x,
  abs: Math.abs,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  exp: Math.exp,
  exp2: (x) => 2 ** x,
  log: Math.log,
  log2: Math.log2,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  reciprocal: (x) => 1 / x,
  square: (x) => x * x,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  erf: erf64,
  erfc: erfc64,
  floor: Math.floor,
  ceil: Math.ceil,
  round: (x) => {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r; // half to even, like torch.round
  },
  trunc: Math.trunc,
  frac: (x) => x - Math.trunc(x),
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
  relu: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  leakyRelu: (x, a) => (x >= 0 ? x : a * x),
  elu: (x, a) => (x > 0 ? x : a * Math.expm1(x)),
  selu: (x) => SELU_SCALE * (x > 0 ? x : SELU_ALPHA * Math.expm1(x)),
  silu: (x) => x / (1 + Math.exp(-x)),
  mish: (x) => x * Math.tanh(softplus(x, 1, 20)),
  // x·Φ(x) through erfc, so the negative tail keeps its relative precision.
  geluErf: (x) => 0.5 * x * erfc64(-x / Math.SQRT2),
  // ½x(1 + tanh u) = x·σ(2u), without the cancellation of 1 + tanh u for x < 0.
  geluTanh: (x) => {
    const u2 = 2 * 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return u2 >= 0 ? x / (1 + Math.exp(-u2)) : (x * Math.exp(u2)) / (1 + Math.exp(u2));
  },
  softplus,
  hardtanh: (x, a, b) => Math.min(Math.max(x, a), b),
  hardsigmoid: (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1),
  hardswish: (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
  logicalNot: (x) => (x === 0 ? 1 : 0),
  isnan: (x) => (Number.isNaN(x) ? 1 : 0),
  isinf: (x) => (x === Infinity || x === -Infinity ? 1 : 0),
  isfinite: (x) => (Number.isFinite(x) ? 1 : 0),
  nanToNum: (x, a, b) => (Number.isNaN(x) ? 0 : x === Infinity ? b : x === -Infinity ? a : x),
  powScalar: (x, a) => x ** a,
  addScalar: (x, a) => x + a,
  mulScalar: (x, a) => x * a,
  clamp: (x, a, b) => (Number.isNaN(x) ? x : Math.min(Math.max(x, a), b)),
  bitwiseNot: (x) => ~x,
};

/** JS definition of every binary op. Integer ops receive integers; comparisons return 0/1. */
export const BINARY_CPU: { [K in BinaryOp]: (a: number, b: number, int: boolean) => number } = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b, int) => (int ? Math.imul(a, b) : a * b),
  div: (a, b, int) => (int ? (b === 0 ? 0 : Math.trunc(a / b)) : a / b),
  pow: (a, b) => a ** b,
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b)),
  atan2: Math.atan2,
  remainder: (a, b, int) => (int && b === 0 ? 0 : a - Math.floor(a / b) * b),
  fmod: (a, b, int) => (int && b === 0 ? 0 : a % b),
  floorDivide: (a, b, int) => (int && b === 0 ? 0 : Math.floor(a / b)),
  eq: (a, b) => (a === b ? 1 : 0),
  ne: (a, b) => (a !== b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  logicalAnd: (a, b) => (a !== 0 && b !== 0 ? 1 : 0),
  logicalOr: (a, b) => (a !== 0 || b !== 0 ? 1 : 0),
  logicalXor: (a, b) => ((a !== 0) !== (b !== 0) ? 1 : 0),
  bitwiseAnd: (a, b) => a & b,
  bitwiseOr: (a, b) => a | b,
  bitwiseXor: (a, b) => a ^ b,
};

const K_TANH = 0.7978845608028654;
const sigmoid64 = UNARY_CPU.sigmoid;

/** f'(x) of the activations with a one-pass backward, the formulas of their rules in ops/unary-grad.ts (float64). */
export const UNARY_BACKWARD_CPU: Record<'silu' | 'geluErf' | 'geluTanh' | 'leakyRelu', (x: number, a: number) => number> = {
  silu: (x) => sigmoid64(x, 0, 0) * (x * sigmoid64(-x, 0, 0) + 1),
  leakyRelu: (x, a) => (x > 0 ? 1 : a),
  geluErf: (x) => 0.5 * erfc64(-x * Math.SQRT1_2) + x * (Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI)),
  geluTanh: (x) => {
    const xc = Number.isNaN(x) ? x : Math.min(Math.max(x, -20), 20);
    const x2 = xc * xc;
    const u2 = (x2 * 0.044715 + 1) * xc * 2 * K_TANH;
    const du2 = (x2 * 3 * 0.044715 + 1) * 2 * K_TANH;
    const s = sigmoid64(u2, 0, 0);
    return s + xc * du2 * s * sigmoid64(-u2, 0, 0);
  },
};
