// Public barrel of @radix/diffusion: schedulers, the UNet, training and sampling.
/** The package's version, as published. */
export const VERSION = '0.1.0';

// UNet and training
export {
  type UNet2DConfig, type DownBlockType, type UpBlockType, type ActivationName, DEFAULT_UNET2D_CONFIG, DOWN_BLOCK_TYPES, UP_BLOCK_TYPES,
  ACTIVATIONS, resolveUNet2DConfig, toDiffusersConfig,
} from './unet/config.js';
export { UNet2DModel, type UNetCallOptions } from './unet/unet-2d.js';
export { timestepEmbedding, TimestepEmbedding } from './unet/embeddings.js';
export { ResnetBlock2D, Downsample2D, Upsample2D, activation, type ResnetBlock2DOptions, type UNetLayerOptions, type DropoutSource } from './unet/resnet-block.js';
export { SpatialAttention, type SpatialAttentionOptions } from './unet/attention-block.js';
export { DownBlock2D, UpBlock2D, UNetMidBlock2D, type BlockOptions, type DownOutput } from './unet/blocks.js';
export {
  loadUNet2DPretrained, saveUNet2DPretrained, renameDeprecatedAttentionKeys, UNET_CONFIG_NAME, UNET_WEIGHTS_NAME, UNET_BIN_NAME,
} from './unet/pretrained.js';
export { type TrainingNoiseScheduler, predictionTarget, minSnrWeights } from './train/noise-schedule.js';
export { type DiffusionDataset, type BatchOptions, type DrawnBatch, validateDataset, drawBatch, streamRandom } from './train/dataset.js';
export {
  type DiffusionTrainOptions, type EmaSettings, type GridSampler, type EvalSettings, type StepInfo, type ResolvedTrainOptions,
  resolveTrainOptions, lrFactor,
} from './train/train-options.js';
export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, MANIFEST_NAME, type CheckpointEntry, type CheckpointManifest, type CheckpointContents,
  type LatestCheckpoint, checkpointName, listCheckpoints, writeCheckpoint, verifyCheckpoint, findLatestCheckpoint, readCheckpointJson,
  readCheckpointTensors, pruneCheckpoints,
} from './train/checkpoint.js';
export { type SampleMetrics, type InceptionCache, writeImageGrid, msSsimScalesFor, pairwiseMsSsim, prepareInception, sampleMetrics } from './train/evaluate.js';
export { DiffusionTrainer, trainDiffusion, STREAMS_PER_STEP, type TrainerState, type TrainResult, type LogRecord, type TrainingObjective, type TrainingStepInputs } from './train/trainer.js';

// schedulers and sampling
export { DDPMScheduler, DDPM_DEFAULTS, type DDPMSchedulerConfig } from './schedulers/ddpm.js';
export { DDIMScheduler, DDIM_DEFAULTS, type DDIMSchedulerConfig } from './schedulers/ddim.js';
export {
  DiscreteScheduler, type StepOptions, type StepOutput, type TimestepsLike, type Prediction,
} from './schedulers/discrete-scheduler.js';
export {
  DISCRETE_DEFAULTS, PREDICTION_TYPES, VARIANCE_TYPES, readSchedulerConfig, toDiffusersJson,
  type DiscreteSchedulerConfig, type PredictionType, type VarianceType, type PrevTimestepRule, type ParsedConfig,
} from './schedulers/scheduler-config.js';
export { BETA_SCHEDULES, makeBetas, rescaleZeroTerminalSnr, cumprodAlphas, linspaceF32, type BetaSchedule } from './schedulers/beta-schedule.js';
export { TIMESTEP_SPACINGS, spacedTimesteps, checkCustomTimesteps, roundHalfEven, type TimestepSpacing } from './schedulers/timesteps.js';
export { dynamicThreshold, rowQuantile } from './schedulers/thresholding.js';
export {
  NCSNScheduler, NCSN_DEFAULTS, ncsnSigmas, suggestSigmaMax, type NCSNSchedulerConfig, type NCSNStepOptions, type NCSNStepRule,
} from './schedulers/ncsn.js';
export { ncsnDsmLoss, type DsmLossOptions, type ScoreNetwork } from './train/dsm-loss.js';
export { ncsnSchedulerForData, type NCSNTrainingConfig } from './train/ncsn-training.js';
export {
  sample, sampleBatches, imageSeed, gridSampler, type GridSamplerOptions, type SampleOptions, type SampleBatch, type SampleModel, type SampleScheduler, type DenoiserFunction,
} from './sample/sample.js';
export { ncsnFromDiffusion, veSigmas, type NCSNFromDiffusion, type NCSNFromDiffusionOptions } from './sample/diffusion-as-score.js';
export { writeSamplePngs, type WriteSamplePngsOptions } from './sample/png.js';
// end schedulers and sampling
