// Convolution ops with torch.nn.functional semantics: conv2d (incl. padding 'same'/'valid') and
// convTranspose2d, validated here so kernels only ever see consistent NCHW/OIHW/IOHW shapes.
import type { Conv2dParams } from '../backend/backend.js';
import { conv2dAt, convTranspose2dAt } from './conv-core.js';
import { check, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { backendOf, requireFloat, viewOf } from './util.js';
import { type Activation, resolveActivation } from './fused-activation.js';

/** A value for both spatial dims, or a [height, width] pair. */
export type Pair = number | readonly [number, number];

/** Options of {@link conv2d} (PyTorch defaults). */
export interface Conv2dOptions {
  stride?: Pair;
  /** Zero padding per side, or `'valid'` (none) / `'same'` (output size = input size; stride 1 only). */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  /**
   * Activation applied in the conv's epilogue, after the bias: `gain · f(conv + bias)` in one kernel (gradients
   * as for the separate ops). E.g. `'silu'` or `{ kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }`.
   */
  activation?: Activation;
}

/** Options of {@link convTranspose2d} (PyTorch defaults). */
export interface ConvTranspose2dOptions {
  stride?: Pair;
  padding?: Pair;
  /** Extra rows/columns added to one side of the output; must be smaller than stride or dilation. */
  outputPadding?: Pair;
  groups?: number;
  dilation?: Pair;
}

function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  check(
    (typeof v === 'number' || (Array.isArray(v) && v.length === 2)) && p.every((x) => Number.isInteger(x) && x >= min),
    op,
    `${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`,
  );
  return p;
}

