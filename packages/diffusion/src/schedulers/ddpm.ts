// DDPM ancestral sampling (Ho et al. 2020): x_{t'} ~ N(μ̃(x_t, x₀), σ²) with the posterior mean of formula (7) and
// diffusers' six variance types, over any inference schedule, with the interface and config of diffusers' DDPMScheduler.
import { RadixError, tidy, type Tensor } from '@radix/tensor-webgpu';
import { DiscreteScheduler, type StepOptions, type StepOutput } from './discrete-scheduler.js';
import {
  DISCRETE_DEFAULTS, readSchedulerConfig, resolveConfig, toDiffusersJson, type DiscreteSchedulerConfig, type VarianceType,
} from './scheduler-config.js';

/** DDPMScheduler's configuration (diffusers' names, camelCased). */
export interface DDPMSchedulerConfig extends DiscreteSchedulerConfig {
  /** Variance of p(x_{t'} | x_t) (default 'fixed_small', the posterior variance β̃). */
  varianceType: VarianceType;
}

/** Defaults of {@link DDPMSchedulerConfig} (diffusers' values). */
export const DDPM_DEFAULTS: DDPMSchedulerConfig = { ...DISCRETE_DEFAULTS, varianceType: 'fixed_small' };

/**
 * Denoising diffusion probabilistic model sampling, equal to diffusers' `DDPMScheduler` (fixtures from its own code).
 *
 * With `prevTimestep: 'schedule'` (default) the last step of the chain adds no noise, as in the DDPM paper; with
 * 'diffusers' noise is added at every step whose timestep is above 0, which with 'trailing' spacing and a large
 * variance leaves noise in the final sample (diffusers' behaviour, reproduced for comparison).
 * For 'fixed_large_log' diffusers takes the square root of a log-variance (NaN); here it means std = √β_t, both modes.
 *
 * @example
 * const scheduler = new DDPMScheduler({ betaSchedule: 'squaredcos_cap_v2' });
 * scheduler.setTimesteps(1000);
 * let x = randn([4, 3, 32, 32], { generator });
 * for (const t of scheduler.timesteps) x = scheduler.step(unet.call(x, [t]), t, x, { generator }).prevSample;
 */
export class DDPMScheduler extends DiscreteScheduler<DDPMSchedulerConfig> {
  constructor(config: Partial<DDPMSchedulerConfig> = {}) {
    super(resolveConfig(config, DDPM_DEFAULTS, 'DDPMScheduler'));
  }

  /**
   * Builds a scheduler from a config object: camelCase, or diffusers' snake_case `scheduler_config.json` (metadata keys
   * and other schedulers' fields are ignored and listed in `ignoredConfigKeys`; unknown keys throw).
   *
   * @example
   * const s = DDPMScheduler.fromConfig(JSON.parse(readFileSync('scheduler/scheduler_config.json', 'utf8')));
   */
  static fromConfig(json: unknown, source?: string): DDPMScheduler {
    const { config, ignored } = readSchedulerConfig(json, DDPM_DEFAULTS, 'DDPMScheduler', source);
    const s = new DDPMScheduler(config);
    s.ignoredConfigKeys = ignored;
    return s;
  }

  get className(): string {
    return 'DDPMScheduler';
  }

  /** The next entry of the schedule (diffusers' rule too), −1 after the last. @example s.previousTimestep(s.timesteps[0]) */
  previousTimestep(timestep: number): number {
    return this.scheduleNext(timestep);
  }

  /**
   * The posterior variance β̃ = (1 − ᾱ_{t'})/(1 − ᾱ_t)·(1 − ᾱ_t/ᾱ_{t'}) of the step from `timestep` to its previous
   * timestep, clamped at 1e-20 like diffusers.
   *
   * @example
   * s.setTimesteps(50); s.posteriorVariance(s.timesteps[0]);
   */
  posteriorVariance(timestep: number, prevTimestep = this.previousTimestep(timestep)): number {
    const at = this.alphasCumprod[timestep]!;
    const ap = prevTimestep >= 0 ? this.alphasCumprod[prevTimestep]! : 1;
    return Math.max(((1 - ap) / (1 - at)) * (1 - at / ap), 1e-20);
  }

