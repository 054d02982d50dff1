// WebGPU conv2d weight gradient (with the bias gradient fused in): picks the register-blocked or the gather kernel,
// a split-K factor over the (n, y) output rows, and sums the splits' partial slabs.
import type { BackendBuffer, Conv2dParams } from '../backend.js';
import { GpuBuffer, type GpuContext, Params } from './gpu-context.js';
import { gpuFill } from './core.js';
import { traits } from './linalg.js';
import { planeStrip } from '../../kernels/conv.js';
import { SPLITK_REDUCE_WG, splitKReduceWgsl } from '../../kernels/matmul.js';
import {
  CONV_WG_PACK_WG, CONV_WG_PLANE_WG, type ConvWeightGradConfig, type ConvWeightGradPlaneConfig, convWeightGradDirectWgsl,
  convWeightGradGatherWgsl, convWeightGradKey, convWeightGradPlaneKey, convWeightGradPlaneWgsl, packGradOutBlockWgsl, packGradOutWgsl,
} from '../../kernels/conv-weight-grad.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

function wgParams(p: Conv2dParams, ogPad: number, gx: number, gy: number, splits: number, rps: number): Params {
  const cinG = p.cin / p.groups;
  return new Params()
    .u(p.n, p.cin, p.h, p.w, p.cout, p.oh, p.ow, p.groups, cinG, p.cout / p.groups, cinG * p.kh * p.kw, ogPad, gx, gy)
    .i(p.strideH, p.strideW, p.padH, p.padW, p.dilationH, p.dilationW)
    .u(p.kh, p.kw, splits, rps);
}

/** Splits of the N·OH rows: enough workgroups (or invocations) to fill the device, each split at least 2 rows. */
function splitsFor(ctx: GpuContext, units: number, want: number, rows: number, slabBytes: number): number {
  const fit = Math.max(1, Math.floor(ctx.maxBindingBytes / Math.max(slabBytes, 1)));
  return Math.max(1, Math.min(Math.ceil(want / Math.max(units, 1)), Math.ceil(rows / 2), fit, 256));
}

function sumSlabs(ctx: GpuContext, part: GpuBuffer, splits: number, out: BackendBuffer, n: number): void {
  ctx.dispatch('mm_splitk_reduce_0', () => splitKReduceWgsl(false), [{ buf: part }, { buf: g(out), write: true }], new Params().u(n, splits, 1, 1), ctx.grid(n, SPLITK_REDUCE_WG));
}

/** Sums the partial slabs of dW (and dB) into the outputs and releases them. */
function sumPartials(ctx: GpuContext, partW: GpuBuffer, partB: GpuBuffer | null, slabs: number, dW: BackendBuffer, dBias: BackendBuffer | null, p: Conv2dParams, total: number): void {
  sumSlabs(ctx, partW, slabs, dW, total);
  ctx.release(partW);
  if (partB) {
    sumSlabs(ctx, partB, slabs, dBias!, p.cout);
    ctx.release(partB);
  }
}

/**
 * The strip weight-gradient kernel's specialisation (strip length from planeStrip, at most 49 taps in registers);
 * null otherwise (the register-tiled kernel handles it).
 */
function planeConfig(p: Conv2dParams, bias: boolean): ConvWeightGradPlaneConfig | null {
  const t = p.kh * p.kw > 49 ? null : planeStrip(p.kw, p.strideW, p.dilationW);
  return t === null ? null : { t, kh: p.kh, kw: p.kw, sw: p.strideW, dw: p.dilationW, bias };
}

/**
 * WebGPU conv2d weight-gradient primitive (see Backend.conv2dWeightGrad): dW [cout, cin/groups, kh, kw] and, when
 * `dBias` is given, the bias gradient [cout], in one pass over gOut.
 *
 * @example
 * gpuConv2dWeightGrad(ctx, x, gOut, dW, dB, p);
 */
