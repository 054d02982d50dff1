// Pure shape arithmetic: sizes, strides, NumPy broadcasting and dim normalisation.
import { check, fmtShape } from './errors.js';

/** A tensor shape: one non-negative integer per dimension. */
export type Shape = readonly number[];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major (C-contiguous) strides of a shape, in elements. */
export function stridesOf(shape: Shape): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** True when two shapes are equal. */
export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks that `shape` is a list of non-negative integers. */
export function validateShape(op: string, shape: Shape): void {
  for (const d of shape) {
    check(Number.isInteger(d) && d >= 0, op, `invalid shape ${fmtShape(shape)}: sizes must be non-negative integers`);
  }
}

/** NumPy broadcasting of several shapes; throws naming `op` when they are incompatible. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const j = rank - s.length + i;
      const d = s[i]!;
      const o = out[j]!;
      if (o === 1) out[j] = d;
      else
        check(
          d === 1 || d === o,
          op,
          `shapes ${shapes.map(fmtShape).join(' and ')} cannot be broadcast together (dim ${j}: ${o} vs ${d})`,
        );
    }
  }
  return out;
}

/**
 * Strides that read a contiguous tensor of `shape` as if broadcast to `outShape`
 * (0 where a dimension is broadcast).
 */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const st = stridesOf(shape);
  const r = outShape.length;
  const out = new Array<number>(r).fill(0);
  for (let i = 0; i < shape.length; i++) {
    const j = r - shape.length + i;
    out[j] = shape[i] === 1 && outShape[j] !== 1 ? 0 : st[i]!;
  }
  return out;
}

/** Normalises a possibly negative dim against `rank`; throws naming `op` when out of range. */
export function normDim(op: string, dim: number, rank: number): number {
  const r = Math.max(rank, 1);
  check(Number.isInteger(dim) && dim >= -r && dim < r, op, `dim ${dim} is out of range for a tensor of rank ${rank}`);
  return dim < 0 ? dim + r : dim;
}

/** Normalises a dim list (undefined = all dims), sorted and without repeats. */
export function normDims(op: string, dims: number | readonly number[] | undefined, rank: number): number[] {
  if (dims === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof dims === 'number' ? [dims] : [...dims];
  const out = list.map((d) => normDim(op, d, rank));
  check(new Set(out).size === out.length, op, `dims ${JSON.stringify(list)} repeat a dimension`);
  return out.sort((a, b) => a - b);
}

/**
 * Merges adjacent dims that every strided operand walks contiguously, and drops size-1 dims,
 * so kernels index with the smallest rank. Returns the reduced shape and one stride list per operand.
 */
export function coalesceDims(shape: Shape, stridesList: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  const dims: number[] = [];
  for (let d = 0; d < shape.length; d++) if (shape[d] !== 1) dims.push(d);
  const outShape: number[] = [];
  const outStrides: number[][] = stridesList.map(() => []);
  for (const d of dims) {
    const last = outShape.length - 1;
    const mergeable =
      last >= 0 && stridesList.every((st, k) => outStrides[k]![last] === st[d]! * shape[d]!);
    if (mergeable) {
      outShape[last]! *= shape[d]!;
      stridesList.forEach((st, k) => (outStrides[k]![last] = st[d]!));
    } else {
      outShape.push(shape[d]!);
      stridesList.forEach((st, k) => outStrides[k]!.push(st[d]!));
    }
  }
  return { shape: outShape, strides: outStrides };
}
