// DDPM/DDIM behaviour that needs no reference run: DDIM at η = 1 is DDPM's posterior, addNoise/getVelocity algebra,
// explicit noise replacing the generator, thresholding's exact quantile, and config reading (snake_case, bad input).
import { Generator, randn, tensor, type Backend } from '@radix/tensor-webgpu';
import { compare, testBackends } from '@radix/tensor-webgpu/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BETA_SCHEDULES } from './beta-schedule.js';
import { DDIMScheduler } from './ddim.js';
import { DDPMScheduler } from './ddpm.js';
import { dynamicThreshold, rowQuantile } from './thresholding.js';
import { TIMESTEP_SPACINGS } from './timesteps.js';

const backends = await testBackends();

/** torch.quantile(…, dim=1) on the host: sort, then lerp between the neighbouring order statistics. */
function hostQuantile(row: number[], q: number): number {
  const s = [...row].sort((a, b) => a - b);
  const rank = Math.fround(Math.fround(q) * (s.length - 1));
  const lo = Math.floor(rank);
  const hi = Math.min(lo + 1, s.length - 1);
  const w = Math.fround(rank - lo);
  return s[lo]! + w * (s[hi]! - s[lo]!);
}

describe('DDIM at η = 1 has DDPM’s posterior variance', () => {
  it('for every β schedule, spacing and timestep', () => {
    for (const betaSchedule of BETA_SCHEDULES) {
      for (const timestepSpacing of TIMESTEP_SPACINGS) {
        const ddim = new DDIMScheduler({ betaSchedule, timestepSpacing });
        const ddpm = new DDPMScheduler({ betaSchedule, timestepSpacing });
        for (const n of [1, 7, 50, 1000]) {
          ddim.setTimesteps(n);
          ddpm.setTimesteps(n);
          for (const t of ddim.timesteps) {
            const v = ddim.variance(t);
            const p = ddpm.posteriorVariance(t);
            expect(Math.abs(v - p), `${betaSchedule}/${timestepSpacing}/N=${n}/t=${t}`).toBeLessThanOrEqual(1e-12 + 1e-9 * p);
          }
        }
      }
    }
  });
});

