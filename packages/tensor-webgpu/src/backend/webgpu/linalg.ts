// WebGPU matmul: picks a kernel variant for the device and shape (register-blocked direct kernels on software
// adapters and for skinny shapes, shared-memory tiles on GPUs) and dispatches it; the variant choice is shared with conv.
import type { BackendBuffer, Epilogue, MatmulParams } from '../backend.js';
import { GpuBuffer, type GpuContext, Params } from './gpu-context.js';
import { gpuCopy, gpuFill } from './core.js';
import {
  type BiasMode, type DirectMatmulConfig, DIRECT_MATMUL_WORDS, SPLITK_REDUCE_WG, directCols, directMatmulKey, directMatmulWgsl,
  splitKReduceWgsl, tiledMatmulWgsl,
} from '../../kernels/matmul.js';
import { TILED_COLS, tiledRows } from '../../kernels/gemm-tiled.js';
import { type KernelEpilogue, PLAIN_EPILOGUE, epilogueKey } from '../../kernels/epilogue.js';

/**
 * Kernel family used by matmul and conv2d: `'auto'` (by device and shape), `'tiled'` (workgroup-memory
 * tiles), `'direct'` (register-blocked, subgroup broadcasts when available) or `'direct-nosg'` (no subgroups).
 */
export type LinalgVariant = 'auto' | 'tiled' | 'direct' | 'direct-nosg';

let forced: LinalgVariant = (typeof process !== 'undefined' && (process.env?.RADIX_LINALG_VARIANT as LinalgVariant)) || 'auto';

/**
 * Forces a kernel variant for matmul/conv2d (tests use it to cover every variant on one device); returns the
 * previous one. The initial value comes from the `RADIX_LINALG_VARIANT` environment variable (default `'auto'`).
 *
 * @example
 * const prev = setLinalgVariant('tiled'); try { ... } finally { setLinalgVariant(prev); }
 */
export function setLinalgVariant(v: LinalgVariant): LinalgVariant {
  const prev = forced;
  forced = v;
  return prev;
}

/** @internal What the kernels need to know about the adapter. */
export interface DeviceTraits {
  software: boolean;
  /** Fixed subgroup size (4, 8 or 16) when the `subgroups` feature is on and min == max, else 0. */
  sg: number;
}
const traitsCache = new WeakMap<GpuContext, DeviceTraits>();

/** What the kernels need to know about the adapter (read from `device.adapterInfo`). */
export function traits(ctx: GpuContext): DeviceTraits {
  let t = traitsCache.get(ctx);
  if (!t) {
    const info = (ctx.device as GPUDevice & { adapterInfo?: Record<string, unknown> }).adapterInfo ?? {};
    const text = ['vendor', 'architecture', 'device', 'description'].map((k) => String(info[k] ?? '')).join(' ');
    const software = /llvmpipe|lavapipe|swiftshader|software/i.test(text) || info.isFallbackAdapter === true;
    const lo = Number(info.subgroupMinSize ?? 0);
    const hi = Number(info.subgroupMaxSize ?? 0);
    const sg = ctx.device.features.has('subgroups') && lo === hi && [4, 8, 16].includes(lo) ? lo : 0;
    t = { software, sg };
    traitsCache.set(ctx, t);
  }
  return t;
}

/** @internal Matmul: direct kernels on software adapters and for skinny M on GPUs, tiles otherwise. Conv: no skinny case. */
export function variantFor(ctx: GpuContext, m: number, isConv = false): Exclude<LinalgVariant, 'auto'> {
  if (forced !== 'auto') return forced;
  if (traits(ctx).software) return 'direct';
  return m <= 16 && !isConv ? 'direct-nosg' : 'tiled';
}

const g = (b: BackendBuffer) => b as GpuBuffer;

/** Workgroups for `groups` linearised tiles (folded into 2-D past the per-dimension limit). */
function tiles(ctx: GpuContext, groups: number): [number, number, number] {
  return ctx.grid(groups, 1);
}

