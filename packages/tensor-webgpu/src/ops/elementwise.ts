// Elementwise ops: unary math and activations, broadcasting binary arithmetic and comparisons, where, casts.
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { type DType, promoteTypes } from '../dtype.js';
import { check } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asTensor, backendOf, broadcastView, empty, scalarDtype } from './util.js';
import { record } from '../autograd/node.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { UNARY_GRAD } from './unary-grad.js';
import { sum } from './reduce.js';
import { reshape } from './movement.js';
import { floor, trunc } from './unary.js';

/** @internal Sums a broadcast gradient back to `shape` (the backward of broadcasting). */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  const s = dims.length ? sum(g, dims, true) : g;
  const r = reshape(s, shape);
  if (s !== g) s.dispose();
  return r;
}

const FLOAT_ONLY: ReadonlySet<UnaryOp> = new Set<UnaryOp>([
  'exp', 'exp2', 'log', 'log2', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'reciprocal', 'sin', 'cos', 'tan', 'asin', 'acos',
  'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'erf', 'erfc', 'frac', 'sigmoid', 'leakyRelu', 'elu', 'selu',
  'silu', 'mish', 'geluErf', 'geluTanh', 'softplus', 'hardtanh', 'hardsigmoid', 'hardswish', 'nanToNum', 'powScalar',
]);
const BOOL_OUT: ReadonlySet<UnaryOp> = new Set<UnaryOp>(['logicalNot', 'isnan', 'isinf', 'isfinite']);

/** @internal Runs a unary primitive; integer inputs of float-only ops are promoted to float32 like torch. */
export function unaryOp(op: UnaryOp, x: Tensor, alpha = 0, beta = 0, name: string = op): Tensor {
  const backend = backendOf(name, x);
  if (op === 'bitwiseNot') check(x.dtype === 'int32' || x.dtype === 'uint32' || x.dtype === 'bool', name, `expects an integer tensor, got ${x.dtype}`);
  if (FLOAT_ONLY.has(op) && x.dtype !== 'float32') {
    const xf = x.to('float32');
    const r = unaryOp(op, xf, alpha, beta, name);
    xf.dispose();
    return r;
  }
  const compute: DType = x.dtype === 'bool' && !BOOL_OUT.has(op) ? 'int32' : x.dtype;
  const src = compute === x.dtype ? x : x.to(compute);
  const out = empty(name, backend, x.shape, BOOL_OUT.has(op) ? 'bool' : compute);
  backend.unary(op, src.buf(name), out.buf(name), x.size, compute, alpha, beta);
  if (src !== x) src.dispose();
  const rule = UNARY_GRAD[op];
  if (!rule) return out;
  // With createGraph the output is recomputed from the (graph-connected) input, so its own dependence on x is seen.
  return record(name, out, [x], (g, [xs, ys]) => [rule(g, xs!, isGradEnabled() ? unaryOp(op, xs!, alpha, beta, name) : ys!, alpha, beta)], [x, out]);
}

type BinaryRule = (g: Tensor, a: Tensor, b: Tensor, y: Tensor) => [Tensor | null, Tensor | null];

/** Backward rules of the differentiable binary primitives (before un-broadcasting). */
const BINARY_GRAD: Partial<Record<BinaryOp, BinaryRule>> = {
  add: (g) => [g, g],
  sub: (g) => [g, mul(g, -1)],
  mul: (g, a, b) => [mul(g, b), mul(g, a)],
  div: (g, a, b) => [div(g, b), mul(mul(g, div(a, b)), div(-1, b))],
  pow: (g, a, b, y) => [mul(g, mul(b, pow(a, sub(b, 1)))), mul(g, mul(y, where(gt(a, 0), unaryOp('log', a), 0)))],
  maximum: (g, a, b) => {
    const half = where(eq(a, b), mul(g, 0.5), g);
    return [where(lt(a, b), 0, half), where(gt(a, b), 0, half)];
  },
  minimum: (g, a, b) => {
    const half = where(eq(a, b), mul(g, 0.5), g);
    return [where(gt(a, b), 0, half), where(lt(a, b), 0, half)];
  },
  atan2: (g, a, b) => {
    const r = add(mul(a, a), mul(b, b));
    return [mul(g, div(b, r)), mul(g, div(mul(a, -1), r))];
  },
  remainder: (g, a, b) => [g, mul(g, mul(floor(div(a, b)), -1))],
  fmod: (g, a, b) => [g, mul(g, mul(trunc(div(a, b)), -1))],
};

const PREDICATES: ReadonlySet<BinaryOp> = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'logicalAnd', 'logicalOr', 'logicalXor']);

