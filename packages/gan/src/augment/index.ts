// Differentiable augmentation for GAN training: ADA's pipe and p controller, and DiffAugment.
export { type Augmenter } from './augmenter.js';
export { AdaPipe, BGC_OPS, type AdaPipeOptions } from './ada-pipe.js';
export { AdaController, type AdaControllerOptions, type AdaControllerState } from './ada-controller.js';
export { DiffAugmentPipe } from './diff-augment-pipe.js';
