// runTrainGan: what `radix train gan` does — read a (class-per-subfolder) image set, build StyleGAN2 G/D sized for it,
// optionally start from pretrained weights with new classes, and run @radix/gan's trainer with progress.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Tensor } from '@radix/tensor-webgpu';
import type { StyleGAN2DiscriminatorConfig, StyleGAN2GeneratorConfig } from '@radix/gan';
import type { BackendChoice } from './kit/index.js';
import { createProgress, silentProgress, type ProgressStream } from './progress.js';
import { folderWarnings, listImageFolder, readImage } from './images.js';

/** Options of {@link runTrainGan} (the CLI flags, typed). */
export interface TrainGanOptions {
  data: string;
  out: string;
  resolution: number;
  cond: boolean;
  condLoss: 'projection' | 'd2dce';
  loss: 'logistic' | 'hinge';
  ada: boolean;
  diffaug?: string;
  adaTarget?: number;
  adaKimg?: number;
  freezeG: number;
  freezeD: number;
  resumeFrom?: string;
  kimg: number;
  gamma?: number;
  batch: number;
  lr?: number;
  seed: number;
  backend: BackendChoice;
  balanced: boolean;
  mirror: boolean;
  snapshotKimg?: number;
  gridKimg?: number;
  gridPerClass?: number;
  metricsKimg?: number;
  metricsReal?: string;
  inceptionWeights?: string;
  features?: string;
  featureWeights?: string;
  channelBase?: number;
  channelMax?: number;
  zDim?: number;
  wDim?: number;
  mapLayers?: number;
  mbstdGroup?: number;
  plWeight?: number;
  styleMixing?: number;
  emaKimg?: number;
}

/** Streams of {@link runTrainGan}. */
export interface TrainGanIo {
  /** Progress bar target (omit for none). */
  progress?: ProgressStream;
  /** Notes and warnings, one line each. */
  log?: (line: string) => void;
}

/** A labelled image set read from disk. */
export interface LabelledImages {
  images: Tensor;
  labels: number[];
  classNames: string[];
  warnings: string[];
}

/**
 * Reads DATA: with `cond`, every subfolder holding images is a class (name order); otherwise the images of DATA
 * itself. Images are resized to `resolution`² (bilinear, antialiased) when their size differs.
 *
 * @example
 * const { images, labels, classNames } = await readLabelledImages('patches', 32, true);
 */
export async function readLabelledImages(dir: string, resolution: number, cond: boolean): Promise<LabelledImages> {
  const { interpolate, tensor, tidy, cat } = await import('@radix/tensor-webgpu');
  let groups: [string, string][];
  if (cond) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`train gan: cannot read folder '${dir}'`);
    const subs = readdirSync(dir).sort().filter((n) => statSync(join(dir, n)).isDirectory());
    groups = subs.map((s) => [s, join(dir, s)]);
    groups = groups.filter(([, p]) => readdirSync(p).some((f) => /\.(png|jpe?g)$/i.test(f)));
    if (groups.length < 2) throw new Error(`train gan: --cond needs at least two class subfolders with images in '${dir}', found ${groups.length}`);
  } else {
    groups = [['all', dir]];
  }
  const parts: Tensor[] = [];
  const labels: number[] = [];
  const warnings: string[] = [];
  groups.forEach(([, path], label) => {
    const listing = listImageFolder(path);
    const decoded = listing.names.map((n) => readImage(join(listing.dir, n)));
    warnings.push(...folderWarnings(listing, decoded));
    for (const img of decoded) {
      parts.push(tidy(() => {
        const t = tensor(img.data, { shape: [1, 3, img.height, img.width] });
        return img.width === resolution && img.height === resolution ? t : interpolate(t, { size: [resolution, resolution], mode: 'bilinear', antialias: true }).clamp(0, 1);
      }));
      labels.push(label);
    }
  });
  const images = tidy(() => cat(parts, 0));
  for (const p of parts) p.dispose();
  return { images, labels, classNames: groups.map(([n]) => n), warnings };
}

/** What {@link runTrainGan} returns (the trainer's result). */
export type TrainGanResult = import('@radix/gan').GanTrainResult;

