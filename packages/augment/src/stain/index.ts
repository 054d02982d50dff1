// Public exports of the stain family: HED colour deconvolution and augmentation, Macenko estimation and normalisation.
export { RGB_FROM_HED, HED_FROM_RGB, rgb2hed, hed2rgb, hedAugment, type HedAugmentOptions } from './hed.js';
export { macenkoStainMatrix, macenkoNormalize, type MacenkoOptions, type StainReference } from './macenko.js';
