// The diffusion training loop as a reader would write it: draw a batch, random timesteps, addNoise, predict, MSE
// against the prediction type's target, clip, AdamW, EMA; checkpoints, sample grids, metrics and a JSONL log around it.
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type Backend, Generator, type Tensor, dispose, nn, noGrad, optim, randn, tensor, tidy,
} from '@radix/tensor-webgpu';
import { NCSNScheduler } from '../schedulers/ncsn.js';
import { saveUNet2DPretrained } from '../unet/pretrained.js';
import { UNet2DModel } from '../unet/unet-2d.js';
import {
  checkpointName, findLatestCheckpoint, pruneCheckpoints, readCheckpointJson, readCheckpointTensors, writeCheckpoint,
} from './checkpoint.js';
import { type DiffusionDataset, drawBatch, streamRandom, validateDataset } from './dataset.js';
import { ncsnDsmLoss } from './dsm-loss.js';
import { type InceptionCache, disposeInception, prepareInception, sampleMetrics, writeImageGrid } from './evaluate.js';
import { type TrainingNoiseScheduler, minSnrWeights, predictionTarget } from './noise-schedule.js';
import { type DiffusionTrainOptions, type ResolvedTrainOptions, lrFactor, resolveTrainOptions } from './train-options.js';

/** The trainer's own state in a checkpoint (trainer_state.json). */
export interface TrainerState {
  step: number;
  seed: number;
  totalSteps: number;
  /** How randomness is drawn: per-step streams derived from (seed, step), so the step alone restores it. */
  rng: { kind: 'per-step-streams'; seed: number; nextStep: number };
  optimizer: { param_groups: unknown[]; scalars: Record<string, Record<string, number>> };
  lrScheduler: optim.LRSchedulerState;
  ema: { numUpdates: number; maxDecay: number; invGamma: number; power: number } | null;
  dataFingerprint: string;
  /** Class names in label order (empty when unconditional) and the null class of label dropout (or null). */
  classes: { names: string[]; nullClass: number | null };
  /** What the UNet was trained as: 'ddpm' (a noise/velocity/sample predictor) or 'ncsn' (a noise-conditional score network). Absent in checkpoints written before NCSN training: 'ddpm'. */
  objective?: TrainingObjective;
  options: Record<string, unknown>;
}

/** 'ddpm': diffusers' denoising objective with a {@link TrainingNoiseScheduler}; 'ncsn': denoising score matching with an {@link NCSNScheduler}. */
export type TrainingObjective = 'ddpm' | 'ncsn';

/** The inputs of one training step, drawn from (seed, step) alone. */
export interface TrainingStepInputs {
  /** The batch x₀ [B, C, H, W] in [−1, 1] (flipped / augmented as configured). */
  images: Tensor;
  /** Class labels after label dropout, or null (unconditional). */
  labels: number[] | null;
  /** DDPM: each sample's timestep in [0, numTrainTimesteps); NCSN: each sample's level index in [0, numScales). */
  timesteps: number[];
  /** Standard-normal noise of the batch's shape (DDPM: ε of addNoise; NCSN: z of the perturbation σ·z). */
  noise: Tensor;
}

/** How a run ended. */
export interface TrainResult {
  /** Steps completed (the model's state is after this many updates). */
  step: number;
  status: 'completed' | 'stopped' | 'nan';
  /** For 'nan': the step whose loss was not finite; training stopped before applying it. */
  nanStep?: number;
  /** The newest checkpoint written or resumed from. */
  lastCheckpoint: string | null;
  /** Steps per second of this invocation's loop (excluding checkpoints and evaluations). */
  stepsPerSecond: number;
  losses: number[];
}

/** One JSONL log record. */
export type LogRecord = Record<string, number | string | null | boolean>;

function fingerprint(data: DiffusionDataset): string {
  // FNV-1a over the shape, the labels and every 97th value: cheap, and any change of images or labels shows.
  let h = 0x811c9dc5;
  const mix = (v: number) => { h = Math.imul(h ^ (v >>> 0), 0x01000193) >>> 0; };
  [data.images.length, data.channels, data.height, data.width].forEach(mix);
  for (const l of data.labels ?? []) mix(l);
  for (const img of data.images) for (let i = 0; i < img.length; i += 97) mix(Math.round(img[i]! * 65535));
  return h.toString(16).padStart(8, '0');
}

