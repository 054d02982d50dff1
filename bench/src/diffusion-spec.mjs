// What bench/diffusion.mjs measures, shared by our side (diffusion-ours.mjs) and the PyTorch side (diffusion-torch.py,
// which receives this object as JSON): one small diffusers-style UNet2DModel configuration, trained as a DDPM
// (ε-prediction, MSE, AdamW) and sampled with DDIM, at 32² and 64².

/** diffusers UNet2DModel config (camelCase, as @radix/diffusion takes it): 3 levels, attention at the lowest one and in the mid block. */
export const unetConfig = {
  blockOutChannels: [32, 64, 64],
  layersPerBlock: 1,
  normNumGroups: 8,
  attentionHeadDim: 8,
  downBlockTypes: ['DownBlock2D', 'DownBlock2D', 'AttnDownBlock2D'],
  upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D', 'UpBlock2D'],
};

export const spec = {
  unet: unetConfig,
  /** Image sizes and batch sizes (64² uses a smaller batch to keep the run under ~5 minutes here). */
  cases: [
    { size: 32, batch: 8 },
    { size: 64, batch: 2 },
  ],
  /** DDPM noise schedule of the training step (diffusers' DDPMScheduler defaults). */
  numTrainTimesteps: 1000,
  betaStart: 1e-4,
  betaEnd: 0.02,
  /** AdamW of the step (diffusers' train_unconditional defaults). */
  lr: 1e-4,
  betas: [0.95, 0.999],
  weightDecay: 1e-6,
  adamEps: 1e-8,
  /** DDIM sampling: inference steps, η = 0, 'leading' spacing, clip_sample true (diffusers' DDIMScheduler defaults). */
  ddimSteps: 10,
};

/** The timesteps of the training step's batch (fixed, so both sides do identical work). */
export function trainTimesteps(batch) {
  return Array.from({ length: batch }, (_, i) => (37 + i * 123) % 1000);
}
