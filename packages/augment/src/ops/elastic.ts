// Elastic deformation (Simard et al. 2003): a smoothed random displacement field applied with gridSample;
// masks and label maps follow the same field with nearest sampling.
import {
  type Generator, type Tensor, add, affineGrid, gridSample, mul, permute, randn, tensor, tidy,
} from '@radix/tensor-webgpu';
import { gaussianBlur } from './color.js';
import { type FillMode, check4d } from './geometry.js';

/** Options of {@link elasticDeform}. */
export interface ElasticOptions {
  /** Displacement scale in pixels (the smoothed unit-normal field is multiplied by it). */
  alpha: number;
  /** Standard deviation in pixels of the Gaussian that smooths the field (kernel radius ⌈3σ⌉, capped by the image). */
  sigma: number;
  generator?: Generator;
  fill?: FillMode;
  masks?: Tensor;
}

/**
 * Displaces every pixel by alpha · (Gaussian-smoothed N(0, 1) field), one field per image (drawn on the
 * images' device from `generator`: 2·N·H·W normals).
 *
 * @example
 * const { images } = elasticDeform(x, { alpha: 4, sigma: 3, generator: new Generator(1) });
 */
export function elasticDeform(x: Tensor, options: ElasticOptions): { images: Tensor; masks?: Tensor } {
  const [n, c, h, w] = check4d('elasticDeform', x);
  const { alpha, sigma, masks } = options;
  if (!Number.isFinite(alpha) || alpha < 0) throw new Error(`elasticDeform: alpha must be finite and ≥ 0, got ${alpha}`);
  if (!Number.isFinite(sigma) || sigma <= 0) throw new Error(`elasticDeform: sigma must be positive, got ${sigma}`);
  if (masks && (masks.ndim !== 4 || masks.shape[0] !== n || masks.shape[2] !== h || masks.shape[3] !== w)) {
    throw new Error(`elasticDeform: masks must be (N, K, H, W) matching images [${x.shape.join(', ')}], got [${masks.shape.join(', ')}]`);
  }
  const grid = tidy(() => {
    const field = randn([n, 2, h, w], { backend: x.backend, generator: options.generator });
    const rx = Math.max(0, Math.min(Math.ceil(3 * sigma), w - 1));
    const ry = Math.max(0, Math.min(Math.ceil(3 * sigma), h - 1));
    const smooth = gaussianBlur(field, [2 * rx + 1, 2 * ry + 1], sigma);
    // Pixel displacements → normalised grid units (align_corners false: 2/W per pixel along x, 2/H along y).
    const scale = tensor([(2 * alpha) / w, (2 * alpha) / h], { shape: [1, 2, 1, 1], backend: x.backend });
    const disp = permute(mul(smooth, scale), [0, 2, 3, 1]);
    const eye = tensor(Array.from({ length: n }, () => [1, 0, 0, 0, 1, 0]).flat(), { shape: [n, 2, 3], backend: x.backend });
    return add(affineGrid(eye, [n, c, h, w], false), disp);
  });
  const images = gridSample(x, grid, { mode: 'bilinear', paddingMode: options.fill ?? 'reflection', alignCorners: false });
  const out = masks ? { images, masks: gridSample(masks, grid, { mode: 'nearest', paddingMode: 'zeros', alignCorners: false }) } : { images };
  grid.dispose();
  return out;
}
