// Test-only float64 references of every float unary op and its derivative, the input grid that spans each op's
// whole domain (subnormal, tiny, ordinary, huge, ±0, ±inf, NaN), and the error measure of the accuracy audit.
import { erf64, erfc64 } from '../backend/cpu/erf.js';
import * as F from '../functional.js';
import type { Tensor } from '../tensor.js';
import * as U from './unary.js';
import { clamp, pow } from './index.js';

/** Smallest normal float32 (2⁻¹²⁶). */
export const FLT_MIN = 2 ** -126;
/** Largest finite float32. */
export const FLT_MAX = 3.4028234663852886e38;
/** Values above this round to +inf in float32 (round to nearest). */
const OVERFLOW = FLT_MAX * (1 + 2 ** -25);

/** One audited op: how to call it, its float64 value and derivative, and extra inputs where it is delicate. */
export interface UnaryReference {
  /** Row label (the op, plus its parameters when it has any). */
  name: string;
  call: (x: Tensor) => Tensor;
  f: (x: number) => number;
  /** Derivative in float64 (omitted for ops without a gradient). */
  df?: (x: number) => number;
  /** Inputs added to the common grid (poles, edges of the domain). */
  extra?: number[];
  /**
   * A bracket of the one root of f' (silu, mish, gelu, hardswish): within 1/4 of it errors are relative to
   * max(|f'(x)|, 2⁻⁸), since next to a root any float32 evaluation has unbounded relative error.
   */
  gradRoot?: [number, number];
}

/** The root of `df` inside `[lo, hi]` by bisection (df changes sign on the bracket). */
export function rootOf(df: (x: number) => number, [lo, hi]: [number, number]): number {
  let a = lo;
  let b = hi;
  const sa = Math.sign(df(a));
  for (let i = 0; i < 200; i++) {
    const m = (a + b) / 2;
    if (Math.sign(df(m)) === sa) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

const sig = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus64 = (x: number): number => (x > 30 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
const sech2 = (x: number): number => (Math.abs(x) > 350 ? 0 : 1 / Math.cosh(x) ** 2);
const K = 0.7978845608028654;
const geluU = (x: number): number => K * (x + 0.044715 * x * x * x);
const phi = (x: number): number => Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI);
const halfEven = (x: number): number => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};
const near = (c: number, n = 24): number[] => {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    const d = 2 ** -(k + 1);
    out.push(Math.fround(c - d), Math.fround(c + d));
  }
  for (let k = 1; k <= 8; k++) out.push(Math.fround(c) + k * 2 ** -23 * Math.max(1, Math.abs(c)), Math.fround(c) - k * 2 ** -24 * Math.max(1, Math.abs(c)));
  return out.map(Math.fround);
};
const multiples = (step: number, count: number): number[] => {
  const out: number[] = [];
  for (let k = -count; k <= count; k++) if (k !== 0) out.push(...near(k * step, 6));
  return out;
};

