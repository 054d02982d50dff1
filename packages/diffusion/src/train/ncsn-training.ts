// Setting up NCSN training on a data set: NCSNv2's Technique 1 (σ_1 = the largest pairwise distance of the training
// images) for a scheduler whose sigmaMax is 'auto'.
import { NCSNScheduler, NCSN_DEFAULTS, type NCSNSchedulerConfig, suggestSigmaMax } from '../schedulers/ncsn.js';
import type { DiffusionDataset } from './dataset.js';

/** {@link ncsnSchedulerForData}'s config: an NCSNScheduler config whose sigmaMax may be 'auto'. */
export type NCSNTrainingConfig = Omit<Partial<NCSNSchedulerConfig>, 'sigmaMax'> & { sigmaMax?: number | 'auto' };

/**
 * An NCSNScheduler for training on `data`. With `sigmaMax: 'auto'` (the default), σ_1 is NCSNv2's Technique 1: the
 * largest Euclidean distance between two training images ({@link suggestSigmaMax}, exact, O(N²·D) on the host; the
 * images as the trainer sees them, in [−1, 1], without flips or augmentation). Everything else is passed through.
 *
 * @example
 * const scheduler = await ncsnSchedulerForData(data, { sigmaMax: 'auto', sigmaMin: 0.01, numScales: 100 });
 * const trainer = new DiffusionTrainer(unet, scheduler, data, { out: 'run', steps: 20000 });
 */
export async function ncsnSchedulerForData(data: DiffusionDataset, config: NCSNTrainingConfig = {}): Promise<NCSNScheduler> {
  if (config.sigmas && config.sigmaMax === undefined) return new NCSNScheduler(config as Partial<NCSNSchedulerConfig>);
  const { sigmaMax = 'auto', ...rest } = config;
  if (sigmaMax !== 'auto' && typeof sigmaMax !== 'number') throw new Error(`ncsnSchedulerForData: sigmaMax must be a number or 'auto', got ${JSON.stringify(sigmaMax)}`);
  // The dataset holds [0, 1] values and the trainer maps them to 2x − 1, which doubles every distance.
  const value = sigmaMax === 'auto' ? 2 * (await suggestSigmaMax(data.images)) : sigmaMax;
  const sigmaMin = rest.sigmaMin ?? NCSN_DEFAULTS.sigmaMin;
  if (!rest.sigmas && !(sigmaMin < value)) {
    throw new Error(`ncsnSchedulerForData: sigmaMin (${sigmaMin}) must be below sigmaMax (${value}${sigmaMax === 'auto' ? ", the largest distance between two training images (NCSNv2 Technique 1)" : ''})`);
  }
  return new NCSNScheduler({ ...rest, sigmaMax: value });
}
