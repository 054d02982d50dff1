// CPU pad (constant/reflect/replicate/circular), gather and index_select: the reference for the WGSL versions.
// Out-of-range indices throw here (the CPU can check them synchronously); the GPU kernels write 0 instead.
import type { BackendBuffer, PadMode } from '../backend.js';
import type { DType } from '../../dtype.js';
import { RadixError, fmtShape } from '../../errors.js';
import { stridesOf } from '../../shape.js';
import { arr } from './cpu-buffer.js';

/**
 * Maps an output coordinate shifted by the padding (`c`, may lie outside `[0, n)`) to a source coordinate,
 * or -1 when it falls into constant padding.
 *
 * @example
 * padSource(-2, 5, 'reflect'); // 2
 */
export function padSource(c: number, n: number, mode: PadMode): number {
  if (c >= 0 && c < n) return c;
  if (n === 0) return -1;
  switch (mode) {
    case 'constant':
      return -1;
    case 'replicate':
      return c < 0 ? 0 : n - 1;
    case 'circular':
      return ((c % n) + n) % n;
    case 'reflect': {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const m = Math.abs(c) % period;
      return m >= n ? period - m : m;
    }
  }
}

/**
 * Pads (or crops, for negative `before`/after) `x` of `shape` into `out` of `outShape`;
 * `before[d]` is the padding ahead of dim `d` (may be negative).
 *
 * @example
 * cpuPad(x, [3], out, [5], [1], 'reflect', 0, 'float32'); // [a, b, c] → [b, a, b, c, b]
 */
export function cpuPad(x: BackendBuffer, shape: number[], out: BackendBuffer, outShape: number[], before: number[], mode: PadMode, value: number, _dtype: DType): void {
  const xv = arr(x);
  const o = arr(out);
  const rank = shape.length;
  const xs = stridesOf(shape);
  const total = outShape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  // Per dim, a table from output coordinate to source offset (-1: constant).
  const maps = outShape.map((os, d) => {
    const m = new Int32Array(os);
    for (let k = 0; k < os; k++) {
      const s = padSource(k - before[d]!, shape[d]!, mode);
      m[k] = s < 0 ? -1 : s * xs[d]!;
    }
    return m;
  });
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < total; i++) {
    let off = 0;
    let inside = true;
    for (let d = 0; d < rank; d++) {
      const s = maps[d]![idx[d]!]!;
      if (s < 0) {
        inside = false;
        break;
      }
      off += s;
    }
    o[i] = inside ? xv[off]! : value;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
}

/**
 * torch.gather: `out[i][j][k] = x[index[i][j][k]][j][k]` for `dim = 0` (index has the output's shape).
 *
 * @example
 * cpuGather(x, [2, 3], idx, [2, 1], 1, out, 'float32');
 */
export function cpuGather(x: BackendBuffer, xShape: number[], index: BackendBuffer, outShape: number[], dim: number, out: BackendBuffer, _dtype: DType): void {
  const xv = arr(x);
  const iv = arr(index);
  const o = arr(out);
  const rank = outShape.length;
  const xs = stridesOf(xShape);
  const n = xShape[dim]!;
  const total = outShape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < total; i++) {
    const k = iv[i]!;
    if (!(k >= 0 && k < n)) throw new RadixError('gather', `index ${k} is out of bounds for dim ${dim} with size ${n} (input ${fmtShape(xShape)})`);
  }
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < total; i++) {
    let off = 0;
    for (let d = 0; d < rank; d++) off += (d === dim ? iv[i]! : idx[d]!) * xs[d]!;
    o[i] = xv[off]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < outShape[d]!) break;
      idx[d] = 0;
    }
  }
}

/**
 * torch.index_select: picks `count` slices along `dim` by the 1-D int32 `index`.
 *
 * @example
 * cpuIndexSelect(x, [4, 3], idx, 2, 0, out, 'float32'); // two rows of a 4×3 matrix
 */
export function cpuIndexSelect(x: BackendBuffer, xShape: number[], index: BackendBuffer, count: number, dim: number, out: BackendBuffer, _dtype: DType): void {
  const xv = arr(x);
  const iv = arr(index);
  const o = arr(out);
  const n = xShape[dim]!;
  const outer = xShape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = xShape.slice(dim + 1).reduce((a, b) => a * b, 1);
  for (let k = 0; k < count; k++) {
    const v = iv[k]!;
    if (!(v >= 0 && v < n)) throw new RadixError('indexSelect', `index ${v} is out of bounds for dim ${dim} with size ${n} (input ${fmtShape(xShape)})`);
  }
  for (let a = 0; a < outer; a++) {
    for (let k = 0; k < count; k++) {
      const src = (a * n + iv[k]!) * inner;
      o.set(xv.subarray(src, src + inner), (a * count + k) * inner);
    }
  }
}
