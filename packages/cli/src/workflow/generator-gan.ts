// The GAN variants of an experiment on @radix/gan: one StyleGAN2 per class — trained from scratch on the class's
// labelled patches, or pretrained once on the unlabelled pool and fine-tuned per class (optionally with frozen
// G/D blocks, freezeG/freezeD) — then `perClass` images sampled from each class's EMA generator.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdaPipe, DiffAugmentPipe, StyleGAN2Discriminator, StyleGAN2Generator, generateImages, loadGanCheckpoint, trainGan, type GanNetworks } from '@radix/gan';
import { Generator, tensor, type Backend } from '@radix/tensor-webgpu';
import { toJsonText, writeFileAtomic } from '../kit/output.js';
import type { GeneratedSet, GenerateContext, GeneratorAdapter } from './generators.js';
import { concatPatches, patchCount, type PatchSet } from './patch-set.js';

/** The `train` settings of a gan variant and their defaults (`radix demo` uses its own, smaller ones: see demo.ts). */
export const GAN_TRAIN_DEFAULTS = Object.freeze({
  /** Minibatches of pretraining on the pool (pretrained / finetune). */
  pretrainSteps: 300,
  /** Minibatches per class (scratch: from a random start; otherwise fine-tuning). */
  steps: 150,
  batch: 16,
  /** Channels of every G and D block (StyleGAN2's channelMax). */
  channels: 32,
  /** z and w size. */
  latent: 64,
  mappingLayers: 2,
  /** 'ada' (StyleGAN2-ADA, target 0.6), 'diffaugment' (color,translation,cutout) or 'none'. */
  augment: 'ada' as 'ada' | 'diffaugment' | 'none',
  lr: 0.0025,
  /** R1 weight (StyleGAN2's default 0.0002·res²/batch when null). */
  gamma: null as number | null,
  truncationPsi: 1,
});

/** Resolved gan settings. */
export type GanTrainSettings = { -readonly [K in keyof typeof GAN_TRAIN_DEFAULTS]: (typeof GAN_TRAIN_DEFAULTS)[K] };

/**
 * Checks a gan variant's `train` object (unknown keys and bad values name the key) and fills the defaults.
 *
 * @example
 * ganTrainSettings({ steps: 50 }, 'config.variants[2].train').steps; // 50
 */
export function ganTrainSettings(train: Record<string, unknown>, where: string): GanTrainSettings {
  const s: GanTrainSettings = { ...GAN_TRAIN_DEFAULTS };
  for (const [k, v] of Object.entries(train)) {
    if (!(k in GAN_TRAIN_DEFAULTS)) throw new Error(`${where}: unknown key '${k}' (allowed: ${Object.keys(GAN_TRAIN_DEFAULTS).join(', ')})`);
    if (k === 'augment') {
      if (v !== 'ada' && v !== 'diffaugment' && v !== 'none') throw new Error(`${where}.augment must be 'ada', 'diffaugment' or 'none', got ${JSON.stringify(v)}`);
      s.augment = v;
    } else if (k === 'gamma' && v === null) s.gamma = null;
    else {
      const int = k !== 'lr' && k !== 'gamma' && k !== 'truncationPsi';
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (int && (!Number.isInteger(v) || v < 1))) throw new Error(`${where}.${k} must be ${int ? 'a positive integer' : 'a non-negative number'}, got ${JSON.stringify(v)}`);
      (s as Record<string, unknown>)[k] = v;
    }
  }
  return s;
}

function networks(size: number, s: GanTrainSettings, seed: number, backend: Backend): GanNetworks {
  const gConf = {
    zDim: s.latent, cDim: 0, wDim: s.latent, imgResolution: size, imgChannels: 3, mappingKwargs: { numLayers: s.mappingLayers },
    synthesisKwargs: { channelBase: s.channels * size * 2, channelMax: s.channels },
  };
  const G = new StyleGAN2Generator(gConf, { backend, generator: new Generator(seed) });
  const gEma = new StyleGAN2Generator(gConf, { backend, generator: new Generator(seed) });
  const D = new StyleGAN2Discriminator({ cDim: 0, imgResolution: size, imgChannels: 3, channelBase: s.channels * size * 2, channelMax: s.channels }, { backend, generator: new Generator(seed + 1) });
  return { G, D, gEma } as unknown as GanNetworks;
}

function curves(outDir: string, prefix: string, into: GeneratedSet['curves']): void {
  const log = join(outDir, 'log.jsonl');
  if (!existsSync(log)) return;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { step?: number; losses?: Record<string, number>; p?: number | null } & Record<string, unknown>;
    if (typeof r.step !== 'number') continue;
    const put = (name: string, v: unknown): void => {
      if (typeof v !== 'number' || !Number.isFinite(v)) return;
      (into[`${prefix} ${name}`] ??= []).push({ step: r.step!, value: v });
    };
    for (const [k, v] of Object.entries(r.losses ?? {})) put(k, v);
    put('ADA p', r.p);
  }
}