/** Host streams per step: 0 batch choice and flips, 1 augmentation (dataset.ts), 2 timesteps and label dropout, 3 noise, 4 dropout. */
export const STREAMS_PER_STEP = 8;

function stepSeed(seed: number, step: number, stream: number): number {
  return Math.floor(streamRandom(seed, STREAMS_PER_STEP * step + stream).random() * 2 ** 53);
}

/**
 * Trains a UNet2DModel with a diffusers-style noise scheduler (DDPM objective) or, given an {@link NCSNScheduler},
 * as a noise-conditional score network (NCSN objective: {@link ncsnDsmLoss} with λ(σ) = σ², the UNet receiving the
 * scheduler's `modelTimestep` — the level index or σ — and its output read by `scoreScaling`, i.e. divided by σ as
 * NCSNv2). The scheduler's type alone selects the objective (`trainer.objective`); everything else — AdamW, warm-up
 * and cosine decay, clipping, EMA, class-balanced batches, labels, flips, checkpoints, grids, the log — is shared, and
 * an NCSN checkpoint records the scheduler's config in scheduler/scheduler_config.json. `train()` runs until `steps` (or `untilStep`),
 * checkpointing every `checkpointEvery` steps into `out/checkpoints/step-XXXXXXXX/` and appending to `out/log.jsonl`;
 * with `resume`, it continues exactly from the newest intact checkpoint (randomness is drawn per step from
 * (seed, step), so 10 + 10 steps equal 20). A non-finite loss stops the run before the bad update, keeping the
 * last good checkpoint.
 *
 * @example
 * const unet = UNet2DModel.fromConfig({ sampleSize: 32, blockOutChannels: [32, 64], normNumGroups: 8,
 *   downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'] });
 * const trainer = new DiffusionTrainer(unet, new DDPMScheduler({ numTrainTimesteps: 1000 }), data, { out: 'run', steps: 2000 });
 * const result = await trainer.train();
 * // NCSN: a score network on 10 geometric levels from σ_max (NCSNv2 Technique 1) to 0.01
 * const ncsn = await ncsnSchedulerForData(data, { sigmaMax: 'auto', sigmaMin: 0.01, numScales: 10 });
 * const sampler = gridSampler({ scheduler: new NCSNScheduler({ ...ncsn.config, stepsPerScale: 5 }) });
 * await new DiffusionTrainer(unet, ncsn, data, { out: 'ncsn-run', steps: 2000, sampler }).train();
 */
export class DiffusionTrainer {
  readonly options: ResolvedTrainOptions;
  readonly backend: Backend;
  readonly numClasses: number;
  /** Completed optimisation steps. */
  step = 0;
  readonly optimizer: optim.AdamW;
  readonly lrScheduler: optim.LambdaLR;
  readonly ema: optim.EMA | null;
  /** 'ncsn' when the scheduler is an {@link NCSNScheduler}, else 'ddpm'. */
  readonly objective: TrainingObjective;
  #stopRequested = false;
  #lastCheckpoint: string | null = null;
  #inception: InceptionCache | null | undefined;
  #training: Tensor | null = null;
  #evalModel: UNet2DModel | null = null;

