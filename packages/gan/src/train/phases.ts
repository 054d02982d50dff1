// The four phases of one StyleGAN2-ADA minibatch (Gmain, Greg, Dmain, Dreg) as synchronous graph-building functions:
// each builds its loss, runs backward inside a tidy scope and returns the scalars to read back before stepping.
import { Generator, type Tensor, manualSeed, noGrad, randn, sign, tensor, tidy } from '@radix/tensor-webgpu';
import type { Augmenter } from '../augment/augmenter.js';
import { type AdversarialLoss, discriminatorLoss, generatorLoss } from '../losses/adversarial.js';
import { d2dceLoss } from '../losses/d2d-ce.js';
import type { PathLengthRegularizer } from '../losses/path-length.js';
import { r1Penalty } from '../losses/r1.js';
import { drawMixingCutoff, mixStyles } from '../losses/style-mixing.js';
import type { DiscriminatorLike, FeatureDiscriminatorLike, GeneratorLike } from './contract.js';
import type { nn } from '@radix/tensor-webgpu';
import { discriminatorWithFeatures } from '../losses/d2d-ce-head.js';
import { StyleGAN2Discriminator } from '../networks/discriminator.js';
import { oneHot } from './sample-grid.js';
import { derivedSeed, seededRandom } from './seeded-random.js';

/** A D2D-CE head: embeds D's epilogue features and maps one-hot labels to class proxies. */
export type D2DCEHeadLike = nn.AnyModule & {
  readonly numClasses: number;
  embed(features: Tensor): Tensor;
  proxy(c: Tensor): Tensor;
};

/** Everything a phase needs, fixed for the run. */
export interface PhaseContext {
  G: GeneratorLike;
  D: DiscriminatorLike;
  dCDim: number;
  head: D2DCEHeadLike | null;
  augment: Augmenter | null;
  loss: AdversarialLoss;
  styleMixing: number;
  gamma: number;
  r1Interval: number;
  plInterval: number;
  pl: PathLengthRegularizer | null;
  d2dce: { lambda: number; margin: number; temperature: number };
  seed: number;
}

/** Per-minibatch inputs of a phase. */
export interface PhaseBatch {
  step: number;
  /** Real images in [−1, 1] (D phases). */
  reals: Tensor | null;
  realLabels: readonly number[];
  genLabels: readonly number[];
}

/** What a phase hands back: named scalar tensors to read (and check) before the optimizer step. */
export type PhaseScalars = Record<string, Tensor>;

const PHASE_KEYS = { Gmain: 1, Greg: 2, Dmain: 3, Dreg: 4 } as const;

function streams(ctx: PhaseContext, step: number, phase: keyof typeof PHASE_KEYS) {
  const k = PHASE_KEYS[phase];
  // Networks that draw their own noise (synthesis noise inputs) use the global stream: pin it to (seed, step, phase).
  manualSeed(derivedSeed(ctx.seed, step, k, 9));
  return { gen: new Generator(derivedSeed(ctx.seed, step, k)), aug: new Generator(derivedSeed(ctx.seed, step, k, 1)), random: seededRandom(ctx.seed, step, k) };
}

function runG(ctx: PhaseContext, z: Tensor, c: Tensor | null, gen: Generator, random: () => number, wsLeaf = false): { img: Tensor; ws: Tensor } {
  let ws = ctx.G.mapping(z, c);
  if (ctx.styleMixing > 0) {
    const cutoff = drawMixingCutoff(ws.shape[1]!, ctx.styleMixing, random);
    if (cutoff < ws.shape[1]!) ws = mixStyles(ws, ctx.G.mapping(randn(z.shape, { backend: z.backend, generator: gen }), c, { updateEmas: false }), cutoff);
  }
  if (wsLeaf && !ws.requiresGrad) ws = ws.detach().requiresGrad_();
  return { img: ctx.G.synthesis(ws), ws };
}

function gLabels(ctx: PhaseContext, labels: readonly number[], b: Tensor['backend']): Tensor | null {
  return ctx.G.cDim > 0 ? oneHot(labels, ctx.G.cDim, b) : null;
}

function runD(ctx: PhaseContext, img: Tensor, labels: readonly number[], aug: Generator, withFeatures: boolean): { logits: Tensor; features: Tensor | null } {
  const seen = ctx.augment ? ctx.augment.apply(img, aug) : img;
  const c = ctx.dCDim > 0 ? oneHot(labels, ctx.dCDim, img.backend) : null;
  if (withFeatures) {
    if (ctx.D instanceof StyleGAN2Discriminator) return discriminatorWithFeatures(ctx.D, seen, c);
    return (ctx.D as FeatureDiscriminatorLike).forwardWithFeatures(seen, c);
  }
  return { logits: ctx.D.call(seen, c) as Tensor, features: null };
}

function condLoss(ctx: PhaseContext, features: Tensor, labels: readonly number[]): Tensor {
  const head = ctx.head!;
  const b = features.backend;
  const lab = tensor(labels, { shape: [labels.length], dtype: 'int32', backend: b });
  const proxy = head.proxy(oneHot(labels, head.numClasses, b));
  return d2dceLoss(head.embed(features), proxy, lab, { margin: ctx.d2dce.margin, temperature: ctx.d2dce.temperature }).mul(ctx.d2dce.lambda);
}

