// Whole DDPM/DDIM sampling runs against diffusers' own scheduler code (tools/reference/gen_diffusion_schedulers.py):
// every β schedule × spacing × prediction type, clipping, thresholding, η, variance types, both prevTimestep rules.
import { readFileSync } from 'node:fs';
import { cat, tensor, type Backend, type Tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { DDIMScheduler } from './ddim.js';
import { DDPMScheduler } from './ddpm.js';
import type { DiscreteScheduler } from './discrete-scheduler.js';
import type { PrevTimestepRule } from './scheduler-config.js';

interface FixtureCase {
  name: string;
  scheduler: 'ddpm' | 'ddim';
  prev_rule: PrevTimestepRule;
  config: Record<string, unknown>;
  steps: number;
  shape: number[];
  seed: number;
  eta?: number;
  use_clipped?: boolean;
  timesteps: number[];
  checkpoints: number[];
  trajectory: string;
  final_pred_original: string;
  finite: boolean;
  /** Max |float32 − float64| of diffusers' own run; the float64 trajectory is stored when it exceeds 5e-5. */
  f32_vs_f64: number;
  trajectory_f64?: string;
  final_pred_original_f64?: string;
}
interface Fixture {
  reference: string;
  cases: FixtureCase[];
  alphas: (Record<string, unknown> & { alphas_cumprod: string })[];
  timestep_grid: { spacing: 'linspace' | 'leading' | 'trailing'; T: number; n: number; steps_offset: number; timesteps: number[] }[];
}

const fixture: Fixture = JSON.parse(readFileSync(new URL('../../fixtures/schedulers/trajectories.json', import.meta.url), 'utf8'));
const backends = await testBackends();
const TOL = 1e-4;

function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** The generator's hash32, in 32-bit integer arithmetic. */
function hash32(a: number, b: number, c: number): number {
  let h = (Math.imul(a, 0x9e3779b1) >>> 0) + (Math.imul((b + 0x7f4a7c15) >>> 0, 0x85ebca77) >>> 0) + (Math.imul(c, 0xc2b2ae3d) >>> 0);
  h >>>= 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

function formulaNoise(seed: number, k: number, shape: number[], backend: Backend): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u1 = (hash32(seed, k, 2 * i) + 0.5) / 4294967296;
    const u2 = hash32(seed, k, 2 * i + 1) / 4294967296;
    out[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return tensor(out, { shape, backend });
}

function pseudoModel(x: Tensor, t: number, learned: boolean): Tensor {
  const f = x.mul(0.984375).add(x.mul(3).add(t * 0.0078125).sin().mul(0.0625));
  return learned ? cat([f, x.sigmoid().mul(0.5)], 1) : f;
}

function makeScheduler(c: FixtureCase, rule: PrevTimestepRule, override: Record<string, unknown> = {}): DiscreteScheduler<never> {
  const json = { ...c.config, ...override, prev_timestep: rule };
  return (c.scheduler === 'ddpm' ? DDPMScheduler.fromConfig(json) : DDIMScheduler.fromConfig(json)) as unknown as DiscreteScheduler<never>;
}

/** Runs a case; returns the samples at the case's checkpoints (concatenated) and the last x₀. */
async function run(c: FixtureCase, s: DiscreteScheduler<never>, backend: Backend, seed = c.seed): Promise<{ traj: Float32Array; x0: Float32Array }> {
  s.setTimesteps(c.steps);
  const learned = c.scheduler === 'ddpm' && String(c.config.variance_type).startsWith('learned');
  const n = c.shape.reduce((a, b) => a * b, 1);
  const traj = new Float32Array(n * c.checkpoints.length);
  let x = formulaNoise(seed, -1, c.shape, backend);
  let x0: Tensor | null = null;
  let saved = 0;
  for (let k = 0; k < s.timesteps.length; k++) {
    const t = s.timesteps[k]!;
    const out = pseudoModel(x, t, learned);
    const z = formulaNoise(seed, k, c.shape, backend);
    const step = (s as unknown as DDIMScheduler).step(out, t, x, { eta: c.eta ?? 0, noise: z, useClippedModelOutput: c.use_clipped ?? false });
    out.dispose();
    z.dispose();
    x.dispose();
    x0?.dispose();
    x = step.prevSample;
    x0 = step.predOriginalSample;
    if (c.checkpoints.includes(k)) traj.set(await x.data(), n * saved++);
  }
  const last = new Float32Array(await x0!.data());
  x.dispose();
  x0!.dispose();
  return { traj, x0: last };
}

/** Worst |a − b| and whether every element is within TOL·max(1, |b|). */
function worstError(a: Float32Array, b: Float32Array): { abs: number; ok: boolean } {
  let abs = 0;
  let ok = a.length === b.length;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= TOL * Math.max(1, Math.abs(b[i]!)))) ok = false;
    abs = Math.max(abs, Number.isNaN(d) ? Infinity : d);
  }
  return { abs, ok };
}

const worst: Record<string, { abs: number; name: string }> = {};
function record(label: string, name: string, abs: number): void {
  if (!worst[label] || abs > worst[label]!.abs) worst[label] = { abs, name };
}
afterAll(() => {
  for (const [k, v] of Object.entries(worst)) console.log(`worst |Δ| ${k}: ${v.abs.toExponential(2)} (${v.name})`);
});

