// Property tests (fast-check) of the distribution metrics: FID identities, exact merging, KID/IS sanity, PRDC ranges.
import { tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RandomState, densityCoverage, featureStats, featureStatsFromJSON, featureStatsToJSON, frechetDistance, inceptionScore,
  kid, mergeFeatureStats, precisionRecall, type FeatureMatrix,
} from './index.js';

const backends = await testBackends();

/** Deterministic float32 Gaussian-ish features from a seed (Box–Muller over the MT19937 stream). */
function gaussian(n: number, d: number, seed: number, scale = 1, shift = 0): FeatureMatrix {
  const rs = new RandomState(seed);
  const u = (): number => (rs.nextUint32() + 0.5) / 4294967296;
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = shift + scale * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  return { n, d, data };
}

function permuteRows(x: FeatureMatrix, seed: number): FeatureMatrix {
  const p = new RandomState(seed).permutation(x.n);
  const data = new Float32Array(x.data.length);
  for (let r = 0; r < x.n; r++) data.set(x.data.subarray(p[r]! * x.d, (p[r]! + 1) * x.d), r * x.d);
  return { n: x.n, d: x.d, data };
}

const arbSet = fc.record({
  n: fc.integer({ min: 12, max: 60 }), d: fc.integer({ min: 1, max: 8 }), seed: fc.integer({ min: 0, max: 2 ** 31 }),
  scale: fc.double({ min: 0.1, max: 10, noNaN: true }), shift: fc.double({ min: -50, max: 50, noNaN: true }),
});

describe('FID properties', () => {
  it('FID(X, X) ≈ 0, FID ≥ 0, and FID is invariant to sample order', async () => {
    await fc.assert(fc.asyncProperty(arbSet, fc.integer({ min: 0, max: 1000 }), async (s, seed2) => {
      const x = gaussian(s.n, s.d, s.seed, s.scale, s.shift);
      const y = gaussian(s.n + 3, s.d, s.seed + 1, s.scale * 1.2, s.shift + 0.3);
      const sx = await featureStats(x);
      const sy = await featureStats(y);
      let trace = 0;
      for (let j = 0; j < s.d; j++) trace += sx.cov[j * s.d + j]!;
      const self = frechetDistance(sx, sx);
      expect(Math.abs(self)).toBeLessThanOrEqual(1e-6 * trace);
      const fid = frechetDistance(sx, sy);
      expect(fid).toBeGreaterThanOrEqual(-1e-9 * trace);
      const fidPermuted = frechetDistance(await featureStats(permuteRows(x, seed2)), sy);
      expect(Math.abs(fidPermuted - fid)).toBeLessThanOrEqual(1e-9 * Math.max(fid, trace));
    }), { numRuns: 40 });
  });

  it('merged shard statistics equal the statistics of the union, also through JSON', async () => {
    await fc.assert(fc.asyncProperty(arbSet, fc.integer({ min: 1, max: 11 }), async (s, cut) => {
      const x = gaussian(s.n, s.d, s.seed, s.scale, s.shift);
      const a = { n: cut, d: s.d, data: x.data.slice(0, cut * s.d) };
      const b = { n: s.n - cut, d: s.d, data: x.data.slice(cut * s.d) };
      const whole = await featureStats(x);
      const viaJson = (v: Awaited<ReturnType<typeof featureStats>>) => featureStatsFromJSON(JSON.parse(JSON.stringify(featureStatsToJSON(v))));
      const merged = mergeFeatureStats(viaJson(await featureStats(a)), viaJson(await featureStats(b)));
      expect(merged.n).toBe(whole.n);
      const close = (p: Float64Array, q: Float64Array, scale: number): void => {
        for (let i = 0; i < q.length; i++) expect(Math.abs(p[i]! - q[i]!)).toBeLessThanOrEqual(1e-11 * scale);
      };
      const mscale = Math.max(1, ...Array.from(whole.mean, Math.abs));
      close(merged.mean, whole.mean, mscale);
      close(merged.cov, whole.cov, Math.max(...Array.from(whole.cov, Math.abs)));
      close(merged.sum, whole.sum, mscale * s.n);
      close(merged.sumOuter, whole.sumOuter, mscale * mscale * s.n);
    }), { numRuns: 40 });
  });

  it('featureStats accepts tensors and refuses malformed JSON', async () => {
    const x = gaussian(10, 3, 5);
    for (const backend of backends) {
      const t = tensor(x.data, { shape: [10, 3], backend });
      const st = await featureStats(t);
      expect(Array.from(st.mean)).toEqual(Array.from((await featureStats(x)).mean));
      t.dispose();
    }
    expect(() => featureStatsFromJSON({ format: 'radix-feature-stats', version: 1, n: 2, d: 2, mean: [1], cov: [], sum: [], sumOuter: [] })).toThrow(/featureStatsFromJSON: mean must have 2 values/);
  });
});

describe('KID and IS properties', () => {
  it('KID of two samples of one distribution is near 0, and clearly positive for different ones', async () => {
    const x = gaussian(300, 8, 1);
    const y = gaussian(300, 8, 2);
    const z = gaussian(300, 8, 3, 1.5, 0.5);
    const same = await kid(x, y, { subsets: 20, subsetSize: 100 });
    const diff = await kid(x, z, { subsets: 20, subsetSize: 100 });
    expect(Math.abs(same.mean)).toBeLessThan(0.01);
    expect(Math.abs(same.mean)).toBeLessThan(2 * same.std + 1e-3);
    expect(diff.mean).toBeGreaterThan(20 * Math.abs(same.mean) + 0.05);
  });

  it('IS of k equiprobable confident classes is k', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 5 }), async (k, reps, extra) => {
      const c = k + extra;
      const splits = 5;
      const n = k * reps * splits;
      const data = new Float32Array(n * c);
      for (let r = 0; r < n; r++) data[r * c + (r % k)] = 60;
      const res = await inceptionScore({ n, d: c, data }, { splits, shuffle: false });
      expect(Math.abs(res.mean - k)).toBeLessThan(1e-9 * k);
      expect(res.std).toBeLessThan(1e-9);
    }), { numRuns: 25 });
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('PRDC ranges on %s', (_name, backend) => {
  it('precision, recall, density ≥ 0; precision, recall, coverage in [0, 1]', async () => {
    await fc.assert(fc.asyncProperty(arbSet, fc.integer({ min: 1, max: 5 }), async (s, k) => {
      const real = gaussian(s.n, s.d, s.seed, s.scale, s.shift);
      const fake = gaussian(s.n - 2, s.d, s.seed + 7, s.scale * 0.9, s.shift + s.scale * 0.5);
      const pr = await precisionRecall(real, fake, { k, backend });
      const dc = await densityCoverage(real, fake, { k, backend });
      for (const v of [pr.precision, pr.recall, dc.coverage]) { expect(v).toBeGreaterThanOrEqual(0); expect(v).toBeLessThanOrEqual(1); }
      expect(dc.density).toBeGreaterThanOrEqual(0);
      const self = await precisionRecall(real, real, { k, backend });
      expect(self).toEqual({ precision: 1, recall: 1 });
    }), { numRuns: backend.name === 'cpu' ? 20 : 6 });
  });
});
