// WebGPU pad, gather and index_select: merges dims the op leaves untouched, then dispatches one thread per output.
import type { BackendBuffer, PadMode } from '../backend.js';
import type { DType } from '../../dtype.js';
import { stridesOf } from '../../shape.js';
import { GpuBuffer, type GpuContext, Params, wgslType } from './gpu-context.js';
import { PAD_WG, padWgsl } from '../../kernels/pad.js';
import { GATHER_WG, gatherWgsl, indexSelectWgsl } from '../../kernels/gather.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

/**
 * Pads (or crops) `x` into `out`. Adjacent unpadded dims are merged first so the kernel's rank stays small.
 *
 * @example
 * gpuPad(ctx, x, [2, 3, 4], out, [2, 3, 8], [0, 0, 2], 'reflect', 0, 'float32');
 */
export function gpuPad(ctx: GpuContext, x: BackendBuffer, shape: number[], out: BackendBuffer, outShape: number[], before: number[], mode: PadMode, value: number, dtype: DType): void {
  const numel = outShape.reduce((a, b) => a * b, 1);
  if (numel === 0) return;
  const ms: number[] = [];
  const mo: number[] = [];
  const mb: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const untouched = before[d] === 0 && shape[d] === outShape[d];
    const k = ms.length - 1;
    if (untouched && k >= 0 && mb[k] === 0 && ms[k] === mo[k]) {
      ms[k]! *= shape[d]!;
      mo[k]! *= shape[d]!;
    } else {
      ms.push(shape[d]!);
      mo.push(outShape[d]!);
      mb.push(before[d]!);
    }
  }
  const rank = ms.length;
  const t = wgslType(dtype);
  const p = new Params().u(numel);
  if (t === 'f32') p.f(value);
  else if (t === 'i32') p.i(value);
  else p.u(value);
  p.u(...mo).i(...ms, ...mb);
  ctx.dispatch(`pad_${mode}_${t}_${rank}`, () => padWgsl(t, rank, mode), [{ buf: g(x) }, { buf: g(out), write: true }], p, ctx.grid(numel, PAD_WG));
}

/**
 * torch.gather along `dim`; indices outside `[0, xShape[dim])` produce 0 (the kernel never reads out of bounds).
 *
 * @example
 * gpuGather(ctx, x, [4, 5], idx, [4, 2], 1, out, 'float32');
 */
export function gpuGather(ctx: GpuContext, x: BackendBuffer, xShape: number[], index: BackendBuffer, outShape: number[], dim: number, out: BackendBuffer, dtype: DType): void {
  const numel = outShape.reduce((a, b) => a * b, 1);
  if (numel === 0) return;
  const rank = outShape.length;
  const t = wgslType(dtype);
  const p = new Params().u(numel).i(xShape[dim]!).u(...outShape, ...stridesOf(xShape));
  ctx.dispatch(
    `gather_${t}_${rank}_${dim}`,
    () => gatherWgsl(t, rank, dim),
    [{ buf: g(x) }, { buf: g(index) }, { buf: g(out), write: true }],
    p,
    ctx.grid(numel, GATHER_WG),
  );
}

/**
 * torch.index_select along `dim` with a 1-D int32 index of `count` entries; out-of-range entries give 0.
 *
 * @example
 * gpuIndexSelect(ctx, x, [10, 3], idx, 4, 0, out, 'float32');
 */
export function gpuIndexSelect(ctx: GpuContext, x: BackendBuffer, xShape: number[], index: BackendBuffer, count: number, dim: number, out: BackendBuffer, dtype: DType): void {
  const outer = xShape.slice(0, dim).reduce((a, b) => a * b, 1);
  const inner = xShape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const numel = outer * count * inner;
  if (numel === 0) return;
  const t = wgslType(dtype);
  ctx.dispatch(
    `index_select_${t}`,
    () => indexSelectWgsl(t),
    [{ buf: g(x) }, { buf: g(index) }, { buf: g(out), write: true }],
    new Params().u(numel, count, inner, xShape[dim]!),
    ctx.grid(numel, GATHER_WG),
  );
}
