// WGSL for conv2d's weight (and fused bias) gradient: dW[o, c, a, b] = Σ_{n,y,x} gOut[n, o, y, x] · x[n, c, y·s − p + a·d, …]
// as an implicit GEMM whose reduction runs over N·OH·OW, split into chunks of (n, y) rows (split-K) for parallelism.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { planeFootprint } from './conv.js';

/**
 * Uniform words shared by the weight-gradient kernels, in order: n, cin, h, w, cout, oh, ow, groups, cinG, coutG,
 * kc (= cinG·kh·kw), coutPad, gx, gy, strideH, strideW, padH, padW, dilationH, dilationW, kh, kw, splits,
 * rowsPerSplit (a split sums the (n, y) output rows [s·rowsPerSplit, (s + 1)·rowsPerSplit)).
 */
export const CONV_WG_WORDS = 24;

const LETS = `let nImg = pu(0u); let C = pu(1u); let H = pu(2u); let W = pu(3u); let O = pu(4u); let OH = pu(5u); let OW = pu(6u);
  let groups = pu(7u); let CG = pu(8u); let OG = pu(9u); let Kc = pu(10u); let ogPad = pu(11u); let gx = pu(12u); let gy = pu(13u);
  let SH = i32(pu(14u)); let SW = i32(pu(15u)); let PH = i32(pu(16u)); let PW = i32(pu(17u)); let DH = i32(pu(18u)); let DW = i32(pu(19u));
  let KH = pu(20u); let KW = pu(21u); let splits = pu(22u); let rps = pu(23u);
  let HW = H * W; let KHW = KH * KW; let OHW = OH * OW; let NR = nImg * OH;`;

/** Invocations per workgroup of the gOut packing and the gather variant. */
export const CONV_WG_PACK_WG = 256;

/**
 * Repacks gOut [n][O][oh][ow] as [g][n·oh·ow][coutPad] (pixel-major, each group's channels padded to a multiple of 4
 * with zeros) so the direct kernel reads 4 output channels of one pixel with one vec4 load. One invocation writes one
 * vec4 (4 channels of a pixel), so the index arithmetic is paid once per 4 values.
 *
 * @example
 * ctx.dispatch('convwg_pack', packGradOutWgsl, [{ buf: gOut }, { buf: packed, write: true }], params, ctx.grid(total / 4, CONV_WG_PACK_WG));
 */
export function packGradOutWgsl(): string {
  const ch = (j: number) => `select(0.0, G[base + min(o0 + ${j}u, OG - 1u) * OHW], o0 + ${j}u < OG)`;
  return `${paramsWgsl(CONV_WG_WORDS)}
@group(0) @binding(1) var<storage, read> G: array<f32>;
@group(0) @binding(2) var<storage, read_write> Gp: array<vec4<f32>>;
${entry1d(CONV_WG_PACK_WG)} {
  ${LETS}
  let i = ${linearIndex(CONV_WG_PACK_WG)};
  let R = nImg * OHW;
  let q = ogPad / 4u;
  if (i >= groups * R * q) { return; }
  let o0 = (i % q) * 4u; let rg = i / q; let r = rg % R; let g = rg / R;
  let base = ((r / OHW) * O + g * OG) * OHW + r % OHW;
  Gp[i] = vec4<f32>(${ch(0)}, ${ch(1)}, ${ch(2)}, ${ch(3)});
}`;
}

/**
 * {@link packGradOutWgsl} for oh·ow % 4 == 0: one invocation moves a 4-pixel × 4-channel block, reading each channel's
 * 4 pixels as one vec4 of gOut and writing each pixel's 4 channels as one vec4 (a register transpose).
 *
 * @example
 * ctx.dispatch('convwg_pack4', packGradOutBlockWgsl, [{ buf: gOut }, { buf: packed, write: true }], params, ctx.grid(total / 16, CONV_WG_PACK_WG));
 */
