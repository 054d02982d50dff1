// Public exports of the distribution metrics: feature statistics, FID, KID, IS, precision/recall, density/coverage, accuracy,
// and their small-sample statistics (bootstrap intervals, FID∞, sample-size warnings).
export { type FeatureMatrix, type Features } from './matrix.js';
export { featureStats, mergeFeatureStats, featureStatsToJSON, featureStatsFromJSON, type FeatureStats, type FeatureStatsJSON } from './stats.js';
export { frechetDistance, type FrechetOptions } from './frechet.js';
export { kid, kidSubsetIndices, type KidOptions } from './kid.js';
export { inceptionScore, type InceptionScoreOptions } from './inception-score.js';
export { precisionRecall, densityCoverage, type NearestNeighbourOptions } from './prdc.js';
export { accuracy, balancedAccuracy } from './classification.js';
export { RandomState } from './mt19937.js';
export { symmetricEigenvalues, pivotedCholesky, traceSqrtProduct } from './linalg64.js';
export { fidBootstrap, kidBootstrap, inceptionScoreBootstrap, bootstrapInterval, type BootstrapOptions, type BootstrapResult, type ConfidenceInterval, type KidBootstrapOptions, type InceptionScoreBootstrapOptions } from './bootstrap.js';
export { prdcBootstrap, type PrdcBootstrapOptions, type PrdcBootstrapResult } from './bootstrap-prdc.js';
export { fidInfinity, sampleSizeWarnings, type FidInfinityOptions, type FidInfinityResult } from './fid-infinity.js';
export { ResampleEngine, type GramCompute, type ResampleEngineOptions } from './resample-engine.js';
export { validateCovariance } from './frechet.js';
