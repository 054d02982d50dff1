// What DDPM and DDIM share (diffusers' common scheduler surface): βs and ᾱ, setTimesteps, the previous timestep,
// x₀/ε from the model output with clipping or thresholding, addNoise, getVelocity and scaleModelInput.
import {
  indexSelect, keep, randn, RadixError, reshape, tensor, tidy, type Backend, type Generator, type Tensor,
} from '@radix/tensor-webgpu';
import { cumprodAlphas, makeBetas, rescaleZeroTerminalSnr } from './beta-schedule.js';
import type { DiscreteSchedulerConfig } from './scheduler-config.js';
import { dynamicThreshold } from './thresholding.js';
import { checkCustomTimesteps, spacedTimesteps } from './timesteps.js';

/** Timesteps for addNoise/getVelocity: one per batch item (or one for all), as numbers or an integer tensor. */
export type TimestepsLike = number | readonly number[] | Int32Array | Tensor;

/** Options of a DDPM/DDIM `step`. */
export interface StepOptions {
  /** DDIM only: weight of the added noise, 0 = deterministic DDIM, 1 = DDPM's posterior variance (default 0). */
  eta?: number;
  /** Stream for the step's noise (default: the global generator). Ignored when `noise` is given. */
  generator?: Generator;
  /** Explicit standard-normal noise of the sample's shape; replaces the generator (replays a Python run). */
  noise?: Tensor;
  /** DDIM only: recompute ε from the clipped x₀ (diffusers' `use_clipped_model_output`). */
  useClippedModelOutput?: boolean;
}

/** Result of a DDPM/DDIM `step`: x_{t_prev} and the x₀ predicted at t (both new tensors owned by the caller). */
export interface StepOutput {
  prevSample: Tensor;
  predOriginalSample: Tensor;
}

/** The model output read as x₀ and ε (ε is null when the scheduler does not need it). */
export interface Prediction {
  x0: Tensor;
  eps: Tensor | null;
}

/**
 * Base of {@link DDPMScheduler} and {@link DDIMScheduler}; not used directly.
 *
 * @example
 * const s = new DDIMScheduler(); s.setTimesteps(50); s.alphasCumprod[s.timesteps[0]];
 */
export abstract class DiscreteScheduler<C extends DiscreteSchedulerConfig> {
  /** The full, validated configuration. */
  readonly config: Readonly<C>;
  /** βs of the forward process (float32 values, as diffusers holds them). */
  readonly betas: Float64Array;
  /** ᾱ_t = ∏_{s≤t}(1 − β_s). */
  readonly alphasCumprod: Float64Array;
  /** The standard deviation of the initial noise (1 for these schedulers). */
  readonly initNoiseSigma = 1;
  /** Model evaluations per step (1). */
  readonly order = 1;
  /** Config keys that `fromConfig` ignored (metadata and fields of other diffusers schedulers). */
  ignoredConfigKeys: string[] = [];
  /** The inference timesteps, strictly decreasing; all T training timesteps until `setTimesteps` is called. */
  timesteps: number[];
  /** Number of inference steps (null before `setTimesteps`). */
  numInferenceSteps: number | null = null;
  /** True after `setTimesteps(list)`. */
  customTimesteps = false;
  #index = new Map<number, number>();
  #tables = new Map<Backend, { a: Tensor; b: Tensor }>();

  protected constructor(config: C) {
    this.config = Object.freeze({ ...config });
    const c = this.config;
    let betas = c.trainedBetas ? Float64Array.from(c.trainedBetas, (v) => Math.fround(v)) : makeBetas(c.betaSchedule, c.numTrainTimesteps, c.betaStart, c.betaEnd);
    if (c.rescaleBetasZeroSnr) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = cumprodAlphas(betas);
    this.timesteps = Array.from({ length: c.numTrainTimesteps }, (_, i) => c.numTrainTimesteps - 1 - i);
    this.#reindex();
  }

  /** The class name diffusers writes as `_class_name`. */
  abstract get className(): string;

