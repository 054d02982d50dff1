// Chunked GPU inner products (row chunks and column blocks) against float64 dot products on every backend.
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { forEachGramChunk } from './gram.js';

const backends = await testBackends();

describe.each(backends.map((b) => [b.name, b] as const))('forEachGramChunk on %s', (_name, backend) => {
  it('covers every (row, column) pair when both dimensions are chunked', async () => {
    const n = 23;
    const m = 17;
    const d = 5;
    const x = Float64Array.from({ length: n * d }, (_, i) => Math.fround(Math.sin(i * 1.7)));
    const y = Float64Array.from({ length: m * d }, (_, i) => Math.fround(Math.cos(i * 0.9)));
    const seen = new Uint8Array(n);
    let maxErr = 0;
    let chunks = 0;
    // 96 bytes = 24 floats: 4 columns per block and 1 row per chunk
    await forEachGramChunk(x, n, y, m, d, backend, (r0, rows, dots) => {
      chunks++;
      for (let r = 0; r < rows; r++) {
        seen[r0 + r]! += 1;
        for (let j = 0; j < m; j++) {
          let ref = 0;
          for (let c = 0; c < d; c++) ref += x[(r0 + r) * d + c]! * y[j * d + c]!;
          maxErr = Math.max(maxErr, Math.abs(dots[r * m + j]! - ref));
        }
      }
    }, 96);
    expect(chunks).toBe(n);
    expect(Array.from(seen)).toEqual(new Array(n).fill(1));
    expect(maxErr).toBeLessThan(1e-5);
  });
  it('refuses a feature dimension beyond the binding limit', async () => {
    await expect(forEachGramChunk(new Float64Array(40), 1, new Float64Array(40), 1, 40, backend, () => {}, 96)).rejects.toThrow(/feature dimension 40 exceeds/);
  });
});