export function gpuConv2dWeightGrad(ctx: GpuContext, x: BackendBuffer, gOut: BackendBuffer, dW: BackendBuffer, dBias: BackendBuffer | null, p: Conv2dParams): void {
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const kc = cinG * p.kh * p.kw;
  const total = p.cout * kc;
  const rows = p.n * p.oh;
  if (rows * p.ow === 0) {
    if (total > 0) gpuFill(ctx, dW, total, 'float32', 0);
    if (dBias && p.cout > 0) gpuFill(ctx, dBias, p.cout, 'float32', 0);
    return;
  }
  if (total === 0) return;
  const software = traits(ctx).software;
  const bias = !!dBias;
  const sg = software ? traits(ctx).sg : 0;
  if (coutG <= 4 && !software) {
    const splits = splitsFor(ctx, total, 65536, rows, total * 4);
    const rps = Math.ceil(rows / splits);
    const s = Math.ceil(rows / rps);
    const outW = s > 1 ? ctx.alloc(s * total * 4, 'conv2dWeightGrad') : g(dW);
    const outB = bias ? (s > 1 ? ctx.alloc(s * p.cout * 4, 'conv2dWeightGrad') : g(dBias)) : null;
    const binds = [{ buf: g(x) }, { buf: g(gOut) }, { buf: outW, write: true }];
    if (outB) binds.push({ buf: outB, write: true });
    ctx.dispatch(`convwg_gather_${+bias}`, () => convWeightGradGatherWgsl(bias), binds, wgParams(p, 0, 0, 0, s, rps), ctx.grid(s * total, CONV_WG_PACK_WG));
    if (s > 1) sumPartials(ctx, outW, outB, s, dW, dBias, p, total);
    return;
  }
  const plane = software && cinG === 1 && coutG === 1 ? planeConfig(p, bias) : null;
  if (plane) {
    // One input and one output channel per group (depthwise): strips of gOut rows, partial slabs, then their sum.
    const strips = Math.ceil(p.ow / plane.t);
    const perGroup = rows * strips;
    const wgs = Math.max(1, Math.min(Math.ceil(32 / p.groups), Math.ceil(perGroup / (2 * CONV_WG_PLANE_WG))));
    const slabs = wgs * CONV_WG_PLANE_WG;
    const partW = ctx.alloc(slabs * total * 4, 'conv2dWeightGrad');
    const partB = bias ? ctx.alloc(slabs * p.cout * 4, 'conv2dWeightGrad') : null;
    const binds = [{ buf: g(x) }, { buf: g(gOut) }, { buf: partW, write: true }];
    if (partB) binds.push({ buf: partB, write: true });
    ctx.dispatch(convWeightGradPlaneKey(plane), () => convWeightGradPlaneWgsl(plane), binds, wgParams(p, 0, strips, wgs, 1, 0), ctx.grid(p.groups * wgs, 1));
    sumPartials(ctx, partW, partB, slabs, dW, dBias, p, total);
    return;
  }
  const nv = coutG > 32 ? 2 : 1;
  // Few channels per group on a software adapter: lanes split the kc rows (8 each), all channels in one vec4.
  const cfg: ConvWeightGradConfig = coutG <= 4 ? { tm: Math.min(8, Math.ceil(kc / 8)), nv: 1, sg: 0, wg: 8, bias, laneRows: true }
    : sg > 0 ? { tm: sg < 16 ? 2 * sg : sg, nv, sg, wg: sg, bias } : { tm: 4, nv, sg: 0, wg: 32, bias };
  const ogPad = Math.ceil(coutG / 4) * 4;
  const gx = cfg.laneRows ? 1 : Math.ceil(coutG / (4 * nv * cfg.wg));
  const gy = Math.ceil(kc / (cfg.laneRows ? cfg.tm * cfg.wg : cfg.tm));
  const splits = splitsFor(ctx, gx * gy * p.groups, software ? 32 : 512, rows, total * 4);
  const rps = Math.ceil(rows / splits);
  const s = Math.ceil(rows / rps);
  const params = wgParams(p, ogPad, gx, gy, s, rps);
  const packedN = p.groups * p.n * p.oh * p.ow * ogPad;
  const packed = ctx.alloc(packedN * 4, 'conv2dWeightGrad');
  if ((p.oh * p.ow) % 4 === 0) {
    ctx.dispatch('convwg_pack4', packGradOutBlockWgsl, [{ buf: g(gOut) }, { buf: packed, write: true }], params, ctx.grid(packedN / 16, CONV_WG_PACK_WG));
  } else {
    ctx.dispatch('convwg_pack', packGradOutWgsl, [{ buf: g(gOut) }, { buf: packed, write: true }], params, ctx.grid(packedN / 4, CONV_WG_PACK_WG));
  }
  const outW = s > 1 ? ctx.alloc(s * total * 4, 'conv2dWeightGrad') : g(dW);
  const outB = bias ? (s > 1 ? ctx.alloc(s * p.cout * 4, 'conv2dWeightGrad') : g(dBias)) : null;
  const binds = [{ buf: g(x) }, { buf: packed }, { buf: outW, write: true }];
  if (outB) binds.push({ buf: outB, write: true });
  ctx.dispatch(convWeightGradKey(cfg), () => convWeightGradDirectWgsl(cfg), binds, params, ctx.grid(gx * gy * p.groups * s, 1));
  ctx.release(packed);
  if (s > 1) sumPartials(ctx, outW, outB, s, dW, dBias, p, total);
}
