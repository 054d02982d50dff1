// FIR resampling of NCHW images as stylegan2-ada's upfirdn2d: upsample by zero insertion, pad or crop, filter with
// a 2-D (or separable 1-D) FIR kernel, downsample by dropping pixels. Built from core ops, so it is differentiable twice.
import { type Backend, type BackendName, type Tensor, F, RadixError, sliceScatter, tensor, tidy } from '@radix/tensor-webgpu';

/** Padding [x0, x1, y0, y1] (left, right, top, bottom); negative values crop. A number pads every side. */
export type FirPadding = number | readonly [number, number] | readonly [number, number, number, number];

/** Options of {@link setupFilter}. */
export interface SetupFilterOptions {
  /** Scale the taps to sum to 1 (default true). */
  normalize?: boolean;
  /** Reverse the taps (default false). */
  flipFilter?: boolean;
  /** Overall gain; the taps are multiplied by gain^(ndim/2) (default 1). */
  gain?: number;
  /** Keep a 1-D filter separable; default: separable when 1-D with at least 8 taps (like the original). */
  separable?: boolean;
  /** Backend of the filter tensor (default: the current backend). */
  backend?: BackendName | Backend;
}

/**
 * Builds a FIR filter the way stylegan2-ada's `setup_filter` does: a 1-D list becomes its outer product unless
 * separable, then it is normalised, optionally flipped and scaled. `[1, 3, 3, 1]` gives the 4×4 filter
 * outer([1,3,3,1]) / 64 stored in every layer's `resample_filter` buffer.
 *
 * @example
 * const f = setupFilter([1, 3, 3, 1]); // float32 [4, 4], sums to 1
 */
