// ncsnFromDiffusion: a DDPM-trained model as NCSN's score network. With the exact denoiser of N(μ, s²) data its score
// must be the VE score −(y − μ)/(s² + σ_t²) for every prediction type, and sample() must follow the Langevin chain.
import { manualSeed, tensor } from '@radix/tensor-webgpu';
import { describe, expect, it } from 'vitest';
import {
  DDIMScheduler, DDPMScheduler, type DenoiserFunction, type PredictionType, UNet2DModel, ncsnFromDiffusion, sample, veSigmas,
} from '../index.js';

const mu = 0.2;
const s = 0.3;

/** The exact prediction of the given type for N(μ, s²) data (ε̂ in closed form, x̂₀ and v̂ from it). */
function exact(ac: Float64Array, type: PredictionType): DenoiserFunction {
  return (x, t) => {
    const a = ac[t]!;
    const eps = x.sub(Math.sqrt(a) * mu).mul(Math.sqrt(1 - a) / (a * s * s + 1 - a));
    if (type === 'epsilon') return eps;
    const x0 = x.sub(eps.mul(Math.sqrt(1 - a))).div(Math.sqrt(a));
    if (type === 'sample') return x0;
    return eps.mul(Math.sqrt(a)).sub(x0.mul(Math.sqrt(1 - a)));
  };
}