/**
 * Gmain: maximise D's logits of generated images (non-saturating or hinge), plus λ·D2D-CE on the fakes.
 *
 * @example
 * const s = gMainPhase(ctx, batch); // { 'G/loss': …, 'G/cond'?: … }
 */
export function gMainPhase(ctx: PhaseContext, batch: PhaseBatch): PhaseScalars {
  return tidy(() => {
    const { gen, aug, random } = streams(ctx, batch.step, 'Gmain');
    const n = batch.genLabels.length;
    const b = ctx.G.parameters()[0]!.backend;
    const z = randn([n, ctx.G.zDim], { backend: b, generator: gen });
    const { img } = runG(ctx, z, gLabels(ctx, batch.genLabels, b), gen, random);
    const { logits, features } = runD(ctx, img, batch.genLabels, aug, ctx.head !== null);
    const adv = generatorLoss(logits, ctx.loss);
    const out: PhaseScalars = { 'G/loss': adv.detach() };
    let total = adv;
    if (ctx.head) {
      const cond = condLoss(ctx, features!, batch.genLabels);
      out['G/cond'] = cond.detach();
      total = total.add(cond);
    }
    total.backward();
    return out;
  });
}

/**
 * Greg: path-length regularisation on half the batch, weighted by the interval.
 *
 * @example
 * const s = gRegPhase(ctx, batch); // { 'G/pl': …, 'G/plMean': …, 'G/plLength': … }
 */
export function gRegPhase(ctx: PhaseContext, batch: PhaseBatch): PhaseScalars {
  return tidy(() => {
    const { gen, random } = streams(ctx, batch.step, 'Greg');
    const labels = batch.genLabels.slice(0, Math.max(1, Math.floor(batch.genLabels.length / 2)));
    const b = ctx.G.parameters()[0]!.backend;
    const z = randn([labels.length, ctx.G.zDim], { backend: b, generator: gen });
    // With a frozen mapping network ws is a leaf of the graph: make it one that the penalty can differentiate by.
    const g = runG(ctx, z, gLabels(ctx, labels, b), gen, random, true);
    const { img, ws } = g;
    const { loss, newMean, meanLength } = ctx.pl!.loss(img, ws, { generator: gen });
    loss.mul(ctx.plInterval).backward();
    return { 'G/pl': loss.detach(), 'G/plMean': newMean, 'G/plLength': meanLength };
  });
}

/**
 * Dmain: minimise D's logits of (detached) fakes and maximise those of reals, plus λ·D2D-CE on the reals.
 *
 * @example
 * const s = dMainPhase(ctx, batch); // { 'D/loss': …, 'D/signs': Σ sign(D(real)), 'D/cond'?: … }
 */
export function dMainPhase(ctx: PhaseContext, batch: PhaseBatch): PhaseScalars {
  return tidy(() => {
    const { gen, aug, random } = streams(ctx, batch.step, 'Dmain');
    const n = batch.genLabels.length;
    const b = ctx.G.parameters()[0]!.backend;
    const fake = noGrad(() => {
      const z = randn([n, ctx.G.zDim], { backend: b, generator: gen });
      return runG(ctx, z, gLabels(ctx, batch.genLabels, b), gen, random).img;
    });
    const fakeLogits = runD(ctx, fake, batch.genLabels, aug, false).logits;
    const real = runD(ctx, batch.reals!, batch.realLabels, aug, ctx.head !== null);
    const adv = discriminatorLoss(real.logits, fakeLogits, ctx.loss);
    const out: PhaseScalars = { 'D/loss': adv.detach(), 'D/signs': sign(real.logits.detach()).sum(), 'D/realScore': real.logits.detach().mean(), 'D/fakeScore': fakeLogits.detach().mean() };
    let total = adv;
    if (ctx.head) {
      const cond = condLoss(ctx, real.features!, batch.realLabels);
      out['D/cond'] = cond.detach();
      total = total.add(cond);
    }
    total.backward();
    return out;
  });
}

/**
 * Dreg: lazy R1 on the (augmented) reals, γ/2·‖∇ₓD‖² weighted by the interval; a double backward through D.
 *
 * @example
 * const s = dRegPhase(ctx, batch); // { 'D/r1': mean penalty, 'D/signs': … }
 */
export function dRegPhase(ctx: PhaseContext, batch: PhaseBatch): PhaseScalars {
  return tidy(() => {
    const { aug } = streams(ctx, batch.step, 'Dreg');
    const x = batch.reals!.detach().requiresGrad_();
    const { logits } = runD(ctx, x, batch.realLabels, aug, false);
    const penalty = r1Penalty(logits, x);
    penalty.mul(ctx.gamma / 2).mean().mul(ctx.r1Interval).backward();
    return { 'D/r1': penalty.detach().mean(), 'D/signs': sign(logits.detach()).sum() };
  });
}
