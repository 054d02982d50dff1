// Training the downstream classifier as the histology GAN paper does: class-balanced batches, the paper's
// augmentations, AdamW, early stopping on validation balanced accuracy (the best weights are kept), seeded end to end.
import { HostRandom } from '@radix/augment';
import { Generator, nn, noGrad, optim, tensor, tidy, type Backend, type Tensor } from '@radix/tensor-webgpu';
import { applyClassifierAugment, drawClassifierAugment, type ClassifierAugmentOptions } from './classifier-augment.js';
import { patchCount, type PatchSet } from './patch-set.js';
import { ResNet, loadTorchvisionWeights, type ResNetDepth } from './resnet.js';

/** Everything that defines how a classifier is trained (recorded in every job's manifest). */
export interface ClassifierSettings {
  depth: ResNetDepth;
  width: number;
  stem: 'imagenet' | 'small';
  /** A torchvision resnet18/34 state dict to start from (ImageNet weights), or null for a random start. */
  pretrained: string | null;
  /** Most optimiser steps. */
  maxSteps: number;
  batchSize: number;
  lr: number;
  weightDecay: number;
  /** Validation every this many steps. */
  evalEvery: number;
  /** Stop after this many validations without a better balanced accuracy. */
  patience: number;
  /** The paper's augmentations (90° rotations, flips, brightness/contrast/saturation in [0.8, 1.2]). */
  augment: boolean;
}

/** The defaults: a ResNet-18 of width 16 with torchvision's stem, 600 steps at most. */
export const DEFAULT_CLASSIFIER: Readonly<ClassifierSettings> = Object.freeze({
  depth: 18, width: 16, stem: 'imagenet', pretrained: null, maxSteps: 600, batchSize: 32, lr: 1e-3, weightDecay: 1e-4,
  evalEvery: 50, patience: 4, augment: true,
});

/** One validation point of the training curve. */
export interface ClassifierHistoryPoint {
  step: number;
  /** Mean training loss since the previous point. */
  loss: number;
  valAccuracy: number;
  valBalancedAccuracy: number;
}

/** What {@link trainClassifier} returns. */
export interface TrainedClassifier {
  /** The network with the best validation weights loaded, in eval mode. */
  net: ResNet;
  history: ClassifierHistoryPoint[];
  bestStep: number;
  /** Steps actually run (less than maxSteps when early stopping fired). */
  steps: number;
  stoppedEarly: boolean;
  seconds: number;
}

/** Inputs of {@link trainClassifier}. */
export interface TrainClassifierInput {
  train: PatchSet;
  val: PatchSet;
  size: number;
  numClasses: number;
  settings: ClassifierSettings;
  seed: number;
  backend: Backend;
  /** Progress lines (one per validation). */
  log?: (line: string) => void;
  /** Augmentation ranges (default the paper's). */
  augment?: ClassifierAugmentOptions;
}

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** ImageNet normalisation (what torchvision's ResNet weights expect; harmless for a random start). */
function normalise(x: Tensor): Tensor {
  return tidy(() => x.sub(tensor(MEAN, { shape: [1, 3, 1, 1], backend: x.backend })).div(tensor(STD, { shape: [1, 3, 1, 1], backend: x.backend })));
}

/**
 * Class predictions and softmax probabilities of `net` (eval mode) for every patch of `images`.
 *
 * @example
 * const { pred, probs } = await predictClasses(net, ds.test.images, 32, backend);
 */
export async function predictClasses(net: ResNet, images: Float32Array, size: number, backend: Backend, batch = 128): Promise<{ pred: Int32Array; probs: Float32Array }> {
  const per = 3 * size * size;
  const n = images.length / per;
  const k = net.numClasses;
  const pred = new Int32Array(n);
  const probs = new Float32Array(n * k);
  const wasTraining = net.training;
  net.eval();
  for (let s = 0; s < n; s += batch) {
    const m = Math.min(batch, n - s);
    const p = noGrad(() => tidy(() => {
      const x = tensor(images.subarray(s * per, (s + m) * per), { shape: [m, 3, size, size], backend });
      return net.call(normalise(x)).softmax(1);
    }));
    const v = (await p.data()) as Float32Array;
    p.dispose();
    probs.set(v, s * k);
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (v[i * k + c]! > v[i * k + best]!) best = c;
      pred[s + i] = best;
    }
  }
  net.train(wasTraining);
  return { pred, probs };
}

function balanced(pred: Int32Array, labels: Int32Array, k: number): number {
  const hit = new Array<number>(k).fill(0);
  const tot = new Array<number>(k).fill(0);
  labels.forEach((l, i) => { tot[l]!++; if (pred[i] === l) hit[l]!++; });
  const seen = tot.map((t, c) => (t > 0 ? hit[c]! / t : -1)).filter((v) => v >= 0);
  return seen.reduce((a, b) => a + b, 0) / seen.length;
}

