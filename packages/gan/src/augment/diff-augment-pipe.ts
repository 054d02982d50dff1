// DiffAugment (Zhao et al. 2020) as a trainer augmenter: the same policy on real and fake images in D and G steps.
import { diffAugment } from '@radix/augment';
import type { Generator, Tensor } from '@radix/tensor-webgpu';
import type { Augmenter } from './augmenter.js';

const KNOWN = ['color', 'translation', 'cutout'];

/**
 * DiffAugment with a comma-separated policy of `color`, `translation`, `cutout` (the paper's default is all three).
 *
 * @example
 * const aug = new DiffAugmentPipe('color,translation,cutout');
 * const seen = aug.apply(fakes, new Generator(3));
 */
export class DiffAugmentPipe implements Augmenter {
  readonly policy: string;
  constructor(policy = 'color,translation,cutout') {
    const names = policy.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === 0) throw new Error('DiffAugmentPipe: empty policy (use e.g. color,translation,cutout)');
    for (const n of names) if (!KNOWN.includes(n)) throw new Error(`DiffAugmentPipe: unknown policy '${n}' (expected ${KNOWN.join(', ')})`);
    this.policy = names.join(',');
  }

  describe(): string {
    return `diffaugment ${this.policy}`;
  }

  apply(x: Tensor, generator: Generator): Tensor {
    return diffAugment(x, this.policy, { generator });
  }
}
