// Options of the diffusion trainer with diffusers' train_unconditional.py defaults (AdamW lr 1e-4, β (0.95, 0.999),
// weight decay 1e-6, ε 1e-8, 500 warm-up steps then cosine decay, clipping at 1.0, EMA warm-up to 0.9999).
import type { Pipeline } from '@radix/augment';
import type { Generator, Tensor } from '@radix/tensor-webgpu';
import type { UNet2DModel } from '../unet/unet-2d.js';

/** EMA settings (diffusers' EMAModel with use_ema_warmup: decay = min(maxDecay, 1 − (1 + step/invGamma)^−power)). */
export interface EmaSettings {
  /** Default 0.9999 (train_unconditional's --ema_max_decay). */
  maxDecay?: number;
  /** Default 1. */
  invGamma?: number;
  /** Default 3/4. */
  power?: number;
}

/**
 * Draws images from a (trained) model for the periodic sample grid and metrics: `n` images in [0, 1]
 * [n, C, H, W], using `generator` for every random draw (the trainer passes a freshly seeded one each time, so every
 * grid starts from the same noise). The CLI passes the package's `sample()` with DDIM, or with an NCSNScheduler on the
 * trained levels (few Langevin steps per level) for NCSN training.
 */
export type GridSampler = (model: UNet2DModel, options: { n: number; generator: Generator; classLabels?: number[] }) => Promise<Tensor>;

/** Metrics computed on the periodic samples (beyond MS-SSIM diversity and nearest-training-image distances). */
export interface EvalSettings {
  /** pytorch-fid's Inception weights (pt_inception-2015-12-05-6726825d.pth): FID and KID are reported when given. */
  inceptionWeights?: string;
  /** Number of images sampled per evaluation (default 16). */
  numSamples?: number;
}

/** Options of {@link DiffusionTrainer}. Everything but the model, scheduler, data and out has a default. */
export interface DiffusionTrainOptions {
  /** Folder for checkpoints/, samples/ and log.jsonl. */
  out: string;
  /** Total optimisation steps of the run (the lr schedule's length). Default 20000. */
  steps?: number;
  /** Default 16. */
  batchSize?: number;
  /** Peak learning rate (default 1e-4). */
  lr?: number;
  /** AdamW betas (default [0.95, 0.999]). */
  betas?: [number, number];
  /** AdamW decoupled weight decay (default 1e-6). */
  weightDecay?: number;
  /** AdamW ε (default 1e-8). */
  adamEps?: number;
  /** Linear warm-up steps from lr 0 (default 500, capped at the run's length). */
  warmupSteps?: number;
  /** 'cosine' (default: diffusers' get_cosine_schedule_with_warmup) or 'constant' (after the warm-up). */
  lrSchedule?: 'cosine' | 'constant';
  /** Clip the gradients' global 2-norm (default 1.0; 0 turns clipping off). */
  gradClip?: number;
  /** Keep an EMA of the weights (default false, as diffusers' --use_ema; true or settings turn it on). */
  ema?: boolean | EmaSettings;
  /** min-SNR-γ loss weighting (Hang et al. 2023; γ = 5 is the paper's choice); default off. DDPM objective only. */
  minSnrGamma?: number;
  /** Flip images left-right at random (default true). */
  randomFlip?: boolean;
  /** With labels: pick a class uniformly, then an image of it (default true). */
  classBalanced?: boolean;
  /** On-the-fly augmentation of every drawn image (e.g. `rudiPreset()` from @radix/augment). */
  augment?: Pipeline;
  /**
   * Classifier-free guidance training: replace a label by the null class (index numClasses; the UNet needs
   * numClassEmbeds = numClasses + 1) with this probability (default 0: no null class).
   */
  labelDropout?: number;
  /** Seed of every random draw (default 1). */
  seed?: number;
  /** Write a checkpoint every this many steps (default 1000) and at the end. */
  checkpointEvery?: number;
  /** Keep the newest this many checkpoints (default 3). */
  keepCheckpoints?: number;
  /** Write a sample grid every this many steps (default 5000; 0 = never). */
  sampleEvery?: number;
  /** Compute the sample metrics (diversity, nearest training image, FID/KID) every this many steps (default 5000; 0 = never). */
  evalEvery?: number;
  /** How the periodic samples are drawn; without one, no grids or sample metrics are produced. */
  sampler?: GridSampler;
  eval?: EvalSettings;
  /** Append a log line every this many steps (default 1: every step). */
  logEvery?: number;
  /** Continue from the newest intact checkpoint in out/checkpoints (default false). */
  resume?: boolean;
  /** Called after every step (progress displays). */
  onStep?: (info: StepInfo) => void;
  /** Called with human-readable notices (fallbacks, skipped checkpoints, metrics that cannot be computed). */
  onNotice?: (message: string) => void;
}

/** What one step reports. */
export interface StepInfo {
  step: number;
  totalSteps: number;
  loss: number;
  lr: number;
  emaDecay: number | null;
  gradNorm: number | null;
}

