// The diffusion variants of an experiment on @radix/diffusion: a class-conditional UNet2DModel trained as a DDPM
// (ε-, x₀- or v-prediction, 1000 steps, linear betas) on the labelled patches with class-balanced batches, sampled per class
// with DDIM (η = 0) in `samplingSteps` steps; a killed job resumes from the trainer's newest checkpoint.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DDIMScheduler, DDPMScheduler, UNet2DModel, trainDiffusion } from '@radix/diffusion';
import { Generator, manualSeed, noGrad, randn, tensor, tidy, type Backend, type Tensor } from '@radix/tensor-webgpu';
import type { GeneratedSet, GenerateContext, GeneratorAdapter } from './generators.js';
import { patchCount } from './patch-set.js';

/** The `train` settings of a diffusion variant and their defaults (`radix demo` uses its own, smaller ones: see demo.ts). */
export const DIFFUSION_TRAIN_DEFAULTS = Object.freeze({
  steps: 400,
  batchSize: 16,
  lr: 1e-3,
  warmupSteps: 20,
  /** UNet widths per resolution level (two levels: 32 → 16 for 32×32 patches). */
  channels: [16, 32] as number[],
  layersPerBlock: 1,
  /** DDIM steps when sampling. */
  samplingSteps: 25,
  /** What the UNet predicts: the noise ε (DDPM's choice), the clean image x₀ ('sample') or v ('v_prediction'). */
  predictionType: 'epsilon' as 'epsilon' | 'sample' | 'v_prediction',
});

/** Resolved diffusion settings. */
export type DiffusionTrainSettings = { -readonly [K in keyof typeof DIFFUSION_TRAIN_DEFAULTS]: (typeof DIFFUSION_TRAIN_DEFAULTS)[K] };

/**
 * Checks a diffusion variant's `train` object (unknown keys and bad values name the key) and fills the defaults.
 *
 * @example
 * diffusionTrainSettings({ steps: 100 }, 'config.variants[3].train').samplingSteps; // 25
 */
export function diffusionTrainSettings(train: Record<string, unknown>, where: string): DiffusionTrainSettings {
  const s: DiffusionTrainSettings = { ...DIFFUSION_TRAIN_DEFAULTS, channels: [...DIFFUSION_TRAIN_DEFAULTS.channels] };
  for (const [k, v] of Object.entries(train)) {
    if (!(k in DIFFUSION_TRAIN_DEFAULTS)) throw new Error(`${where}: unknown key '${k}' (allowed: ${Object.keys(DIFFUSION_TRAIN_DEFAULTS).join(', ')})`);
    if (k === 'predictionType') {
      if (v !== 'epsilon' && v !== 'sample' && v !== 'v_prediction') throw new Error(`${where}.predictionType must be 'epsilon', 'sample' or 'v_prediction', got ${JSON.stringify(v)}`);
      s.predictionType = v;
    } else if (k === 'channels') {
      if (!Array.isArray(v) || v.length < 1 || v.some((c) => !Number.isInteger(c) || c < 2 || c % 2 !== 0)) throw new Error(`${where}.channels must be a list of even integers ≥ 2, got ${JSON.stringify(v)}`);
      s.channels = v as number[];
    } else {
      const int = k !== 'lr';
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (int && (!Number.isInteger(v) || (k !== 'warmupSteps' && v < 1)))) throw new Error(`${where}.${k} must be ${int ? 'a positive integer' : 'a non-negative number'}, got ${JSON.stringify(v)}`);
      (s as Record<string, unknown>)[k] = v;
    }
  }
  return s;
}

const TARGET = { epsilon: 'ε', sample: 'x₀', v_prediction: 'v' } as const;

function unet(size: number, classes: number, s: DiffusionTrainSettings, backend: Backend, seed: number): UNet2DModel {
  manualSeed(seed);
  const levels = s.channels.length;
  return UNet2DModel.fromConfig({
    sampleSize: size, inChannels: 3, outChannels: 3, blockOutChannels: s.channels, layersPerBlock: s.layersPerBlock,
    normNumGroups: Math.min(8, s.channels[0]! / 2), downBlockTypes: new Array<string>(levels).fill('DownBlock2D'), upBlockTypes: new Array<string>(levels).fill('UpBlock2D'),
    numClassEmbeds: classes, addAttention: false,
  }, { backend });
}

