// sample(): real values with an exact denoiser (Gaussian data, whose ε-prediction is known in closed form), per-image
// streams (same images whatever batchSize and range, bit for bit on the CPU), guidance, refusals, flat memory and PNGs.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Backend, Generator, type Tensor, cat, manualSeed, memory, randn, tensor, tidy } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import pngjs from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DDIMScheduler, DDPMScheduler, type DenoiserFunction, UNet2DModel, gridSampler, imageSeed, sample, sampleBatches, trainDiffusion, writeSamplePngs,
} from '../index.js';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/**
 * The exact ε-prediction for data x₀ ~ N(μ, s²) per pixel: E[ε | x_t] = √(1−ᾱ)(x_t − √ᾱ·μ)/(ᾱ·s² + 1 − ᾱ).
 * Sampling with it must reproduce N(μ, s²).
 */
function gaussianEps(alphasCumprod: Float64Array, mu: number, s: number): DenoiserFunction {
  return (x, t) => {
    const a = alphasCumprod[t]!;
    return x.sub(Math.sqrt(a) * mu).mul(Math.sqrt(1 - a) / (a * s * s + 1 - a));
  };
}

async function stats(t: Tensor): Promise<{ mean: number; std: number }> {
  const v = (await t.data()) as Float32Array;
  const mean = v.reduce((p, x) => p + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((p, x) => p + (x - mean) ** 2, 0) / v.length);
  return { mean, std };
}

const backends = await testBackends();

function tinyUnet(classes = 0, backend: Backend | 'cpu' = 'cpu'): UNet2DModel {
  manualSeed(3);
  return UNet2DModel.fromConfig({
    sampleSize: 8, inChannels: 1, outChannels: 1, blockOutChannels: [4, 8], layersPerBlock: 1, normNumGroups: 2, attentionHeadDim: 4,
    downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'],
    ...(classes ? { numClassEmbeds: classes } : {}),
  }, { backend });
}

/**
 * Mean and variance of the sampling chain itself for N(μ, s²) data under the exact denoiser: every step is linear,
 * x' = A·x + B·μ + σ·z, so they follow from the coefficients (the chain's own discretisation error included).
 */
function chainMoments(scheduler: DDPMScheduler | DDIMScheduler, mu: number, s: number, eta: number): { mean: number; std: number } {
  let mean = 0;
  let variance = 1;
  const ac = scheduler.alphasCumprod;
  for (const t of scheduler.timesteps) {
    const a = ac[t]!;
    const k = Math.sqrt(1 - a) / (a * s * s + 1 - a);
    const prev = scheduler.previousTimestep(t);
    // x̂₀ = (x − √(1−a)·ε̂)/√a and ε̂ = k·(x − √a·μ), as A·x + B·μ
    const x0A = (1 - Math.sqrt(1 - a) * k) / Math.sqrt(a);
    const x0B = Math.sqrt(1 - a) * k;
    let A: number;
    let B: number;
    let std: number;
    if (scheduler instanceof DDIMScheduler) {
      const ap = prev >= 0 ? ac[prev]! : scheduler.finalAlphaCumprod;
      std = eta * Math.sqrt(scheduler.variance(t, prev));
      const dir = Math.sqrt(Math.max(0, 1 - ap - std * std));
      A = Math.sqrt(ap) * x0A + dir * k;
      B = Math.sqrt(ap) * x0B - dir * k * Math.sqrt(a);
    } else {
      const ap = prev >= 0 ? ac[prev]! : 1;
      const beta = 1 - a / ap;
      const cx0 = (Math.sqrt(ap) * beta) / (1 - a);
      const cxt = (Math.sqrt(a / ap) * (1 - ap)) / (1 - a);
      A = cx0 * x0A + cxt;
      B = cx0 * x0B;
      std = prev >= 0 ? Math.sqrt(Math.max(((1 - ap) / (1 - a)) * beta, 1e-20)) : 0;
    }
    mean = A * mean + B * mu;
    variance = A * A * variance + std * std;
  }
  return { mean, std: Math.sqrt(variance) };
}