export function packGradOutBlockWgsl(): string {
  const ch = (j: number) => `select(vec4<f32>(0.0), G[(base + min(o0 + ${j}u, OG - 1u) * OHW) / 4u], o0 + ${j}u < OG)`;
  return `${paramsWgsl(CONV_WG_WORDS)}
@group(0) @binding(1) var<storage, read> G: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> Gp: array<vec4<f32>>;
${entry1d(CONV_WG_PACK_WG)} {
  ${LETS}
  let i = ${linearIndex(CONV_WG_PACK_WG)};
  let R4 = nImg * OHW / 4u;
  let q = ogPad / 4u;
  if (i >= groups * R4 * q) { return; }
  let o0 = (i % q) * 4u; let rg = i / q; let r = (rg % R4) * 4u; let g = rg / R4;
  let base = ((r / OHW) * O + g * OG) * OHW + r % OHW;
  let c0 = ${ch(0)}; let c1 = ${ch(1)}; let c2 = ${ch(2)}; let c3 = ${ch(3)};
  let out = ((g * nImg * OHW + r) * q + o0 / 4u);
  Gp[out] = vec4<f32>(c0.x, c1.x, c2.x, c3.x);
  Gp[out + q] = vec4<f32>(c0.y, c1.y, c2.y, c3.y);
  Gp[out + 2u * q] = vec4<f32>(c0.z, c1.z, c2.z, c3.z);
  Gp[out + 3u * q] = vec4<f32>(c0.w, c1.w, c2.w, c3.w);
}`;
}

/** Specialisation of {@link convWeightGradDirectWgsl} (as the forward direct conv: rows here are the kc columns of dW). */
export interface ConvWeightGradConfig {
  /** Rows of dW's kc axis per workgroup (a multiple of `sg` when `sg > 0`). */
  tm: number;
  /** vec4 groups of output channels per invocation. */
  nv: number;
  /** Subgroup size for sharing the gathered input by broadcast (0 = none). */
  sg: number;
  /** Invocations per workgroup. */
  wg: number;
  /** Also sum gOut per output channel (the bias gradient) in workgroups of row tile 0. */
  bias: boolean;
  /**
   * Invocations split the kc rows instead of the channels (needs `sg = 0`): each owns `tm` consecutive rows and all
   * 4·nv channels, so a workgroup covers tm·wg rows. For few output channels per group (≤ 4).
   */
  laneRows?: boolean;
}

/**
 * Register-blocked weight gradient: a workgroup owns `tm` kc-rows (c, a, b) and 4·nv·wg output channels of one group
 * and one split; the reduction walks the split's (n, y) rows and every x, gathering x[n, c, y·s − p + a·d, x·s − p + b·d]
 * (one value per lane, shared by subgroup broadcast when `sg > 0`) and the packed gOut as vec4. Writes the split's slab
 * of dW [O][kc] (and of the bias gradient [O]).
 *
 * @example
 * const src = convWeightGradDirectWgsl({ tm: 16, nv: 2, sg: 8, wg: 8, bias: true });
 */
