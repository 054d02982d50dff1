// Movement ops: reshape (a view), and permute/expand/slice/flip/cat/stack as strided copies.
import { check, fmtShape } from '../errors.js';
import { normDim, normDims, sizeOf, stridesOf, validateShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { backendOf, empty, viewOf } from './util.js';
import { record } from '../autograd/node.js';
import { sumTo } from './elementwise.js';

/**
 * Same elements under a new shape; one dim may be -1. Shares storage (no copy).
 *
 * @example
 * arange(6).reshape(2, -1); // [2, 3]
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  backendOf('reshape', x);
  const neg = shape.filter((d) => d === -1).length;
  check(neg <= 1, 'reshape', `only one dim may be -1, got ${fmtShape(shape)}`);
  let out = [...shape];
  if (neg === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    check(known > 0 && x.size % known === 0, 'reshape', `cannot infer -1 in ${fmtShape(shape)} for ${x.size} elements (input ${fmtShape(x.shape)})`);
    out = shape.map((d) => (d === -1 ? x.size / known : d));
  }
  validateShape('reshape', out);
  check(sizeOf(out) === x.size, 'reshape', `shape ${fmtShape(shape)} does not match the ${x.size} elements of the input ${fmtShape(x.shape)}`);
  return viewOf(x, out, 'reshape');
}

/** Flattens dims `start..end` (inclusive) into one. @example x.flatten(1) */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normDim('flatten', start, x.ndim);
  const e = normDim('flatten', end, x.ndim);
  check(s <= e, 'flatten', `start dim ${start} comes after end dim ${end}`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape);
}

/** Removes size-1 dims (all, or only `dim`). @example x.squeeze(0) */
export function squeeze(x: Tensor, dim?: number): Tensor {
  if (dim === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const d = normDim('squeeze', dim, x.ndim);
  if (x.shape[d] !== 1) return reshape(x, x.shape);
  return reshape(x, x.shape.filter((_, i) => i !== d));
}

/** Inserts a size-1 dim at `dim` (-1 appends). @example x.unsqueeze(0) */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  const d = normDim('unsqueeze', dim, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(d, 0, 1);
  return reshape(x, shape);
}

function stridedCopy(op: string, x: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  const backend = backendOf(op, x);
  const out = empty(op, backend, shape, x.dtype);
  backend.copy({ buf: x.buf(op), offset, strides }, out.buf(op), shape, x.dtype);
  return out;
}

/**
 * Reorders dims (a copy: tensors are always contiguous).
 *
 * @example
 * x.permute(0, 2, 3, 1); // NCHW → NHWC
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  check(dims.length === x.ndim, 'permute', `got ${dims.length} dims for a tensor of rank ${x.ndim} (${fmtShape(x.shape)})`);
  const d = dims.map((v) => normDim('permute', v, x.ndim));
  check(new Set(d).size === d.length, 'permute', `dims ${fmtShape(dims)} are not a permutation`);
  const st = x.strides;
  const inv = d.map((_, i) => d.indexOf(i));
  const out = stridedCopy('permute', x, d.map((i) => x.shape[i]!), d.map((i) => st[i]!), 0);
  return record('permute', out, [x], (g) => [permute(g, inv)]);
}

/** Swaps two dims. @example x.transpose(-1, -2) */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  const perm = Array.from({ length: x.ndim }, (_, i) => i);
  const a = normDim('transpose', dim0, x.ndim);
  const b = normDim('transpose', dim1, x.ndim);
  [perm[a], perm[b]] = [perm[b]!, perm[a]!];
  return permute(x, perm);
}

/**
 * Broadcasts size-1 dims to `shape` (-1 keeps a dim), materialised as a copy.
 *
 * @example
 * tensor([1, 2, 3]).expand(2, 3);
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  check(shape.length >= x.ndim, 'expand', `target ${fmtShape(shape)} has fewer dims than the input ${fmtShape(x.shape)}`);
  const lead = shape.length - x.ndim;
  const st = x.strides;
  const outShape = shape.map((d, i) => (i >= lead && d === -1 ? x.shape[i - lead]! : d));
  validateShape('expand', outShape);
  const strides = outShape.map((d, i) => {
    if (i < lead) return 0;
    const s = x.shape[i - lead]!;
    check(s === d || s === 1, 'expand', `cannot expand ${fmtShape(x.shape)} to ${fmtShape(shape)} (dim ${i}: ${s} → ${d})`);
    return s === d ? st[i - lead]! : 0;
  });
  const inShape = [...x.shape];
  return record('expand', stridedCopy('expand', x, outShape, strides, 0), [x], (g) => [sumTo(g, inShape)]);
}

/**
 * Elements `start` (inclusive) to `end` (exclusive) by `step` along `dim`; negative indices count from the end.
 *
 * @example
 * x.slice(1, 0, 4, 2); // columns 0 and 2
 */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  const d = normDim('slice', dim, x.ndim);
  const n = x.shape[d]!;
  check(Number.isInteger(step) && step > 0, 'slice', `step must be a positive integer, got ${step}`);
  const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
  const s = clampIdx(start);
  const e = clampIdx(end ?? n);
  const len = Math.max(0, Math.ceil((e - s) / step));
  const st = x.strides;
  const shape = [...x.shape];
  shape[d] = len;
  const strides = [...st];
  strides[d] = st[d]! * step;
  const inShape = [...x.shape];
  return record('slice', stridedCopy('slice', x, shape, strides, s * st[d]!), [x], (g) => [sliceScatter(g, inShape, d, s, step)]);
}

