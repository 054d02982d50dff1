// WebGPU conv2d and convTranspose2d: one implicit-GEMM conv runner (register-blocked direct kernel on software
// adapters, shared-memory tiles on GPUs, a gather kernel for few channels per group) that can store its output on a
// strided sub-grid, so convTranspose2d runs as stride² sub-pixel phases, each a plain conv over the taps that reach it.
import type { BackendBuffer, Conv2dParams, Epilogue } from '../backend.js';
import { GpuBuffer, type GpuContext, Params } from './gpu-context.js';
import { kernelEpilogue, runMatmul, traits, variantFor } from './linalg.js';
import { type KernelEpilogue, PLAIN_EPILOGUE, epilogueKey } from '../../kernels/epilogue.js';
import { TILED_COLS, tiledRows } from '../../kernels/gemm-tiled.js';
import {
  CONV_GATHER_WG, CONV_PACK_WG, CONV_PLANE_WG, type ConvDirectConfig, type ConvPlaneConfig, conv2dDirectWgsl, conv2dGatherWgsl,
  conv2dPlaneWgsl, conv2dTiledWgsl, convDirectKey, convPlaneKey, packConvWeightsWgsl, planeStrip,
} from '../../kernels/conv.js';
import { CONVT_PACK_WG, packConvTransposePhaseWgsl } from '../../kernels/conv-transpose.js';

/** Where the conv's oh×ow output grid lands: pixel (y, x) goes to (y·osh + ooh, x·osw + oow) of a roh×row image. */
interface OutMap { roh: number; row: number; osh: number; osw: number; ooh: number; oow: number }

/** Weights in the layout a kernel reads: `kmajor` = [g][k][coutPad] (direct), `oihw` = [g][co][k] (tiled, gather). */
type WeightSource = (layout: 'kmajor' | 'oihw', coutPad: number) => { buf: GpuBuffer; temp: boolean };

const g = (b: BackendBuffer) => b as GpuBuffer;

/** @internal Uniform words of every conv kernel (see CONV_WORDS). */
export function convParams(p: Conv2dParams, coutPad: number, gx: number, gy: number, m: OutMap): Params {
  const cinG = p.cin / p.groups;
  return new Params()
    .u(p.n, p.cin, p.h, p.w, p.cout, p.oh, p.ow, p.groups, cinG, p.cout / p.groups, cinG * p.kh * p.kw, coutPad, gx, gy)
    .i(p.strideH, p.strideW, p.padH, p.padW, p.dilationH, p.dilationW)
    .u(p.kh, p.kw, m.roh, m.row, m.osh, m.osw, m.ooh, m.oow);
}

function withBias(binds: { buf: GpuBuffer; write?: boolean }[], bias: BackendBuffer | null, out: BackendBuffer, pre: BackendBuffer | null = null) {
  if (bias) binds.push({ buf: g(bias) });
  binds.push({ buf: g(out), write: true });
  if (pre) binds.push({ buf: g(pre), write: true });
  return binds;
}

/**
 * Runs one conv (plain, or a convTranspose2d phase) with the variant the device and shape call for, through the
 * epilogue `epi` (pre-activation stored to `pre` when it asks for it).
 */
