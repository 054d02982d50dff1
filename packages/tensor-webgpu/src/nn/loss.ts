// Loss functions with torch.nn.functional semantics (reductions, class weights, ignore_index, label smoothing,
// pos_weight), composed from differentiable ops so their gradients come from autograd.
import { check, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { where } from '../ops/elementwise.js';
import { gather, indexSelect } from '../ops/indexing.js';
import { logSoftmax } from '../ops/softmax.js';
import { softplus } from '../ops/unary.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** How per-element losses are combined: averaged (default), summed, or returned as is. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of the regression losses. */
export interface LossOptions {
  reduction?: Reduction;
}

/** Options of {@link nllLoss} and {@link crossEntropy}. */
export interface NllLossOptions extends LossOptions {
  /** Per-class weight [C]; the mean divides by the summed weights of the counted targets. */
  weight?: Tensor | null;
  /** Target value that contributes nothing (default −100). */
  ignoreIndex?: number;
}

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions extends NllLossOptions {
  /** Mixes the one-hot target with the uniform distribution: (1 − ε)·onehot + ε/C (default 0). */
  labelSmoothing?: number;
}

/** Options of {@link binaryCrossEntropyWithLogits}. */
export interface BceWithLogitsOptions extends LossOptions {
  /** Weight of each element (broadcast to the input). */
  weight?: Tensor | null;
  /** Weight of positive examples, per class (broadcast along the last dim). */
  posWeight?: Tensor | null;
}

function checkReduction(op: string, r: Reduction): void {
  check(r === 'mean' || r === 'sum' || r === 'none', op, `reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
}

function reduce(loss: Tensor, r: Reduction): Tensor {
  return r === 'none' ? loss : r === 'sum' ? loss.sum() : loss.mean();
}

function checkPair(op: string, input: Tensor, target: Tensor): void {
  check(input.dtype === 'float32' && target.dtype === 'float32', op, `expects float32 input and target, got ${input.dtype} and ${target.dtype}`);
  broadcastShapes(op, input.shape, target.shape);
}

/**
 * Mean squared error (input − target)², reduced (torch.nn.functional.mse_loss; shapes broadcast).
 *
 * @example
 * const loss = mseLoss(pred, target);
 */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const r = options.reduction ?? 'mean';
  checkReduction('mseLoss', r);
  checkPair('mseLoss', input, target);
  return tidy(() => reduce(input.sub(target).square(), r));
}

/**
 * Mean absolute error |input − target| (F.l1_loss).
 *
 * @example
 * l1Loss(pred, target, { reduction: 'sum' });
 */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const r = options.reduction ?? 'mean';
  checkReduction('l1Loss', r);
  checkPair('l1Loss', input, target);
  return tidy(() => reduce(input.sub(target).abs(), r));
}

/**
 * Smooth L1 (F.smooth_l1_loss): 0.5·d²/β where |d| < β, |d| − 0.5·β elsewhere (β = 0 is the L1 loss).
 *
 * @example
 * smoothL1Loss(boxes, targets, { beta: 0.5 });
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: LossOptions & { beta?: number } = {}): Tensor {
  const r = options.reduction ?? 'mean';
  const beta = options.beta ?? 1;
  checkReduction('smoothL1Loss', r);
  checkPair('smoothL1Loss', input, target);
  check(Number.isFinite(beta) && beta >= 0, 'smoothL1Loss', `beta must be a non-negative number, got ${beta}`);
  return tidy(() => {
    const z = input.sub(target).abs();
    if (beta === 0) return reduce(z, r);
    return reduce(where(z.lt(beta), z.square().mul(0.5 / beta), z.sub(0.5 * beta)), r);
  });
}

/**
 * Huber loss (F.huber_loss): 0.5·d² where |d| < δ, δ·(|d| − 0.5·δ) elsewhere (= δ · smoothL1 with β = δ).
 *
 * @example
 * huberLoss(pred, target, { delta: 2 });
 */
export function huberLoss(input: Tensor, target: Tensor, options: LossOptions & { delta?: number } = {}): Tensor {
  const r = options.reduction ?? 'mean';
  const delta = options.delta ?? 1;
  checkReduction('huberLoss', r);
  checkPair('huberLoss', input, target);
  check(Number.isFinite(delta) && delta > 0, 'huberLoss', `delta must be a positive number, got ${delta}`);
  return tidy(() => {
    const z = input.sub(target).abs();
    return reduce(where(z.lt(delta), z.square().mul(0.5), z.sub(0.5 * delta).mul(delta)), r);
  });
}

/** Validates (N, C, d…)/(C) input against class-index target; returns the class dim and C. */
function classTarget(op: string, input: Tensor, target: Tensor, weight: Tensor | null | undefined): [number, number] {
  check(input.dtype === 'float32', op, `expects float32 input, got ${input.dtype}`);
  check(input.ndim >= 1, op, `input must be (C), (N, C) or (N, C, d1, ...), got a 0-d tensor`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const c = input.shape[classDim]!;
  const expected = input.shape.filter((_, i) => i !== classDim);
  check(
    target.ndim === expected.length && target.shape.every((d, i) => d === expected[i]),
    op,
    `target of shape ${fmtShape(target.shape)} does not match input ${fmtShape(input.shape)} (expected ${fmtShape(expected)} class indices)`,
  );
  if (weight) {
    check(weight.dtype === 'float32' && weight.ndim === 1 && weight.shape[0] === c, op, `weight must be a float32 tensor of shape [${c}], got ${weight.dtype} ${fmtShape(weight.shape)}`);
  }
  return [classDim, c];
}

/** Per-element class weights (0 for ignored targets), the ignore mask and targets with ignored ones set to 0. */
function targetWeights(target: Tensor, weight: Tensor | null | undefined, ignoreIndex: number): { w: Tensor; ignored: Tensor; safe: Tensor } {
  const ignored = target.eq(ignoreIndex);
  const safe = where(ignored, 0, target.dtype === 'int32' ? target : target.to('int32'));
  const cw = weight ? indexSelect(weight, 0, safe.reshape(-1)).reshape([...target.shape]) : 1;
  return { w: where(ignored, 0, cw), ignored, safe };
}

function checkClassOptions(op: string, target: Tensor, ignoreIndex: number, r: Reduction): void {
  checkReduction(op, r);
  check(target.dtype === 'int32' || target.dtype === 'uint32', op, `expects int32 class-index targets, got ${target.dtype}`);
  check(Number.isInteger(ignoreIndex), op, `ignoreIndex must be an integer, got ${ignoreIndex}`);
}

/**
 * Negative log-likelihood of log-probabilities `input` at int32 class indices `target` (F.nll_loss):
 * −weight[t]·input[t] per element; `mean` divides by the summed weights of the non-ignored targets (NaN when
 * every target is ignored, like torch). Targets outside [0, C) (other than ignoreIndex) are not checked on WebGPU.
 *
 * @example
 * nllLoss(logSoftmax(logits, 1), labels);
 */
export function nllLoss(input: Tensor, target: Tensor, options: NllLossOptions = {}): Tensor {
  const op = 'nllLoss';
  const { weight = null, ignoreIndex = -100, reduction = 'mean' } = options;
  checkClassOptions(op, target, ignoreIndex, reduction);
  const [classDim] = classTarget(op, input, target, weight);
  return tidy(() => {
    const { w, safe } = targetWeights(target, weight, ignoreIndex);
    const picked = gather(input, classDim, safe.unsqueeze(classDim)).squeeze(classDim);
    const loss = picked.mul(w).neg();
    if (reduction === 'none') return loss;
    if (reduction === 'sum') return loss.sum();
    return loss.sum().div(w.sum());
  });
}

/**
 * Cross entropy of logits `input` (N, C, d…) / (C) against int32 class indices (torch's weighted-mean, ignoreIndex
 * and label-smoothing rules) or against class probabilities of the input's shape (float32 target).
 *
 * @example
 * const loss = crossEntropy(logits, labels, { labelSmoothing: 0.1 }); // logits [N, C], labels int32 [N]
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const { weight = null, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  check(Number.isFinite(labelSmoothing) && labelSmoothing >= 0 && labelSmoothing <= 1, op, `labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  if (target.dtype === 'float32') return crossEntropyProbs(input, target, weight, reduction, labelSmoothing);
  checkClassOptions(op, target, ignoreIndex, reduction);
  const [classDim, c] = classTarget(op, input, target, weight);
  return tidy(() => {
    const logp = logSoftmax(input, classDim);
    const nll = nllLoss(logp, target, { weight, ignoreIndex, reduction });
    if (labelSmoothing === 0) return nll;
    const { w, ignored } = targetWeights(target, weight, ignoreIndex);
    const wv = weight ? weight.reshape(input.shape.map((d, i) => (i === classDim ? d : 1))) : null;
    const smooth = where(ignored, 0, (wv ? logp.mul(wv) : logp).sum(classDim).neg());
    let ret: Tensor;
    if (reduction === 'none') ret = smooth;
    else if (reduction === 'sum') ret = smooth.sum();
    else ret = smooth.sum().div(weight ? w.sum() : target.ne(ignoreIndex).to('float32').sum());
    return nll.mul(1 - labelSmoothing).add(ret.mul(labelSmoothing / c));
  });
}

function crossEntropyProbs(input: Tensor, target: Tensor, weight: Tensor | null, reduction: Reduction, ls: number): Tensor {
  const op = 'crossEntropy';
  checkReduction(op, reduction);
  check(input.dtype === 'float32' && input.ndim >= 1, op, `expects float32 input of shape (C), (N, C) or (N, C, d1, ...), got ${input.dtype} ${fmtShape(input.shape)}`);
  check(target.ndim === input.ndim && target.shape.every((d, i) => d === input.shape[i]), op, `probability targets must have the input's shape ${fmtShape(input.shape)}, got ${fmtShape(target.shape)}`);
  const classDim = input.ndim === 1 ? 0 : 1;
  const c = input.shape[classDim]!;
  if (weight) check(weight.dtype === 'float32' && weight.ndim === 1 && weight.shape[0] === c, op, `weight must be a float32 tensor of shape [${c}], got ${fmtShape(weight.shape)}`);
  return tidy(() => {
    const t = ls > 0 ? target.mul(1 - ls).add(ls / c) : target;
    let prod = logSoftmax(input, classDim).mul(t);
    if (weight) prod = prod.mul(weight.reshape(input.shape.map((d, i) => (i === classDim ? d : 1))));
    const per = prod.sum(classDim).neg();
    if (reduction === 'none') return per;
    if (reduction === 'sum') return per.sum();
    return per.sum().div(input.size / c);
  });
}

/**
 * Binary cross entropy on logits, computed stably as (1 − t)·x + w_pos·softplus(−x) with
 * w_pos = 1 + (posWeight − 1)·t (F.binary_cross_entropy_with_logits), times `weight` when given.
 *
 * @example
 * binaryCrossEntropyWithLogits(logits, labels, { posWeight: tensor([3]) });
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const { weight = null, posWeight = null, reduction = 'mean' } = options;
  checkReduction(op, reduction);
  check(input.dtype === 'float32' && target.dtype === 'float32', op, `expects float32 input and target, got ${input.dtype} and ${target.dtype}`);
  check(target.ndim === input.ndim && target.shape.every((d, i) => d === input.shape[i]), op, `target size ${fmtShape(target.shape)} must be the same as input size ${fmtShape(input.shape)}`);
  if (weight) broadcastShapes(op, weight.shape, input.shape);
  if (posWeight) broadcastShapes(op, posWeight.shape, input.shape);
  return tidy(() => {
    const negLogSig = softplus(input.neg());
    const lw = posWeight ? posWeight.sub(1).mul(target).add(1) : null;
    let loss = target.neg().add(1).mul(input).add(lw ? lw.mul(negLogSig) : negLogSig);
    if (weight) loss = loss.mul(weight);
    return reduce(loss, reduction);
  });
}

/**
 * Binary cross entropy of probabilities in [0, 1] (F.binary_cross_entropy); logs are clamped at −100 like torch.
 * Prefer {@link binaryCrossEntropyWithLogits} for numerical stability.
 *
 * @example
 * binaryCrossEntropy(sigmoid(logits), labels);
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: LossOptions & { weight?: Tensor | null } = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { weight = null, reduction = 'mean' } = options;
  checkReduction(op, reduction);
  check(target.ndim === input.ndim && target.shape.every((d, i) => d === input.shape[i]), op, `target size ${fmtShape(target.shape)} must be the same as input size ${fmtShape(input.shape)}`);
  checkPair(op, input, target);
  return tidy(() => {
    const logX = input.log().clamp(-100);
    const log1mX = input.neg().add(1).log().clamp(-100);
    let loss = target.mul(logX).add(target.neg().add(1).mul(log1mX)).neg();
    if (weight) loss = loss.mul(weight);
    return reduce(loss, reduction);
  });
}
