// The memorisation check flags planted copies (exact and lightly perturbed) of training images, in pixel and feature
// space, and draws the closest pairs.
import { type Tensor, nn, tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { moduleExtractor } from '../features/feature-extractor.js';
import { RandomState } from '../distribution/mt19937.js';
import { nearestNeighbours, pairsGrid } from './index.js';

const backends = await testBackends();
const S = 32;

/** n textured RGB images [n, 3, S, S] in [0, 1] from a seeded stream (random blobs and stripes). */
function images(n: number, rng: RandomState): Float32Array {
  const out = new Float32Array(n * 3 * S * S);
  const u = (): number => rng.nextUint32() / 4294967296;
  for (let i = 0; i < n; i++) {
    const [fx, fy, ph, cx, cy, r] = [u() * 0.6, u() * 0.6, u() * 6, u() * S, u() * S, 4 + u() * 10];
    const tint = [u(), u(), u()];
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const stripes = 0.5 + 0.5 * Math.sin(fx * x + fy * y + ph + c);
          const blob = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r));
          out[((i * 3 + c) * S + y) * S + x] = Math.min(1, 0.6 * stripes * tint[c]! + 0.5 * blob);
        }
      }
    }
  }
  return out;
}

describe.each(backends.map((b) => [b.name, b] as const))('memorisation check on %s', (_name, backend) => {
  it('flags exact and perturbed copies of training images, and nothing else', async () => {
    const rng = new RandomState(17);
    const train = images(40, rng);
    const fresh = images(22, rng);
    const gen = new Float32Array(30 * 3 * S * S);
    const planted = new Map<number, number>(); // generated index → training index
    const img = 3 * S * S;
    let g = 0;
    for (const [t, noise] of [[3, 0], [11, 0], [17, 0], [25, 0.01], [39, 0.02], [0, 0], [8, 0.015], [30, 0]] as const) {
      for (let p = 0; p < img; p++) gen[g * img + p] = Math.min(1, Math.max(0, train[t * img + p]! + noise * (u32(rng) - 0.5) * 2));
      planted.set(g, t);
      g++;
    }
    gen.set(fresh, g * img);
    const T = tensor(train, { shape: [40, 3, S, S], backend });
    const G = tensor(gen, { shape: [30, 3, S, S], backend });
    const r = await nearestNeighbours(G, T, { space: 'pixel', k: 3, pixelSize: 16 });
    expect(r.k).toBe(3);
    for (const [gi, ti] of planted) {
      expect(r.index[gi * 3], `generated ${gi} is closest to training ${ti}`).toBe(ti);
      expect(r.relative[gi]).toBeLessThan(r.threshold);
    }
    expect(new Set(r.flagged)).toEqual(new Set(planted.keys()));
    expect(r.fractionFlagged).toBeCloseTo(8 / 30, 12);
    for (let i = 0; i < 30; i++) for (let q = 1; q < 3; q++) expect(r.distance[i * 3 + q]!).toBeGreaterThanOrEqual(r.distance[i * 3 + q - 1]!);
    expect(r.distance[0]).toBe(0);
    expect(r.trainingNearest.every((v) => v > 0)).toBe(true);
    // The same in a feature space (here: per-channel means of a 4×4 grid of the image).
    const pool = new (class extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.reshape([x.shape[0]!, 3, 4, S / 4, 4, S / 4]).mean([3, 5]).reshape([x.shape[0]!, 48]);
      }
    })();
    const ext = moduleExtractor(pool, { name: 'grid-means', dim: 48 });
    const f = await nearestNeighbours(G, T, { space: 'features', extractor: ext, k: 1 });
    expect(new Set(f.flagged)).toEqual(new Set(planted.keys()));
    // The grid of the closest pairs: one row per flagged image.
    const pairs = r.flagged.slice(0, 4).map((i) => [G.narrow(0, i, 1), T.narrow(0, r.index[i * 3]!, 1)] as const);
    const grid = await pairsGrid(pairs, { cell: 24, gap: 2 });
    expect(grid.width).toBe(2 * 24 + 3 * 2);
    expect(grid.height).toBe(4 * 24 + 5 * 2);
    expect(grid.data.length).toBe(grid.width * grid.height * 3);
    // An exact copy: the two cells of its row are identical.
    const row0 = (x0: number): number[] => Array.from(grid.data.subarray((2 * grid.width + x0) * 3, (2 * grid.width + x0 + 24) * 3));
    expect(row0(2)).toEqual(row0(28));
    await expect(nearestNeighbours(G, T, { space: 'features' })).rejects.toThrow(/space 'features' with images needs options.extractor/);
    await expect(nearestNeighbours(G, T, { space: 'pixel', k: 41 })).rejects.toThrow(/k = 41 exceeds the 40 training images/);
    await expect(nearestNeighbours(G, T, { space: 'voxel' as 'pixel' })).rejects.toThrow(/space must be 'pixel' or 'features'/);
    for (const t of [T, G, ...pairs.flat()]) t.dispose();
  });
});

function u32(rng: RandomState): number {
  return rng.nextUint32() / 4294967296;
}