describe('ncsnFromDiffusion', () => {
  it.each(['epsilon', 'sample', 'v_prediction'] as PredictionType[])('%s: the score is the VE score −(y − μ)/(s² + σ_t²) at every level', async (type) => {
    const ddpm = new DDPMScheduler({ predictionType: type });
    const { scheduler, model, timesteps } = ncsnFromDiffusion(exact(ddpm.alphasCumprod, type), ddpm, { numScales: 12 });
    const ys = [-3, -0.5, 0, 0.4, 2.5];
    let worst = 0;
    for (let i = 0; i < 12; i++) {
      const sigma = scheduler.sigmas[i]!;
      const y = tensor(ys.map((v) => v * Math.max(1, sigma)), { shape: [5, 1, 1, 1] });
      const score = scheduler.scoreFromModelOutput(model(y, scheduler.modelTimestep(i), {}), i);
      const got = (await score.data()) as Float32Array;
      const yv = (await y.data()) as Float32Array;
      yv.forEach((v, k) => {
        const want = -(v - mu) / (s * s + sigma * sigma);
        worst = Math.max(worst, Math.abs(got[k]! - want) / Math.max(Math.abs(want), 1e-3));
      });
      y.dispose();
      score.dispose();
    }
    expect(timesteps[0]).toBe(999);
    expect(timesteps[11]).toBe(0);
    expect(worst).toBeLessThan(2e-4);
  });

  it('levels: strictly decreasing timesteps (even in t, or nearest a geometric σ grid), σ_i = σ_{t_i}; explicit lists checked', () => {
    const ddim = new DDIMScheduler({ betaSchedule: 'squaredcos_cap_v2' });
    const all = veSigmas(ddim);
    const linear = new DDPMScheduler();
    const allLinear = veSigmas(linear);
    const cases: [DDIMScheduler | DDPMScheduler, number[], 'timesteps' | 'geometric-sigma', number][] = [
      ...[1, 2, 7, 100, 1000].map((L) => [ddim, all, 'timesteps', L] as [DDIMScheduler, number[], 'timesteps', number]),
      ...[2, 7, 40, 300].map((L) => [linear, allLinear, 'geometric-sigma', L] as [DDPMScheduler, number[], 'geometric-sigma', number]),
    ];
    for (const [sch, sig, levelSpacing, L] of cases) {
      const { scheduler, timesteps } = ncsnFromDiffusion((x) => x, sch, { numScales: L, levelSpacing });
      expect(timesteps.length).toBe(L);
      expect(timesteps[0]).toBe(999);
      if (L > 1) expect(timesteps[L - 1]).toBe(0);
      for (let i = 1; i < L; i++) expect(timesteps[i]!).toBeLessThan(timesteps[i - 1]!);
      expect(scheduler.sigmas).toEqual(timesteps.map((t) => sig[t]!));
      expect(scheduler.config.modelInput).toBe('index');
      expect(scheduler.config.initialNoise).toBe('gaussian');
    }
    // geometric: the levels' log σ steps are even where the schedule has enough timesteps (the top half here)
    const { scheduler: geo } = ncsnFromDiffusion((x) => x, linear, { numScales: 20, levelSpacing: 'geometric-sigma' });
    const ratios = geo.sigmas.slice(1, 10).map((v, i) => Math.log(geo.sigmas[i]! / v));
    for (const r of ratios) expect(Math.abs(r - ratios[0]!)).toBeLessThan(0.05);
    expect(() => ncsnFromDiffusion((x) => x, ddim, { numScales: 500, levelSpacing: 'geometric-sigma' })).toThrow(/use fewer/);
    const custom = ncsnFromDiffusion((x) => x, ddim, { timesteps: [900, 500, 10], stepsPerScale: 2, finalDenoise: true });
    expect(custom.scheduler.sigmas).toEqual([all[900], all[500], all[10]]);
    expect(custom.scheduler.config.finalDenoise).toBe(true);
    expect(() => ncsnFromDiffusion((x) => x, ddim, { timesteps: [5, 9] })).toThrow(/decrease strictly/);
    expect(() => ncsnFromDiffusion((x) => x, ddim, { timesteps: [1000] })).toThrow(/outside \[0, 999\]/);
    expect(() => ncsnFromDiffusion((x) => x, ddim, { numScales: 1001 })).toThrow(/numScales/);
  });

  it('sample() with it follows the Langevin chain and lands near N(μ, s²)', async () => {
    const ddpm = new DDPMScheduler();
    const stepsPerScale = 8;
    const langevin = ncsnFromDiffusion(exact(ddpm.alphasCumprod, 'epsilon'), ddpm, { numScales: 40, levelSpacing: 'geometric-sigma', stepsPerScale, epsilon: 2e-4, finalDenoise: true });
    const raw = await sample({ ...langevin, shape: [1, 16, 16], n: 8, seed: 3, output: 'raw', batchSize: 8 });
    const v = (await raw.data()) as Float32Array;
    raw.dispose();
    const mean = v.reduce((p, x) => p + x, 0) / v.length;
    const std = Math.sqrt(v.reduce((p, x) => p + (x - mean) ** 2, 0) / v.length);
    // The chain is linear for Gaussian data: y' = y + h·s(y) + c·z with s(y) = −(y − μ)/(s² + σ²); its moments in closed form.
    const sch = langevin.scheduler;
    let m = 0;
    let variance = sch.sigmas[0]! ** 2;
    for (let i = 0; i < sch.sigmas.length; i++) {
      const a = sch.stepSize(i);
      const V = s * s + sch.sigmas[i]! ** 2;
      for (let k = 0; k < stepsPerScale; k++) {
        const A = 1 - a / 2 / V;
        m = A * m + (a / 2 / V) * mu;
        variance = A * A * variance + a;
      }
    }
    const last = sch.sigmas[sch.sigmas.length - 1]! ** 2;
    const D = 1 - last / (s * s + last);
    m = D * m + (last / (s * s + last)) * mu;
    variance = D * D * variance;
    // 2048 values: standard errors ≈ 0.007 (mean) and 0.005 (std); tolerances 3 of them.
    expect(Math.abs(mean - m)).toBeLessThan(0.021);
    expect(Math.abs(std - Math.sqrt(variance))).toBeLessThan(0.015);
    expect(Math.abs(m - mu)).toBeLessThan(0.01);
    expect(Math.abs(Math.sqrt(variance) - s)).toBeLessThan(0.015); // 40 geometric levels × 8 steps, ε 2e-4: the chain's std is 0.307
  });

  it('wraps a class-conditional UNet2DModel: shape and backend filled in, labels and guidance passed through', async () => {
    manualSeed(6);
    const unet = UNet2DModel.fromConfig({
      sampleSize: 8, inChannels: 1, outChannels: 1, blockOutChannels: [4, 8], layersPerBlock: 1, normNumGroups: 2, numClassEmbeds: 3,
      downBlockTypes: ['DownBlock2D', 'DownBlock2D'], upBlockTypes: ['UpBlock2D', 'UpBlock2D'],
    }, { backend: 'cpu' });
    unet.eval();
    const langevin = ncsnFromDiffusion(unet, new DDPMScheduler(), { numScales: 3, stepsPerScale: 1 });
    expect(langevin.shape).toEqual([1, 8, 8]);
    expect(langevin.backend?.name).toBe('cpu');
    const a = await sample({ ...langevin, n: 2, seed: 1, classLabels: [0, 1], output: 'raw' });
    const b = await sample({ ...langevin, n: 2, seed: 1, classLabels: [0, 1], guidanceScale: 3, nullClass: 2, output: 'raw' });
    expect(a.shape).toEqual([2, 1, 8, 8]);
    const av = (await a.data()) as Float32Array;
    const bv = (await b.data()) as Float32Array;
    expect(av.every(Number.isFinite)).toBe(true);
    expect(Array.from(bv)).not.toEqual(Array.from(av));
    a.dispose();
    b.dispose();
    unet.dispose();
  });
});
