// 2-D convolution with FIR up/down-sampling, taking the same paths as stylegan2-ada's conv2d_resample (padding
// applied once; 1×1 kernels resample on the cheaper side; up-sampling via a strided transposed convolution).
import { type Tensor, F, RadixError, tidy } from '@radix/tensor-webgpu';
import { type FirPadding, filterSize, parsePadding, upfirdn2d } from './upfirdn2d.js';

/** Options of {@link conv2dResample}. */
export interface Conv2dResampleOptions {
  /** Integer upsampling factor (default 1). */
  up?: number;
  /** Integer downsampling factor (default 1). */
  down?: number;
  /** Padding with respect to the upsampled image (default 0). */
  padding?: FirPadding;
  /** Convolution groups (default 1). */
  groups?: number;
  /** True: correlation like F.conv2d (default); false: true convolution (the weight is flipped). */
  flipWeight?: boolean;
  /** True: correlate with the filter; false: convolve (default). */
  flipFilter?: boolean;
}

function conv(x: Tensor, w: Tensor, o: { stride?: number; padding?: [number, number]; groups: number; transpose?: boolean; flipWeight: boolean }): Tensor {
  return tidy(() => {
    const k = o.flipWeight ? w : w.flip([2, 3]);
    const opts = { stride: o.stride ?? 1, padding: o.padding ?? ([0, 0] as [number, number]), groups: o.groups };
    return o.transpose ? F.convTranspose2d(x, k, null, opts) : F.conv2d(x, k, null, opts);
  });
}

/**
 * Convolves [N, Cin, H, W] with [Cout, Cin/groups, kh, kw] and resamples with the FIR filter `f` (from
 * {@link setupFilter}); the padding is that of the upsampled image, applied once at the start.
 *
 * @example
 * const y = conv2dResample(x, w, setupFilter([1, 3, 3, 1]), { down: 2, padding: 1 }); // 3×3 conv, half size
 */
export function conv2dResample(x: Tensor, w: Tensor, f: Tensor | null, options: Conv2dResampleOptions = {}): Tensor {
  const op = 'conv2dResample';
  const up = options.up ?? 1;
  const down = options.down ?? 1;
  const groups = options.groups ?? 1;
  const flipWeight = options.flipWeight ?? true;
  const flipFilter = options.flipFilter ?? false;
  if (x.ndim !== 4 || w.ndim !== 4) throw new RadixError(op, `expected 4-D input and weight, got [${x.shape.join(', ')}] and [${w.shape.join(', ')}]`);
  if (!Number.isInteger(up) || up < 1 || !Number.isInteger(down) || down < 1) throw new RadixError(op, `up and down must be positive integers, got ${up} and ${down}`);
  const [outChannels, inPerGroup, kh, kw] = w.shape as [number, number, number, number];
  const [fw, fh] = filterSize(f);
  let [px0, px1, py0, py1] = parsePadding(options.padding ?? 0);
  if (up > 1) {
    px0 += Math.floor((fw + up - 1) / 2);
    px1 += Math.floor((fw - up) / 2);
    py0 += Math.floor((fh + up - 1) / 2);
    py1 += Math.floor((fh - up) / 2);
  }
  if (down > 1) {
    px0 += Math.floor((fw - down + 1) / 2);
    px1 += Math.floor((fw - down) / 2);
    py0 += Math.floor((fh - down + 1) / 2);
    py1 += Math.floor((fh - down) / 2);
  }
  return tidy(() => {
    if (kw === 1 && kh === 1 && down > 1 && up === 1) {
      const y = upfirdn2d(x, f, { down, padding: [px0, px1, py0, py1], flipFilter });
      return conv(y, w, { groups, flipWeight });
    }
    if (kw === 1 && kh === 1 && up > 1 && down === 1) {
      const y = conv(x, w, { groups, flipWeight });
      return upfirdn2d(y, f, { up, padding: [px0, px1, py0, py1], gain: up * up, flipFilter });
    }
    if (down > 1 && up === 1) {
      const y = upfirdn2d(x, f, { padding: [px0, px1, py0, py1], flipFilter });
      return conv(y, w, { stride: down, groups, flipWeight });
    }
    if (up > 1) {
      let wt: Tensor;
      if (groups === 1) wt = w.transpose(0, 1);
      else {
        wt = w.reshape([groups, outChannels / groups, inPerGroup, kh, kw]).transpose(1, 2).reshape([groups * inPerGroup, outChannels / groups, kh, kw]);
      }
      px0 -= kw - 1;
      px1 -= kw - up;
      py0 -= kh - 1;
      py1 -= kh - up;
      const pxt = Math.max(Math.min(-px0, -px1), 0);
      const pyt = Math.max(Math.min(-py0, -py1), 0);
      let y = conv(x, wt, { stride: up, padding: [pyt, pxt], groups, transpose: true, flipWeight: !flipWeight });
      y = upfirdn2d(y, f, { padding: [px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt], gain: up * up, flipFilter });
      if (down > 1) y = upfirdn2d(y, f, { down, flipFilter });
      return y;
    }
    if (px0 === px1 && py0 === py1 && px0 >= 0 && py0 >= 0) return conv(x, w, { padding: [py0, px0], groups, flipWeight });
    let y = upfirdn2d(x, null, { padding: [px0, px1, py0, py1] });
    y = conv(y, w, { groups, flipWeight });
    return y;
  });
}