/**
 * `radix train gan`: builds StyleGAN2Generator/StyleGAN2Discriminator with stylegan2-ada's 'auto' sizes (or the
 * given ones), loads `resumeFrom` weights when given, and trains; a run folder with a checkpoint is continued.
 *
 * @example
 * const r = await runTrainGan({ data: 'patches', out: 'run', resolution: 32, cond: true, condLoss: 'd2dce', loss: 'logistic',
 *   ada: true, freezeG: 0, freezeD: 0, kimg: 2, batch: 16, seed: 0, backend: 'cpu', balanced: true, mirror: false }, {});
 */
export async function runTrainGan(o: TrainGanOptions, io: TrainGanIo = {}): Promise<TrainGanResult> {
  const log = io.log ?? (() => {});
  const R = o.resolution;
  if (!(Number.isInteger(R) && R >= 8 && (R & (R - 1)) === 0)) throw new Error(`train gan: --resolution must be a power of two ≥ 8, got ${R}`);
  if (o.freezeG > 0 || o.freezeD > 0) if (!o.resumeFrom && !existsSync(join(o.out, 'checkpoint.safetensors'))) log('warning: freezing blocks of randomly initialised networks (no --resume-from); the paper freezes pretrained blocks');
  const tw = await import('@radix/tensor-webgpu');
  await tw.init({ backend: o.backend });
  const gan = await import('@radix/gan');
  const data = await readLabelledImages(o.data, R, o.cond);
  for (const w of data.warnings) log(`warning: ${w}`);
  let images = data.images;
  let labels = data.labels;
  if (o.mirror) {
    const flipped = tw.tidy(() => tw.cat([images, images.flip(3)], 0));
    images.dispose();
    images = flipped;
    labels = [...labels, ...labels];
  }
  const classes = o.cond ? data.classNames.length : 0;
  const resume = existsSync(join(o.out, gan.GAN_OUT.checkpoint));
  const batch = o.batch;
  const channels = { channelBase: o.channelBase ?? 16384, channelMax: o.channelMax ?? 512 };
  let gConfig: StyleGAN2GeneratorConfig = {
    zDim: o.zDim ?? 512, cDim: classes, wDim: o.wDim ?? 512, imgResolution: R, imgChannels: 3,
    mappingKwargs: { numLayers: o.mapLayers ?? 2 }, synthesisKwargs: { ...channels },
  };
  let dConfig: StyleGAN2DiscriminatorConfig = {
    cDim: o.condLoss === 'd2dce' ? 0 : classes, imgResolution: R, imgChannels: 3, architecture: 'resnet', ...channels,
    epilogueKwargs: { mbstdGroupSize: o.mbstdGroup ?? Math.min(batch, 4) },
  };
  let headConfig = o.cond && o.condLoss === 'd2dce' ? { inFeatures: Math.min(Math.floor(channels.channelBase / 4), channels.channelMax), numClasses: classes, embedDim: 0 } : null;
  const notes: string[] = [];
  // A continued run rebuilds the networks it recorded; a pretrained start takes the source's architecture.
  let source: import('@radix/gan').PretrainedSource | null = null;
  if (resume) {
    const ck = await gan.loadGanCheckpoint(join(o.out, gan.GAN_OUT.checkpoint));
    const cfg = ck.meta.networkConfig as { G?: StyleGAN2GeneratorConfig; D?: StyleGAN2DiscriminatorConfig; head?: typeof headConfig } | null;
    ck.dispose();
    if (!cfg?.G || !cfg.D) throw new Error(`train gan: '${join(o.out, gan.GAN_OUT.checkpoint)}' does not record its networks; cannot continue it`);
    gConfig = cfg.G;
    dConfig = cfg.D;
    headConfig = cfg.head ?? null;
    notes.push(`continuing the run in ${o.out}`);
  } else if (o.resumeFrom) {
    source = await gan.readPretrained(o.resumeFrom);
    if (source.configs?.G && source.configs.D) {
      if (source.configs.G.imgResolution !== R) throw new Error(`train gan: '${o.resumeFrom}' is a ${source.configs.G.imgResolution}² network; pass --resolution ${source.configs.G.imgResolution}`);
      gConfig = { ...source.configs.G, cDim: classes };
      dConfig = { ...source.configs.D, cDim: o.condLoss === 'd2dce' ? 0 : classes };
      const ch = (res: number) => Math.min(Math.floor((dConfig.channelBase ?? 32768) / res), dConfig.channelMax ?? 512);
      if (headConfig) headConfig = { ...headConfig, inFeatures: ch(4) };
      notes.push(`network sizes taken from ${o.resumeFrom} (size flags ignored)`);
    }
  }
  if (headConfig && headConfig.embedDim === 0) headConfig = { ...headConfig, embedDim: Math.min(512, headConfig.inFeatures) };
  const seedGen = new tw.Generator(o.seed);
  const G = new gan.StyleGAN2Generator(gConfig, { generator: seedGen });
  const D = new gan.StyleGAN2Discriminator(dConfig, { generator: seedGen });
  const gEma = new gan.StyleGAN2Generator(gConfig, { generator: seedGen });
  const head = headConfig ? new gan.D2DCEHead(headConfig.inFeatures, headConfig.numClasses, { embedDim: headConfig.embedDim, generator: seedGen }) : null;
  if (source) {
    try {
      notes.push(...gan.loadPretrainedInto(source, { G, D, gEma, head }));
    } finally {
      source.dispose();
    }
  }
  for (const n of notes) log(`note: ${n}`);
  let metrics: ((g: import('@radix/gan').GeneratorLike, step: number) => Promise<Record<string, number>>) | undefined;
  if (o.metricsReal) {
    const real = await readLabelledImages(o.metricsReal, R, o.cond);
    const m = await import('@radix/metrics');
    let extractor;
    if (o.inceptionWeights) extractor = m.inceptionExtractor(new m.FidInceptionV3(await m.loadFidInceptionWeights({ path: o.inceptionWeights })));
    else if (o.features) extractor = await m.loadFeatureExtractor(o.features, o.featureWeights ? { weights: o.featureWeights } : {});
    else throw new Error('train gan: --metrics-real needs --inception-weights FILE (FID/KID/PR/DC) or --features NAME (PR/DC)');
    metrics = gan.ganMetrics({ real: real.images, realLabels: o.cond ? real.labels : undefined, extractor });
  }
  const totalSteps = Math.max(1, Math.ceil((o.kimg * 1000) / batch));
  const progress = io.progress ? createProgress('train gan', totalSteps, io.progress, { rate: true, unit: 'step', intervalMs: 10_000 }) : silentProgress;
  let ticked = false;
  const augment = o.ada ? new gan.AdaPipe() : o.diffaug ? new gan.DiffAugmentPipe(o.diffaug) : null;
  try {
    const result = await gan.trainGan({ G, D, gEma, head }, {
      outDir: o.out, images, labels, classNames: o.cond ? data.classNames : undefined, batch, kimg: o.kimg, seed: o.seed, lr: o.lr, gamma: o.gamma,
      plWeight: o.plWeight, styleMixing: o.styleMixing, loss: o.loss, emaKimg: o.emaKimg ?? (batch * 10) / 32, augment,
      ada: { target: o.adaTarget, kimg: o.adaKimg }, d2dce: head ? {} : undefined, balanced: o.balanced, snapshotKimg: o.snapshotKimg ?? 4,
      gridKimg: o.gridKimg, gridPerClass: o.gridPerClass, metrics, metricsKimg: o.metricsKimg, resume, pretrained: o.resumeFrom !== undefined,
      networkConfig: { G: gConfig, D: dConfig, head: headConfig }, freezeG: o.freezeG, freezeD: o.freezeD, notes,
      onNote: (n) => log(`note: ${n}`),
      onStep: (info) => {
        if (!ticked && info.step > 1) progress.tick(info.step - 1);
        ticked = true;
        const l = info.losses;
        const parts = [`G ${fmt(l['G/loss'])}`, `D ${fmt(l['D/loss'])}`];
        if (l['D/r1'] !== undefined) parts.push(`R1 ${fmt(l['D/r1'])}`);
        if (info.p !== null) parts.push(`p ${info.p.toFixed(3)}`);
        progress.tick(1, `${parts.join(' ')} ${info.kimgPerSec.toFixed(3)} kimg/s`);
      },
    });
    progress.done();
    return result;
  } finally {
    images.dispose();
  }
}

function fmt(v: number | undefined): string {
  return v === undefined ? '-' : v.toFixed(3);
}
