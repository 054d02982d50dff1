// Public exports of the workflows behind `radix experiment`, `radix report` and `radix demo`: the downstream
// classifier, the dataset builders and the patch-set helpers, as plain functions a script can import.
export { ResNet, RESNET_LAYERS, loadTorchvisionWeights, type ResNetDepth, type ResNetOptions, type TorchvisionLoadResult } from './resnet.js';
export { applyClassifierAugment, drawClassifierAugment, type ClassifierAugmentDraw, type ClassifierAugmentOptions } from './classifier-augment.js';
export { confusionMatrix, meanSd, scorePredictions, type ClassificationScores } from './classifier-metrics.js';
export {
  DEFAULT_CLASSIFIER, predictClasses, trainClassifier, type ClassifierHistoryPoint, type ClassifierSettings, type TrainClassifierInput,
  type TrainedClassifier,
} from './classifier-train.js';
export { HED_CLASSES, HED_RULE, hedComposition, hedLabel, type HedComposition } from './hed-label.js';
export { BUNDLED_IHC, buildIhcDataset, type IhcDatasetOptions } from './dataset-ihc.js';
export { buildFolderDataset, type FolderDatasetOptions } from './dataset-folder.js';
export { loadDataset, saveDataset } from './dataset-store.js';
export { classCounts, concatPatches, emptyPatchSet, patchCount, selectPatches, type PatchDataset, type PatchOrigin, type PatchSet } from './patch-set.js';
export { gridToPng, patchToPng } from './png-grid.js';
export { VARIANT_KINDS, parseExperimentConfig, readExperimentConfig, type DataConfig, type ExperimentConfig, type VariantConfig, type VariantKind } from './experiment-config.js';
export { STAGES, configHash, experimentJobs, jobDir, readJobManifest, type JobManifest, type JobSpec, type Stage } from './experiment-jobs.js';
export { loadSynthetic, prepareRun, readRunManifest, runExperiment, runJob, selectJobs, type JobOutcome, type RunManifest, type RunOptions } from './experiment-run.js';
export { generatorAvailability, generatorFor, type GenerateContext, type GeneratedSet, type GeneratorAdapter } from './generators.js';
export { syntheticMetrics, type SyntheticMetrics } from './synthetic-metrics.js';
export { classifierTable, readPredictions, type ClassifierRow, type SavedPredictions } from './report-table.js';
export { formatClassifierRows } from './report-text.js';
export { lineChart, type Series } from './report-svg.js';
export { writeReport } from './report.js';
export { demoConfig, runDemo, type DemoOptions, type DemoResult } from './demo.js';