describe.each(backends.map((b) => [b.name, b] as [string, Backend]))('schedulers on %s', (_, backend) => {
  it('DDIM η = 1 steps equal DDPM fixed_small steps given the same noise (ε-prediction, no clipping)', async () => {
    const ddim = new DDIMScheduler({ clipSample: false, timestepSpacing: 'trailing' });
    const ddpm = new DDPMScheduler({ clipSample: false, timestepSpacing: 'trailing' });
    ddim.setTimesteps(20);
    ddpm.setTimesteps(20);
    const g = new Generator(7);
    let x = randn([2, 3, 4, 4], { generator: g, backend });
    let worst = 0;
    for (const t of ddim.timesteps) {
      const eps = x.mul(0.9).add(x.sin().mul(0.1)); // any ε model
      const z = randn(x.shape, { generator: g, backend });
      const na = ddim.step(eps, t, x, { eta: 1, noise: z });
      const nb = ddpm.step(eps, t, x, { noise: z });
      const r = compare(await na.prevSample.data(), await nb.prevSample.data(), { rtol: 1e-4, atol: 1e-4 });
      worst = Math.max(worst, r.maxAbs);
      expect(r.ok, `t=${t} max |Δ| ${r.maxAbs}`).toBe(true);
      for (const v of [x, eps, z, na.predOriginalSample, nb.predOriginalSample, nb.prevSample]) v.dispose();
      x = na.prevSample;
    }
    expect(worst).toBeLessThan(1e-4);
  });

  it('addNoise and getVelocity invert to x₀ and ε, with number and tensor timesteps alike', async () => {
    const s = new DDPMScheduler({ betaSchedule: 'squaredcos_cap_v2' });
    const g = new Generator(3);
    const x0 = randn([3, 2, 2, 2], { generator: g, backend });
    const eps = randn([3, 2, 2, 2], { generator: g, backend });
    const ts = [0, 437, 999];
    const xt = s.addNoise(x0, eps, ts);
    const xt2 = s.addNoise(x0, eps, tensor(new Int32Array(ts), { backend }));
    expect(compare(await xt2.data(), await xt.data(), { rtol: 0, atol: 0 }).ok).toBe(true);
    const v = s.getVelocity(x0, eps, ts);
    // x₀ = √ᾱ·x_t − √(1−ᾱ)·v and ε = √(1−ᾱ)·x_t + √ᾱ·v for every item.
    const [xd, vd, x0d, ed] = await Promise.all([xt.data(), v.data(), x0.data(), eps.data()]);
    for (let i = 0; i < 24; i++) {
      const ab = s.alphasCumprod[ts[Math.floor(i / 8)]!]!;
      expect(Math.abs(Math.sqrt(ab) * xd[i]! - Math.sqrt(1 - ab) * vd[i]! - x0d[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(Math.sqrt(1 - ab) * xd[i]! + Math.sqrt(ab) * vd[i]! - ed[i]!)).toBeLessThan(1e-5);
    }
    expect(() => s.addNoise(x0, eps, [1, 2])).toThrow(/2 timesteps for a batch of 3/);
    expect(() => s.addNoise(x0, eps, [1000])).toThrow(/outside \[0, 999\]/);
  });

  it('explicit noise replaces the generator, and the generator makes runs repeatable', async () => {
    const s = new DDPMScheduler();
    s.setTimesteps(10);
    const x = randn([1, 2, 4, 4], { generator: new Generator(1), backend });
    const out = x.mul(0.5);
    const t = s.timesteps[0]!;
    const r1 = s.step(out, t, x, { generator: new Generator(5) });
    const r2 = s.step(out, t, x, { generator: new Generator(5) });
    const z = randn(x.shape, { generator: new Generator(5), backend });
    const r3 = s.step(out, t, x, { noise: z, generator: new Generator(99) });
    const [a, b, c] = await Promise.all([r1.prevSample.data(), r2.prevSample.data(), r3.prevSample.data()]);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(c)).toEqual(Array.from(a));
    expect(() => s.step(out, t, x, { noise: randn([1, 2, 4, 2], { backend }) })).toThrow(/options.noise has shape/);
  });

  it('rowQuantile equals torch.quantile’s definition exactly, ties and all (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 40 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 0, max: 1000 }),
        async (b, n, q, ties, seed) => {
          const rows: number[][] = [];
          let r = seed;
          for (let i = 0; i < b; i++) {
            const row: number[] = [];
            for (let j = 0; j < n; j++) {
              r = (r * 1103515245 + 12345) % 2147483648;
              row.push(ties ? Math.floor((r / 2147483648) * 4) / 2 : Math.fround((r / 2147483648) * 3));
            }
            rows.push(row);
          }
          const a = tensor(rows, { backend });
          const got = await rowQuantile(a, q).data();
          a.dispose();
          for (let i = 0; i < b; i++) {
            const want = hostQuantile(rows[i]!, q);
            if (Math.abs(got[i]! - want) > 1e-6 * Math.max(1, want)) return false;
          }
          return true;
        },
      ),
      { numRuns: backend.name === 'cpu' ? 60 : 15 },
    );
  });

  it('dynamicThreshold clamps each image to its own quantile and divides by it', async () => {
    const x = tensor([[[[3, -0.5], [0.25, 1]]], [[[0.5, -0.2], [0.1, 0]]]], { backend });
    const y = await dynamicThreshold(x, 0.5, 2).data();
    // image 0: |x| = [3, .5, .25, 1], median 0.75 → s = 1 (clamped below at 1); image 1: s = 1 as well.
    expect(Array.from(y).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1, -0.5, 0.25, 1, 0.5, -0.2, 0.1, 0]);
    const z = await dynamicThreshold(tensor([[[[3, -4], [1.5, 2]]]], { backend }), 0.5, 10).data();
    // |x| = [3, 4, 1.5, 2], median 2.5 → clamp to ±2.5, divide by 2.5.
    expect(Array.from(z).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([1, -1, 0.6, 0.8]);
  });
});

