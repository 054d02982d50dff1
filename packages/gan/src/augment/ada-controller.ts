// ADA's feedback loop (Karras et al. 2020): every few minibatches, move p by a fixed step towards keeping the
// overfitting heuristic r_t = E[sign(D(real))] at its target. Unlike the reference, p is clamped to [0, 1].
import type { AdaPipe } from './ada-pipe.js';

/** Options of {@link AdaController}. */
export interface AdaControllerOptions {
  /** Target of E[sign(D(real))] (default 0.6). */
  target?: number;
  /** Minibatches between adjustments (default 4). */
  interval?: number;
  /** kimg for p to go from 0 to 1 at the maximum rate (default 500; StyleGAN2-ADA uses 100 when resuming). */
  kimg?: number;
  /** Images per minibatch. */
  batch: number;
}

/** State of an {@link AdaController} as saved in a checkpoint. */
export interface AdaControllerState {
  p: number;
  signSum: number;
  signCount: number;
  minibatches: number;
  lastRt: number | null;
}

/**
 * The p controller. Report the signs of every real-logit batch D computes ({@link AdaController.report}), then call
 * {@link AdaController.step} once per minibatch: after minibatch 0, 4, 8, … (every `interval`), with r_t the mean of
 * the signs reported since the last adjustment, p ← clamp(p + sign(r_t − target)·batch·interval/(kimg·1000), 0, 1).
 *
 * @example
 * const ada = new AdaController(pipe, { batch: 32 });
 * ada.report(signSum, count); // Σ sign(D(real)) and the number of logits
 * ada.step();                 // end of the minibatch
 * log({ p: pipe.p });
 */
export class AdaController {
  readonly target: number;
  readonly interval: number;
  readonly kimg: number;
  readonly batch: number;
  #signSum = 0;
  #signCount = 0;
  #minibatches = 0;
  /** r_t of the last adjustment (null before the first). */
  lastRt: number | null = null;

  constructor(readonly pipe: AdaPipe, options: AdaControllerOptions) {
    this.target = options.target ?? 0.6;
    this.interval = options.interval ?? 4;
    this.kimg = options.kimg ?? 500;
    this.batch = options.batch;
    if (!(this.target >= -1 && this.target <= 1)) throw new Error(`AdaController: target must be in [-1, 1], got ${this.target}`);
    if (!(Number.isInteger(this.interval) && this.interval >= 1)) throw new Error(`AdaController: interval must be a positive integer, got ${this.interval}`);
    if (!(this.kimg > 0)) throw new Error(`AdaController: kimg must be positive, got ${this.kimg}`);
    if (!(Number.isInteger(this.batch) && this.batch >= 1)) throw new Error(`AdaController: batch must be a positive integer, got ${this.batch}`);
  }

  /** The step p moves by at each adjustment: batch·interval/(kimg·1000). @example ada.stepSize() */
  stepSize(): number {
    return (this.batch * this.interval) / (this.kimg * 1000);
  }

  /** Adds Σ sign(real logits) over `count` logits. @example ada.report(3, 8) */
  report(signSum: number, count: number): void {
    if (!Number.isFinite(signSum) || !(count >= 0)) throw new Error(`AdaController.report: expected a finite sum and a count ≥ 0, got ${signSum}, ${count}`);
    this.#signSum += signSum;
    this.#signCount += count;
  }

  /**
   * Ends a minibatch; adjusts p after minibatches 0, interval, 2·interval, …. Returns the new p when it adjusted
   * (null otherwise, or when nothing was reported).
   *
   * @example
   * const p = ada.step();
   */
  step(): number | null {
    const due = this.#minibatches % this.interval === 0;
    this.#minibatches++;
    if (!due || this.#signCount === 0) return null;
    const rt = this.#signSum / this.#signCount;
    this.#signSum = 0;
    this.#signCount = 0;
    this.lastRt = rt;
    const next = Math.min(1, Math.max(0, this.pipe.p + Math.sign(rt - this.target) * this.stepSize()));
    this.pipe.p = next;
    return next;
  }

  /** Everything needed to resume exactly. @example const s = ada.state() */
  state(): AdaControllerState {
    return { p: this.pipe.p, signSum: this.#signSum, signCount: this.#signCount, minibatches: this.#minibatches, lastRt: this.lastRt };
  }

  /** Restores {@link AdaController.state} output. @example ada.loadState(saved) */
  loadState(s: AdaControllerState): void {
    this.pipe.p = s.p;
    this.#signSum = s.signSum;
    this.#signCount = s.signCount;
    this.#minibatches = s.minibatches;
    this.lastRt = s.lastRt;
  }
}
