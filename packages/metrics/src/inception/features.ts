// inceptionFeatures: images in [0, 1] → FID Inception pool3 / logits, with a named resize convention and
// batches split so no intermediate exceeds the device's largest storage binding.
import { add, mul, slice, tidy, type Tensor } from '@radix/tensor-webgpu';
import type { FidInceptionV3 } from './network.js';
import { INCEPTION_RESIZES, resizeImages, type InceptionResize } from './resize.js';

/** Options of {@link inceptionFeatures}. */
export interface InceptionFeaturesOptions {
  /** Resize convention to 299×299 (default `'pytorch-bilinear'`, as pytorch-fid). */
  resize?: InceptionResize;
  /** Images per forward pass (default 16; lowered automatically to fit the device). */
  batchSize?: number;
}

/** Features of N images: row-major [N, 2048] and [N, 1008] arrays. */
export interface InceptionFeatures {
  count: number;
  pool3: Float32Array;
  logits: Float32Array;
  logitsUnbiased: Float32Array;
}

/** Bytes of the largest activation of one 299×299 image (Conv2d_2b_3x3's [64, 147, 147] output). */
const PEAK_BYTES_PER_IMAGE = 64 * 147 * 147 * 4;

/**
 * The largest batch whose biggest intermediate (and input slice) fits in `maxBindingBytes`, capped at `requested`.
 *
 * @example
 * inceptionBatchLimit(128 * 2 ** 20, [3, 512, 512], 64); // 24
 */
export function inceptionBatchLimit(maxBindingBytes: number, imageShape: readonly number[], requested: number): number {
  const inBytes = imageShape.reduce((a, b) => a * b, 4);
  const per = Math.max(PEAK_BYTES_PER_IMAGE, inBytes, 3 * 299 * 299 * 4);
  return Math.max(1, Math.min(requested, Math.floor(maxBindingBytes / per)));
}

/**
 * The network input for images in [0, 1] under a convention: resized to 299×299 and scaled as the reference tool
 * scales it. pytorch-fid maps [0, 1] to `2x − 1`; torch-fidelity (`'tf1-bilinear'`) and clean-fid (`'pil-bicubic'`)
 * feed their network `(v − 128) / 128` for pixel values v in [0, 255], i.e. `x·255/128 − 1`.
 *
 * @example
 * const x = await inceptionInput(images, 'tf1-bilinear'); // [N, 3, 299, 299]
 */
export async function inceptionInput(images: Tensor, resize: InceptionResize): Promise<Tensor> {
  const resized = await resizeImages(images, resize, 299);
  const scale = resize === 'pytorch-bilinear' ? 2 : 255 / 128;
  const x = tidy(() => add(mul(resized, scale), -1));
  resized.dispose();
  return x;
}

/**
 * Runs the FID Inception-v3 on NCHW float images in [0, 1] (3 channels, any size ≥ 1): resizes and scales them with
 * the chosen convention ({@link inceptionInput}), and collects pool3, logits and unbiased logits.
 *
 * @example
 * const net = new FidInceptionV3(await loadFidInceptionWeights());
 * const { pool3 } = await inceptionFeatures(net, images, { resize: 'pytorch-bilinear', batchSize: 8 });
 */
export async function inceptionFeatures(net: FidInceptionV3, images: Tensor, options: InceptionFeaturesOptions = {}): Promise<InceptionFeatures> {
  const fn = 'inceptionFeatures';
  const resize = options.resize ?? 'pytorch-bilinear';
  if (!INCEPTION_RESIZES.includes(resize)) throw new Error(`${fn}: unknown resize '${String(resize)}' (expected ${INCEPTION_RESIZES.join(', ')})`);
  if (images.ndim !== 4 || images.shape[1] !== 3) throw new Error(`${fn}: expected images of shape [N, 3, H, W], got [${images.shape.join(', ')}]`);
  if (images.dtype !== 'float32') throw new Error(`${fn}: expected float32 images in [0, 1], got ${images.dtype}`);
  const n = images.shape[0]!;
  if (n === 0 || images.size === 0) throw new Error(`${fn}: no images (shape [${images.shape.join(', ')}])`);
  const requested = options.batchSize ?? 16;
  if (!Number.isInteger(requested) || requested < 1) throw new Error(`${fn}: batchSize must be a positive integer, got ${requested}`);
  const all = (await images.data()) as Float32Array;
  const per = all.length / n;
  for (let i = 0; i < all.length; i++) {
    if (!Number.isFinite(all[i])) throw new Error(`${fn}: image ${Math.floor(i / per)} contains NaN or Inf`);
  }
  const batch = inceptionBatchLimit(images.backend.info.maxBindingBytes, images.shape.slice(1), requested);
  const pool3 = new Float32Array(n * 2048);
  const logits = new Float32Array(n * 1008);
  const logitsUnbiased = new Float32Array(n * 1008);
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    const part = n === end - start ? images : slice(images, 0, start, end);
    try {
      const x = await inceptionInput(part, resize);
      const out = net.infer(x);
      x.dispose();
      try {
        const [p, l, u] = await Promise.all([out.pool3.data(), out.logits.data(), out.logitsUnbiased.data()]);
        pool3.set(p as Float32Array, start * 2048);
        logits.set(l as Float32Array, start * 1008);
        logitsUnbiased.set(u as Float32Array, start * 1008);
      } finally {
        out.pool3.dispose();
        out.logits.dispose();
        out.logitsUnbiased.dispose();
      }
    } finally {
      if (part !== images) part.dispose();
    }
  }
  return { count: n, pool3, logits, logitsUnbiased };
}
