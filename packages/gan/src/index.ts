// Public barrel of @radix/gan: StyleGAN2 networks, losses, augmentation, freezing and training.
/** The package's version, as published. */
export const VERSION = '0.1.0';

// losses, augmentation and training
export * from './losses/index.js';
export * from './augment/index.js';
export { MinibatchSampler, type MinibatchSamplerOptions } from './train/balanced-sampler.js';
export { seededRandom, derivedSeed } from './train/seeded-random.js';
