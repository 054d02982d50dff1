// WGSL for conv2d and convTranspose2d: implicit-GEMM kernels (register-blocked direct for software
// adapters, shared-memory tiled for GPUs), the weight repacking they use, and simple gather kernels.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { tiledGemmWgsl } from './gemm-tiled.js';
import { type KernelEpilogue, PLAIN_EPILOGUE, epilogueFnsWgsl, epilogueKey, preBindingWgsl, storeWgsl } from './epilogue.js';

/**
 * Uniform words shared by every conv kernel, in order: n, cin, h, w, cout, oh, ow, groups, cinG, coutG,
 * kc (= cinG·kh·kw), coutPad, gx, gy, strideH, strideW, padH, padW, dilationH, dilationW, kh, kw (stride, padding and
 * dilation are signed: convTranspose2d's phases run as convs with negative ones), then where output pixel (y, x) of the
 * oh×ow grid is stored: row y·outStrideH + outOffH, column x·outStrideW + outOffW of a realOh×realOw image
 * (realOh, realOw, outStrideH, outStrideW, outOffH, outOffW; the identity for a plain conv).
 */
export const CONV_WORDS = 28;

const PARAM_LETS = `let nImg = pu(0u); let Cin = pu(1u); let H = pu(2u); let W = pu(3u); let Cout = pu(4u);
  let OH = pu(5u); let OW = pu(6u); let groups = pu(7u); let CinG = pu(8u); let CoutG = pu(9u); let Kc = pu(10u);
  let coutPad = pu(11u); let gx = pu(12u); let gy = pu(13u);
  let SH = i32(pu(14u)); let SW = i32(pu(15u)); let PH = i32(pu(16u)); let PW = i32(pu(17u));
  let DH = i32(pu(18u)); let DW = i32(pu(19u)); let KH = pu(20u); let KW = pu(21u);
  let ROH = pu(22u); let ROW = pu(23u); let OSH = pu(24u); let OSW = pu(25u); let OOH = pu(26u); let OOW = pu(27u);
  let ROHW = ROH * ROW;`;

/** WGSL expression: offset of output pixel `p` (flattened over batch and the oh×ow grid) in channel 0 of its image. */
const outPixel = (p: string) => `(${p} / OHW) * Cout * ROHW + ((${p} % OHW) / OW * OSH + OOH) * ROW + (${p} % OHW) % OW * OSW + OOW`;

const PACK_WG = 256;

/**
 * Repacks OIHW conv weights as [groups][kc][coutPad] (K-major, output channels padded to a multiple of 4
 * with zeros) so the direct kernel reads 4 output channels with one aligned vec4 load.
 *
 * @example
 * ctx.dispatch('conv_pack', () => packConvWeightsWgsl(), [{ buf: w }, { buf: wt, write: true }], params, ctx.grid(total, PACK_WG));
 */
export function packConvWeightsWgsl(): string {
  return `${paramsWgsl(CONV_WORDS)}
@group(0) @binding(1) var<storage, read> Wsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> Wt: array<f32>;
${entry1d(PACK_WG)} {
  ${PARAM_LETS}
  let i = ${linearIndex(PACK_WG)};
  if (i >= groups * Kc * coutPad) { return; }
  let co = i % coutPad;
  let k = (i / coutPad) % Kc;
  let g = i / coutPad / Kc;
  Wt[i] = select(0.0, Wsrc[min((g * CoutG + co) * Kc + k, groups * CoutG * Kc - 1u)], co < CoutG);
}`;
}

