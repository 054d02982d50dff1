// The β schedules of diffusers' discrete schedulers (linear, scaled_linear, squaredcos_cap_v2, sigmoid), zero-terminal-SNR
// rescaling and ᾱ: values rounded to float32 where diffusers holds float32 tensors, so a trained model sees the same βs.
import { RadixError } from '@radix/tensor-webgpu';

/** How the βs of the forward process are laid out over the training timesteps. */
export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2' | 'sigmoid';

/** The β schedule names accepted by {@link makeBetas}. */
export const BETA_SCHEDULES: readonly BetaSchedule[] = ['linear', 'scaled_linear', 'squaredcos_cap_v2', 'sigmoid'];

const f = Math.fround;

/**
 * `torch.linspace(start, end, steps, dtype=float32)` element by element: PyTorch's CPU kernel computes in float32,
 * from `start` for the first half and back from `end` for the second half.
 *
 * @example
 * linspaceF32(0.0001, 0.02, 1000)[999]; // 0.019999999552965164 (float32 of 0.02)
 */
export function linspaceF32(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const s = f(start);
  const e = f(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f(f(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  return out;
}

/** ᾱ(t) of the cosine schedule (Nichol & Dhariwal 2021, s = 0.008). */
function cosineAlphaBar(t: number): number {
  return Math.cos(((t + 0.008) / 1.008) * Math.PI / 2) ** 2;
}

/**
 * The βs of `schedule` over `numTrainTimesteps` steps, as diffusers' DDPMScheduler/DDIMScheduler build them
 * (float32 values in a Float64Array).
 *
 * @example
 * const betas = makeBetas('scaled_linear', 1000, 0.00085, 0.012);
 */
export function makeBetas(schedule: BetaSchedule, numTrainTimesteps: number, betaStart: number, betaEnd: number): Float64Array {
  const n = numTrainTimesteps;
  switch (schedule) {
    case 'linear':
      return linspaceF32(betaStart, betaEnd, n);
    case 'scaled_linear': {
      const r = linspaceF32(Math.sqrt(betaStart), Math.sqrt(betaEnd), n);
      return r.map((v) => f(v * v));
    }
    case 'squaredcos_cap_v2': {
      // Discretises ᾱ(t) with β_i = min(1 − ᾱ(t_{i+1})/ᾱ(t_i), 0.999), computed in double then stored as float32.
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = f(Math.min(1 - cosineAlphaBar((i + 1) / n) / cosineAlphaBar(i / n), 0.999));
      return out;
    }
    case 'sigmoid': {
      // GeoDiff: sigmoid(linspace(−6, 6)) · (βend − βstart) + βstart, every operation in float32.
      const x = linspaceF32(-6, 6, n);
      const scale = f(betaEnd - betaStart);
      const shift = f(betaStart);
      return x.map((v) => f(f(f(1 / f(1 + f(Math.exp(-v)))) * scale) + shift));
    }
    default:
      throw new RadixError('makeBetas', `unknown betaSchedule '${schedule as string}'; expected one of ${BETA_SCHEDULES.join(', ')}`);
  }
}

/**
 * Rescales βs so the last timestep has zero signal-to-noise ratio while the first keeps its ᾱ
 * (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1).
 *
 * @example
 * const betas = rescaleZeroTerminalSnr(makeBetas('linear', 1000, 1e-4, 0.02)); // ᾱ[999] becomes 0
 */
export function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const n = betas.length;
  const sq = new Float64Array(n);
  let prod = 1;
  for (let i = 0; i < n; i++) {
    prod *= f(1 - betas[i]!);
    sq[i] = Math.sqrt(prod);
  }
  const first = sq[0]!;
  const last = sq[n - 1]!;
  const scale = first / (first - last);
  const out = new Float64Array(n);
  let prevBar = 1;
  for (let i = 0; i < n; i++) {
    const bar = ((sq[i]! - last) * scale) ** 2;
    out[i] = f(1 - (i === 0 ? bar : bar / prevBar));
    prevBar = bar;
  }
  return out;
}

/**
 * ᾱ_t = ∏_{s≤t} (1 − β_s), accumulated in double like PyTorch's CPU `cumprod` (which accumulates float32 inputs in
 * double); αs are the float32 values 1 − β that diffusers holds.
 *
 * @example
 * const alphasCumprod = cumprodAlphas(makeBetas('linear', 1000, 1e-4, 0.02));
 */
export function cumprodAlphas(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let prod = 1;
  for (let i = 0; i < betas.length; i++) {
    prod *= f(1 - betas[i]!);
    out[i] = prod;
  }
  return out;
}