/** Validates input/weight/bias of a 2-D convolution; returns the 4-D input and whether it was unbatched. */
function prepare(op: string, x: Tensor, weight: Tensor, bias: Tensor | null | undefined, groups: number): [Tensor, boolean] {
  requireFloat(op, x);
  requireFloat(op, weight);
  if (bias) requireFloat(op, bias);
  check(x.ndim === 3 || x.ndim === 4, op, `expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
  check(weight.ndim === 4, op, `expected a 4-D weight, got shape ${fmtShape(weight.shape)}`);
  check(Number.isInteger(groups) && groups > 0, op, `groups must be a positive integer, got ${groups}`);
  const unbatched = x.ndim === 3;
  return [unbatched ? viewOf(x, [1, ...x.shape], op) : x, unbatched];
}

function finish(out: Tensor, unbatched: boolean, op: string): Tensor {
  if (!unbatched) return out;
  const r = viewOf(out, out.shape.slice(1), op);
  out.dispose();
  return r;
}

/**
 * 2-D convolution (cross-correlation, like PyTorch) of NCHW input with OIHW weights [Cout, Cin/groups, kh, kw].
 * Accepts an unbatched (C, H, W) input. `padding: 'same'` pads (dilation·(k−1)) in total, the extra
 * unit (when odd) at the bottom/right, like torch.
 *
 * `activation` fuses bias + activation into the conv's epilogue (one dispatch forward).
 *
 * @example
 * const y = conv2d(x, w, b, { stride: 2, padding: 1 }); // x [1, 3, 32, 32], w [16, 3, 3, 3] → [1, 16, 16, 16]
 * const h = conv2d(x, w, b, { padding: 1, activation: { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 } });
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: Conv2dOptions = {}): Tensor {
  const op = 'conv2d';
  if (bias) backendOf(op, x, weight, bias);
  else backendOf(op, x, weight);
  const groups = options.groups ?? 1;
  const act = resolveActivation(op, options.activation);
  const [x4, unbatched] = prepare(op, x, weight, bias, groups);
  try {
    const [n, cin, h, w] = x4.shape as [number, number, number, number];
    const [cout, cinG, kh, kw] = weight.shape as [number, number, number, number];
    const [sh, sw] = pair(op, 'stride', options.stride ?? 1, 1);
    const [dh, dw] = pair(op, 'dilation', options.dilation ?? 1, 1);
    check(cin % groups === 0, op, `input channels ${cin} (input ${fmtShape(x.shape)}) are not divisible by groups ${groups}`);
    check(cout % groups === 0, op, `output channels ${cout} (weight ${fmtShape(weight.shape)}) are not divisible by groups ${groups}`);
    check(cinG * groups === cin, op, `weight ${fmtShape(weight.shape)} expects ${cinG * groups} input channels (${cinG} per group × ${groups} groups), but the input ${fmtShape(x.shape)} has ${cin}`);
    if (bias) check(bias.ndim === 1 && bias.shape[0] === cout, op, `bias must have shape [${cout}], got ${fmtShape(bias.shape)}`);
    let ph: number;
    let pw: number;
    let extraH = 0;
    let extraW = 0;
    const pad = options.padding ?? 0;
    if (pad === 'valid') [ph, pw] = [0, 0];
    else if (pad === 'same') {
      check(sh === 1 && sw === 1, op, `padding='same' is not supported for strided convolutions (stride [${sh}, ${sw}])`);
      const th = dh * (kh - 1);
      const tw = dw * (kw - 1);
      [ph, pw] = [Math.floor(th / 2), Math.floor(tw / 2)];
      [extraH, extraW] = [th - 2 * ph, tw - 2 * pw];
    } else [ph, pw] = pair(op, 'padding', pad, 0);
    const effH = h + 2 * ph + extraH;
    const effW = w + 2 * pw + extraW;
    const kEffH = dh * (kh - 1) + 1;
    const kEffW = dw * (kw - 1) + 1;
    check(
      effH >= kEffH && effW >= kEffW,
      op,
      `padded input size ${effH}×${effW} (input ${fmtShape(x.shape)}, padding [${ph}, ${pw}]) is smaller than the dilated kernel ${kEffH}×${kEffW} (weight ${fmtShape(weight.shape)})`,
    );
    const oh = Math.floor((effH - kEffH) / sh) + 1;
    const ow = Math.floor((effW - kEffW) / sw) + 1;
    const p: Conv2dParams = { n, cin, h, w, cout, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw, groups };
    const rec = conv2dAt(op, x4, weight, bias ?? null, p, act);
    return finish(rec, unbatched, op);
  } finally {
    if (unbatched) x4.dispose();
  }
}

/**
 * Transposed 2-D convolution (the gradient of conv2d w.r.t. its input) with IOHW weights
 * [Cin, Cout/groups, kh, kw]. Output size: (H − 1)·stride − 2·padding + dilation·(k − 1) + outputPadding + 1.
 *
 * @example
 * const y = convTranspose2d(x, w, null, { stride: 2, padding: 1, outputPadding: 1 }); // doubles H and W for k = 3
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, options: ConvTranspose2dOptions = {}): Tensor {
  const op = 'convTranspose2d';
  if (bias) backendOf(op, x, weight, bias);
  else backendOf(op, x, weight);
  const groups = options.groups ?? 1;
  const [x4, unbatched] = prepare(op, x, weight, bias, groups);
  try {
    const [n, cin, h, w] = x4.shape as [number, number, number, number];
    const [wIn, coutG, kh, kw] = weight.shape as [number, number, number, number];
    const [sh, sw] = pair(op, 'stride', options.stride ?? 1, 1);
    const [dh, dw] = pair(op, 'dilation', options.dilation ?? 1, 1);
    const [ph, pw] = pair(op, 'padding', options.padding ?? 0, 0);
    const [oph, opw] = pair(op, 'outputPadding', options.outputPadding ?? 0, 0);
    check(cin % groups === 0, op, `input channels ${cin} (input ${fmtShape(x.shape)}) are not divisible by groups ${groups}`);
    check(wIn === cin, op, `weight ${fmtShape(weight.shape)} expects ${wIn} input channels (dim 0), but the input ${fmtShape(x.shape)} has ${cin}`);
    check(
      (oph < sh || oph < dh) && (opw < sw || opw < dw),
      op,
      `outputPadding [${oph}, ${opw}] must be smaller than either stride [${sh}, ${sw}] or dilation [${dh}, ${dw}]`,
    );
    const cout = coutG * groups;
    if (bias) check(bias.ndim === 1 && bias.shape[0] === cout, op, `bias must have shape [${cout}], got ${fmtShape(bias.shape)}`);
    const oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1;
    const ow = (w - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1;
    check(oh > 0 && ow > 0, op, `output size ${oh}×${ow} is not positive (input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}, padding [${ph}, ${pw}])`);
    const p: Conv2dParams = { n, cin, h, w, cout, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw, groups };
    const rec = convTranspose2dAt(op, x4, weight, bias ?? null, p);
    return finish(rec, unbatched, op);
  } finally {
    if (unbatched) x4.dispose();
  }
}
