// Dropout (functional and module): zeroes elements with probability p using the Philox `rand` stream and
// rescales the rest by 1/(1 − p); the identity in eval mode.
import { check } from '../errors.js';
import { tidy } from '../memory.js';
import { rand } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Stream for the mask (default: the global generator). */
  generator?: Generator;
}

function checkP(op: string, p: number): void {
  check(Number.isFinite(p) && p >= 0 && p <= 1, op, `dropout probability has to be between 0 and 1, but got ${p}`);
}

/**
 * F.dropout: when `training`, each element is zeroed with probability `p` and the others are scaled by
 * 1/(1 − p); otherwise a new handle on `x` is returned. Masks come from Philox (identical on CPU and WebGPU for
 * one seed, but not torch's numbers).
 *
 * @example
 * const y = dropout(x, 0.1, model.training);
 */
export function dropout(x: Tensor, p = 0.5, training = true, options: DropoutOptions = {}): Tensor {
  checkP('dropout', p);
  if (!training || p === 0) return x.reshape([...x.shape]);
  if (p === 1) return x.mul(0);
  return tidy(() => {
    const keepMask = rand(x.shape, { backend: x.backend, generator: options.generator }).ge(p);
    return where(keepMask, x.mul(1 / (1 - p)), 0);
  });
}

/**
 * Dropout layer: active in training mode, the identity after `eval()`.
 *
 * @example
 * const drop = new Dropout(0.2);
 * const y = drop.call(x);
 */
export class Dropout extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;
  constructor(p = 0.5, options: DropoutOptions = {}) {
    super();
    checkP('Dropout', p);
    this.p = p;
    this.generator = options.generator;
  }
  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training, { generator: this.generator });
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