/** Specialisation of {@link conv2dDirectWgsl}. */
export interface ConvDirectConfig {
  /** Output pixels per workgroup (multiple of `sg` when `sg > 0`). */
  tm: number;
  /** vec4 groups of output channels per invocation. */
  nv: number;
  /** Subgroup size for sharing input values by broadcast (0 = none). */
  sg: number;
  /** Invocations per workgroup (`sg` when `sg > 0`). */
  wg: number;
  bias: boolean;
  /** Output written as vec4 runs of 4 pixels of one channel (needs oh·ow % 4 == 0 and tm % 4 == 0). */
  yVec: boolean;
  /** Fused activation / pre-activation output (default none). */
  epi?: KernelEpilogue;
  /**
   * Invocations split the pixels instead of the channels (needs `sg = 0`): each owns `tm` consecutive pixels and all
   * 4·nv channels of the workgroup, so a workgroup covers tm·wg pixels. For few output channels per group (≤ 4), where
   * splitting channels across lanes would leave all but one idle.
   */
  lanePixels?: boolean;
}

/**
 * Implicit-GEMM conv2d for software adapters: C[pixel, cout] = Σ_k im2col(X)[pixel, k] · Wt[k, cout].
 * A workgroup owns `tm` output pixels (flattened over batch and space) and 4·nv·wg output channels of one
 * group; each invocation keeps tm × 4·nv outputs in registers. Input values are gathered on the fly
 * (zero padding by bounds checks) — one per lane per k when `sg > 0`, shared by subgroup broadcast —
 * and weights come from the packed [g][k][coutPad] layout as vec4. Bias is added in the epilogue.
 *
 * @example
 * const src = conv2dDirectWgsl({ tm: 16, nv: 2, sg: 8, wg: 8, bias: true, yVec: true });
 */
