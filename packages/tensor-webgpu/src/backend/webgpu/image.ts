// WebGPU dispatch of the image kernels: pooling, adaptive pooling, table-driven resizing and gridSample.
import type { BackendBuffer, GridSampleParams, Pool2dParams, ResizeParams } from '../backend.js';
import { GpuBuffer, type GpuContext, Params } from './gpu-context.js';
import { POOL_WG, adaptiveAvgPool2dWgsl, pool2dWgsl } from '../../kernels/pool.js';
import { RESIZE_WG, identityTable, packTables, resizeAxisTable, resizeWgsl, type AxisTable } from '../../kernels/resize.js';
import { GRID_SAMPLE_WG, gridSampleWgsl } from '../../kernels/grid-sample.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

/**
 * Max or average pooling of an NCHW buffer into a preallocated output.
 *
 * @example
 * gpuPool2d(ctx, 'max', x, out, params);
 */
export function gpuPool2d(ctx: GpuContext, kind: 'max' | 'avg', x: BackendBuffer, out: BackendBuffer, p: Pool2dParams): void {
  const total = p.n * p.c * p.oh * p.ow;
  const params = new Params()
    .u(total, p.h, p.w, p.oh, p.ow, p.kh, p.kw, p.strideH, p.strideW, p.padH, p.padW, p.dilationH, p.dilationW, p.countIncludePad ? 1 : 0)
    .i(p.divisorOverride);
  ctx.dispatch(`pool2d_${kind}`, () => pool2dWgsl(kind), [{ buf: g(x) }, { buf: g(out), write: true }], params, ctx.grid(total, POOL_WG));
}

/**
 * Adaptive average pooling of an NCHW buffer to (oh, ow).
 *
 * @example
 * gpuAdaptiveAvgPool2d(ctx, x, out, 1, 3, 7, 7, 3, 3);
 */
export function gpuAdaptiveAvgPool2d(ctx: GpuContext, x: BackendBuffer, out: BackendBuffer, n: number, c: number, h: number, w: number, oh: number, ow: number): void {
  const total = n * c * oh * ow;
  ctx.dispatch('adaptive_avg_pool2d', adaptiveAvgPool2dWgsl, [{ buf: g(x) }, { buf: g(out), write: true }], new Params().u(total, h, w, oh, ow), ctx.grid(total, POOL_WG));
}

/** Above this many taps per output pixel, the antialiased path runs as two 1-D passes (W, then H). */
const SEPARABLE_TAPS = 64;

function resizePass(ctx: GpuContext, x: GpuBuffer, out: GpuBuffer, nc: number, h: number, w: number, rows: AxisTable, cols: AxisTable): void {
  const total = nc * rows.outSize * cols.outSize;
  if (total === 0) return;
  const { words, colBase } = packTables(rows, cols);
  const table = ctx.upload(words);
  const rt = rows.fixed ? rows.taps : null;
  const ct = cols.fixed ? cols.taps : null;
  ctx.dispatch(
    `resize_${rt ?? 'd'}_${ct ?? 'd'}`,
    () => resizeWgsl(rt, ct),
    [{ buf: x }, { buf: table }, { buf: out, write: true }],
    new Params().u(total, h, w, rows.outSize, cols.outSize, rows.taps, cols.taps, colBase),
    ctx.grid(total, RESIZE_WG),
  );
  // Back to the pool: any later user of this buffer is ordered after this dispatch.
  ctx.release(table);
}

/**
 * interpolate (nearest, nearest-exact, bilinear, bicubic, antialiased) of an NCHW buffer, driven by per-axis
 * index/weight tables computed on the host with torch's exact coordinate arithmetic.
 *
 * @example
 * gpuResize(ctx, x, out, { mode: 'bilinear', alignCorners: false, antialias: false, n: 1, c: 3, h: 8, w: 8, oh: 16, ow: 16, scaleH: 0.5, scaleW: 0.5 });
 */
export function gpuResize(ctx: GpuContext, x: BackendBuffer, out: BackendBuffer, p: ResizeParams): void {
  const rows = resizeAxisTable(p.mode, p.alignCorners, p.antialias, p.h, p.oh, p.scaleH);
  const cols = resizeAxisTable(p.mode, p.alignCorners, p.antialias, p.w, p.ow, p.scaleW);
  const nc = p.n * p.c;
  const tmpBytes = nc * p.h * p.ow * 4;
  if (rows.taps * cols.taps > SEPARABLE_TAPS && tmpBytes > 0 && tmpBytes <= ctx.maxBindingBytes) {
    // Horizontal pass into (N, C, H, OW), then vertical: O(taps) instead of O(taps²) per pixel, same float order.
    const tmp = ctx.alloc(tmpBytes, 'interpolate');
    resizePass(ctx, g(x), tmp, nc, p.h, p.w, identityTable(p.h), cols);
    resizePass(ctx, tmp, g(out), nc, p.h, p.ow, rows, identityTable(p.ow));
    ctx.release(tmp);
    return;
  }
  resizePass(ctx, g(x), g(out), nc, p.h, p.w, rows, cols);
}

/**
 * gridSample of an NCHW buffer at the (N, OH, OW, 2) grid's normalised (x, y) locations.
 *
 * @example
 * gpuGridSample(ctx, x, grid, out, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false, n: 1, c: 1, h: 4, w: 4, oh: 2, ow: 2 });
 */
export function gpuGridSample(ctx: GpuContext, x: BackendBuffer, grid: BackendBuffer, out: BackendBuffer, p: GridSampleParams): void {
  const total = p.n * p.c * p.oh * p.ow;
  const sw = p.alignCorners ? (p.w - 1) / 2 : p.w / 2;
  const sh = p.alignCorners ? (p.h - 1) / 2 : p.h / 2;
  const params = new Params().u(total, p.c, p.h, p.w, p.oh * p.ow).f(sw, sh);
  ctx.dispatch(
    `grid_sample_${p.mode}_${p.paddingMode}_${p.alignCorners ? 1 : 0}`,
    () => gridSampleWgsl(p.mode, p.paddingMode, p.alignCorners),
    [{ buf: g(x) }, { buf: g(grid) }, { buf: g(out), write: true }],
    params,
    ctx.grid(total, GRID_SAMPLE_WG),
  );
}