function runConv(
  ctx: GpuContext, x: BackendBuffer, weights: WeightSource, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams, m: OutMap,
  epi: KernelEpilogue = PLAIN_EPILOGUE, pre: BackendBuffer | null = null,
): void {
  const ek = epilogueKey(epi);
  const preBuf = epi.pre ? pre : null;
  const coutG = p.cout / p.groups;
  const kc = (p.cin / p.groups) * p.kh * p.kw;
  const v = variantFor(ctx, coutG, true);
  const use = (layout: 'kmajor' | 'oihw', coutPad: number, run: (w: GpuBuffer) => void) => {
    const w = weights(layout, coutPad);
    run(w.buf);
    if (w.temp) ctx.release(w.buf);
  };
  const coutPad = Math.ceil(coutG / 4) * 4;
  const pixels = p.n * p.oh * p.ow;
  const identity = m.osh === 1 && m.osw === 1 && m.ooh === 0 && m.oow === 0 && m.roh === p.oh && m.row === p.ow;
  const plane = v !== 'tiled' && kc > 0 && coutG === 1 && p.cin === p.groups ? planeConfig(p, !!bias, epi) : null;
  if (plane) {
    // One input and one output channel per group on software adapters: strips of consecutive outputs per invocation.
    const total = p.n * p.groups * p.oh * Math.ceil(p.ow / plane.t);
    use('oihw', 0, (w) => {
      const binds = withBias([{ buf: g(x) }, { buf: w }], bias, out, preBuf);
      ctx.dispatch(convPlaneKey(plane), () => conv2dPlaneWgsl(plane), binds, convParams(p, 0, 0, 0, m), ctx.grid(total, CONV_PLANE_WG));
    });
    return;
  }
  if (coutG <= 4 && kc > 0 && v !== 'tiled') {
    // Few channels per group (direct variants: software adapters): lanes split the pixels (8 each), all channels in one vec4.
    const cfg: ConvDirectConfig = { tm: 8, nv: 1, sg: 0, wg: 8, bias: !!bias, yVec: identity && (p.oh * p.ow) % 4 === 0, epi, lanePixels: true };
    const gy = Math.ceil(pixels / (cfg.tm * cfg.wg));
    use('kmajor', coutPad, (w) => {
      const binds = withBias([{ buf: g(x) }, { buf: w }], bias, out, preBuf);
      ctx.dispatch(convDirectKey(cfg), () => conv2dDirectWgsl(cfg), binds, convParams(p, coutPad, 1, gy, m), ctx.grid(gy * p.groups, 1));
    });
    return;
  }
  if (coutG <= 4 || kc === 0) {
    const total = p.n * p.cout * p.oh * p.ow;
    use('oihw', 0, (w) => {
      const binds = withBias([{ buf: g(x) }, { buf: w }], bias, out, preBuf);
      ctx.dispatch(`conv_gather_${+!!bias}${ek}`, () => conv2dGatherWgsl(!!bias, epi), binds, convParams(p, 0, 0, 0, m), ctx.grid(total, CONV_GATHER_WG));
    });
    return;
  }
  if (v === 'tiled') {
    const rows = coutG >= 128 ? 8 : 4;
    const gx = Math.ceil(pixels / TILED_COLS);
    const gy = Math.ceil(coutG / tiledRows(rows));
    use('oihw', 0, (w) => {
      const binds = withBias([{ buf: g(x) }, { buf: w }], bias, out, preBuf);
      ctx.dispatch(`conv_tiled_${rows}_${+!!bias}${ek}`, () => conv2dTiledWgsl(!!bias, rows, epi), binds, convParams(p, 0, gx, gy, m), ctx.grid(gx * gy * p.groups, 1));
    });
    return;
  }
  const sg = v === 'direct' ? traits(ctx).sg : 0;
  const nv = coutG > 32 ? 2 : 1;
  const yVec = identity && (p.oh * p.ow) % 4 === 0;
  // 24 pixels × 8 channels per lane at sg = 8 (three broadcast loads a step) measured 10–20 % faster on lavapipe than
  // 16 or 32 pixels, for 3×3 convs and convTranspose2d's 2×2 phases alike.
  const cfg: ConvDirectConfig = sg > 0
    ? { tm: sg === 8 ? 24 : sg < 16 ? 2 * sg : sg, nv, sg, wg: sg, bias: !!bias, yVec, epi }
    : { tm: 4, nv, sg: 0, wg: 32, bias: !!bias, yVec, epi };
  const gx = Math.ceil(coutG / (4 * cfg.nv * cfg.wg));
  const gy = Math.ceil(pixels / cfg.tm);
  use('kmajor', coutPad, (w) => {
    const binds = withBias([{ buf: g(x) }, { buf: w }], bias, out, preBuf);
    ctx.dispatch(convDirectKey(cfg), () => conv2dDirectWgsl(cfg), binds, convParams(p, coutPad, gx, gy, m), ctx.grid(gx * gy * p.groups, 1));
  });
}

/** The strip kernel's specialisation for `p`, or null when its footprint does not fit (see planeStrip). */
function planeConfig(p: Conv2dParams, bias: boolean, epi: KernelEpilogue): ConvPlaneConfig | null {
  const t = planeStrip(p.kw, p.strideW, p.dilationW);
  return t === null ? null : { t, kw: p.kw, sw: p.strideW, dw: p.dilationW, bias, epi };
}

const identityMap = (p: Conv2dParams): OutMap => ({ roh: p.oh, row: p.ow, osh: 1, osw: 1, ooh: 0, oow: 0 });

/**
 * WebGPU conv2d primitive: NCHW input, OIHW weights, optional bias, preallocated NCHW output (any oh×ow: taps
 * outside the input read zero), with the optional fused activation / pre-activation output of `e`.
 *
 * @example
 * gpuConv2d(ctx, x, w, null, out, p);
 */
