// The functional namespace `F`, mirroring torch.nn.functional's names (camelCased).
export { relu, relu6, leakyRelu, elu, selu, sigmoid, silu, mish, gelu, softplus, hardtanh, hardsigmoid, hardswish, tanh } from './ops/unary.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { batchNorm, groupNorm, layerNorm, instanceNorm } from './ops/normalization.js';
export { pad, pixelShuffle, pixelUnshuffle } from './ops/indexing.js';
export { linear } from './ops/linalg.js';
export { conv2d, convTranspose2d } from './ops/conv.js';
export { avgPool2d, maxPool2d, adaptiveAvgPool2d } from './ops/pool.js';
export { interpolate } from './ops/resize.js';
export { gridSample, affineGrid } from './ops/grid-sample.js';