  /**
   * One reverse step from `timestep` to `previousTimestep(timestep)`. `modelOutput` has the sample's shape, or twice
   * its channels for 'learned'/'learned_range' (the second half is the variance output).
   *
   * @example
   * const { prevSample, predOriginalSample } = s.step(eps, t, x, { generator });
   */
  step(modelOutput: Tensor, timestep: number, sample: Tensor, options: StepOptions = {}): StepOutput {
    this.checkTimestep(timestep);
    const c = this.config;
    const C = sample.shape[1];
    const learned = c.varianceType === 'learned' || c.varianceType === 'learned_range';
    let output = modelOutput;
    let predictedVariance: Tensor | null = null;
    if (learned) {
      if (modelOutput.ndim < 2 || C === undefined || modelOutput.shape[1] !== 2 * C) {
        throw new RadixError('DDPMScheduler.step', `varianceType '${c.varianceType}' needs a model output with 2×${C} channels (mean and variance), got shape [${modelOutput.shape.join(', ')}]`);
      }
    } else {
      this.checkSame('step', modelOutput, sample, 'modelOutput');
    }
    const prevT = this.previousTimestep(timestep);
    const at = this.alphasCumprod[timestep]!;
    const ap = prevT >= 0 ? this.alphasCumprod[prevT]! : 1;
    const betaT = 1 - at / ap;
    const addNoise = c.prevTimestep === 'diffusers' ? timestep > 0 : prevT >= 0;
    return tidy(() => {
      if (learned) {
        output = modelOutput.narrow(1, 0, C!);
        predictedVariance = modelOutput.narrow(1, C!, C!);
      }
      const { x0 } = this.predict(output, sample, at, false);
      // Formula (7): μ̃ = √ᾱ_{t'}·β_t/(1 − ᾱ_t)·x₀ + √α_t·(1 − ᾱ_{t'})/(1 − ᾱ_t)·x_t.
      const cx0 = (Math.sqrt(ap) * betaT) / (1 - at);
      const cxt = (Math.sqrt(at / ap) * (1 - ap)) / (1 - at);
      let prev = x0.mul(cx0).add(sample.mul(cxt));
      if (addNoise) {
        const z = this.drawNoise(sample, options);
        const small = Math.max(((1 - ap) / (1 - at)) * betaT, 1e-20);
        switch (c.varianceType) {
          case 'fixed_small':
          case 'fixed_small_log':
            prev = prev.add(z.mul(Math.sqrt(small)));
            break;
          case 'fixed_large':
          case 'fixed_large_log':
            prev = prev.add(z.mul(Math.sqrt(betaT)));
            break;
          case 'learned':
            prev = prev.add(z.mul(predictedVariance!.sqrt()));
            break;
          case 'learned_range': {
            // log σ² = frac·log β_t + (1 − frac)·log β̃ with frac = (v + 1)/2 (Nichol & Dhariwal 2021, eq. 15).
            const minLog = Math.log(small);
            const maxLog = Math.log(betaT);
            const frac = predictedVariance!.add(1).mul(0.5);
            const logVar = frac.mul(maxLog - minLog).add(minLog);
            prev = prev.add(z.mul(logVar.mul(0.5).exp()));
            break;
          }
        }
      }
      return { prevSample: prev, predOriginalSample: x0 };
    });
  }

  /** The config as diffusers' `scheduler_config.json`. @example writeJson('scheduler_config.json', s.toDiffusersConfig()) */
  toDiffusersConfig(): Record<string, unknown> {
    return toDiffusersJson(this.config, this.className);
  }
}
