// Diffusion checkpoints for `radix sample`: what a checkpoint holds (classes, null class, noise schedule) read from
// its JSON files, and a batch sampler on @radix/diffusion's sampleBatches (DDPM, DDIM, or NCSN's annealed Langevin
// dynamics with the model as score network; optional classifier-free guidance) in which every image draws its initial noise and each step's noise from its own stream (seed, class,
// index), so an image depends neither on the batch size nor on the shard.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Backend } from '@radix/tensor-webgpu';
import type { DDIMScheduler, DDPMScheduler, DenoiserFunction, NCSNFromDiffusionOptions, NCSNScheduler, UNet2DModel } from '@radix/diffusion';
import { UsageError } from './kit/errors.js';
import { packageVersion } from './package-versions.js';
import { classSeed, digestFiles, type SampleCheckpoint } from './sample-manifest.js';
import type { DiffusionCheckpointRef } from './sample-kind.js';

/** The diffusion samplers `radix sample` runs. */
export const DIFFUSION_SCHEDULERS = ['ddim', 'ddpm', 'ncsn'] as const;
/** A sampler name. */
export type DiffusionSchedulerName = (typeof DIFFUSION_SCHEDULERS)[number];

/** Flags of the diffusion sampler. */
export interface DiffusionSampleFlags {
  /** 'ddim' (default), 'ddpm', or 'ncsn' (annealed Langevin dynamics with the model as score network). */
  scheduler?: DiffusionSchedulerName;
  /** Inference steps (default 50 for DDIM, every training timestep for DDPM); for NCSN the number of noise levels (default 100). */
  steps?: number;
  /** NCSN: Langevin steps per noise level (default 5). */
  langevinSteps?: number;
  /** NCSN: the step-size constant ε, α_i = ε·σ_i²/σ_L² (default 2e-4). */
  langevinEpsilon?: number;
  /** DDIM's η (default 0). */
  eta?: number;
  /** Classifier-free guidance scale (default none; needs a model trained with --label-dropout). */
  guidance?: number;
  /** Use the raw weights (unet/) instead of the EMA (ema/). */
  raw?: boolean;
}

/** What a diffusion checkpoint holds, read from its JSON files. */
export interface DiffusionDescription {
  ref: DiffusionCheckpointRef;
  /** The UNet folder sampled. */
  unetDir: string;
  weights: 'ema' | 'raw';
  /** Class names in label order, or null (unconditional). */
  classNames: string[] | null;
  /** The label of the null class of classifier-free guidance, or null. */
  nullClass: number | null;
  /** The noise schedule (diffusers' scheduler_config.json, or DDPM defaults when the checkpoint has none). */
  schedulerConfig: Record<string, unknown>;
  /** Notes for the user (defaults assumed). */
  notes: string[];
  sampler: {
    scheduler: DiffusionSchedulerName; steps: number; eta: number | null; guidance: number | null;
    /** An NCSN checkpoint (radix train diffusion --objective ncsn): its own NCSNScheduler config, with the Langevin overrides applied. */
    ncsn?: Record<string, unknown>;
    /** NCSN on a DDPM model only: the Langevin chain on the model's own noise levels. */
    langevin?: { stepsPerScale: number; epsilon: number; stepRule: 'paper'; levelSpacing: 'geometric-sigma'; finalDenoise: true; initialNoise: 'gaussian' };
  };
  checkpoint: SampleCheckpoint;
  /** [channels, height, width] of a sample. */
  shape: [number, number, number];
}

/** ncsnFromDiffusion's options for L levels and the recorded Langevin settings. */
function ncsnOptions(levels: number, l: NonNullable<DiffusionDescription['sampler']['langevin']>): NCSNFromDiffusionOptions {
  return { numScales: levels, levelSpacing: l.levelSpacing, stepsPerScale: l.stepsPerScale, epsilon: l.epsilon, stepRule: l.stepRule, finalDenoise: l.finalDenoise, initialNoise: l.initialNoise };
}

function readJson(path: string): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`radix sample: cannot read '${path}': ${(e as Error).message}`);
  }
}

/**
 * Reads what a diffusion checkpoint holds and checks the flags against it (guidance needs a null class, --class
 * needs a class-conditional model); records the files that decide the images and their digest.
 *
 * @example
 * const d = await describeDiffusion(ref, { scheduler: 'ddim', steps: 50 });
 * d.classNames; // ['benign', 'malignant']
 */