export function convWeightGradDirectWgsl(c: ConvWeightGradConfig): string {
  const loads = c.sg > 0 ? c.tm / c.sg : c.tm;
  const pro: string[] = [];
  for (let r = 0; r < loads; r++) {
    const row = c.sg > 0 ? `row0 + ${r * c.sg}u + lane` : `row0 + ${r}u`;
    pro.push(`let kk${r} = min(${row}, Kc - 1u); let yo${r} = i32((kk${r} / KW) % KH) * DH - PH; let xo${r} = i32(kk${r} % KW) * DW - PW;
  let cb${r} = (g * CG + kk${r} / KHW) * HW;`);
  }
  for (let v = 0; v < c.nv; v++) pro.push(`let wc${v} = min(col4 + ${v}u, ogPad / 4u - 1u);`);
  for (let i = 0; i < c.tm; i++) for (let v = 0; v < c.nv; v++) pro.push(`var c${i}_${v} = vec4<f32>(0.0);`);
  if (c.bias) for (let v = 0; v < c.nv; v++) pro.push(`var bs${v} = vec4<f32>(0.0);`);
  const perRow = Array.from({ length: loads }, (_, r) => `let iy${r} = i32(y) * SH + yo${r}; let rok${r} = u32(iy${r}) < H; let rb${r} = xImg + cb${r} + select(0u, u32(iy${r}) * W, rok${r});`).join('\n    ');
  const body: string[] = [];
  for (let r = 0; r < loads; r++) {
    body.push(`let ix${r} = i32(x) * SW + xo${r}; let ok${r} = rok${r} && u32(ix${r}) < W; let av${r} = select(0.0, X[select(0u, rb${r} + u32(ix${r}), ok${r})], ok${r});`);
  }
  for (let v = 0; v < c.nv; v++) body.push(`let b${v} = Gp[gi + wc${v}];${c.bias ? ` bs${v} += b${v};` : ''}`);
  for (let i = 0; i < c.tm; i++) {
    const a = c.sg > 0 ? `subgroupBroadcast(av${Math.floor(i / c.sg)}, ${i % c.sg}u)` : `av${i}`;
    body.push(`{ let a = vec4<f32>(${a});${Array.from({ length: c.nv }, (_, v) => ` c${i}_${v} = fma(a, b${v}, c${i}_${v});`).join('')} }`);
  }
  const st: string[] = [];
  for (let i = 0; i < c.tm; i++) {
    const inner: string[] = [];
    for (let v = 0; v < c.nv; v++) {
      for (let j = 0; j < 4; j++) inner.push(`if ((col4 + ${v}u) * 4u + ${j}u < OG) { DW_[slab + (g * OG + (col4 + ${v}u) * 4u + ${j}u) * Kc + row] = c${i}_${v}[${j}]; }`);
    }
    st.push(`if (live && row0 + ${i}u < Kc) { let row = row0 + ${i}u;\n    ${inner.join('\n    ')}\n  }`);
  }
  if (c.bias) {
    const inner: string[] = [];
    for (let v = 0; v < c.nv; v++) for (let j = 0; j < 4; j++) inner.push(`if ((col4 + ${v}u) * 4u + ${j}u < OG) { DB[s * O + g * OG + (col4 + ${v}u) * 4u + ${j}u] = bs${v}[${j}]; }`);
    st.push(`if (live && by == 0u${c.laneRows ? ' && lid == 0u' : ''}) {\n    ${inner.join('\n    ')}\n  }`);
  }
  const laneArg = c.sg > 0 ? ', @builtin(subgroup_invocation_id) lane: u32' : '';
  return `${c.sg > 0 ? 'enable subgroups;\n' : ''}${paramsWgsl(CONV_WG_WORDS)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Gp: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> DW_: array<f32>;
${c.bias ? '@group(0) @binding(4) var<storage, read_write> DB: array<f32>;' : ''}
@compute @workgroup_size(${c.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32${laneArg}) {
  ${LETS}
  let gid = wid.x + wid.y * nwg.x;
  let by = gid % gy;
  let bx = (gid / gy) % gx;
  let gs = gid / gy / gx;
  let live = gs < groups * splits;
  let gsc = min(gs, groups * splits - 1u);
  let g = gsc / splits;
  let s = gsc % splits;
  let slab = s * O * Kc;
  let row0 = ${c.laneRows ? `(by * ${c.wg}u + lid) * ${c.tm}u` : `by * ${c.tm}u`};
  let col4 = ${c.laneRows ? `bx * ${c.nv}u` : `(bx * ${c.wg}u + lid) * ${c.nv}u`};
  ${pro.join('\n  ')}
  // One flat loop over the split's (n, y, x) pixels, y, x and the image offset stepped by selects (lavapipe pays mask
  // bookkeeping per iteration of every loop level; see the forward kernel's kLoop).
  let nr0 = min(s * rps, NR);
  let steps = (min(nr0 + rps, NR) - nr0) * OW;
  var x = 0u; var y = nr0 % OH; var xImg = (nr0 / OH) * C * HW;
  var gi = (g * nImg * OHW + nr0 * OW) * (ogPad / 4u);
  for (var t = 0u; t < steps; t++) {
    ${perRow}
    ${body.join('\n    ')}
    gi += ogPad / 4u;
    let nx = x + 1u; let wx = nx == OW; x = select(nx, 0u, wx);
    let ny = select(y, y + 1u, wx); let wy = ny == OH; y = select(ny, 0u, wy); xImg = select(xImg, xImg + C * HW, wy);
  }
  ${st.join('\n  ')}
}`;
}