export function conv2dDirectWgsl(c: ConvDirectConfig): string {
  const epi = c.epi ?? PLAIN_EPILOGUE;
  const rowLoads = c.sg > 0 ? c.tm / c.sg : c.tm;
  const pro: string[] = [];
  for (let r = 0; r < rowLoads; r++) {
    const row = c.sg > 0 ? `row0 + ${r * c.sg}u + lane` : `row0 + ${r}u`;
    pro.push(`let p${r} = min(${row}, P - 1u); let rem${r} = p${r} % OHW;
  let iy${r} = i32(rem${r} / OW) * SH - PH; let ix${r} = i32(rem${r} % OW) * SW - PW;
  let xb${r} = ((p${r} / OHW) * Cin + g * CinG) * HW;`);
  }
  for (let v = 0; v < c.nv; v++) pro.push(`let wc${v} = g * Kc * (coutPad / 4u) + min(col4 + ${v}u, coutPad / 4u - 1u);`);
  for (let i = 0; i < c.tm; i++) for (let v = 0; v < c.nv; v++) pro.push(`var c${i}_${v} = vec4<f32>(0.0);`);

  const body: string[] = [];
  for (let r = 0; r < rowLoads; r++) {
    body.push(`let y${r} = iy${r} + kyo; let x${r} = ix${r} + kxo; let ok${r} = u32(y${r}) < H && u32(x${r}) < W;
    let av${r} = select(0.0, X[select(0u, cb${r} + u32(y${r}) * W + u32(x${r}), ok${r})], ok${r});`);
  }
  for (let v = 0; v < c.nv; v++) body.push(`let b${v} = Wt[wc${v} + k * (coutPad / 4u)];`);
  for (let i = 0; i < c.tm; i++) {
    const a = c.sg > 0 ? `subgroupBroadcast(av${Math.floor(i / c.sg)}, ${i % c.sg}u)` : `av${i}`;
    body.push(`{ let a = vec4<f32>(${a});`);
    for (let v = 0; v < c.nv; v++) body.push(`  c${i}_${v} = fma(a, b${v}, c${i}_${v});`);
    body.push('}');
  }
  const cbDecl = Array.from({ length: rowLoads }, (_, r) => `let cb${r} = xb${r} + cOff;`).join(' ');

  const st: string[] = [];
  for (let v = 0; v < c.nv; v++) {
    st.push(`let co${v} = (col4 + ${v}u) * 4u;`);
    if (c.bias) {
      const bj = (j: number) => `Bias[g * CoutG + min(co${v} + ${j}u, CoutG - 1u)]`;
      st.push(`let bias${v} = vec4<f32>(${bj(0)}, ${bj(1)}, ${bj(2)}, ${bj(3)});`);
    }
  }
  const val = (i: number, v: number) => `c${i}_${v}${c.bias ? ` + bias${v}` : ''}`;
  if (c.yVec) {
    // 4 consecutive pixels never straddle an image (oh·ow % 4 == 0), so each channel's run is one aligned vec4.
    for (let i4 = 0; i4 < c.tm / 4; i4++) {
      const inner: string[] = [];
      for (let v = 0; v < c.nv; v++) {
        inner.push(`{ let r0 = ${val(4 * i4, v)}; let r1 = ${val(4 * i4 + 1, v)}; let r2 = ${val(4 * i4 + 2, v)}; let r3 = ${val(4 * i4 + 3, v)};`);
        for (let j = 0; j < 4; j++) inner.push(`  if (co${v} + ${j}u < CoutG) { ${storeWgsl(epi, `(ob + (co${v} + ${j}u) * ROHW) / 4u`, `vec4<f32>(r0[${j}], r1[${j}], r2[${j}], r3[${j}])`, true)} }`);
        inner.push('}');
      }
      st.push(`if (live && row0 + ${4 * i4}u < P) { let p = row0 + ${4 * i4}u; let ob = ${outPixel('p')} + g * CoutG * ROHW;
    ${inner.join('\n    ')}
  }`);
    }
  } else {
    for (let i = 0; i < c.tm; i++) {
      const inner: string[] = [];
      for (let v = 0; v < c.nv; v++) {
        inner.push(`{ let acc = ${val(i, v)};`);
        for (let j = 0; j < 4; j++) inner.push(`  if (co${v} + ${j}u < CoutG) { ${storeWgsl(epi, `ob + (co${v} + ${j}u) * ROHW`, `acc[${j}]`, false)} }`);
        inner.push('}');
      }
      st.push(`if (live && row0 + ${i}u < P) { let p = row0 + ${i}u; let ob = ${outPixel('p')} + g * CoutG * ROHW;
    ${inner.join('\n    ')}
  }`);
    }
  }

  const laneArg = c.sg > 0 ? ', @builtin(subgroup_invocation_id) lane: u32' : '';
  return `${c.sg > 0 ? 'enable subgroups;\n' : ''}${paramsWgsl(CONV_WORDS)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wt: array<vec4<f32>>;
${c.bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;\n@group(0) @binding(4)' : '@group(0) @binding(3)'} var<storage, read_write> Y: array<${c.yVec ? 'vec4<f32>' : 'f32'}>;
${preBindingWgsl(epi, c.bias ? 5 : 4, c.yVec ? 'vec4<f32>' : 'f32')}${epilogueFnsWgsl(epi)}
@compute @workgroup_size(${c.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32${laneArg}) {
  ${PARAM_LETS}
  let HW = H * W;
  let OHW = OH * OW;
  let P = nImg * OHW;
  let gid = wid.x + wid.y * nwg.x;
  let by = gid % gy;
  let bx = (gid / gy) % gx;
  let live = gid / gx / gy < groups;
  let g = min(gid / gx / gy, groups - 1u);
  let row0 = ${c.lanePixels ? `(by * ${c.wg}u + lid) * ${c.tm}u` : `by * ${c.tm}u`};
  let col4 = ${c.lanePixels ? `bx * ${c.nv}u` : `(bx * ${c.wg}u + lid) * ${c.nv}u`};
  ${pro.join('\n  ')}
  ${kLoop(cbDecl, body)}
  ${st.join('\n  ')}
}`;
}

/**
 * The k loop of the direct kernel as one flat loop over k = (ci·KH + ky)·KW + kx, with ky, kx and the channel offset
 * stepped by selects: lavapipe pays mask bookkeeping on every iteration of every loop level, so one level instead of
 * three (ci, ky, kx) runs the same FMAs 20–40 % faster there (2×2 convTranspose2d phases gain the most).
 */
