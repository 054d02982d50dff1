// Structural similarity (SSIM) with the convention named: Wang et al. 2004, scikit-image defaults, or torchmetrics.
import { type Tensor, keep, tidy } from '@radix/tensor-webgpu';
import { type SsimMode, ssimConfig, ssimMaps } from './ssim-core.js';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

export type { SsimMode } from './ssim-core.js';

/** Options of {@link ssim}. */
export interface SsimOptions {
  /** The data range of the images (max − min possible value), e.g. 1 or 255. Required: it is never guessed. */
  dataRange: number;
  /**
   * - `'wang'`: 11-tap Gaussian window (σ 1.5), population covariance, mean over the valid region (no
   *   padding) — Wang et al. 2004; equals scikit-image's `gaussian_weights=True, sigma=1.5,
   *   use_sample_covariance=False`.
   * - `'skimage'`: scikit-image's defaults — 7×7 uniform window, sample covariance (N/(N−1)), mean over
   *   the map cropped by 3 pixels.
   * - `'torchmetrics'`: torchmetrics' `structural_similarity_index_measure` — reflect padding by 5, 11-tap
   *   Gaussian (σ 1.5), population covariance with variances clamped at 0; the returned `map` is the
   *   uncropped H×W map, while the score (like torchmetrics') is the mean of that map cropped by 5 pixels,
   *   so scores equal 'wang' up to rounding.
   */
  mode: SsimMode;
  /** Constant K1 (default 0.01). */
  k1?: number;
  /** Constant K2 (default 0.03). */
  k2?: number;
  /** Also return the SSIM map as a tensor (the caller disposes it). */
  returnMap?: boolean;
}

/** The result of {@link ssim}. */
export interface SsimResult extends PerImageResult {
  /**
   * With `returnMap`: the per-pixel, per-channel SSIM map [N, C, h, w] — the valid region
   * (H − win + 1) × (W − win + 1) for 'wang'/'skimage', the full H × W map for 'torchmetrics'.
   */
  map?: Tensor;
}

/**
 * SSIM of each image pair in a batch of float NCHW images; colour images score the mean over channels
 * (scikit-image's `channel_axis` behaviour). Moments are filtered with depthwise conv2d on the
 * tensors' backend and reduced there; only N numbers are read back.
 *
 * @example
 * const { perImage, mean } = await ssim(fake, real, { dataRange: 255, mode: 'skimage' });
 */
export async function ssim(a: Tensor, b: Tensor, options: SsimOptions): Promise<SsimResult> {
  const fn = 'ssim';
  const [, , h, w] = checkPair(fn, a, b, options?.dataRange);
  const cfg = ssimConfig(options.mode, checkK(fn, 'k1', options.k1 ?? 0.01), checkK(fn, 'k2', options.k2 ?? 0.03));
  if (h < cfg.win || w < cfg.win) {
    throw new Error(`${fn}: images of ${h}×${w} are smaller than the ${cfg.win}×${cfg.win} window of mode '${cfg.mode}'`);
  }
  const { scores, map } = tidy(() => {
    const m = ssimMaps(a, b, options.dataRange, cfg);
    const scoresT = m.ssim.mean([1, 2, 3]);
    return { scores: scoresT, map: options.returnMap ? keep(m.full ?? m.ssim) : undefined };
  });
  let perImage: number[];
  try {
    perImage = await readFinite(fn, scores);
  } catch (e) {
    map?.dispose();
    throw e;
  } finally {
    scores.dispose();
  }
  const result: SsimResult = { perImage, mean: meanOf(perImage) };
  if (map) result.map = map;
  return result;
}

function checkK(fn: string, name: string, v: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`${fn}: ${name} must be a positive number, got ${String(v)}`);
  return v;
}