export async function describeDiffusion(ref: DiffusionCheckpointRef, flags: DiffusionSampleFlags): Promise<DiffusionDescription> {
  const { resolveUNet2DConfig, UNET_CONFIG_NAME, UNET_WEIGHTS_NAME, UNET_BIN_NAME, DDPMScheduler, NCSNScheduler, ncsnFromDiffusion } = await import('@radix/diffusion');
  const notes: string[] = [];
  const rawDir = ref.source === 'run' || ref.source === 'checkpoint' ? join(ref.dir, 'unet') : ref.unetDir;
  const unetDir = flags.raw ? rawDir : ref.unetDir;
  const weights = unetDir === ref.emaDir ? 'ema' : 'raw';
  const cfgPath = join(unetDir, UNET_CONFIG_NAME);
  if (!existsSync(cfgPath)) throw new Error(`radix sample: '${cfgPath}' does not exist (a diffusers UNet folder holds ${UNET_CONFIG_NAME} and ${UNET_WEIGHTS_NAME})`);
  let cfg;
  try {
    cfg = resolveUNet2DConfig(readJson(cfgPath));
  } catch (e) {
    throw new Error(`radix sample: '${cfgPath}': ${(e as Error).message}`);
  }
  const weightsFile = [UNET_WEIGHTS_NAME, UNET_BIN_NAME].map((n) => join(unetDir, n)).find((p) => existsSync(p));
  if (!weightsFile) throw new Error(`radix sample: '${unetDir}' holds neither ${UNET_WEIGHTS_NAME} nor ${UNET_BIN_NAME}`);
  const files = [cfgPath, weightsFile];
  // The noise schedule: the checkpoint's scheduler/, or next to a bare model folder; else diffusers' DDPM defaults.
  const schedPath = [join(ref.dir, 'scheduler', 'scheduler_config.json'), join(dirname(ref.dir), 'scheduler', 'scheduler_config.json'), join(ref.dir, 'scheduler_config.json')]
    .find((p) => existsSync(p));
  let schedulerConfig: Record<string, unknown>;
  if (schedPath) {
    schedulerConfig = readJson(schedPath);
    files.push(schedPath);
  } else {
    schedulerConfig = {};
    notes.push(`'${ref.dir}' has no scheduler_config.json; assuming diffusers' DDPM defaults (1000 timesteps, linear betas 0.0001–0.02, epsilon prediction)`);
  }
  // A score network trained with --objective ncsn carries its own NCSNScheduler: it samples natively, with NCSN only.
  const native = schedulerConfig._class_name === 'NCSNScheduler';
  let train: DDPMScheduler | null = null;
  let ncsnConfig: Record<string, unknown> | undefined;
  if (native) {
    if (flags.scheduler !== undefined && flags.scheduler !== 'ncsn') {
      throw new UsageError(`radix sample: '${ref.dir}' is an NCSN score network (trained with --objective ncsn; ${schedPath} is an NCSNScheduler), not a DDPM denoiser; it samples only with --scheduler ncsn (annealed Langevin dynamics on its trained noise levels), not ${flags.scheduler}`);
    }
    let trained: InstanceType<typeof NCSNScheduler>;
    try {
      trained = NCSNScheduler.fromConfig(schedulerConfig, schedPath);
    } catch (e) {
      throw new Error(`radix sample: ${(e as Error).message}`);
    }
    if (flags.steps !== undefined) {
      throw new UsageError(`radix sample: --steps does not apply to an NCSN checkpoint: its ${trained.config.numScales} noise levels are fixed by training (set the Langevin steps per level with --langevin-steps)`);
    }
    if (flags.langevinSteps !== undefined && !(Number.isInteger(flags.langevinSteps) && flags.langevinSteps >= 1)) throw new UsageError(`radix sample: --langevin-steps must be a positive integer, got ${flags.langevinSteps}`);
    if (flags.langevinEpsilon !== undefined && !(flags.langevinEpsilon > 0 && Number.isFinite(flags.langevinEpsilon))) throw new UsageError(`radix sample: --langevin-epsilon must be > 0, got ${flags.langevinEpsilon}`);
    const chain = new NCSNScheduler({
      ...trained.config, ...(flags.langevinSteps !== undefined ? { stepsPerScale: flags.langevinSteps } : {}), ...(flags.langevinEpsilon !== undefined ? { epsilon: flags.langevinEpsilon } : {}),
    });
    ncsnConfig = chain.toConfig();
  } else {
    try {
      train = DDPMScheduler.fromConfig(schedulerConfig, schedPath ?? 'the default noise schedule');
    } catch (e) {
      throw new Error(`radix sample: ${(e as Error).message}`);
    }
  }
  let classNames: string[] | null = null;
  let nullClass: number | null = null;
  const embeds = cfg.numClassEmbeds ?? 0;
  const statePath = join(ref.dir, 'trainer_state.json');
  if (existsSync(statePath) && (ref.source === 'run' || ref.source === 'checkpoint')) {
    files.push(statePath);
    const classes = readJson(statePath).classes as { names?: string[]; nullClass?: number | null } | undefined;
    if (classes?.names && classes.names.length > 0) {
      classNames = classes.names;
      nullClass = classes.nullClass ?? null;
    }
  }
  if (embeds > 0 && classNames === null) {
    classNames = Array.from({ length: embeds }, (_, i) => `class${i}`);
    notes.push(`'${cfgPath}' has ${embeds} class embeddings but no class names (no radix trainer_state.json): sampling them as class0 … class${embeds - 1}; a null class of classifier-free guidance, if the model has one, is not known`);
  }
  if (embeds === 0 && cfg.classEmbedType) throw new Error(`radix sample: '${cfgPath}' has class_embed_type '${cfg.classEmbedType}' without num_class_embeds; radix sample cannot tell its classes`);
  if (classNames && classNames.length + (nullClass !== null ? 1 : 0) > embeds) throw new Error(`radix sample: '${statePath}' names ${classNames.length} classes${nullClass !== null ? ' and a null class' : ''} but the UNet has ${embeds} class embeddings`);
  const scheduler = flags.scheduler ?? (native ? 'ncsn' : 'ddim');
  const T = train ? train.config.numTrainTimesteps : Number(ncsnConfig!.numScales);
  const steps = native ? T : flags.steps ?? (scheduler === 'ddpm' ? T : scheduler === 'ncsn' ? Math.min(100, T) : Math.min(50, T));
  if (!native && !(Number.isInteger(steps) && steps >= 1 && steps <= T)) throw new UsageError(`radix sample: --steps must be an integer in [1, ${T}] (the checkpoint's training timesteps), got ${steps}`);
  if (flags.eta !== undefined && scheduler !== 'ddim') throw new UsageError(`radix sample: --eta is DDIM's noise weight; leave it out with --scheduler ${scheduler}`);
  const eta = scheduler === 'ddim' ? (flags.eta ?? 0) : null;
  if (eta !== null && !(eta >= 0 && Number.isFinite(eta))) throw new UsageError(`radix sample: --eta must be ≥ 0, got ${eta}`);
  if ((flags.langevinSteps !== undefined || flags.langevinEpsilon !== undefined) && scheduler !== 'ncsn') throw new UsageError('radix sample: --langevin-steps and --langevin-epsilon are settings of --scheduler ncsn');
  let langevin: DiffusionDescription['sampler']['langevin'];
  if (scheduler === 'ncsn' && train) {
    const stepsPerScale = flags.langevinSteps ?? 5;
    const epsilon = flags.langevinEpsilon ?? 2e-4;
    if (!(Number.isInteger(stepsPerScale) && stepsPerScale >= 1)) throw new UsageError(`radix sample: --langevin-steps must be a positive integer, got ${stepsPerScale}`);
    if (!(epsilon > 0 && Number.isFinite(epsilon))) throw new UsageError(`radix sample: --langevin-epsilon must be > 0, got ${epsilon}`);
    langevin = { stepsPerScale, epsilon, stepRule: 'paper', levelSpacing: 'geometric-sigma', finalDenoise: true, initialNoise: 'gaussian' };
    try {
      // Checks that the schedule has `steps` distinct levels on the geometric grid (before anything is written).
      ncsnFromDiffusion(() => { throw new Error('not called'); }, train, ncsnOptions(steps, langevin));
    } catch (e) {
      throw new UsageError(`radix sample: --scheduler ncsn --steps ${steps}: ${(e as Error).message}`);
    }
  }
  let guidance: number | null = null;
  if (flags.guidance !== undefined) {
    if (!Number.isFinite(flags.guidance)) throw new UsageError(`radix sample: --guidance must be a finite number, got ${flags.guidance}`);
    if (classNames === null) throw new UsageError('radix sample: --guidance (classifier-free guidance) needs a class-conditional model');
    if (nullClass === null) {
      throw new UsageError(`radix sample: --guidance needs a model trained with a null class (radix train diffusion --label-dropout P); '${ref.dir}' has none`);
    }
    if (cfg.outChannels !== cfg.inChannels) throw new UsageError(`radix sample: --guidance with a learned-variance UNet (out_channels ${cfg.outChannels} = 2 × in_channels) is not supported`);
    guidance = flags.guidance;
  }
  const size = cfg.sampleSize;
  if (size === null) throw new Error(`radix sample: '${cfgPath}' has no sample_size, so the image size is unknown`);
  const [h, w] = Array.isArray(size) ? size : [size, size];
  const base = ref.dir;
  const { files: digested, digest } = digestFiles(base, files.map((f) => relative(base, f)));
  return {
    ref, unetDir, weights, classNames, nullClass, schedulerConfig, notes,
    sampler: { scheduler, steps, eta, guidance, ...(langevin ? { langevin } : {}), ...(ncsnConfig ? { ncsn: ncsnConfig } : {}) },
    checkpoint: { path: ref.dir, resolved: ref.dir, kind: 'diffusion', source: ref.source, files: digested, digest },
    shape: [cfg.inChannels, h, w],
  };
}

