// Public entry point of @radix/metrics: full-reference metrics, the FID Inception network, feature extractors,
// distribution metrics with their small-sample statistics, and the memorisation check.
export * from './full-reference/index.js';
export * from './inception/index.js';
export * from './features/index.js';
export * from './distribution/index.js';
export * from './memorisation/index.js';
