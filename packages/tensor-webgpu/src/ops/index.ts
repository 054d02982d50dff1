// Barrel of every op family (one file per family; forward kernels live in kernels/ and backend/).
export * from './creation.js';
export * from './elementwise.js';
export * from './unary.js';
export * from './movement.js';
export * from './reduce.js';
export * from './softmax.js';
export * from './normalization.js';
export * from './indexing.js';
export * from './linalg.js';
export * from './conv.js';
export type { Activation, ActivationName, ActivationSpec } from './fused-activation.js';
export * from './pool.js';
export * from './resize.js';
export * from './grid-sample.js';
