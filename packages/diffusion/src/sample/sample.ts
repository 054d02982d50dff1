// sample(): the reverse process as a plain loop over batches (DDPM, DDIM, NCSN), with each image's noise drawn from its own
// stream, so image i of a seed is the same whatever the batch size and whichever [start, end) range is generated.
import {
  type Backend, type BackendName, Generator, type Tensor, cat, getBackend, noGrad, rand, randn, tensor, tidy, uniform,
} from '@radix/tensor-webgpu';
import { streamRandom } from '../train/dataset.js';
import { DDIMScheduler } from '../schedulers/ddim.js';
import { DDPMScheduler } from '../schedulers/ddpm.js';
import { NCSNScheduler } from '../schedulers/ncsn.js';
import type { GridSampler } from '../train/train-options.js';
import { UNet2DModel, type UNetCallOptions } from '../unet/unet-2d.js';

/**
 * A denoiser given as a function: `(sample [B, C, H, W], timestep, { classLabels? }) → output [B, C, H, W]`. For NCSN the
 * timestep is the scheduler's `modelTimestep(level)` (the level index or σ).
 */
export type DenoiserFunction = (sample: Tensor, timestep: number, options: { classLabels?: Tensor }) => Tensor;

/** What {@link sample} calls: a {@link UNet2DModel} (or any object with the same `call`), or a plain function. */
export type SampleModel = { call(sample: Tensor, timesteps: number, options?: UNetCallOptions): Tensor } | DenoiserFunction;

/** The schedulers {@link sample} drives. */
export type SampleScheduler = DDPMScheduler | DDIMScheduler | NCSNScheduler;

/** Options of {@link sample} and {@link sampleBatches}. */
export interface SampleOptions {
  /** The denoiser (DDPM/DDIM: ε, x₀ or v as the scheduler's `predictionType` says; NCSN: the score network, read by its `scoreScaling`). */
  model: SampleModel;
  /**
   * DDPMScheduler (ancestral sampling), DDIMScheduler (any step count, `eta`; `setTimesteps` is called on it) or
   * NCSNScheduler (annealed Langevin dynamics: its config fixes levels, steps per level, step rule and final denoising).
   */
  scheduler: SampleScheduler;
  /** Length of the image sequence (images 0 … n − 1). */
  n: number;
  /**
   * Inference steps: `scheduler.setTimesteps(numInferenceSteps)`. Default: the scheduler's current timesteps (all
   * `numTrainTimesteps` of a fresh scheduler, i.e. 1000-step DDPM; a DDIMScheduler must have had `setTimesteps` called
   * or be given this). Not used by NCSN (numScales × stepsPerScale come from its config).
   */
  numInferenceSteps?: number;
  /** Seed of the per-image streams (exactly one of `seed` and `generator`). */
  seed?: number;
  /** Alternatively a generator: one base seed is drawn from it (two uniforms), then per-image streams as with `seed`. */
  generator?: Generator;
  /**
   * Class of every image (one number) or of each image of the whole sequence (n numbers, indexed by absolute image
   * index, also under `range`). Required by a class-conditional UNet.
   */
  classLabels?: number | readonly number[];
  /**
   * Classifier-free guidance weight w (default 1 = none): output = u + w·(c − u), where c is the conditional and u the
   * output with `nullClass`. Needs a class-conditional model trained with label dropout to a null class.
   */
  guidanceScale?: number;
  /** The null class of label dropout (the trainer uses the number of classes; a checkpoint's trainer_state.json has it as classes.nullClass). */
  nullClass?: number;
  /** Images per model call (default 16). With guidance each call evaluates 2 × batchSize. */
  batchSize?: number;
  /** DDIM only: noise weight η (default 0, deterministic). */
  eta?: number;
  /**
   * Generate only images [start, end) of the n-image sequence (default [0, n]). Their values equal those images of the
   * full run: noise is per image, and batches are aligned to absolute multiples of `batchSize` (see {@link sampleBatches}).
   */
  range?: readonly [number, number];
  /** Image shape [C, H, W]. Default for a UNet2DModel: [inChannels, sampleSize…]; required for a function model. */
  shape?: readonly [number, number, number];
  /** Backend of the samples. Default: that of the model's first parameter, else the current backend. */
  backend?: BackendName | Backend;
  /** 'images' (default): (x + 1)/2 clamped to [0, 1] (the trainer's data range is [−1, 1]); 'raw': x itself. */
  output?: 'images' | 'raw';
  /** Called after every batch with its absolute image range and images (the tensor stays owned by sample()). */
  onBatch?: (batch: SampleBatch) => void | Promise<void>;
}

