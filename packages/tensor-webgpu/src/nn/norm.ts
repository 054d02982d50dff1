// Normalisation layers: BatchNorm1d/2d (batch statistics in training with momentum-updated running statistics taken
// from the fused kernel's batch mean and variance, running statistics in eval), GroupNorm and LayerNorm, over the
// functional forms in ops/normalization.ts; each may fuse SiLU into its output.
import { noGrad } from '../autograd/grad-mode.js';
import { check, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { full } from '../ops/creation.js';
import { batchNorm, batchNormWithStats, groupNorm, layerNorm } from '../ops/normalization.js';
import { requireFloat } from '../ops/util.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';
import { type LayerOptions, type Parameter, newParameter } from './parameter.js';

/** Options of the BatchNorm layers (PyTorch defaults). */
export interface BatchNormOptions extends LayerOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Weight of the new batch in the running statistics (default 0.1); null uses a cumulative average (1/num_batches_tracked). */
  momentum?: number | null;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Keep running statistics for eval (default true); without them eval also uses batch statistics. */
  trackRunningStats?: boolean;
  /** Apply SiLU to the output (`'silu'`, in the same kernel with batch statistics; default `'none'`). */
  activation?: 'none' | 'silu';
}

function checkEps(op: string, eps: number): void {
  check(Number.isFinite(eps) && eps >= 0, op, `eps must be a finite non-negative number, got ${eps}`);
}

/**
 * Shared implementation of BatchNorm1d/2d: in training (or without running statistics) the batch's mean and
 * biased variance normalise; in training, `running_mean`/`running_var` move toward the batch mean and the
 * unbiased batch variance by `momentum` and `num_batches_tracked` (int32) counts the batches, all on the device.
 */
abstract class BatchNormBase extends Module {
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  /** The activation applied to the output (see {@link BatchNormOptions.activation}). */
  readonly activation: 'none' | 'silu';
  weight: Parameter | null = null;
  bias: Parameter | null = null;

  constructor(numFeatures: number, options: BatchNormOptions) {
    super();
    const op = this.constructor.name;
    check(Number.isInteger(numFeatures) && numFeatures > 0, op, `numFeatures must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = options.eps ?? 1e-5;
    checkEps(op, this.eps);
    this.momentum = options.momentum === undefined ? 0.1 : options.momentum;
    check(this.momentum === null || Number.isFinite(this.momentum), op, `momentum must be a finite number or null, got ${this.momentum}`);
    this.affine = options.affine ?? true;
    this.trackRunningStats = options.trackRunningStats ?? true;
    this.activation = options.activation ?? 'none';
    check(this.activation === 'none' || this.activation === 'silu', op, `activation must be 'none' or 'silu', got '${String(this.activation)}'`);
    if (this.affine) {
      this.weight = newParameter([numFeatures], 1, options.backend);
      this.bias = newParameter([numFeatures], 0, options.backend);
    }
    const b = { backend: options.backend };
    this.registerBuffer('running_mean', this.trackRunningStats ? full([numFeatures], 0, b) : null);
    this.registerBuffer('running_var', this.trackRunningStats ? full([numFeatures], 1, b) : null);
    this.registerBuffer('num_batches_tracked', this.trackRunningStats ? full([], 0, { ...b, dtype: 'int32' }) : null);
  }

  /** Running mean (the `running_mean` buffer), null without running statistics. */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }
  /** Running (unbiased) variance (the `running_var` buffer). */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }
  /** Number of training batches seen (int32 0-d tensor, the `num_batches_tracked` buffer). */
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  /** Resets the running statistics to mean 0, variance 1 and the batch count to 0. @example bn.resetRunningStats() */
  resetRunningStats(): void {
    for (const [name, v] of [['running_mean', 0], ['running_var', 1], ['num_batches_tracked', 0]] as const) {
      const t = this.getBuffer(name);
      if (!t) continue;
      const f = full(t.shape, v, { backend: t.backend, dtype: t.dtype });
      t._replaceStorage(f);
      f.dispose();
    }
  }

  /** Input ranks this layer accepts. */
  protected abstract checkInput(x: Tensor): void;

  /**
   * Moves the running statistics toward the batch's (torch's update rule), without recording gradients: `mean` and
   * the biased `variance` ([c]) come from the fused forward, over `count` values per channel.
   */
  #updateRunningStats(mean: Tensor, variance: Tensor, count: number): void {
    const rm = this.runningMean!;
    const rv = this.runningVar!;
    const nbt = this.numBatchesTracked!;
    noGrad(() => tidy(() => {
      const next = nbt.add(1);
      nbt._replaceStorage(next);
      const unbiased = variance.mul(count / (count - 1));
      if (this.momentum !== null) {
        const m = this.momentum;
        rm._replaceStorage(rm.mul(1 - m).add(mean.mul(m)));
        rv._replaceStorage(rv.mul(1 - m).add(unbiased.mul(m)));
      } else {
        // Cumulative moving average: factor 1/num_batches_tracked, computed on the device (no readback).
        const f = next.to('float32').pow(-1);
        const keepF = f.neg().add(1);
        rm._replaceStorage(rm.mul(keepF).add(mean.mul(f)));
        rv._replaceStorage(rv.mul(keepF).add(unbiased.mul(f)));
      }
    }));
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    const op = this.constructor.name;
    check(x.shape[1] === this.numFeatures, op, `expected ${this.numFeatures} channels (dim 1), got input of shape ${fmtShape(x.shape)}`);
    const useBatchStats = this.training || !this.trackRunningStats;
    if (this.training && this.trackRunningStats) {
      const count = x.size / this.numFeatures;
      check(count > 1, op, `expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
      requireFloat(op, x);
      // One fused kernel gives the output and the batch statistics the running ones move toward.
      const [out, mean, variance] = batchNormWithStats(x, this.weight, this.bias, this.eps, this.activation);
      this.#updateRunningStats(mean, variance, count);
      mean.dispose();
      variance.dispose();
      return out;
    }
    return batchNorm(x, useBatchStats ? null : this.runningMean, useBatchStats ? null : this.runningVar, this.weight, this.bias, {
      training: useBatchStats,
      eps: this.eps,
      activation: this.activation,
    });
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.affine}, track_running_stats=${this.trackRunningStats}${this.activation === 'none' ? '' : `, activation=${this.activation}`}`;
  }
}

/**
 * Batch normalisation over (N, C) or (N, C, L) input (torch.nn.BatchNorm1d).
 *
 * @example
 * const bn = new BatchNorm1d(16);
 * const y = bn.call(randn([8, 16]));
 */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
  protected checkInput(x: Tensor): void {
    check(x.ndim === 2 || x.ndim === 3, 'BatchNorm1d', `expected 2-D or 3-D input, got shape ${fmtShape(x.shape)}`);
  }
}

/**
 * Batch normalisation over (N, C, H, W) input (torch.nn.BatchNorm2d). State dict keys: `weight`, `bias`,
 * `running_mean`, `running_var`, `num_batches_tracked`.
 *
 * @example
 * const bn = new BatchNorm2d(8);
 * const y = bn.call(x);   // training: batch statistics, running stats updated
 * bn.eval();
 * const z = bn.call(x);   // eval: running statistics
 */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options);
  }
  protected checkInput(x: Tensor): void {
    check(x.ndim === 4, 'BatchNorm2d', `expected 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
  }
}

