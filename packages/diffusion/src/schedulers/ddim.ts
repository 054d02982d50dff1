// DDIM sampling (Song, Meng & Ermon 2021, eq. 12): x_{t'} = √ᾱ_{t'}·x₀ + √(1 − ᾱ_{t'} − σ²)·ε + σ·z with
// σ = η·√β̃, any step count and η, with the interface and config of diffusers' DDIMScheduler.
import { RadixError, tidy, type Tensor } from '@radix/tensor-webgpu';
import { DiscreteScheduler, type StepOptions, type StepOutput } from './discrete-scheduler.js';
import { DISCRETE_DEFAULTS, readSchedulerConfig, resolveConfig, toDiffusersJson, type DiscreteSchedulerConfig } from './scheduler-config.js';

/** DDIMScheduler's configuration (diffusers' names, camelCased). */
export interface DDIMSchedulerConfig extends DiscreteSchedulerConfig {
  /** ᾱ after the last step: 1 (default) or ᾱ_0. */
  setAlphaToOne: boolean;
}

/** Defaults of {@link DDIMSchedulerConfig} (diffusers' values). */
export const DDIM_DEFAULTS: DDIMSchedulerConfig = { ...DISCRETE_DEFAULTS, setAlphaToOne: true };

/**
 * Denoising diffusion implicit model sampling, equal to diffusers' `DDIMScheduler` (fixtures from its own code).
 *
 * The previous timestep is the next entry of the schedule by default. diffusers uses t − ⌊T/N⌋, which skips to the
 * wrong ᾱ for 'linspace' spacing and for 'trailing' when N does not divide T (its issues #11347, #12633);
 * `prevTimestep: 'diffusers'` reproduces that trajectory. diffusers' DDIM has no 'sigmoid' βs; this one does.
 *
 * @example
 * const scheduler = new DDIMScheduler({ timestepSpacing: 'trailing' });
 * scheduler.setTimesteps(50);
 * let x = randn([4, 3, 32, 32], { generator });
 * for (const t of scheduler.timesteps) x = scheduler.step(unet.call(x, [t]), t, x, { eta: 0 }).prevSample;
 */
export class DDIMScheduler extends DiscreteScheduler<DDIMSchedulerConfig> {
  /** ᾱ used when the previous timestep is −1. */
  readonly finalAlphaCumprod: number;

  constructor(config: Partial<DDIMSchedulerConfig> = {}) {
    super(resolveConfig(config, DDIM_DEFAULTS, 'DDIMScheduler'));
    this.finalAlphaCumprod = this.config.setAlphaToOne ? 1 : this.alphasCumprod[0]!;
  }

  /**
   * Builds a scheduler from a config object: camelCase, or diffusers' snake_case `scheduler_config.json` (a DDPM
   * config works: `variance_type` and other schedulers' fields are ignored and listed in `ignoredConfigKeys`).
   *
   * @example
   * const s = DDIMScheduler.fromConfig(JSON.parse(readFileSync('scheduler/scheduler_config.json', 'utf8')));
   */
  static fromConfig(json: unknown, source?: string): DDIMScheduler {
    const { config, ignored } = readSchedulerConfig(json, DDIM_DEFAULTS, 'DDIMScheduler', source);
    const s = new DDIMScheduler(config);
    s.ignoredConfigKeys = ignored;
    return s;
  }

  get className(): string {
    return 'DDIMScheduler';
  }

  /**
   * The timestep a step from `timestep` lands on: the next schedule entry, or t − ⌊T/N⌋ with `prevTimestep: 'diffusers'`
   * (negative = past the end, where ᾱ is `finalAlphaCumprod`).
   *
   * @example
   * s.setTimesteps(10); s.previousTimestep(999);
   */
  previousTimestep(timestep: number): number {
    if (this.config.prevTimestep === 'diffusers') {
      const n = this.numInferenceSteps ?? this.config.numTrainTimesteps;
      return timestep - Math.floor(this.config.numTrainTimesteps / n);
    }
    return this.scheduleNext(timestep);
  }

  /**
   * σ²/η² of the step from `timestep` to `prevTimestep`: (1 − ᾱ_{t'})/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_{t'}), DDPM's posterior
   * variance between the two timesteps.
   *
   * @example
   * s.setTimesteps(50); s.variance(s.timesteps[0]);
   */
  variance(timestep: number, prevTimestep = this.previousTimestep(timestep)): number {
    const at = this.alphasCumprod[timestep]!;
    const ap = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : this.finalAlphaCumprod;
    return ((1 - ap) / (1 - at)) * (1 - at / ap);
  }

  /**
   * One DDIM step from `timestep` to `previousTimestep(timestep)` with noise weight `options.eta` (default 0).
   *
   * @example
   * const { prevSample } = s.step(eps, t, x, { eta: 1, generator });
   */
  step(modelOutput: Tensor, timestep: number, sample: Tensor, options: StepOptions = {}): StepOutput {
    this.checkTimestep(timestep);
    this.checkSame('step', modelOutput, sample, 'modelOutput');
    const eta = options.eta ?? 0;
    if (!(eta >= 0) || !Number.isFinite(eta)) throw new RadixError('DDIMScheduler.step', `eta must be a finite number ≥ 0, got ${eta}`);
    const prevT = this.previousTimestep(timestep);
    const at = this.alphasCumprod[timestep]!;
    const ap = prevT >= 0 ? this.alphasCumprod[prevT]! : this.finalAlphaCumprod;
    const std = eta * Math.sqrt(this.variance(timestep, prevT));
    return tidy(() => {
      const pred = this.predict(modelOutput, sample, at, true);
      const x0 = pred.x0;
      let eps = pred.eps!;
      if (options.useClippedModelOutput) eps = sample.sub(x0.mul(Math.sqrt(at))).div(Math.sqrt(1 - at));
      // √(1 − ᾱ_{t'} − σ²) is real for η ≤ 1; larger η can push it below 0, where it is taken as 0.
      const dir = Math.sqrt(Math.max(0, 1 - ap - std * std));
      let prev = x0.mul(Math.sqrt(ap)).add(eps.mul(dir));
      if (eta > 0) prev = prev.add(this.drawNoise(sample, options).mul(std));
      return { prevSample: prev, predOriginalSample: x0 };
    });
  }

  /** The config as diffusers' `scheduler_config.json`. @example writeJson('scheduler_config.json', s.toDiffusersConfig()) */
  toDiffusersConfig(): Record<string, unknown> {
    return toDiffusersJson(this.config, this.className);
  }
}
