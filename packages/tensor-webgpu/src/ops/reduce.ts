// Reductions (sum, mean, prod, amax, amin, argmax, argmin, var, std, logsumexp) and cumsum. Every one is
// brought to the backend's (outer, len, inner) form: adjacent dims are merged, scattered dims permuted last.
import type { ReduceOp } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { check, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { normDim, normDims, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, eq, mul, sub, unaryOp, where } from './elementwise.js';
import { expand, flip, permute, reshape } from './movement.js';
import { record } from '../autograd/node.js';
import { isGradEnabled, noGrad } from '../autograd/grad-mode.js';
import { backendOf, empty, requireFloat, viewOf } from './util.js';

/** Options of {@link variance} and {@link std}. */
export interface VarOptions {
  /** Bessel's correction (divide by N − 1); default true. Ignored when `correction` is given. */
  unbiased?: boolean;
  /** Divide by `max(0, N − correction)`; overrides `unbiased`. */
  correction?: number;
  /** Keep reduced dims as size 1. */
  keepdim?: boolean;
}

/** `x` viewed as [outer, len, inner] with the reduced dims in the middle, plus the result's shape. */
interface ReductionView {
  /** Owned by the caller (a reshape view, or a permuted copy): dispose it. */
  v: Tensor;
  outer: number;
  len: number;
  inner: number;
  outShape: number[];
}

/**
 * Plans a reduction of `x` over `dim` (all dims when undefined or `[]`). Adjacent dims need no copy;
 * otherwise the reduced dims are permuted to the end.
 */
function reductionView(op: string, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): ReductionView {
  backendOf(op, x);
  if (x.ndim === 0) {
    if (dim !== undefined) normDims(op, dim, 0);
    return { v: viewOf(x, [1, 1, 1], op), outer: 1, len: 1, inner: 1, outShape: [] };
  }
  const all = dim === undefined || (Array.isArray(dim) && dim.length === 0);
  const dims = all ? Array.from({ length: x.ndim }, (_, i) => i) : normDims(op, dim, x.ndim);
  const shape = x.shape;
  const outShape = keepdim ? shape.map((s, i) => (dims.includes(i) ? 1 : s)) : shape.filter((_, i) => !dims.includes(i));
  const len = sizeOf(dims.map((d) => shape[d]!));
  const adjacent = dims.every((d, k) => d === dims[0]! + k);
  if (adjacent) {
    const outer = sizeOf(shape.slice(0, dims[0]!));
    const inner = sizeOf(shape.slice(dims[dims.length - 1]! + 1));
    return { v: viewOf(x, [outer, len, inner], op), outer, len, inner, outShape };
  }
  const kept = shape.map((_, i) => i).filter((i) => !dims.includes(i));
  const p = permute(x, [...kept, ...dims]);
  const outer = sizeOf(kept.map((d) => shape[d]!));
  const v = viewOf(p, [outer, len, 1], op);
  p.dispose();
  return { v, outer, len, inner: 1, outShape };
}

/** Runs a backend reduction on a planned view; the result has `r.outShape` and `dtype`. */
function runReduce(op: string, kind: ReduceOp, r: ReductionView, dtype: DType): Tensor {
  const backend = backendOf(op, r.v);
  const out = empty(op, backend, r.outShape, dtype);
  if (out.size > 0) backend.reduce(kind, r.v.buf(op), out.buf(op), r.outer, r.len, r.inner, dtype);
  return out;
}

/** The reduction's result shape with keepdim, i.e. x's shape with every reduced dim set to 1. */
function keepShapeOf(op: string, x: Tensor, dim: number | readonly number[] | undefined): number[] {
  if (x.ndim === 0) return [];
  const all = dim === undefined || (Array.isArray(dim) && dim.length === 0);
  const dims = all ? x.shape.map((_, i) => i) : normDims(op, dim, x.ndim);
  return x.shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

/** Broadcasts a reduced gradient (or result) back over the input's shape: the adjoint of a sum. */
function expandBack(g: Tensor, keepShape: number[], shape: readonly number[]): Tensor {
  return expand(reshape(g, keepShape), shape);
}

/** Backward rules of the reductions, given the output gradient, the input, the output and the keepdim shape. */
const REDUCE_GRAD: Record<ReduceOp, (g: Tensor, x: Tensor, y: Tensor, keep: number[]) => Tensor> = {
  sum: (g, x, _y, keep) => expandBack(g, keep, x.shape),
  prod: (g, x, y, keep) => div(expandBack(mul(g, y), keep, x.shape), x),
  // Ties share the gradient evenly, like torch.amax/amin.
  max: (g, x, y, keep) => maxMinGrad(g, x, y, keep),
  min: (g, x, y, keep) => maxMinGrad(g, x, y, keep),
};

function maxMinGrad(g: Tensor, x: Tensor, y: Tensor, keep: number[]): Tensor {
  const hit = eq(x, expandBack(y, keep, x.shape));
  const dims = keep.map((k, i) => (k === 1 && x.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0);
  const count = dims.length ? sum(hit.to('float32'), dims, true) : hit.to('float32');
  return div(where(hit, expandBack(g, keep, x.shape), 0), count);
}

function reduceWith(op: string, kind: ReduceOp, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const out = noGrad(() => reduceForward(op, kind, x, dim, keepdim));
  const keep = keepShapeOf(op, x, dim);
  return record(op, out, [x], (g, [xs, ys]) => {
    // prod's rule differentiates through its output: recompute it from the connected input under createGraph.
    const y = kind === 'prod' && isGradEnabled() ? reshape(prod(xs!, keepDims(keep, xs!.shape), true), ys!.shape) : ys!;
    return [REDUCE_GRAD[kind](g, xs!, y, keep)];
  }, [x, out]);
}

function reduceForward(op: string, kind: ReduceOp, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  const src = x.dtype === 'bool' && (kind === 'sum' || kind === 'prod') ? x.to('int32') : x;
  const r = reductionView(op, src, dim, keepdim);
  try {
    if (kind === 'max' || kind === 'min') {
      check(r.len > 0, op, `cannot reduce over an empty dim of ${fmtShape(x.shape)}: ${op} has no identity`);
    }
    return runReduce(op, kind, r, src.dtype);
  } finally {
    r.v.dispose();
    if (src !== x) src.dispose();
  }
}

/**
 * Sum over `dim` (a dim, a list, or all when omitted). Integer tensors keep int32 (bool sums become int32).
 *
 * @example
 * sum(tensor([[1, 2], [3, 4]]), 1); // [3, 7]
 */
export function sum(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return reduceWith('sum', 'sum', x, dim, keepdim);
}

/**
 * Product over `dim`. An empty reduction gives 1.
 *
 * @example
 * prod(tensor([1, 2, 3])); // 6
 */
export function prod(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return reduceWith('prod', 'prod', x, dim, keepdim);
}

/**
 * Maximum over `dim` (NaN propagates). Refuses empty reductions, which have no identity.
 *
 * @example
 * amax(x, [0, 2], true);
 */
export function amax(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return reduceWith('amax', 'max', x, dim, keepdim);
}

/**
 * Minimum over `dim` (NaN propagates). Refuses empty reductions.
 *
 * @example
 * amin(x, -1);
 */
export function amin(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  return reduceWith('amin', 'min', x, dim, keepdim);
}

/**
 * Mean over `dim` (float32 only, like torch; an empty reduction gives NaN).
 *
 * @example
 * mean(x, -1, true);
 */
export function mean(x: Tensor, dim?: number | number[], keepdim = false): Tensor {
  check(x.dtype === 'float32', 'mean', `expects a float32 tensor (torch cannot infer an integer mean), got ${x.dtype} of shape ${fmtShape(x.shape)}; cast with .to('float32')`);
  const r = noGrad(() => reductionView('mean', x, dim, keepdim));
  try {
    const s = runReduce('mean', 'sum', r, 'float32');
    const out = unaryOp('mulScalar', s, 1 / r.len, 0, 'mean');
    s.dispose();
    const keep = keepShapeOf('mean', x, dim);
    const n = r.len;
    return record('mean', out, [x], (g, [xs]) => [mul(expandBack(g, keep, xs!.shape), 1 / n)], [x]);
  } finally {
    r.v.dispose();
  }
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  const backend = backendOf(op, x);
  let v: Tensor;
  let outer: number;
  let len: number;
  let inner: number;
  let outShape: number[];
  if (dim === undefined || x.ndim === 0) {
    if (dim !== undefined) normDim(op, dim, 0);
    [outer, len, inner] = [1, x.size, 1];
    outShape = keepdim ? x.shape.map(() => 1) : [];
    v = viewOf(x, [1, len, 1], op);
  } else {
    const d = normDim(op, dim, x.ndim);
    [outer, len, inner] = [sizeOf(x.shape.slice(0, d)), x.shape[d]!, sizeOf(x.shape.slice(d + 1))];
    outShape = keepdim ? x.shape.map((s, i) => (i === d ? 1 : s)) : x.shape.filter((_, i) => i !== d);
    v = viewOf(x, [outer, len, inner], op);
  }
  try {
    check(len > 0, op, `cannot take ${op} over an empty dim of ${fmtShape(x.shape)}`);
    const out = empty(op, backend, outShape, 'int32');
    if (out.size > 0) backend.argReduce(op, v.buf(op), out.buf(op), outer, len, inner, x.dtype);
    return out;
  } finally {
    v.dispose();
  }
}

/**
 * Index (int32) of the first maximum along `dim`, or of the flattened tensor when `dim` is omitted.
 * NaN counts as the maximum, like torch.
 *
 * @example
 * argmax(tensor([[1, 5], [7, 2]]), 1); // [1, 0]
 */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argReduce('argmax', x, dim, keepdim);
}

/**
 * Index (int32) of the first minimum along `dim` (flattened when omitted).
 *
 * @example
 * argmin(x); // a 0-d int32 tensor
 */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argReduce('argmin', x, dim, keepdim);
}

function varianceOf(op: string, x: Tensor, dim: number | number[] | undefined, options: VarOptions): Tensor {
  check(x.dtype === 'float32', op, `expects a float32 tensor, got ${x.dtype} of shape ${fmtShape(x.shape)}`);
  const correction = options.correction ?? (options.unbiased === false ? 0 : 1);
  check(Number.isFinite(correction) && correction >= 0, op, `correction must be a non-negative number, got ${correction}`);
  const r = noGrad(() => reductionView(op, x, dim, options.keepdim ?? false));
  return tidy(() => {
    // Two passes (mean, then squared deviations) avoid the cancellation of E[x²] − E[x]².
    const m = noGrad(() => mean(r.v, 1, true));
    const d = sub(r.v, m);
    const sq = unaryOp('square', d);
    const s = runReduce(op, 'sum', { ...r, v: sq }, 'float32');
    r.v.dispose();
    // torch divides by max(0, N − correction): 0/0 = NaN, s/0 = inf.
    const denom = Math.max(0, r.len - correction);
    const out = unaryOp('mulScalar', s, 1 / denom, 0, op);
    const keep = keepShapeOf(op, x, dim);
    // d var / dx = 2 (x − mean) / (N − correction), broadcast from the reduced gradient.
    return record(op, out, [x], (g, [xs]) => {
      const dev = sub(xs!, mean(xs!, keepDims(keep, xs!.shape), true));
      return [mul(mul(dev, expandBack(g, keep, xs!.shape)), 2 / denom)];
    }, [x]);
  });
}

/** The dims a keepdim shape reduced (size 1 where the input's size is not 1, plus size-1 dims that were named). */
function keepDims(keep: number[], shape: readonly number[]): number[] {
  return keep.map((k, i) => (k === 1 ? i : -1)).filter((i) => i >= 0 && i < shape.length);
}

/**
 * Variance over `dim` (all dims when omitted); unbiased (N − 1) by default, like torch.var.
 *
 * @example
 * variance(x, 1, { unbiased: false, keepdim: true });
 */
export function variance(x: Tensor, dim?: number | number[], options: VarOptions = {}): Tensor {
  return varianceOf('var', x, dim, options);
}

/**
 * Standard deviation: `sqrt(variance(x, dim, options))`.
 *
 * @example
 * std(x, [0, 1]);
 */
export function std(x: Tensor, dim?: number | number[], options: VarOptions = {}): Tensor {
  return tidy(() => unaryOp('sqrt', varianceOf('std', x, dim, options), 0, 0, 'std'));
}

/**
 * Inclusive cumulative sum along `dim` (bool becomes int32; integer sums wrap at 32 bits).
 *
 * @example
 * cumsum(tensor([1, 2, 3]), 0); // [1, 3, 6]
 */
export function cumsum(x: Tensor, dim: number): Tensor {
  const backend = backendOf('cumsum', x);
  const d = normDim('cumsum', dim, x.ndim);
  const src = x.dtype === 'bool' ? x.to('int32') : x;
  const out = empty('cumsum', backend, x.shape, src.dtype);
  const outer = sizeOf(x.shape.slice(0, d));
  const len = x.ndim === 0 ? 1 : x.shape[d]!;
  const inner = sizeOf(x.shape.slice(d + 1));
  if (out.size > 0) backend.cumsum(src.buf('cumsum'), out.buf('cumsum'), outer, len, inner, src.dtype);
  if (src !== x) src.dispose();
  if (x.ndim === 0) return record('cumsum', out, [x], (g) => [g]);
  return record('cumsum', out, [x], (g) => [flip(cumsum(flip(g, d), d), d)]);
}

/**
 * `log(sum(exp(x), dim))`, computed stably by subtracting the (finite) maximum first; rows of all −inf
 * give −inf and an empty reduction gives −inf. Integer input is computed in float32.
 *
 * @example
 * logsumexp(tensor([1e4, 1e4]), 0); // 1e4 + ln 2
 */
export function logsumexp(x: Tensor, dim: number | number[], keepdim = false): Tensor {
  backendOf('logsumexp', x);
  const out = noGrad(() => tidy(() => {
    const xf = x.dtype === 'float32' ? x : x.to('float32');
    const r = reductionView('logsumexp', xf, dim, keepdim);
    if (r.len === 0) {
      const out = empty('logsumexp', xf.backend, r.outShape, 'float32');
      if (out.size > 0) xf.backend.fill(out.buf('logsumexp'), out.size, 'float32', -Infinity);
      return out;
    }
    const m = amax(r.v, 1, true);
    // torch masks infinite maxima to 0 so all −inf rows give log(0) = −inf and +inf rows give +inf.
    const mm = where(unaryOp('isinf', m), 0, m);
    const e = unaryOp('exp', sub(r.v, mm));
    const s = runReduce('logsumexp', 'sum', { ...r, v: e, outShape: [r.outer, 1, r.inner] }, 'float32');
    const lse = unaryOp('log', s).add(mm);
    return viewOf(lse, r.outShape, 'logsumexp');
  }));
  const keep = keepShapeOf('logsumexp', x, dim);
  // d lse / dx = exp(x − lse): the softmax over the reduced dims.
  return record('logsumexp', out, [x], (g, [xs, ys]) => {
    const y = isGradEnabled() ? logsumexp(xs!, keepDims(keep, xs!.shape), true) : ys!;
    return [mul(expandBack(g, keep, xs!.shape), unaryOp('exp', sub(xs!, expandBack(y, keep, xs!.shape))))];
  }, [x, out]);
}
