// NCSNScheduler against ncsnv2's own anneal_Langevin_dynamics and anneal_dsm_score_estimation (fixtures from
// tools/reference/gen_ncsn_langevin.py), the acceptance proof on a 2-D Gaussian mixture with a known score, and
// properties of the levels, step sizes and step rules.
import { readFileSync } from 'node:fs';
import { type Tensor, cat, dispose, manualSeed, randn, tensor, tidy } from '@radix/tensor-webgpu';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DenoiserFunction, NCSNScheduler, UNet2DModel, ncsnDsmLoss, ncsnSigmas, sample, suggestSigmaMax,
} from '../index.js';

interface Mixture { weights: number[]; means: number[][]; stds: number[] }
interface LangevinCase {
  name: string; shape: number[]; mixture: Mixture; sigmas: number[]; init: number[]; noise: number[][]; images: number[][];
  config: { sigma_begin: number; sigma_end: number; num_classes: number; sigma_dist: 'geometric' | 'uniform'; n_steps_each: number; step_lr: number; denoise: boolean };
}
interface Fixture {
  commit: string; langevin: LangevinCase[];
  dsm: { sigmas: number[]; shape: number[]; samples: number[]; noise: number[]; labels: number[]; per_sample_loss: number[]; loss: number; config: { sigma_begin: number; sigma_end: number; num_classes: number } };
}
const FIX = JSON.parse(readFileSync(new URL('../../fixtures/ncsn/langevin.json', import.meta.url), 'utf8')) as Fixture;

const worst: Record<string, number> = {};
afterAll(() => console.log(`NCSN vs ncsnv2 ${FIX.commit.slice(0, 7)}, worst |error|: ${JSON.stringify(worst)}`));

/**
 * The score of a Gaussian mixture Σ π_k N(μ_k, s_k²·I) perturbed by N(0, σ²·I), for samples [B, …] flattened to [B, D]:
 * Σ_k w_k(x)·(μ_k − x)/(s_k² + σ²) with w = softmax_k(log π_k − ‖x − μ_k‖²/(2v_k) − (D/2)·log v_k), v_k = s_k² + σ².
 */
function mixtureScore(m: Mixture, x: Tensor, sigma: number): Tensor {
  return tidy(() => {
    const b = x.shape[0]!;
    const flat = x.reshape([b, -1]);
    const d = flat.shape[1]!;
    const diffs = m.means.map((mu) => tensor(Float32Array.from(mu), { shape: [1, d], backend: x.backend }).sub(flat));
    const vs = m.stds.map((s) => s * s + sigma * sigma);
    const logits = cat(diffs.map((df, k) => df.square().sum(1, true).div(-2 * vs[k]!).add(Math.log(m.weights[k]!) - (d / 2) * Math.log(vs[k]!))), 1);
    const w = logits.softmax(1);
    let out: Tensor | null = null;
    diffs.forEach((df, k) => {
      const term = df.mul(w.narrow(1, k, 1)).div(vs[k]!);
      out = out ? out.add(term) : term;
    });
    return out!.reshape([...x.shape]);
  });
}

async function maxAbs(t: Tensor, expected: number[]): Promise<number> {
  const v = (await t.data()) as Float32Array;
  expect(v.length).toBe(expected.length);
  let m = 0;
  v.forEach((x, i) => { m = Math.max(m, Math.abs(x - expected[i]!)); });
  return m;
}

