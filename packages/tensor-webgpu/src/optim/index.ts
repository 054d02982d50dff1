// torch.optim for Radix: optimizers (SGD, Adam, AdamW), gradient clipping, lr schedulers and parameter EMA.
export { Optimizer, type OptimizerState, type OptimizerStateDict, type ParamGroup, type ParamGroupInput } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions, type FusedOption } from './adam.js';
export { AdamW } from './adamw.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export { LRScheduler, LambdaLR, StepLR, LinearLR, CosineAnnealingLR, type LRSchedulerState } from './lr-scheduler.js';
export { EMA, type EMAOptions } from './ema.js';
