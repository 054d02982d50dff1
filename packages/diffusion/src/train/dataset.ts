// The training images of a diffusion model in host memory and how a batch is drawn from them: class-balanced (or
// uniform) choices, random horizontal flips and optional rudi augmentation, all from one seeded host stream per step.
import { type Pipeline, HostRandom } from '@radix/augment';
import { type Backend, type Tensor, cat, noGrad, tensor, tidy } from '@radix/tensor-webgpu';

/**
 * Training images, all the same size, as float32 CHW arrays with values in [0, 1]; optional class labels
 * (0 … numClasses − 1).
 *
 * @example
 * const data: DiffusionDataset = { channels: 3, height: 32, width: 32, images: [img0, img1], labels: [0, 1], classNames: ['a', 'b'] };
 */
export interface DiffusionDataset {
  channels: number;
  height: number;
  width: number;
  images: Float32Array[];
  labels?: number[];
  /** Names of the classes (their count is the number of classes). */
  classNames?: string[];
}

/** How batches are drawn. */
export interface BatchOptions {
  batchSize: number;
  /** Choose a class uniformly, then an image of it (default true with labels); otherwise images uniformly. */
  classBalanced?: boolean;
  /** Flip each image left-right with probability 1/2 (default true; diffusers' train_unconditional --random_flip). */
  randomFlip?: boolean;
  /** Augment each drawn image on the fly with this pipeline (e.g. rudiPreset()). */
  augment?: Pipeline;
}

/** One drawn batch: images in [−1, 1] [B, C, H, W] on the backend, labels, and which images were drawn. */
export interface DrawnBatch {
  images: Tensor;
  labels: number[] | null;
  indices: number[];
}

/**
 * Checks a dataset and returns its number of classes (0 when unlabelled); throws naming the problem.
 *
 * @example
 * const k = validateDataset(data);
 */
export function validateDataset(data: DiffusionDataset): number {
  const n = data.images.length;
  if (n === 0) throw new Error('diffusion training: the dataset is empty (no images)');
  const size = data.channels * data.height * data.width;
  data.images.forEach((img, i) => {
    if (img.length !== size) throw new Error(`diffusion training: image ${i} has ${img.length} values, expected ${data.channels}×${data.height}×${data.width} = ${size}`);
  });
  if (!data.labels) return 0;
  if (data.labels.length !== n) throw new Error(`diffusion training: ${data.labels.length} labels for ${n} images`);
  const k = data.classNames?.length ?? Math.max(...data.labels) + 1;
  data.labels.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= k) throw new Error(`diffusion training: label ${l} of image ${i} is outside [0, ${k})`);
  });
  for (let c = 0; c < k; c++) {
    if (!data.labels.includes(c)) throw new Error(`diffusion training: class ${data.classNames?.[c] ?? c} has no images`);
  }
  return k;
}

/**
 * A host random stream for (seed, stream). HostRandom's first 32-bit word depends on the seed only (not on the
 * stream), so the stream's first draw is spent on a fresh seed for a new generator.
 *
 * @example
 * const rng = streamRandom(seed, 8 * step + 2);
 */
export function streamRandom(seed: number, stream: number): HostRandom {
  const r = new HostRandom(seed, stream);
  r.random();
  return new HostRandom(Math.floor(r.random() * 2 ** 53));
}

/**
 * Draws batch number `step` deterministically from `seed` (host streams {@link streamRandom}(seed, 8·step) and (seed, 8·step + 1)), so a resumed
 * run draws exactly the batches an uninterrupted one would.
 *
 * @example
 * const { images, labels } = drawBatch(data, { batchSize: 16 }, seed, step, backend);
 */
export function drawBatch(data: DiffusionDataset, options: BatchOptions, seed: number, step: number, backend: Backend): DrawnBatch {
  const rng = streamRandom(seed, 8 * step);
  const { channels: c, height: h, width: w } = data;
  const plane = h * w;
  const size = c * plane;
  const balanced = (options.classBalanced ?? true) && data.labels !== undefined;
  let byClass: number[][] | null = null;
  if (balanced) {
    const k = data.classNames?.length ?? Math.max(...data.labels!) + 1;
    byClass = Array.from({ length: k }, () => []);
    data.labels!.forEach((l, i) => byClass![l]!.push(i));
  }
  const indices: number[] = [];
  for (let b = 0; b < options.batchSize; b++) {
    if (byClass) {
      const members = byClass[rng.choiceIndex(byClass.length)]!;
      indices.push(members[rng.choiceIndex(members.length)]!);
    } else {
      indices.push(rng.choiceIndex(data.images.length));
    }
  }
  const flips = indices.map(() => (options.randomFlip ?? true) && rng.random() < 0.5);
  const host = new Float32Array(options.batchSize * size);
  indices.forEach((idx, b) => {
    const src = data.images[idx]!;
    const dst = b * size;
    if (!flips[b]) host.set(src, dst);
    else {
      for (let ch = 0; ch < c; ch++) {
        for (let y = 0; y < h; y++) {
          const row = ch * plane + y * w;
          for (let x = 0; x < w; x++) host[dst + row + x] = src[row + w - 1 - x]!;
        }
      }
    }
  });
  const labels = data.labels ? indices.map((i) => data.labels![i]!) : null;
  const images = noGrad(() => tidy(() => {
    let t = tensor(host, { shape: [options.batchSize, c, h, w], backend });
    if (options.augment) {
      const aug = streamRandom(seed, 8 * step + 1);
      const outs: Tensor[] = [];
      for (let b = 0; b < options.batchSize; b++) {
        const one = t.narrow(0, b, 1);
        outs.push(options.augment.apply(one, options.augment.draw(b, aug, [h, w])));
      }
      t = outs.length === 1 ? outs[0]! : cat(outs, 0);
    }
    return t.mul(2).sub(1);
  }));
  return { images, labels, indices };
}