/** One batch of {@link sampleBatches}: images [end − start, C, H, W] of absolute indices [start, end). */
export interface SampleBatch {
  start: number;
  end: number;
  images: Tensor;
}

/**
 * The seed of image `index`'s noise stream for a run seeded `seed` (its initial noise and every step's noise are drawn
 * from `new Generator(imageSeed(seed, index))`, in order).
 *
 * @example
 * const g = new Generator(imageSeed(42, 7)); // the stream of image 7
 */
export function imageSeed(seed: number, index: number): number {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`sample: seed must be a non-negative safe integer, got ${seed}`);
  return Math.floor(streamRandom(seed, index).random() * 2 ** 53);
}

interface Resolved {
  model: SampleModel;
  scheduler: SampleScheduler;
  n: number;
  start: number;
  end: number;
  batchSize: number;
  shape: [number, number, number];
  backend: Backend;
  labels: number[] | null;
  guidance: number;
  nullClass: number | null;
  eta: number;
  output: 'images' | 'raw';
}

function isUNet(m: SampleModel): m is UNet2DModel {
  return m instanceof UNet2DModel;
}

function int(v: unknown, what: string, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`sample: ${what} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

async function resolve(o: SampleOptions): Promise<{ r: Resolved; seed: number }> {
  if (!o || typeof o !== 'object') throw new Error('sample: expected an options object { model, scheduler, n, seed | generator, … }');
  const { model, scheduler } = o;
  if (typeof model !== 'function' && (typeof model !== 'object' || model === null || typeof (model as { call?: unknown }).call !== 'function')) {
    throw new Error('sample: model must be a UNet2DModel, an object with call(sample, timestep, options) or a function');
  }
  if (!(scheduler instanceof DDPMScheduler) && !(scheduler instanceof DDIMScheduler) && !(scheduler instanceof NCSNScheduler)) {
    throw new Error(`sample: scheduler must be a DDPMScheduler, DDIMScheduler or NCSNScheduler, got ${(scheduler as object | undefined)?.constructor?.name ?? String(scheduler)}`);
  }
  const n = int(o.n, 'n', 1);
  const batchSize = int(o.batchSize ?? 16, 'batchSize', 1);
  const [start, end] = o.range ?? [0, n];
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > n || start >= end) {
    throw new Error(`sample: range must be integers 0 ≤ start < end ≤ n = ${n}, got [${String(start)}, ${String(end)}]`);
  }
  if ((o.seed === undefined) === (o.generator === undefined)) throw new Error('sample: give exactly one of seed and generator');

  // The image shape and backend.
  let shape: [number, number, number];
  if (o.shape) {
    if (o.shape.length !== 3 || o.shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`sample: shape must be [C, H, W] of positive integers, got [${o.shape.join(', ')}]`);
    shape = [o.shape[0], o.shape[1], o.shape[2]];
  } else if (isUNet(model)) {
    const s = model.config.sampleSize;
    if (s === null) throw new Error('sample: the UNet config has no sampleSize; pass shape: [C, H, W]');
    const [h, w] = typeof s === 'number' ? [s, s] : s;
    shape = [model.config.inChannels, h, w];
  } else {
    throw new Error('sample: a function model needs shape: [C, H, W]');
  }
  let backend: Backend;
  if (o.backend !== undefined) backend = typeof o.backend === 'string' ? getBackend(o.backend) : o.backend;
  else if (isUNet(model) && model.parameters().length > 0) backend = model.parameters()[0]!.backend;
  else backend = getBackend();

  // Class labels and guidance.
  let labels: number[] | null = null;
  if (o.classLabels !== undefined) {
    labels = typeof o.classLabels === 'number' ? new Array<number>(n).fill(o.classLabels) : [...o.classLabels];
    if (labels.length !== n) throw new Error(`sample: classLabels has ${labels.length} entries but n is ${n} (one per image of the whole sequence, or one number for all)`);
    const bad = labels.find((l) => !Number.isInteger(l) || l < 0);
    if (bad !== undefined) throw new Error(`sample: class labels must be non-negative integers, got ${bad}`);
  }
  const guidance = o.guidanceScale ?? 1;
  if (typeof guidance !== 'number' || !Number.isFinite(guidance)) throw new Error(`sample: guidanceScale must be a finite number, got ${String(guidance)}`);
  let nullClass: number | null = null;
  if (isUNet(model)) {
    const c = model.config;
    const classes = c.classEmbedType === null ? c.numClassEmbeds : null;
    const conditional = c.numClassEmbeds !== null || c.classEmbedType !== null;
    if (conditional && !labels) throw new Error('sample: this UNet is class-conditional (numClassEmbeds / classEmbedType); pass classLabels');
    if (!conditional && labels) throw new Error('sample: classLabels were given but this UNet is unconditional (no numClassEmbeds)');
    if (labels && classes !== null) {
      const bad = labels.find((l) => l >= classes);
      if (bad !== undefined) throw new Error(`sample: class label ${bad} is outside [0, ${classes}) (the UNet's numClassEmbeds)`);
    }
    if (guidance !== 1) {
      if (classes === null) {
        throw new Error('sample: classifier-free guidance (guidanceScale ≠ 1) needs a class-conditional UNet with a class-embedding table (numClassEmbeds) holding a null class; this UNet has none');
      }
    }
  }
  if (guidance !== 1) {
    if (!labels) throw new Error('sample: classifier-free guidance (guidanceScale ≠ 1) needs classLabels');
    if (o.nullClass === undefined) {
      throw new Error('sample: classifier-free guidance (guidanceScale ≠ 1) needs nullClass, the label the model was trained with for "no class" (label dropout; a trainer checkpoint records it as classes.nullClass in trainer_state.json). Without label dropout the model has no unconditional output to guide against');
    }
    nullClass = int(o.nullClass, 'nullClass', 0);
    if (isUNet(model) && model.config.numClassEmbeds !== null && nullClass >= model.config.numClassEmbeds) {
      throw new Error(`sample: nullClass ${nullClass} is outside the UNet's [0, ${model.config.numClassEmbeds}) classes`);
    }
  } else if (o.nullClass !== undefined) {
    int(o.nullClass, 'nullClass', 0);
  }

  // Scheduler settings.
  const eta = o.eta ?? 0;
  if (typeof eta !== 'number' || !(eta >= 0) || !Number.isFinite(eta)) throw new Error(`sample: eta must be a finite number ≥ 0, got ${String(eta)}`);
  if (scheduler instanceof DDPMScheduler && eta !== 0) throw new Error('sample: eta is a DDIM setting; DDPMScheduler samples with its own variance (varianceType)');
  if (scheduler instanceof NCSNScheduler) {
    if (eta !== 0) throw new Error('sample: eta is a DDIM setting; NCSN\'s Langevin noise is set by its epsilon and stepRule');
    if (o.numInferenceSteps !== undefined) throw new Error('sample: numInferenceSteps is for DDPM/DDIM; NCSN runs numScales × stepsPerScale steps from its config');
  } else if (o.numInferenceSteps !== undefined) scheduler.setTimesteps(int(o.numInferenceSteps, 'numInferenceSteps', 1));
  else if (scheduler instanceof DDIMScheduler && scheduler.numInferenceSteps === null) {
    throw new Error('sample: give numInferenceSteps for DDIM (or call scheduler.setTimesteps first)');
  }
  const output = o.output ?? 'images';
  if (output !== 'images' && output !== 'raw') throw new Error(`sample: output must be 'images' or 'raw', got ${String(output)}`);

  let seed: number;
  if (o.seed !== undefined) {
    if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new Error(`sample: seed must be a non-negative safe integer, got ${o.seed}`);
    seed = o.seed;
  } else {
    if (!(o.generator instanceof Generator)) throw new Error('sample: generator must be a Generator');
    const u = rand([2], { generator: o.generator, backend: 'cpu' });
    const [a, b] = (await u.data()) as Float32Array;
    u.dispose();
    seed = Math.round(a! * 2 ** 24) * 2 ** 24 + Math.round(b! * 2 ** 24);
  }
  return { r: { model, scheduler, n, start, end, batchSize, shape, backend, labels, guidance, nullClass, eta, output }, seed };
}