/**
 * Trains a {@link ResNet} on `train` and keeps the weights with the best balanced accuracy on `val`. Each batch
 * draws a class uniformly, then a patch of that class (class-balanced sampling); with `settings.augment` every patch
 * gets the paper's augmentations. Deterministic for a seed on a backend.
 *
 * @example
 * const r = await trainClassifier({ train: ds.train, val: ds.val, size: 32, numClasses: 3, settings: DEFAULT_CLASSIFIER, seed: 1, backend });
 * const { pred } = await predictClasses(r.net, ds.test.images, 32, backend);
 */
export async function trainClassifier(input: TrainClassifierInput): Promise<TrainedClassifier> {
  const { train, val, size, numClasses: k, settings: s, seed, backend } = input;
  const n = patchCount(train, size);
  const byClass = Array.from({ length: k }, () => [] as number[]);
  train.labels.forEach((l, i) => {
    if (l < 0 || l >= k) throw new Error(`trainClassifier: training patch ${i} has label ${l}, expected 0..${k - 1}`);
    byClass[l]!.push(i);
  });
  const present = byClass.flatMap((ids, c) => (ids.length > 0 ? [c] : []));
  if (present.length < 2) throw new Error(`trainClassifier: the training set has patches of ${present.length} class(es); at least 2 are needed`);
  if (patchCount(val, size) === 0) throw new Error('trainClassifier: the validation set is empty');
  const t0 = performance.now();
  const net = new ResNet({ depth: s.depth, width: s.width, stem: s.stem, numClasses: k, generator: new Generator(seed), backend });
  if (s.pretrained) await loadTorchvisionWeights(net, s.pretrained);
  const opt = new optim.AdamW(net.parameters(), { lr: s.lr, weightDecay: s.weightDecay });
  const rng = new HostRandom(seed, 1);
  const xTrain = tensor(train.images, { shape: [n, 3, size, size], backend });
  const history: ClassifierHistoryPoint[] = [];
  let best = -1;
  let bestStep = 0;
  let bestWeights: Record<string, Float32Array | Int32Array> | null = null;
  let since = 0;
  // The batch losses since the last validation, read back only there: no per-step wait on the device, so the host
  // records the next step while the backend runs this one (same numbers: summed on the host in the same order).
  let pending: Tensor[] = [];
  let step = 0;
  let stoppedEarly = false;
  net.train();
  try {
    while (step < s.maxSteps) {
      const ids: number[] = [];
      for (let b = 0; b < s.batchSize; b++) {
        const c = present[rng.randint(0, present.length - 1)]!;
        const list = byClass[c]!;
        ids.push(list[rng.randint(0, list.length - 1)]!);
      }
      const draw = s.augment ? drawClassifierAugment(ids.length, rng, input.augment) : null;
      const loss = tidy(() => {
        let xb = xTrain.indexSelect(0, tensor(ids, { dtype: 'int32', backend }));
        if (draw) xb = applyClassifierAugment(xb, draw);
        const yb = tensor(ids.map((i) => train.labels[i]!), { dtype: 'int32', backend });
        const l = nn.crossEntropy(net.call(normalise(xb)), yb);
        l.backward();
        opt.step();
        opt.zeroGrad();
        return l.detach();
      });
      step++;
      pending.push(loss);
      if (step % s.evalEvery === 0 || step === s.maxSteps) {
        let lossSum = 0;
        for (const t of pending) lossSum += await t.item();
        const lossCount = pending.length;
        for (const t of pending) t.dispose();
        pending = [];
        const { pred } = await predictClasses(net, val.images, size, backend);
        const valBal = balanced(pred, val.labels, k);
        const valAcc = pred.reduce((a, p, i) => a + (p === val.labels[i] ? 1 : 0), 0) / pred.length;
        history.push({ step, loss: lossSum / lossCount, valAccuracy: valAcc, valBalancedAccuracy: valBal });
        input.log?.(`step ${step}: loss ${(lossSum / lossCount).toFixed(4)}, val accuracy ${(valAcc * 100).toFixed(1)} %, balanced ${(valBal * 100).toFixed(1)} %`);
        if (valBal > best) {
          best = valBal;
          bestStep = step;
          since = 0;
          const sd = Object.entries(net.stateDict());
          const values = await Promise.all(sd.map(async ([, t]) => (await t.data()).slice() as Float32Array | Int32Array));
          bestWeights = Object.fromEntries(sd.map(([name], i) => [name, values[i]!]));
          for (const [, t] of sd) t.dispose();
        } else if (++since >= s.patience) {
          stoppedEarly = step < s.maxSteps;
          break;
        }
      }
    }
    if (bestWeights) {
      const own = net.stateDict();
      const sd: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(own)) sd[name] = tensor(bestWeights[name]!, { shape: [...t.shape], dtype: t.dtype, backend });
      net.loadStateDict(sd);
      for (const t of [...Object.values(sd), ...Object.values(own)]) t.dispose();
    }
  } finally {
    for (const t of pending) t.dispose();
    xTrain.dispose();
  }
  net.eval();
  return { net, history, bestStep, steps: step, stoppedEarly, seconds: (performance.now() - t0) / 1000 };
}