export function setupFilter(taps: number | readonly number[] | readonly (readonly number[])[], options: SetupFilterOptions = {}): Tensor {
  const op = 'setupFilter';
  let rows: number[][] | null = null;
  let line: number[] | null = null;
  if (typeof taps === 'number') line = [taps];
  else if (taps.length > 0 && Array.isArray(taps[0])) rows = (taps as readonly (readonly number[])[]).map((r) => [...r]);
  else line = [...(taps as readonly number[])];
  if (line && line.length === 0) throw new RadixError(op, 'the filter has no taps');
  if (rows && rows.some((r) => r.length !== rows![0]!.length || r.length === 0)) throw new RadixError(op, 'a 2-D filter must be a non-empty rectangle');
  const all = (line ?? rows!.flat());
  if (!all.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new RadixError(op, `filter taps must be finite numbers, got ${JSON.stringify(taps)}`);
  const separable = options.separable ?? (line !== null && line.length >= 8);
  if (rows && separable) throw new RadixError(op, 'a 2-D filter cannot be separable');
  if (line && !separable) rows = line.map((a) => line!.map((b) => a * b));
  let flat = separable ? line! : rows!.flat();
  if (options.normalize ?? true) {
    const s = flat.reduce((a, b) => a + b, 0);
    flat = flat.map((v) => v / s);
  }
  const shape = separable ? [line!.length] : [rows!.length, rows![0]!.length];
  if (options.flipFilter) flat = flat.reverse();
  const g = (options.gain ?? 1) ** (shape.length / 2);
  return tensor(new Float32Array(flat.map((v) => v * g)), { shape, backend: options.backend });
}

/** Width and height of a filter (1×1 for none), like the original's `_get_filter_size`. */
export function filterSize(f: Tensor | null): [fw: number, fh: number] {
  if (!f) return [1, 1];
  if (f.ndim !== 1 && f.ndim !== 2) throw new RadixError('upfirdn2d', `the filter must be 1-D or 2-D, got shape [${f.shape.join(', ')}]`);
  return [f.shape[f.ndim - 1]!, f.shape[0]!];
}

/** Padding as [x0, x1, y0, y1]. */
export function parsePadding(padding: FirPadding): [number, number, number, number] {
  const p = typeof padding === 'number' ? [padding, padding, padding, padding] : padding.length === 2 ? [padding[0], padding[0], padding[1], padding[1]] : [...padding];
  if (p.length !== 4 || !p.every((v) => Number.isInteger(v))) throw new RadixError('upfirdn2d', `padding must be an integer, [x, y] or [x0, x1, y0, y1], got ${JSON.stringify(padding)}`);
  return p as [number, number, number, number];
}

/** Options of {@link upfirdn2d}. */
export interface Upfirdn2dOptions {
  /** Integer upsampling factor (default 1). */
  up?: number;
  /** Integer downsampling factor (default 1). */
  down?: number;
  /** Padding of the upsampled image [x0, x1, y0, y1] (default 0). */
  padding?: FirPadding;
  /** False: convolution (the filter is flipped), true: correlation (default false). */
  flipFilter?: boolean;
  /** Gain; the filter is multiplied by gain^(ndim/2) (default 1). */
  gain?: number;
}

/**
 * Upsample, FIR-filter and downsample a [N, C, H, W] image, exactly as stylegan2-ada's reference `upfirdn2d`:
 * zeros are inserted after every pixel (`up`), the result is padded (negative padding crops), filtered per channel
 * with `f` (null: identity) and every `down`-th pixel kept. Output size: (H·up + y0 + y1 − fh) / down + 1.
 *
 * @example
 * const f = setupFilter([1, 3, 3, 1]);
 * const y = upfirdn2d(x, f, { up: 2, padding: [2, 1, 2, 1], gain: 4 }); // x [1, 3, 8, 8] → [1, 3, 16, 16]
 */
export function upfirdn2d(x: Tensor, f: Tensor | null, options: Upfirdn2dOptions = {}): Tensor {
  const op = 'upfirdn2d';
  if (x.ndim !== 4) throw new RadixError(op, `expected a 4-D [N, C, H, W] input, got shape [${x.shape.join(', ')}]`);
  const up = options.up ?? 1;
  const down = options.down ?? 1;
  if (!Number.isInteger(up) || up < 1 || !Number.isInteger(down) || down < 1) throw new RadixError(op, `up and down must be positive integers, got ${up} and ${down}`);
  const [px0, px1, py0, py1] = parsePadding(options.padding ?? 0);
  const gain = options.gain ?? 1;
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [fw, fh] = filterSize(f);
  const outH = Math.floor((h * up + py0 + py1 - fh) / down) + 1;
  const outW = Math.floor((w * up + px0 + px1 - fw) / down) + 1;
  if (h * up + py0 + py1 < fh || w * up + px0 + px1 < fw) {
    throw new RadixError(op, `input [${x.shape.join(', ')}] upsampled ×${up} and padded [${px0}, ${px1}, ${py0}, ${py1}] is smaller than the ${fh}×${fw} filter`);
  }
  return tidy(() => {
    let y = x.reshape([n * c, 1, h, w]);
    if (up > 1) y = zeroInsert(zeroInsert(y, 2, up), 3, up);
    // Symmetric non-negative padding goes into the convolution; anything else is padded or cropped first.
    const convPad: [number, number] = [py0 === py1 && py0 >= 0 ? py0 : 0, px0 === px1 && px0 >= 0 ? px0 : 0];
    y = padOrCrop(y, [px0 - convPad[1], px1 - convPad[1], py0 - convPad[0], py1 - convPad[0]]);
    let k = f ? f.mul(gain ** (f.ndim / 2)) : null;
    if (k && !options.flipFilter) k = k.flip(f!.ndim === 2 ? [0, 1] : [0]);
    if (!k) {
      if (convPad[0] || convPad[1]) y = padOrCrop(y, [convPad[1], convPad[1], convPad[0], convPad[0]]);
      if (down > 1) y = y.slice(2, 0, undefined, down).slice(3, 0, undefined, down);
      if (gain !== 1) y = y.mul(gain);
    } else if (k.ndim === 2) {
      y = F.conv2d(y, k.reshape([1, 1, fh, fw]), null, { stride: down, padding: convPad });
    } else {
      y = F.conv2d(y, k.reshape([1, 1, 1, fw]), null, { stride: [1, down], padding: [0, convPad[1]] });
      y = F.conv2d(y, k.reshape([1, 1, fh, 1]), null, { stride: [down, 1], padding: [convPad[0], 0] });
    }
    return y.reshape([n, c, outH, outW]);
  });
}

/** Inserts `up − 1` zeros after every element along `dim` (slice-scatter: cheap and twice differentiable). */
function zeroInsert(x: Tensor, dim: number, up: number): Tensor {
  const shape = [...x.shape];
  shape[dim] = shape[dim]! * up;
  return sliceScatter(x, shape, dim, 0, up);
}

/** Zero-pads (positive) or crops (negative) the last two dims by [x0, x1, y0, y1]. */
function padOrCrop(x: Tensor, p: readonly [number, number, number, number]): Tensor {
  let y = x;
  for (const [dim, a, b] of [[3, p[0], p[1]], [2, p[2], p[3]]] as const) {
    if (a < 0 || b < 0) y = y.slice(dim, Math.max(-a, 0), y.shape[dim]! - Math.max(-b, 0));
    if (a > 0 || b > 0) {
      const shape = [...y.shape];
      shape[dim] = shape[dim]! + Math.max(a, 0) + Math.max(b, 0);
      y = sliceScatter(y, shape, dim, Math.max(a, 0));
    }
  }
  return y;
}

/**
 * 2× (or `up`×) FIR upsampling with the original's padding, keeping the image's brightness (gain up²).
 *
 * @example
 * const y = upsample2d(img, setupFilter([1, 3, 3, 1])); // [N, C, 8, 8] → [N, C, 16, 16]
 */
export function upsample2d(x: Tensor, f: Tensor | null, options: { up?: number; padding?: FirPadding; flipFilter?: boolean; gain?: number } = {}): Tensor {
  const up = options.up ?? 2;
  const [px0, px1, py0, py1] = parsePadding(options.padding ?? 0);
  const [fw, fh] = filterSize(f);
  const p: [number, number, number, number] = [
    px0 + Math.floor((fw + up - 1) / 2), px1 + Math.floor((fw - up) / 2),
    py0 + Math.floor((fh + up - 1) / 2), py1 + Math.floor((fh - up) / 2),
  ];
  return upfirdn2d(x, f, { up, padding: p, flipFilter: options.flipFilter, gain: (options.gain ?? 1) * up * up });
}

/**
 * 2× (or `down`×) FIR downsampling with the original's padding.
 *
 * @example
 * const y = downsample2d(img, setupFilter([1, 3, 3, 1])); // [N, C, 16, 16] → [N, C, 8, 8]
 */
export function downsample2d(x: Tensor, f: Tensor | null, options: { down?: number; padding?: FirPadding; flipFilter?: boolean; gain?: number } = {}): Tensor {
  const down = options.down ?? 2;
  const [px0, px1, py0, py1] = parsePadding(options.padding ?? 0);
  const [fw, fh] = filterSize(f);
  const p: [number, number, number, number] = [
    px0 + Math.floor((fw - down + 1) / 2), px1 + Math.floor((fw - down) / 2),
    py0 + Math.floor((fh - down + 1) / 2), py1 + Math.floor((fh - down) / 2),
  ];
  return upfirdn2d(x, f, { down, padding: p, flipFilter: options.flipFilter, gain: options.gain });
}