describe('sample() with an exact denoiser reproduces the data distribution N(μ, s²)', () => {
  // 8 images of 1×16×16 = 2048 values: the sample mean's standard error is s/√2048 ≈ 0.0066, the std's ≈ 0.0047.
  // Tolerances: 3 standard errors against the chain's own moments (0.02 mean, 0.015 std); the chain's moments are
  // then within 0.005 / 0.01 (DDPM, 1000 steps: mean / std) or 0.005 / 0.06 (DDIM, 50 steps: x̂₀ replaces x₀ over wide gaps) of N(μ, s²).
  const mu = 0.2;
  const s = 0.3;
  const shape = [1, 16, 16] as const;
  it('DDPM, 1000 steps: the samples match the chain, which matches the target', async () => {
    const scheduler = new DDPMScheduler();
    const raw = await sample({ model: gaussianEps(scheduler.alphasCumprod, mu, s), scheduler, n: 8, seed: 11, shape, output: 'raw', batchSize: 8 });
    const st = await stats(raw);
    const chain = chainMoments(scheduler, mu, s, 0);
    expect(scheduler.timesteps.length).toBe(1000);
    expect(Math.abs(st.mean - chain.mean)).toBeLessThan(0.02);
    expect(Math.abs(st.std - chain.std)).toBeLessThan(0.015);
    expect(Math.abs(chain.mean - mu)).toBeLessThan(0.005);
    expect(Math.abs(chain.std - s)).toBeLessThan(0.01);
    raw.dispose();
  });
  it.each([0, 1])('DDIM, 50 steps, η = %d: the samples match the chain, which is near the target', async (eta) => {
    const scheduler = new DDIMScheduler();
    const raw = await sample({ model: gaussianEps(scheduler.alphasCumprod, mu, s), scheduler, numInferenceSteps: 50, eta, n: 8, seed: 12, shape, output: 'raw' });
    const st = await stats(raw);
    const chain = chainMoments(scheduler, mu, s, eta);
    expect(Math.abs(st.mean - chain.mean)).toBeLessThan(0.02);
    expect(Math.abs(st.std - chain.std)).toBeLessThan(0.015);
    expect(Math.abs(chain.mean - mu)).toBeLessThan(0.005);
    expect(Math.abs(chain.std - s)).toBeLessThan(0.06);
    raw.dispose();
  });
  it('images are (x + 1)/2 clamped to [0, 1]; a point mass at x₀ = c is hit exactly by DDIM η = 0', async () => {
    const scheduler = new DDIMScheduler();
    const c = -0.5;
    const exact: DenoiserFunction = (x, t) => { const a = scheduler.alphasCumprod[t]!; return x.sub(Math.sqrt(a) * c).div(Math.sqrt(1 - a)); };
    const img = await sample({ model: exact, scheduler, numInferenceSteps: 10, n: 2, seed: 1, shape: [1, 4, 4] });
    const v = (await img.data()) as Float32Array;
    for (const p of v) expect(p).toBeCloseTo((c + 1) / 2, 4);
    img.dispose();
  });
});

