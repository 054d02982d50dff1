// Public barrel of @radix/gan: StyleGAN2 networks, losses, augmentation, freezing and training.
/** The package's version, as published. */
export const VERSION = '0.1.0';

// losses, augmentation and training
export * from './losses/index.js';
export * from './augment/index.js';
export { freezeG, freezeD, type FreezeResult } from './freeze.js';
export { MinibatchSampler, type MinibatchSamplerOptions } from './train/balanced-sampler.js';
export { seededRandom, derivedSeed } from './train/seeded-random.js';
export type { GeneratorLike, DiscriminatorLike, FeatureDiscriminatorLike } from './train/contract.js';
export type { GanTrainOptions, GanStepInfo, AdaTrainOptions, D2DCETrainOptions } from './train/options.js';
export type { D2DCEHeadLike } from './train/phases.js';
export { trainGan, writeGrid, GAN_OUT, type GanNetworks, type GanTrainResult } from './train/trainer.js';
export { saveGanCheckpoint, loadGanCheckpoint, GAN_CHECKPOINT_KEY, type GanCheckpointMeta, type GanCheckpointParts, type LoadedGanCheckpoint } from './train/checkpoint.js';
export { loadPretrained, loadPretrainedInto, readPretrained, loadMatching, type PretrainedTargets, type PretrainedSource } from './train/pretrained.js';
export { emaBeta, updateGEma } from './train/g-ema.js';
export { generateImages, oneHot, tileImages, encodePng, type RgbImage, type GenerateOptions } from './train/sample-grid.js';
export { ganMetrics, type GanMetricsOptions, type GanMetricName } from './train/metrics.js';
export { sampleGanCheckpoint, type SampleGanOptions, type SampleGanResult } from './sample.js';
// end losses, augmentation and training

// networks and checkpoints
export { StyleGAN2Generator, type StyleGAN2GeneratorConfig, type GeneratorCallOptions } from './networks/generator.js';
export { StyleGAN2Discriminator, type StyleGAN2DiscriminatorConfig } from './networks/discriminator.js';
export { MappingNetwork, normalize2ndMoment, type MappingNetworkOptions, type MappingCallOptions } from './networks/mapping.js';
export { SynthesisNetwork, SynthesisBlock, type SynthesisNetworkOptions, type SynthesisBlockOptions, type SynthesisCallOptions, type Architecture } from './networks/synthesis.js';
export { SynthesisLayer, ToRGBLayer, type NoiseMode, type SynthesisLayerOptions, type SynthesisLayerCallOptions, type ToRGBLayerOptions } from './networks/synthesis-layer.js';
export { DiscriminatorBlock, DiscriminatorEpilogue, MinibatchStdLayer, type DiscriminatorBlockOptions, type DiscriminatorEpilogueOptions } from './networks/discriminator-block.js';
export { FullyConnectedLayer, type FullyConnectedOptions } from './networks/fully-connected.js';
export { Conv2dLayer, type Conv2dLayerOptions } from './networks/conv2d-layer.js';
export { modulatedConv2d, type ModulatedConv2dOptions } from './networks/modulated-conv2d.js';
export { conv2dResample, conv2dResampleWith, type ConvEpilogue, type Conv2dResampleOptions } from './networks/conv2d-resample.js';
export { upfirdn2d, upsample2d, downsample2d, setupFilter, type FirPadding, type Upfirdn2dOptions, type SetupFilterOptions } from './networks/upfirdn2d.js';
export { biasAct, activationAlpha, activationGain, fusedBiasActivation, type Activation, type BiasActOptions } from './networks/bias-act.js';
export type { NetworkInitOptions } from './networks/init.js';
export { loadStyleGAN2Pkl, type LoadStyleGAN2PklOptions, type StyleGAN2Snapshot } from './io/load-stylegan2-pkl.js';
export { readStyleGAN2Snapshot, type SnapshotModule, type SnapshotContents, type SnapshotReadOptions } from './io/snapshot-pickle.js';
export { generatorConfigFromKwargs, discriminatorConfigFromKwargs, camelCase } from './io/init-kwargs.js';
// end networks and checkpoints
