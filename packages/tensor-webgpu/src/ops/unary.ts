// Named unary math functions and activations (the functional forms of torch and torch.nn.functional).
import { Tensor } from '../tensor.js';
import { unaryOp, where } from './elementwise.js';

/** -x. @example neg(x) */ export const neg = (x: Tensor): Tensor => unaryOp('neg', x);
/** |x|. @example abs(x) */ export const abs = (x: Tensor): Tensor => unaryOp('abs', x);
/** Sign (-1, 0, 1). @example sign(x) */ export const sign = (x: Tensor): Tensor => unaryOp('sign', x);
/** e^x. @example exp(x) */ export const exp = (x: Tensor): Tensor => unaryOp('exp', x);
/** 2^x. @example exp2(x) */ export const exp2 = (x: Tensor): Tensor => unaryOp('exp2', x);
/** ln x. @example log(x) */ export const log = (x: Tensor): Tensor => unaryOp('log', x);
/** log2 x. @example log2(x) */ export const log2 = (x: Tensor): Tensor => unaryOp('log2', x);
/** ln(1 + x), accurate near 0. @example log1p(x) */ export const log1p = (x: Tensor): Tensor => unaryOp('log1p', x);
/** e^x − 1, accurate near 0. @example expm1(x) */ export const expm1 = (x: Tensor): Tensor => unaryOp('expm1', x);
/** √x. @example sqrt(x) */ export const sqrt = (x: Tensor): Tensor => unaryOp('sqrt', x);
/** 1/√x. @example rsqrt(x) */ export const rsqrt = (x: Tensor): Tensor => unaryOp('rsqrt', x);
/** 1/x. @example reciprocal(x) */ export const reciprocal = (x: Tensor): Tensor => unaryOp('reciprocal', x);
/** x². @example square(x) */ export const square = (x: Tensor): Tensor => unaryOp('square', x);
/** sin x. @example sin(x) */ export const sin = (x: Tensor): Tensor => unaryOp('sin', x);
/** cos x. @example cos(x) */ export const cos = (x: Tensor): Tensor => unaryOp('cos', x);
/** tan x. @example tan(x) */ export const tan = (x: Tensor): Tensor => unaryOp('tan', x);
/** asin x. @example asin(x) */ export const asin = (x: Tensor): Tensor => unaryOp('asin', x);
/** acos x. @example acos(x) */ export const acos = (x: Tensor): Tensor => unaryOp('acos', x);
/** atan x. @example atan(x) */ export const atan = (x: Tensor): Tensor => unaryOp('atan', x);
/** sinh x. @example sinh(x) */ export const sinh = (x: Tensor): Tensor => unaryOp('sinh', x);
/** cosh x. @example cosh(x) */ export const cosh = (x: Tensor): Tensor => unaryOp('cosh', x);
/** tanh x. @example tanh(x) */ export const tanh = (x: Tensor): Tensor => unaryOp('tanh', x);
/** asinh x. @example asinh(x) */ export const asinh = (x: Tensor): Tensor => unaryOp('asinh', x);
/** acosh x. @example acosh(x) */ export const acosh = (x: Tensor): Tensor => unaryOp('acosh', x);
/** atanh x. @example atanh(x) */ export const atanh = (x: Tensor): Tensor => unaryOp('atanh', x);
/** Error function. @example erf(x) */ export const erf = (x: Tensor): Tensor => unaryOp('erf', x);
/** Complementary error function 1 − erf(x), accurate where erf(x) is near 1. @example erfc(x) */ export const erfc = (x: Tensor): Tensor => unaryOp('erfc', x);
/** Round down. @example floor(x) */ export const floor = (x: Tensor): Tensor => unaryOp('floor', x);
/** Round up. @example ceil(x) */ export const ceil = (x: Tensor): Tensor => unaryOp('ceil', x);
/** Round half to even, like torch.round. @example round(x) */ export const round = (x: Tensor): Tensor => unaryOp('round', x);
/** Round toward zero. @example trunc(x) */ export const trunc = (x: Tensor): Tensor => unaryOp('trunc', x);
/** x − trunc(x). @example frac(x) */ export const frac = (x: Tensor): Tensor => unaryOp('frac', x);
/** Logical not → bool. @example logicalNot(mask) */ export const logicalNot = (x: Tensor): Tensor => unaryOp('logicalNot', x);
/** Bitwise not of integers. @example bitwiseNot(x) */ export const bitwiseNot = (x: Tensor): Tensor => unaryOp('bitwiseNot', x);
/** NaN test → bool. @example isnan(x) */ export const isnan = (x: Tensor): Tensor => unaryOp('isnan', x);
/** ±∞ test → bool. @example isinf(x) */ export const isinf = (x: Tensor): Tensor => unaryOp('isinf', x);
/** Finite test → bool. @example isfinite(x) */ export const isfinite = (x: Tensor): Tensor => unaryOp('isfinite', x);
/** Replaces NaN by `nan`, ±∞ by the given values (default ±3.4e38). @example nanToNum(x) */
export function nanToNum(x: Tensor, nan = 0, posinf = 3.4028234663852886e38, neginf = -3.4028234663852886e38): Tensor {
  const r = unaryOp('nanToNum', x, neginf, posinf);
  if (nan === 0) return r;
  const m = unaryOp('isnan', x);
  const out = where(m, nan, r);
  m.dispose();
  r.dispose();
  return out;
}

