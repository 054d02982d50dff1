// HED colour deconvolution (Ruifrok & Johnston, scikit-image's rgb2hed/hed2rgb) on NCHW tensors, and the
// HED stain augmentation of Tellez et al. built on it.
import { type Generator, type Tensor, matmul, tensor, uniform } from '@radix/tensor-webgpu';
import { type Mat3, invert3 } from './host-math.js';

/** scikit-image's `rgb_from_hed`: rows are the OD vectors of haematoxylin, eosin and DAB. */
export const RGB_FROM_HED: Mat3 = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
];
/** scikit-image's `hed_from_rgb` = inverse of {@link RGB_FROM_HED}. */
export const HED_FROM_RGB: Mat3 = invert3(RGB_FROM_HED);

const LOG_ADJUST = Math.log(1e-6);

/**
 * Checks an RGB image tensor [3, H, W] or [N, 3, H, W] and returns it as [N, 3, H·W] plus its original shape.
 *
 * @example
 * const { flat, shape } = asRgbBatch('myOp', img); // flat: [N, 3, H·W]
 */
export function asRgbBatch(fn: string, img: Tensor): { flat: Tensor; shape: number[] } {
  const shape = [...img.shape];
  if (!(img.ndim === 3 || img.ndim === 4)) throw new Error(`${fn}: expected an image [3, H, W] or [N, 3, H, W], got shape [${shape}]`);
  const n = img.ndim === 4 ? shape[0]! : 1;
  const [c, h, w] = shape.slice(-3) as [number, number, number];
  if (c !== 3) throw new Error(`${fn}: expected 3 (RGB) channels, got ${c} in shape [${shape}]`);
  if (n === 0 || h === 0 || w === 0) throw new Error(`${fn}: empty image of shape [${shape}]`);
  if (img.dtype !== 'float32') throw new Error(`${fn}: expected a float32 image in [0, 1], got ${img.dtype}`);
  return { flat: img.reshape(n, 3, h * w), shape };
}

/** Applies `out[c'] = Σ_c x[c] · m[c][c']` (row-vector convention, like numpy's `x @ m`) over the channel dim. */
function mixChannels(x: Tensor, m: Mat3): Tensor {
  const mt = [0, 1, 2].map((r) => [0, 1, 2].map((c) => m[c]![r]!));
  return matmul(tensor(mt, { backend: x.backend }), x);
}

/**
 * RGB (floats in [0, 1]) → haematoxylin/eosin/DAB concentrations, exactly as skimage.color.rgb2hed:
 * `max(-log(max(rgb, 1e-6)) / -log(1e-6) @ hed_from_rgb, 0)`. Accepts [3, H, W] or [N, 3, H, W].
 *
 * @example
 * const hed = rgb2hed(img); // same shape, channels H, E, D
 */
export function rgb2hed(img: Tensor): Tensor {
  const { flat, shape } = asRgbBatch('rgb2hed', img);
  const od = flat.maximum(1e-6).log().div(LOG_ADJUST);
  return mixChannels(od, HED_FROM_RGB).relu().reshape(shape);
}

/**
 * HED concentrations → RGB in [0, 1], exactly as skimage.color.hed2rgb:
 * `clip(exp(-(hed · -log(1e-6)) @ rgb_from_hed), 0, 1)`.
 *
 * @example
 * const back = hed2rgb(rgb2hed(img)); // ≈ img where no channel is saturated
 */
export function hed2rgb(hed: Tensor): Tensor {
  const { flat, shape } = asRgbBatch('hed2rgb', hed);
  const logRgb = mixChannels(flat.mul(LOG_ADJUST), RGB_FROM_HED);
  return logRgb.exp().clamp(0, 1).reshape(shape);
}

/** Options of {@link hedAugment}. */
export interface HedAugmentOptions {
  /** Half-width of the multiplicative factor α ~ U(1 − sigma, 1 + sigma) (default 0.05). */
  sigma?: number;
  /** Half-width of the additive shift β ~ U(−bias, bias) (default 0.05). */
  bias?: number;
  /** Random stream (default: the global generator). */
  generator?: Generator;
}

/**
 * HED stain augmentation (Tellez et al. 2018): deconvolves RGB into HED concentrations, perturbs each
 * image's channel `c` as `α·c + β` with α ~ U(1−σ, 1+σ), β ~ U(−bias, bias), and recombines.
 *
 * @example
 * const aug = hedAugment(batch, { sigma: 0.05, bias: 0.05, generator: new Generator(1) });
 */
export function hedAugment(img: Tensor, options: HedAugmentOptions = {}): Tensor {
  const sigma = options.sigma ?? 0.05;
  const bias = options.bias ?? 0.05;
  if (!(sigma >= 0 && sigma < 1)) throw new Error(`hedAugment: sigma must be in [0, 1), got ${sigma}`);
  if (!(bias >= 0 && Number.isFinite(bias))) throw new Error(`hedAugment: bias must be a finite number ≥ 0, got ${bias}`);
  const { flat, shape } = asRgbBatch('hedAugment', img);
  const n = flat.shape[0]!;
  const opts = { backend: img.backend, generator: options.generator };
  const alpha = uniform([n, 3, 1], 1 - sigma, 1 + sigma, opts);
  const beta = uniform([n, 3, 1], -bias, bias, opts);
  const hed = rgb2hed(flat.reshape(n, 3, 1, -1)).reshape(n, 3, -1);
  return hed2rgb(hed.mul(alpha).add(beta).reshape(n, 3, 1, -1)).reshape(shape);
}