/** Fully resolved options. */
export type ResolvedTrainOptions = Required<Omit<DiffusionTrainOptions, 'augment' | 'sampler' | 'onStep' | 'onNotice' | 'minSnrGamma' | 'ema' | 'eval'>> & {
  augment?: Pipeline;
  sampler?: GridSampler;
  onStep?: (info: StepInfo) => void;
  onNotice: (message: string) => void;
  minSnrGamma: number | null;
  ema: Required<EmaSettings> | null;
  eval: Required<Omit<EvalSettings, 'inceptionWeights'>> & { inceptionWeights: string | null };
};

function posInt(name: string, v: number, min = 1): number {
  if (!Number.isInteger(v) || v < min) throw new Error(`diffusion training: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * Fills in the defaults and validates every option, naming the bad one.
 *
 * @example
 * const o = resolveTrainOptions({ out: 'run', steps: 100 });
 * o.lr; // 1e-4
 */
export function resolveTrainOptions(o: DiffusionTrainOptions): ResolvedTrainOptions {
  if (typeof o.out !== 'string' || o.out === '') throw new Error('diffusion training: out (the output folder) is required');
  const emaIn = o.ema ?? false;
  const ema = emaIn === false ? null : { maxDecay: 0.9999, invGamma: 1, power: 3 / 4, ...(emaIn === true ? {} : emaIn) };
  const r: ResolvedTrainOptions = {
    out: o.out,
    steps: posInt('steps', o.steps ?? 20000),
    batchSize: posInt('batchSize', o.batchSize ?? 16),
    lr: o.lr ?? 1e-4,
    betas: o.betas ?? [0.95, 0.999],
    weightDecay: o.weightDecay ?? 1e-6,
    adamEps: o.adamEps ?? 1e-8,
    warmupSteps: posInt('warmupSteps', o.warmupSteps ?? 500, 0),
    lrSchedule: o.lrSchedule ?? 'cosine',
    gradClip: o.gradClip ?? 1,
    ema,
    minSnrGamma: o.minSnrGamma ?? null,
    randomFlip: o.randomFlip ?? true,
    classBalanced: o.classBalanced ?? true,
    augment: o.augment,
    labelDropout: o.labelDropout ?? 0,
    seed: o.seed ?? 1,
    checkpointEvery: posInt('checkpointEvery', o.checkpointEvery ?? 1000),
    keepCheckpoints: posInt('keepCheckpoints', o.keepCheckpoints ?? 3),
    sampleEvery: posInt('sampleEvery', o.sampleEvery ?? 5000, 0),
    evalEvery: posInt('evalEvery', o.evalEvery ?? 5000, 0),
    sampler: o.sampler,
    eval: { numSamples: posInt('eval.numSamples', o.eval?.numSamples ?? 16, 2), inceptionWeights: o.eval?.inceptionWeights ?? null },
    logEvery: posInt('logEvery', o.logEvery ?? 1),
    resume: o.resume ?? false,
    onStep: o.onStep,
    onNotice: o.onNotice ?? (() => {}),
  };
  if (!(r.lr > 0) || !Number.isFinite(r.lr)) throw new Error(`diffusion training: lr must be a positive number, got ${r.lr}`);
  if (!(r.gradClip >= 0)) throw new Error(`diffusion training: gradClip must be ≥ 0, got ${r.gradClip}`);
  if (!(r.labelDropout >= 0 && r.labelDropout < 1)) throw new Error(`diffusion training: labelDropout must be in [0, 1), got ${r.labelDropout}`);
  if (r.lrSchedule !== 'cosine' && r.lrSchedule !== 'constant') throw new Error(`diffusion training: lrSchedule must be cosine or constant, got '${String(r.lrSchedule)}'`);
  if (!Number.isSafeInteger(r.seed) || r.seed < 0) throw new Error(`diffusion training: seed must be a non-negative safe integer, got ${r.seed}`);
  if (r.minSnrGamma !== null && !(r.minSnrGamma > 0)) throw new Error(`diffusion training: minSnrGamma must be positive, got ${r.minSnrGamma}`);
  if (r.ema && !(r.ema.maxDecay >= 0 && r.ema.maxDecay <= 1)) throw new Error(`diffusion training: ema.maxDecay must be in [0, 1], got ${r.ema.maxDecay}`);
  return r;
}

/**
 * The lr multiplier at step `step` (0-based): linear warm-up from 0 over `warmup` steps, then diffusers'
 * `get_cosine_schedule_with_warmup` (half a cosine to 0 at `total`) or constant 1.
 *
 * @example
 * lrFactor(250, 500, 20000, 'cosine'); // 0.5
 */
export function lrFactor(step: number, warmup: number, total: number, schedule: 'cosine' | 'constant'): number {
  if (step < warmup) return step / Math.max(1, warmup);
  if (schedule === 'constant') return 1;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
}
