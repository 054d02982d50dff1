// A model trained as a DDPM (ε, x₀ or v prediction) used as NCSN's score network: with y = x_t/√ᾱ_t = x₀ + σ_t·ε,
// σ_t = √((1 − ᾱ_t)/ᾱ_t), the VE score is ∇_y log p(y) = −E[ε | y]/σ_t (Song et al. 2021, the VP ↔ VE relation).
import type { Backend, Tensor } from '@radix/tensor-webgpu';
import { DDIMScheduler } from '../schedulers/ddim.js';
import { DDPMScheduler } from '../schedulers/ddpm.js';
import { NCSNScheduler, type NCSNSchedulerConfig } from '../schedulers/ncsn.js';
import { UNet2DModel } from '../unet/unet-2d.js';
import type { DenoiserFunction, SampleModel } from './sample.js';

/** Options of {@link ncsnFromDiffusion}: the Langevin settings, and which of the model's timesteps become the levels. */
export interface NCSNFromDiffusionOptions extends Partial<Pick<NCSNSchedulerConfig, 'stepsPerScale' | 'epsilon' | 'stepRule' | 'finalDenoise' | 'initialNoise'>> {
  /** Number of levels L (default 100), placed by `levelSpacing`. */
  numScales?: number;
  /**
   * 'timesteps' (default): L timesteps evenly spaced from T − 1 to 0 (rounded), the noise levels the model was trained
   * on uniformly. 'geometric-sigma': the timesteps whose σ_t lie nearest a geometric grid from σ_{T−1} to σ_0 (NCSN's
   * spacing; where the schedule has too few timesteps for the grid, consecutive ones; refused when even that fails,
   * e.g. many levels on a cosine schedule, whose σ_t explode near T).
   */
  levelSpacing?: 'timesteps' | 'geometric-sigma';
  /** Explicit timesteps of the levels, strictly decreasing (overrides numScales). */
  timesteps?: readonly number[];
}

/** What {@link ncsnFromDiffusion} returns: the scheduler, the wrapped model, the shape and backend, ready to spread into sample()'s options. */
export interface NCSNFromDiffusion {
  /** An NCSNScheduler with σ_i = σ_{t_i}, `modelInput: 'index'` and `scoreScaling: 'divide-by-sigma'`. */
  scheduler: NCSNScheduler;
  /** The level → timestep map t_i. */
  timesteps: number[];
  /** The score network: level i, y ↦ −ε̂(√ᾱ_{t_i}·y, t_i) (divided by σ_i by the scheduler). */
  model: DenoiserFunction;
  /** [C, H, W] from a UNet2DModel's config (absent for other models: give sample() a shape). */
  shape?: [number, number, number];
  /** The backend of a UNet2DModel's parameters (absent for other models). */
  backend?: Backend;
}

/** σ_t = √((1 − ᾱ_t)/ᾱ_t) of every training timestep t (the VE noise level of y = x_t/√ᾱ_t). @example veSigmas(new DDPMScheduler())[999] */
export function veSigmas(scheduler: DDPMScheduler | DDIMScheduler): number[] {
  return Array.from(scheduler.alphasCumprod, (a) => Math.sqrt((1 - a) / a));
}

function chooseTimesteps(sigmas: number[], numScales: number, spacing: 'timesteps' | 'geometric-sigma'): number[] {
  const T = sigmas.length;
  if (!Number.isInteger(numScales) || numScales < 1 || numScales > T) throw new Error(`ncsnFromDiffusion: numScales must be an integer in [1, ${T}], got ${numScales}`);
  if (spacing !== 'timesteps' && spacing !== 'geometric-sigma') throw new Error(`ncsnFromDiffusion: levelSpacing must be 'timesteps' or 'geometric-sigma', got ${String(spacing)}`);
  if (numScales === 1) return [T - 1];
  if (spacing === 'timesteps') return Array.from({ length: numScales }, (_, i) => Math.round((T - 1) * (1 - i / (numScales - 1))));
  const hi = Math.log(sigmas[T - 1]!);
  const lo = Math.log(sigmas[0]!);
  const nearest = Array.from({ length: numScales }, (_, i) => {
    const target = hi + (i / (numScales - 1)) * (lo - hi);
    let best = 0;
    for (let u = 1; u < T; u++) if (Math.abs(Math.log(sigmas[u]!) - target) < Math.abs(Math.log(sigmas[best]!) - target)) best = u;
    return best;
  });
  // Near t = 0 the schedule has fewer timesteps than a fine grid has levels: from the smallest level up, a level that
  // would repeat the one below takes the next timestep instead.
  const chosen = new Array<number>(numScales);
  for (let i = numScales - 1; i >= 0; i--) chosen[i] = i === numScales - 1 ? nearest[i]! : Math.max(nearest[i]!, chosen[i + 1]! + 1);
  if (chosen[0]! > T - 1) throw new Error(`ncsnFromDiffusion: ${numScales} levels need more distinct timesteps than this schedule's ${T} give; use fewer`);
  return chosen;
}

