// Multi-scale SSIM (Wang, Simoncelli & Bovik 2003) with torchmetrics' formula: 5 scales, 2× average pooling, relu;
// current torchmetrics or ≤ 1.4.1 border handling. `msSsimValues`/`msSsimLoss` are differentiable tensors.
import { type Tensor, avgPool2d, noGrad, relu, stack, tensor, tidy } from '@radix/tensor-webgpu';
import { type SsimConfig, ssimConfig, ssimMaps } from './ssim-core.js';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

/** The standard MS-SSIM scale weights of Wang et al. 2003. */
export const MS_SSIM_WEIGHTS: readonly number[] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333];

/** Options of {@link msSsim}, {@link msSsimValues} and {@link msSsimLoss}. */
export interface MsSsimOptions {
  /** The data range of the images (max − min possible value), e.g. 1 or 255. */
  dataRange: number;
  /** Per-scale exponents; their count is the number of scales (default {@link MS_SSIM_WEIGHTS}). */
  weights?: readonly number[];
  /**
   * `'torchmetrics'` (default): torchmetrics ≥ 1.4.2 — the last scale's SSIM is the mean of the full reflect-padded
   * map; `'torchmetrics-legacy'`: ≤ 1.4.1 — that SSIM is cropped by 5 like the contrast terms. The contrast-structure
   * terms of scales 1..S−1 are the cropped means in both.
   */
  mode?: 'torchmetrics' | 'torchmetrics-legacy';
}

/** Options of {@link msSsimLoss}. */
export interface MsSsimLossOptions extends MsSsimOptions {
  /** `'mean'` (default): 1 − the batch mean of MS-SSIM; `'none'`: per image, shape [N]. */
  reduction?: 'mean' | 'none';
}

function prepare(fn: string, a: Tensor, b: Tensor, options: MsSsimOptions): { cfg: SsimConfig; weights: readonly number[] } {
  const [, , h, w] = checkPair(fn, a, b, options?.dataRange);
  const weights = options.weights ?? MS_SSIM_WEIGHTS;
  if (!Array.isArray(weights) || weights.length === 0 || weights.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new Error(`${fn}: weights must be a non-empty array of finite numbers`);
  }
  const mode = options.mode ?? 'torchmetrics';
  if (mode !== 'torchmetrics' && mode !== 'torchmetrics-legacy') {
    throw new Error(`${fn}: unknown mode '${String(mode)}' (expected 'torchmetrics' or 'torchmetrics-legacy')`);
  }
  const cfg = ssimConfig(mode);
  const minSide = cfg.win * 2 ** (weights.length - 1);
  if (h < minSide || w < minSide) {
    throw new Error(`${fn}: images of ${h}×${w} are too small for ${weights.length} scales with an ${cfg.win}×${cfg.win} window; each side must be at least ${minSide}`);
  }
  return { cfg, weights };
}

/** ∏ valueᵢ^weightᵢ per image; call inside tidy. */
function msSsimCore(a: Tensor, b: Tensor, dataRange: number, cfg: SsimConfig, weights: readonly number[]): Tensor {
  let x = a;
  let y = b;
  const values: Tensor[] = [];
  for (let i = 0; i < weights.length; i++) {
    const m = ssimMaps(x, y, dataRange, cfg);
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
}

/**
 * MS-SSIM per image as a differentiable tensor [N] (see {@link msSsim} for the formula). Gradients match torch autograd
 * through torchmetrics' own code (ms-ssim and ssim tests).
 *
 * @example
 * const v = msSsimValues(fake, real, { dataRange: 1 }); // Tensor [N]
 */
export function msSsimValues(a: Tensor, b: Tensor, options: MsSsimOptions): Tensor {
  const { cfg, weights } = prepare('msSsimValues', a, b, options);
  return tidy(() => msSsimCore(a, b, options.dataRange, cfg, weights));
}

/**
 * 1 − MS-SSIM as a training loss (differentiable): a scalar by default, per image with `reduction: 'none'`.
 *
 * @example
 * msSsimLoss(generated, target, { dataRange: 1 }).backward();
 */
export function msSsimLoss(a: Tensor, b: Tensor, options: MsSsimLossOptions): Tensor {
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'none') throw new Error(`msSsimLoss: reduction must be 'mean' or 'none', got '${String(reduction)}'`);
  const { cfg, weights } = prepare('msSsimLoss', a, b, options);
  return tidy(() => {
    const v = msSsimCore(a, b, options.dataRange, cfg, weights);
    return (reduction === 'mean' ? v.mean() : v).neg().add(1);
  });
}

/**
 * MS-SSIM per image, as torchmetrics' `multiscale_structural_similarity_index_measure` with its defaults:
 * at each scale the torchmetrics-mode SSIM statistics (11-tap Gaussian σ 1.5, reflect padding); the contrast-structure
 * mean over the map cropped by 5 at scales 1..S−1 and the SSIM mean at scale S (full map for 'torchmetrics', cropped
 * for 'torchmetrics-legacy'), each clamped at 0 (relu), combined as ∏ valueᵢ^weightᵢ; 2×2 average pooling between
 * scales. (Current torchmetrics defaults to normalize='relu'; its 0.x releases defaulted to no clamping, which differs
 * only when a contrast term is negative.) Images must be at least 11·2^(S−1) pixels on each side (176 for 5 scales).
 *
 * @example
 * const { mean } = await msSsim(fake, real, { dataRange: 1 }); // [N, 3, 256, 256]
 */
export async function msSsim(a: Tensor, b: Tensor, options: MsSsimOptions): Promise<PerImageResult> {
  const fn = 'msSsim';
  const { cfg, weights } = prepare(fn, a, b, options);
  const scoreT = noGrad(() => tidy(() => msSsimCore(a, b, options.dataRange, cfg, weights)));
  let perImage: number[];
  try {
    perImage = await readFinite(fn, scoreT);
  } finally {
    scoreT.dispose();
  }
  return { perImage, mean: meanOf(perImage) };
}
