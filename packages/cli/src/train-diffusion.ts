// `radix train diffusion DATA OUT`: reads the images (one subfolder per class for conditional models), builds a
// UNet2DModel and a DDPM noise scheduler (or, with --objective ncsn, an NCSN scheduler), and runs @radix/diffusion's trainer with progress, checkpoints, sample grids
// and the JSONL log in OUT; Ctrl-C stops after the current step with a checkpoint, --resume continues exactly.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { rudiPreset } from '@radix/augment';
import {
  DDIMScheduler, DDPMScheduler, DiffusionTrainer, NCSNScheduler, type GridSampler, gridSampler, ncsnSchedulerForData, type TrainResult, UNet2DModel,
} from '@radix/diffusion';
import { init, manualSeed } from '@radix/tensor-webgpu';
import { loadDiffusionData } from './diffusion-data.js';
import { type BackendChoice, UsageError, createProgress, writeFileAtomic } from './kit/index.js';
import { acquireOutputLock } from './output-lock.js';
import type { ProgressStream } from './progress.js';
import { isInside, physicalPath } from './safe-paths.js';

/** Options of {@link runTrainDiffusion} (the command's flags). */
export interface TrainDiffusionOptions {
  data: string;
  out: string;
  resolution?: number;
  steps?: number;
  batch?: number;
  lr?: number;
  warmup?: number;
  ema?: boolean;
  sampleEvery?: number;
  evalEvery?: number;
  checkpointEvery?: number;
  keepCheckpoints?: number;
  resume?: boolean;
  /** 'ddpm' (default) or 'ncsn' (a noise-conditional score network, NCSNv2-style). */
  objective?: 'ddpm' | 'ncsn';
  /** NCSN: σ_1, or 'auto' (default: the largest distance between two training images, NCSNv2 Technique 1). */
  sigmaMax?: number | 'auto';
  /** NCSN: σ_L (default 0.01). */
  sigmaMin?: number;
  /** NCSN: number of noise levels (default 10). */
  numScales?: number;
  augment?: 'rudi';
  /** UNet2DModel config: JSON text or a path to a JSON file (camelCase or diffusers' snake_case keys). */
  modelConfig?: string;
  prediction?: 'epsilon' | 'v_prediction' | 'sample';
  betaSchedule?: 'linear' | 'scaled_linear' | 'squaredcos_cap_v2' | 'sigmoid';
  trainTimesteps?: number;
  minSnr?: number;
  labelDropout?: number;
  inception?: string;
  evalSamples?: number;
  samplerSteps?: number;
  noUpscale?: boolean;
  seed?: number;
  backend?: BackendChoice;
  maxPixels?: number;
  /** Where progress and notices go (none: silent). */
  progress?: ProgressStream;
}

/** What a run reports. */
export interface TrainDiffusionResult extends TrainResult {
  images: number;
  classNames: string[];
  warnings: string[];
  seconds: number;
  backend: string;
}

/**
 * The UNet the command builds without --model-config: diffusers' DDPM layout scaled down for small sets — three levels
 * [64, 128, 256] (four [64, 128, 256, 256] from 64 px up), two resnets per level, self-attention at the second level.
 *
 * @example
 * defaultUNetConfig(32, 0).blockOutChannels; // [64, 128, 256]
 */
export function defaultUNetConfig(resolution: number, numClassEmbeds: number): Record<string, unknown> {
  const deep = resolution >= 64;
  return {
    sampleSize: resolution, inChannels: 3, outChannels: 3, layersPerBlock: 2, normNumGroups: 32,
    blockOutChannels: deep ? [64, 128, 256, 256] : [64, 128, 256],
    downBlockTypes: deep ? ['DownBlock2D', 'AttnDownBlock2D', 'DownBlock2D', 'DownBlock2D'] : ['DownBlock2D', 'AttnDownBlock2D', 'DownBlock2D'],
    upBlockTypes: deep ? ['UpBlock2D', 'UpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'] : ['UpBlock2D', 'AttnUpBlock2D', 'UpBlock2D'],
    attentionHeadDim: 8,
    ...(numClassEmbeds > 0 ? { numClassEmbeds } : {}),
  };
}

