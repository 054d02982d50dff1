// DiffAugment (Zhao et al. 2020, "Differentiable Augmentation for Data-Efficient GAN Training"): colour,
// translation and cutout built only from differentiable tensor ops, so gradients reach the image.
import { type Generator, type Tensor, affineGrid, arange, gridSample, logicalAnd, logicalNot, rand, randint } from '@radix/tensor-webgpu';
import { batchMatrix, checkBatch } from './batch-matrix.js';

/** The DiffAugment policies. */
export type DiffAugmentPolicy = 'color' | 'translation' | 'cutout';

/** Options of {@link diffAugment}. */
export interface DiffAugmentOptions {
  /** Random stream (default: the global generator). Draws happen in policy order. */
  generator?: Generator;
  /** Maximum shift as a fraction of the side (default 1/8). */
  translationRatio?: number;
  /** Side of the cut-out square as a fraction of the image side (default 1/2). */
  cutoutRatio?: number;
}

const POLICIES: readonly DiffAugmentPolicy[] = ['color', 'translation', 'cutout'];

/**
 * Applies DiffAugment `policy` (comma-separated, e.g. `'color,translation,cutout'`) to an NCHW batch:
 * color = brightness + U(−0.5, 0.5), saturation ×U(0, 2) around the channel mean, contrast ×U(0.5, 1.5)
 * around the image mean; translation = integer shift up to round(ratio·side) per axis with zero fill;
 * cutout = one zeroed square of round(ratio·side) per image, centre anywhere (clipped at the border).
 *
 * @example
 * const out = diffAugment(fakeImages, 'color,translation,cutout', { generator: new Generator(0) });
 * discriminator(out).mean().backward(); // gradients reach fakeImages
 */
export function diffAugment(x: Tensor, policy: string, options: DiffAugmentOptions = {}): Tensor {
  const fn = 'diffAugment';
  checkBatch(fn, x);
  const names = policy.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (const p of names) if (!POLICIES.includes(p as DiffAugmentPolicy)) throw new Error(`${fn}: unknown policy '${p}' (expected ${POLICIES.join(', ')})`);
  let out = x;
  for (const p of names) {
    if (p === 'color') out = color(out, options.generator);
    else if (p === 'translation') out = translation(out, options.translationRatio ?? 0.125, options.generator);
    else out = cutout(out, options.cutoutRatio ?? 0.5, options.generator);
  }
  return out;
}

function color(x: Tensor, generator?: Generator): Tensor {
  const n = x.shape[0]!;
  const opts = { backend: x.backend, generator };
  let out = x.add(rand([n, 1, 1, 1], opts).sub(0.5));
  const chanMean = out.mean(1, true);
  out = out.sub(chanMean).mul(rand([n, 1, 1, 1], opts).mul(2)).add(chanMean);
  const imgMean = out.mean([1, 2, 3], true);
  return out.sub(imgMean).mul(rand([n, 1, 1, 1], opts).add(0.5)).add(imgMean);
}

function translation(x: Tensor, ratio: number, generator?: Generator): Tensor {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`diffAugment: translationRatio must be in [0, 1], got ${ratio}`);
  const [n, , h, w] = x.shape as [number, number, number, number];
  const sy = Math.floor(h * ratio + 0.5);
  const sx = Math.floor(w * ratio + 0.5);
  const opts = { backend: x.backend, generator };
  const ty = randint(-sy, sy + 1, [n], opts).to('float32');
  const tx = randint(-sx, sx + 1, [n], opts).to('float32');
  // out[i, j] = x[i + ty, j + tx] (zero outside): nearest sampling at exactly shifted pixel centres.
  const theta = batchMatrix([[1, 0, tx.mul(2 / w)], [0, 1, ty.mul(2 / h)]], n, x.backend);
  return gridSample(x, affineGrid(theta, x.shape, false), { mode: 'nearest', paddingMode: 'zeros', alignCorners: false });
}

function cutout(x: Tensor, ratio: number, generator?: Generator): Tensor {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`diffAugment: cutoutRatio must be in [0, 1], got ${ratio}`);
  const [n, , h, w] = x.shape as [number, number, number, number];
  const ch = Math.floor(h * ratio + 0.5);
  const cw = Math.floor(w * ratio + 0.5);
  const opts = { backend: x.backend, generator };
  const oy = randint(0, h + (1 - (ch % 2)), [n, 1, 1, 1], opts).to('float32').sub(Math.floor(ch / 2));
  const ox = randint(0, w + (1 - (cw % 2)), [n, 1, 1, 1], opts).to('float32').sub(Math.floor(cw / 2));
  const ys = arange(h, { backend: x.backend }).to('float32').reshape(1, 1, h, 1);
  const xs = arange(w, { backend: x.backend }).to('float32').reshape(1, 1, 1, w);
  const inY = logicalAnd(ys.ge(oy), ys.lt(oy.add(ch)));
  const inX = logicalAnd(xs.ge(ox), xs.lt(ox.add(cw)));
  const keep = logicalNot(logicalAnd(inY, inX)).to('float32');
  return x.mul(keep);
}