/** Key of a direct weight-gradient specialisation. @example convWeightGradKey(cfg) */
export function convWeightGradKey(c: ConvWeightGradConfig): string {
  return `convwg_direct_${c.tm}_${c.nv}_${c.sg}_${c.wg}_${+c.bias}${c.laneRows ? 'r' : ''}`;
}

/**
 * Weight gradient with one dW element (and, for kc index 0, its channel's bias gradient) per invocation and split:
 * for depthwise and few-channel groups, where a register tile would be mostly idle. Reads gOut unpacked.
 *
 * @example
 * const src = convWeightGradGatherWgsl(true);
 */
export function convWeightGradGatherWgsl(bias: boolean): string {
  return `${paramsWgsl(CONV_WG_WORDS)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> DW_: array<f32>;
${bias ? '@group(0) @binding(4) var<storage, read_write> DB: array<f32>;' : ''}
${entry1d(CONV_WG_PACK_WG)} {
  ${LETS}
  let i = ${linearIndex(CONV_WG_PACK_WG)};
  if (i >= splits * O * Kc) { return; }
  let kk = i % Kc; let o = (i / Kc) % O; let s = i / Kc / O;
  let g = o / OG;
  let yo = i32((kk / KW) % KH) * DH - PH; let xo = i32(kk % KW) * DW - PW;
  let cb = (g * CG + kk / KHW) * HW;
  var acc = 0.0;
  var bacc = 0.0;
  let nr1 = min((s + 1u) * rps, NR);
  for (var nr = s * rps; nr < nr1; nr++) {
    let nI = nr / OH; let y = nr % OH;
    let iy = i32(y) * SH + yo;
    let rok = u32(iy) < H;
    let rb = nI * C * HW + cb + select(0u, u32(iy) * W, rok);
    let gb = (nI * O + o) * OHW + y * OW;
    for (var x = 0u; x < OW; x++) {
      let gv = G[gb + x];
      ${bias ? 'bacc += gv;' : ''}
      let ix = i32(x) * SW + xo;
      if (rok && u32(ix) < W) { acc = fma(gv, X[rb + u32(ix)], acc); }
    }
  }
  DW_[s * O * Kc + o * Kc + kk] = acc;
  ${bias ? 'if (kk == 0u) { DB[s * O + o] = bacc; }' : ''}
}`;
}

/** Specialisation of {@link convWeightGradPlaneWgsl}: strip length and kernel geometry baked in. */
export interface ConvWeightGradPlaneConfig {
  /** Output pixels per strip, consecutive along a row. */
  t: number;
  kh: number;
  kw: number;
  /** Horizontal stride (≥ 1) and dilation (≥ 0); the vertical ones are uniforms. */
  sw: number;
  dw: number;
  bias: boolean;
}

/** Invocations per workgroup of the plane weight gradient (each writes one partial slab). */
export const CONV_WG_PLANE_WG = 64;

