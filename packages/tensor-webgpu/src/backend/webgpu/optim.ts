// Fused optimizer updates on WebGPU: one dispatch per parameter, or per chunk of parameters with the multi-tensor
// kernels (see kernels/optim.ts).
import type { AdamUpdateArgs, AdamUpdateParams, BackendBuffer, EmaUpdateArgs, SgdUpdateArgs, SgdUpdateParams } from '../backend.js';
import {
  MULTI_MAX_TENSORS, OPTIM_WG, adamKey, adamUpdateMultiWgsl, adamUpdateWgsl,
  emaUpdateMultiWgsl, emaUpdateWgsl, sgdKey, sgdUpdateMultiWgsl, sgdUpdateWgsl,
} from '../../kernels/optim.js';
import { type Binding, type GpuBuffer, type GpuContext, Params } from './gpu-context.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

export function gpuAdamUpdate(
  ctx: GpuContext, p: BackendBuffer, gr: BackendBuffer, m: BackendBuffer | null, v: BackendBuffer | null, vMax: BackendBuffer | null,
  pOut: BackendBuffer, mOut: BackendBuffer, vOut: BackendBuffer, vMaxOut: BackendBuffer | null, q: AdamUpdateParams,
): void {
  const binds = adamBindings({ p, g: gr, m, v, vMax, pOut, mOut, vOut, vMaxOut, params: q });
  const params = new Params().u(q.numel, 0).f(q.l2, q.decay, q.b1, q.oneMinusB1, q.b2, q.oneMinusB2, q.bc2Sqrt, q.eps, q.negStepSize);
  ctx.dispatch(adamKey(q), () => adamUpdateWgsl(q), binds, params, ctx.grid(q.numel, OPTIM_WG));
}

export function gpuSgdUpdate(ctx: GpuContext, p: BackendBuffer, gr: BackendBuffer, buf: BackendBuffer | null, pOut: BackendBuffer, bufOut: BackendBuffer | null, q: SgdUpdateParams): void {
  const binds = sgdBindings({ p, g: gr, buf, pOut, bufOut, params: q });
  const params = new Params().u(q.numel, 0).f(q.l2, q.momentum, q.oneMinusDampening, q.negLr);
  ctx.dispatch(sgdKey(q), () => sgdUpdateWgsl(q), binds, params, ctx.grid(q.numel, OPTIM_WG));
}

export function gpuEmaUpdate(ctx: GpuContext, s: BackendBuffer, t: BackendBuffer, out: BackendBuffer, numel: number, w: number): void {
  ctx.dispatch('ema_update', emaUpdateWgsl, [{ buf: g(s) }, { buf: g(t) }, { buf: g(out), write: true }], new Params().u(numel, 0).f(w), ctx.grid(numel, OPTIM_WG));
}

/** Storage buffers one dispatch may bind: maxStorageBuffersPerShaderStage, and binding numbers below maxBindingsPerBindGroup. */
function storageSlots(ctx: GpuContext): number {
  const l = ctx.device.limits as unknown as Record<string, number | undefined>;
  const perStage = l.maxStorageBuffersPerShaderStage ?? 8;
  return Math.min(perStage, (l.maxBindingsPerBindGroup ?? 1000) - 1);
}

/** Splits `n` items into the fewest chunks of at most `k`, as even as possible (so at most two chunk sizes recur). */
function chunkSizes(n: number, k: number): number[] {
  const chunks = Math.ceil(n / k);
  const base = Math.floor(n / chunks);
  return Array.from({ length: chunks }, (_, c) => base + (c < n % chunks ? 1 : 0));
}

/**
 * Records `updates` as multi-tensor dispatches: grouped by `key` (the kernel's switches), each group in chunks of as
 * many tensors as the binding limit allows (`binds` bindings each, {@link MULTI_MAX_TENSORS} at most); a tensor left
 * alone in its chunk, or a limit that holds only one tensor, takes the single kernel (`single`).
 */
function multi<T>(
  ctx: GpuContext, updates: readonly T[], key: (u: T) => string, binds: (u: T) => number, single: (u: T) => void,
  record: (chunk: T[], key: string) => void,
): void {
  const groups = new Map<string, T[]>();
  for (const u of updates) {
    const k = key(u);
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(u);
  }
  const slots = storageSlots(ctx);
  for (const [k, list] of groups) {
    const per = Math.min(MULTI_MAX_TENSORS, Math.floor(slots / binds(list[0]!)));
    if (per < 2) {
      for (const u of list) single(u);
      continue;
    }
    let at = 0;
    for (const size of chunkSizes(list.length, per)) {
      const chunk = list.slice(at, at + size);
      at += size;
      if (size === 1) single(chunk[0]!);
      else record(chunk, k);
    }
  }
}

