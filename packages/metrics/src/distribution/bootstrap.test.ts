// Bootstrap intervals, FID∞ and the resampling engine: exact agreement with the metrics on materialised resamples, and a
// seeded Gaussian simulation measuring how often the intervals cover the true FID / KID.
import { describe, expect, it, vi } from 'vitest';
import {
  RandomState, densityCoverage, featureStats, fidBootstrap, fidInfinity, frechetDistance, inceptionScore, inceptionScoreBootstrap,
  kid, kidBootstrap, prdcBootstrap, precisionRecall, sampleSizeWarnings, ResampleEngine, traceSqrtProduct, type FeatureMatrix,
} from './index.js';

/** Gaussian rows N(mean, L Lᵀ) from a seeded MT19937 stream (Box–Muller), float64. */
function gaussian(n: number, mean: number[], l: number[][], rng: RandomState): FeatureMatrix {
  const d = mean.length;
  const u = (): number => (rng.nextUint32() + 0.5) / 4294967296;
  const data = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < d; c++) z[c] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    for (let r = 0; r < d; r++) {
      let s = mean[r]!;
      for (let c = 0; c <= r; c++) s += l[r]![c]! * z[c]!;
      data[i * d + r] = s;
    }
  }
  return { n, d, data };
}

/** Rows `idx` of x (a materialised resample). */
function rows(x: FeatureMatrix, idx: ArrayLike<number>): FeatureMatrix {
  const data = new Float64Array(idx.length * x.d);
  for (let r = 0; r < idx.length; r++) data.set(x.data.subarray(idx[r]! * x.d, (idx[r]! + 1) * x.d), r * x.d);
  return { n: idx.length, d: x.d, data };
}

const cholesky = (s: number[][]): number[][] => {
  const d = s.length;
  const l = s.map(() => new Array<number>(d).fill(0));
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let v = s[i]![j]!;
      for (let k = 0; k < j; k++) v -= l[i]![k]! * l[j]![k]!;
      l[i]![j] = i === j ? Math.sqrt(v) : v / l[j]![j]!;
    }
  }
  return l;
};

describe('ResampleEngine', () => {
  it('FID of weighted sets equals frechetDistance on the materialised resample, in both evaluation paths', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const rng = new RandomState(11);
    for (const [d, n1, n2] of [[3, 40, 30], [24, 10, 12]] as const) {
      const id = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : i > j ? 0.2 : 0)));
      const x = gaussian(n1, new Array(d).fill(0), id, rng);
      const y = gaussian(n2, new Array(d).fill(0.3), id, rng);
      const e = await ResampleEngine.create(x, y, { compute: 'float64', grams: true });
      const full = frechetDistance(await featureStats(x), await featureStats(y));
      expect(Math.abs(e.fid(new Float64Array(n1).fill(1), new Float64Array(n2).fill(1)) - full) / full).toBeLessThan(1e-9);
      for (let t = 0; t < 3; t++) {
        const i1 = Int32Array.from({ length: n1 }, () => rng.interval(n1 - 1));
        const i2 = Int32Array.from({ length: n2 }, () => rng.interval(n2 - 1));
        const w1 = new Float64Array(n1);
        const w2 = new Float64Array(n2);
        for (const i of i1) w1[i]! += 1;
        for (const i of i2) w2[i]! += 1;
        const ref = frechetDistance(await featureStats(rows(x, i1)), await featureStats(rows(y, i2)));
        expect(Math.abs(e.fid(w1, w2) - ref) / ref, `d=${d} resample ${t}`).toBeLessThan(1e-8);
      }
    }
    warn.mockRestore();
  });

  it('bootstrap estimates equal the metrics on the full sets (KID, IS, P/R, D/C)', async () => {
    const rng = new RandomState(3);
    const id = [[1, 0, 0, 0], [0.3, 1, 0, 0], [0, 0.2, 1, 0], [0.1, 0, 0, 1]];
    const x = gaussian(40, [0, 0, 0, 0], id, rng);
    const y = gaussian(40, [0.5, 0, 0.2, 0], id, rng);
    const k = await kidBootstrap(x, y, { reps: 20, compute: 'float64' });
    const all = Int32Array.from({ length: 40 }, (_, i) => i);
    const ref = await kid(x, y, { indices: { real: [all], fake: [all] }, compute: 'float64' });
    expect(Math.abs(k.estimate - ref.mean)).toBeLessThan(1e-12 * Math.abs(ref.mean) + 1e-15);
    const pr = await prdcBootstrap(x, y, { reps: 10, compute: 'float64' });
    const p = await precisionRecall(x, y, { k: 3 });
    const dc = await densityCoverage(x, y, { k: 5 });
    expect(pr.precision.estimate).toBe(p.precision);
    expect(pr.recall.estimate).toBe(p.recall);
    expect(pr.density.estimate).toBeCloseTo(dc.density, 12);
    expect(pr.coverage.estimate).toBe(dc.coverage);
    for (const m of [pr.precision, pr.recall, pr.coverage]) {
      expect(m.ci.low).toBeGreaterThanOrEqual(0);
      expect(m.ci.high).toBeLessThanOrEqual(1);
    }
    const logits = { n: 60, d: 5, data: Float64Array.from({ length: 300 }, (_, i) => Math.sin(i * 0.7) * 3) };
    const is = await inceptionScoreBootstrap(logits, { reps: 30, splits: 3, seed: 9 });
    expect(is.estimate).toBeCloseTo((await inceptionScore(logits, { splits: 3, shuffle: false })).mean, 12);
    const again = await inceptionScoreBootstrap(logits, { reps: 30, splits: 3, seed: 9 });
    expect(Array.from(again.replicates)).toEqual(Array.from(is.replicates));
    expect(is.ci).toMatchObject({ level: 0.95, method: 'percentile', reps: 30, seed: 9 });
  });

  it('refuses bad options clearly', async () => {
    const x = { n: 3, d: 2, data: new Float64Array([0, 1, 2, 3, 4, 6]) };
    await expect(fidBootstrap(x, x, { reps: 1 })).rejects.toThrow(/fidBootstrap: reps must be an integer ≥ 2/);
    await expect(fidBootstrap(x, x, { level: 1.5 })).rejects.toThrow(/level must be in \(0, 1\)/);
    await expect(kidBootstrap(x, { n: 3, d: 3, data: new Float64Array(9) })).rejects.toThrow(/feature dimensions differ \(2 vs 3\)/);
    await expect(prdcBootstrap(x, x)).rejects.toThrow(/each set needs more than k = 5 samples/);
    await expect(fidInfinity(x, x, { minSize: 3 })).rejects.toThrow(/minSize must be an integer in \[2, 2\]/);
  });
});

