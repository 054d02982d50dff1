// Options of GAN training with StyleGAN2-ADA's defaults (Adam β = (0, 0.99), lr 0.0025, lazy R1 every 16 with
// γ = 0.0002·res²/batch, path length every 4, G EMA 10 kimg with ramp-up 0.05, ADA target 0.6 every 4 minibatches).
import type { Tensor } from '@radix/tensor-webgpu';
import type { AdversarialLoss } from '../losses/adversarial.js';
import type { Augmenter } from '../augment/augmenter.js';

/** ADA's controller settings (used when the augmenter is an {@link AdaPipe}). */
export interface AdaTrainOptions {
  target?: number;
  interval?: number;
  /** Default 500, or 100 when starting from a pretrained checkpoint (StyleGAN2-ADA's resume setting). */
  kimg?: number;
}

/** D2D-CE conditioning settings (StudioGAN's ReACGAN defaults). */
export interface D2DCETrainOptions {
  /** Weight of the conditional term (default 0.25, StudioGAN's cond_lambda for StyleGAN2 + D2D-CE). */
  lambda?: number;
  margin?: number;
  temperature?: number;
}

/** What {@link trainGan} reports after every minibatch. */
export interface GanStepInfo {
  step: number;
  totalSteps: number;
  kimg: number;
  losses: Record<string, number>;
  p: number | null;
  kimgPerSec: number;
}

/** Options of {@link trainGan}. */
export interface GanTrainOptions {
  /** Output folder: checkpoint.safetensors, log.jsonl, grids/, written atomically. */
  outDir: string;
  /** Training images [N, C, R, R] in [0, 1]. */
  images: Tensor;
  /** Class index per image (required when the networks are conditional). */
  labels?: readonly number[];
  /** Class names by index (saved in the checkpoint and used for grid captions). */
  classNames?: readonly string[];
  /** Minibatch size (default 32). */
  batch?: number;
  /** Training length in thousands of real images shown (default 25). Ignored when `steps` is given. */
  kimg?: number;
  /** Training length in minibatches (overrides `kimg`). */
  steps?: number;
  /** Seed of every random choice (default 0); each minibatch's randomness is a function of (seed, step). */
  seed?: number;
  lr?: number;
  betas?: [number, number];
  /** R1 weight (default 0.0002·res²/batch); 0 disables R1. */
  gamma?: number;
  /** Minibatches between R1 evaluations (default 16; the term is multiplied by it). */
  r1Interval?: number;
  /** Path-length regularisation weight (default 0 = off; StyleGAN2 uses 2). */
  plWeight?: number;
  plInterval?: number;
  plDecay?: number;
  /** Style-mixing probability (default 0.9). */
  styleMixing?: number;
  loss?: AdversarialLoss;
  /** kimg of the G EMA half-life (default 10). */
  emaKimg?: number;
  /** EMA ramp-up (default 0.05; null disables, as when starting from a pretrained checkpoint). */
  emaRampup?: number | null;
  /** Augmentation seen by D (AdaPipe, DiffAugmentPipe, or none). */
  augment?: Augmenter | null;
  ada?: AdaTrainOptions;
  /** D2D-CE conditioning (needs a head and a D with forwardWithFeatures); projection D when absent. */
  d2dce?: D2DCETrainOptions;
  /** Class-balanced sampling of real images and generated labels (default false). */
  balanced?: boolean;
  /** Minibatches between checkpoints (or `snapshotKimg`; default: every 4 kimg and at the end). */
  snapshotSteps?: number;
  snapshotKimg?: number;
  /** Minibatches between per-class sample grids (or `gridKimg`; default like snapshots). 0 disables. */
  gridSteps?: number;
  gridKimg?: number;
  /** Samples per class in each grid (default 8). */
  gridPerClass?: number;
  /** Minibatches between metric evaluations (or `metricsKimg`); needs `metrics`. */
  metricsSteps?: number;
  metricsKimg?: number;
  /** Computes metrics from the EMA generator (e.g. FID/KID/PR/DC); the values go to the log. */
  metrics?: (gEma: import('./contract.js').GeneratorLike, step: number) => Promise<Record<string, number>>;
  /** Continue the run saved in outDir/checkpoint.safetensors exactly. */
  resume?: boolean;
  /** The networks came from a pretrained checkpoint (ADA kimg 100, no EMA ramp-up unless given). */
  pretrained?: boolean;
  /** Opaque description of how to rebuild the networks (kwargs), saved in the checkpoint for sampling. */
  networkConfig?: Record<string, unknown>;
  /** Frozen blocks (see freezeG / freezeD). */
  freezeG?: number;
  freezeD?: number;
  /** Called after every minibatch (progress bars; tests use it to inject faults). */
  onStep?: (info: GanStepInfo) => void | Promise<void>;
  /** Notes for the user (e.g. re-initialised label embeddings), written to the log and returned. */
  notes?: readonly string[];
  /** Receives the notes the trainer adds (frozen blocks) when it starts. */
  onNote?: (note: string) => void;
}