describe('per-image streams', () => {
  it('image i starts from randn of Generator(imageSeed(seed, i)), the same stream as a hand-written loop', async () => {
    const scheduler = new DDIMScheduler();
    scheduler.setTimesteps(4);
    const model: DenoiserFunction = (x) => x.mul(0.5);
    const got = await sample({ model, scheduler, n: 3, seed: 5, shape: [1, 2, 2], output: 'raw', eta: 1, batchSize: 2 });
    const manual = tidy(() => cat([0, 1, 2].map((i) => {
      const g = new Generator(imageSeed(5, i));
      let x = randn([1, 1, 2, 2], { generator: g });
      for (const t of scheduler.timesteps) x = scheduler.step(x.mul(0.5), t, x, { eta: 1, noise: randn([1, 1, 2, 2], { generator: g }) }).prevSample;
      return x;
    }), 0));
    expect(Array.from((await got.data()) as Float32Array)).toEqual(Array.from((await manual.data()) as Float32Array));
    got.dispose();
    manual.dispose();
  });

  it('a class-conditional UNet gives bit-identical images for batchSize 5, 2 and the shards [0, 2) + [2, 5) (CPU)', async () => {
    const unet = tinyUnet(3);
    const labels = [0, 2, 1, 1, 0];
    const base = { model: unet, n: 5, seed: 9, classLabels: labels, numInferenceSteps: 3, eta: 0.7 } as const;
    const all = await sample({ ...base, scheduler: new DDIMScheduler(), batchSize: 5 });
    const small = await sample({ ...base, scheduler: new DDIMScheduler(), batchSize: 2 });
    const a = await sample({ ...base, scheduler: new DDIMScheduler(), batchSize: 3, range: [0, 2] });
    const b = await sample({ ...base, scheduler: new DDIMScheduler(), batchSize: 3, range: [2, 5] });
    const ref = Array.from((await all.data()) as Float32Array);
    expect(Array.from((await small.data()) as Float32Array)).toEqual(ref);
    expect([...Array.from((await a.data()) as Float32Array), ...Array.from((await b.data()) as Float32Array)]).toEqual(ref);
    expect(all.shape).toEqual([5, 1, 8, 8]);
    expect(Math.min(...ref)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ref)).toBeLessThanOrEqual(1);
    // different seeds, different images
    const other = await sample({ ...base, scheduler: new DDIMScheduler(), seed: 10 });
    expect(Array.from((await other.data()) as Float32Array)).not.toEqual(ref);
    for (const t of [all, small, a, b, other]) t.dispose();
    unet.dispose();
  });

  it('a generator gives one base seed: two equal generators give equal images, batches are aligned to multiples of batchSize', async () => {
    const scheduler = new DDPMScheduler();
    scheduler.setTimesteps(5);
    const model: DenoiserFunction = (x) => x.mul(0.1);
    const x1 = await sample({ model, scheduler, n: 4, generator: new Generator(77), shape: [1, 2, 2] });
    const x2 = await sample({ model, scheduler, n: 4, generator: new Generator(77), shape: [1, 2, 2], batchSize: 3 });
    expect(Array.from((await x1.data()) as Float32Array)).toEqual(Array.from((await x2.data()) as Float32Array));
    const ranges: [number, number][] = [];
    for await (const b of sampleBatches({ model, scheduler, n: 10, seed: 1, shape: [1, 2, 2], batchSize: 4, range: [3, 10] })) {
      ranges.push([b.start, b.end]);
      b.images.dispose();
    }
    expect(ranges).toEqual([[3, 4], [4, 8], [8, 10]]);
    x1.dispose();
    x2.dispose();
  });

  it('memory stays flat: only the returned tensor is left', async () => {
    const unet = tinyUnet();
    const before = memory().liveTensors;
    const seen: number[] = [];
    const img = await sample({ model: unet, scheduler: new DDIMScheduler(), numInferenceSteps: 4, n: 6, batchSize: 2, seed: 1, onBatch: () => { seen.push(memory().liveTensors); } });
    expect(memory().liveTensors).toBe(before + 1);
    expect(new Set(seen).size).toBe(1);
    img.dispose();
    unet.dispose();
  });
});