/** @internal Runs a broadcasting binary primitive with PyTorch type promotion. */
export function binaryOp(op: BinaryOp, aIn: TensorLike, bIn: TensorLike, name: string = op): Tensor {
  check(aIn instanceof Tensor || bIn instanceof Tensor, name, 'needs at least one tensor operand');
  const ref = (aIn instanceof Tensor ? aIn : bIn) as Tensor;
  const backend = backendOf(name, ref);
  // Scalars adopt the tensor's dtype unless they force a promotion (float scalar with an int tensor).
  const da = aIn instanceof Tensor ? aIn.dtype : scalarDtype(aIn, (bIn as Tensor).dtype);
  const db = bIn instanceof Tensor ? bIn.dtype : scalarDtype(bIn, (aIn as Tensor).dtype);
  let common = promoteTypes(da, db);
  if (op === 'div' || op === 'atan2' || (op === 'pow' && common !== 'float32' && typeof bIn === 'number' && bIn < 0)) common = 'float32';
  const isBitwise = op === 'bitwiseAnd' || op === 'bitwiseOr' || op === 'bitwiseXor';
  if (isBitwise) check(common !== 'float32', name, 'expects integer or bool tensors');
  if (common === 'bool' && !PREDICATES.has(op) && !isBitwise) common = 'int32';
  const [a, da_] = asTensor(aIn, common, backend);
  const [b, db_] = asTensor(bIn, common, backend);
  if (a !== ref || b !== ref) backendOf(name, a, b);
  const ac = a.dtype === common ? a : a.to(common);
  const bc = b.dtype === common ? b : b.to(common);
  const shape = broadcastShapes(name, a.shape, b.shape);
  const outDtype: DType = PREDICATES.has(op) ? 'bool' : common;
  const out = empty(name, backend, shape, outDtype);
  backend.binary(op, broadcastView(ac, shape, name), broadcastView(bc, shape, name), out.buf(name), shape, common, outDtype);
  const rule = BINARY_GRAD[op];
  const result = rule
    ? record(name, out, [a, b], (g, [as, bs, ys]) => {
        const [ga, gb] = rule(g, as!, bs!, isGradEnabled() && op === 'pow' ? binaryOp('pow', as!, bs!) : ys!);
        return [ga && sumTo(ga, as!.shape), gb && sumTo(gb, bs!.shape)];
      }, [ac, bc, out])
    : out;
  for (const [t, own] of [[ac, ac !== a], [bc, bc !== b], [a, da_], [b, db_]] as const) if (own && !t.isDisposed) t.dispose();
  return result;
}

/** `a + b` with broadcasting. @example add(x, 1) */
export const add = (a: TensorLike, b: TensorLike): Tensor =>
  typeof b === 'number' && a instanceof Tensor && a.dtype === 'float32' ? unaryOp('addScalar', a, b, 0, 'add') : binaryOp('add', a, b);
/** `a - b`. @example sub(x, y) */
export const sub = (a: TensorLike, b: TensorLike): Tensor =>
  typeof b === 'number' && a instanceof Tensor && a.dtype === 'float32' ? unaryOp('addScalar', a, -b, 0, 'sub') : binaryOp('sub', a, b);
/** `a * b`. @example mul(x, 2) */
export const mul = (a: TensorLike, b: TensorLike): Tensor =>
  typeof b === 'number' && a instanceof Tensor && a.dtype === 'float32' ? unaryOp('mulScalar', a, b, 0, 'mul') : binaryOp('mul', a, b);
/** True division (integers become float32). @example div(x, y) */
export const div = (a: TensorLike, b: TensorLike): Tensor => binaryOp('div', a, b);
/** `a ** b` (negative bases with integer exponents keep their sign, like torch). @example pow(x, 2) */
export const pow = (a: TensorLike, b: TensorLike): Tensor =>
  typeof b === 'number' && a instanceof Tensor && a.dtype === 'float32' ? unaryOp('powScalar', a, b, 0, 'pow') : binaryOp('pow', a, b);
