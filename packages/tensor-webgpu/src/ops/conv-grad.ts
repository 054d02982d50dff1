// Backward rules of conv2d and convTranspose2d, composed from the forward convolutions themselves (so they differentiate
// again): the input gradient of one is the other, and weight gradients are a convolution of the input with the output gradient.
import type { Tensor } from '../tensor.js';
import { pad } from './indexing.js';
import { slice } from './movement.js';
import { sum } from './reduce.js';
import { conv2d, convTranspose2d } from './conv.js';

/** The geometry both rules need (the padding may be asymmetric for padding='same'). */
export interface ConvGeometry {
  kh: number; kw: number; sh: number; sw: number; dh: number; dw: number;
  /** Padding before (top/left) and after (bottom/right). */
  ph: number; pw: number; phEnd: number; pwEnd: number;
  groups: number;
}

/**
 * Weight gradient of a convolution whose (already padded) input is `inp` [N, C, Hp, Wp] and whose output gradient is
 * `gOut` [N, O, OH, OW]: `dW[o, c, a, b] = Σ gOut[n, o, y, x] · inp[n, c, y·s + a·d, x·s + b·d]`, computed as one grouped
 * convolution with batch and channels swapped (stride and dilation swap roles). Returns [O, C/groups, kh, kw].
 */
export function convWeightGrad(inp: Tensor, gOut: Tensor, geo: ConvGeometry): Tensor {
  const [n, c, hp, wp] = inp.shape as [number, number, number, number];
  const cg = c / geo.groups;
  const i = inp.reshape(n, geo.groups, cg, hp, wp).permute(2, 1, 0, 3, 4).reshape(cg, geo.groups * n, hp, wp);
  const wt = gOut.transpose(0, 1);
  const r = conv2d(i, wt, null, { stride: [geo.dh, geo.dw], dilation: [geo.sh, geo.sw], groups: geo.groups });
  return slice(slice(r, 2, 0, geo.kh), 3, 0, geo.kw).permute(1, 0, 2, 3);
}

/** Gradients of `conv2d(x, w, b)` for x [N, C, H, W] and output gradient g [N, O, OH, OW]. */
export function conv2dGrad(g: Tensor, x: Tensor, w: Tensor, hasBias: boolean, geo: ConvGeometry): [Tensor, Tensor, Tensor | null] {
  const [, , h, wd] = x.shape as [number, number, number, number];
  // dx: the transposed convolution of g, computed at full size, then cropped to the padded window and zero-filled
  // where the forward's floor division dropped trailing rows/columns.
  const full = convTranspose2d(g, w, null, { stride: [geo.sh, geo.sw], dilation: [geo.dh, geo.dw], groups: geo.groups });
  const [fh, fw] = full.shape.slice(2) as [number, number];
  const cropped = slice(slice(full, 2, geo.ph, Math.min(fh, geo.ph + h)), 3, geo.pw, Math.min(fw, geo.pw + wd));
  const dx = pad(cropped, [0, wd - cropped.shape[3]!, 0, h - cropped.shape[2]!]);
  const xp = pad(x, [geo.pw, geo.pwEnd, geo.ph, geo.phEnd]);
  const dw = convWeightGrad(xp, g, geo);
  return [dx, dw, hasBias ? sum(g, [0, 2, 3]) : null];
}

/** Gradients of `convTranspose2d(x, w, b)` for x [N, C, H, W] and output gradient g [N, O, OH, OW]. */
export function convTranspose2dGrad(g: Tensor, x: Tensor, w: Tensor, hasBias: boolean, geo: ConvGeometry): [Tensor, Tensor, Tensor | null] {
  const [, , h, wd] = x.shape as [number, number, number, number];
  const y = conv2d(g, w, null, { stride: [geo.sh, geo.sw], padding: [geo.ph, geo.pw], dilation: [geo.dh, geo.dw], groups: geo.groups });
  const dx = slice(slice(y, 2, 0, h), 3, 0, wd);
  const gp = pad(g, [geo.pw, geo.pw, geo.ph, geo.ph]);
  const dw = convWeightGrad(gp, x, geo);
  return [dx, dw, hasBias ? sum(g, [0, 2, 3]) : null];
}
