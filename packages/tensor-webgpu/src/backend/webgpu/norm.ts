// Fused GroupNorm / LayerNorm / BatchNorm on WebGPU: forward in one dispatch, backward in two (GroupNorm) or one
// (BatchNorm); see kernels/norm.ts.
import type { BackendBuffer, BatchNormParams, GroupNormParams } from '../backend.js';
import { type NormKernelSpec, type NormWorkgroup, groupNormParamGradWgsl, normBackwardWgsl, normForwardWgsl, normWorkgroup, planeThreads } from '../../kernels/norm.js';
import { type Binding, type GpuBuffer, type GpuContext, Params } from './gpu-context.js';
import { traits } from './linalg.js';

const g = (b: BackendBuffer) => b as GpuBuffer;
let forcedWg: 'auto' | NormWorkgroup = 'auto';

/**
 * Forces the fused norms' workgroup size (tests use it to cover the GPU sizes on a software adapter); returns the
 * previous setting.
 *
 * @example
 * const prev = setNormWorkgroup(64); try { ... } finally { setNormWorkgroup(prev); }
 */
export function setNormWorkgroup(wg: 'auto' | NormWorkgroup): 'auto' | NormWorkgroup {
  const prev = forcedWg;
  forcedWg = wg;
  return prev;
}

/**
 * Workgroup size for rows of `m` elements: 8 (one SIMD batch, one invocation per plane) on software adapters, where
 * every barrier of a larger workgroup is a coroutine switch per batch (GroupNorm forward + backward ~30 % faster on
 * lavapipe); on GPUs 64, or 256 for long rows.
 */
function normWorkgroupFor(ctx: GpuContext, m: number): NormWorkgroup {
  if (forcedWg !== 'auto') return forcedWg;
  return traits(ctx).software ? 8 : normWorkgroup(m);
}
const specKey = (s: NormKernelSpec) => `${s.layout}_${s.vec4 ? 'v4' : 's'}_w${s.wg}_${+s.hasW}${+s.hasB}${s.silu ? '_silu' : ''}`;

function forward(
  ctx: GpuContext, s: NormKernelSpec, x: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, out: BackendBuffer,
  stats: BackendBuffer[], rows: number, planes: number, hw: number, params: Params, name: string,
): void {
  const binds: Binding[] = [{ buf: g(x) }];
  if (w) binds.push({ buf: g(w) });
  if (b) binds.push({ buf: g(b) });
  binds.push({ buf: g(out), write: true }, ...stats.map((t) => ({ buf: g(t), write: true })));
  const tpp = planeThreads(planes, s.wg);
  ctx.dispatch(`${name}_fwd_${specKey(s)}_t${tpp}`, () => normForwardWgsl(s, tpp), binds, params, ctx.grid(rows, 1));
}

export function gpuGroupNormForward(ctx: GpuContext, x: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, p: GroupNormParams): void {
  const total = p.n * p.groups;
  const s: NormKernelSpec = { layout: 'group', vec4: p.spatial % 4 === 0, wg: normWorkgroupFor(ctx, (p.c / p.groups) * p.spatial), hasW: !!w, hasB: !!b, silu: p.activation === 'silu' };
  forward(ctx, s, x, w, b, out, [mean, rstd], total, p.c / p.groups, p.spatial, new Params().u(total, p.c, p.groups, p.spatial).f(p.eps), 'groupnorm');
}

export function gpuGroupNormBackward(
  ctx: GpuContext, x: BackendBuffer, gr: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
  dx: BackendBuffer, dw: BackendBuffer | null, db: BackendBuffer | null, p: GroupNormParams,
): void {
  const total = p.n * p.groups;
  const silu = p.activation === 'silu';
  const s: NormKernelSpec = { layout: 'group', vec4: p.spatial % 4 === 0, wg: normWorkgroupFor(ctx, (p.c / p.groups) * p.spatial), hasW: !!w, hasB: !!b, silu };
  const tpp = planeThreads(p.c / p.groups, s.wg);
  const part = ctx.alloc(2 * p.n * p.c * 4);
  const binds: Binding[] = [{ buf: g(x) }, { buf: g(gr) }];
  if (w) binds.push({ buf: g(w) });
  if (silu && b) binds.push({ buf: g(b) });
  binds.push({ buf: g(mean) }, { buf: g(rstd) }, { buf: g(dx), write: true }, { buf: part, write: true });
  ctx.dispatch(`groupnorm_bwd_${specKey(s)}_t${tpp}`, () => normBackwardWgsl(s, tpp), binds, new Params().u(total, p.c, p.groups, p.spatial), ctx.grid(total, 1));
  if (dw || db) {
    const scratch = dw && db ? null : ctx.alloc(p.c * 4);
    const outW = dw ? g(dw) : scratch!;
    const outB = db ? g(db) : scratch!;
    ctx.dispatch('groupnorm_param_grad', groupNormParamGradWgsl, [{ buf: part }, { buf: outW, write: true }, { buf: outB, write: true }], new Params().u(p.n, p.c), ctx.grid(p.c, 64));
    if (scratch) ctx.release(scratch);
  }
  ctx.release(part);
}

export function gpuBatchNormForward(
  ctx: GpuContext, x: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer,
  variance: BackendBuffer | null, p: BatchNormParams,
): void {
  const s: NormKernelSpec = { layout: 'batch', vec4: p.spatial % 4 === 0, wg: normWorkgroupFor(ctx, p.n * p.spatial), hasW: !!w, hasB: !!b, silu: p.activation === 'silu' };
  const scratch = variance ? null : ctx.alloc(p.c * 4);
  forward(ctx, s, x, w, b, out, [mean, rstd, variance ?? scratch!], p.c, p.n, p.spatial, new Params().u(p.c, p.c, p.n, p.spatial).f(p.eps), 'batchnorm');
  if (scratch) ctx.release(scratch);
}

export function gpuBatchNormBackward(
  ctx: GpuContext, x: BackendBuffer, gr: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
  dx: BackendBuffer, dw: BackendBuffer | null, db: BackendBuffer | null, p: BatchNormParams,
): void {
  const silu = p.activation === 'silu';
  const s: NormKernelSpec = { layout: 'batch', vec4: p.spatial % 4 === 0, wg: normWorkgroupFor(ctx, p.n * p.spatial), hasW: !!w, hasB: !!b, silu };
  const binds: Binding[] = [{ buf: g(x) }, { buf: g(gr) }];
  if (w) binds.push({ buf: g(w) });
  if (silu && b) binds.push({ buf: g(b) });
  const sw = dw ? null : ctx.alloc(p.c * 4);
  const sb = db ? null : ctx.alloc(p.c * 4);
  binds.push({ buf: g(mean) }, { buf: g(rstd) }, { buf: g(dx), write: true }, { buf: dw ? g(dw) : sw!, write: true }, { buf: db ? g(db) : sb!, write: true });
  const tpp = planeThreads(p.n, s.wg);
  ctx.dispatch(`batchnorm_bwd_${specKey(s)}_t${tpp}`, () => normBackwardWgsl(s, tpp), binds, new Params().u(p.c, p.c, p.n, p.spatial), ctx.grid(p.c, 1));
  if (sw) ctx.release(sw);
  if (sb) ctx.release(sb);
}