describe('NCSNScheduler reproduces ncsnv2', () => {
  it.each(FIX.langevin.map((c) => [c.name, c] as [string, LangevinCase]))('anneal_Langevin_dynamics, %s: every step within 1e-5', async (_name, c) => {
    const s = new NCSNScheduler({
      sigmaMax: c.config.sigma_begin, sigmaMin: c.config.sigma_end, numScales: c.config.num_classes, stepsPerScale: c.config.n_steps_each,
      epsilon: c.config.step_lr, stepRule: 'reference-code', finalDenoise: c.config.denoise, sigmaSpacing: c.config.sigma_dist, scoreScaling: 'none',
    });
    expect(s.sigmas).toEqual(c.sigmas);
    let x = tensor(Float32Array.from(c.init), { shape: c.shape });
    let k = 0;
    let err = 0;
    for (let i = 0; i < s.sigmas.length; i++) {
      for (let j = 0; j < s.config.stepsPerScale; j++) {
        const z = tensor(Float32Array.from(c.noise[k]!), { shape: c.shape });
        const score = mixtureScore(c.mixture, x, s.sigmas[i]!);
        const next = s.step(score, i, x, { noise: z }).prevSample;
        dispose([x, z, score]);
        x = next;
        err = Math.max(err, await maxAbs(x, c.images[k]!));
        k++;
      }
    }
    if (s.config.finalDenoise) {
      const score = mixtureScore(c.mixture, x, s.sigmas[s.sigmas.length - 1]!);
      const next = s.denoise(score, x);
      dispose([x, score]);
      x = next;
      err = Math.max(err, await maxAbs(x, c.images[k]!));
      k++;
    }
    expect(k).toBe(c.images.length);
    worst[c.name] = err;
    expect(err).toBeLessThan(1e-5);
    x.dispose();
  });

  it('anneal_dsm_score_estimation: per-sample losses and their mean within 1e-5 (relative)', async () => {
    const d = FIX.dsm;
    const s = new NCSNScheduler({ sigmaMax: d.config.sigma_begin, sigmaMin: d.config.sigma_end, numScales: d.config.num_classes });
    expect(s.sigmas).toEqual(d.sigmas);
    const x = tensor(Float32Array.from(d.samples), { shape: d.shape });
    const z = tensor(Float32Array.from(d.noise), { shape: d.shape });
    // the network (0.5·x + 0.1·label); the scheduler's 'divide-by-sigma' makes it ncsnv2's scorenet
    const net = (xs: Tensor, t: Tensor) => xs.mul(0.5).add(t.to('float32').mul(0.1).reshape([xs.shape[0]!, 1, 1, 1]));
    const per = ncsnDsmLoss(net, s, x, { levels: d.labels, noise: z, reduction: 'none' });
    const mean = ncsnDsmLoss(net, s, x, { levels: d.labels, noise: z });
    const pv = (await per.data()) as Float32Array;
    let rel = 0;
    pv.forEach((v, i) => { rel = Math.max(rel, Math.abs(v - d.per_sample_loss[i]!) / Math.abs(d.per_sample_loss[i]!)); });
    rel = Math.max(rel, Math.abs((await mean.item()) - d.loss) / d.loss);
    worst.dsmRelative = rel;
    expect(rel).toBeLessThan(1e-5);
    dispose([x, z, per, mean]);
  });
});

describe('acceptance: annealed Langevin sampling of a 2-D Gaussian mixture with its analytic score', () => {
  // Target: 0.3·N((−0.6, 0.2), 0.15²I) + 0.7·N((0.5, −0.3), 0.25²I). The paper's sampler (Algorithm 1, ε = 2e-5, T = 100)
  // over 10 geometric levels from σ_1 = 3 (above the largest distance between modes, NCSNv2 Technique 1) to 0.01,
  // N = 4000 samples from U[−1, 1]². Standard errors at N = 4000: ≈ 0.008 for the means, ≤ 0.007 for the covariance
  // entries, 0.007 for the weight. Tolerances (stated in the README): mean and covariance entries within 0.03, the
  // weight of the first mode within 0.03.
  const m: Mixture = { weights: [0.3, 0.7], means: [[-0.6, 0.2], [0.5, -0.3]], stds: [0.15, 0.25] };
  const mean = [0, 1].map((d) => m.weights.reduce((p, w, k) => p + w * m.means[k]![d]!, 0));
  const cov = [0, 1].map((a) => [0, 1].map((b) => m.weights.reduce((p, w, k) => p + w * ((a === b ? m.stds[k]! ** 2 : 0) + m.means[k]![a]! * m.means[k]![b]!), 0) - mean[a]! * mean[b]!));

  it('mean, covariance and mixture weight match the target', async () => {
    const s = new NCSNScheduler({ sigmaMax: 3, sigmaMin: 0.01, numScales: 10, stepsPerScale: 100, epsilon: 2e-5, scoreScaling: 'none', modelInput: 'sigma' });
    const score: DenoiserFunction = (x, sigma) => mixtureScore(m, x, sigma);
    const n = 4000;
    // one batch of n 2-vectors shaped [n, 2, 1, 1]: the scheduler loop directly (sample() draws per-image streams, which
    // for 4000 images of 2 values would be 4000 draws per step)
    const { uniform } = await import('@radix/tensor-webgpu');
    manualSeed(2024);
    let x = uniform([n, 2, 1, 1], -1, 1);
    for (let i = 0; i < s.sigmas.length; i++) {
      for (let k = 0; k < s.config.stepsPerScale; k++) {
        const next = tidy(() => s.step(s.scoreFromModelOutput(score(x, s.modelTimestep(i), {}), i), i, x).prevSample);
        x.dispose();
        x = next;
      }
    }
    const v = (await x.data()) as Float32Array;
    x.dispose();
    const got = [0, 1].map((d) => { let p = 0; for (let i = 0; i < n; i++) p += v[2 * i + d]!; return p / n; });
    const gotCov = [0, 1].map((a) => [0, 1].map((b) => { let p = 0; for (let i = 0; i < n; i++) p += (v[2 * i + a]! - got[a]!) * (v[2 * i + b]! - got[b]!); return p / (n - 1); }));
    let first = 0;
    for (let i = 0; i < n; i++) {
      const d0 = (v[2 * i]! - m.means[0]![0]!) ** 2 + (v[2 * i + 1]! - m.means[0]![1]!) ** 2;
      const d1 = (v[2 * i]! - m.means[1]![0]!) ** 2 + (v[2 * i + 1]! - m.means[1]![1]!) ** 2;
      if (d0 < d1) first++;
    }
    console.log(`NCSN mixture: mean ${got.map((g) => g.toFixed(4))} (target ${mean.map((g) => g.toFixed(4))}), cov ${JSON.stringify(gotCov.map((r) => r.map((c) => +c.toFixed(4))))} (target ${JSON.stringify(cov.map((r) => r.map((c) => +c.toFixed(4))))}), first-mode weight ${(first / n).toFixed(4)} (target 0.3)`);
    for (let a = 0; a < 2; a++) {
      expect(Math.abs(got[a]! - mean[a]!)).toBeLessThan(0.03);
      for (let b = 0; b < 2; b++) expect(Math.abs(gotCov[a]![b]! - cov[a]![b]!)).toBeLessThan(0.03);
    }
    expect(Math.abs(first / n - 0.3)).toBeLessThan(0.03);
  });
});

