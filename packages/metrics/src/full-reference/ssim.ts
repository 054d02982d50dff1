// Structural similarity (SSIM) with the convention named: Wang et al. 2004, scikit-image defaults, or torchmetrics
// (current and ≤ 1.4.1). `ssimValues`/`ssimLoss` are differentiable tensors; `ssim` is the awaited number form.
import { type Tensor, keep, noGrad, tidy } from '@radix/tensor-webgpu';
import { type SsimConfig, type SsimMode, ssimConfig, ssimMaps } from './ssim-core.js';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

export type { SsimMode } from './ssim-core.js';

/** Options of {@link ssim}, {@link ssimValues} and {@link ssimLoss}. */
export interface SsimOptions {
  /** The data range of the images (max − min possible value), e.g. 1 or 255. Required: it is never guessed. */
  dataRange: number;
  /**
   * - `'wang'`: 11-tap Gaussian window (σ 1.5), population covariance, mean over the valid region (no
   *   padding) — Wang et al. 2004; equals scikit-image's `gaussian_weights=True, sigma=1.5,
   *   use_sample_covariance=False`.
   * - `'skimage'`: scikit-image's defaults — 7×7 uniform window, sample covariance (N/(N−1)), mean over
   *   the map cropped by 3 pixels.
   * - `'torchmetrics'`: torchmetrics' `structural_similarity_index_measure` as of 1.4.2 and every 1.5+ release
   *   (PR #2721, issue #2718) — reflect padding by 5, 11-tap Gaussian (σ 1.5), population covariance with variances
   *   clamped at 0, score = mean of the full H×W map.
   * - `'torchmetrics-legacy'`: torchmetrics ≤ 1.4.1 — the same map, but the score is the mean of the map cropped by 5
   *   pixels on each side (so it equals 'wang' up to the variance clamp).
   */
  mode: SsimMode;
  /** Constant K1 (default 0.01). */
  k1?: number;
  /** Constant K2 (default 0.03). */
  k2?: number;
  /** Also return the SSIM map as a tensor (the caller disposes it). */
  returnMap?: boolean;
}

/** Options of {@link ssimLoss}. */
export interface SsimLossOptions extends Omit<SsimOptions, 'returnMap'> {
  /** `'mean'` (default): one scalar, 1 − the batch mean of SSIM; `'none'`: 1 − SSIM per image, shape [N]. */
  reduction?: 'mean' | 'none';
}

/** The result of {@link ssim}. */
export interface SsimResult extends PerImageResult {
  /**
   * With `returnMap`: the per-pixel, per-channel SSIM map [N, C, h, w] — the valid region
   * (H − win + 1) × (W − win + 1) for 'wang'/'skimage', the full H × W map for both torchmetrics modes.
   */
  map?: Tensor;
}

/** Validates a pair and the options; returns the resolved convention. */
function prepare(fn: string, a: Tensor, b: Tensor, options: Omit<SsimOptions, 'returnMap'>): SsimConfig {
  const [, , h, w] = checkPair(fn, a, b, options?.dataRange);
  const cfg = ssimConfig(options.mode, checkK(fn, 'k1', options.k1 ?? 0.01), checkK(fn, 'k2', options.k2 ?? 0.03));
  if (h < cfg.win || w < cfg.win) {
    throw new Error(`${fn}: images of ${h}×${w} are smaller than the ${cfg.win}×${cfg.win} window of mode '${cfg.mode}'`);
  }
  return cfg;
}

/**
 * SSIM of each image pair as a differentiable tensor [N] (the mean over channels and the convention's region).
 * Gradients flow to both `a` and `b` (they match torch autograd through torchmetrics' own code and through the
 * scikit-image formula; see ssim-loss.test.ts). Inputs are not checked for NaN here (that needs a read-back).
 *
 * @example
 * const s = ssimValues(fake, real, { dataRange: 1, mode: 'torchmetrics' }); // Tensor [N]
 */
export function ssimValues(a: Tensor, b: Tensor, options: Omit<SsimOptions, 'returnMap'>): Tensor {
  const cfg = prepare('ssimValues', a, b, options);
  return tidy(() => ssimMaps(a, b, options.dataRange, cfg).ssim.mean([1, 2, 3]));
}

/**
 * 1 − SSIM as a training loss (differentiable): a scalar by default, per image with `reduction: 'none'`.
 *
 * @example
 * const loss = ssimLoss(generated, target, { dataRange: 1, mode: 'torchmetrics' });
 * loss.backward();
 */
export function ssimLoss(a: Tensor, b: Tensor, options: SsimLossOptions): Tensor {
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'none') throw new Error(`ssimLoss: reduction must be 'mean' or 'none', got '${String(reduction)}'`);
  const cfg = prepare('ssimLoss', a, b, options);
  return tidy(() => {
    const s = ssimMaps(a, b, options.dataRange, cfg).ssim.mean([1, 2, 3]);
    return (reduction === 'mean' ? s.mean() : s).neg().add(1);
  });
}

/**
 * SSIM of each image pair in a batch of float NCHW images; colour images score the mean over channels
 * (scikit-image's `channel_axis` behaviour). Moments are filtered with depthwise conv2d on the
 * tensors' backend and reduced there; only N numbers are read back. The number form of {@link ssimValues}.
 *
 * @example
 * const { perImage, mean } = await ssim(fake, real, { dataRange: 255, mode: 'skimage' });
 */
export async function ssim(a: Tensor, b: Tensor, options: SsimOptions): Promise<SsimResult> {
  const fn = 'ssim';
  const cfg = prepare(fn, a, b, options);
  const { scores, map } = noGrad(() => tidy(() => {
    const m = ssimMaps(a, b, options.dataRange, cfg);
    const scoresT = m.ssim.mean([1, 2, 3]);
    return { scores: scoresT, map: options.returnMap ? keep(m.full ?? m.ssim) : undefined };
  }));
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