  constructor(
    readonly model: UNet2DModel,
    readonly scheduler: TrainingNoiseScheduler | NCSNScheduler,
    readonly data: DiffusionDataset,
    options: DiffusionTrainOptions,
  ) {
    this.options = resolveTrainOptions(options);
    this.objective = scheduler instanceof NCSNScheduler ? 'ncsn' : 'ddpm';
    if (this.objective === 'ncsn' && this.options.minSnrGamma !== null) throw new Error('diffusion training: minSnrGamma weights the DDPM objective; NCSN training weights each level by λ(σ) = σ² instead (leave minSnrGamma out)');
    this.numClasses = validateDataset(data);
    const cfg = model.config;
    if (data.channels !== cfg.inChannels) throw new Error(`diffusion training: the images have ${data.channels} channels but the UNet takes ${cfg.inChannels} (inChannels)`);
    if (cfg.outChannels !== cfg.inChannels) throw new Error(`diffusion training: outChannels ${cfg.outChannels} must equal inChannels ${cfg.inChannels} (the model predicts noise, velocity or the sample, or the scaled score)`);
    const m = model.sizeMultiple;
    if (data.height % m || data.width % m) throw new Error(`diffusion training: ${data.height}×${data.width} images are not multiples of ${m}, which this UNet's ${cfg.blockOutChannels.length} levels need`);
    const conditional = cfg.numClassEmbeds !== null;
    const needed = this.numClasses + (this.options.labelDropout > 0 ? 1 : 0);
    if (this.numClasses > 0 && !conditional) throw new Error(`diffusion training: the data has ${this.numClasses} classes but the UNet is unconditional (set numClassEmbeds to ${needed})`);
    if (conditional && this.numClasses === 0) throw new Error(`diffusion training: the UNet is class-conditional (numClassEmbeds ${cfg.numClassEmbeds}) but the data has no labels`);
    if (conditional && cfg.numClassEmbeds !== needed) {
      throw new Error(`diffusion training: numClassEmbeds is ${cfg.numClassEmbeds} but ${this.numClasses} classes${this.options.labelDropout > 0 ? ' plus the null class of labelDropout' : ''} need ${needed}`);
    }
    this.backend = model.conv_in.weight.backend;
    const o = this.options;
    this.optimizer = new optim.AdamW(model.parameters(), { lr: o.lr, betas: o.betas, weightDecay: o.weightDecay, eps: o.adamEps });
    const warmup = Math.min(o.warmupSteps, o.steps);
    this.lrScheduler = new optim.LambdaLR(this.optimizer, (s) => lrFactor(s, warmup, o.steps, o.lrSchedule));
    this.ema = o.ema ? new optim.EMA(model, { decay: o.ema.maxDecay, warmup: true, invGamma: o.ema.invGamma, power: o.ema.power }) : null;
  }

  /** Path of the checkpoints folder. */
  get checkpointsDir(): string {
    return join(this.options.out, 'checkpoints');
  }

  /** Path of the JSONL log. */
  get logPath(): string {
    return join(this.options.out, 'log.jsonl');
  }

  /** Asks the loop to stop after the current step (and write a checkpoint); e.g. on SIGINT. @example process.on('SIGINT', () => trainer.requestStop()) */
  requestStop(): void {
    this.#stopRequested = true;
  }