/** Split-K factor: enough tiles to keep the device busy when M·N is small and K is long (partials must fit one binding). */
function splitsFor(ctx: GpuContext, tilesMN: number, k: number, outElems: number): number {
  const want = traits(ctx).software ? 16 : 128;
  if (tilesMN >= want || k < 512) return 1;
  const fit = Math.floor(ctx.maxBindingBytes / (4 * outElems));
  return Math.max(1, Math.min(Math.ceil(want / tilesMN), Math.floor(k / 256), 64, fit));
}

function directConfig(ctx: GpuContext, v: 'direct' | 'direct-nosg', p: MatmulParams, bias: BiasMode, epi: KernelEpilogue): DirectMatmulConfig {
  const sg = v === 'direct' ? traits(ctx).sg : 0;
  const bVec = !p.transB && p.n % 4 === 0 && p.strideB % 4 === 0;
  const cVec = p.n % 4 === 0;
  const kVec = p.transB && !p.transA && p.k % 4 === 0 && p.strideA % 4 === 0 && p.strideB % 4 === 0;
  const nv = p.n > 32 ? 2 : 1;
  if (sg > 0 && p.m >= sg / 2) {
    // 16 rows (two broadcast loads per lane at sg = 8) balance loads against register spills on lavapipe.
    const tm = sg < 16 && p.m >= 2 * sg ? 2 * sg : sg;
    return { tm, nv, sg, wg: sg, transA: p.transA, transB: p.transB, bVec, cVec, kVec, bias, epi };
  }
  const tm = p.m >= 4 ? 4 : p.m >= 2 ? 2 : 1;
  return { tm, nv, sg: 0, wg: 32, transA: p.transA, transB: p.transB, bVec, cVec, kVec, bias, epi };
}

/**
 * @internal Batched matmul with an optional fused bias (per row or column of each C) and epilogue (activation, and the
 * pre-activation stored to `pre`): picks the variant, the tile shape and a split-K factor, then dispatches (plus the
 * split-K reduction, which then applies bias and epilogue, when split).
 *
 * @example
 * runMatmul(ctx, w, x, bias, 'row', out, { batch: n, m: cout, k: cin, n: hw, strideA: 0, strideB: cin * hw, transA: false, transB: false });
 */
export function runMatmul(
  ctx: GpuContext, a: BackendBuffer, b: BackendBuffer, bias: BackendBuffer | null, biasMode: BiasMode, out: BackendBuffer, p: MatmulParams,
  epi: KernelEpilogue = PLAIN_EPILOGUE, pre: BackendBuffer | null = null,
): void {
  const total = p.batch * p.m * p.n;
  if (total === 0) return;
  const mode: BiasMode = bias ? biasMode : 'none';
  if (p.k === 0) {
    if (mode === 'none' && !epi.act) {
      gpuFill(ctx, out, total, 'float32', 0);
      if (pre) gpuFill(ctx, pre, total, 'float32', 0);
    } else {
      // No product: out = f(bias) (or f(0)); the slab binding is unused, so any buffer but the outputs will do.
      const dummy = bias ? null : ctx.alloc(4, 'matmul');
      reduceInto(ctx, bias ?? dummy!, 0, bias, mode, p, out, epi, pre);
      if (dummy) ctx.release(dummy);
    }
    return;
  }
  const v = variantFor(ctx, p.m);
  if (v !== 'tiled' && p.transB && p.m >= 64) {
    // Direct kernels read Bᵀ row by row; with enough rows of A to reuse it, one transposing copy to K×N
    // (vectorised along N) is cheaper than the strided reads.
    const batchB = p.strideB === 0 ? 1 : p.batch;
    const bt = ctx.alloc(batchB * p.k * p.n * 4, 'matmul');
    gpuCopy(ctx, { buf: b, offset: 0, strides: [p.strideB, 1, p.k] }, bt, [batchB, p.k, p.n], 'float32');
    runMatmul(ctx, a, bt, bias, biasMode, out, { ...p, transB: false, strideB: p.strideB === 0 ? 0 : p.k * p.n }, epi, pre);
    ctx.release(bt);
    return;
  }
  let gx: number;
  let gy: number;
  let key: string;
  let src: () => string;
  let kernelBias: BiasMode;
  let kernelEpi: KernelEpilogue;
  let kStep = 1;
  const choose = (splitBias: BiasMode, e: KernelEpilogue) => {
    if (v === 'tiled') {
      const rows = p.m >= 256 && p.n >= 256 ? 8 : 4;
      gx = Math.ceil(p.n / TILED_COLS);
      gy = Math.ceil(p.m / tiledRows(rows));
      const cfg = { transA: p.transA, transB: p.transB, rowsPerThread: rows, bias: splitBias, epi: e };
      key = `mm_tiled_${rows}_${+p.transA}${+p.transB}_${splitBias}${epilogueKey(e)}`;
      src = () => tiledMatmulWgsl(cfg);
    } else {
      const cfg = directConfig(ctx, v, p, splitBias, e);
      kStep = cfg.kVec ? 4 : 1;
      gx = Math.ceil(p.n / directCols(cfg));
      gy = Math.ceil(p.m / cfg.tm);
      key = directMatmulKey(cfg);
      src = () => directMatmulWgsl(cfg);
    }
    kernelBias = splitBias;
    kernelEpi = e;
  };
  choose(mode, epi);
  const splits = splitsFor(ctx, gx! * gy! * p.batch, p.k, total);
  if (splits > 1) choose('none', PLAIN_EPILOGUE);
  const kChunk = Math.ceil(p.k / splits / kStep) * kStep;
  const params = new Params().u(p.m, p.k, p.n, p.batch, p.strideA, p.strideB, gx!, gy!, splits, kChunk);
  const target = splits > 1 ? ctx.alloc(splits * total * 4, 'matmul') : g(out);
  const binds: { buf: GpuBuffer; write?: boolean }[] = [{ buf: g(a) }, { buf: g(b) }];
  if (kernelBias! !== 'none') binds.push({ buf: g(bias!) });
  binds.push({ buf: target, write: true });
  if (kernelEpi!.pre) binds.push({ buf: g(pre!), write: true });
  ctx.dispatch(key!, src!, binds, params, tiles(ctx, gx! * gy! * p.batch * splits));
  if (splits > 1) {
    reduceInto(ctx, target, splits, bias, mode, p, out, epi, pre);
    ctx.release(target);
  }
}

