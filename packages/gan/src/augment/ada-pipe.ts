// StyleGAN2-ADA's augment pipe ('bgc': blit, geometric, colour) driven by one probability p, built on
// @radix/augment's differentiable ADA ops (which carry the paper's strengths).
import { ADA_OPS, type AdaOp, adaAugment } from '@radix/augment';
import type { Generator, Tensor } from '@radix/tensor-webgpu';
import type { Augmenter } from './augmenter.js';

/** The operations of ADA's 'bgc' pipe, in application order. */
export const BGC_OPS: readonly AdaOp[] = ADA_OPS;

/** Options of {@link AdaPipe}. */
export interface AdaPipeOptions {
  /** Initial augmentation probability (default 0, as StyleGAN2-ADA starts). */
  p?: number;
  /** Operations (default the whole 'bgc' set). */
  ops?: readonly AdaOp[];
}

/**
 * The adaptive augmentation pipe: every op of the set is applied to each image with probability `p` (the
 * rotations with 1 − √(1 − p) each), with the strengths of Karras et al. 2020: x-flip, 90° rotations, integer
 * translation ±1/8, isotropic scale 2^N(0,0.2²), rotation U(−π, π), anisotropic scale 2^N(0,0.2²), fractional
 * translation N(0,(1/8)²), brightness N(0,0.2²), contrast 2^N(0,0.5²), luma flip, hue rotation U(−π, π),
 * saturation 2^N(0,1). `p` is changed by {@link AdaController}. With p = 0 the images pass through untouched.
 *
 * @example
 * const pipe = new AdaPipe();
 * pipe.p = 0.3;
 * const seen = pipe.apply(reals, new Generator(1));
 */
export class AdaPipe implements Augmenter {
  #p: number;
  readonly ops: readonly AdaOp[];

  constructor(options: AdaPipeOptions = {}) {
    this.#p = checkP(options.p ?? 0);
    this.ops = options.ops ?? BGC_OPS;
  }

  /** The current augmentation probability, in [0, 1]. */
  get p(): number {
    return this.#p;
  }
  set p(value: number) {
    this.#p = checkP(value);
  }

  describe(): string {
    return `ada ${this.ops === BGC_OPS ? 'bgc' : this.ops.join(',')} p=${this.#p.toFixed(4)}`;
  }

  apply(x: Tensor, generator: Generator): Tensor {
    if (this.#p === 0) return x;
    return adaAugment(x, { p: this.#p, ops: this.ops, generator });
  }
}

function checkP(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new Error(`AdaPipe: p must be a probability in [0, 1], got ${p}`);
  return p;
}
