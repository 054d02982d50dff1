// 2-D convolution with FIR up/down-sampling, taking the same paths as stylegan2-ada's conv2d_resample (padding
// applied once; 1×1 kernels resample on the cheaper side; up-sampling via a strided transposed convolution).
import { type ActivationSpec, type Tensor, F, RadixError, tidy } from '@radix/tensor-webgpu';
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

/** A bias and activation for the conv kernel's epilogue: `act(conv + bias) · gain` (see fusedBiasActivation). */
export interface ConvEpilogue {
  bias: Tensor | null;
  activation?: ActivationSpec;
}

function conv(x: Tensor, w: Tensor, o: { stride?: number; padding?: [number, number]; groups: number; transpose?: boolean; flipWeight: boolean }, epi?: ConvEpilogue): Tensor {
  return tidy(() => {
    const k = o.flipWeight ? w : w.flip([2, 3]);
    const opts = { stride: o.stride ?? 1, padding: o.padding ?? ([0, 0] as [number, number]), groups: o.groups };
    if (o.transpose) return F.convTranspose2d(x, k, null, opts);
    return epi ? F.conv2d(x, k, epi.bias, { ...opts, activation: epi.activation }) : F.conv2d(x, k, null, opts);
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
  return conv2dResampleWith(x, w, f, options).y;
}

/**
 * {@link conv2dResample} that also applies `epi` (bias and activation) in the epilogue of its last convolution when
 * the path it takes ends with one (no resampling, or downsampling); `fused` says whether it did. Paths that end with
 * the FIR filter (upsampling) return the plain result with `fused: false`, for the caller to apply them.
 *
 * @example
 * const { y, fused } = conv2dResampleWith(x, w, f, { down: 2, padding: 1 }, { bias: b, activation: { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 } });
 */
export function conv2dResampleWith(x: Tensor, w: Tensor, f: Tensor | null, options: Conv2dResampleOptions = {}, epi?: ConvEpilogue): { y: Tensor; fused: boolean } {
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
  let fused = false;
  const last = (t: Tensor, o: Parameters<typeof conv>[2]) => {
    fused = !!epi;
    return conv(t, w, o, epi);
  };
  const y = tidy(() => {
    if (kw === 1 && kh === 1 && down > 1 && up === 1) {
      const y = upfirdn2d(x, f, { down, padding: [px0, px1, py0, py1], flipFilter });
      return last(y, { groups, flipWeight });
    }
    if (kw === 1 && kh === 1 && up > 1 && down === 1) {
      const y = conv(x, w, { groups, flipWeight });
      return upfirdn2d(y, f, { up, padding: [px0, px1, py0, py1], gain: up * up, flipFilter });
    }
    if (down > 1 && up === 1) {
      const y = upfirdn2d(x, f, { padding: [px0, px1, py0, py1], flipFilter });
      return last(y, { stride: down, groups, flipWeight });
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
    if (px0 === px1 && py0 === py1 && px0 >= 0 && py0 >= 0) return last(x, { padding: [py0, px0], groups, flipWeight });
    const y = upfirdn2d(x, null, { padding: [px0, px1, py0, py1] });
    return last(y, { groups, flipWeight });
  });
  return { y, fused };
}
