// Modulated convolution of StyleGAN2 (stylegan2-ada's modulated_conv2d): per-sample weights scaled by the styles and
// demodulated, run either as one grouped convolution (fused) or as plain convolution with scaled activations.
import { type Tensor, RadixError, tidy } from '@radix/tensor-webgpu';
import { conv2dResample } from './conv2d-resample.js';

/** Options of {@link modulatedConv2d}. */
export interface ModulatedConv2dOptions {
  /** Noise added to the output (broadcast against [N, Cout, H, W]). */
  noise?: Tensor | null;
  /** Integer upsampling factor (default 1). */
  up?: number;
  /** Integer downsampling factor (default 1). */
  down?: number;
  /** Padding with respect to the upsampled image (default 0). */
  padding?: number;
  /** FIR filter for resampling (from setupFilter). */
  resampleFilter?: Tensor | null;
  /** Apply weight demodulation (default true). */
  demodulate?: boolean;
  /** True: correlation (default); false: convolution. */
  flipWeight?: boolean;
  /** One grouped convolution with per-sample weights (default true); false scales activations instead. */
  fusedModconv?: boolean;
}

/**
 * Convolves x [N, I, H, W] with weight [O, I, k, k] modulated per sample by styles [N, I]; with demodulation each
 * output channel's effective weight is rescaled to unit norm (eps 1e-8), as in StyleGAN2.
 *
 * @example
 * const y = modulatedConv2d(x, weight, styles, { padding: 1 }); // x [2, 8, 4, 4], weight [16, 8, 3, 3] → [2, 16, 4, 4]
 */
export function modulatedConv2d(x: Tensor, weight: Tensor, styles: Tensor, options: ModulatedConv2dOptions = {}): Tensor {
  const op = 'modulatedConv2d';
  const [n, inC, h, w] = x.shape as [number, number, number, number];
  const [outC, wIn, kh, kw] = weight.shape as [number, number, number, number];
  if (x.ndim !== 4 || weight.ndim !== 4 || wIn !== inC) throw new RadixError(op, `input [${x.shape.join(', ')}] does not match weight [${weight.shape.join(', ')}]`);
  if (styles.ndim !== 2 || styles.shape[0] !== n || styles.shape[1] !== inC) throw new RadixError(op, `styles must have shape [${n}, ${inC}], got [${styles.shape.join(', ')}]`);
  const demodulate = options.demodulate ?? true;
  const fused = options.fusedModconv ?? true;
  const noise = options.noise ?? null;
  const resample = { up: options.up, down: options.down, padding: options.padding ?? 0, flipWeight: options.flipWeight ?? true };
  const f = options.resampleFilter ?? null;
  return tidy(() => {
    let wm: Tensor | null = null;
    let dcoefs: Tensor | null = null;
    if (demodulate || fused) wm = weight.unsqueeze(0).mul(styles.reshape([n, 1, inC, 1, 1])); // [N, O, I, k, k]
    if (demodulate) dcoefs = wm!.square().sum([2, 3, 4]).add(1e-8).rsqrt(); // [N, O]
    if (!fused) {
      let y = x.mul(styles.reshape([n, inC, 1, 1]));
      y = conv2dResample(y, weight, f, resample);
      if (dcoefs) y = y.mul(dcoefs.reshape([n, outC, 1, 1]));
      if (noise) y = y.add(noise);
      return y;
    }
    if (dcoefs) wm = wm!.mul(dcoefs.reshape([n, outC, 1, 1, 1]));
    let y = conv2dResample(x.reshape([1, n * inC, h, w]), wm!.reshape([n * outC, inC, kh, kw]), f, { ...resample, groups: n });
    y = y.reshape([n, outC, y.shape[2]!, y.shape[3]!]);
    if (noise) y = y.add(noise);
    return y;
  });
}