/** Options of {@link GroupNorm}. */
export interface GroupNormOptions extends LayerOptions {
  eps?: number;
  /** Learn a per-channel scale and shift (default true). */
  affine?: boolean;
  /** Apply SiLU to the output in the same kernel (`'silu'`; default `'none'`). */
  activation?: 'none' | 'silu';
}

/**
 * Group normalisation of (N, C, …) input with `numGroups` groups and per-channel affine (torch.nn.GroupNorm).
 *
 * @example
 * const gn = new GroupNorm(4, 16);
 * const y = gn.call(randn([2, 16, 8, 8]));
 */
export class GroupNorm extends Module {
  readonly numGroups: number;
  readonly numChannels: number;
  readonly eps: number;
  readonly affine: boolean;
  /** The activation fused into the output (see {@link GroupNormOptions.activation}). */
  readonly activation: 'none' | 'silu';
  weight: Parameter | null = null;
  bias: Parameter | null = null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    check(Number.isInteger(numGroups) && numGroups > 0 && Number.isInteger(numChannels) && numChannels % numGroups === 0, 'GroupNorm', `numChannels ${numChannels} must be divisible by numGroups ${numGroups}`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = options.eps ?? 1e-5;
    checkEps('GroupNorm', this.eps);
    this.affine = options.affine ?? true;
    this.activation = options.activation ?? 'none';
    check(this.activation === 'none' || this.activation === 'silu', 'GroupNorm', `activation must be 'none' or 'silu', got '${String(this.activation)}'`);
    if (this.affine) {
      this.weight = newParameter([numChannels], 1, options.backend);
      this.bias = newParameter([numChannels], 0, options.backend);
    }
  }

  forward(x: Tensor): Tensor {
    check(x.ndim >= 2 && x.shape[1] === this.numChannels, 'GroupNorm', `expected input (N, ${this.numChannels}, ...), got shape ${fmtShape(x.shape)}`);
    return groupNorm(x, this.numGroups, this.weight, this.bias, this.eps, { activation: this.activation });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}${this.activation === 'none' ? '' : `, activation=${this.activation}`}`;
  }
}

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions extends LayerOptions {
  eps?: number;
  /** Learn an elementwise scale (and shift) of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** Learn the shift too when `elementwiseAffine` (default true). */
  bias?: boolean;
  /** Apply SiLU to the output in the same kernel (`'silu'`; default `'none'`). */
  activation?: 'none' | 'silu';
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims (torch.nn.LayerNorm).
 *
 * @example
 * const ln = new LayerNorm(64);
 * const y = ln.call(randn([2, 10, 64]));
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  /** The activation fused into the output (see {@link LayerNormOptions.activation}). */
  readonly activation: 'none' | 'silu';
  weight: Parameter | null = null;
  bias: Parameter | null = null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    check(this.normalizedShape.every((d) => Number.isInteger(d) && d > 0), 'LayerNorm', `normalizedShape must hold positive integers, got ${fmtShape(this.normalizedShape)}`);
    this.eps = options.eps ?? 1e-5;
    checkEps('LayerNorm', this.eps);
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    this.activation = options.activation ?? 'none';
    check(this.activation === 'none' || this.activation === 'silu', 'LayerNorm', `activation must be 'none' or 'silu', got '${String(this.activation)}'`);
    if (this.elementwiseAffine) {
      this.weight = newParameter(this.normalizedShape, 1, options.backend);
      if (options.bias ?? true) this.bias = newParameter(this.normalizedShape, 0, options.backend);
    }
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps, { activation: this.activation });
  }

  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}), eps=${this.eps}, elementwise_affine=${this.elementwiseAffine}${this.activation === 'none' ? '' : `, activation=${this.activation}`}`;
  }
}