function callModel(model: SampleModel, x: Tensor, t: number, labels: Tensor | undefined): Tensor {
  const opts = labels ? { classLabels: labels } : {};
  return typeof model === 'function' ? model(x, t, opts) : model.call(x, t, opts);
}

/** The model output for a batch, with classifier-free guidance when asked (one call on [x; x] with [labels; null]). */
function guidedOutput(r: Resolved, x: Tensor, t: number, labels: number[] | null): Tensor {
  if (!labels) return callModel(r.model, x, t, undefined);
  if (r.nullClass === null) return callModel(r.model, x, t, tensor(Int32Array.from(labels), { backend: r.backend, dtype: 'int32' }));
  const both = tensor(Int32Array.from([...labels, ...labels.map(() => r.nullClass!)]), { backend: r.backend, dtype: 'int32' });
  const out = callModel(r.model, cat([x, x], 0), t, both);
  const b = labels.length;
  const cond = out.narrow(0, 0, b);
  const uncond = out.narrow(0, b, b);
  return uncond.add(cond.sub(uncond).mul(r.guidance));
}

/** Standard-normal noise [B, C, H, W], image b's slice drawn from its own stream. */
function perImageNoise(gens: Generator[], shape: [number, number, number], backend: Backend): Tensor {
  const parts = gens.map((g) => randn([1, ...shape], { generator: g, backend }));
  return parts.length === 1 ? parts[0]! : cat(parts, 0);
}