describe('ᾱ and timesteps equal diffusers', () => {
  it('ᾱ for every β schedule, with and without zero-terminal-SNR rescaling', () => {
    for (const a of fixture.alphas) {
      const { alphas_cumprod: b64, ...cfg } = a;
      const ours = DDPMScheduler.fromConfig(cfg).alphasCumprod;
      const ref = f32(b64);
      for (let i = 0; i < ref.length; i++) {
        const d = Math.abs(ours[i]! - ref[i]!);
        // A few float32 ulps: Radix accumulates and rescales in double, diffusers in float32 (the rescaling subtracts
        // √ᾱ_T from √ᾱ_t, so its float32 error grows to ~10 ulps there).
        const rel = cfg.rescale_betas_zero_snr ? 5e-6 : 1e-6;
        expect(d, `${JSON.stringify(cfg)} t=${i}`).toBeLessThanOrEqual(rel * ref[i]! + 1e-12);
      }
    }
  });

  it('set_timesteps for every spacing over a grid of N (the N + 1th "trailing" entry diffusers appends is −1)', () => {
    for (const g of fixture.timestep_grid) {
      const s = new DDPMScheduler({ numTrainTimesteps: g.T, timestepSpacing: g.spacing, stepsOffset: g.steps_offset });
      s.setTimesteps(g.n);
      expect(s.timesteps, `${g.spacing} T=${g.T} N=${g.n}`).toEqual(g.timesteps.slice(0, g.n));
      if (g.timesteps.length > g.n) expect(g.timesteps.slice(g.n)).toEqual([-1]);
    }
  });
});

describe.each(backends.map((b) => [b.name, b] as [string, Backend]))('trajectories on %s', (bname, backend) => {
  // Every case on the CPU; on WebGPU (slow under lavapipe) every sixth case and the thresholding ones up to 25 steps.
  const finite = fixture.cases.filter(
    (c, i) => c.finite && (bname === 'cpu' || ((i % 6 === 0 || c.config.thresholding === true) && c.steps <= 25)),
  );
  it.each(finite.map((c) => [c.name, c] as [string, FixtureCase]))('%s', async (_, c) => {
    const s = makeScheduler(c, c.prev_rule);
    s.setTimesteps(c.steps);
    expect(s.timesteps).toEqual(c.timesteps);
    const { traj, x0 } = await run(c, s, backend);
    const e32 = worstError(traj, f32(c.trajectory));
    record(`${bname} ${c.scheduler} prevTimestep '${c.prev_rule}' vs diffusers float32`, c.name, e32.abs);
    // Where diffusers' own float32 rounding moves its result by more than 5e-5 (1 − ᾱ_{t'} − σ² cancelling at η = 1
    // on a cosine schedule's first step), the reference is the same diffusers code run in float64.
    const ref = c.trajectory_f64 ?? c.trajectory;
    const e = worstError(traj, f32(ref));
    const e0 = worstError(x0, f32(c.final_pred_original_f64 ?? c.final_pred_original));
    if (c.trajectory_f64) {
      record(`${bname} ${c.scheduler} vs diffusers float64 (where its float32 run is off by > 5e-5)`, c.name, Math.max(e.abs, e0.abs));
      expect(e32.abs).toBeLessThanOrEqual(c.f32_vs_f64 + TOL);
    }
    expect(e.ok, `trajectory: worst |Δ| ${e.abs}`).toBe(true);
    expect(e0.ok, `final x₀: worst |Δ| ${e0.abs}`).toBe(true);
    // DDPM: the default rule differs from diffusers only by noise at a last step with t > 0, which β̃ ≈ 0 makes vanish.
    const vt = String(c.config.variance_type ?? 'fixed_small');
    if (c.scheduler === 'ddpm' && (c.timesteps.at(-1) === 0 || vt.startsWith('fixed_small'))) {
      const d = await run(c, makeScheduler(c, 'schedule'), backend);
      const ed = worstError(d.traj, f32(c.trajectory));
      record(`${bname} ddpm prevTimestep 'schedule'`, c.name, ed.abs);
      expect(ed.ok, `prevTimestep 'schedule': worst |Δ| ${ed.abs}`).toBe(true);
    }
  });

  it("'fixed_large_log' (NaN in diffusers, whose step takes √ of a log-variance) samples with std √β_t like 'fixed_large'", async () => {
    const nan = fixture.cases.filter((c) => !c.finite);
    expect(nan.map((c) => c.config.variance_type)).toEqual(['fixed_large_log', 'fixed_large_log']);
    for (const c of nan) {
      const twin = fixture.cases.find((o) => o.config.variance_type === 'fixed_large' && o.config.timestep_spacing === c.config.timestep_spacing)!;
      const { traj } = await run(twin, makeScheduler(twin, 'diffusers', { variance_type: 'fixed_large_log' }), backend);
      const e = worstError(traj, f32(twin.trajectory));
      expect(e.ok, `worst |Δ| ${e.abs}`).toBe(true);
    }
  });
});

describe("prevTimestep 'diffusers' is a different trajectory where diffusers' rule is wrong", () => {
  it("DDIM 'linspace': the two rules' fixtures differ, and each is reproduced above", () => {
    const lin = fixture.cases.filter((c) => c.name.startsWith('ddim-') && c.name.includes('-linspace-') && c.name.includes('-diffusers-'));
    expect(lin.length).toBeGreaterThan(0);
    for (const c of lin) {
      const twin = fixture.cases.find((o) => o.name === c.name.replace('-diffusers-', '-schedule-'))!;
      const a = f32(c.trajectory);
      const b = f32(twin.trajectory);
      let d = 0;
      for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
      expect(d, c.name).toBeGreaterThan(1e-3);
    }
  });
});
