// Fused GroupNorm on WebGPU: forward in one dispatch, backward in two (see kernels/norm.ts).
import type { BackendBuffer, GroupNormParams } from '../backend.js';
import { groupNormBackwardWgsl, groupNormForwardWgsl, groupNormParamGradWgsl } from '../../kernels/norm.js';
import { type Binding, type GpuBuffer, type GpuContext, Params } from './gpu-context.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

export function gpuGroupNormForward(ctx: GpuContext, x: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, p: GroupNormParams): void {
  const total = p.n * p.groups;
  const binds: Binding[] = [{ buf: g(x) }];
  if (w) binds.push({ buf: g(w) });
  if (b) binds.push({ buf: g(b) });
  binds.push({ buf: g(out), write: true }, { buf: g(mean), write: true }, { buf: g(rstd), write: true });
  const silu = p.activation === 'silu';
  ctx.dispatch(`groupnorm_fwd_${+!!w}${+!!b}${silu ? '_silu' : ''}`, () => groupNormForwardWgsl(!!w, !!b, silu), binds, new Params().u(total, p.c, p.groups, p.spatial).f(p.eps), ctx.grid(total, 1));
}

export function gpuGroupNormBackward(
  ctx: GpuContext, x: BackendBuffer, gr: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
  dx: BackendBuffer, dw: BackendBuffer | null, db: BackendBuffer | null, p: GroupNormParams,
): void {
  const total = p.n * p.groups;
  const part = ctx.alloc(2 * p.n * p.c * 4);
  const binds: Binding[] = [{ buf: g(x) }, { buf: g(gr) }];
  const silu = p.activation === 'silu';
  if (w) binds.push({ buf: g(w) });
  if (silu && b) binds.push({ buf: g(b) });
  binds.push({ buf: g(mean) }, { buf: g(rstd) }, { buf: g(dx), write: true }, { buf: part, write: true });
  ctx.dispatch(`groupnorm_bwd_${+!!w}${silu ? `${+!!b}_silu` : ''}`, () => groupNormBackwardWgsl(!!w, !!b, silu), binds, new Params().u(total, p.c, p.groups, p.spatial), ctx.grid(total, 1));
  if (dw || db) {
    const scratch = dw && db ? null : ctx.alloc(p.c * 4);
    const outW = dw ? g(dw) : scratch!;
    const outB = db ? g(db) : scratch!;
    ctx.dispatch('groupnorm_param_grad', groupNormParamGradWgsl, [{ buf: part }, { buf: outW, write: true }, { buf: outB, write: true }], new Params().u(p.n, p.c), [Math.ceil(p.c / 64), 1, 1]);
    if (scratch) ctx.release(scratch);
  }
  ctx.release(part);
}