describe.each(backends.filter((b) => b.name !== 'cpu').map((b) => [b.name, b] as [string, Backend]))('sample() on %s', (_name, backend) => {
  it('matches the CPU run within 1e-4, and batchSize 2 vs 4 within 1e-5', async () => {
    const base = { n: 4, seed: 21, classLabels: [0, 1, 2, 0], numInferenceSteps: 3, eta: 0.5 } as const;
    const cpuUnet = tinyUnet(3);
    const gpuUnet = tinyUnet(3, backend);
    const ref = await sample({ ...base, model: cpuUnet, scheduler: new DDIMScheduler(), batchSize: 4 });
    const a = await sample({ ...base, model: gpuUnet, scheduler: new DDIMScheduler(), batchSize: 4 });
    const b = await sample({ ...base, model: gpuUnet, scheduler: new DDIMScheduler(), batchSize: 2 });
    expect(a.backend).toBe(backend);
    const r = (await ref.data()) as Float32Array;
    const av = (await a.data()) as Float32Array;
    const bv = (await b.data()) as Float32Array;
    let vsCpu = 0;
    let vsBatch = 0;
    r.forEach((v, i) => { vsCpu = Math.max(vsCpu, Math.abs(v - av[i]!)); vsBatch = Math.max(vsBatch, Math.abs(av[i]! - bv[i]!)); });
    console.log(`sample() on ${backend.name}: max |Δ| vs CPU ${vsCpu}, batchSize 2 vs 4 ${vsBatch}`);
    expect(vsCpu).toBeLessThan(1e-4);
    expect(vsBatch).toBeLessThan(1e-5);
    for (const t of [ref, a, b]) t.dispose();
    cpuUnet.dispose();
    gpuUnet.dispose();
  });
});

describe('classifier-free guidance', () => {
  it('evaluates u + w·(c − u) with the null class', async () => {
    const scheduler = new DDIMScheduler();
    scheduler.setTimesteps(2);
    // output = x·0.1 + label (broadcast): with guidance w the effective output is x·0.1 + null + w·(label − null).
    const model: DenoiserFunction = (x, _t, { classLabels }) => x.mul(0.1).add(classLabels!.to('float32').reshape([x.shape[0]!, 1, 1, 1]));
    const w = 3;
    const guided = await sample({ model, scheduler, n: 2, seed: 4, shape: [1, 2, 2], classLabels: [1, 2], guidanceScale: w, nullClass: 5, output: 'raw' });
    const manual = tidy(() => cat([1, 2].map((l, i) => {
      let x = randn([1, 1, 2, 2], { generator: new Generator(imageSeed(4, i)) });
      for (const t of scheduler.timesteps) x = scheduler.step(x.mul(0.1).add(5 + w * (l - 5)), t, x).prevSample;
      return x;
    }), 0));
    const g = (await guided.data()) as Float32Array;
    const m = (await manual.data()) as Float32Array;
    g.forEach((v, i) => expect(v).toBeCloseTo(m[i]!, 5));
    guided.dispose();
    manual.dispose();
  });

  it('is refused with the reason: unconditional UNet, no nullClass, nullClass outside the table', async () => {
    const uncond = tinyUnet();
    const cond = tinyUnet(3);
    const s = () => new DDIMScheduler();
    await expect(sample({ model: uncond, scheduler: s(), numInferenceSteps: 2, n: 1, seed: 0, guidanceScale: 2, classLabels: 0 })).rejects.toThrow(/unconditional/);
    await expect(sample({ model: uncond, scheduler: s(), numInferenceSteps: 2, n: 1, seed: 0, guidanceScale: 2 })).rejects.toThrow(/null class/);
    await expect(sample({ model: cond, scheduler: s(), numInferenceSteps: 2, n: 1, seed: 0, guidanceScale: 2, classLabels: 0 })).rejects.toThrow(/nullClass.*label dropout/);
    await expect(sample({ model: cond, scheduler: s(), numInferenceSteps: 2, n: 1, seed: 0, guidanceScale: 2, classLabels: 0, nullClass: 3 })).rejects.toThrow(/outside/);
    uncond.dispose();
    cond.dispose();
  });
});