/** Annealed Langevin dynamics for one batch: start noise, stepsPerScale steps per level, the optional final denoising. */
function runNcsn(r: Resolved, s: NCSNScheduler, gens: Generator[], labels: number[] | null): Tensor {
  let x = noGrad(() => tidy(() => {
    if (s.config.initialNoise === 'gaussian') return perImageNoise(gens, r.shape, r.backend).mul(s.initNoiseSigma);
    const parts = gens.map((g) => uniform([1, ...r.shape], -1, 1, { generator: g, backend: r.backend }));
    return parts.length === 1 ? parts[0]! : cat(parts, 0);
  }));
  const score = (level: number) => s.scoreFromModelOutput(guidedOutput(r, x, s.modelTimestep(level), labels), level);
  for (let level = 0; level < s.sigmas.length; level++) {
    for (let k = 0; k < s.config.stepsPerScale; k++) {
      const next = noGrad(() => tidy(() => s.step(score(level), level, x, { noise: perImageNoise(gens, r.shape, r.backend) }).prevSample));
      x.dispose();
      x = next;
    }
  }
  if (s.config.finalDenoise) {
    const next = noGrad(() => tidy(() => s.denoise(score(s.sigmas.length - 1), x)));
    x.dispose();
    x = next;
  }
  return x;
}

/** Runs the reverse chain for images [start, end) and returns the final x (a new tensor). */
function runBatch(r: Resolved, seed: number, start: number, end: number): Tensor {
  const gens = Array.from({ length: end - start }, (_, i) => new Generator(imageSeed(seed, start + i)));
  const labels = r.labels ? r.labels.slice(start, end) : null;
  const s = r.scheduler;
  if (s instanceof NCSNScheduler) return runNcsn(r, s, gens, labels);
  const ddim = s instanceof DDIMScheduler;
  let x = noGrad(() => tidy(() => perImageNoise(gens, r.shape, r.backend).mul(s.initNoiseSigma)));
  for (const t of s.timesteps) {
    const next = noGrad(() => tidy(() => {
      const out = guidedOutput(r, s.scaleModelInput(x, t), t, labels);
      const noise = !ddim || r.eta > 0 ? perImageNoise(gens, r.shape, r.backend) : undefined;
      return ddim ? s.step(out, t, x, { eta: r.eta, noise }).prevSample : s.step(out, t, x, { noise }).prevSample;
    }));
    x.dispose();
    x = next;
  }
  return x;
}

/**
 * Generates images [start, end) batch by batch (an async generator), for writing them out as they come. Batch k covers
 * the absolute indices [k·batchSize, (k + 1)·batchSize) ∩ [start, end), so a range starting at a multiple of
 * batchSize sees exactly the batches of the full run. Each image's initial noise and step noise come from its own
 * stream ({@link imageSeed}); on the CPU backend an image is bit-identical whatever the batching (the UNet computes each
 * sample alone); on WebGPU a different batch composition can change kernel choices (last-bit differences), so shards
 * that must equal the full run bit for bit should start at multiples of batchSize and use the same batchSize.
 * Each yielded `images` tensor belongs to the caller (dispose it).
 *
 * @example
 * for await (const { start, images } of sampleBatches({ model: unet, scheduler: new DDIMScheduler(), numInferenceSteps: 50, n: 100, seed: 1 })) {
 *   await writeSamplePngs(images, 'out', { firstIndex: start });
 *   images.dispose();
 * }
 */
