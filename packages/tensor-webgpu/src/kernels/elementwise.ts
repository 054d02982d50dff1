// WGSL sources for elementwise kernels: the unary/binary rule tables and the fill/arange/cast/where generators.
import type { BinaryOp, UnaryBackwardOp, UnaryOp } from '../backend/backend.js';
import { MATH_PRELUDE } from './prelude.js';
import { unaryMathFor } from './unary-math.js';
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { stridedOffsetWgsl } from './strided.js';

type T = 'f32' | 'i32' | 'u32';

/** WGSL expression of each unary op over `x` of type `t`; `a`/`b` are the f32 op parameters. */
export const UNARY_WGSL: { [K in UnaryOp]: (t: T) => string } = {
  neg: (t) => (t === 'u32' ? '(0u - x)' : '-x'),
  abs: (t) => (t === 'u32' ? 'x' : 'abs(x)'),
  sign: (t) => (t === 'f32' ? 'select(sign(x), x, is_nan(x))' : t === 'i32' ? 'sign(x)' : 'min(x, 1u)'),
  exp: () => 'exp_f(x)',
  exp2: () => 'exp2_f(x)',
  log: () => 'log_f(x)',
  log2: () => 'log2_f(x)',
  log1p: () => 'log1p_f(x)',
  expm1: () => 'expm1_f(x)',
  sqrt: () => 'sqrt(x)',
  rsqrt: () => '(1.0 / sqrt(x))',
  reciprocal: () => '(1.0 / x)',
  square: () => '(x * x)',
  // The transcendental functions are unary-math.ts's, not the builtins (whose WGSL accuracy is loose).
  sin: () => 'sin_f(x)',
  cos: () => 'cos_f(x)',
  tan: () => 'tan_f(x)',
  asin: () => 'asin_f(x)',
  acos: () => 'acos_f(x)',
  atan: () => 'atan_f(x)',
  sinh: () => 'sinh_f(x)',
  cosh: () => 'cosh_f(x)',
  tanh: () => 'tanh_f(x)',
  asinh: () => 'asinh_f(x)',
  acosh: () => 'acosh_f(x)',
  atanh: () => 'atanh_f(x)',
  erf: () => 'erf_f(x)',
  erfc: () => 'erfc_f(x)',
  floor: (t) => (t === 'f32' ? 'floor(x)' : 'x'),
  ceil: (t) => (t === 'f32' ? 'ceil(x)' : 'x'),
  round: (t) => (t === 'f32' ? 'round(x)' : 'x'),
  trunc: (t) => (t === 'f32' ? 'trunc(x)' : 'x'),
  frac: () => '(x - trunc(x))',
  sigmoid: () => 'sigmoid_f(x)',
  relu: (t) => (t === 'f32' ? 'select(0.0, x, !(x <= 0.0))' : t === 'i32' ? 'max(x, 0)' : 'x'),
  relu6: (t) => (t === 'f32' ? 'select(clamp(x, 0.0, 6.0), x, is_nan(x))' : `clamp(x, ${t}(0), ${t}(6))`),
  leakyRelu: () => 'select(a * x, x, x >= 0.0)',
  elu: () => 'select(a * expm1_f(x), x, x > 0.0)',
  selu: () => '(1.0507009873554805 * select(1.6732632423543772 * expm1_f(x), x, x > 0.0))',
  silu: () => 'silu_f(x)',
  mish: () => 'mish_f(x)',
  geluErf: () => 'gelu_erf_f(x)',
  geluTanh: () => 'gelu_tanh_f(x)',
  softplus: () => 'softplus_f(x, a, b)',
  hardtanh: () => 'select(clamp(x, a, b), x, is_nan(x))',
  hardsigmoid: () => 'select(clamp((x + 3.0) / 6.0, 0.0, 1.0), x, is_nan(x))',
  hardswish: () => '(x * (clamp(x + 3.0, 0.0, 6.0) / 6.0))',
  logicalNot: (t) => `select(0u, 1u, x == ${t}(0))`,
  isnan: (t) => (t === 'f32' ? 'select(0u, 1u, is_nan(x))' : '0u'),
  isinf: (t) => (t === 'f32' ? 'select(0u, 1u, is_inf(x))' : '0u'),
  isfinite: (t) => (t === 'f32' ? 'select(1u, 0u, is_nan(x) || is_inf(x))' : '1u'),
  nanToNum: () => 'select(select(select(x, b, x == inf_f32()), a, x == -inf_f32()), 0.0, is_nan(x))',
  powScalar: () => 'pow_f(x, a)',
  addScalar: (t) => (t === 'f32' ? '(x + a)' : `(x + ${t}(a))`),
  mulScalar: (t) => (t === 'f32' ? '(x * a)' : `(x * ${t}(a))`),
  clamp: (t) => (t === 'f32' ? 'select(clamp(x, a, b), x, is_nan(x))' : `clamp(x, ${t}(a), ${t}(b))`),
  bitwiseNot: () => '(~x)',
};