describe('properties', () => {
  it('levels: strictly decreasing from fround(σ_max) to fround(σ_min), geometric ratios constant, uniform steps constant', () => {
    fc.assert(fc.property(
      fc.double({ min: 0.001, max: 10, noNaN: true }), fc.double({ min: 1.5, max: 1000, noNaN: true }), fc.integer({ min: 2, max: 300 }),
      (lo, factor, L) => {
        const hi = lo * factor;
        for (const spacing of ['geometric', 'uniform'] as const) {
          const s = ncsnSigmas(hi, lo, L, spacing);
          expect(s.length).toBe(L);
          expect(s[0]).toBe(Math.fround(hi));
          expect(s[L - 1]).toBe(Math.fround(lo));
          for (let i = 1; i < L; i++) expect(s[i]!).toBeLessThan(s[i - 1]!);
          const r = spacing === 'geometric' ? s[1]! / s[0]! : s[1]! - s[0]!;
          for (let i = 1; i < L; i++) {
            const ri = spacing === 'geometric' ? s[i]! / s[i - 1]! : s[i]! - s[i - 1]!;
            expect(Math.abs(ri - r)).toBeLessThanOrEqual(spacing === 'geometric' ? 1e-5 : 1e-5 * hi);
          }
        }
      },
    ), { numRuns: 60 });
  });

  it('step sizes: α_L = ε and α_i/α_j = (σ_i/σ_j)²', () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 50 }), fc.double({ min: 1e-7, max: 1e-2, noNaN: true }), (L, eps) => {
      const s = new NCSNScheduler({ sigmaMax: 20, sigmaMin: 0.05, numScales: L, epsilon: eps });
      expect(s.stepSize(L - 1)).toBeCloseTo(eps, 12);
      const i = Math.floor(L / 3);
      expect(s.stepSize(i) / s.stepSize(L - 1)).toBeCloseTo((s.sigmas[i]! / s.sigmas[L - 1]!) ** 2, 6);
    }), { numRuns: 40 });
  });

  it("'paper' with ε equals 'reference-code' with ε/2 for the same noise", async () => {
    const paper = new NCSNScheduler({ numScales: 4, epsilon: 3e-4, stepRule: 'paper' });
    const code = new NCSNScheduler({ numScales: 4, epsilon: 1.5e-4, stepRule: 'reference-code' });
    manualSeed(1);
    const x = randn([3, 2, 4, 4]);
    const g = randn([3, 2, 4, 4]);
    const z = randn([3, 2, 4, 4]);
    for (let i = 0; i < 4; i++) {
      const a = paper.step(g, i, x, { noise: z }).prevSample;
      const b = code.step(g, i, x, { noise: z }).prevSample;
      const av = (await a.data()) as Float32Array;
      const bv = (await b.data()) as Float32Array;
      av.forEach((v, k) => expect(v).toBeCloseTo(bv[k]!, 5));
      dispose([a, b]);
    }
    dispose([x, g, z]);
  });

  it('without noise, Langevin on a Gaussian score converges to its mean; the final denoise is Tweedie’s x + σ_L²·s', async () => {
    const s = new NCSNScheduler({ sigmaMax: 1, sigmaMin: 0.5, numScales: 2, epsilon: 0.1, stepRule: 'reference-code' });
    let x = tensor([3, -2], { shape: [1, 2] });
    const zero = tensor([0, 0], { shape: [1, 2] });
    for (let k = 0; k < 200; k++) {
      const score = tidy(() => x.sub(0.25).neg()); // N(0.25, 1)
      const next = s.step(score, 1, x, { noise: zero }).prevSample;
      dispose([x, score]);
      x = next;
    }
    for (const v of (await x.data()) as Float32Array) expect(v).toBeCloseTo(0.25, 5);
    const y = tensor([1, 2], { shape: [1, 2] });
    const sc = tensor([4, -8], { shape: [1, 2] });
    const d = s.denoise(sc, y);
    expect(Array.from((await d.data()) as Float32Array)).toEqual([1 + 0.25 * 4, 2 - 0.25 * 8]);
    dispose([x, zero, y, sc, d]);
  });

  it('suggestSigmaMax is the largest pairwise distance (arrays or a tensor)', async () => {
    const pts = [[0, 0], [3, 4], [1, 1], [-1, 0]];
    expect(await suggestSigmaMax(pts)).toBeCloseTo(Math.hypot(4, 4), 12);
    const t = tensor(Float32Array.from(pts.flat()), { shape: [4, 1, 2, 1] });
    expect(await suggestSigmaMax(t)).toBeCloseTo(Math.hypot(4, 4), 5);
    await expect(suggestSigmaMax([[1, 2]])).rejects.toThrow(/at least 2/);
    await expect(suggestSigmaMax([[1, 2], [1]])).rejects.toThrow(/point 1 has 1 values/);
    t.dispose();
  });

  it('refuses bad configs and indices, naming the field', () => {
    expect(() => new NCSNScheduler({ sigmaMin: 2, sigmaMax: 1 })).toThrow(/sigmaMin \(2\) must not exceed sigmaMax/);
    expect(() => new NCSNScheduler({ numScales: 0 })).toThrow(/numScales/);
    expect(() => new NCSNScheduler({ epsilon: -1 })).toThrow(/epsilon/);
    expect(() => new NCSNScheduler({ stepRule: 'fast' as never })).toThrow(/stepRule must be one of/);
    expect(() => new NCSNScheduler({ sigmaBegin: 50 } as never)).toThrow(/unknown config key 'sigmaBegin'/);
    expect(() => new NCSNScheduler({ sigmas: [1, 2] })).toThrow(/sigmas must decrease strictly; entry 1/);
    expect(() => new NCSNScheduler({ sigmas: [2, 1], sigmaMax: 3 })).toThrow(/sigmaMax 3 contradicts the explicit sigmas/);
    const explicit = new NCSNScheduler({ sigmas: [5, 1, 0.2], epsilon: 1e-3 });
    expect([explicit.sigmas, explicit.config.numScales, explicit.config.sigmaMin]).toEqual([[5, 1, 0.2], 3, 0.2]);
    expect(explicit.stepSize(0)).toBeCloseTo(1e-3 * 625, 9);
    const s = new NCSNScheduler({ numScales: 3 });
    expect(() => s.stepSize(3)).toThrow(/scaleIndex must be an integer in \[0, 2\]/);
    const x = tensor([1, 2]);
    expect(() => s.step(tensor([1, 2, 3]), 0, x)).toThrow(/score has shape \[3\]/);
    x.dispose();
  });
});

