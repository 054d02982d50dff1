// Peak signal-to-noise ratio per image, matching skimage.metrics.peak_signal_noise_ratio applied to each image.
import { type Tensor, tidy } from '@radix/tensor-webgpu';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

/** Options of {@link psnr}. */
export interface PsnrOptions {
  /** The data range of the images (max − min possible value), e.g. 1 or 255. Required: it is never guessed. */
  dataRange: number;
}

/**
 * PSNR in dB of each image pair: 10·log10(dataRange² / MSE), the MSE taken over C·H·W of that image
 * (scikit-image's `peak_signal_noise_ratio(a[i], b[i], data_range=dataRange)`). Identical images have
 * MSE 0 and give `Infinity` (scikit-image returns inf as well); `mean` is then Infinity too.
 * The squared error is computed on the tensors' backend, the logarithm in float64 in JS.
 *
 * @example
 * const { perImage, mean } = await psnr(fake, real, { dataRange: 1 }); // fake, real: [N, 3, H, W] in [0, 1]
 */
export async function psnr(a: Tensor, b: Tensor, options: PsnrOptions): Promise<PerImageResult> {
  const fn = 'psnr';
  checkPair(fn, a, b, options?.dataRange);
  const r = options.dataRange;
  const mseT = tidy(() => a.sub(b).div(r).square().mean([1, 2, 3]));
  let mse: number[];
  try {
    mse = await readFinite(fn, mseT);
  } finally {
    mseT.dispose();
  }
  const perImage = mse.map((m) => (m === 0 ? Infinity : 10 * Math.log10(1 / m)));
  return { perImage, mean: meanOf(perImage) };
}
