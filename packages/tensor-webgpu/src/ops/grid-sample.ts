// Spatial transformer ops: gridSample (torch.nn.functional.grid_sample, 4-D) and affineGrid (its sampling grids),
// with every shape, mode and padding option validated before a kernel runs.
import type { GridSampleParams } from '../backend/backend.js';
import { check, fmtShape } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { add, mul } from './elementwise.js';
import { reshape, slice } from './movement.js';
import { backendOf, empty, requireFloat } from './util.js';
import { record } from '../autograd/node.js';
import { gridSampleVjp } from './image-grad.js';

/** Options of {@link gridSample}. */
export interface GridSampleOptions {
  /** Interpolation (default `'bilinear'`). */
  mode?: GridSampleParams['mode'];
  /** Value outside the input (default `'zeros'`): zero, the nearest border pixel, or the reflected pixel. */
  paddingMode?: GridSampleParams['paddingMode'];
  /** When true, -1 and 1 are the centres of the corner pixels; otherwise their outer edges (default false). */
  alignCorners?: boolean;
}

const MODES: readonly GridSampleParams['mode'][] = ['bilinear', 'nearest', 'bicubic'];
const PADDINGS: readonly GridSampleParams['paddingMode'][] = ['zeros', 'border', 'reflection'];

/**
 * Samples `x` (N, C, H, W) at the normalised locations of `grid` (N, OH, OW, 2), whose last dim is (x, y) in
 * [-1, 1] (values outside follow `paddingMode`). Output: (N, C, OH, OW). Nearest rounds half to even like torch.
 *
 * @example
 * const grid = affineGrid(theta, [1, 3, 32, 32]);
 * const warped = gridSample(img, grid, { mode: 'bilinear', paddingMode: 'border' });
 */
export function gridSample(x: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const op = 'gridSample';
  const backend = backendOf(op, x, grid);
  const mode = options.mode ?? 'bilinear';
  const paddingMode = options.paddingMode ?? 'zeros';
  const alignCorners = options.alignCorners ?? false;
  check(MODES.includes(mode), op, `unknown mode '${String(mode)}' (expected ${MODES.join(', ')})`);
  check(PADDINGS.includes(paddingMode), op, `unknown paddingMode '${String(paddingMode)}' (expected ${PADDINGS.join(', ')})`);
  requireFloat(op, x);
  requireFloat(op, grid);
  check(x.ndim === 4, op, `supports 4-D (N, C, H, W) input only, got shape ${fmtShape(x.shape)}`);
  check(grid.ndim === 4 && grid.shape[3] === 2, op, `grid must have shape (N, OH, OW, 2) for 4-D input, got ${fmtShape(grid.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [gn, oh, ow] = grid.shape as [number, number, number];
  check(gn === n, op, `grid batch ${gn} differs from the input batch ${n} (input ${fmtShape(x.shape)}, grid ${fmtShape(grid.shape)})`);
  check(h > 0 && w > 0, op, `expects an input with non-empty spatial dims, got ${fmtShape(x.shape)}`);
  const out = empty(op, backend, [n, c, oh, ow], 'float32');
  if (out.size > 0) backend.gridSample(x.buf(op), grid.buf(op), out.buf(op), { mode, paddingMode, alignCorners, n, c, h, w, oh, ow });
  const spec = { mode, paddingMode, alignCorners };
  return record(op, out, [x, grid], (g, [xs, gs]) => gridSampleVjp(g, xs!, gs!, spec), [x, grid]);
}

/** torch's base-grid coordinates along one axis: linspace(-1, 1, n), shrunk by (n-1)/n without alignCorners; 0 when n = 1. */
function baseCoords(n: number, alignCorners: boolean): Float32Array {
  const v = new Float32Array(n);
  if (n <= 1) return v;
  const step = Math.fround(2 / (n - 1));
  for (let i = 0; i < n; i++) {
    // torch.linspace fills the second half backwards from the end point.
    const l = Math.fround(i < Math.floor(n / 2) ? -1 + step * i : 1 - step * (n - 1 - i));
    v[i] = alignCorners ? l : Math.fround(Math.fround(l * (n - 1)) / n);
  }
  return v;
}

/**
 * Sampling grid (N, H, W, 2) of the affine maps `theta` (N, 2, 3) for an output of `size` [N, C, H, W]
 * (torch.nn.functional.affine_grid): grid[n, i, j] = theta[n] · (x_j, y_i, 1).
 *
 * @example
 * const theta = tensor([[[Math.cos(a), -Math.sin(a), 0.1], [Math.sin(a), Math.cos(a), 0]]]);
 * const grid = affineGrid(theta, [1, 3, 16, 16], false);
 */
export function affineGrid(theta: Tensor, size: readonly number[], alignCorners: boolean | { alignCorners?: boolean } = false): Tensor {
  const op = 'affineGrid';
  const backend = backendOf(op, theta);
  const align = typeof alignCorners === 'boolean' ? alignCorners : alignCorners.alignCorners ?? false;
  requireFloat(op, theta);
  check(size.length === 4, op, `supports 2-D grids only: size must be [N, C, H, W], got ${fmtShape(size)}`);
  check(size.every((s) => Number.isInteger(s) && s >= 0), op, `size must be non-negative integers, got ${fmtShape(size)}`);
  const [n, , h, w] = size as [number, number, number, number];
  check(theta.ndim === 3 && theta.shape[1] === 2 && theta.shape[2] === 3, op, `expects theta of shape (N, 2, 3) for 2-D grids, got ${fmtShape(theta.shape)}`);
  check(theta.shape[0] === n, op, `theta batch ${theta.shape[0]} differs from size[0] = ${n} (size ${fmtShape(size)})`);
  // out[n, i, j, k] = X[j]·θ[n,k,0] + Y[i]·θ[n,k,1] + θ[n,k,2], built from broadcasting elementwise ops.
  const xs = tensor(baseCoords(w, align), { backend, shape: [1, 1, w, 1] });
  const ys = tensor(baseCoords(h, align), { backend, shape: [1, h, 1, 1] });
  const col = (k: number) => {
    const s = slice(theta, 2, k, k + 1);
    const r = reshape(s, [n, 1, 1, 2]);
    s.dispose();
    return r;
  };
  const [t0, t1, t2] = [col(0), col(1), col(2)];
  const a = mul(xs, t0);
  const b = mul(ys, t1);
  const ab = add(a, b);
  const out = add(ab, t2);
  for (const t of [xs, ys, t0, t1, t2, a, b, ab]) t.dispose();
  return out;
}