function kLoop(cbDecl: string, body: string[]): string {
  return `var kx = 0u; var ky = 0u; var cOff = 0u;
  for (var k = 0u; k < Kc; k++) {
    ${cbDecl}
    let kyo = i32(ky) * DH; let kxo = i32(kx) * DW;
    ${body.join('\n    ')}
    let nx = kx + 1u; let wx = nx == KW; kx = select(nx, 0u, wx);
    let ny = select(ky, ky + 1u, wx); let wy = ny == KH; ky = select(ny, 0u, wy); cOff = select(cOff, cOff + HW, wy);
  }`;
}

/** Key of a direct conv specialisation. @example convDirectKey(cfg) */
export function convDirectKey(c: ConvDirectConfig): string {
  return `conv_direct_${c.tm}_${c.nv}_${c.sg}_${c.wg}_${+c.bias}${+c.yVec}${c.lanePixels ? 'p' : ''}${epilogueKey(c.epi ?? PLAIN_EPILOGUE)}`;
}

/**
 * Implicit-GEMM conv2d on the shared-memory tiled template (GPUs): C[cout, pixel] = W[cout, k] · im2col(X)[k, pixel]
 * per group (the third tile coordinate); im2col is computed in the B loader, bias in the epilogue.
 *
 * @example
 * const src = conv2dTiledWgsl(true, 4); // optional third argument: the fused epilogue
 */
export function conv2dTiledWgsl(bias: boolean, rowsPerThread: number, epi: KernelEpilogue = PLAIN_EPILOGUE): string {
  return tiledGemmWgsl({
    paramWords: CONV_WORDS,
    decls: `@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wsrc: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;\n@group(0) @binding(4)' : '@group(0) @binding(3)'} var<storage, read_write> Y: array<f32>;
${preBindingWgsl(epi, bias ? 5 : 4, 'f32')}${epilogueFnsWgsl(epi)}
var<private> g: u32;
fn gatherX(ok: bool, y: i32, x: i32, base: u32) -> f32 {
  let H = pu(2u); let W = pu(3u);
  let inb = ok && u32(y) < H && u32(x) < W;
  return select(0.0, X[select(0u, base + u32(y) * W + u32(x), inb)], inb);
}`,
    prologue: `${PARAM_LETS}
  let KHW = KH * KW;
  let M = CoutG;
  let N = nImg * OH * OW;
  let OHW = OH * OW;
  let bx = gid % gx;
  let by = (gid / gx) % gy;
  let live = gid / gx / gy < groups;
  g = min(gid / gx / gy, groups - 1u);
  let k0 = 0u;
  let k1 = Kc;
  let mBase = by * ${16 * rowsPerThread}u;
  let nBase = bx * 64u;`,
    loadA: `let ok = m < pu(9u) && k < kEnd;
  return select(0.0, Wsrc[select(0u, (g * pu(9u) + m) * pu(10u) + k, ok)], ok);`,
    // B (im2col) is gathered through bGather: pixel decomposition once per thread, k decomposition once per tile.
    loadB: 'return 0.0;',
    bGather: {
      setup: (q, n) => [0, 1, 2, 3].map((j) => `let cc${q}_${j} = min(${n} + ${j}u, N - 1u); let cok${q}_${j} = ${n} + ${j}u < N;
  let y0${q}_${j} = i32((cc${q}_${j} % OHW) / OW) * SH - PH; let x0${q}_${j} = i32((cc${q}_${j} % OHW) % OW) * SW - PW;
  let xb${q}_${j} = ((cc${q}_${j} / OHW) * Cin + g * CinG) * H * W;`).join('\n  '),
      perK: () => 'let ci = k / KHW; let kr = k % KHW; let kyo = i32(kr / KW) * DH; let kxo = i32(kr % KW) * DW; let kok = k < kEnd;',
      load: (q, j) => `gatherX(cok${q}_${j} && kok, y0${q}_${j} + kyo, x0${q}_${j} + kxo, xb${q}_${j} + ci * H * W)`,
    },
    aAlongM: false,
    bAlongN: true,
    store: `let co = g * CoutG + m;
    let bv = ${bias ? 'Bias[co]' : '0.0'};
    for (var j = 0u; j < 4u; j++) {
      let p = n + j;
      if (p < N) { ${storeWgsl(epi, `${outPixel('p')} + co * ROHW`, 'acc[j] + bv', false)} }
    }`,
    rowsPerThread,
  });
}