/** The audited ops. */
export const UNARY_REFERENCES: UnaryReference[] = [
  { name: 'neg', call: U.neg, f: (x) => -x, df: () => -1 },
  { name: 'abs', call: U.abs, f: Math.abs, df: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
  { name: 'sign', call: U.sign, f: (x) => (x > 0 ? 1 : x < 0 ? -1 : x) },
  { name: 'exp', call: U.exp, f: Math.exp, df: Math.exp, extra: near(88.72283), },
  { name: 'exp2', call: U.exp2, f: (x) => 2 ** x, df: (x) => 2 ** x * Math.LN2, extra: near(128) },
  { name: 'log', call: U.log, f: Math.log, df: (x) => 1 / x, extra: near(1) },
  { name: 'log2', call: U.log2, f: Math.log2, df: (x) => 1 / (x * Math.LN2), extra: near(1) },
  { name: 'log1p', call: U.log1p, f: Math.log1p, df: (x) => 1 / (1 + x), extra: near(-1) },
  { name: 'expm1', call: U.expm1, f: Math.expm1, df: Math.exp, extra: near(88.72283) },
  { name: 'sqrt', call: U.sqrt, f: Math.sqrt, df: (x) => 0.5 / Math.sqrt(x) },
  { name: 'rsqrt', call: U.rsqrt, f: (x) => 1 / Math.sqrt(x), df: (x) => -0.5 / (x * Math.sqrt(x)) },
  { name: 'reciprocal', call: U.reciprocal, f: (x) => 1 / x, df: (x) => -1 / (x * x) },
  { name: 'square', call: U.square, f: (x) => x * x, df: (x) => 2 * x },
  { name: 'sin', call: U.sin, f: Math.sin, df: Math.cos, extra: multiples(Math.PI, 40) },
  { name: 'cos', call: U.cos, f: Math.cos, df: (x) => -Math.sin(x), extra: multiples(Math.PI / 2, 40) },
  { name: 'tan', call: U.tan, f: Math.tan, df: (x) => 1 + Math.tan(x) ** 2, extra: multiples(Math.PI / 2, 20) },
  { name: 'asin', call: U.asin, f: Math.asin, df: (x) => 1 / Math.sqrt((1 - x) * (1 + x)), extra: [...near(1), ...near(-1)] },
  { name: 'acos', call: U.acos, f: Math.acos, df: (x) => -1 / Math.sqrt((1 - x) * (1 + x)), extra: [...near(1), ...near(-1)] },
  { name: 'atan', call: U.atan, f: Math.atan, df: (x) => 1 / (1 + x * x) },
  { name: 'sinh', call: U.sinh, f: Math.sinh, df: Math.cosh, extra: near(89.41599) },
  { name: 'cosh', call: U.cosh, f: Math.cosh, df: Math.sinh, extra: near(89.41599) },
  { name: 'tanh', call: U.tanh, f: Math.tanh, df: sech2 },
  { name: 'asinh', call: U.asinh, f: Math.asinh, df: (x) => 1 / Math.hypot(1, x) },
  { name: 'acosh', call: U.acosh, f: Math.acosh, df: (x) => 1 / Math.sqrt((x - 1) * (x + 1)), extra: near(1) },
  { name: 'atanh', call: U.atanh, f: Math.atanh, df: (x) => 1 / ((1 - x) * (1 + x)), extra: [...near(1), ...near(-1)] },
  { name: 'erf', call: U.erf, f: erf64, df: (x) => (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) },
  { name: 'erfc', call: U.erfc, f: erfc64, df: (x) => (-2 / Math.sqrt(Math.PI)) * Math.exp(-x * x), extra: near(10.0546) },
  { name: 'floor', call: U.floor, f: Math.floor },
  { name: 'ceil', call: U.ceil, f: Math.ceil },
  { name: 'round', call: U.round, f: halfEven, extra: [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 8388607.5, -8388607.5] },
  { name: 'trunc', call: U.trunc, f: Math.trunc },
  { name: 'frac', call: U.frac, f: (x) => x - Math.trunc(x), df: () => 1 },
  { name: 'sigmoid', call: U.sigmoid, f: sig, df: (x) => sig(x) * sig(-x) },
  { name: 'relu', call: U.relu, f: (x) => (x > 0 ? x : Number.isNaN(x) ? x : 0), df: (x) => (x > 0 ? 1 : 0) },
  { name: 'relu6', call: U.relu6, f: (x) => Math.min(Math.max(x, 0), 6), df: (x) => (x > 0 && x < 6 ? 1 : 0) },
  { name: 'leakyRelu(0.2)', call: (x) => U.leakyRelu(x, 0.2), f: (x) => (x >= 0 ? x : 0.2 * x), df: (x) => (x > 0 ? 1 : 0.2) },
  { name: 'elu(0.7)', call: (x) => U.elu(x, 0.7), f: (x) => (x > 0 ? x : 0.7 * Math.expm1(x)), df: (x) => (x > 0 ? 1 : 0.7 * Math.exp(x)) },
  {
    name: 'selu', call: U.selu,
    f: (x) => 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * Math.expm1(x)),
    df: (x) => (x > 0 ? 1.0507009873554805 : 1.0507009873554805 * 1.6732632423543772 * Math.exp(x)),
  },
  { gradRoot: [-2, -1], name: 'silu', call: U.silu, f: (x) => x * sig(x), df: (x) => sig(x) * (1 + x * sig(-x)) },
  {
    gradRoot: [-2, -1], name: 'mish', call: U.mish, f: (x) => x * Math.tanh(softplus64(x)),
    df: (x) => Math.tanh(softplus64(x)) + x * sech2(softplus64(x)) * sig(x),
  },
  {
    gradRoot: [-1, -0.5], name: 'gelu', call: (x) => F.gelu(x), f: (x) => 0.5 * x * erfc64(-x / Math.SQRT2),
    df: (x) => 0.5 * erfc64(-x / Math.SQRT2) + x * phi(x),
  },
  {
    gradRoot: [-1, -0.5], name: 'gelu(tanh)', call: (x) => F.gelu(x, { approximate: 'tanh' }), f: (x) => x * sig(2 * geluU(x)),
    df: (x) => {
      const u = geluU(x);
      return sig(2 * u) + 2 * x * K * (1 + 3 * 0.044715 * x * x) * sig(2 * u) * sig(-2 * u);
    },
  },
  { name: 'softplus', call: (x) => U.softplus(x), f: (x) => (x > 20 ? x : Math.log1p(Math.exp(x))), df: (x) => (x > 20 ? 1 : sig(x)) },
  {
    name: 'softplus(2, 5)', call: (x) => U.softplus(x, 2, 5), f: (x) => (2 * x > 5 ? x : Math.log1p(Math.exp(2 * x)) / 2),
    df: (x) => (2 * x > 5 ? 1 : sig(2 * x)),
  },
  { name: 'hardtanh', call: (x) => U.hardtanh(x), f: (x) => Math.min(Math.max(x, -1), 1), df: (x) => (x > -1 && x < 1 ? 1 : 0) },
  { name: 'hardsigmoid', call: U.hardsigmoid, f: (x) => Math.min(Math.max(x / 6 + 0.5, 0), 1), df: (x) => (x > -3 && x < 3 ? 1 / 6 : 0), extra: near(-3) },
  {
    gradRoot: [-2, -1], name: 'hardswish', call: U.hardswish, f: (x) => (x * Math.min(Math.max(x + 3, 0), 6)) / 6,
    df: (x) => (x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1), extra: near(-3),
  },
  { name: 'clamp(-1, 0.5)', call: (x) => clamp(x, -1, 0.5), f: (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, -1), 0.5)), df: (x) => (x >= -1 && x <= 0.5 ? 1 : 0) },
  { name: 'nanToNum', call: (x) => U.nanToNum(x), f: (x) => (Number.isNaN(x) ? 0 : x === Infinity ? FLT_MAX : x === -Infinity ? -FLT_MAX : x), df: () => 1 },
  ...[2, 3, 0.5, -1, -2, -0.5, 2.5, 1 / 3].map((a): UnaryReference => ({
    name: `pow(x, ${a === 1 / 3 ? '1/3' : a})`,
    call: (x) => pow(x, a === 1 / 3 ? Math.fround(1 / 3) : a),
    f: (x) => x ** (a === 1 / 3 ? Math.fround(1 / 3) : a),
    df: (x) => {
      const e = a === 1 / 3 ? Math.fround(1 / 3) : a;
      return e * x ** (e - 1);
    },
  })),
  { name: 'add(x, 0.3)', call: (x) => x.add(0.3), f: (x) => x + Math.fround(0.3), df: () => 1 },
  { name: 'mul(x, 0.3)', call: (x) => x.mul(0.3), f: (x) => x * Math.fround(0.3), df: () => Math.fround(0.3) },
];