export function gpuConv2d(ctx: GpuContext, x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams, e?: Epilogue): void {
  const total = p.n * p.cout * p.oh * p.ow;
  if (total === 0) return;
  const epi = kernelEpilogue(e);
  const pre = e?.pre ?? null;
  const kc = (p.cin / p.groups) * p.kh * p.kw;
  if (kc === 0) {
    // No taps: out = f(bias) per channel, which the matmul path's K = 0 case writes.
    runMatmul(ctx, x, w, bias, 'row', out, { batch: p.n, m: p.cout, n: p.oh * p.ow, k: 0, strideA: 0, strideB: 0, transA: false, transB: false }, epi, pre);
    return;
  }
  const pointwise = p.kh === 1 && p.kw === 1 && p.strideH === 1 && p.strideW === 1 && p.padH === 0 && p.padW === 0 && p.groups === 1
    && p.oh === p.h && p.ow === p.w;
  if (pointwise) {
    // out[n] (Cout × HW) = W (Cout × Cin) · X[n] (Cin × HW): a batched matmul sharing W, bias per row.
    const hw = p.h * p.w;
    runMatmul(ctx, w, x, bias, 'row', out, { batch: p.n, m: p.cout, k: p.cin, n: hw, strideA: 0, strideB: p.cin * hw, transA: false, transB: false }, epi, pre);
    return;
  }
  const m = identityMap(p);
  runConv(ctx, x, (layout, coutPad) => {
    if (layout === 'oihw') return { buf: g(w), temp: false };
    const packed = ctx.alloc(p.groups * kc * coutPad * 4, 'conv2d');
    ctx.dispatch('conv_pack', packConvWeightsWgsl, [{ buf: g(w) }, { buf: packed, write: true }], convParams(p, coutPad, 0, 0, m), ctx.grid(p.groups * kc * coutPad, CONV_PACK_WG));
    return { buf: packed, temp: true };
  }, bias, out, p, m, epi, pre);
}

/**
 * The taps ky ∈ [0, k) that reach output phase `r`: (r + pad − ky·dilation) ≡ 0 (mod stride), in descending ky order
 * (first tap k0, then steps of `step` < 0), so that the phase's conv walks its input rows upward: input row of tap j for
 * phase row q is q − off + j·dil with dil ≥ 0 (ascending input rows measured ~10 % faster on lavapipe than the
 * descending ones of ascending taps).
 */
function phaseTaps(r: number, pad: number, dilation: number, stride: number, k: number): { k0: number; step: number; count: number; off: number; dil: number } {
  const taps: number[] = [];
  for (let ky = k - 1; ky >= 0; ky--) if ((((r + pad - ky * dilation) % stride) + stride) % stride === 0) taps.push(ky);
  if (taps.length === 0) return { k0: 0, step: 1, count: 0, off: 0, dil: 0 };
  const step = taps.length > 1 ? taps[1]! - taps[0]! : -1;
  // Input row of tap j: q + (r + pad − (k0 + j·step)·dilation) / stride = q − off + j·dil.
  const dil = taps.length > 1 ? -(step * dilation) / stride : 0;
  return { k0: taps[0]!, step, count: taps.length, off: -(r + pad - taps[0]! * dilation) / stride, dil };
}

/**
 * WebGPU convTranspose2d primitive: NCHW input, IOHW weights (I = cin, O = cout/groups), any output size. Output pixel
 * (oy, ox) only receives taps with (oy + pad − ky·dilation) divisible by the stride, so each of the stride² phases
 * (oy mod strideH, ox mod strideW) is a stride-1 conv over its own taps (weights gathered per phase), written straight
 * into its pixels of the output: no scatter and no multiplications by zero.
 *
 * @example
 * gpuConvTranspose2d(ctx, x, w, b, out, p);
 */
export function gpuConvTranspose2d(ctx: GpuContext, x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams): void {
  const total = p.n * p.cout * p.oh * p.ow;
  if (total === 0) return;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  for (let ry = 0; ry < Math.min(p.strideH, p.oh); ry++) {
    for (let rx = 0; rx < Math.min(p.strideW, p.ow); rx++) {
      const ty = phaseTaps(ry, p.padH, p.dilationH, p.strideH, p.kh);
      const tx = phaseTaps(rx, p.padW, p.dilationW, p.strideW, p.kw);
      const qh = Math.ceil((p.oh - ry) / p.strideH);
      const qw = Math.ceil((p.ow - rx) / p.strideW);
      const taps = ty.count * tx.count;
      const pp: Conv2dParams = {
        n: p.n, cin: p.cin, h: p.h, w: p.w, cout: p.cout, kh: taps ? ty.count : 0, kw: taps ? tx.count : 0, oh: qh, ow: qw,
        strideH: 1, strideW: 1, padH: ty.off, padW: tx.off, dilationH: ty.dil, dilationW: tx.dil, groups: p.groups,
      };
      const m: OutMap = { roh: p.oh, row: p.ow, osh: p.strideH, osw: p.strideW, ooh: ry, oow: rx };
      runConv(ctx, x, (layout, coutPad) => {
        const kMajor = layout === 'kmajor';
        const n = kMajor ? p.groups * cinG * taps * coutPad : p.groups * coutG * cinG * taps;
        const packed = ctx.alloc(n * 4, 'convTranspose2d');
        if (n > 0) {
          const params = new Params().u(p.groups, cinG, coutG, pp.kh, pp.kw, p.kh, p.kw).i(ty.k0, ty.step, tx.k0, tx.step).u(coutPad, n);
          ctx.dispatch(`convT_pack_${+kMajor}`, () => packConvTransposePhaseWgsl(kMajor), [{ buf: g(w) }, { buf: packed, write: true }], params, ctx.grid(n, CONVT_PACK_WG));
        }
        return { buf: packed, temp: true };
      }, bias, out, pp, m);
    }
  }
}
