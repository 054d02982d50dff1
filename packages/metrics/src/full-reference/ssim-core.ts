// SSIM maps on the GPU: depthwise separable filtering of the five local moments with conv2d, for every named convention.
// Everything is tensor ops, so the maps (and the scores and losses built on them) are differentiable.
import { type Tensor, cat, conv2d, pad, tensor } from '@radix/tensor-webgpu';

/**
 * The SSIM convention: which window, covariance estimate and border handling. `'torchmetrics'` is torchmetrics ≥ 1.4.2
 * (PR #2721: mean of the full reflect-padded map), `'torchmetrics-legacy'` torchmetrics ≤ 1.4.1 (map cropped by 5).
 */
export type SsimMode = 'wang' | 'skimage' | 'torchmetrics' | 'torchmetrics-legacy';

/** Every {@link SsimMode}. */
export const SSIM_MODES: readonly SsimMode[] = Object.freeze(['skimage', 'wang', 'torchmetrics', 'torchmetrics-legacy']);

const isTorchmetrics = (m: SsimMode): boolean => m === 'torchmetrics' || m === 'torchmetrics-legacy';

/** Resolved per-mode SSIM settings. */
export interface SsimConfig {
  mode: SsimMode;
  /** Window side (odd). */
  win: number;
  /** Gaussian σ, or null for a uniform window. */
  sigma: number | null;
  /** N/(N−1) for the sample covariance, 1 for the population covariance. */
  covNorm: number;
  k1: number;
  k2: number;
}

/**
 * The settings of a mode: 'skimage' = 7×7 uniform window, sample covariance (scikit-image's defaults);
 * 'wang' and both torchmetrics modes = 11-tap Gaussian (σ 1.5), population covariance.
 *
 * @example
 * const cfg = ssimConfig('skimage'); // { win: 7, sigma: null, covNorm: 49 / 48, ... }
 */
export function ssimConfig(mode: SsimMode, k1 = 0.01, k2 = 0.03, sigma = 1.5): SsimConfig {
  if (mode === 'skimage') return { mode, win: 7, sigma: null, covNorm: 49 / 48, k1, k2 };
  if (mode === 'wang' || mode === 'torchmetrics' || mode === 'torchmetrics-legacy') {
    // scipy's truncate 3.5 (skimage) and torchmetrics' kernel_size 11 agree for σ = 1.5.
    const r = Math.floor(3.5 * sigma + 0.5);
    return { mode, win: 2 * r + 1, sigma, covNorm: 1, k1, k2 };
  }
  throw new Error(`ssim: unknown mode '${String(mode)}' (expected ${SSIM_MODES.map((m) => `'${m}'`).join(', ')})`);
}

/**
 * The normalised 1-D window: Gaussian exp(−d²/2σ²) over d = −r..r, or uniform 1/win.
 *
 * @example
 * window1d(ssimConfig('wang')); // 11 weights summing to 1
 */
export function window1d(cfg: SsimConfig): number[] {
  const r = (cfg.win - 1) / 2;
  const w: number[] = [];
  for (let d = -r; d <= r; d++) w.push(cfg.sigma === null ? 1 : Math.exp(-(d * d) / (2 * cfg.sigma * cfg.sigma)));
  const s = w.reduce((p, q) => p + q, 0);
  return w.map((v) => v / s);
}

/** The SSIM map and the contrast-structure map ([N, C, h, w]) of one image pair. */
export interface SsimMaps {
  /** Per-pixel SSIM over the region whose mean is the score (H×W for 'torchmetrics', the valid region otherwise). */
  ssim: Tensor;
  /**
   * Per-pixel contrast-structure term (2σxy + C2)/(σx² + σy² + C2) over the region MS-SSIM averages: the valid region
   * in every mode (torchmetrics crops it by 5 in both versions).
   */
  cs: Tensor;
  /** Both torchmetrics modes: the full H×W map of the reflect-padded images. */
  full?: Tensor;
}

/**
 * Computes SSIM maps of float images `a`, `b` [N, C, H, W] (already validated) in the given mode.
 * Images are scaled by 1/dataRange and centred by their per-channel mean before the second moments,
 * which keeps float32 cancellation in σ² = E[x²] − E[x]² small. Call inside `tidy`.
 *
 * @example
 * const maps = tidy(() => ssimMaps(a, b, 255, ssimConfig('wang')));
 */
export function ssimMaps(a: Tensor, b: Tensor, dataRange: number, cfg: SsimConfig): SsimMaps {
  const [, c, h, w] = a.shape as [number, number, number, number];
  const p = (cfg.win - 1) / 2;
  let x = a.div(dataRange);
  let y = b.div(dataRange);
  if (isTorchmetrics(cfg.mode)) {
    x = pad(x, [p, p, p, p], 'reflect');
    y = pad(y, [p, p, p, p], 'reflect');
  }
  const gx = x.mean([2, 3], true);
  const gy = y.mean([2, 3], true);
  const xc = x.sub(gx);
  const yc = y.sub(gy);
  const stack = cat([xc, yc, xc.square(), yc.square(), xc.mul(yc)], 1); // [N, 5C, H', W']
  const k = window1d(cfg);
  const ch = 5 * c;
  const row: number[] = [];
  for (let i = 0; i < ch; i++) row.push(...k);
  const wRow = tensor(new Float32Array(row), { shape: [ch, 1, 1, cfg.win], backend: a.backend });
  const wCol = tensor(new Float32Array(row), { shape: [ch, 1, cfg.win, 1], backend: a.backend });
  const f = conv2d(conv2d(stack, wRow, null, { groups: ch }), wCol, null, { groups: ch });
  const part = (i: number): Tensor => f.narrow(1, i * c, c);
  const fx = part(0);
  const fy = part(1);
  const mx = fx.add(gx);
  const my = fy.add(gy);
  let vx = part(2).sub(fx.square()).mul(cfg.covNorm);
  let vy = part(3).sub(fy.square()).mul(cfg.covNorm);
  const vxy = part(4).sub(fx.mul(fy)).mul(cfg.covNorm);
  if (isTorchmetrics(cfg.mode)) {
    vx = vx.clamp(0);
    vy = vy.clamp(0);
  }
  const c1 = cfg.k1 * cfg.k1;
  const c2 = cfg.k2 * cfg.k2;
  const upper = vxy.mul(2).add(c2);
  const lower = vx.add(vy).add(c2);
  const lum = mx.mul(my).mul(2).add(c1).div(mx.square().add(my.square()).add(c1));
  const cs = upper.div(lower);
  const s = lum.mul(cs);
  if (!isTorchmetrics(cfg.mode)) return { ssim: s, cs };
  const crop = (t: Tensor): Tensor => t.narrow(2, p, h - 2 * p).narrow(3, p, w - 2 * p);
  return { ssim: cfg.mode === 'torchmetrics' ? s : crop(s), cs: crop(cs), full: s };
}