/**
 * Annealed Langevin sampling with a model trained as a DDPM/DDIM (ε, 'sample' or 'v_prediction', as the scheduler's
 * `predictionType` says): the levels are σ_{t_i} of the chosen timesteps, the chain runs on y = x_t/√ᾱ_t (data scale
 * at the last level) and its score comes from the model's ε prediction. Langevin settings default to
 * NCSNScheduler's except `initialNoise: 'gaussian'` (σ_1·z, the DDPM prior in y-space). Class labels and
 * classifier-free guidance pass through `sample()` unchanged.
 *
 * @example
 * const unet = await UNet2DModel.fromPretrained('run/checkpoints/step-00020000/ema');
 * const langevin = ncsnFromDiffusion(unet, new DDPMScheduler(), { numScales: 100, stepsPerScale: 3 });
 * const images = await sample({ ...langevin, n: 16, seed: 1, classLabels: 0 }); // scheduler, model, shape, backend
 */
export function ncsnFromDiffusion(model: SampleModel, scheduler: DDPMScheduler | DDIMScheduler, options: NCSNFromDiffusionOptions = {}): NCSNFromDiffusion {
  if (!(scheduler instanceof DDPMScheduler) && !(scheduler instanceof DDIMScheduler)) throw new Error('ncsnFromDiffusion: scheduler must be the DDPMScheduler or DDIMScheduler the model was trained with');
  const all = veSigmas(scheduler);
  const T = all.length;
  let timesteps: number[];
  if (options.timesteps) {
    timesteps = [...options.timesteps];
    timesteps.forEach((t, i) => {
      if (!Number.isInteger(t) || t < 0 || t >= T) throw new Error(`ncsnFromDiffusion: timestep ${t} is outside [0, ${T - 1}]`);
      if (i > 0 && !(t < timesteps[i - 1]!)) throw new Error(`ncsnFromDiffusion: timesteps must decrease strictly; ${t} follows ${timesteps[i - 1]}`);
    });
    if (!timesteps.length) throw new Error('ncsnFromDiffusion: timesteps is empty');
  } else {
    timesteps = chooseTimesteps(all, options.numScales ?? 100, options.levelSpacing ?? 'timesteps');
  }
  const sigmas = timesteps.map((t) => all[t]!);
  const { numScales: _n, timesteps: _t, levelSpacing: _s, ...langevin } = options;
  const ncsn = new NCSNScheduler({ initialNoise: 'gaussian', ...langevin, sigmas, modelInput: 'index', scoreScaling: 'divide-by-sigma' });
  const pred = scheduler.config.predictionType;
  const call = (x: Tensor, t: number, labels: Tensor | undefined): Tensor => {
    const opts = labels ? { classLabels: labels } : {};
    return typeof model === 'function' ? model(x, t, opts) : model.call(x, t, opts);
  };
  const wrapped: DenoiserFunction = (y, level, { classLabels }) => {
    const t = timesteps[level];
    if (t === undefined) throw new Error(`ncsnFromDiffusion: level ${level} is outside [0, ${timesteps.length})`);
    const a = scheduler.alphasCumprod[t]!;
    const xt = y.mul(Math.sqrt(a));
    const out = call(xt, t, classLabels);
    let eps: Tensor;
    if (pred === 'epsilon') eps = out;
    else if (pred === 'sample') eps = xt.sub(out.mul(Math.sqrt(a))).div(Math.sqrt(1 - a));
    else eps = out.mul(Math.sqrt(a)).add(xt.mul(Math.sqrt(1 - a)));
    return eps.neg();
  };
  const result: NCSNFromDiffusion = { scheduler: ncsn, timesteps, model: wrapped };
  if (model instanceof UNet2DModel) {
    const s = model.config.sampleSize;
    if (s !== null) {
      const [h, w] = typeof s === 'number' ? [s, s] : s;
      result.shape = [model.config.inChannels, h, w];
    }
    const p = model.parameters()[0];
    if (p) result.backend = p.backend;
  }
  return result;
}
