// Distribution metrics against the numpy/scipy/torch reference values of tools/reference/gen_metrics_distribution.py.
import { readFileSync } from 'node:fs';
import { tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  RandomState, accuracy, balancedAccuracy, densityCoverage, featureStats, frechetDistance, inceptionScore, kid,
  kidSubsetIndices, precisionRecall, type FeatureMatrix,
} from './index.js';

type M = { n: number; d: number; data: number[] };
const fx = JSON.parse(readFileSync(new URL('../../fixtures/distribution.json', import.meta.url), 'utf8'));
const f32 = (m: M): FeatureMatrix => ({ n: m.n, d: m.d, data: Float32Array.from(m.data) });
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};
const backends = await testBackends();

describe('NumPy-compatible RandomState', () => {
  it('permutation and choice match np.random.RandomState', () => {
    const rs = new RandomState(fx.mt.seed);
    expect(Array.from(rs.permutation(50))).toEqual(fx.mt.permutation50);
    expect(Array.from(rs.choice(1000, 20))).toEqual(fx.mt.choice);
    expect(Array.from(new RandomState(0).permutation(7))).toEqual(fx.mt.seed0perm7);
    expect(Array.from(new RandomState(4294967295).permutation(300))).toEqual(fx.mt.seedBigPerm300);
  });
});

describe('featureStats and frechetDistance vs numpy / pytorch-fid (scipy sqrtm)', () => {
  for (const c of fx.fid) {
    it(c.name, async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const a = await featureStats(f32(c.a));
      const b = await featureStats(f32(c.b));
      expect(maxAbs(a.mean, c.meanA)).toBeLessThan(1e-12 * Math.max(...c.meanA.map(Math.abs)) + 1e-14);
      if (c.covA) expect(maxAbs(a.cov, c.covA)).toBeLessThan(1e-12 * Math.max(...c.covA.map(Math.abs)));
      const fid = frechetDistance(a, b);
      console.log(`FID ${c.name}: radix ${fid} scipy ${c.fid} rel ${rel(fid, c.fid).toExponential(2)}`);
      expect(rel(fid, c.fid)).toBeLessThan(1e-6);
      if (c.a.n < c.a.d) expect(warn).toHaveBeenCalled();
      warn.mockRestore();
    });
  }
  it('throws clearly on bad input', async () => {
    await expect(featureStats({ n: 2, d: 2, data: new Float32Array([1, 2, NaN, 4]) })).rejects.toThrow(/featureStats: .*non-finite/);
    await expect(featureStats({ n: 0, d: 2, data: new Float32Array(0) })).rejects.toThrow(/featureStats: .*empty/);
    await expect(featureStats({ n: 2, d: 2, data: new Float32Array(3) })).rejects.toThrow(/featureStats: .*3 values/);
    const a = await featureStats({ n: 3, d: 2, data: new Float32Array([1, 2, 3, 4, 5, 7]) });
    const b = await featureStats({ n: 3, d: 1, data: new Float32Array([1, 2, 3]) });
    expect(() => frechetDistance(a, b)).toThrow(/frechetDistance: feature dimensions differ/);
    const one = await featureStats({ n: 1, d: 2, data: new Float32Array([1, 2]) });
    expect(() => frechetDistance(a, one)).toThrow(/frechetDistance: .*at least 2/);
  });
  it('refuses hand-built covariances that are not symmetric or not positive semi-definite', async () => {
    const good = await featureStats({ n: 4, d: 2, data: new Float32Array([0, 1, 2, 0, 1, 3, 4, 1]) });
    const hand = (cov: number[]) => ({ ...good, cov: Float64Array.from(cov) });
    // Before the checks these returned 2.106 (indefinite) and 0.622 (asymmetric) without a word.
    expect(() => frechetDistance(good, hand([1, 2, 2, 1]))).toThrow(
      /frechetDistance: the second covariance is not positive semi-definite: a pivoted Cholesky factorisation meets the negative pivot -3\.000e\+0 after 1 steps .*negative eigenvalue/,
    );
    expect(() => frechetDistance(hand([1, 0.5, 0, 1]), good)).toThrow(
      /frechetDistance: the first covariance is not symmetric: Σ\[0\]\[1\] = 0\.5 but Σ\[1\]\[0\] = 0 .*were the statistics built or edited by hand/,
    );
    expect(() => frechetDistance(good, hand([-1, 0, 0, 1]))).toThrow(/the second covariance has a negative variance \(Σ\[0\]\[0\] = -1\)/);
    // An indefinite matrix whose diagonal is zero: the pivots vanish but the remainder does not.
    const z = new Float64Array(9);
    z[1] = 1;
    z[3] = 1;
    const g3 = await featureStats({ n: 4, d: 3, data: new Float32Array([0, 1, 2, 0, 1, 3, 4, 1, 5, 2, 2, 2]) });
    expect(() => frechetDistance(g3, { ...g3, cov: z })).toThrow(/stops at rank 0 with an indefinite remainder of size 1\.000e\+0/);
    // Float32 rounding of a valid singular covariance (n < d) is within tolerance.
    const low = await featureStats({ n: 3, d: 6, data: Float32Array.from({ length: 18 }, (_, i) => Math.sin(i * 1.7) * 3) });
    const rounded = { ...low, cov: Float64Array.from(Float32Array.from(low.cov)) };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(Math.abs(frechetDistance(low, rounded))).toBeLessThan(1e-5);
    warn.mockRestore();
  });
});

