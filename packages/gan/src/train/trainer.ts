// The GAN training loop of StyleGAN2-ADA for small labelled sets: lazy regularisation with separate optimizer steps per
// phase, G EMA, ADA's p controller, frozen blocks, atomic checkpoints with exact resume, grids, metrics and a JSONL log.
import { appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Tensor, atomicWriteFile, keep, optim, tensor, tidy } from '@radix/tensor-webgpu';
import { AdaController } from '../augment/ada-controller.js';
import { StyleGAN2Discriminator } from '../networks/discriminator.js';
import { AdaPipe } from '../augment/ada-pipe.js';
import { freezeD, freezeG } from '../freeze.js';
import { PathLengthRegularizer } from '../losses/path-length.js';
import { r1GammaHeuristic } from '../losses/r1.js';
import { MinibatchSampler } from './balanced-sampler.js';
import { type GanCheckpointMeta, loadGanCheckpoint, saveGanCheckpoint } from './checkpoint.js';
import type { DiscriminatorLike, GeneratorLike } from './contract.js';
import { emaBeta, updateGEma } from './g-ema.js';
import type { GanStepInfo, GanTrainOptions } from './options.js';
import { type D2DCEHeadLike, type PhaseBatch, type PhaseContext, type PhaseScalars, dMainPhase, dRegPhase, gMainPhase, gRegPhase } from './phases.js';
import { encodePng, generateImages, tileImages } from './sample-grid.js';

/** The networks of a run: G, D, the EMA copy of G and (for D2D-CE) the conditioning head. */
export interface GanNetworks {
  G: GeneratorLike;
  D: DiscriminatorLike;
  /** A second instance of G's architecture; it is overwritten with G's weights unless resuming. */
  gEma: GeneratorLike;
  head?: D2DCEHeadLike | null;
}

/** What {@link trainGan} returns. */
export interface GanTrainResult {
  /** 'done', or 'nan' when a loss became non-finite (training stopped before the bad step; the last checkpoint stays). */
  status: 'done' | 'nan';
  steps: number;
  kimg: number;
  seconds: number;
  checkpoint: string | null;
  message: string | null;
  notes: string[];
}

/** File names inside the output folder. */
export const GAN_OUT = { checkpoint: 'checkpoint.safetensors', log: 'log.jsonl', grids: 'grids' } as const;

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

function lazyAdam(params: Tensor[], lr: number, betas: [number, number], interval: number | null): optim.Adam {
  // StyleGAN2's lazy regularisation: with a regulariser every k minibatches, scale lr and betas by k/(k+1).
  const r = interval ? interval / (interval + 1) : 1;
  return new optim.Adam(params, { lr: lr * r, betas: [betas[0] ** r, betas[1] ** r], eps: 1e-8 });
}

/**
 * Trains a (conditional) StyleGAN2 on a small image set. Every minibatch runs Gmain, Greg (path length, every
 * `plInterval`, when `plWeight` > 0), Dmain and Dreg (R1 every `r1Interval`), each with its own Adam step; then the
 * EMA of G and ADA's p are updated. Checkpoints (outDir/checkpoint.safetensors) are atomic and a `resume` continues
 * bit-identically on the CPU. A non-finite loss stops training before the step that would corrupt the weights.
 *
 * @example
 * const res = await trainGan({ G, D, gEma }, { outDir: 'runs/ihc', images, labels, batch: 16, kimg: 5, augment: new AdaPipe() });
 * console.log(res.status, res.kimg);
 */