  #notice(msg: string): void {
    this.options.onNotice(msg);
  }

  #log(record: LogRecord): void {
    appendFileSync(this.logPath, `${JSON.stringify(record)}\n`);
  }

  /**
   * The batch, labels, timesteps (DDPM) or level indices (NCSN) and noise of step `step` (0-based), as
   * {@link DiffusionTrainer.trainStep} draws them: from per-step streams of (seed, step) alone. The caller disposes
   * `images` and `noise`.
   *
   * @example
   * const { images, timesteps, noise } = trainer.stepInputs(0);
   */
  stepInputs(step: number): TrainingStepInputs {
    if (!Number.isInteger(step) || step < 0) throw new Error(`diffusion training: step must be an integer ≥ 0, got ${step}`);
    const o = this.options;
    const T = this.scheduler instanceof NCSNScheduler ? this.scheduler.sigmas.length : this.scheduler.config.numTrainTimesteps;
    const batch = drawBatch(this.data, { batchSize: o.batchSize, classBalanced: o.classBalanced, randomFlip: o.randomFlip, augment: o.augment }, o.seed, step, this.backend);
    const rng = streamRandom(o.seed, STREAMS_PER_STEP * step + 2);
    const timesteps = Array.from({ length: o.batchSize }, () => rng.randint(0, T - 1));
    let labels = batch.labels ?? null;
    if (labels && o.labelDropout > 0) labels = labels.map((l) => (rng.random() < o.labelDropout ? this.numClasses : l));
    const noise = randn([...batch.images.shape], { generator: new Generator(stepSeed(o.seed, step, 3)), backend: this.backend });
    return { images: batch.images, labels, timesteps, noise };
  }

  /**
   * One optimisation step on batch number `this.step`; returns the loss (a non-finite loss leaves the model untouched).
   *
   * @example
   * const { loss } = await trainer.trainStep();
   */
  async trainStep(): Promise<{ loss: number; gradNorm: number | null; lr: number }> {
    const o = this.options;
    const s = this.step;
    const { images: x0, labels, timesteps, noise } = this.stepInputs(s);
    this.model.setDropoutGenerator(new Generator(stepSeed(o.seed, s, 4)));
    this.model.train();
    const lr = this.optimizer.paramGroups[0]!.lr;
    const sched = this.scheduler;
    const loss = sched instanceof NCSNScheduler
      ? ncsnDsmLoss(this.model, sched, x0, { levels: timesteps, noise, ...(labels ? { classLabels: labels } : {}) })
      : tidy(() => {
        const t = tensor(Int32Array.from(timesteps), { backend: this.backend, dtype: 'int32' });
        const noisy = sched.addNoise(x0, noise, t);
        const pred = this.model.call(noisy, t, labels ? { classLabels: labels } : {});
        const target = predictionTarget(sched, x0, noise, t);
        if (o.minSnrGamma === null) return nn.mseLoss(pred, target);
        const w = minSnrWeights(sched.alphasCumprod, timesteps, o.minSnrGamma, String(sched.config.predictionType));
        const perSample = pred.sub(target).square().mean([1, 2, 3]);
        return perSample.mul(tensor(Float32Array.from(w), { backend: this.backend })).mean();
      });
    x0.dispose();
    noise.dispose();
    const value = await loss.item();
    if (!Number.isFinite(value)) {
      loss.dispose();
      return { loss: value, gradNorm: null, lr };
    }
    loss.backward();
    loss.dispose();
    let gradNorm: number | null = null;
    if (o.gradClip > 0) {
      const total = optim.clipGradNorm_(this.model.parameters(), o.gradClip);
      gradNorm = await total.item();
      total.dispose();
    }
    this.optimizer.step();
    this.lrScheduler.step();
    this.model.zeroGrad();
    this.ema?.update(this.model);
    this.step = s + 1;
    return { loss: value, gradNorm, lr };
  }

  /**
   * Runs the loop to `options.steps` (or `untilStep`): resumes first when `options.resume`, checkpoints, grids and
   * logs along the way, and a final checkpoint at the end.
   *
   * @example
   * const r = await trainer.train({ untilStep: 10 }); // then a new trainer with resume: true continues to 20
   */
  async train(run: { untilStep?: number } = {}): Promise<TrainResult> {
    const o = this.options;
    mkdirSync(o.out, { recursive: true });
    if (o.resume) await this.resume();
    else if (findLatestCheckpoint(this.checkpointsDir).entry || existsSync(this.logPath)) {
      throw new Error(`diffusion training: ${o.out} already holds a training run (checkpoints or log.jsonl); resume it (--resume) or choose a new output folder`);
    }
    const until = Math.min(run.untilStep ?? o.steps, o.steps);
    const losses: number[] = [];
    let loopSeconds = 0;
    let loopSteps = 0;
    let status: TrainResult['status'] = 'completed';
    let nanStep: number | undefined;
    while (this.step < until) {
      const t0 = performance.now();
      const { loss, gradNorm, lr } = await this.trainStep();
      loopSeconds += (performance.now() - t0) / 1000;
      if (!Number.isFinite(loss)) {
        nanStep = this.step + 1;
        status = 'nan';
        const kept = this.#lastCheckpoint ?? findLatestCheckpoint(this.checkpointsDir).entry?.dir ?? null;
        this.#log({ step: nanStep, event: 'nan', loss: String(loss) });
        this.#notice(`the loss became ${loss} at step ${nanStep}; training stopped before applying that step. ` +
          (kept ? `The last good checkpoint is ${kept}.` : 'No checkpoint had been written yet.'));
        this.#lastCheckpoint = kept;
        break;
      }
      loopSteps++;
      losses.push(loss);
      const emaDecay = this.ema ? this.#lastEmaDecay() : null;
      if (this.step % o.logEvery === 0 || this.step === until) {
        this.#log({ step: this.step, loss, lr, emaDecay, gradNorm, time: new Date().toISOString() });
      }
      o.onStep?.({ step: this.step, totalSteps: o.steps, loss, lr, emaDecay, gradNorm });
      const stopping = this.#stopRequested;
      if (this.step % o.checkpointEvery === 0 || this.step === until || stopping) await this.saveCheckpoint();
      const grid = o.sampleEvery > 0 && this.step % o.sampleEvery === 0;
      const metrics = o.evalEvery > 0 && this.step % o.evalEvery === 0;
      if (grid || metrics) await this.evaluate({ grid, metrics });
      if (stopping) {
        status = 'stopped';
        break;
      }
    }
    if (status === 'completed' && this.step < o.steps) status = 'stopped';
    this.#cleanupEval();
    return { step: this.step, status, nanStep, lastCheckpoint: this.#lastCheckpoint, stepsPerSecond: loopSteps / Math.max(loopSeconds, 1e-9), losses };
  }

  /** The decay used by the latest EMA update (diffusers' EMAModel: 0 at the first update). */
  #lastEmaDecay(): number {
    const ema = this.ema!;
    const n = ema.numUpdates - 1;
    if (n <= 0) return 0;
    return Math.min(ema.decay, 1 - (1 + n / ema.invGamma) ** -ema.power);
  }

  /**
   * Writes a checkpoint of the current step (model, EMA, optimizer, lr schedule, noise scheduler config, trainer
   * state) and prunes old ones.
   *
   * @example
   * await trainer.saveCheckpoint();
   */
  async saveCheckpoint(): Promise<string> {
    const opt = this.optimizer.stateDict();
    const tensors: Record<string, Tensor> = {};
    const scalars: Record<string, Record<string, number>> = {};
    for (const [i, st] of Object.entries(opt.state)) {
      for (const [k, v] of Object.entries(st)) {
        if (typeof v === 'number') (scalars[i] ??= {})[k] = v;
        else tensors[`${i}.${k}`] = v;
      }
    }
    const state: TrainerState = {
      step: this.step,
      seed: this.options.seed,
      totalSteps: this.options.steps,
      rng: { kind: 'per-step-streams', seed: this.options.seed, nextStep: this.step },
      optimizer: { param_groups: opt.param_groups, scalars },
      lrScheduler: this.lrScheduler.stateDict(),
      ema: this.ema ? { numUpdates: this.ema.numUpdates, maxDecay: this.ema.decay, invGamma: this.ema.invGamma, power: this.ema.power } : null,
      dataFingerprint: fingerprint(this.data),
      classes: {
        names: this.numClasses > 0 ? (this.data.classNames ?? Array.from({ length: this.numClasses }, (_, i) => String(i))) : [],
        nullClass: this.numClasses > 0 && this.options.labelDropout > 0 ? this.numClasses : null,
      },
      objective: this.objective,
      options: this.#optionsRecord(),
    };
    const ema = this.ema;
    const folders: Record<string, (dir: string) => Promise<void>> = { unet: (dir) => saveUNet2DPretrained(this.model, dir) };
    if (ema) folders.ema = (dir) => saveUNet2DPretrained(this.model, dir, Object.fromEntries(ema.shadow));
    const schedulerConfig = this.#schedulerConfig();
    const json: Record<string, unknown> = { 'trainer_state.json': state, 'scheduler/scheduler_config.json': schedulerConfig };
    if (this.objective === 'ddpm') {
      // With model_index.json and scheduler/, a checkpoint folder is also a diffusers DDPMPipeline folder (unet = raw
      // weights). An NCSN score network is not a DDPM denoiser, so its checkpoint does not claim to be one.
      json['model_index.json'] = {
        _class_name: 'DDPMPipeline', _diffusers_version: '0.40.0.dev0',
        scheduler: ['diffusers', String(schedulerConfig._class_name ?? 'DDPMScheduler')], unet: ['diffusers', 'UNet2DModel'],
      };
    }
    try {
      this.#lastCheckpoint = await writeCheckpoint(this.checkpointsDir, this.step, { folders, tensors: { 'optimizer.safetensors': tensors }, json });
    } finally {
      dispose(tensors);
    }
    pruneCheckpoints(this.checkpointsDir, this.options.keepCheckpoints, this.step);
    return this.#lastCheckpoint;
  }

  /** The scheduler's config as the checkpoint stores it (diffusers' scheduler_config.json, or NCSNScheduler.toConfig). */
  #schedulerConfig(): Record<string, unknown> {
    const sch = this.scheduler;
    if (sch instanceof NCSNScheduler) return sch.toConfig();
    return sch.toDiffusersConfig?.() ?? { _class_name: sch.constructor.name, ...sch.config };
  }

  #optionsRecord(): Record<string, unknown> {
    const o = this.options;
    return {
      steps: o.steps, batchSize: o.batchSize, lr: o.lr, betas: o.betas, weightDecay: o.weightDecay, adamEps: o.adamEps, warmupSteps: o.warmupSteps,
      lrSchedule: o.lrSchedule, gradClip: o.gradClip, ema: o.ema, minSnrGamma: o.minSnrGamma, randomFlip: o.randomFlip,
      classBalanced: o.classBalanced, augment: o.augment ? 'pipeline' : null, labelDropout: o.labelDropout, seed: o.seed,
    };
  }

  /**
   * Restores the newest intact checkpoint of `out/checkpoints` (corrupt or truncated ones are skipped with a notice)
   * and truncates the log to its step. Returns the step resumed from (0 when there is none).
   *
   * @example
   * const step = await trainer.resume();
   */
  async resume(): Promise<number> {
    const { entry, skipped } = findLatestCheckpoint(this.checkpointsDir);
    for (const s of skipped) this.#notice(`checkpoint ${s.entry.dir} is unusable (${s.reason}); falling back to an older one`);
    if (!entry) {
      this.#notice(`no intact checkpoint in ${this.checkpointsDir}; starting from step 0`);
      if (existsSync(this.logPath)) writeFileSync(this.logPath, '');
      return 0;
    }
    const dir = entry.dir;
    const state = readCheckpointJson<TrainerState>(dir, 'trainer_state.json');
    if (state.seed !== this.options.seed) throw new Error(`diffusion training: ${dir} was trained with seed ${state.seed}, this run has seed ${this.options.seed}; an exact resume needs the same seed`);
    const fp = fingerprint(this.data);
    if (state.dataFingerprint !== fp) throw new Error(`diffusion training: the training images or labels differ from those of ${dir} (fingerprint ${fp} vs ${state.dataFingerprint}); resume with the same DATA or start a new output folder`);
    const savedObjective = state.objective ?? 'ddpm';
    if (savedObjective !== this.objective) {
      throw new Error(`diffusion training: ${dir} was trained with the ${savedObjective.toUpperCase()} objective, this run uses ${this.objective.toUpperCase()}; resume with the same objective or start a new output folder`);
    }
    if (this.scheduler instanceof NCSNScheduler) {
      // The σ's define the task; a resumed run must train the very same levels.
      const saved = readCheckpointJson<Record<string, unknown>>(dir, 'scheduler/scheduler_config.json');
      const mine = this.scheduler.toConfig();
      const differ = [...new Set([...Object.keys(saved), ...Object.keys(mine)])].filter((k) => JSON.stringify(saved[k]) !== JSON.stringify(mine[k]));
      if (differ.length) {
        throw new Error(`diffusion training: the NCSN scheduler of ${dir} differs from this run's in ${differ.map((k) => `${k} (${JSON.stringify(saved[k])} vs ${JSON.stringify(mine[k])})`).join(', ')}; resume with the checkpoint's noise levels`);
      }
    }
    if (state.totalSteps !== this.options.steps) {
      this.#notice(`the checkpoint was made for a ${state.totalSteps}-step run, this one has ${this.options.steps} steps: the cosine lr schedule changes from here on`);
    }
    const load = async (name: string) => {
      const m = await UNet2DModel.fromPretrained(join(dir, name), { backend: this.backend });
      return m;
    };
    const saved = await load('unet');
    const sd = saved.stateDict();
    this.model.loadStateDict(sd);
    dispose(sd);
    saved.dispose();
    if (this.ema) {
      if (!state.ema) throw new Error(`diffusion training: ${dir} has no EMA but this run keeps one; resume with the same --ema setting`);
      const e = await load('ema');
      for (const [k, v] of e.namedParameters()) {
        const s = this.ema.shadow.get(k);
        if (!s) throw new Error(`diffusion training: the EMA of ${dir} has '${k}', which this model lacks`);
        noGrad(() => s._replaceStorage(v.clone()));
      }
      e.dispose();
      this.ema.numUpdates = state.ema.numUpdates;
    }
    const tensors = await readCheckpointTensors(dir, 'optimizer.safetensors', this.backend);
    const optState: optim.OptimizerStateDict['state'] = {};
    for (const [k, v] of Object.entries(tensors)) {
      const [i, name] = [k.slice(0, k.indexOf('.')), k.slice(k.indexOf('.') + 1)];
      (optState[Number(i)] ??= {})[name] = v;
    }
    for (const [i, sc] of Object.entries(state.optimizer.scalars)) Object.assign((optState[Number(i)] ??= {}), sc);
    this.optimizer.loadStateDict({ state: optState, param_groups: state.optimizer.param_groups as optim.OptimizerStateDict['param_groups'] });
    dispose(tensors);
    this.lrScheduler.loadStateDict(state.lrScheduler);
    this.step = state.step;
    this.#lastCheckpoint = dir;
    this.#truncateLog(state.step);
    this.#notice(`resumed from ${dir} (step ${state.step})`);
    return state.step;
  }

  /** Keeps only log records up to `step` (a resumed run rewrites what came after its checkpoint). */
  #truncateLog(step: number): void {
    if (!existsSync(this.logPath)) return;
    const kept = readFileSync(this.logPath, 'utf8').split('\n').filter((line) => {
      if (!line.trim()) return false;
      try {
        return (JSON.parse(line) as { step?: number }).step! <= step;
      } catch {
        return false;
      }
    });
    writeFileSync(this.logPath, kept.map((l) => `${l}\n`).join(''));
  }

  /**
   * Samples `eval.numSamples` images with fixed noise (from the EMA weights when kept), writes
   * `out/samples/step-XXXXXXXX.png` and/or logs the metrics. Needs `options.sampler`.
   *
   * @example
   * await trainer.evaluate({ grid: true, metrics: true });
   */
  async evaluate(what: { grid?: boolean; metrics?: boolean } = { grid: true, metrics: true }): Promise<LogRecord | null> {
    const o = this.options;
    if (!o.sampler) {
      this.#notice('no sampler was given, so no sample grid or sample metrics are produced');
      return null;
    }
    const model = this.#evalModelWithWeights();
    const n = o.eval.numSamples;
    const classLabels = this.numClasses > 0 ? Array.from({ length: n }, (_, i) => i % this.numClasses) : undefined;
    const images = await o.sampler(model, { n, generator: new Generator(o.seed + 7919), classLabels });
    let grid: string | null = null;
    if (what.grid) {
      grid = join(o.out, 'samples', `${checkpointName(this.step)}.png`);
      mkdirSync(join(o.out, 'samples'), { recursive: true });
      await writeImageGrid(grid, images);
    }
    if (!what.metrics) {
      images.dispose();
      this.#log({ step: this.step, event: 'grid', grid });
      return null;
    }
    if (!this.#training) this.#training = this.#trainingTensor();
    if (this.#inception === undefined) {
      this.#inception = null;
      if (o.eval.inceptionWeights) {
        try {
          this.#inception = await prepareInception(o.eval.inceptionWeights, this.#training);
        } catch (e) {
          this.#notice(`FID/KID are skipped: ${(e as Error).message}`);
        }
      }
    }
    const m = await sampleMetrics(images, this.#training, this.#inception);
    images.dispose();
    const record: LogRecord = { step: this.step, event: 'eval', grid, ...m };
    this.#log(record);
    return record;
  }

  #evalModelWithWeights(): UNet2DModel {
    if (!this.ema) {
      this.model.eval();
      return this.model;
    }
    this.#evalModel ??= new UNet2DModel(this.model.config, { backend: this.backend });
    this.ema.copyTo(this.#evalModel);
    this.#evalModel.eval();
    return this.#evalModel;
  }

  #trainingTensor(): Tensor {
    const { images, channels: c, height: h, width: w } = this.data;
    const all = new Float32Array(images.length * c * h * w);
    images.forEach((img, i) => all.set(img, i * c * h * w));
    return tensor(all, { shape: [images.length, c, h, w], backend: this.backend });
  }

  #cleanupEval(): void {
    this.#training?.dispose();
    this.#training = null;
    disposeInception(this.#inception ?? null);
    this.#inception = undefined;
    this.#evalModel?.dispose();
    this.#evalModel = null;
  }

  /** Frees the optimizer state and the EMA (not the model). @example trainer.dispose() */
  dispose(): void {
    this.#cleanupEval();
    this.optimizer.dispose();
    if (this.ema) for (const t of this.ema.shadow.values()) t.dispose();
  }
}

/**
 * Trains in one call: builds a {@link DiffusionTrainer} and runs it.
 *
 * @example
 * const result = await trainDiffusion(unet, scheduler, data, { out: 'run', steps: 5000, sampler });
 */
export async function trainDiffusion(model: UNet2DModel, scheduler: TrainingNoiseScheduler | NCSNScheduler, data: DiffusionDataset, options: DiffusionTrainOptions): Promise<TrainResult> {
  const trainer = new DiffusionTrainer(model, scheduler, data, options);
  try {
    return await trainer.train();
  } finally {
    trainer.dispose();
  }
}
