// Minibatch sampling: class-balanced frequencies on an imbalanced set, uniform frequencies otherwise, determinism.
import { describe, expect, it } from 'vitest';
import { MinibatchSampler } from './balanced-sampler.js';
import { derivedSeed, seededRandom } from './seeded-random.js';

const labels = [...Array(90).fill(0), ...Array(9).fill(1), 2]; // 90 : 9 : 1

function classCounts(s: MinibatchSampler, steps: number, batch: number): number[] {
  const counts = [0, 0, 0];
  for (let t = 0; t < steps; t++) for (const i of s.indices(t, batch)) counts[labels[i]!]!++;
  return counts;
}

describe('MinibatchSampler', () => {
  it('balanced: each class about a third of the draws despite a 90:9:1 imbalance', () => {
    const s = new MinibatchSampler(labels, { balanced: true, seed: 7 });
    expect(s.numClasses).toBe(3);
    const counts = classCounts(s, 300, 32); // 9600 draws, σ ≈ 46 per class
    for (const c of counts) expect(Math.abs(c - 3200)).toBeLessThan(250);
  });

  it('uniform: classes in proportion to their sizes', () => {
    const counts = classCounts(new MinibatchSampler(labels, { seed: 7 }), 300, 32);
    expect(Math.abs(counts[0]! / 9600 - 0.9)).toBeLessThan(0.02);
    expect(Math.abs(counts[1]! / 9600 - 0.09)).toBeLessThan(0.015);
  });

  it('batches depend only on (seed, step)', () => {
    const a = new MinibatchSampler(labels, { balanced: true, seed: 1 });
    const b = new MinibatchSampler(labels, { balanced: true, seed: 1 });
    expect(b.indices(42, 16)).toEqual(a.indices(42, 16));
    expect(a.indices(43, 16)).not.toEqual(a.indices(42, 16));
    expect(seededRandom(1, 2)()).toBe(seededRandom(1, 2)());
    expect(derivedSeed(1, 2)).not.toBe(derivedSeed(2, 1));
    expect(() => new MinibatchSampler([])).toThrow(/empty/);
    expect(() => new MinibatchSampler([0, -1])).toThrow(/non-negative/);
  });
});