export async function trainGan(nets: GanNetworks, options: GanTrainOptions): Promise<GanTrainResult> {
  const { G, D, gEma } = nets;
  const head = nets.head ?? null;
  const out = options.outDir;
  const images = options.images;
  if (images.ndim !== 4) throw new Error(`trainGan: images must be [N, C, H, W], got [${images.shape.join(', ')}]`);
  const [n, ch, h, w] = images.shape as [number, number, number, number];
  if (h !== G.imgResolution || w !== G.imgResolution || ch !== G.imgChannels) {
    throw new Error(`trainGan: images are ${ch}×${h}×${w} but the generator makes ${G.imgChannels}×${G.imgResolution}×${G.imgResolution}`);
  }
  const classes = Math.max(G.cDim, head?.numClasses ?? 0);
  const labels = options.labels ? [...options.labels] : new Array<number>(n).fill(0);
  if (labels.length !== n) throw new Error(`trainGan: ${labels.length} labels for ${n} images`);
  if (classes > 0) for (const l of labels) if (!(Number.isInteger(l) && l >= 0 && l < classes)) throw new Error(`trainGan: label ${l} outside [0, ${classes})`);
  if (head && !(D instanceof StyleGAN2Discriminator) && !('forwardWithFeatures' in D)) throw new Error('trainGan: D2D-CE needs a StyleGAN2Discriminator or a discriminator with forwardWithFeatures(img, c)');
  const batch = options.batch ?? 32;
  if (!(Number.isInteger(batch) && batch >= 2)) throw new Error(`trainGan: batch must be an integer ≥ 2, got ${batch}`);
  const seed = options.seed ?? 0;
  const toSteps = (k: number | undefined, s: number | undefined, dflt: number) => s ?? (k !== undefined ? Math.max(1, Math.round((k * 1000) / batch)) : dflt);
  const totalSteps = options.steps ?? Math.max(1, Math.ceil(((options.kimg ?? 25) * 1000) / batch));
  const snapshotSteps = toSteps(options.snapshotKimg, options.snapshotSteps, Math.max(1, Math.round(4000 / batch)));
  const gridSteps = toSteps(options.gridKimg, options.gridSteps, snapshotSteps);
  const metricsSteps = options.metrics ? toSteps(options.metricsKimg, options.metricsSteps, snapshotSteps) : 0;
  const pretrained = options.pretrained ?? false;
  const resolved = {
    batch, seed, totalSteps, lr: options.lr ?? 0.0025, betas: options.betas ?? [0, 0.99],
    gamma: options.gamma ?? r1GammaHeuristic(G.imgResolution, batch), r1Interval: options.r1Interval ?? 16,
    plWeight: options.plWeight ?? 0, plInterval: options.plInterval ?? 4, plDecay: options.plDecay ?? 0.01,
    styleMixing: options.styleMixing ?? 0.9, loss: options.loss ?? 'logistic', emaKimg: options.emaKimg ?? 10,
    emaRampup: options.emaRampup !== undefined ? options.emaRampup : pretrained ? null : 0.05,
    adaTarget: options.ada?.target ?? 0.6, adaInterval: options.ada?.interval ?? 4, adaKimg: options.ada?.kimg ?? (pretrained ? 100 : 500),
    balanced: options.balanced ?? false, augment: options.augment?.describe() ?? 'none',
    d2dce: head ? { lambda: options.d2dce?.lambda ?? 0.25, margin: options.d2dce?.margin ?? 0.98, temperature: options.d2dce?.temperature ?? 0.25 } : null,
    freezeG: options.freezeG ?? 0, freezeD: options.freezeD ?? 0,
  };
  const notes = [...(options.notes ?? [])];

  // Frozen blocks get requiresGrad false and are left out of the optimizers (so they carry no state).
  const gFreeze = freezeG(G, resolved.freezeG);
  const dFreeze = freezeD(D, resolved.freezeD);
  if (gFreeze.blocks.length) notes.push(`frozen G blocks: ${gFreeze.blocks.join(', ')}`);
  if (dFreeze.blocks.length) notes.push(`frozen D blocks: ${dFreeze.blocks.join(', ')}`);
  const dTrainable = [...dFreeze.trainable, ...(head ? head.parameters() : [])];
  if (gFreeze.trainable.length === 0) notes.push('every generator parameter is frozen: only D trains');
  if (dTrainable.length === 0) throw new Error(`trainGan: freezeD(${resolved.freezeD}) leaves the discriminator nothing to train`);
  for (const n of notes.slice(options.notes?.length ?? 0)) options.onNote?.(n);
  const optG = gFreeze.trainable.length > 0 ? lazyAdam(gFreeze.trainable, resolved.lr, resolved.betas as [number, number], resolved.plWeight > 0 ? resolved.plInterval : null) : null;
  const optD = lazyAdam(dTrainable, resolved.lr, resolved.betas as [number, number], resolved.gamma > 0 ? resolved.r1Interval : null);
  const pl = resolved.plWeight > 0 ? new PathLengthRegularizer({ decay: resolved.plDecay, weight: resolved.plWeight }) : null;
  const ada = options.augment instanceof AdaPipe
    ? new AdaController(options.augment, { batch, target: resolved.adaTarget, interval: resolved.adaInterval, kimg: resolved.adaKimg })
    : null;
  for (const p of gEma.parameters()) p.requiresGrad_(false);
  gEma.eval();

  await mkdir(join(out, GAN_OUT.grids), { recursive: true });
  const ckptPath = join(out, GAN_OUT.checkpoint);
  const logPath = join(out, GAN_OUT.log);
  let step = 0;
  if (options.resume) {
    const ck = await loadGanCheckpoint(ckptPath, { backend: images.backend });
    try {
      const saved = ck.meta.options;
      for (const k of ['batch', 'seed', 'freezeG', 'freezeD'] as const) {
        if (saved[k] !== resolved[k]) throw new Error(`trainGan: cannot resume '${ckptPath}': it was trained with ${k} = ${String(saved[k])}, now ${String(resolved[k])}`);
      }
      G.loadStateDict(ck.modules.G!);
      D.loadStateDict(ck.modules.D!);
      gEma.loadStateDict(ck.modules.G_ema!);
      if (head) head.loadStateDict(ck.modules.head ?? {});
      if (ck.optimizers.optG && optG) optG.loadStateDict(ck.optimizers.optG);
      if (ck.optimizers.optD) optD.loadStateDict(ck.optimizers.optD);
      if (ada && ck.meta.ada) ada.loadState(ck.meta.ada);
      if (pl) pl.commit(ck.meta.plMean, ck.meta.plLast);
      step = ck.meta.step;
    } finally {
      ck.dispose();
    }
    // Drop log lines of minibatches after the checkpoint (an interrupted run may have logged them).
    const kept = (await readFile(logPath, 'utf8').catch(() => '')).split('\n').filter((l) => l && (JSON.parse(l) as { step?: number }).step! <= step);
    await atomicWriteFile(logPath, [new TextEncoder().encode(kept.map((l) => `${l}\n`).join(''))]);
  } else {
    if (await exists(ckptPath)) throw new Error(`trainGan: '${ckptPath}' exists; resume it (resume: true / --resume) or choose another output folder`);
    gEma.loadStateDict(G.stateDict());
    await atomicWriteFile(logPath, [new TextEncoder().encode(`${JSON.stringify({ step: 0, event: 'start', options: resolved, notes })}\n`)]);
  }

  const reals = keep(tidy(() => images.mul(2).sub(1)));
  const realSampler = new MinibatchSampler(labels, { balanced: resolved.balanced, seed });
  const genSampler = new MinibatchSampler(labels, { balanced: resolved.balanced, seed: seed + 7919 });
  const ctx: PhaseContext = {
    G, D, dCDim: D.cDim, head, augment: options.augment ?? null, loss: resolved.loss, styleMixing: resolved.styleMixing,
    gamma: resolved.gamma, r1Interval: resolved.r1Interval, plInterval: resolved.plInterval, pl,
    d2dce: resolved.d2dce ?? { lambda: 0, margin: 0.98, temperature: 0.25 }, seed,
  };
  const setTraining = (gOn: boolean) => {
    for (const p of gFreeze.trainable) p.requiresGrad_(gOn);
    for (const p of dTrainable) p.requiresGrad_(!gOn);
  };
  const meta = (s: number): GanCheckpointMeta => ({
    format: 'radix-gan-checkpoint', version: 1, step: s, nimg: s * batch, options: resolved, ada: ada?.state() ?? null,
    plMean: pl?.plMean ?? 0, plLast: pl?.lastLength ?? 0, networkConfig: options.networkConfig ?? null,
    classNames: options.classNames ? [...options.classNames] : null, optimizers: {}, frozen: { g: resolved.freezeG, d: resolved.freezeD }, hasHead: head !== null,
  });
  const t0 = performance.now();
  let lastCkpt: string | null = (await exists(ckptPath)) ? ckptPath : null;
  const finish = (status: GanTrainResult['status'], message: string | null): GanTrainResult => {
    reals.dispose();
    optG?.dispose();
    optD.dispose();
    return { status, steps: step, kimg: (step * batch) / 1000, seconds: (performance.now() - t0) / 1000, checkpoint: lastCkpt, message, notes };
  };

  while (step < totalSteps) {
    const ts = performance.now();
    const realIdx = realSampler.indices(step, batch);
    const b: PhaseBatch = { step, reals: null, realLabels: realIdx.map((i) => labels[i]!), genLabels: genSampler.indices(step, batch).map((i) => labels[i]!) };
    const losses: Record<string, number> = {};
    const phases: [string, (c: PhaseContext, bb: PhaseBatch) => PhaseScalars, optim.Adam | null, boolean][] = [
      ['Gmain', gMainPhase, optG, optG !== null],
      ['Greg', gRegPhase, optG, optG !== null && pl !== null && step % resolved.plInterval === 0],
      ['Dmain', dMainPhase, optD, true],
      ['Dreg', dRegPhase, optD, resolved.gamma > 0 && step % resolved.r1Interval === 0],
    ];
    let bad: string | null = null;
    for (const [name, run, optOrNull, due] of phases) {
      if (!due || !optOrNull) continue;
      const opt = optOrNull;
      const isG = name.startsWith('G');
      setTraining(isG);
      if (!isG && !b.reals) b.reals = tidy(() => reals.indexSelect(0, tensor(realIdx, { shape: [batch], dtype: 'int32', backend: reals.backend })));
      opt.zeroGrad();
      const scalars = run(ctx, b);
      for (const [k, t] of Object.entries(scalars)) {
        losses[k] = await t.item();
        t.dispose();
      }
      const nonFinite = Object.entries(losses).find(([, v]) => !Number.isFinite(v));
      if (nonFinite) {
        bad = `${name}: ${nonFinite[0]} = ${nonFinite[1]}`;
        opt.zeroGrad();
        break;
      }
      if (name === 'Greg') pl!.commit(losses['G/plMean']!, losses['G/plLength']);
      if (ada && 'D/signs' in losses) ada.report(losses['D/signs']!, batch);
      delete losses['D/signs'];
      opt.step();
      opt.zeroGrad();
    }
    b.reals?.dispose();
    setTraining(false);
    if (bad) {
      await appendFile(logPath, `${JSON.stringify({ step, event: 'nan', phase: bad, losses })}\n`);
      return finish('nan', `non-finite loss at minibatch ${step} (${bad}); stopped without applying it${lastCkpt ? `, the last good checkpoint is ${lastCkpt}` : ' (no checkpoint was written yet)'}`);
    }
    updateGEma(gEma, G, emaBeta(batch, step * batch, resolved.emaKimg, resolved.emaRampup));
    ada?.step();
    step++;
    const sec = (performance.now() - ts) / 1000;
    const info: GanStepInfo = { step, totalSteps, kimg: (step * batch) / 1000, losses, p: ada ? ada.pipe.p : null, kimgPerSec: batch / 1000 / sec };
    await appendFile(logPath, `${JSON.stringify({ step, kimg: info.kimg, ...losses, p: info.p, sec, kimgPerSec: info.kimgPerSec })}\n`);
    await options.onStep?.(info);
    const last = step === totalSteps;
    if (gridSteps > 0 && (step % gridSteps === 0 || last)) await writeGrid(gEma, classes, options.gridPerClass ?? 8, seed, join(out, GAN_OUT.grids, `grid-${String(step).padStart(6, '0')}.png`));
    if (metricsSteps > 0 && (step % metricsSteps === 0 || last)) {
      const values = await options.metrics!(gEma, step);
      await appendFile(logPath, `${JSON.stringify({ step, kimg: info.kimg, event: 'metrics', ...values })}\n`);
    }
    if (step % snapshotSteps === 0 || last) {
      await saveGanCheckpoint(ckptPath, { G, D, gEma, head, optG, optD }, meta(step));
      lastCkpt = ckptPath;
    }
  }
  return finish('done', null);
}

/**
 * Writes a grid of the EMA generator's images with fixed latents (seed + 1): one row per class, `perClass` columns.
 *
 * @example
 * await writeGrid(gEma, 3, 8, 0, 'out/grids/grid-000100.png');
 */
export async function writeGrid(gEma: GeneratorLike, classes: number, perClass: number, seed: number, path: string): Promise<void> {
  const rows = Math.max(classes, 1);
  const labels = Array.from({ length: rows * perClass }, (_, i) => (classes > 0 ? Math.floor(i / perClass) : null));
  const imgs = generateImages(gEma, labels, { seed: seed + 1, noiseMode: 'const' });
  try {
    await atomicWriteFile(path, [encodePng(await tileImages(imgs, rows, perClass))]);
  } finally {
    imgs.dispose();
  }
}
