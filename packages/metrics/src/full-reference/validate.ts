// Input checks shared by the full-reference metrics, so every metric rejects bad images with the same clear messages.
import { Tensor } from '@radix/tensor-webgpu';

/** A per-image metric result: one value per image of the batch and their mean. */
export interface PerImageResult {
  /** One value per image (batch index order). */
  perImage: number[];
  /** The mean of `perImage`. */
  mean: number;
}

/**
 * Checks that `a` and `b` are float NCHW tensors of one shape on one backend and that `dataRange` is a
 * positive finite number; returns the shape.
 *
 * @example
 * const [n, c, h, w] = checkPair('psnr', a, b, 255);
 */
export function checkPair(fn: string, a: unknown, b: unknown, dataRange: unknown): [number, number, number, number] {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new Error(`${fn}: both images must be Tensors (N, C, H, W)`);
  if (a.ndim !== 4 || b.ndim !== 4) {
    throw new Error(`${fn}: images must be 4-D (N, C, H, W) tensors, got shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (a.shape.some((d, i) => d !== b.shape[i])) {
    throw new Error(`${fn}: image shapes differ: [${a.shape.join(', ')}] vs [${b.shape.join(', ')}]`);
  }
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new Error(`${fn}: images must be float32, got ${a.dtype} and ${b.dtype}`);
  if (a.backend !== b.backend) throw new Error(`${fn}: images are on different backends (${a.backend.name} and ${b.backend.name})`);
  if (a.size === 0) throw new Error(`${fn}: empty images (shape [${a.shape.join(', ')}])`);
  if (typeof dataRange !== 'number' || !Number.isFinite(dataRange) || dataRange <= 0) {
    throw new Error(`${fn}: dataRange must be a positive finite number (e.g. 1 or 255), got ${String(dataRange)}`);
  }
  return a.shape as [number, number, number, number];
}

/**
 * Reads a small float tensor to JS numbers and throws when a value is NaN (which only NaN/Infinity inputs produce).
 *
 * @example
 * const values = await readFinite('ssim', perImageTensor);
 */
export async function readFinite(fn: string, t: Tensor, allowInfinity = false): Promise<number[]> {
  const values = Array.from((await t.data()) as Float32Array, Number);
  for (const v of values) {
    if (Number.isNaN(v) || (!allowInfinity && !Number.isFinite(v))) {
      throw new Error(`${fn}: the result is ${v}; the images contain NaN or Infinity values`);
    }
  }
  return values;
}

/**
 * Mean of a non-empty list of numbers (Infinity when any value is Infinity).
 *
 * @example
 * meanOf([1, 2, 3]); // 2
 */
export function meanOf(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