describe('kid vs torch-fidelity formula', () => {
  for (const c of fx.kid) {
    it(`${c.name}: NumPy-compatible subset draws`, () => {
      const idx = kidSubsetIndices(c.real.n, c.fake.n, c.subsets, c.subsetSize, c.seed);
      expect(idx.real.map((a) => Array.from(a))).toEqual(c.indicesReal);
      expect(idx.fake.map((a) => Array.from(a))).toEqual(c.indicesFake);
    });
    it(`${c.name}: float64 path is exact given the same subsets`, async () => {
      const r = await kid(f32(c.real), f32(c.fake), { subsets: c.subsets, subsetSize: c.subsetSize, seed: c.seed, compute: 'float64' });
      const err = Math.max(...c.values.map((v: number, i: number) => rel(r.values[i]!, v)));
      console.log(`KID float64 ${c.name}: mean ${r.mean} ref ${c.mean}; max rel err per subset ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-9);
      expect(rel(r.mean, c.mean)).toBeLessThan(1e-9);
      expect(rel(r.std, c.std)).toBeLessThan(1e-8);
    });
    for (const backend of backends) {
      it(`${c.name}: GPU-matmul path on ${backend.name} with explicit indices`, async () => {
        const real = tensor(Float32Array.from(c.real.data), { shape: [c.real.n, c.real.d], backend });
        const r = await kid(real, f32(c.fake), { indices: { real: c.indicesReal, fake: c.indicesFake }, backend });
        const err = Math.max(...c.values.map((v: number, i: number) => Math.abs(r.values[i]! - v)));
        const scale = Math.max(...c.values.map(Math.abs));
        console.log(`KID ${backend.name} ${c.name}: mean ${r.mean} ref ${c.mean}; max abs err ${err.toExponential(2)} (|values| ≤ ${scale.toExponential(2)})`);
        expect(err).toBeLessThan(2e-5 * scale + 1e-6);
        real.dispose();
      });
    }
  }
  it('refuses subsets larger than the sets', async () => {
    const x = { n: 5, d: 2, data: new Float32Array(10) };
    await expect(kid(x, x, { subsetSize: 6 })).rejects.toThrow(/kid: subsetSize 6 is larger/);
  });
});

describe('inceptionScore vs torch-fidelity formula', () => {
  it('shuffled (RandomState(2020)), 10 splits', async () => {
    const r = await inceptionScore(f32(fx.is.logits));
    console.log(`IS shuffled: ${r.mean} ± ${r.std} ref ${fx.is.shuffled.mean} ± ${fx.is.shuffled.std}; rel ${rel(r.mean, fx.is.shuffled.mean).toExponential(2)}`);
    expect(maxAbs(r.values, fx.is.shuffled.values)).toBeLessThan(1e-10);
    expect(rel(r.mean, fx.is.shuffled.mean)).toBeLessThan(1e-12);
    expect(rel(r.std, fx.is.shuffled.std)).toBeLessThan(1e-9);
  });
  it('unshuffled, 4 splits', async () => {
    const r = await inceptionScore(f32(fx.is.logits), { splits: 4, shuffle: false });
    expect(maxAbs(r.values, fx.is.unshuffled4.values)).toBeLessThan(1e-10);
    expect(rel(r.std, fx.is.unshuffled4.std)).toBeLessThan(1e-9);
  });
  it('throws on too few samples', async () => {
    await expect(inceptionScore({ n: 3, d: 4, data: new Float32Array(12) })).rejects.toThrow(/inceptionScore: 3 samples cannot fill 10 splits/);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('precision/recall/density/coverage vs prdc formulas on %s', (_n, backend) => {
  it('k = 3 and k = 5 give the reference counts exactly', async () => {
    const real = f32(fx.prdc.real);
    const fake = f32(fx.prdc.fake);
    for (const k of [3, 5]) {
      const ref = fx.prdc[`k${k}`];
      const pr = await precisionRecall(real, fake, { k, backend });
      const dc = await densityCoverage(real, fake, { k, backend });
      console.log(`PRDC ${backend.name} k=${k}:`, pr, dc, 'ref', ref);
      expect(pr.precision).toBe(ref.precision);
      expect(pr.recall).toBe(ref.recall);
      expect(dc.coverage).toBe(ref.coverage);
      expect(dc.density).toBeCloseTo(ref.density, 14);
    }
  });
  it('refuses sets with k or fewer samples', async () => {
    const x = { n: 3, d: 2, data: new Float32Array(6) };
    await expect(precisionRecall(x, x, { backend })).rejects.toThrow(/precisionRecall: each set needs more than k = 3/);
  });
});

describe('accuracy and balancedAccuracy vs sklearn definitions', () => {
  it('matches the reference', () => {
    const c = fx.classification;
    expect(accuracy(c.pred, c.target)).toBeCloseTo(c.accuracy, 15);
    expect(balancedAccuracy(c.pred, c.target)).toBeCloseTo(c.balancedAccuracy, 15);
    expect(balancedAccuracy([0, 0, 0, 1], [0, 0, 1, 1])).toBe(0.75);
    expect(() => accuracy([1], [1, 2])).toThrow(/accuracy: pred has 1 labels but target has 2/);
    expect(() => balancedAccuracy([], [])).toThrow(/balancedAccuracy: no labels/);
  });
});