describe('NCSN with sample() and a UNet2DModel score network', () => {
  function scoreUnet(): UNet2DModel {
    manualSeed(8);
    return UNet2DModel.fromConfig({
      sampleSize: 8, inChannels: 1, outChannels: 1, blockOutChannels: [4, 8], layersPerBlock: 1, normNumGroups: 2,
      downBlockTypes: ['DownBlock2D', 'DownBlock2D'], upBlockTypes: ['UpBlock2D', 'UpBlock2D'],
    }, { backend: 'cpu' });
  }

  it('sample() equals the hand-written chain with per-image streams, and is the same for any batching (CPU)', async () => {
    const unet = scoreUnet();
    const s = new NCSNScheduler({ sigmaMax: 1, sigmaMin: 0.1, numScales: 3, stepsPerScale: 2, epsilon: 1e-3, finalDenoise: true });
    const a = await sample({ model: unet, scheduler: s, n: 3, seed: 4, batchSize: 3, output: 'raw' });
    const b = await sample({ model: unet, scheduler: s, n: 3, seed: 4, batchSize: 2, output: 'raw' });
    const c = await sample({ model: unet, scheduler: s, n: 3, seed: 4, batchSize: 2, range: [2, 3], output: 'raw' });
    const av = Array.from((await a.data()) as Float32Array);
    expect(Array.from((await b.data()) as Float32Array)).toEqual(av);
    expect(Array.from((await c.data()) as Float32Array)).toEqual(av.slice(2 * 64));
    // the hand-written chain for image 2
    const { Generator, uniform } = await import('@radix/tensor-webgpu');
    const { imageSeed } = await import('../index.js');
    unet.eval();
    const g = new Generator(imageSeed(4, 2));
    let x = uniform([1, 1, 8, 8], -1, 1, { generator: g });
    for (let i = 0; i < 3; i++) for (let k = 0; k < 2; k++) {
      const next = tidy(() => s.step(s.scoreFromModelOutput(unet.call(x, i), i), i, x, { noise: randn([1, 1, 8, 8], { generator: g }) }).prevSample);
      x.dispose();
      x = next;
    }
    const fin = tidy(() => s.denoise(s.scoreFromModelOutput(unet.call(x, 2), 2), x));
    expect(Array.from((await fin.data()) as Float32Array)).toEqual(av.slice(2 * 64));
    const img = await sample({ model: unet, scheduler: s, n: 2, seed: 4 });
    const iv = (await img.data()) as Float32Array;
    expect(Math.min(...iv)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...iv)).toBeLessThanOrEqual(1);
    dispose([a, b, c, x, fin, img]);
    unet.dispose();
  });

  it('ncsnDsmLoss trains a UNet: the loss is differentiable and 30 Adam steps on a fixed batch lower it', async () => {
    const unet = scoreUnet();
    const { Generator, optim } = await import('@radix/tensor-webgpu');
    const s = new NCSNScheduler({ sigmaMax: 1, sigmaMin: 0.05, numScales: 4 });
    manualSeed(5);
    const data = tidy(() => randn([4, 1, 8, 8]).mul(0.3));
    const opt = new optim.Adam(unet.parameters(), { lr: 3e-3 });
    const losses: number[] = [];
    for (let k = 0; k < 30; k++) {
      // the same levels and noise every step, so the loss values are comparable
      const loss = ncsnDsmLoss(unet, s, data, { generator: new Generator(99) });
      losses.push(await loss.item());
      loss.backward();
      loss.dispose();
      opt.step();
      unet.zeroGrad();
    }
    // at initialisation the network outputs ≈ 0, so the loss is ≈ ½·E‖z‖² = 32 per sample
    expect(losses[0]!).toBeGreaterThan(10);
    expect(losses[29]!).toBeLessThan(0.8 * losses[0]!);
    expect(() => ncsnDsmLoss(unet, s, data, { levels: [0, 1] })).toThrow(/2 levels for a batch of 4/);
    expect(() => ncsnDsmLoss(unet, s, data, { levels: [0, 1, 2, 4] })).toThrow(/level 4 is outside \[0, 4\)/);
    data.dispose();
    opt.dispose?.();
    unet.dispose();
  });

  it('sample() refuses DDIM settings for NCSN', async () => {
    const f: DenoiserFunction = (x) => x;
    const s = new NCSNScheduler({ numScales: 2, stepsPerScale: 1 });
    await expect(sample({ model: f, scheduler: s, n: 1, seed: 0, shape: [1, 1, 1], numInferenceSteps: 5 })).rejects.toThrow(/numInferenceSteps is for DDPM\/DDIM/);
    await expect(sample({ model: f, scheduler: s, n: 1, seed: 0, shape: [1, 1, 1], eta: 1 })).rejects.toThrow(/eta is a DDIM setting/);
  });
});
