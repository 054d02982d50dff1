// Public barrel of @radix/gan: StyleGAN2 networks, losses, augmentation, freezing and training.
/** The package's version, as published. */
export const VERSION = '0.1.0';

// losses, augmentation and training
export * from './losses/index.js';
export * from './augment/index.js';
export { freezeG, freezeD, type FreezeResult } from './freeze.js';
export { MinibatchSampler, type MinibatchSamplerOptions } from './train/balanced-sampler.js';
export { seededRandom, derivedSeed } from './train/seeded-random.js';
export type { GeneratorLike, DiscriminatorLike, FeatureDiscriminatorLike, MappingCallOptions, NoiseMode } from './train/contract.js';
export type { GanTrainOptions, GanStepInfo, AdaTrainOptions, D2DCETrainOptions } from './train/options.js';
export type { D2DCEHeadLike } from './train/phases.js';
export { trainGan, writeGrid, GAN_OUT, type GanNetworks, type GanTrainResult } from './train/trainer.js';
export { saveGanCheckpoint, loadGanCheckpoint, GAN_CHECKPOINT_KEY, type GanCheckpointMeta, type GanCheckpointParts, type LoadedGanCheckpoint } from './train/checkpoint.js';
export { emaBeta, updateGEma } from './train/g-ema.js';
export { generateImages, oneHot, tileImages, encodePng, type RgbImage, type GenerateOptions } from './train/sample-grid.js';
