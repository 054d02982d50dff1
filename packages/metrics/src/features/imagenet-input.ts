// The input of the ImageNet classifiers: images in [0, 1] resized by a named convention, then normalised with
// ImageNet's channel mean and standard deviation (torchvision's transforms.Normalize).
import { tensor, tidy, type Tensor } from '@radix/tensor-webgpu';
import { INCEPTION_RESIZES, resizeImages, type InceptionResize } from '../inception/resize.js';

/** ImageNet channel means and standard deviations (torchvision). */
export const IMAGENET_MEAN: readonly number[] = Object.freeze([0.485, 0.456, 0.406]);
export const IMAGENET_STD: readonly number[] = Object.freeze([0.229, 0.224, 0.225]);

/** Options of {@link imagenetInput}. */
export interface ImagenetInputOptions {
  /** Output side (default 224); `null` keeps the images' size. */
  size?: number | null;
  /** Resize convention (default 'tf1-bilinear', as torch-fidelity's VGG16 extractor). */
  resize?: InceptionResize;
}

/**
 * (x − mean) / std per channel of images in [0, 1] [N, 3, H, W], after resizing to `size`×`size` (differentiable
 * with the 'pytorch-bilinear' resize or `size: null`; the other two conventions run on the CPU).
 *
 * @example
 * const x = await imagenetInput(images, { size: 224, resize: 'tf1-bilinear' });
 */
export async function imagenetInput(images: Tensor, options: ImagenetInputOptions = {}): Promise<Tensor> {
  const fn = 'imagenetInput';
  if (images.ndim !== 4 || images.shape[1] !== 3) throw new Error(`${fn}: expected images of shape [N, 3, H, W], got [${images.shape.join(', ')}]`);
  const size = options.size === undefined ? 224 : options.size;
  const resize = options.resize ?? 'tf1-bilinear';
  if (!INCEPTION_RESIZES.includes(resize)) throw new Error(`${fn}: unknown resize '${String(resize)}' (expected ${INCEPTION_RESIZES.join(', ')})`);
  if (size !== null && !(Number.isInteger(size) && size > 0)) throw new Error(`${fn}: size must be a positive integer or null, got ${String(size)}`);
  const resized = size === null || (images.shape[2] === size && images.shape[3] === size) ? images : await resizeImages(images, resize, size);
  try {
    return normalizeImagenet(resized);
  } finally {
    if (resized !== images) resized.dispose();
  }
}

/**
 * (x − mean) / std with ImageNet's statistics, on the tensors' backend (differentiable).
 *
 * @example
 * const y = normalizeImagenet(x); // x in [0, 1]
 */
export function normalizeImagenet(x: Tensor): Tensor {
  return tidy(() => {
    const mean = tensor(new Float32Array(IMAGENET_MEAN), { shape: [1, 3, 1, 1], backend: x.backend });
    const std = tensor(new Float32Array(IMAGENET_STD), { shape: [1, 3, 1, 1], backend: x.backend });
    return x.sub(mean).div(std);
  });
}
