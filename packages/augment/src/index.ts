// Public entry point of @radix/augment: batch image operations, stain operations, differentiable augmentation, rudi pipeline.
export * from './ops/index.js';
export * from './stain/index.js';
export * from './diff/index.js';
export * from './rudi/index.js';
