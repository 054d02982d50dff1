// Public exports of the FID Inception-v3 family: the network, its weights and the resize conventions.
export { FID_INCEPTION_CONVS, FID_INCEPTION_CLASSES, fidInceptionParameterShapes, type ConvSpec } from './architecture.js';
export {
  FID_INCEPTION_FILE, FID_INCEPTION_URL, checkpointKeyToParameter, findFidInceptionWeights, formulaWeights,
  loadFidInceptionWeights, validateFidInceptionWeights, type FidInceptionWeights, type LoadFidInceptionOptions,
} from './weights.js';
export { FidInceptionV3, type FidInceptionOutputs } from './network.js';
export { INCEPTION_RESIZES, pilBicubicResize, resizeImages, tf1BilinearResize, type InceptionResize } from './resize.js';
export { inceptionBatchLimit, inceptionFeatures, inceptionInput, type InceptionFeatures, type InceptionFeaturesOptions } from './features.js';
