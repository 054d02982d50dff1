// torch.nn for Radix: Module and Parameter, layers, containers, attention, dropout, losses and initialisers.
export { Module, type AnyModule, type LoadStateDictOptions, type LoadStateDictResult } from './module.js';
export { Parameter, type LayerOptions } from './parameter.js';
export * as init from './init.js';
export { Linear, Identity, Flatten, type LinearOptions } from './linear.js';
export { Conv2d, ConvTranspose2d, type ConvPaddingMode, type Conv2dModuleOptions, type ConvTranspose2dModuleOptions } from './conv.js';
export { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm, type BatchNormOptions, type GroupNormOptions, type LayerNormOptions } from './norm.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Dropout, dropout, type DropoutOptions } from './dropout.js';
export { ReLU, LeakyReLU, SiLU, GELU, Sigmoid, Tanh, Softplus, ELU, Softmax, LogSoftmax } from './activation.js';
export {
  scaledDotProductAttention, MultiheadAttention, type SdpaOptions, type MultiheadAttentionOptions, type MultiheadAttentionForwardOptions,
} from './attention.js';
export { Sequential, ModuleList, ModuleDict, type TensorModule } from './containers.js';
export {
  mseLoss, l1Loss, smoothL1Loss, huberLoss, nllLoss, crossEntropy, binaryCrossEntropyWithLogits, binaryCrossEntropy,
  type Reduction, type LossOptions, type NllLossOptions, type CrossEntropyOptions, type BceWithLogitsOptions,
} from './loss.js';