/** Specialisation of {@link conv2dPlaneWgsl}: the strip length and the horizontal geometry are baked in. */
export interface ConvPlaneConfig {
  /** Output pixels per invocation, consecutive along a row. */
  t: number;
  /** Kernel width, horizontal stride (≥ 1) and dilation (≥ 0). */
  kw: number;
  sw: number;
  dw: number;
  bias: boolean;
  epi?: KernelEpilogue;
}

/** Input columns one strip reads per kernel row: (t − 1)·sw + (kw − 1)·dw + 1. */
export const planeFootprint = (c: Pick<ConvPlaneConfig, 't' | 'kw' | 'sw' | 'dw'>): number => (c.t - 1) * c.sw + (c.kw - 1) * c.dw + 1;

/**
 * Strip length of the one-channel-per-group kernels (forward and weight gradient): 8 outputs, else 4, whose input
 * footprint stays within 24 registers; null when even 4 do not fit or the horizontal stride / dilation is negative.
 *
 * @example
 * planeStrip(3, 1, 1); // 8
 */
export function planeStrip(kw: number, sw: number, dw: number): number | null {
  if (sw < 1 || dw < 0) return null;
  return [8, 4].find((t) => planeFootprint({ t, kw, sw, dw }) <= 24) ?? null;
}

/**
 * Conv2d with one input and one output channel per group (depthwise convs, and single-channel filters such as
 * upfirdn2d's): each invocation computes `t` consecutive outputs of one row of one plane. Per kernel row it loads the
 * strip's input footprint once (t + kw − 1 values for a dense 3×3, instead of t·kw) and the row's kw taps, then
 * accumulates tap by tap in the direct kernel's order (ky, then kx), so the sums are the same as that kernel's.
 * Weights are read as [groups][kh·kw]; the output goes through the usual out map, bias and epilogue.
 *
 * @example
 * const src = conv2dPlaneWgsl({ t: 8, kw: 3, sw: 1, dw: 1, bias: false });
 */
export function conv2dPlaneWgsl(c: ConvPlaneConfig): string {
  const epi = c.epi ?? PLAIN_EPILOGUE;
  const f = planeFootprint(c);
  const loads: string[] = [];
  for (let j = 0; j < f; j++) {
    loads.push(`let x${j} = ix0 + ${j}; let ok${j} = rowOk && u32(x${j}) < W; let v${j} = select(0.0, X[select(0u, rb + u32(x${j}), ok${j})], ok${j});`);
  }
  const taps: string[] = [];
  for (let kx = 0; kx < c.kw; kx++) {
    taps.push(`{ let w = Wsrc[wb + ${kx}u];`);
    for (let t = 0; t < c.t; t++) taps.push(`  a${t} = fma(v${t * c.sw + kx * c.dw}, w, a${t});`);
    taps.push('}');
  }
  const stores: string[] = [];
  for (let t = 0; t < c.t; t++) {
    const val = `a${t}${c.bias ? ' + bv' : ''}`;
    stores.push(`if (ox0 + ${t}u < OW) { ${storeWgsl(epi, `ob + (ox0 + ${t}u) * OSW`, val, false)} }`);
  }
  return `${paramsWgsl(CONV_WORDS)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wsrc: array<f32>;
${c.bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;\n@group(0) @binding(4)' : '@group(0) @binding(3)'} var<storage, read_write> Y: array<f32>;
${preBindingWgsl(epi, c.bias ? 5 : 4, 'f32')}${epilogueFnsWgsl(epi)}${entry1d(PLANE_WG)} {
  ${PARAM_LETS}
  let i = ${linearIndex(PLANE_WG)};
  let strips = (OW + ${c.t - 1}u) / ${c.t}u;
  if (i >= nImg * groups * OH * strips) { return; }
  let ox0 = (i % strips) * ${c.t}u;
  let oy = (i / strips) % OH;
  let plane = i / strips / OH;
  let g = plane % groups;
  let xb = plane * H * W;
  let ix0 = i32(ox0) * SW - PW;
  let iy0 = i32(oy) * SH - PH;
  ${Array.from({ length: c.t }, (_, t) => `var a${t} = 0.0;`).join(' ')}
  for (var ky = 0u; ky < KH; ky++) {
    let y = iy0 + i32(ky) * DH;
    let rowOk = u32(y) < H;
    let rb = xb + select(0u, u32(y) * W, rowOk);
    let wb = g * Kc + ky * KW;
    ${loads.join('\n    ')}
    ${taps.join('\n    ')}
  }
  let ob = plane * ROHW + (oy * OSH + OOH) * ROW + OOW;
  ${c.bias ? 'let bv = Bias[g];' : ''}
  ${stores.join('\n  ')}
}`;
}