export async function* sampleBatches(options: SampleOptions): AsyncGenerator<SampleBatch> {
  const { r, seed } = await resolve(options);
  const wasTraining = isUNet(r.model) ? r.model.training : false;
  if (isUNet(r.model)) r.model.eval();
  try {
    for (let at = r.start; at < r.end;) {
      const stop = Math.min(r.end, (Math.floor(at / r.batchSize) + 1) * r.batchSize);
      const x = runBatch(r, seed, at, stop);
      let images = x;
      if (r.output === 'images') {
        images = noGrad(() => tidy(() => x.add(1).div(2).clamp(0, 1)));
        x.dispose();
      }
      yield { start: at, end: stop, images };
      at = stop;
    }
  } finally {
    if (isUNet(r.model) && wasTraining) r.model.train();
  }
}

/**
 * Samples images [start, end) of an n-image sequence (default all n) in batches, returning them as one tensor
 * [end − start, C, H, W] (in [0, 1] unless `output: 'raw'`). DDPM: `new DDPMScheduler()` runs all 1000 steps; DDIM: any
 * `numInferenceSteps` and `eta`; NCSN: annealed Langevin dynamics as its config says (image i's start noise, then every
 * Langevin step's z, from its stream). The same `seed` gives the same images whatever `batchSize` and `range`
 * (see {@link sampleBatches}); memory stays flat (each step runs in `tidy` under `noGrad`, batches are read back to the
 * host as they finish).
 *
 * @example
 * const unet = await UNet2DModel.fromPretrained('run/checkpoints/step-00020000/ema');
 * const images = await sample({ model: unet, scheduler: new DDIMScheduler(), numInferenceSteps: 50, n: 64, seed: 0, classLabels: 1 });
 * await writeSamplePngs(images, 'samples');
 * @example
 * // images 32…63 of the same 100-image run (a shard), identical to those of the full run
 * const part = await sample({ model: unet, scheduler: new DDPMScheduler(), n: 100, seed: 0, batchSize: 32, range: [32, 64] });
 * @example
 * // NCSNv2-style sampling with a score UNet conditioned on the level index (output divided by σ)
 * const ncsn = new NCSNScheduler({ sigmaMax: 50, sigmaMin: 0.01, numScales: 232, stepsPerScale: 5, epsilon: 6.2e-6, stepRule: 'reference-code', finalDenoise: true });
 * const images = await sample({ model: scoreUnet, scheduler: ncsn, n: 16, seed: 3 });
 */
export async function sample(options: SampleOptions): Promise<Tensor> {
  let host: Float32Array | null = null;
  let shape: number[] = [];
  let backend: Backend | null = null;
  let first = 0;
  for await (const b of sampleBatches(options)) {
    if (!host) {
      const [start] = options.range ?? [0, options.n];
      const total = (options.range ? options.range[1] : options.n) - start;
      first = start;
      shape = [total, ...b.images.shape.slice(1)];
      host = new Float32Array(shape.reduce((p, d) => p * d, 1));
      backend = b.images.backend;
    }
    try {
      const per = b.images.size / (b.end - b.start);
      host.set((await b.images.data()) as Float32Array, (b.start - first) * per);
      await options.onBatch?.(b);
    } finally {
      b.images.dispose();
    }
  }
  return tensor(host!, { shape, backend: backend! });
}

/** The fixed settings of a {@link gridSampler}: everything of {@link SampleOptions} but what the trainer supplies. */
export type GridSamplerOptions = Omit<SampleOptions, 'model' | 'n' | 'seed' | 'generator' | 'classLabels' | 'range' | 'onBatch'>;

/**
 * A {@link GridSampler} for the trainer's periodic sample grids and metrics, sampling with {@link sample} (the trainer
 * passes the EMA or current model, the number of images, a generator with fixed seed and the class labels).
 *
 * @example
 * const sampler = gridSampler({ scheduler: new DDIMScheduler(), numInferenceSteps: 50 });
 * await trainDiffusion(unet, new DDPMScheduler(), data, { out: 'run', sampleEvery: 1000, sampler });
 */
export function gridSampler(options: GridSamplerOptions): GridSampler {
  return (model, { n, generator, classLabels }) => sample({ ...options, model, n, generator, ...(classLabels ? { classLabels } : {}) });
}