describe('configuration', () => {
  it('fromConfig reads diffusers’ snake_case scheduler_config.json and ignores metadata and other schedulers’ fields', () => {
    const json = {
      _class_name: 'DDPMScheduler', _diffusers_version: '0.21.0', beta_end: 0.012, beta_schedule: 'scaled_linear', beta_start: 0.00085,
      clip_sample: false, num_train_timesteps: 1000, prediction_type: 'v_prediction', set_alpha_to_one: false, skip_prk_steps: true,
      steps_offset: 1, trained_betas: null, variance_type: 'fixed_small', timestep_spacing: 'trailing',
    };
    const ddpm = DDPMScheduler.fromConfig(json);
    expect(ddpm.config.betaSchedule).toBe('scaled_linear');
    expect(ddpm.config.predictionType).toBe('v_prediction');
    expect(ddpm.config.timestepSpacing).toBe('trailing');
    expect(ddpm.ignoredConfigKeys.sort()).toEqual(['_class_name', '_diffusers_version', 'set_alpha_to_one', 'skip_prk_steps']);
    const ddim = DDIMScheduler.fromConfig(json);
    expect(ddim.config.setAlphaToOne).toBe(false);
    expect(ddim.finalAlphaCumprod).toBe(ddim.alphasCumprod[0]);
    expect(ddim.ignoredConfigKeys).toContain('variance_type');
    expect(DDIMScheduler.fromConfig(ddim.toDiffusersConfig()).config).toEqual(ddim.config);
    expect(DDPMScheduler.fromConfig({ numTrainTimesteps: 10, betaSchedule: 'sigmoid' }).betas.length).toBe(10);
    expect(DDPMScheduler.fromConfig({ predict_epsilon: false }).config.predictionType).toBe('sample');
  });

  it('refuses unknown keys and bad values, naming them', () => {
    expect(() => DDPMScheduler.fromConfig({ beta_schdule: 'linear' }, 'model/scheduler_config.json')).toThrow(/model\/scheduler_config.json has unknown keys 'beta_schdule'/);
    expect(() => DDPMScheduler.fromConfig({ beta_schedule: 'cosine' })).toThrow(/'beta_schedule' is "cosine"; expected one of linear/);
    expect(() => DDIMScheduler.fromConfig({ clip_sample: 'yes' })).toThrow(/'clip_sample' must be true or false/);
    expect(() => DDIMScheduler.fromConfig({ num_train_timesteps: 0 })).toThrow(/positive integer/);
    expect(() => DDIMScheduler.fromConfig([1, 2])).toThrow(/must be a JSON object/);
    expect(() => new DDPMScheduler({ trainedBetas: [0.1, 0.2], numTrainTimesteps: 3 })).toThrow(/trainedBetas has 2 values/);
    expect(() => new DDPMScheduler({ varianceType: 'learned' }).step(tensor([[[[1]]]]), 999, tensor([[[[1]]]]))).toThrow(/2×1 channels/);
  });

  it('zero-terminal-SNR rescaling keeps ᾱ_0 and makes ᾱ_{T−1} zero', () => {
    const plain = new DDIMScheduler({ betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012 });
    const zsnr = new DDIMScheduler({ betaSchedule: 'scaled_linear', betaStart: 0.00085, betaEnd: 0.012, rescaleBetasZeroSnr: true });
    expect(Math.abs(zsnr.alphasCumprod[0]! - plain.alphasCumprod[0]!)).toBeLessThan(1e-7);
    expect(zsnr.alphasCumprod[999]).toBe(0);
  });
});