  /**
   * Sets the inference timesteps: N steps spaced by `timestepSpacing`, or an explicit strictly decreasing list.
   *
   * @example
   * scheduler.setTimesteps(50);
   * scheduler.setTimesteps([999, 800, 500, 200, 0]);
   */
  setTimesteps(steps: number | readonly number[]): void {
    const c = this.config;
    if (typeof steps === 'number') {
      this.timesteps = spacedTimesteps(c.timestepSpacing, c.numTrainTimesteps, steps, c.stepsOffset);
      this.customTimesteps = false;
    } else {
      this.timesteps = checkCustomTimesteps(steps, c.numTrainTimesteps);
      this.customTimesteps = true;
    }
    this.numInferenceSteps = this.timesteps.length;
    this.#reindex();
  }

  #reindex(): void {
    this.#index = new Map(this.timesteps.map((t, i) => [t, i]));
  }

  /**
   * The timestep a step from `t` lands on under the 'schedule' rule: the next entry of `timesteps`, −1 after the last.
   *
   * @example
   * s.setTimesteps(10); s.scheduleNext(s.timesteps[0]); // s.timesteps[1]
   */
  scheduleNext(timestep: number): number {
    const i = this.#index.get(timestep);
    if (i === undefined) {
      throw new RadixError(
        `${this.className}.step`,
        `timestep ${timestep} is not in the current schedule (${this.timesteps.length} timesteps, ${this.timesteps[0]}…${this.timesteps[this.timesteps.length - 1]}); call setTimesteps first`,
      );
    }
    return i + 1 < this.timesteps.length ? this.timesteps[i + 1]! : -1;
  }

  /** The timestep that `step(…, timestep, …)` moves to (−1 = the end of the chain). @example s.previousTimestep(999) */
  abstract previousTimestep(timestep: number): number;

  /** Checks a timestep given to `step`. */
  protected checkTimestep(timestep: number): void {
    if (!Number.isInteger(timestep) || timestep < 0 || timestep >= this.config.numTrainTimesteps) {
      throw new RadixError(`${this.className}.step`, `timestep must be an integer in [0, ${this.config.numTrainTimesteps - 1}], got ${timestep}`);
    }
  }

  /** Checks that two tensors have the same shape. */
  protected checkSame(op: string, a: Tensor, b: Tensor, what: string): void {
    if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
      throw new RadixError(`${this.className}.${op}`, `${what} has shape [${a.shape.join(', ')}] but the sample has shape [${b.shape.join(', ')}]`);
    }
  }

  /**
   * Reads the model output at ᾱ_t = `alphaProdT` as x₀ (and ε when `needEps`), then clips or thresholds x₀.
   * Returns ε computed from the model output before clipping (diffusers' behaviour).
   */
  protected predict(modelOutput: Tensor, sample: Tensor, alphaProdT: number, needEps: boolean): Prediction {
    const a = Math.sqrt(alphaProdT);
    const b = Math.sqrt(1 - alphaProdT);
    const c = this.config;
    return tidy(() => {
      let x0: Tensor;
      let eps: Tensor | null = null;
      switch (c.predictionType) {
        case 'epsilon':
          x0 = sample.sub(modelOutput.mul(b)).div(a);
          if (needEps) eps = modelOutput.clone();
          break;
        case 'sample':
          x0 = modelOutput.clone();
          if (needEps) eps = sample.sub(x0.mul(a)).div(b);
          break;
        case 'v_prediction':
          x0 = sample.mul(a).sub(modelOutput.mul(b));
          if (needEps) eps = modelOutput.mul(a).add(sample.mul(b));
          break;
      }
      if (c.thresholding) x0 = dynamicThreshold(x0, c.dynamicThresholdingRatio, c.sampleMaxValue);
      else if (c.clipSample) x0 = x0.clamp(-c.clipSampleRange, c.clipSampleRange);
      return { x0, eps };
    });
  }

  /** Standard-normal noise of `like`'s shape from `options.noise` or the generator. */
  protected drawNoise(like: Tensor, options: StepOptions): Tensor {
    if (options.noise) {
      this.checkSame('step', options.noise, like, 'options.noise');
      return options.noise.clone();
    }
    return randn(like.shape, { generator: options.generator, backend: like.backend });
  }

  /**
   * The forward process q(x_t | x₀): √ᾱ_t·x₀ + √(1 − ᾱ_t)·ε, one timestep per batch item.
   *
   * @example
   * const xt = scheduler.addNoise(x0, randn(x0.shape), randint(0, 1000, [x0.shape[0]], { dtype: 'int32' }));
   */
  addNoise(originalSamples: Tensor, noise: Tensor, timesteps: TimestepsLike): Tensor {
    this.checkSame('addNoise', noise, originalSamples, 'noise');
    return tidy(() => {
      const [a, b] = this.#coefficients('addNoise', originalSamples, timesteps);
      return originalSamples.mul(a).add(noise.mul(b));
    });
  }

  /**
   * The velocity target v = √ᾱ_t·ε − √(1 − ᾱ_t)·x₀ (Salimans & Ho 2022), one timestep per batch item.
   *
   * @example
   * const target = scheduler.getVelocity(x0, noise, [10, 500]);
   */
  getVelocity(sample: Tensor, noise: Tensor, timesteps: TimestepsLike): Tensor {
    this.checkSame('getVelocity', noise, sample, 'noise');
    return tidy(() => {
      const [a, b] = this.#coefficients('getVelocity', sample, timesteps);
      return noise.mul(a).sub(sample.mul(b));
    });
  }

  /** Returns `sample` unchanged (these schedulers do not scale the model input). @example x = s.scaleModelInput(x, t) */
  scaleModelInput(sample: Tensor, _timestep?: number): Tensor {
    return sample;
  }

  /** The config as diffusers' `scheduler_config.json` (snake_case keys, `_class_name`). @example JSON.stringify(s.toDiffusersConfig()) */
  abstract toDiffusersConfig(): Record<string, unknown>;

  /** √ᾱ_t and √(1 − ᾱ_t) shaped [B, 1, …] for broadcasting over `like`. */
  #coefficients(op: string, like: Tensor, timesteps: TimestepsLike): [Tensor, Tensor] {
    const batch = like.shape[0] ?? 1;
    const shape = [batch, ...like.shape.slice(1).map(() => 1)];
    const T = this.config.numTrainTimesteps;
    if (typeof timesteps === 'number' || Array.isArray(timesteps) || timesteps instanceof Int32Array) {
      const list = typeof timesteps === 'number' ? [timesteps] : Array.from(timesteps as ArrayLike<number>);
      if (list.length !== 1 && list.length !== batch) {
        throw new RadixError(`${this.className}.${op}`, `got ${list.length} timesteps for a batch of ${batch}`);
      }
      const a = new Float32Array(batch);
      const b = new Float32Array(batch);
      for (let i = 0; i < batch; i++) {
        const t = list.length === 1 ? list[0]! : list[i]!;
        if (!Number.isInteger(t) || t < 0 || t >= T) throw new RadixError(`${this.className}.${op}`, `timestep ${t} is outside [0, ${T - 1}]`);
        a[i] = Math.sqrt(this.alphasCumprod[t]!);
        b[i] = Math.sqrt(1 - this.alphasCumprod[t]!);
      }
      return [tensor(a, { shape, backend: like.backend }), tensor(b, { shape, backend: like.backend })];
    }
    const t = timesteps as Tensor;
    if (t.dtype !== 'int32' && t.dtype !== 'uint32') throw new RadixError(`${this.className}.${op}`, `timesteps tensor must be int32, got ${t.dtype}`);
    if (t.size !== batch && t.size !== 1) throw new RadixError(`${this.className}.${op}`, `got ${t.size} timesteps for a batch of ${batch}`);
    const table = this.#table(like.backend);
    const idx = t.reshape([t.size]);
    const expandTo = (v: Tensor): Tensor => reshape(v, [t.size, ...shape.slice(1)]);
    return [expandTo(indexSelect(table.a, 0, idx)), expandTo(indexSelect(table.b, 0, idx))];
  }

  #table(backend: Backend): { a: Tensor; b: Tensor } {
    const cached = this.#tables.get(backend);
    if (cached && !cached.a.isDisposed && !cached.b.isDisposed) return cached;
    const ac = this.alphasCumprod;
    const a = keep(tensor(Float32Array.from(ac, (v) => Math.sqrt(v)), { backend }));
    const b = keep(tensor(Float32Array.from(ac, (v) => Math.sqrt(1 - v)), { backend }));
    const entry = { a, b };
    this.#tables.set(backend, entry);
    return entry;
  }
}
