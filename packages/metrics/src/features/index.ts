// Public exports of the feature extractors: the FeatureExtractor interface, torchvision VGG16 / ResNet-50 with their
// checkpoint loaders, ImageNet preprocessing and the hash-formula weights for architecture tests.
export {
  extractFeatures, moduleExtractor, inceptionExtractor, vgg16Extractor, resnet50Extractor,
  type FeatureExtractor, type ExtractFeaturesOptions, type ModuleExtractorOptions, type ImagenetExtractorOptions,
} from './feature-extractor.js';
export { FEATURE_EXTRACTORS, loadFeatureExtractor, type LoadFeatureExtractorOptions } from './load-extractor.js';
export { TorchvisionVGG16, type Vgg16Output, type Vgg16Options } from './vgg16.js';
export { TorchvisionResNet50, type ResNet50Output, type ResNet50Options, type ResNet50Stages } from './resnet50.js';
export { TORCHVISION_WEIGHTS, loadTorchvisionVGG16, loadTorchvisionResNet50, loadCheckpointInto } from './load-torchvision.js';
export { IMAGENET_MEAN, IMAGENET_STD, imagenetInput, normalizeImagenet, type ImagenetInputOptions } from './imagenet-input.js';
export { hashFormulaWeights, hashUniform, shapesOf, type StateDictShapes } from './formula-weights.js';
export type { NetworkOptions } from './torchvision-layers.js';