/** Uniforms of a multi-tensor dispatch: the header, then per tensor `row(params, numel, firstWorkgroup)`; and its grid. */
function table<T>(ctx: GpuContext, chunk: readonly T[], numel: (u: T) => number, row: (p: Params, u: T, first: number) => void): [Params, [number, number, number]] {
  const params = new Params().u(0, 0, chunk.length, 0);
  let wg = 0;
  for (const u of chunk) {
    row(params, u, wg);
    wg += Math.ceil(numel(u) / OPTIM_WG);
  }
  return [params, ctx.grid(wg * OPTIM_WG, OPTIM_WG)];
}

function adamBindings(u: AdamUpdateArgs): Binding[] {
  const q = u.params;
  const binds: Binding[] = [{ buf: g(u.p) }, { buf: g(u.g) }];
  if (q.hasM) binds.push({ buf: g(u.m!) });
  if (q.hasV) binds.push({ buf: g(u.v!) });
  if (q.amsgrad && q.hasMax) binds.push({ buf: g(u.vMax!) });
  binds.push({ buf: g(u.pOut), write: true }, { buf: g(u.mOut), write: true }, { buf: g(u.vOut), write: true });
  if (q.amsgrad) binds.push({ buf: g(u.vMaxOut!), write: true });
  return binds;
}

/** Adam/AdamW over many tensors: the bits of {@link gpuAdamUpdate} per tensor, up to 32 tensors a dispatch. */
export function gpuAdamUpdateMulti(ctx: GpuContext, updates: readonly AdamUpdateArgs[]): void {
  multi(
    ctx, updates, (u) => adamKey(u.params), (u) => adamBindings(u).length,
    (u) => gpuAdamUpdate(ctx, u.p, u.g, u.m, u.v, u.vMax, u.pOut, u.mOut, u.vOut, u.vMaxOut, u.params),
    (chunk, key) => {
      const [params, grid] = table(ctx, chunk, (u) => u.params.numel, (p, u, first) => {
        const q = u.params;
        p.u(q.numel, first).f(q.l2, q.decay, q.b1, q.oneMinusB1, q.b2, q.oneMinusB2, q.bc2Sqrt, q.eps, q.negStepSize).u(0);
      });
      const q0 = chunk[0]!.params;
      ctx.dispatch(`${key}_x${chunk.length}`, () => adamUpdateMultiWgsl(q0, chunk.length), chunk.flatMap(adamBindings), params, grid);
    },
  );
}

function sgdBindings(u: SgdUpdateArgs): Binding[] {
  const q = u.params;
  const binds: Binding[] = [{ buf: g(u.p) }, { buf: g(u.g) }];
  if (q.useMomentum && q.hasBuf) binds.push({ buf: g(u.buf!) });
  binds.push({ buf: g(u.pOut), write: true });
  if (q.useMomentum) binds.push({ buf: g(u.bufOut!), write: true });
  return binds;
}

/** SGD over many tensors: the bits of {@link gpuSgdUpdate} per tensor, up to 32 tensors a dispatch. */
export function gpuSgdUpdateMulti(ctx: GpuContext, updates: readonly SgdUpdateArgs[]): void {
  multi(
    ctx, updates, (u) => sgdKey(u.params), (u) => sgdBindings(u).length,
    (u) => gpuSgdUpdate(ctx, u.p, u.g, u.buf, u.pOut, u.bufOut, u.params),
    (chunk, key) => {
      const [params, grid] = table(ctx, chunk, (u) => u.params.numel, (p, u, first) => {
        const q = u.params;
        p.u(q.numel, first).f(q.l2, q.momentum, q.oneMinusDampening, q.negLr).u(0, 0);
      });
      const q0 = chunk[0]!.params;
      ctx.dispatch(`${key}_x${chunk.length}`, () => sgdUpdateMultiWgsl(q0, chunk.length), chunk.flatMap(sgdBindings), params, grid);
    },
  );
}

/** The EMA lerp over many tensors: the bits of {@link gpuEmaUpdate} per tensor, up to 32 tensors a dispatch. */
export function gpuEmaUpdateMulti(ctx: GpuContext, updates: readonly EmaUpdateArgs[]): void {
  multi(
    ctx, updates, () => 'ema_update', () => 3,
    (u) => gpuEmaUpdate(ctx, u.s, u.t, u.out, u.numel, u.w),
    (chunk, key) => {
      const [params, grid] = table(ctx, chunk, (u) => u.numel, (p, u, first) => {
        p.u(u.numel, first).f(u.w).u(0);
      });
      const binds = chunk.flatMap((u): Binding[] => [{ buf: g(u.s) }, { buf: g(u.t) }, { buf: g(u.out), write: true }]);
      ctx.dispatch(`${key}_x${chunk.length}`, () => emaUpdateMultiWgsl(chunk.length), binds, params, grid);
    },
  );
}
