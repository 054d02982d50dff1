// Pairwise inner products of feature rows on a tensor backend (GPU), chunked so every buffer fits the device's binding limit.
import { type Backend, type Tensor, getBackend, matmul, tensor, tidy } from '@radix/tensor-webgpu';

/** Largest chunk result the metrics read back at once (bytes), below any device's binding limit. */
const MAX_CHUNK_BYTES = 64 * 1024 * 1024;

function rowsOf(x: Float64Array, d: number, start: number, count: number): Float32Array {
  return Float32Array.from(x.subarray(start * d, (start + count) * d));
}

/**
 * Calls `onChunk(rowStart, rows, dots)` with `dots[r * m + j] = x[rowStart + r] · y[j]` (float32 matmul on
 * `backend`), covering all rows of x in chunks, and y in column blocks, sized to the device's binding limit.
 *
 * @example
 * await forEachGramChunk(x, n, y, m, d, getBackend(), (r0, rows, dots) => { ... });
 */
export async function forEachGramChunk(
  x: Float64Array, n: number, y: Float64Array, m: number, d: number, backend: Backend | undefined,
  onChunk: (rowStart: number, rows: number, dots: Float32Array) => void, maxChunkBytes = MAX_CHUNK_BYTES,
): Promise<void> {
  const b = backend ?? getBackend();
  const limit = Math.min(b.info.maxBindingBytes, maxChunkBytes);
  const maxElems = Math.floor(limit / 4);
  if (d > maxElems) throw new Error(`pairwise distances: feature dimension ${d} exceeds the device binding limit of ${limit} bytes`);
  const colsPerBlock = Math.max(1, Math.min(m, Math.floor(maxElems / d)));
  const rowsPerChunk = Math.max(1, Math.min(n, Math.floor(maxElems / Math.max(m, d))));
  const yBlocks: Tensor[] = [];
  try {
    for (let c0 = 0; c0 < m; c0 += colsPerBlock) {
      const cols = Math.min(colsPerBlock, m - c0);
      yBlocks.push(tidy(() => tensor(rowsOf(y, d, c0, cols), { shape: [cols, d], backend: b }).t()));
    }
    for (let r0 = 0; r0 < n; r0 += rowsPerChunk) {
      const rows = Math.min(rowsPerChunk, n - r0);
      const dots = new Float32Array(rows * m);
      const xs = tensor(rowsOf(x, d, r0, rows), { shape: [rows, d], backend: b });
      try {
        for (let blk = 0; blk < yBlocks.length; blk++) {
          const c0 = blk * colsPerBlock;
          const cols = yBlocks[blk]!.shape[1]!;
          const out = matmul(xs, yBlocks[blk]!);
          const part = await out.data();
          out.dispose();
          if (cols === m) dots.set(part as Float32Array);
          else for (let r = 0; r < rows; r++) dots.set((part as Float32Array).subarray(r * cols, (r + 1) * cols), r * m + c0);
        }
      } finally {
        xs.dispose();
      }
      onChunk(r0, rows, dots);
    }
  } finally {
    for (const t of yBlocks) t.dispose();
  }
}
