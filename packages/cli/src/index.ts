// Programmatic entry of @radix/cli: the `radix eval` pipeline (runEval) and its image-folder reader, for scripts that
// want the CLI's numbers without spawning it.
export { runEval, formatReport, writeFileAtomic, resultToJson, UsageError, METRIC_NAMES, PAIRED_METRICS, SSIM_MODES } from './eval.js';
export type { EvalOptions, EvalResult, MetricResult, MetricName } from './eval.js';
export { readImage, readImageFolder, listImageFolder, imagesToTensor, folderWarnings, IMAGE_EXTENSIONS } from './images.js';
export type { DecodedImage, ImageFolderListing, ImageFolderTensor, ListImageFolderOptions } from './images.js';
export { matchPairs, reconcilePair, centerCrop, resizeImage, SIZE_POLICIES, type SizePolicy } from './pairs.js';
export { createProgress, silentProgress, type Progress, type ProgressStream } from './progress.js';
export { formatTable, formatValue } from './table.js';