/**
 * WGSL of f'(x) for the one-pass activation backward: the formulas of ops/unary-grad.ts, with its float32 constants
 * (`a` is leakyRelu's slope).
 */
export const UNARY_BACKWARD_WGSL: Record<UnaryBackwardOp, string> = {
  silu: 'sigmoid_f(x) * (x * sigmoid_f(-x) + 1.0)',
  leakyRelu: 'select(a, 1.0, x > 0.0)',
  geluErf: `erfc_f(x * ${Math.fround(-Math.SQRT1_2)}) * 0.5 + x * (exp_f(x * x * -0.5) * ${Math.fround(1 / Math.sqrt(2 * Math.PI))})`,
  geluTanh: `gelu_tanh_grad(x)`,
};

const GELU_TANH_GRAD = `
fn gelu_tanh_grad(x: f32) -> f32 {
  let xc = select(clamp(x, -20.0, 20.0), x, is_nan(x));
  let x2 = xc * xc;
  let u2 = (x2 * ${Math.fround(0.044715)} + 1.0) * xc * ${Math.fround(2 * 0.7978845608028654)};
  let du2 = (x2 * ${Math.fround(3 * 0.044715)} + 1.0) * ${Math.fround(2 * 0.7978845608028654)};
  let s = sigmoid_f(u2);
  return s + xc * du2 * s * sigmoid_f(-u2);
}
`;

/** One-pass activation backward: `out[i] = g[i] · f'(x[i])`. Params: [n, a]. */
export function unaryBackwardWgsl(op: UnaryBackwardOp): string {
  const expr = UNARY_BACKWARD_WGSL[op];
  const extra = op === 'geluTanh' ? GELU_TANH_GRAD : '';
  return `${paramsWgsl(2)}${MATH_PRELUDE}${unaryMathFor(expr + extra)}${extra}
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read> X: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let x = X[i];
  let a = pf(1u);
  Y[i] = G[i] * (${expr});
}`;
}

/** Unary ops whose result is bool (u32 0/1) rather than the input type. */
export const UNARY_BOOL_OUT: ReadonlySet<UnaryOp> = new Set(['logicalNot', 'isnan', 'isinf', 'isfinite']);

/** WGSL expression of each binary op over `a`, `b` of type `t` (result: `t`, or u32 0/1 for predicates). */
export const BINARY_WGSL: { [K in BinaryOp]: (t: T) => string } = {
  add: () => '(a + b)',
  sub: () => '(a - b)',
  mul: () => '(a * b)',
  div: (t) => (t === 'f32' ? '(a / b)' : `select(a / b, ${t}(0), b == ${t}(0))`),
  pow: (t) => (t === 'f32' ? 'pow_f(a, b)' : `${t}(round(pow_f(f32(a), f32(b))))`),
  maximum: (t) => (t === 'f32' ? 'select(max(a, b), nan_f32(), is_nan(a) || is_nan(b))' : 'max(a, b)'),
  minimum: (t) => (t === 'f32' ? 'select(min(a, b), nan_f32(), is_nan(a) || is_nan(b))' : 'min(a, b)'),
  atan2: () => 'atan2(a, b)',
  remainder: (t) => (t === 'f32' ? '(a - floor(a / b) * b)' : t === 'i32' ? 'imod(a, b)' : 'select(a % b, 0u, b == 0u)'),
  fmod: (t) => (t === 'f32' ? '(a - trunc(a / b) * b)' : `select(a % b, ${t}(0), b == ${t}(0))`),
  floorDivide: (t) => (t === 'f32' ? 'floor(a / b)' : t === 'i32' ? 'ifloordiv(a, b)' : 'select(a / b, 0u, b == 0u)'),
  eq: () => 'select(0u, 1u, a == b)',
  ne: () => 'select(0u, 1u, a != b)',
  lt: () => 'select(0u, 1u, a < b)',
  le: () => 'select(0u, 1u, a <= b)',
  gt: () => 'select(0u, 1u, a > b)',
  ge: () => 'select(0u, 1u, a >= b)',
  logicalAnd: (t) => `select(0u, 1u, a != ${t}(0) && b != ${t}(0))`,
  logicalOr: (t) => `select(0u, 1u, a != ${t}(0) || b != ${t}(0))`,
  logicalXor: (t) => `select(0u, 1u, (a != ${t}(0)) != (b != ${t}(0)))`,
  bitwiseAnd: () => '(a & b)',
  bitwiseOr: () => '(a | b)',
  bitwiseXor: () => '(a ^ b)',
};

const WG = 256;

/** Unary kernel: `out[i] = op(x[i])`. Params: [n, a, b]. */
export function unaryWgsl(op: UnaryOp, t: T, outT: T): string {
  const expr = UNARY_WGSL[op](t);
  return `${paramsWgsl(3)}${MATH_PRELUDE}${unaryMathFor(expr)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${outT}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let x = X[i];
  let a = pf(1u);
  let b = pf(2u);
  Y[i] = ${outT}(${expr});
}`;
}

