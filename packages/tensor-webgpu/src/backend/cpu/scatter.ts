// CPU scatter-add: the reference for the atomic WGSL kernel (and the adjoint of gather).
import type { BackendBuffer } from '../backend.js';
import type { DType } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import { arr } from './cpu-buffer.js';

export function cpuScatterAdd(src: BackendBuffer, index: BackendBuffer, indexShape: number[], dim: number, out: BackendBuffer, outShape: number[], _dtype: DType): void {
  const s = arr(src);
  const idx = arr(index);
  const o = arr(out);
  const st = stridesOf(outShape);
  const rank = indexShape.length;
  const n = idx.length === 0 ? 0 : indexShape.reduce((a, b) => a * b, 1);
  const coord = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let rem = i;
    for (let d = rank - 1; d >= 0; d--) {
      coord[d] = rem % indexShape[d]!;
      rem = Math.floor(rem / indexShape[d]!);
    }
    const k = idx[i]!;
    if (k < 0 || k >= outShape[dim]!) continue;
    let off = 0;
    for (let d = 0; d < rank; d++) off += (d === dim ? k : coord[d]!) * st[d]!;
    o[off] = o[off]! + s[i]!;
  }
}
