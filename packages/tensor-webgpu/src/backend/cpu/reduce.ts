// CPU reductions over the middle axis of an (outer, len, inner) view: sum/prod/max/min, argmax/argmin and cumsum.
// Float sums accumulate in float64 (then round once), so the CPU is the accurate reference the GPU is compared with.
import type { BackendBuffer, ReduceOp } from '../backend.js';
import type { DType } from '../../dtype.js';
import { arr } from './cpu-buffer.js';

/** Identity element of a reduction in `dtype` (what an empty reduction yields). */
function identity(op: ReduceOp, dtype: DType): number {
  if (op === 'sum') return 0;
  if (op === 'prod') return 1;
  if (dtype === 'float32') return op === 'max' ? -Infinity : Infinity;
  if (dtype === 'int32') return op === 'max' ? -2147483648 : 2147483647;
  return op === 'max' ? 0 : dtype === 'bool' ? 1 : 4294967295;
}

/** Combines an accumulator with one value; integer sums/products wrap like two's complement hardware. */
function combiner(op: ReduceOp, dtype: DType): (a: number, b: number) => number {
  const isFloat = dtype === 'float32';
  switch (op) {
    case 'sum':
      if (isFloat) return (a, b) => a + b;
      return dtype === 'int32' ? (a, b) => (a + b) | 0 : (a, b) => (a + b) >>> 0;
    case 'prod':
      if (isFloat) return (a, b) => a * b;
      return dtype === 'int32' ? (a, b) => Math.imul(a, b) : (a, b) => Math.imul(a, b) >>> 0;
    case 'max':
      return (a, b) => (b > a || Number.isNaN(b) ? b : a);
    case 'min':
      return (a, b) => (b < a || Number.isNaN(b) ? b : a);
  }
}

/**
 * Reduces the middle axis of `x` viewed as (outer, len, inner) into `out` of (outer, inner).
 * NaN propagates through max/min (like torch.amax); `len = 0` writes the identity.
 *
 * @example
 * cpuReduce('sum', x, out, 2, 3, 1, 'float32'); // row sums of a 2×3 matrix
 */
export function cpuReduce(op: ReduceOp, x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void {
  const xv = arr(x);
  const o = arr(out);
  const f = combiner(op, dtype);
  const init = identity(op, dtype);
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      let acc = init;
      let p = a * len * inner + i;
      for (let j = 0; j < len; j++, p += inner) acc = f(acc, xv[p]!);
      o[a * inner + i] = acc;
    }
  }
}

/**
 * Index (int32) of the first maximum/minimum along the middle axis; NaN counts as the extreme (torch semantics).
 *
 * @example
 * cpuArgReduce('argmax', x, out, 1, 5, 1, 'float32');
 */
export function cpuArgReduce(op: 'argmax' | 'argmin', x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, _dtype: DType): void {
  const xv = arr(x);
  const o = arr(out);
  const isMax = op === 'argmax';
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      const base = a * len * inner + i;
      let best = xv[base]!;
      let bi = 0;
      if (!Number.isNaN(best)) {
        for (let j = 1; j < len; j++) {
          const v = xv[base + j * inner]!;
          if (Number.isNaN(v)) {
            bi = j;
            break;
          }
          if (isMax ? v > best : v < best) {
            best = v;
            bi = j;
          }
        }
      }
      o[a * inner + i] = len === 0 ? 0 : bi;
    }
  }
}

/**
 * Inclusive prefix sums along the middle axis (float sums accumulate in float64, like torch on the CPU).
 *
 * @example
 * cpuCumsum(x, out, 1, 4, 1, 'float32'); // [1, 2, 3, 4] → [1, 3, 6, 10]
 */
export function cpuCumsum(x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void {
  const xv = arr(x);
  const o = arr(out);
  const f = combiner('sum', dtype);
  for (let a = 0; a < outer; a++) {
    for (let i = 0; i < inner; i++) {
      let acc = 0;
      let p = a * len * inner + i;
      for (let j = 0; j < len; j++, p += inner) {
        acc = f(acc, xv[p]!);
        o[p] = acc;
      }
    }
  }
}