/** Key of a plane conv specialisation. @example convPlaneKey(cfg) */
export function convPlaneKey(c: ConvPlaneConfig): string {
  return `conv_plane_${c.t}_${c.kw}_${c.sw}_${c.dw}_${+c.bias}${epilogueKey(c.epi ?? PLAIN_EPILOGUE)}`;
}

const PLANE_WG = 64;

const GATHER_WG = 64;

/**
 * Direct conv2d, one output element per invocation (depthwise and few-channel groups, where a GEMM tile
 * would be mostly idle). Output index order NCHW.
 *
 * @example
 * const src = conv2dGatherWgsl(false);
 */
export function conv2dGatherWgsl(bias: boolean, epi: KernelEpilogue = PLAIN_EPILOGUE): string {
  return `${paramsWgsl(CONV_WORDS)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Wsrc: array<f32>;
${bias ? '@group(0) @binding(3) var<storage, read> Bias: array<f32>;\n@group(0) @binding(4)' : '@group(0) @binding(3)'} var<storage, read_write> Y: array<f32>;
${preBindingWgsl(epi, bias ? 5 : 4, 'f32')}${epilogueFnsWgsl(epi)}${entry1d(GATHER_WG)} {
  ${PARAM_LETS}
  let i = ${linearIndex(GATHER_WG)};
  let OHW = OH * OW;
  if (i >= nImg * Cout * OHW) { return; }
  let ox = i % OW; let oy = (i / OW) % OH; let co = (i / OHW) % Cout; let b = i / OHW / Cout;
  let g = co / CoutG;
  let y0 = i32(oy) * SH - PH; let x0 = i32(ox) * SW - PW;
  var acc = ${bias ? 'Bias[co]' : '0.0'};
  for (var ci = 0u; ci < CinG; ci++) {
    let xb = ((b * Cin + g * CinG + ci) * H) * W;
    let wb = (co * CinG + ci) * KH * KW;
    for (var ky = 0u; ky < KH; ky++) {
      let y = y0 + i32(ky) * DH;
      if (u32(y) >= H) { continue; }
      for (var kx = 0u; kx < KW; kx++) {
        let x = x0 + i32(kx) * DW;
        if (u32(x) < W) { acc = fma(X[xb + u32(y) * W + u32(x)], Wsrc[wb + ky * KW + kx], acc); }
      }
    }
  }
  ${storeWgsl(epi, 'b * Cout * ROHW + co * ROHW + (oy * OSH + OOH) * ROW + ox * OSW + OOW', 'acc', false)}
}`;
}

export { GATHER_WG as CONV_GATHER_WG, PACK_WG as CONV_PACK_WG, PLANE_WG as CONV_PLANE_WG };
