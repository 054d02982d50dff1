// Public barrel of @radix/diffusion: schedulers, the UNet, training and sampling.
/** The package's version, as published. */
export const VERSION = '0.1.0';

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
// end schedulers and sampling
