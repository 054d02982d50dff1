// CPU storage: a typed array wrapped so the backend interface can treat it as an opaque buffer.
import type { BackendBuffer } from '../backend.js';
import type { StorageArray } from '../../dtype.js';

/** A CPU backend buffer. */
export class CpuBuffer implements BackendBuffer {
  constructor(public data: StorageArray) {}
  get byteLength(): number {
    return this.data.byteLength;
  }
}

/** The typed array behind a buffer handed to the CPU backend. */
export function arr(b: BackendBuffer): StorageArray {
  return (b as CpuBuffer).data;
}

/**
 * Calls `fn(outIndex, ...offsets)` for every element of `shape`, where each offset follows its own strides.
 * Iterates row-major with incremental offsets (no per-element division).
 */
export function forEachStrided(
  shape: readonly number[],
  stridesList: readonly (readonly number[])[],
  bases: readonly number[],
  fn: (i: number, offs: number[]) => void,
): void {
  const rank = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  const offs = [...bases];
  for (let i = 0; i < total; i++) {
    fn(i, offs);
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < offs.length; k++) offs[k]! += stridesList[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < offs.length; k++) offs[k]! -= stridesList[k]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