/** Elementwise maximum (NaN propagates). @example maximum(x, 0) */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binaryOp('maximum', a, b);
/** Elementwise minimum. @example minimum(x, y) */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binaryOp('minimum', a, b);
/** atan2(a, b). @example atan2(y, x) */
export const atan2 = (a: TensorLike, b: TensorLike): Tensor => binaryOp('atan2', a, b);
/** Python-style modulo (sign of the divisor), torch.remainder. @example remainder(x, 3) */
export const remainder = (a: TensorLike, b: TensorLike): Tensor => binaryOp('remainder', a, b);
/** C-style modulo (sign of the dividend), torch.fmod. @example fmod(x, 3) */
export const fmod = (a: TensorLike, b: TensorLike): Tensor => binaryOp('fmod', a, b);
/** floor(a / b). @example floorDivide(x, 2) */
export const floorDivide = (a: TensorLike, b: TensorLike): Tensor => binaryOp('floorDivide', a, b);
/** `a == b` → bool. @example eq(x, 0) */
export const eq = (a: TensorLike, b: TensorLike): Tensor => binaryOp('eq', a, b);
/** `a != b` → bool. @example ne(x, 0) */
export const ne = (a: TensorLike, b: TensorLike): Tensor => binaryOp('ne', a, b);
/** `a < b` → bool. @example lt(x, 0) */
export const lt = (a: TensorLike, b: TensorLike): Tensor => binaryOp('lt', a, b);
/** `a <= b` → bool. @example le(x, 0) */
export const le = (a: TensorLike, b: TensorLike): Tensor => binaryOp('le', a, b);
/** `a > b` → bool. @example gt(x, 0) */
export const gt = (a: TensorLike, b: TensorLike): Tensor => binaryOp('gt', a, b);
/** `a >= b` → bool. @example ge(x, 0) */
export const ge = (a: TensorLike, b: TensorLike): Tensor => binaryOp('ge', a, b);
/** Logical and → bool. @example logicalAnd(m1, m2) */
export const logicalAnd = (a: TensorLike, b: TensorLike): Tensor => binaryOp('logicalAnd', a, b);
/** Logical or → bool. @example logicalOr(m1, m2) */
export const logicalOr = (a: TensorLike, b: TensorLike): Tensor => binaryOp('logicalOr', a, b);
/** Logical xor → bool. @example logicalXor(m1, m2) */
export const logicalXor = (a: TensorLike, b: TensorLike): Tensor => binaryOp('logicalXor', a, b);
/** Bitwise and of integer tensors. @example bitwiseAnd(a, 0xff) */
export const bitwiseAnd = (a: TensorLike, b: TensorLike): Tensor => binaryOp('bitwiseAnd', a, b);
/** Bitwise or. @example bitwiseOr(a, b) */
export const bitwiseOr = (a: TensorLike, b: TensorLike): Tensor => binaryOp('bitwiseOr', a, b);
/** Bitwise xor. @example bitwiseXor(a, b) */
export const bitwiseXor = (a: TensorLike, b: TensorLike): Tensor => binaryOp('bitwiseXor', a, b);

/**
 * Picks `a` where `cond` is true and `b` elsewhere, broadcasting all three (torch.where).
 *
 * @example
 * where(x.gt(0), x, 0);
 */
export function where(cond: Tensor, aIn: TensorLike, bIn: TensorLike): Tensor {
  const backend = backendOf('where', cond);
  const da = aIn instanceof Tensor ? aIn.dtype : bIn instanceof Tensor ? scalarDtype(aIn, bIn.dtype) : scalarDtype(aIn, 'float32');
  const db = bIn instanceof Tensor ? bIn.dtype : scalarDtype(bIn, da);
  const dtype = promoteTypes(da, db);
  const [a, ownA] = asTensor(aIn, dtype, backend);
  const [b, ownB] = asTensor(bIn, dtype, backend);
  backendOf('where', cond, a, b);
  const c = cond.dtype === 'bool' ? cond : cond.to('bool');
  const ac = a.dtype === dtype ? a : a.to(dtype);
  const bc = b.dtype === dtype ? b : b.to(dtype);
  const shape = broadcastShapes('where', cond.shape, a.shape, b.shape);
  const out = empty('where', backend, shape, dtype);
  backend.where(broadcastView(c, shape, 'where'), broadcastView(ac, shape, 'where'), broadcastView(bc, shape, 'where'), out.buf('where'), shape, dtype);
  const result = record('where', out, [null, a, b], (g, [cs, as, bs]) => [
    null,
    sumTo(where(cs!, g, 0), as!.shape),
    sumTo(where(cs!, 0, g), bs!.shape),
  ], [c, a, b]);
  for (const [t, own] of [[c, c !== cond], [ac, ac !== a], [bc, bc !== b], [a, ownA], [b, ownB]] as const) if (own && !t.isDisposed) t.dispose();
  return result;
}

/**
 * Converts to another dtype (float→int truncates toward zero, NaN→0; anything→bool is `!= 0`).
 *
 * @example
 * x.to('int32');
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  const backend = backendOf('cast', x);
  const out = empty('cast', backend, x.shape, dtype);
  if (x.dtype === dtype) {
    backend.copy({ buf: x.buf('cast'), offset: 0, strides: x.strides }, out.buf('cast'), [...x.shape], dtype);
    return record('clone', out, [x], (g) => [g]);
  }
  backend.cast(x.buf('cast'), out.buf('cast'), x.size, x.dtype, dtype);
  return out;
}

/** A copy with its own storage. @example const y = clone(x) */
export function clone(x: Tensor): Tensor {
  return cast(x, x.dtype);
}

/** Clamps into [min, max]; either bound may be omitted. @example clamp(x, 0, 1) */
export function clamp(x: Tensor, min?: number, max?: number): Tensor {
  check(min !== undefined || max !== undefined, 'clamp', 'needs at least one of min and max');
  check(!(Number.isNaN(min) || Number.isNaN(max)), 'clamp', 'bounds must not be NaN');
  const lo = x.dtype === 'float32' ? -Infinity : x.dtype === 'int32' ? -2147483648 : 0;
  const hi = x.dtype === 'float32' ? Infinity : x.dtype === 'int32' ? 2147483647 : 4294967295;
  return unaryOp('clamp', x, Math.max(min ?? lo, lo), Math.min(max ?? hi, hi), 'clamp');
}
