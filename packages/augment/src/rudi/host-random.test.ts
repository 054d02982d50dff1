// HostRandom seeding: every bit of a 53-bit seed and of the stream number reaches the state (issue 12: seeds
// 2^52 − 1 and 2^53 − 1, or 1 and 2^32, used to draw identical parameters).
import { describe, expect, it } from 'vitest';
import { HostRandom } from './host-random.js';

const draws = (seed: number, stream?: number): number[] => {
  const r = new HostRandom(seed, stream);
  return Array.from({ length: 8 }, () => r.random());
};

describe('HostRandom seeding', () => {
  it('gives distinct draws for seeds that differ only in high bits', () => {
    const seeds = [0, 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 - 1, 2 ** 53 - 1, 2 ** 52, 2 ** 53 - 2, 2 ** 21, 2 ** 21 + 2 ** 52];
    const seen = new Set(seeds.map((s) => draws(s).join(',')));
    expect(seen.size).toBe(seeds.length);
    expect(draws(2 ** 52 - 1)).not.toEqual(draws(2 ** 53 - 1));
  });

  it('gives distinct draws per stream, and the same draws for the same seed and stream', () => {
    expect(draws(7, 0)).toEqual(draws(7));
    expect(draws(7, 1)).not.toEqual(draws(7, 0));
    expect(draws(7, 2 ** 53 - 1)).not.toEqual(draws(7, 2 ** 52 - 1));
    expect(draws(1, 0)).not.toEqual(draws(0, 1));
    expect(draws(123, 456)).toEqual(draws(123, 456));
  });

  it('draws uniformly (mean and variance of 20,000 draws within 4 standard errors)', () => {
    const r = new HostRandom(2 ** 53 - 1, 99);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.random();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sq += u * u;
    }
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sq / n - mean * mean - 1 / 12)).toBeLessThan(0.005);
  });

  it('refuses seeds and streams that are not non-negative safe integers', () => {
    for (const bad of [-1, 1.5, 2 ** 53, NaN]) {
      expect(() => new HostRandom(bad)).toThrow(/HostRandom: seed must be a non-negative safe integer/);
      expect(() => new HostRandom(0, bad)).toThrow(/HostRandom: stream must be a non-negative safe integer/);
    }
  });
});
