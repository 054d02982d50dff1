// Learning-rate schedulers (torch.optim.lr_scheduler): LambdaLR, StepLR, LinearLR (warm-up) and CosineAnnealingLR,
// using torch's exact (recursive, chainable) formulas so the lr sequence matches PyTorch step for step.
import { RadixError, check } from '../errors.js';
import type { Optimizer } from './optimizer.js';

/** Any optimizer (schedulers only touch `lr` and `initialLr` of its groups). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOptimizer = Optimizer<any>;

/** A scheduler's state (torch's key names). */
export interface LRSchedulerState {
  last_epoch: number;
  base_lrs: number[];
  _step_count: number;
  _last_lr: number[];
}

/**
 * Base of the lr schedulers (torch.optim.lr_scheduler.LRScheduler). Construction records each group's
 * `initialLr` and performs the initial step (epoch 0); call `step()` once per epoch (after `optimizer.step()`).
 * Subclasses implement `getLr()` and call `initialStep()` at the end of their constructor.
 *
 * @example
 * const sched = new StepLR(opt, 30, { gamma: 0.1 });
 * for (let epoch = 0; epoch < 90; epoch++) { train(); sched.step(); }
 */
export abstract class LRScheduler {
  /** The learning rates each group started from. */
  readonly baseLrs: number[];
  /** Index of the current epoch (−1 before the initial step). */
  lastEpoch: number;
  /** Number of `step()` calls, including the initial one. */
  protected stepCount = 0;
  #lastLr: number[] = [];

  constructor(readonly optimizer: AnyOptimizer, lastEpoch = -1) {
    check(Number.isInteger(lastEpoch) && lastEpoch >= -1, this.constructor.name, `lastEpoch must be an integer ≥ -1, got ${lastEpoch}`);
    optimizer.paramGroups.forEach((g, i) => {
      if (lastEpoch === -1) g.initialLr ??= g.lr;
      else if (g.initialLr === undefined) throw new RadixError(this.constructor.name, `param 'initialLr' is not specified in paramGroups[${i}] when resuming an optimizer`);
    });
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /** Learning rates for the current `lastEpoch` (torch's chainable `get_lr`). */
  abstract getLr(): number[];

  /** Performs the initial step; subclasses call it once their fields are set. */
  protected initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /**
   * Advances one epoch and writes the new learning rates into the optimizer's groups.
   *
   * @example
   * sched.step();
   */
  step(): void {
    this.stepCount++;
    this.lastEpoch++;
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.#lastLr = this.optimizer.paramGroups.map((g) => g.lr);
  }

  /**
   * The learning rates the last `step()` set, one per group.
   *
   * @example
   * sched.getLastLr(); // [0.05]
   */
  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The scheduler's progress (torch's key names). @example const s = sched.stateDict() */
  stateDict(): LRSchedulerState {
    return { last_epoch: this.lastEpoch, base_lrs: [...this.baseLrs], _step_count: this.stepCount, _last_lr: [...this.#lastLr] };
  }
  /** Restores progress saved by `stateDict()`. @example sched.loadStateDict(s) */
  loadStateDict(state: LRSchedulerState): void {
    check(state.base_lrs.length === this.baseLrs.length, 'loadStateDict', `state has ${state.base_lrs.length} learning rates, the optimizer ${this.baseLrs.length} groups`);
    this.lastEpoch = state.last_epoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...state.base_lrs);
    this.stepCount = state._step_count;
    this.#lastLr = [...state._last_lr];
  }

  /** Current learning rate of every group. */
  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/**
 * lr = baseLr · lrLambda(epoch), with one function or one per group (torch's LambdaLR).
 *
 * @example
 * const warmup = new LambdaLR(opt, (e) => Math.min(1, (e + 1) / 100));
 */
export class LambdaLR extends LRScheduler {
  readonly lrLambdas: ((epoch: number) => number)[];
  constructor(optimizer: AnyOptimizer, lrLambda: ((epoch: number) => number) | ((epoch: number) => number)[], options: { lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    const n = optimizer.paramGroups.length;
    this.lrLambdas = Array.isArray(lrLambda) ? [...lrLambda] : new Array<(e: number) => number>(n).fill(lrLambda);
    check(this.lrLambdas.length === n, 'LambdaLR', `expected ${n} lr lambdas, got ${this.lrLambdas.length}`);
    this.initialStep();
  }
  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}

/**
 * Multiplies the lr by `gamma` every `stepSize` epochs (torch's StepLR).
 *
 * @example
 * const sched = new StepLR(opt, 10, { gamma: 0.5 });
 */
export class StepLR extends LRScheduler {
  readonly gamma: number;
  constructor(optimizer: AnyOptimizer, readonly stepSize: number, options: { gamma?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    check(Number.isInteger(stepSize) && stepSize > 0, 'StepLR', `stepSize must be a positive integer, got ${stepSize}`);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }
  getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groupLrs();
    return this.groupLrs().map((lr) => lr * this.gamma);
  }
}

/**
 * Scales the lr linearly from `startFactor` to `endFactor` over `totalIters` epochs, then holds it
 * (torch's LinearLR, the usual warm-up). Defaults: 1/3 → 1 over 5 epochs.
 *
 * @example
 * const warmup = new LinearLR(opt, { startFactor: 0.1, totalIters: 10 });
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;
  constructor(optimizer: AnyOptimizer, options: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    this.startFactor = options.startFactor ?? 1 / 3;
    this.endFactor = options.endFactor ?? 1;
    this.totalIters = options.totalIters ?? 5;
    check(this.startFactor > 0 && this.startFactor <= 1, 'LinearLR', `startFactor must be in (0, 1], got ${this.startFactor}`);
    check(this.endFactor >= 0 && this.endFactor <= 1, 'LinearLR', `endFactor must be in [0, 1], got ${this.endFactor}`);
    check(Number.isInteger(this.totalIters) && this.totalIters > 0, 'LinearLR', `totalIters must be a positive integer, got ${this.totalIters}`);
    this.initialStep();
  }
  getLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.startFactor);
    if (this.lastEpoch > this.totalIters) return lrs;
    const d = this.endFactor - this.startFactor;
    return lrs.map((lr) => lr * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)));
  }
}

/**
 * Cosine annealing from the base lr to `etaMin` over `tMax` epochs (torch's CosineAnnealingLR, including its
 * recursive form, so the sequence matches torch also past `tMax`).
 *
 * @example
 * const sched = new CosineAnnealingLR(opt, 100, { etaMin: 1e-6 });
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly etaMin: number;
  constructor(optimizer: AnyOptimizer, readonly tMax: number, options: { etaMin?: number; lastEpoch?: number } = {}) {
    super(optimizer, options.lastEpoch);
    check(Number.isFinite(tMax) && tMax > 0, 'CosineAnnealingLR', `tMax must be positive, got ${tMax}`);
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }
  getLr(): number[] {
    const { lastEpoch: e, tMax: t, etaMin: eta } = this;
    const lrs = this.groupLrs();
    if (e === 0) return lrs;
    if (this.stepCount === 1 && e > 0) return this.baseLrs.map((b) => eta + ((b - eta) * (1 + Math.cos((e * Math.PI) / t))) / 2);
    if ((e - 1 - t) % (2 * t) === 0) return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - eta) * (1 - Math.cos(Math.PI / t))) / 2);
    return lrs.map((lr) => ((1 + Math.cos((Math.PI * e) / t)) / (1 + Math.cos((Math.PI * (e - 1)) / t))) * (lr - eta) + eta);
  }
}
