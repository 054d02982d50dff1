// Programmatic entry of @radix/cli: the dispatcher and command registry, the shared command kit, and the library
// functions behind the commands (runEval, runAugment, the image-folder reader) for scripts that want the CLI's
// numbers without spawning it.
export { runCli, formatOverview, cliVersion } from './dispatch.js';
export { COMMANDS, findCommand } from './registry.js';
export * from './kit/index.js';
export { evalCommand, evalOptionsFromArgs } from './commands/eval.js';
export { augmentCommand, augmentOptionsFromArgs } from './commands/augment.js';
export { trainDiffusionCommand, trainDiffusionOptionsFromArgs } from './commands/train-diffusion.js';
export { runTrainDiffusion, defaultUNetConfig, type TrainDiffusionOptions, type TrainDiffusionResult } from './train-diffusion.js';
export { loadDiffusionData, squareImage, type DiffusionData, type DiffusionDataOptions } from './diffusion-data.js';
export { sampleCommand, sampleOptionsFromArgs } from './commands/sample.js';
export { runSample, planSample, sampleShardStatus, encodeSamplePng, type SampleOptions, type SampleResult, type SampleJob } from './sample.js';
export { mergeSampleShards, type MergeSampleResult } from './sample-merge.js';
export {
  latentSeed, classSeed, planSampleBatches, sampleFile, classFolders, type SampleManifest, type SampleSettings, type SampleEntry, type SampleCheckpoint,
} from './sample-manifest.js';
export { detectCheckpointKind, type CheckpointRef, type DiffusionCheckpointRef, type GanCheckpointRef } from './sample-kind.js';
export { runEval, formatReport, resultToJson, EvalOutputError, METRIC_NAMES, PAIRED_METRICS, SSIM_MODES } from './eval.js';
export type { EvalOptions, EvalResult, MetricResult, MetricName } from './eval.js';
export { runAugment } from './augment.js';
export type { AugmentOptions, AugmentManifest, AugmentResult, ManifestOutput } from './augment.js';
export { readImage, readImageHeader, checkImageFile, readImageFolder, listImageFolder, imagesToTensor, folderWarnings, IMAGE_EXTENSIONS, DEFAULT_MAX_PIXELS, DEFAULT_MAX_FILE_BYTES } from './images.js';
export type { DecodedImage, ImageFolderListing, ImageFolderTensor, ImageReadOptions, ListImageFolderOptions, UnreadableEntry } from './images.js';
export type { ImageHeader } from './image-header.js';
export { matchPairs, reconcilePair, centerCrop, resizeImage, SIZE_POLICIES, type SizePolicy } from './pairs.js';
export * from './workflow/index.js';