describe('bad input', () => {
  const model: DenoiserFunction = (x) => x;
  const shape = [1, 2, 2] as const;
  it.each([
    [{ n: 0 }, /n must be an integer/],
    [{ seed: undefined }, /exactly one of seed and generator/],
    [{ generator: new Generator(1) }, /exactly one of seed and generator/],
    [{ range: [3, 2] }, /range/],
    [{ range: [0, 9] }, /range/],
    [{ classLabels: [0, 1] }, /classLabels has 2 entries but n is 4/],
    [{ eta: -1 }, /eta/],
    [{ shape: undefined }, /function model needs shape/],
    [{ batchSize: 0 }, /batchSize/],
  ] as [Record<string, unknown>, RegExp][])('%j is refused', async (extra, re) => {
    await expect(sample({ model, scheduler: new DDIMScheduler(), numInferenceSteps: 2, n: 4, seed: 0, shape, ...extra } as never)).rejects.toThrow(re);
  });
  it('DDIM without steps, eta with DDPM, classLabels for an unconditional UNet, missing labels for a conditional one', async () => {
    await expect(sample({ model, scheduler: new DDIMScheduler(), n: 1, seed: 0, shape })).rejects.toThrow(/numInferenceSteps/);
    await expect(sample({ model, scheduler: new DDPMScheduler(), n: 1, seed: 0, shape, eta: 1 })).rejects.toThrow(/eta is a DDIM setting/);
    const cond = tinyUnet(2);
    await expect(sample({ model: cond, scheduler: new DDIMScheduler(), numInferenceSteps: 1, n: 1, seed: 0 })).rejects.toThrow(/pass classLabels/);
    await expect(sample({ model: cond, scheduler: new DDIMScheduler(), numInferenceSteps: 1, n: 1, seed: 0, classLabels: 2 })).rejects.toThrow(/outside \[0, 2\)/);
    cond.dispose();
  });
});

describe('gridSampler', () => {
  it("gives the trainer its periodic sample grids (the EMA model's, from a fixed generator)", async () => {
    const out = mkdtempSync(join(tmpdir(), 'radix-grid-'));
    dirs.push(out);
    const unet = tinyUnet(2);
    const images = Array.from({ length: 4 }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => 0.5 + 0.4 * Math.sin(0.3 * j + i)));
    const data = { channels: 1, height: 8, width: 8, images, labels: [0, 1, 0, 1], classNames: ['a', 'b'] };
    const r = await trainDiffusion(unet, new DDPMScheduler(), data, {
      out, steps: 2, batchSize: 2, warmupSteps: 1, sampleEvery: 2, ema: true, eval: { numSamples: 4 },
      sampler: gridSampler({ scheduler: new DDIMScheduler(), numInferenceSteps: 2 }),
    });
    expect(r.status).toBe('completed');
    const png = pngjs.PNG.sync.read(readFileSync(join(out, 'samples', 'step-00000002.png')));
    expect([png.width, png.height]).toEqual([2 * 8 + 3 * 2, 2 * 8 + 3 * 2]);
    unet.dispose();
  });
});

describe('writeSamplePngs', () => {
  it('writes one 8-bit PNG per image named by absolute index, values rounded from [0, 1]', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radix-samples-'));
    dirs.push(dir);
    const rgb = tensor(Float32Array.from({ length: 2 * 3 * 2 * 3 }, (_, i) => (i % 7) / 6), { shape: [2, 3, 2, 3] });
    const paths = await writeSamplePngs(rgb, dir, { firstIndex: 40 });
    expect(readdirSync(dir).sort()).toEqual(['sample-000040.png', 'sample-000041.png']);
    const png = pngjs.PNG.sync.read(readFileSync(paths[1]!));
    expect([png.width, png.height]).toEqual([3, 2]);
    const v = (await rgb.data()) as Float32Array;
    for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) for (let k = 0; k < 3; k++) {
      expect(png.data[(y * 3 + x) * 4 + k]).toBe(Math.round(v[((1 * 3 + k) * 2 + y) * 3 + x]! * 255));
    }
    const gray = tensor([0, 0.5, 1, 2], { shape: [1, 1, 2, 2] });
    const [p] = await writeSamplePngs(gray, dir, { prefix: 'g-', digits: 2 });
    const g = pngjs.PNG.sync.read(readFileSync(p!));
    expect([0, 1, 2, 3].map((i) => g.data[i * 4])).toEqual([0, 128, 255, 255]);
    await expect(writeSamplePngs(tensor([1, 2, 3]), dir)).rejects.toThrow(/expected images/);
    rgb.dispose();
    gray.dispose();
  });
});
