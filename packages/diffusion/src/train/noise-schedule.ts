// What the trainer needs from a noise scheduler (DDPMScheduler, DDIMScheduler): diffusers' training interface —
// addNoise, getVelocity, the prediction type and the number of training timesteps — plus min-SNR-γ loss weights.
import type { Tensor } from '@radix/tensor-webgpu';

/** The prediction types of diffusers' schedulers. */
export type PredictionType = 'epsilon' | 'sample' | 'v_prediction';

/**
 * The part of a diffusers-style scheduler that training uses. DDPMScheduler and DDIMScheduler of this package
 * implement it.
 *
 * @example
 * const sched: TrainingNoiseScheduler = new DDPMScheduler({ numTrainTimesteps: 1000 });
 * const noisy = sched.addNoise(x0, noise, timesteps);
 */
export interface TrainingNoiseScheduler {
  readonly config: { readonly numTrainTimesteps: number; readonly predictionType: PredictionType | string };
  /** ᾱ_t for t = 0 … numTrainTimesteps − 1. */
  readonly alphasCumprod: Float64Array;
  /** √ᾱ_t·x0 + √(1 − ᾱ_t)·noise per sample. */
  addNoise(originalSamples: Tensor, noise: Tensor, timesteps: Tensor): Tensor;
  /** √ᾱ_t·noise − √(1 − ᾱ_t)·x0 per sample (the v-prediction target). */
  getVelocity(sample: Tensor, noise: Tensor, timesteps: Tensor): Tensor;
  /** The config as diffusers' scheduler_config.json (written into checkpoints when present). */
  toDiffusersConfig?(): Record<string, unknown>;
}

/**
 * The regression target of a prediction type: the noise ('epsilon'), the clean sample ('sample') or the velocity
 * ('v_prediction', {@link TrainingNoiseScheduler.getVelocity}).
 *
 * @example
 * const target = predictionTarget(sched, x0, noise, t);
 */
export function predictionTarget(scheduler: TrainingNoiseScheduler, x0: Tensor, noise: Tensor, timesteps: Tensor): Tensor {
  const type = scheduler.config.predictionType;
  if (type === 'epsilon') return noise;
  if (type === 'sample') return x0;
  if (type === 'v_prediction') return scheduler.getVelocity(x0, noise, timesteps);
  throw new Error(`diffusion training: unknown predictionType '${String(type)}' (expected epsilon, sample or v_prediction)`);
}

/**
 * Per-sample loss weights of min-SNR-γ (Hang et al. 2023, as diffusers' training scripts compute them): with
 * SNR_t = ᾱ_t / (1 − ᾱ_t), weight = min(SNR_t, γ) / SNR_t for 'epsilon', min(SNR_t, γ) / (SNR_t + 1) for
 * 'v_prediction', min(SNR_t, γ) for 'sample'.
 *
 * @example
 * const w = minSnrWeights(sched.alphasCumprod, [10, 900], 5, 'epsilon'); // Float64Array [2]
 */
export function minSnrWeights(alphasCumprod: Float64Array, timesteps: readonly number[], gamma: number, predictionType: string): Float64Array {
  if (!(gamma > 0) || !Number.isFinite(gamma)) throw new Error(`minSnrWeights: gamma must be a positive number, got ${gamma}`);
  return Float64Array.from(timesteps, (t) => {
    const a = alphasCumprod[t];
    if (a === undefined) throw new Error(`minSnrWeights: timestep ${t} is outside the schedule of ${alphasCumprod.length} steps`);
    const snr = a / (1 - a);
    const clipped = Math.min(snr, gamma);
    if (predictionType === 'epsilon') return clipped / snr;
    if (predictionType === 'v_prediction') return clipped / (snr + 1);
    return clipped;
  });
}