async function train(nets: GanNetworks, images: PatchSet, size: number, s: GanTrainSettings, opts: { outDir: string; steps: number; seed: number; backend: Backend; pretrained: boolean; freezeG: number; freezeD: number; log: (l: string) => void; label: string }): Promise<void> {
  const done = join(opts.outDir, 'done.json');
  if (existsSync(done)) return;
  const resume = existsSync(join(opts.outDir, 'checkpoint.safetensors'));
  const x = tensor(images.images, { shape: [patchCount(images, size), 3, size, size], backend: opts.backend });
  const every = Math.max(1, Math.floor(opts.steps / 5));
  const t0 = performance.now();
  const r = await trainGan(nets, {
    outDir: opts.outDir, images: x, batch: s.batch, steps: opts.steps, seed: opts.seed, lr: s.lr, ...(s.gamma !== null ? { gamma: s.gamma } : {}),
    augment: s.augment === 'ada' ? new AdaPipe() : s.augment === 'diffaugment' ? new DiffAugmentPipe() : null,
    snapshotSteps: Math.max(1, Math.floor(opts.steps / 4)), gridSteps: 0, resume, pretrained: opts.pretrained, freezeG: opts.freezeG, freezeD: opts.freezeD,
    onStep: (i) => { if (i.step % every === 0) opts.log(`${opts.label}: step ${i.step}/${i.totalSteps} ${Object.entries(i.losses).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' ')}${i.p !== null ? ` p ${i.p.toFixed(3)}` : ''}`); },
  });
  x.dispose();
  if (r.status !== 'done') throw new Error(`${opts.label}: GAN training stopped: ${r.message ?? r.status}`);
  await writeFileAtomic(done, toJsonText({ steps: r.steps, kimg: r.kimg, seconds: (performance.now() - t0) / 1000, resumed: resume }));
}

async function loadPretrained(nets: GanNetworks, path: string, backend: Backend): Promise<void> {
  const ck = await loadGanCheckpoint(path, { backend });
  try {
    (nets.G as unknown as StyleGAN2Generator).loadStateDict(ck.modules.G!);
    (nets.D as unknown as StyleGAN2Discriminator).loadStateDict(ck.modules.D!);
    (nets.gEma as unknown as StyleGAN2Generator).loadStateDict(ck.modules.G_ema ?? ck.modules.G!);
  } finally {
    ck.dispose();
  }
}

/** The gan adapter (see the file header). */
export const ganAdapter: GeneratorAdapter = {
  kind: 'gan',
  checkTrain: ganTrainSettings,
  async generate(ctx: GenerateContext): Promise<GeneratedSet> {
    const { dataset: ds, variant: v, jobDir, backend, seed, log } = ctx;
    const s = ganTrainSettings(v.train, `variant '${v.name}' train`);
    const size = ds.size;
    if ((size & (size - 1)) !== 0 || size < 8) throw new Error(`variant '${v.name}': StyleGAN2 needs a power-of-two patch size ≥ 8, got ${size}`);
    const out: GeneratedSet['curves'] = {};
    const pre = join(jobDir, 'pretrain');
    if (v.init !== 'scratch') {
      if (patchCount(ds.pool, size) < 2) throw new Error(`variant '${v.name}': init '${v.init}' pretrains on the unlabelled pool, which is empty`);
      const nets = networks(size, s, seed, backend);
      await train(nets, ds.pool, size, s, { outDir: pre, steps: s.pretrainSteps, seed, backend, pretrained: false, freezeG: 0, freezeD: 0, log, label: `${v.name} pretrain (pool)` });
      curves(pre, 'pretrain', out);
    }
    const parts: PatchSet[] = [];
    const per = 3 * size * size;
    for (let c = 0; c < ds.classes.length; c++) {
      const ids = [...ds.train.labels.keys()].filter((i) => ds.train.labels[i] === c);
      const mine: PatchSet = { images: new Float32Array(ids.length * per), labels: new Int32Array(ids.length).fill(c), origins: [] };
      ids.forEach((id, k) => mine.images.set(ds.train.images.subarray(id * per, (id + 1) * per), k * per));
      const dir = join(jobDir, `class${c}`);
      const nets = networks(size, s, seed + 10 * (c + 1), backend);
      if (v.init !== 'scratch' && !existsSync(join(dir, 'checkpoint.safetensors'))) await loadPretrained(nets, join(pre, 'checkpoint.safetensors'), backend);
      const label = `${v.name} ${v.init === 'scratch' ? 'train' : 'fine-tune'} ${ds.classes[c]}`;
      await train(nets, mine, size, s, {
        outDir: dir, steps: s.steps, seed: seed + c + 1, backend, pretrained: v.init !== 'scratch', freezeG: v.init === 'finetune' ? v.freezeG : 0,
        freezeD: v.init === 'finetune' ? v.freezeD : 0, log, label,
      });
      curves(dir, ds.classes[c]!, out);
      // Sample from the EMA generator of the finished run (the checkpoint holds it).
      const ck = await loadGanCheckpoint(join(dir, 'checkpoint.safetensors'), { backend });
      (nets.gEma as unknown as StyleGAN2Generator).loadStateDict(ck.modules.G_ema!);
      ck.dispose();
      const img = generateImages(nets.gEma, new Array<null>(v.perClass).fill(null), { seed: seed * 1000 + c, truncationPsi: s.truncationPsi, noiseMode: 'const' });
      const data = Float32Array.from((await img.data()) as Float32Array);
      img.dispose();
      for (const m of [nets.G, nets.D, nets.gEma] as unknown as { dispose(): void }[]) m.dispose();
      parts.push({ images: data, labels: new Int32Array(v.perClass).fill(c), origins: [] });
    }
    const set = concatPatches(parts);
    set.origins = Array.from(set.labels, () => ({ source: v.name, x: 0, y: 0 }));
    return {
      set, curves: out,
      details: { generator: 'StyleGAN2 (one per class, unconditional)', init: v.init, freezeG: v.freezeG, freezeD: v.freezeD, ...s, perClass: v.perClass },
    };
  },
};
