// Pooling ops (avgPool2d, maxPool2d, adaptiveAvgPool2d) on NCHW or unbatched CHW input, with PyTorch's
// output-size rules (ceilMode's last-window rule, padding at most half the kernel) checked before any kernel runs.
import type { Pool2dParams } from '../backend/backend.js';
import { check, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { record } from '../autograd/node.js';
import { adaptiveMatrix, avgPoolMatrix, maxPoolGrad, separableAdjoint } from './image-grad.js';
import { mul } from './elementwise.js';
import { reshape } from './movement.js';
import { backendOf, empty, requireFloat } from './util.js';

/** A size given once for both spatial dims or as `[h, w]` (a one-element array also counts for both). */
export type PoolSize = number | readonly number[];

/** Options of {@link avgPool2d} (torch.nn.functional.avg_pool2d). */
export interface AvgPool2dOptions {
  /** Window step; defaults to the kernel size. */
  stride?: PoolSize | null;
  /** Implicit zero padding on both sides (at most half the kernel). */
  padding?: PoolSize;
  /** Use ceil instead of floor for the output size. */
  ceilMode?: boolean;
  /** Count the zero padding in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window by this instead of its size. */
  divisorOverride?: number | null;
}

/** Options of {@link maxPool2d} (torch.nn.functional.max_pool2d). */
export interface MaxPool2dOptions {
  /** Window step; defaults to the kernel size. */
  stride?: PoolSize | null;
  /** Implicit -inf padding on both sides (at most half the kernel). */
  padding?: PoolSize;
  /** Spacing between window elements. */
  dilation?: PoolSize;
  /** Use ceil instead of floor for the output size. */
  ceilMode?: boolean;
}

/** Normalises an int-or-pair argument (e.g. 2 → [2, 2]), checking every entry is an integer >= `min`. */
function pair(op: string, name: string, v: PoolSize, min: number): [number, number] {
  const a = typeof v === 'number' ? [v, v] : v.length === 1 ? [v[0]!, v[0]!] : [...v];
  check(a.length === 2, op, `${name} must be a number or a pair, got ${fmtShape(a)}`);
  check(a.every((x) => Number.isInteger(x) && x >= min), op, `${name} must be integers >= ${min}, got ${fmtShape(a)}`);
  return a as [number, number];
}

/** torch's pooling_output_shape: floor/ceil window count, where in ceil mode the last window must start inside input or left padding. */
function outSize(size: number, k: number, pad: number, stride: number, dilation: number, ceilMode: boolean): number {
  let o = Math.floor((size + 2 * pad - dilation * (k - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  if (ceilMode && (o - 1) * stride >= size + pad) o--;
  return o;
}

/** Reads (N, C, H, W) from an NCHW or CHW float32 input (N = 1 when unbatched; same buffer layout). */
function dims4(op: string, x: Tensor): [number, number, number, number] {
  requireFloat(op, x);
  check(x.ndim === 3 || x.ndim === 4, op, `expects a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
  const s = x.ndim === 4 ? [...x.shape] : [1, ...x.shape];
  check(s.slice(1).every((d) => d > 0), op, `expects non-zero C, H and W, got shape ${fmtShape(x.shape)}`);
  return s as [number, number, number, number];
}

/** Output shape keeping the input's batched/unbatched form. */
function outShape(x: Tensor, n: number, c: number, oh: number, ow: number): number[] {
  return x.ndim === 4 ? [n, c, oh, ow] : [c, oh, ow];
}

function pool(op: string, kind: 'max' | 'avg', x: Tensor, kernelSize: PoolSize, stride: PoolSize | null | undefined, padding: PoolSize, dilation: PoolSize, ceilMode: boolean, countIncludePad: boolean, divisor: number): Tensor {
  const backend = backendOf(op, x);
  const [kh, kw] = pair(op, 'kernelSize', kernelSize, 1);
  const [sh, sw] = stride === undefined || stride === null || (typeof stride !== 'number' && stride.length === 0) ? [kh, kw] : pair(op, 'stride', stride, 1);
  const [ph, pw] = pair(op, 'padding', padding, 0);
  const [dh, dw] = pair(op, 'dilation', dilation, 1);
  check(ph <= Math.floor(kh / 2) && pw <= Math.floor(kw / 2), op, `padding should be at most half of the kernel size, got padding [${ph}, ${pw}] for kernel [${kh}, ${kw}]`);
  const [n, c, h, w] = dims4(op, x);
  const oh = outSize(h, kh, ph, sh, dh, ceilMode);
  const ow = outSize(w, kw, pw, sw, dw, ceilMode);
  check(oh >= 1 && ow >= 1, op, `input of shape ${fmtShape(x.shape)} is too small for kernel [${kh}, ${kw}] with padding [${ph}, ${pw}] and dilation [${dh}, ${dw}]: the output would be ${oh}×${ow}`);
  const out = empty(op, backend, outShape(x, n, c, oh, ow), 'float32');
  const p: Pool2dParams = {
    n, c, h, w, kh, kw, oh, ow, strideH: sh, strideW: sw, padH: ph, padW: pw, dilationH: dh, dilationW: dw,
    countIncludePad, divisorOverride: divisor,
  };
  if (out.size > 0) backend.pool2d(kind, x.buf(op), out.buf(op), p);
  const inShape = [...x.shape];
  if (kind === 'max') {
    const geo = { kh, kw, sh, sw, ph, pw, dh, dw, oh, ow };
    return record(op, out, [x], (g, [xs]) => [reshape(maxPoolGrad(reshape(g, [n, c, oh, ow]), reshape(xs!, [n, c, h, w]), geo), inShape)], [x]);
  }
  const override = divisor !== 0;
  return record(op, out, [x], (g) => {
    const mh = avgPoolMatrix(h, oh, kh, sh, ph, countIncludePad, override, g);
    const mw = avgPoolMatrix(w, ow, kw, sw, pw, countIncludePad, override, g);
    const dx = separableAdjoint(g, mh, mw, inShape);
    return [override ? mul(dx, 1 / divisor) : dx];
  });
}

/**
 * 2-D average pooling (torch.nn.functional.avg_pool2d) over (N, C, H, W) or (C, H, W) float32 input.
 *
 * @example
 * avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false });
 */
export function avgPool2d(x: Tensor, kernelSize: PoolSize, options: AvgPool2dOptions = {}): Tensor {
  const op = 'avgPool2d';
  const d = options.divisorOverride;
  check(d === undefined || d === null || (Number.isInteger(d) && d !== 0), op, `divisorOverride must be a non-zero integer, got ${d}`);
  return pool(op, 'avg', x, kernelSize, options.stride, options.padding ?? 0, 1, options.ceilMode ?? false, options.countIncludePad ?? true, d ?? 0);
}

/**
 * 2-D max pooling (torch.nn.functional.max_pool2d): padding counts as -inf and NaN propagates.
 *
 * @example
 * maxPool2d(x, [3, 2], { stride: 2, padding: 1, dilation: 2, ceilMode: true });
 */
export function maxPool2d(x: Tensor, kernelSize: PoolSize, options: MaxPool2dOptions = {}): Tensor {
  return pool('maxPool2d', 'max', x, kernelSize, options.stride, options.padding ?? 0, options.dilation ?? 1, options.ceilMode ?? false, true, 0);
}

/**
 * Adaptive average pooling to `outputSize` (torch.nn.functional.adaptive_avg_pool2d); a `null` entry keeps that
 * input dim. Cell i covers input rows ⌊i·H/OH⌋ to ⌈(i+1)·H/OH⌉.
 *
 * @example
 * adaptiveAvgPool2d(x, [5, null]); // (N, C, 5, W)
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number | null, number | null]): Tensor {
  const op = 'adaptiveAvgPool2d';
  const backend = backendOf(op, x);
  const [n, c, h, w] = dims4(op, x);
  const req = typeof outputSize === 'number' ? [outputSize, outputSize] : [...outputSize];
  check(req.length === 2, op, `outputSize must be a number or a pair, got ${JSON.stringify(outputSize)}`);
  const oh = req[0] ?? h;
  const ow = req[1] ?? w;
  check(Number.isInteger(oh) && Number.isInteger(ow) && oh >= 0 && ow >= 0, op, `outputSize must be non-negative integers, got ${JSON.stringify(outputSize)}`);
  const out = empty(op, backend, outShape(x, n, c, oh, ow), 'float32');
  if (out.size > 0) backend.adaptiveAvgPool2d(x.buf(op), out.buf(op), n, c, h, w, oh, ow);
  const inShape = [...x.shape];
  return record(op, out, [x], (g) => [separableAdjoint(g, adaptiveMatrix(h, oh, g), adaptiveMatrix(w, ow, g), inShape)]);
}