/** A diffusion model ready to sample. */
export interface DiffusionSampler {
  /** `@radix/diffusion <version>`. */
  model: string;
  /** Images [B, C, H, W] in [0, 1] of images `indices` (contiguous) of class `cls` of a job of n per class in batches of `batch`. */
  generate(cls: number | null, indices: readonly number[], seed: number, n: number, batch: number): Promise<{ data: Float32Array; shape: [number, number, number, number] }>;
  dispose(): void;
}

/**
 * Loads the UNet a description names and returns a batch sampler on @radix/diffusion's `sampleBatches` (DDPM, DDIM,
 * or NCSN through `ncsnFromDiffusion`: annealed Langevin dynamics at the model's own noise levels): image k of
 * class c is image k of the library's run seeded {@link classSeed}(seed, c) — its initial noise x_T and the noise of
 * every stochastic step (DDPM, DDIM with η > 0) come from its own stream, so batches and shards never change an
 * image's noise (an unconditional model's images equal `sample({ seed, batchSize })`). With guidance g the model runs
 * on [x; x] with [class; null class] and the output is u + g·(c − u).
 *
 * @example
 * const s = await openDiffusion(description, backend);
 * const { data } = await s.generate(0, [0, 1], 1);
 */
export async function openDiffusion(d: DiffusionDescription, backend: Backend): Promise<DiffusionSampler> {
  const diffusion = await import('@radix/diffusion');
  let unet: UNet2DModel;
  try {
    unet = await diffusion.UNet2DModel.fromPretrained(d.unetDir, { backend });
  } catch (e) {
    throw new Error(`radix sample: ${(e as Error).message}`);
  }
  unet.eval();
  // An NCSN checkpoint: its own scheduler, the UNet as the score network it was trained to be.
  // NCSN on a DDPM checkpoint: annealed Langevin dynamics on y = x_t/√ᾱ_t with the model (trained as a DDPM) as the score network.
  const chain: { model: UNet2DModel | DenoiserFunction; scheduler: DDPMScheduler | DDIMScheduler | NCSNScheduler } = (() => {
    if (d.sampler.ncsn) return { model: unet, scheduler: diffusion.NCSNScheduler.fromConfig(d.sampler.ncsn) };
    const train = diffusion.DDPMScheduler.fromConfig(d.schedulerConfig);
    if (d.sampler.langevin) return diffusion.ncsnFromDiffusion(unet, train, ncsnOptions(d.sampler.steps, d.sampler.langevin));
    return { model: unet, scheduler: d.sampler.scheduler === 'ddpm' ? train : diffusion.DDIMScheduler.fromConfig(d.schedulerConfig) as DDPMScheduler | DDIMScheduler };
  })();
  const [C, H, W] = d.shape;
  return {
    model: `@radix/diffusion ${packageVersion('@radix/diffusion')}`,
    async generate(cls, indices, seed, n, batch) {
      if ((cls === null) !== (d.classNames === null)) throw new Error('radix sample: a class-conditional model needs a class for every image, an unconditional one none');
      const start = indices[0]!;
      const end = indices[indices.length - 1]! + 1;
      if (end - start !== indices.length) throw new Error('radix sample: a batch must be a contiguous range of images');
      const data = new Float32Array(indices.length * C * H * W);
      for await (const b of diffusion.sampleBatches({
        model: chain.model, scheduler: chain.scheduler, n, seed: classSeed(seed, cls), batchSize: batch, range: [start, end], backend, shape: d.shape,
        ...(d.sampler.langevin || d.sampler.ncsn ? {} : { numInferenceSteps: d.sampler.steps }),
        ...(cls !== null ? { classLabels: cls } : {}),
        ...(d.sampler.guidance !== null ? { guidanceScale: d.sampler.guidance, nullClass: d.nullClass! } : {}),
        ...(d.sampler.eta !== null ? { eta: d.sampler.eta } : {}),
      })) {
        try {
          data.set((await b.images.data()) as Float32Array, (b.start - start) * C * H * W);
        } finally {
          b.images.dispose();
        }
      }
      return { data, shape: [indices.length, C, H, W] };
    },
    dispose: () => unet.dispose(),
  };
}
