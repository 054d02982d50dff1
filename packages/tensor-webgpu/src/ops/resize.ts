// interpolate (torch.nn.functional.interpolate): nearest, nearest-exact, bilinear, bicubic, area and the antialiased
// downscales, with PyTorch's size / scaleFactor / recomputeScaleFactor / alignCorners rules validated up front.
import type { ResizeParams } from '../backend/backend.js';
import { check, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { adaptiveAvgPool2d } from './pool.js';
import { record } from '../autograd/node.js';
import { separableAdjoint, tableMatrix } from './image-grad.js';
import { resizeAxisTable } from '../kernels/resize.js';
import { reshape } from './movement.js';
import { backendOf, empty, requireFloat, viewOf } from './util.js';

/** Interpolation modes of {@link interpolate}. */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic' | 'area';

/** Options of {@link interpolate}; give exactly one of `size` and `scaleFactor`. */
export interface InterpolateOptions {
  /** Output spatial size: one number for every spatial dim, or one per dim. */
  size?: number | readonly number[];
  /** Multiplier of the spatial size (output = ⌊input · scale⌋); one number or one per dim. */
  scaleFactor?: number | readonly number[];
  /** Default `'nearest'`. */
  mode?: InterpolateMode;
  /** Only for bilinear/bicubic (default false): map the corner pixel centres onto each other. */
  alignCorners?: boolean;
  /** Antialiased downscaling for bilinear/bicubic on 4-D input (default false). */
  antialias?: boolean;
  /** With `scaleFactor`: interpolate with in/out instead of 1/scaleFactor (torch's recompute_scale_factor). */
  recomputeScaleFactor?: boolean;
}

const MODES: readonly InterpolateMode[] = ['nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'];

function perDim(op: string, name: string, v: number | readonly number[], dims: number, spatial: readonly number[]): number[] {
  const a = typeof v === 'number' ? Array<number>(dims).fill(v) : [...v];
  check(a.length === dims, op, `${name} ${JSON.stringify(v)} must have one entry per spatial dim of the input (spatial shape ${fmtShape(spatial)})`);
  return a;
}

/**
 * Resizes (N, C, H, W) input — or (N, C, L) for the nearest modes and `area` — like torch.nn.functional.interpolate.
 * With `scaleFactor` (and `recomputeScaleFactor` not true) the source coordinates use 1/scaleFactor, as torch does.
 *
 * @example
 * interpolate(x, { scaleFactor: 2, mode: 'bilinear', alignCorners: false });
 * interpolate(x, { size: [7, 5], mode: 'bicubic', antialias: true });
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  const backend = backendOf(op, x);
  const mode = options.mode ?? 'nearest';
  check(MODES.includes(mode), op, `unknown mode '${String(mode)}' (expected ${MODES.join(', ')})`);
  requireFloat(op, x);
  const nearestLike = mode === 'nearest' || mode === 'nearest-exact' || mode === 'area';
  check(!nearestLike || options.alignCorners === undefined || options.alignCorners === null, op,
    `alignCorners can only be set with the interpolating modes bilinear and bicubic, not '${mode}'`);
  const alignCorners = options.alignCorners ?? false;
  const antialias = options.antialias ?? false;
  check(x.ndim === 3 || x.ndim === 4, op, `supports 3-D (N, C, L) and 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
  check(x.ndim === 4 || nearestLike, op, `got 3-D input of shape ${fmtShape(x.shape)}, but ${mode} mode needs 4-D (N, C, H, W) input`);
  check(!antialias || mode === 'bilinear' || mode === 'bicubic', op, `antialias is only supported for the bilinear and bicubic modes, not '${mode}'`);
  const dims = x.ndim - 2;
  const spatial = x.shape.slice(2);
  const { size, scaleFactor } = options;
  const hasSize = size !== undefined && size !== null;
  const hasScale = scaleFactor !== undefined && scaleFactor !== null;
  check(!(hasSize && hasScale), op, 'only one of size and scaleFactor may be given');
  check(hasSize || hasScale, op, 'either size or scaleFactor must be given');
  check(!(options.recomputeScaleFactor && hasSize), op, 'recomputeScaleFactor is not meaningful with an explicit size');

  let outSpatial: number[];
  let scales: (number | null)[];
  if (hasSize) {
    outSpatial = perDim(op, 'size', size, dims, spatial);
    check(outSpatial.every((s) => Number.isInteger(s)), op, `size must be integers, got ${JSON.stringify(size)}`);
    scales = outSpatial.map(() => null);
  } else {
    const sf = perDim(op, 'scaleFactor', scaleFactor!, dims, spatial);
    check(sf.every((s) => Number.isFinite(s) && s > 0), op, `scaleFactor must be positive finite numbers, got ${JSON.stringify(scaleFactor)}`);
    outSpatial = sf.map((s, i) => Math.floor(spatial[i]! * s));
    // area always recomputes (it is adaptive pooling to the computed size).
    scales = options.recomputeScaleFactor || mode === 'area' ? sf.map(() => null) : sf;
  }
  check(spatial.every((s) => s > 0) && outSpatial.every((s) => s > 0), op,
    `input and output sizes should be greater than 0, got input ${fmtShape(spatial)} and output ${fmtShape(outSpatial)}`);

  const [n, c] = x.shape as [number, number];
  const [h, oh] = dims === 2 ? [spatial[0]!, outSpatial[0]!] : [1, 1];
  const [w, ow] = [spatial[dims - 1]!, outSpatial[dims - 1]!];
  const outShape = dims === 2 ? [n, c, oh, ow] : [n, c, ow];

  if (mode === 'area') {
    if (dims === 2) return adaptiveAvgPool2d(x, [oh, ow]);
    const x4 = viewOf(x, [n, c, 1, w], op);
    const y4 = adaptiveAvgPool2d(x4, [1, ow]);
    x4.dispose();
    const y = viewOf(y4, outShape, op);
    y4.dispose();
    return y;
  }
  const sH = dims === 2 ? scales[0] : null;
  const sW = scales[dims - 1] ?? null;
  const p: ResizeParams = {
    mode, alignCorners, antialias, n, c, h, w, oh, ow,
    scaleH: sH !== null && sH !== undefined ? 1 / sH : h / oh,
    scaleW: sW !== null ? 1 / sW : w / ow,
  };
  const out = empty(op, backend, outShape, 'float32');
  if (out.size > 0) backend.resize(x.buf(op), out.buf(op), p);
  const inShape = [...x.shape];
  // Resizing is separable: y = Mh · x · Mwᵀ with the same per-axis tables the kernels apply.
  return record(op, out, [x], (g) => {
    const rows = resizeAxisTable(mode, alignCorners, antialias, h, oh, p.scaleH);
    const cols = resizeAxisTable(mode, alignCorners, antialias, w, ow, p.scaleW);
    const g4 = reshape(g, [n, c, oh, ow]);
    return [reshape(separableAdjoint(g4, tableMatrix(rows, g), tableMatrix(cols, g), [n, c, h, w]), inShape)];
  });
}