/**
 * The adjoint of `slice`: a zero tensor of `shape` with `src` written at `start, start+step, …` along `dim`
 * (torch.slice_scatter on zeros). Used by slice's gradient; differentiable itself.
 *
 * @example
 * sliceScatter(g, [4, 6], 1, 0, 2); // g's columns land in columns 0, 2, 4
 */
export function sliceScatter(src: Tensor, shape: readonly number[], dim: number, start: number, step = 1): Tensor {
  const backend = backendOf('sliceScatter', src);
  const d = normDim('sliceScatter', dim, shape.length);
  check(src.ndim === shape.length && src.shape.every((v, i) => i === d || v === shape[i]), 'sliceScatter', `source ${fmtShape(src.shape)} does not fit ${fmtShape(shape)} outside dim ${dim}`);
  check(start >= 0 && step > 0 && (src.shape[d] === 0 || start + (src.shape[d]! - 1) * step < shape[d]!), 'sliceScatter', `positions start ${start}, step ${step} × ${src.shape[d]} exceed dim ${dim} of size ${shape[d]}`);
  const out = empty('sliceScatter', backend, shape, src.dtype);
  backend.fill(out.buf('sliceScatter'), out.size, src.dtype, 0);
  const st = stridesOf(shape);
  const strides = [...st];
  strides[d] = st[d]! * step;
  if (src.size > 0) backend.copyInto(src.buf('sliceScatter'), { buf: out.buf('sliceScatter'), offset: start * st[d]!, strides }, [...src.shape], src.dtype);
  const len = src.shape[d]!;
  return record('sliceScatter', out, [src], (g) => [slice(g, d, start, start + (len - 1) * step + 1, step)]);
}

/** `length` elements from `start` along `dim` (torch.narrow; bounds are checked). @example x.narrow(0, 1, 2) */
export function narrow(x: Tensor, dim: number, start: number, length: number): Tensor {
  const d = normDim('narrow', dim, x.ndim);
  const n = x.shape[d]!;
  const s = start < 0 ? start + n : start;
  check(Number.isInteger(length) && length >= 0 && s >= 0 && s + length <= n, 'narrow', `range start ${start}, length ${length} is outside dim ${dim} of size ${n} (shape ${fmtShape(x.shape)})`);
  return slice(x, d, s, s + length);
}

/** Reverses the order along `dims`. @example x.flip(-1) */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  const ds = normDims('flip', dims, x.ndim);
  const st = x.strides;
  let offset = 0;
  const strides = st.map((s, i) => {
    if (!ds.includes(i)) return s;
    offset += (x.shape[i]! - 1) * s;
    return -s;
  });
  return record('flip', stridedCopy('flip', x, [...x.shape], strides, offset), [x], (g) => [flip(g, ds)]);
}

/**
 * Concatenates along `dim`; all other dims must match.
 *
 * @example
 * cat([a, b], 0);
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  check(tensors.length > 0, 'cat', 'needs at least one tensor');
  const first = tensors[0]!;
  const backend = backendOf('cat', ...tensors);
  const d = normDim('cat', dim, first.ndim);
  for (const t of tensors) {
    check(t.dtype === first.dtype, 'cat', `dtypes differ (${first.dtype} and ${t.dtype})`);
    check(
      t.ndim === first.ndim && t.shape.every((s, i) => i === d || s === first.shape[i]),
      'cat',
      `shapes ${tensors.map((x) => fmtShape(x.shape)).join(', ')} differ outside dim ${dim}`,
    );
  }
  const shape = [...first.shape];
  shape[d] = tensors.reduce((a, t) => a + t.shape[d]!, 0);
  const out = empty('cat', backend, shape, first.dtype);
  const st = stridesOf(shape);
  let offset = 0;
  const starts: number[] = [];
  for (const t of tensors) {
    if (t.size > 0) backend.copyInto(t.buf('cat'), { buf: out.buf('cat'), offset: offset * st[d]!, strides: st }, [...t.shape], t.dtype);
    starts.push(offset);
    offset += t.shape[d]!;
  }
  const lens = tensors.map((t) => t.shape[d]!);
  return record('cat', out, tensors, (g) => starts.map((s, i) => slice(g, d, s, s + lens[i]!)));
}

/**
 * Stacks equally shaped tensors along a new dim.
 *
 * @example
 * stack([a, b], 0); // [2, ...a.shape]
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  check(tensors.length > 0, 'stack', 'needs at least one tensor');
  const first = tensors[0]!;
  for (const t of tensors) {
    check(t.ndim === first.ndim && t.shape.every((s, i) => s === first.shape[i]), 'stack', `shapes ${tensors.map((x) => fmtShape(x.shape)).join(', ')} differ`);
  }
  const d = normDim('stack', dim, first.ndim + 1);
  const views = tensors.map((t) => unsqueeze(t, d));
  const out = cat(views, d);
  for (const v of views) v.dispose();
  return out;
}

/** Splits into pieces of `size` along `dim` (the last may be smaller). @example split(x, 2, 0) */
export function split(x: Tensor, size: number, dim = 0): Tensor[] {
  const d = normDim('split', dim, x.ndim);
  check(Number.isInteger(size) && size > 0, 'split', `size must be a positive integer, got ${size}`);
  const out: Tensor[] = [];
  for (let s = 0; s < x.shape[d]!; s += size) out.push(slice(x, d, s, s + size));
  return out;
}

/** Splits into `chunks` nearly equal pieces along `dim` (torch.chunk). @example chunk(x, 3, 1) */
export function chunk(x: Tensor, chunks: number, dim = 0): Tensor[] {
  const d = normDim('chunk', dim, x.ndim);
  check(Number.isInteger(chunks) && chunks > 0, 'chunk', `chunks must be a positive integer, got ${chunks}`);
  return split(x, Math.max(1, Math.ceil(x.shape[d]! / chunks)), d);
}