/** Operand layout of a broadcasting kernel: contiguous, a single broadcast element, or general strides. */
export type Access = 'flat' | 'scalar' | 'strided';

function operand(name: string, access: Access, rank: number, strideBase: number, offsetSlot: number): string {
  if (access === 'flat') return `${name}[i]`;
  if (access === 'scalar') return `${name}[u32(pi(${offsetSlot}u))]`;
  return `${name}[u32(${stridedOffsetWgsl(rank, 1, strideBase, `pi(${offsetSlot}u)`)})]`;
}

/**
 * Binary kernel with broadcasting. Params: [n, shape(rank), strideA(rank), strideB(rank), offA, offB].
 */
export function binaryWgsl(op: BinaryOp, t: T, outT: T, rank: number, accA: Access, accB: Access): string {
  const sa = 1 + rank;
  const sb = 1 + 2 * rank;
  const offA = 1 + 3 * rank;
  const expr = BINARY_WGSL[op](t);
  return `${paramsWgsl(3 + 3 * rank)}${MATH_PRELUDE}${unaryMathFor(expr)}
@group(0) @binding(1) var<storage, read> A: array<${t}>;
@group(0) @binding(2) var<storage, read> B: array<${t}>;
@group(0) @binding(3) var<storage, read_write> Y: array<${outT}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let a = ${operand('A', accA, rank, sa, offA)};
  let b = ${operand('B', accB, rank, sb, offA + 1)};
  Y[i] = ${outT}(${expr});
}`;
}

/** Binary ops that {@link binaryVec4Wgsl} runs: lane-wise on vec4 with the same result as four scalar ops. */
export const VEC4_BINARY: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['add', 'sub', 'mul', 'div']);

/**
 * Binary kernel for two contiguous operands of the output's shape with numel % 4 == 0: one vec4 per invocation (on
 * lavapipe every storage access is a per-lane loop, so a quarter as many accesses is 2–3× faster). Params: [n / 4].
 * `div` only for f32 (integer division by zero needs the scalar kernel's select).
 */
export function binaryVec4Wgsl(op: BinaryOp, t: T): string {
  const v = `vec4<${t}>`;
  return `${paramsWgsl(1)}
@group(0) @binding(1) var<storage, read> A: array<${v}>;
@group(0) @binding(2) var<storage, read> B: array<${v}>;
@group(0) @binding(3) var<storage, read_write> Y: array<${v}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let a = A[i];
  let b = B[i];
  Y[i] = ${BINARY_WGSL[op](t)};
}`;
}

/** where(cond, a, b) with broadcasting. Params: [n, shape, strideC, strideA, strideB, offC, offA, offB]. */
export function whereWgsl(t: T, rank: number, acc: [Access, Access, Access]): string {
  const off = 1 + 4 * rank;
  return `${paramsWgsl(4 + 4 * rank)}
@group(0) @binding(1) var<storage, read> C: array<u32>;
@group(0) @binding(2) var<storage, read> A: array<${t}>;
@group(0) @binding(3) var<storage, read> B: array<${t}>;
@group(0) @binding(4) var<storage, read_write> Y: array<${t}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let c = ${operand('C', acc[0], rank, 1 + rank, off)};
  let a = ${operand('A', acc[1], rank, 1 + 2 * rank, off + 1)};
  let b = ${operand('B', acc[2], rank, 1 + 3 * rank, off + 2)};
  Y[i] = select(b, a, c != 0u);
}`;
}

/** Cast kernel. Params: [n]. */
export function castWgsl(from: T, to: T, toBool: boolean): string {
  const expr = toBool
    ? `select(0u, 1u, x != ${from}(0))`
    : to === 'f32' || from !== 'f32'
      ? `${to}(x)`
      : `select(${to}(trunc(x)), ${to}(0), (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u)`;
  return `${paramsWgsl(1)}
@group(0) @binding(1) var<storage, read> X: array<${from}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${to}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let x = X[i];
  Y[i] = ${expr};
}`;
}

/** Fill kernel. Params: [n, value bits]. */
export function fillWgsl(t: T): string {
  return `${paramsWgsl(2)}
@group(0) @binding(1) var<storage, read_write> Y: array<${t}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  Y[i] = bitcast<${t}>(pu(1u));
}`;
}

/** arange kernel: out[i] = start + i*step. Params: [n, start, step] (f32 or i32). */
export function arangeWgsl(t: T): string {
  const get = t === 'f32' ? 'pf' : 'pi';
  return `${paramsWgsl(3)}
@group(0) @binding(1) var<storage, read_write> Y: array<${t}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  Y[i] = ${t}(${get}(1u) + ${t}(i) * ${get}(2u));
}`;
}

export { WG as ELEMENTWISE_WG };