/** The common input grid: specials, subnormals, ±10^(k/8) for every decade of float32, and a dense grid on [−30, 30]. */
export function unaryGrid(): number[] {
  const v: number[] = [0, -0, Infinity, -Infinity, NaN, FLT_MAX, -FLT_MAX, FLT_MIN, -FLT_MIN];
  for (const s of [2 ** -149, 2 ** -140, 1e-42, 1e-40, 1e-39, FLT_MIN * (1 - 2 ** -23)]) v.push(s, -s);
  for (let k = -45 * 8; k <= 38 * 8 + 4; k++) {
    const m = Math.fround(10 ** (k / 8));
    if (m > 0 && m <= FLT_MAX) v.push(m, -m);
  }
  for (let i = -1200; i <= 1200; i++) v.push(i / 40);
  for (let i = -1000; i <= 1000; i++) v.push(i / 1000 + 1 / 3000);
  return v.map(Math.fround);
}

/** Where an input falls for the accuracy table. */
export type Region = 'subnormal' | 'tiny' | 'ordinary' | 'huge';

/** The region of a finite non-zero input: subnormal, tiny (< 2⁻¹⁰), ordinary (≤ 2¹⁰) or huge. */
export function regionOf(x: number): Region {
  const a = Math.abs(x);
  if (a < FLT_MIN) return 'subnormal';
  if (a < 2 ** -10) return 'tiny';
  if (a <= 1024) return 'ordinary';
  return 'huge';
}

/**
 * Error of a float32 result `y` against the float64 value `r`: relative error for normal results, the absolute error
 * in units of 2⁻¹²⁶ for results in the subnormal range, 0 when both are the same infinity, and Infinity when the
 * kinds differ (NaN vs number, wrong infinity, finite where float32 overflows).
 */
export function errorOf(y: number, r: number): number {
  if (Number.isNaN(r)) return Number.isNaN(y) ? 0 : Infinity;
  if (Number.isNaN(y)) return Infinity;
  if (Math.abs(r) >= OVERFLOW) return y === (r > 0 ? Infinity : -Infinity) ? 0 : Infinity;
  if (!Number.isFinite(y)) return Infinity;
  const a = Math.abs(r);
  if (a < FLT_MIN) return Math.abs(y - r) / FLT_MIN;
  return Math.abs(y - r) / a;
}