function readModelConfig(text: string): Record<string, unknown> {
  const t = text.trim();
  const src = t.startsWith('{') ? t : (() => {
    if (!existsSync(t)) throw new UsageError(`--model-config: '${text}' is neither JSON text nor an existing file`);
    return readFileSync(t, 'utf8');
  })();
  try {
    const v = JSON.parse(src) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--model-config: not a JSON object (${(e as Error).message})`);
  }
}

/**
 * Trains a diffusion model on an image folder; see `radix train diffusion --help`.
 *
 * @example
 * const r = await runTrainDiffusion({ data: 'patches', out: 'run', resolution: 32, steps: 2000, progress: process.stderr });
 */
export async function runTrainDiffusion(o: TrainDiffusionOptions): Promise<TrainDiffusionResult> {
  const t0 = performance.now();
  const dataAbs = physicalPath(o.data);
  const outAbs = physicalPath(o.out);
  if (outAbs === dataAbs || isInside(outAbs, dataAbs)) throw new UsageError(`radix train diffusion: OUT '${o.out}' must not be DATA or inside it (DATA is never written to)`);
  if (isInside(dataAbs, outAbs)) throw new UsageError(`radix train diffusion: DATA '${o.data}' must not be inside OUT '${o.out}'`);
  const resolution = o.resolution ?? 32;
  const objective = o.objective ?? 'ddpm';
  if (objective !== 'ddpm' && objective !== 'ncsn') throw new UsageError(`radix train diffusion: --objective must be ddpm or ncsn, got '${String(objective)}'`);
  const given = (pairs: [string, unknown][]) => pairs.filter(([, v]) => v !== undefined).map(([k]) => k);
  if (objective === 'ncsn') {
    const ddpmOnly = given([['--prediction', o.prediction], ['--beta-schedule', o.betaSchedule], ['--train-timesteps', o.trainTimesteps], ['--min-snr', o.minSnr]]);
    if (ddpmOnly.length) throw new UsageError(`radix train diffusion: ${ddpmOnly.join(', ')} ${ddpmOnly.length > 1 ? 'are settings' : 'is a setting'} of the DDPM objective; leave ${ddpmOnly.length > 1 ? 'them' : 'it'} out with --objective ncsn`);
    if (o.numScales !== undefined && !(Number.isInteger(o.numScales) && o.numScales >= 1)) throw new UsageError(`radix train diffusion: --num-scales must be an integer ≥ 1, got ${o.numScales}`);
    if (o.sigmaMin !== undefined && !(Number.isFinite(o.sigmaMin) && o.sigmaMin > 0)) throw new UsageError(`radix train diffusion: --sigma-min must be a number > 0, got ${o.sigmaMin}`);
    if (typeof o.sigmaMax === 'number' && !(Number.isFinite(o.sigmaMax) && o.sigmaMax > 0)) throw new UsageError(`radix train diffusion: --sigma-max must be 'auto' or a number > 0, got ${o.sigmaMax}`);
    if (typeof o.sigmaMax === 'number' && !((o.sigmaMin ?? 0.01) < o.sigmaMax)) throw new UsageError(`radix train diffusion: --sigma-min (${o.sigmaMin ?? 0.01}) must be below --sigma-max (${o.sigmaMax})`);
  } else {
    const ncsnOnly = given([['--sigma-max', o.sigmaMax], ['--sigma-min', o.sigmaMin], ['--num-scales', o.numScales]]);
    if (ncsnOnly.length) throw new UsageError(`radix train diffusion: ${ncsnOnly.join(', ')} ${ncsnOnly.length > 1 ? 'are settings' : 'is a setting'} of --objective ncsn`);
  }
  const notice = (m: string) => o.progress?.write(`${m}\n`);
  const data = await loadDiffusionData(o.data, { resolution, noUpscale: o.noUpscale, maxPixels: o.maxPixels });
  for (const w of data.warnings) notice(`warning: ${w}`);
  const backend = await init({ backend: o.backend ?? 'auto' });
  const classes = data.classNames?.length ?? 0;
  const labelDropout = o.labelDropout ?? 0;
  const embeds = classes > 0 ? classes + (labelDropout > 0 ? 1 : 0) : 0;
  const userCfg = o.modelConfig ? readModelConfig(o.modelConfig) : {};
  const cfg = { ...defaultUNetConfig(resolution, embeds), ...userCfg };
  if (embeds > 0 && !('numClassEmbeds' in userCfg) && !('num_class_embeds' in userCfg)) cfg.numClassEmbeds = embeds;
  // One seed for the initial weights too, so a fresh run is reproducible end to end.
  manualSeed(o.seed ?? 1);
  let model: UNet2DModel;
  try {
    model = UNet2DModel.fromConfig(cfg, { backend });
  } catch (e) {
    throw new UsageError(`--model-config: ${(e as Error).message}`);
  }
  let scheduler: DDPMScheduler | NCSNScheduler;
  let sampler: GridSampler;
  if (objective === 'ncsn') {
    const sigmaMax = o.sigmaMax ?? 'auto';
    const sigmaMin = o.sigmaMin ?? 0.01;
    if (sigmaMax === 'auto') notice(`--sigma-max auto: measuring the largest distance between two of the ${data.images.length} training images (NCSNv2 Technique 1)`);
    try {
      // NCSN's sampler settings recorded with the levels: 100 Langevin steps per level, ε 2e-5 (the paper's Algorithm 1), NCSNv2's final denoising.
      scheduler = await ncsnSchedulerForData(data, { sigmaMax, sigmaMin, numScales: o.numScales ?? 10, finalDenoise: true });
    } catch (e) {
      model.dispose();
      throw new UsageError(`radix train diffusion --objective ncsn: ${(e as Error).message.replace(/^(ncsnSchedulerForData|NCSNScheduler): /, '')}`);
    }
    if (sigmaMax === 'auto') notice(`σ_max = ${scheduler.config.sigmaMax.toPrecision(6)}; ${scheduler.config.numScales} levels down to σ_min = ${scheduler.config.sigmaMin}`);
    // The periodic grids: annealed Langevin dynamics on the training levels with --sampler-steps steps per level.
    sampler = gridSampler({ scheduler: new NCSNScheduler({ ...scheduler.config, stepsPerScale: o.samplerSteps ?? 5 }), batchSize: o.batch ?? 16 });
  } else {
    const noise = { numTrainTimesteps: o.trainTimesteps ?? 1000, betaSchedule: o.betaSchedule ?? 'linear', predictionType: o.prediction ?? 'epsilon' } as const;
    scheduler = new DDPMScheduler(noise);
    // The periodic grids and sample metrics: DDIM (η = 0) on the training noise schedule, --sampler-steps steps.
    sampler = gridSampler({ scheduler: new DDIMScheduler(noise), numInferenceSteps: o.samplerSteps ?? 50, batchSize: o.batch ?? 16 });
  }
  mkdirSync(outAbs, { recursive: true });
  const lock = acquireOutputLock(outAbs, 'radix train diffusion');
  const steps = o.steps ?? 20000;
  const progress = o.progress ? createProgress('train diffusion', steps, o.progress, { rate: true, unit: 'steps', intervalMs: 30_000 }) : null;
  let trainer: DiffusionTrainer | undefined;
  let ticked = 0;
  const onSigint = () => {
    notice('\nstopping after this step (a checkpoint is written); run again with --resume to continue');
    trainer?.requestStop();
  };
  try {
    trainer = new DiffusionTrainer(model, scheduler, data, {
      out: outAbs, steps, batchSize: o.batch ?? 16, lr: o.lr ?? 1e-4, warmupSteps: o.warmup ?? 500, ema: o.ema ?? false,
      sampleEvery: o.sampleEvery ?? 5000, evalEvery: o.evalEvery ?? 5000, checkpointEvery: o.checkpointEvery ?? 1000,
      keepCheckpoints: o.keepCheckpoints ?? 3, resume: o.resume ?? false, augment: o.augment === 'rudi' ? rudiPreset() : undefined,
      minSnrGamma: o.minSnr, labelDropout, seed: o.seed ?? 1, sampler,
      eval: { numSamples: o.evalSamples ?? 16, inceptionWeights: o.inception },
      onNotice: notice,
      onStep: (s) => {
        lock.check();
        progress?.tick(s.step - ticked, `loss ${s.loss.toFixed(4)}`);
        ticked = s.step;
      },
    });
    process.once('SIGINT', onSigint);
    const r = await trainer.train();
    if (r.status === 'completed') progress?.done();
    const seconds = (performance.now() - t0) / 1000;
    const summary = { ...r, losses: undefined, images: data.images.length, classNames: data.classNames ?? [], seconds, backend: backend.name, data: resolve(o.data) };
    await writeFileAtomic(resolve(outAbs, 'train_summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
    return { ...r, images: data.images.length, classNames: data.classNames ?? [], warnings: data.warnings, seconds, backend: backend.name };
  } finally {
    process.removeListener('SIGINT', onSigint);
    trainer?.dispose();
    model.dispose();
    lock.release();
  }
}
