// Multi-scale SSIM (Wang, Simoncelli & Bovik 2003) with torchmetrics' formula: 5 scales, 2× average pooling, relu.
import { type Tensor, avgPool2d, relu, stack, tensor, tidy } from '@radix/tensor-webgpu';
import { ssimConfig, ssimMaps } from './ssim-core.js';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

/** The standard MS-SSIM scale weights of Wang et al. 2003. */
export const MS_SSIM_WEIGHTS: readonly number[] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/** Options of {@link msSsim}. */
export interface MsSsimOptions {
  /** The data range of the images (max − min possible value), e.g. 1 or 255. */
  dataRange: number;
  /** Per-scale exponents; their count is the number of scales (default {@link MS_SSIM_WEIGHTS}). */
  weights?: readonly number[];
}

/**
 * MS-SSIM per image, as torchmetrics' `multiscale_structural_similarity_index_measure` with its defaults:
 * at each scale the torchmetrics-mode SSIM statistics (11-tap Gaussian σ 1.5, reflect padding, mean
 * over the map cropped by 5); the contrast-structure mean at scales 1..S−1 and the full SSIM mean at
 * scale S, each clamped at 0 (relu), combined as ∏ valueᵢ^weightᵢ; 2×2 average pooling between scales.
 * (Current torchmetrics defaults to normalize='relu'; its 0.x releases defaulted to no clamping, which differs
 * only when a contrast term is negative.) Images must be at least 11·2^(S−1) pixels on each side (176 for 5 scales).
 *
 * @example
 * const { mean } = await msSsim(fake, real, { dataRange: 1 }); // [N, 3, 256, 256]
 */
export async function msSsim(a: Tensor, b: Tensor, options: MsSsimOptions): Promise<PerImageResult> {
  const fn = 'msSsim';
  const [, , h, w] = checkPair(fn, a, b, options?.dataRange);
  const weights = options.weights ?? MS_SSIM_WEIGHTS;
  if (!Array.isArray(weights) || weights.length === 0 || weights.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new Error(`${fn}: weights must be a non-empty array of finite numbers`);
  }
  const cfg = ssimConfig('torchmetrics');
  const minSide = cfg.win * 2 ** (weights.length - 1);
  if (h < minSide || w < minSide) {
    throw new Error(`${fn}: images of ${h}×${w} are too small for ${weights.length} scales with an ${cfg.win}×${cfg.win} window; each side must be at least ${minSide}`);
  }
  const scoreT = tidy(() => {
    let x = a;
    let y = b;
    const values: Tensor[] = [];
    for (let i = 0; i < weights.length; i++) {
      const m = ssimMaps(x, y, options.dataRange, cfg);
      const v = i === weights.length - 1 ? m.ssim : m.cs;
      values.push(relu(v.mean([1, 2, 3])));
      if (i < weights.length - 1) {
        x = avgPool2d(x, 2);
        y = avgPool2d(y, 2);
      }
    }
    const st = stack(values, 1); // [N, S]
    const wt = tensor(new Float32Array(weights), { shape: [1, weights.length], backend: a.backend });
    return st.pow(wt).prod(1);
  });
  let perImage: number[];
  try {
    perImage = await readFinite(fn, scoreT);
  } finally {
    scoreT.dispose();
  }
  return { perImage, mean: meanOf(perImage) };
}
