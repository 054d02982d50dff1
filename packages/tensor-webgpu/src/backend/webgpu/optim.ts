// Fused optimizer updates on WebGPU: one dispatch per parameter (see kernels/optim.ts).
import type { AdamUpdateParams, BackendBuffer, SgdUpdateParams } from '../backend.js';
import { adamKey, adamUpdateWgsl, emaUpdateWgsl, OPTIM_WG, sgdKey, sgdUpdateWgsl } from '../../kernels/optim.js';
import { type Binding, type GpuBuffer, type GpuContext, Params } from './gpu-context.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

export function gpuAdamUpdate(
  ctx: GpuContext, p: BackendBuffer, gr: BackendBuffer, m: BackendBuffer | null, v: BackendBuffer | null, vMax: BackendBuffer | null,
  pOut: BackendBuffer, mOut: BackendBuffer, vOut: BackendBuffer, vMaxOut: BackendBuffer | null, q: AdamUpdateParams,
): void {
  const hasMax = q.amsgrad && q.hasMax;
  const binds: Binding[] = [{ buf: g(p) }, { buf: g(gr) }];
  if (q.hasM) binds.push({ buf: g(m!) });
  if (q.hasV) binds.push({ buf: g(v!) });
  if (hasMax) binds.push({ buf: g(vMax!) });
  binds.push({ buf: g(pOut), write: true }, { buf: g(mOut), write: true }, { buf: g(vOut), write: true });
  if (q.amsgrad) binds.push({ buf: g(vMaxOut!), write: true });
  const params = new Params().u(q.numel, 0).f(q.l2, q.decay, q.b1, q.oneMinusB1, q.b2, q.oneMinusB2, q.bc2Sqrt, q.eps, q.negStepSize);
  ctx.dispatch(adamKey(q), () => adamUpdateWgsl(q), binds, params, ctx.grid(q.numel, OPTIM_WG));
}

export function gpuSgdUpdate(ctx: GpuContext, p: BackendBuffer, gr: BackendBuffer, buf: BackendBuffer | null, pOut: BackendBuffer, bufOut: BackendBuffer | null, q: SgdUpdateParams): void {
  const binds: Binding[] = [{ buf: g(p) }, { buf: g(gr) }];
  if (q.useMomentum && q.hasBuf) binds.push({ buf: g(buf!) });
  binds.push({ buf: g(pOut), write: true });
  if (q.useMomentum) binds.push({ buf: g(bufOut!), write: true });
  const params = new Params().u(q.numel, 0).f(q.l2, q.momentum, q.oneMinusDampening, q.negLr);
  ctx.dispatch(sgdKey(q), () => sgdUpdateWgsl(q), binds, params, ctx.grid(q.numel, OPTIM_WG));
}

export function gpuEmaUpdate(ctx: GpuContext, s: BackendBuffer, t: BackendBuffer, out: BackendBuffer, numel: number, w: number): void {
  ctx.dispatch('ema_update', emaUpdateWgsl, [{ buf: g(s) }, { buf: g(t) }, { buf: g(out), write: true }], new Params().u(numel, 0).f(w), ctx.grid(numel, OPTIM_WG));
}
