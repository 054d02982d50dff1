// Minibatch sampling for small, imbalanced labelled sets: uniform over images, or class-balanced (each class equally
// likely, then an image of it), as the histology protocol uses. Batches are a function of (seed, step) for resume.
import { seededRandom } from './seeded-random.js';

/** Options of {@link MinibatchSampler}. */
export interface MinibatchSamplerOptions {
  /** Pick classes uniformly, then an image within the class (default false: images uniformly). */
  balanced?: boolean;
  /** Seed of the stream (default 0). */
  seed?: number;
}

/**
 * Draws minibatch indices with replacement. With `balanced`, every class present in `labels` has the same
 * probability per draw, whatever its size (torch's WeightedRandomSampler with weights 1/class count).
 *
 * @example
 * const sampler = new MinibatchSampler([0, 0, 0, 1], { balanced: true, seed: 3 });
 * sampler.indices(step, 8); // about half of them are image 3
 */
export class MinibatchSampler {
  readonly balanced: boolean;
  readonly seed: number;
  readonly size: number;
  readonly #byClass: number[][];

  constructor(labels: readonly number[], options: MinibatchSamplerOptions = {}) {
    if (labels.length === 0) throw new Error('MinibatchSampler: the dataset is empty');
    for (const l of labels) if (!Number.isInteger(l) || l < 0) throw new Error(`MinibatchSampler: labels must be non-negative integers, got ${l}`);
    this.balanced = options.balanced ?? false;
    this.seed = options.seed ?? 0;
    this.size = labels.length;
    const groups = new Map<number, number[]>();
    labels.forEach((l, i) => {
      if (!groups.has(l)) groups.set(l, []);
      groups.get(l)!.push(i);
    });
    this.#byClass = [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  /** Number of distinct classes. @example sampler.numClasses */
  get numClasses(): number {
    return this.#byClass.length;
  }

  /** The `count` image indices of minibatch `step`. @example sampler.indices(0, 16) */
  indices(step: number, count: number): number[] {
    const random = seededRandom(this.seed, step, 0x5a);
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      if (this.balanced) {
        const group = this.#byClass[Math.floor(random() * this.#byClass.length)]!;
        out.push(group[Math.floor(random() * group.length)]!);
      } else {
        out.push(Math.floor(random() * this.size));
      }
    }
    return out;
  }
}
