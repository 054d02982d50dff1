// WebGPU scatter-add dispatch (kernel in kernels/scatter.ts).
import type { BackendBuffer } from '../backend.js';
import type { DType } from '../../dtype.js';
import { stridesOf, sizeOf } from '../../shape.js';
import { GpuBuffer, type GpuContext, Params } from './gpu-context.js';
import { SCATTER_WG, scatterAddWgsl } from '../../kernels/scatter.js';

export function gpuScatterAdd(ctx: GpuContext, src: BackendBuffer, index: BackendBuffer, indexShape: number[], dim: number, out: BackendBuffer, outShape: number[], dtype: DType): void {
  const n = sizeOf(indexShape);
  const t = dtype === 'float32' ? 'f32' : 'i32';
  const rank = indexShape.length;
  ctx.dispatch(
    `scatterAdd_${t}_${rank}_${dim}`,
    () => scatterAddWgsl(t, rank, dim),
    [{ buf: src as GpuBuffer }, { buf: index as GpuBuffer }, { buf: out as GpuBuffer, write: true }],
    new Params().u(n, outShape[dim]!).u(...indexShape).u(...stridesOf(outShape)),
    ctx.grid(n, SCATTER_WG),
  );
}
