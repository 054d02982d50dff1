// Public exports of the differentiable-augmentation family: DiffAugment policies and the ADA-style pipeline.
export { diffAugment, type DiffAugmentOptions, type DiffAugmentPolicy } from './diff-augment.js';
export { adaAugment, ADA_OPS, type AdaAugmentOptions, type AdaOp } from './ada.js';