/** max(x, 0). @example F.relu(x) */ export const relu = (x: Tensor): Tensor => unaryOp('relu', x);
/** min(max(x, 0), 6). @example F.relu6(x) */ export const relu6 = (x: Tensor): Tensor => unaryOp('relu6', x);
/** x for x ≥ 0, slope·x otherwise. @example F.leakyRelu(x, 0.2) */
export const leakyRelu = (x: Tensor, negativeSlope = 0.01): Tensor => unaryOp('leakyRelu', x, negativeSlope, 0, 'leakyRelu');
/** x for x > 0, α(eˣ − 1) otherwise. @example F.elu(x) */
export const elu = (x: Tensor, alpha = 1): Tensor => unaryOp('elu', x, alpha, 0, 'elu');
/** Scaled ELU. @example F.selu(x) */ export const selu = (x: Tensor): Tensor => unaryOp('selu', x);
/** Logistic sigmoid. @example F.sigmoid(x) */ export const sigmoid = (x: Tensor): Tensor => unaryOp('sigmoid', x);
/** x·sigmoid(x) (swish). @example F.silu(x) */ export const silu = (x: Tensor): Tensor => unaryOp('silu', x);
/** x·tanh(softplus(x)). @example F.mish(x) */ export const mish = (x: Tensor): Tensor => unaryOp('mish', x);
/**
 * GELU, exact (erf) by default or the tanh approximation, like `F.gelu(x, approximate=...)`.
 * @example F.gelu(x, { approximate: 'tanh' })
 */
export const gelu = (x: Tensor, options: { approximate?: 'none' | 'tanh' } = {}): Tensor =>
  unaryOp(options.approximate === 'tanh' ? 'geluTanh' : 'geluErf', x, 0, 0, 'gelu');
/** log(1 + e^(βx))/β, linear above `threshold`. @example F.softplus(x, 1, 20) */
export const softplus = (x: Tensor, beta = 1, threshold = 20): Tensor => unaryOp('softplus', x, beta, threshold, 'softplus');
/** clamp(x, min, max). @example F.hardtanh(x) */
export const hardtanh = (x: Tensor, minVal = -1, maxVal = 1): Tensor => unaryOp('hardtanh', x, minVal, maxVal, 'hardtanh');
/** Piecewise-linear sigmoid. @example F.hardsigmoid(x) */ export const hardsigmoid = (x: Tensor): Tensor => unaryOp('hardsigmoid', x);
/** x·hardsigmoid(x). @example F.hardswish(x) */ export const hardswish = (x: Tensor): Tensor => unaryOp('hardswish', x);