/**
 * Weight (and bias) gradient for one input and one output channel per group (depthwise convs): a workgroup sums, for
 * one group, strips of `t` consecutive gOut pixels of a row (strip q, q + gy·64, … of the group's n·oh·gx strips), each
 * kernel row's input footprint loaded once and all kh·kw taps kept in registers. Every invocation writes its partial
 * sums to its own slab [slab][groups][kh·kw] (and [slab][groups] for the bias); the slabs are summed afterwards.
 * Uniforms as CONV_WG_WORDS with gx = strips per row, gy = workgroups per group.
 *
 * @example
 * const src = convWeightGradPlaneWgsl({ t: 8, kh: 3, kw: 3, sw: 1, dw: 1, bias: true });
 */
export function convWeightGradPlaneWgsl(c: ConvWeightGradPlaneConfig): string {
  const f = planeFootprint(c);
  const taps = c.kh * c.kw;
  const body: string[] = [];
  for (let t = 0; t < c.t; t++) body.push(`let ok${t} = ox0 + ${t}u < OW; let go${t} = select(0.0, Gr[select(0u, ob + ox0 + ${t}u, ok${t})], ok${t});`);
  if (c.bias) body.push(Array.from({ length: c.t }, (_, t) => `ab += go${t};`).join(' '));
  for (let ky = 0; ky < c.kh; ky++) {
    body.push(`{ let y = iy0 + ${ky} * DH; let rowOk = u32(y) < H; let rb = xb + select(0u, u32(y) * W, rowOk);`);
    for (let j = 0; j < f; j++) body.push(`  let x${j} = ix0 + ${j}; let v${j} = select(0.0, X[select(0u, rb + u32(x${j}), rowOk && u32(x${j}) < W)], rowOk && u32(x${j}) < W);`);
    for (let kx = 0; kx < c.kw; kx++) {
      const a = `a${ky * c.kw + kx}`;
      for (let t = 0; t < c.t; t++) body.push(`  ${a} = fma(go${t}, v${t * c.sw + kx * c.dw}, ${a});`);
    }
    body.push('}');
  }
  const stores = Array.from({ length: taps }, (_, k) => `Pw[o * ${taps}u + ${k}u] = a${k};`);
  return `${paramsWgsl(CONV_WG_WORDS)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> Gr: array<f32>;
@group(0) @binding(3) var<storage, read_write> Pw: array<f32>;
${c.bias ? '@group(0) @binding(4) var<storage, read_write> Pb: array<f32>;\n' : ''}@compute @workgroup_size(${CONV_WG_PLANE_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  ${LETS}
  let wg = wid.x + wid.y * nwg.x;
  if (wg >= groups * gy) { return; }
  let g = wg / gy;
  let slab = (wg % gy) * ${CONV_WG_PLANE_WG}u + lid;
  let nslab = gy * ${CONV_WG_PLANE_WG}u;
  let S = NR * gx;
  ${Array.from({ length: taps }, (_, k) => `var a${k} = 0.0;`).join(' ')}${c.bias ? ' var ab = 0.0;' : ''}
  for (var q = slab; q < S; q += nslab) {
    let ox0 = (q % gx) * ${c.t}u;
    let oy = (q / gx) % OH;
    let plane = (q / gx / OH) * groups + g;
    let ob = (plane * OH + oy) * OW;
    let xb = plane * HW;
    let ix0 = i32(ox0) * SW - PW;
    let iy0 = i32(oy) * SH - PH;
    ${body.join('\n    ')}
  }
  let o = slab * groups + g;
  ${stores.join(' ')}${c.bias ? '\n  Pb[o] = ab;' : ''}
}`;
}

/** Key of a plane weight-gradient specialisation. @example convWeightGradPlaneKey(cfg) */
export function convWeightGradPlaneKey(c: ConvWeightGradPlaneConfig): string {
  return `convwg_plane_${c.t}_${c.kh}_${c.kw}_${c.sw}_${c.dw}_${+c.bias}`;
}
