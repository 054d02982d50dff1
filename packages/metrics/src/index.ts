// Public entry point of @radix/metrics: full-reference metrics, the FID Inception network, and distribution metrics.
export * from './full-reference/index.js';
export * from './inception/index.js';
export * from './distribution/index.js';