describe('sample-size warnings', () => {
  it('say what N < d and unequal sizes do to FID', () => {
    const w = sampleSizeWarnings({ nReal: 300, nFake: 500, dim: 2048, features: 'FID Inception-v3 pool3' });
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/FID: 300 real images for 2048-d FID Inception-v3 pool3 features: the covariance has rank at most 299 < 2048.*grows roughly like 1\/N \(Chong & Forsyth 2020\)/);
    expect(w[2]).toMatch(/differ in size \(300 vs 500\): FID's bias depends on both sizes/);
    expect(sampleSizeWarnings({ nReal: 5000, nFake: 5000, dim: 2048 })).toEqual([]);
  });
});

/** E k(x, y) for the kernel (γ x·y + c)³, x ~ N(ma, Sa), y ~ N(mb, Sb) independent (closed form via Gaussian moments). */
function expectedCubicKernel(ma: number[], sa: number[][], mb: number[], sb: number[][], gamma: number, c: number): number {
  const d = ma.length;
  const dot = (u: number[], v: number[]): number => u.reduce((s, ui, i) => s + ui * v[i]!, 0);
  const mv = (m: number[][], v: number[]): number[] => m.map((row) => dot(row, v));
  const tr = (m: number[][], n: number[][]): number => m.reduce((s, row, i) => s + row.reduce((t, mij, j) => t + mij * n[j]![i]!, 0), 0);
  const outer = (u: number[]): number[][] => u.map((ui) => u.map((uj) => ui * uj));
  const add = (m: number[][], n: number[][]): number[][] => m.map((row, i) => row.map((v, j) => v + n[i]![j]!));
  void d;
  const e1 = dot(ma, mb);
  const e2 = tr(add(sa, outer(ma)), add(sb, outer(mb)));
  // E s³ = E[(aᵀy)³] + 3 E[(aᵀy)(yᵀ Sa y)], a = ma.
  const am = dot(ma, mb);
  const aSa = dot(ma, mv(sb, ma));
  const e3 = am ** 3 + 3 * am * aSa + 3 * (am * (dot(mb, mv(sa, mb)) + tr(sa, sb)) + 2 * dot(ma, mv(sb, mv(sa, mb))));
  return c ** 3 + 3 * c * c * gamma * e1 + 3 * c * gamma * gamma * e2 + gamma ** 3 * e3;
}