/** The diffusion adapter (see the file header). */
export const diffusionAdapter: GeneratorAdapter = {
  kind: 'diffusion',
  checkTrain: diffusionTrainSettings,
  async generate(ctx: GenerateContext): Promise<GeneratedSet> {
    const { dataset: ds, variant: v, jobDir, backend, seed, log } = ctx;
    const s = diffusionTrainSettings(v.train, `variant '${v.name}' train`);
    const size = ds.size;
    const k = ds.classes.length;
    if (size % 2 ** (s.channels.length - 1) !== 0) throw new Error(`variant '${v.name}': the patch size ${size} must be divisible by 2^(levels − 1) = ${2 ** (s.channels.length - 1)}`);
    const per = 3 * size * size;
    const n = patchCount(ds.train, size);
    const data = {
      channels: 3, height: size, width: size, images: Array.from({ length: n }, (_, i) => ds.train.images.slice(i * per, (i + 1) * per)),
      labels: [...ds.train.labels], classNames: ds.classes,
    };
    const model = unet(size, k, s, backend, seed);
    const scheduler = new DDPMScheduler({ numTrainTimesteps: 1000, betaSchedule: 'linear', predictionType: s.predictionType });
    const out = join(jobDir, 'ddpm');
    const resume = existsSync(join(out, 'checkpoints'));
    const every = Math.max(1, Math.floor(s.steps / 5));

    const r = await trainDiffusion(model, scheduler, data, {
      out, steps: s.steps, batchSize: s.batchSize, lr: s.lr, warmupSteps: Math.min(s.warmupSteps, s.steps), seed, resume,
      checkpointEvery: Math.max(1, Math.floor(s.steps / 4)), sampleEvery: 0, classBalanced: true, logEvery: 1,
      onStep: (i) => { if (i.step % every === 0) log(`${v.name}: step ${i.step}/${i.totalSteps} loss ${i.loss.toFixed(4)}`); },
    });
    if (r.status !== 'completed') throw new Error(`${v.name}: diffusion training stopped (${r.status}${r.nanStep !== undefined ? ` at step ${r.nanStep}` : ''})`);

    const curve: { step: number; value: number }[] = [];
    const logPath = join(out, 'log.jsonl');
    if (existsSync(logPath)) {
      for (const line of readFileSync(logPath, 'utf8').split('\n')) {
        if (!line.trim()) continue;
        const rec = JSON.parse(line) as { step?: number; loss?: number };
        if (typeof rec.step === 'number' && typeof rec.loss === 'number') curve.push({ step: rec.step, value: rec.loss });
      }
    }
    model.eval();
    const ddim = new DDIMScheduler({ numTrainTimesteps: 1000, betaSchedule: 'linear', predictionType: s.predictionType });
    ddim.setTimesteps(s.samplingSteps);
    const labels = Array.from({ length: k * v.perClass }, (_, i) => Math.floor(i / v.perClass));
    const images = new Float32Array(labels.length * per);
    const chunk = 32;
    const g = new Generator(seed * 7919 + 1);
    for (let at = 0; at < labels.length; at += chunk) {
      const lab = labels.slice(at, at + chunk);
      let x: Tensor = randn([lab.length, 3, size, size], { generator: g, backend });
      const classLabels = tensor(lab, { dtype: 'int32', backend });
      for (const t of ddim.timesteps) {
        const next = noGrad(() => tidy(() => ddim.step(model.call(x, t, { classLabels }), t, x, { eta: 0 }).prevSample));
        x.dispose();
        x = next;
      }
      classLabels.dispose();
      const img = tidy(() => x.add(1).div(2).clamp(0, 1));
      images.set((await img.data()) as Float32Array, at * per);
      x.dispose();
      img.dispose();
    }
    model.dispose();
    return {
      set: { images, labels: Int32Array.from(labels), origins: labels.map(() => ({ source: v.name, x: 0, y: 0 })) },
      curves: { 'DDPM loss': curve },
      details: { generator: `class-conditional UNet2DModel, DDPM training (${TARGET[s.predictionType]}-prediction, 1000 linear-beta steps), DDIM sampling η = 0`, ...s, perClass: v.perClass },
    };
  },
};