/**
 * @internal out = Σ over `splits` slabs of `part` (+ bias per row/column of each C), through the epilogue; `splits` = 0
 * writes just the bias (or zeros).
 */
export function reduceInto(
  ctx: GpuContext, part: BackendBuffer, splits: number, bias: BackendBuffer | null, mode: BiasMode, p: MatmulParams, out: BackendBuffer,
  epi: KernelEpilogue = PLAIN_EPILOGUE, pre: BackendBuffer | null = null,
): void {
  const n = p.batch * p.m * p.n;
  const withBias = mode !== 'none' && bias !== null;
  const binds: { buf: GpuBuffer; write?: boolean }[] = [{ buf: g(part) }];
  if (withBias) binds.push({ buf: g(bias) });
  binds.push({ buf: g(out), write: true });
  if (epi.pre) binds.push({ buf: g(pre!), write: true });
  const params = new Params().u(n, splits, mode === 'row' ? p.n : 1, mode === 'row' ? p.m : p.n);
  ctx.dispatch(`mm_splitk_reduce_${+withBias}${epilogueKey(epi)}`, () => splitKReduceWgsl(withBias, epi), binds, params, ctx.grid(n, SPLITK_REDUCE_WG));
}

/** The kernel-side epilogue of a backend Epilogue (`pre` says whether a pre-activation buffer is bound). */
export function kernelEpilogue(e: Epilogue | undefined): KernelEpilogue {
  return e && (e.act || e.pre) ? { act: e.act, pre: !!e.pre } : PLAIN_EPILOGUE;
}

/**
 * WebGPU matmul primitive (see MatmulParams), with the optional fused bias / activation epilogue.
 *
 * @example
 * gpuMatmul(ctx, a, b, out, { batch: 1, m, k, n, strideA: 0, strideB: 0, transA: false, transB: false });
 */
export function gpuMatmul(ctx: GpuContext, a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, p: MatmulParams, e?: Epilogue): void {
  runMatmul(ctx, a, b, e?.bias ?? null, e?.biasMode ?? 'col', out, p, kernelEpilogue(e), e?.pre ?? null);
}
