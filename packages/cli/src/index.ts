// Programmatic entry of @radix/cli: the `radix eval` pipeline (runEval) and its image-folder reader, for scripts that
// want the CLI's numbers without spawning it.
export { runEval, formatReport, writeFileAtomic, resultToJson, UsageError, METRIC_NAMES, PAIRED_METRICS, SSIM_MODES } from './eval.js';
export type { EvalOptions, EvalResult, MetricResult, MetricName } from './eval.js';
export { readImage, readImageHeader, readImageFolder, listImageFolder, imagesToTensor, folderWarnings, IMAGE_EXTENSIONS, DEFAULT_MAX_PIXELS, DEFAULT_MAX_FILE_BYTES } from './images.js';
export type { DecodedImage, ImageFolderListing, ImageFolderTensor, ImageReadOptions, ListImageFolderOptions, UnreadableEntry } from './images.js';
export type { ImageHeader } from './image-header.js';
export { matchPairs, reconcilePair, centerCrop, resizeImage, SIZE_POLICIES, type SizePolicy } from './pairs.js';
export { createProgress, silentProgress, type Progress, type ProgressStream } from './progress.js';
export { formatTable, formatValue } from './table.js';
