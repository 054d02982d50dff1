// The one interface the trainer sees for differentiable augmentation: ADA's pipe and DiffAugment both implement it.
import type { Generator, Tensor } from '@radix/tensor-webgpu';

/**
 * A differentiable augmentation applied to every image D sees (real and fake, in D and G steps).
 *
 * @example
 * const aug: Augmenter = new AdaPipe({ p: 0.2 });
 * const seen = aug.apply(images, new Generator(step));
 */
export interface Augmenter {
  /** Short description for logs ('ada bgc p=0.213', 'diffaugment color,translation,cutout'). */
  describe(): string;
  /** Augments an NCHW batch; gradients flow to `x`. */
  apply(x: Tensor, generator: Generator): Tensor;
}