describe('bootstrap coverage (seeded Gaussian simulation)', () => {
  it('the 95 % intervals cover the true FID and KID near their nominal rate', async () => {
    const d = 4;
    const s1 = [[1.2, 0.3, 0, 0.1], [0.3, 0.9, 0.2, 0], [0, 0.2, 1.1, 0.3], [0.1, 0, 0.3, 0.8]];
    const s2 = [[0.8, -0.1, 0.2, 0], [-0.1, 1.3, 0, 0.2], [0.2, 0, 0.9, -0.2], [0, 0.2, -0.2, 1.0]];
    const m1 = [0, 0, 0, 0];
    const m2 = [0.4, 0, -0.3, 0.2];
    const l1 = cholesky(s1);
    const l2 = cholesky(s2);
    const flat = (m: number[][]): Float64Array => Float64Array.from(m.flat());
    const trueFid = m1.reduce((s, v, i) => s + (v - m2[i]!) ** 2, 0) + s1.reduce((s, r, i) => s + r[i]! + s2[i]![i]!, 0) - 2 * traceSqrtProduct(flat(s1), flat(s2), d);
    const gamma = 1 / d;
    const trueKid = expectedCubicKernel(m1, s1, m1, s1, gamma, 1) + expectedCubicKernel(m2, s2, m2, s2, gamma, 1) - 2 * expectedCubicKernel(m1, s1, m2, s2, gamma, 1);
    const trials = 200;
    const reps = 200;
    let fidPct = 0;
    let fidBasic = 0;
    let kidPct = 0;
    const rng = new RandomState(2020);
    for (let t = 0; t < trials; t++) {
      const x = gaussian(200, m1, l1, rng);
      const y = gaussian(200, m2, l2, rng);
      const f = await fidBootstrap(x, y, { reps, seed: t, compute: 'float64' });
      const sorted = Float64Array.from(f.replicates).sort();
      const q = (p: number): number => sorted[Math.floor(p * (reps - 1))]! + (p * (reps - 1) - Math.floor(p * (reps - 1))) * (sorted[Math.min(reps - 1, Math.floor(p * (reps - 1)) + 1)]! - sorted[Math.floor(p * (reps - 1))]!);
      if (q(0.025) <= trueFid && trueFid <= q(0.975)) fidPct++;
      if (f.ci.low <= trueFid && trueFid <= f.ci.high) fidBasic++;
      const xs = rows(x, Int32Array.from({ length: 100 }, (_, i) => i));
      const ys = rows(y, Int32Array.from({ length: 100 }, (_, i) => i));
      const k = await kidBootstrap(xs, ys, { reps, seed: t, compute: 'float64' });
      if (k.ci.low <= trueKid && trueKid <= k.ci.high) kidPct++;
    }
    const cov = { fidBasic: fidBasic / trials, fidPercentile: fidPct / trials, kidPercentile: kidPct / trials };
    console.log(`[bootstrap coverage] ${trials} trials × ${reps} replicates, N = 200 (FID) / 100 (KID), d = ${d}: true FID ${trueFid.toFixed(4)}, true KID ${trueKid.toFixed(5)}; nominal 0.95, measured ${JSON.stringify(cov)}`);
    // Binomial standard error at 200 trials ≈ 0.015; the basic FID interval and the KID interval are near nominal.
    expect(cov.fidBasic).toBeGreaterThanOrEqual(0.9);
    expect(cov.fidBasic).toBeLessThanOrEqual(0.99);
    expect(cov.kidPercentile).toBeGreaterThanOrEqual(0.9);
    expect(cov.kidPercentile).toBeLessThanOrEqual(0.99);
  });

  it('FID∞ removes most of the 1/N bias', async () => {
    const d = 4;
    const id = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    const rng = new RandomState(5);
    let biasN = 0;
    let biasInf = 0;
    const trials = 20;
    for (let t = 0; t < trials; t++) {
      const x = gaussian(2000, [0, 0, 0, 0], id, rng);
      const y = gaussian(200, [0.3, 0, 0, 0], id, rng);
      const r = await fidInfinity(x, y, { seed: t, compute: 'float64' });
      biasN += r.points[r.points.length - 1]!.fid - 0.09;
      biasInf += r.fidInfinity - 0.09;
    }
    console.log(`[fid-inf] mean bias of FID_200 ${(biasN / trials).toFixed(4)}, of FID∞ ${(biasInf / trials).toFixed(4)} (true FID 0.09)`);
    expect(Math.abs(biasInf / trials)).toBeLessThan(0.5 * Math.abs(biasN / trials));
  });
});
