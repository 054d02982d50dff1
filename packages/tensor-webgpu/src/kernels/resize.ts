// Resize (interpolate) support shared by both backends: per-axis source-index/weight tables computed on the host
// with PyTorch's exact float32 coordinate arithmetic, and the WGSL kernel that applies two such tables.
import type { ResizeParams } from '../backend/backend.js';
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

const f = Math.fround;

/**
 * For one axis: output index `o` reads `count[o]` input positions `index[o*taps + k]` with weights
 * `weight[o*taps + k]` (the weights already include normalisation).
 */
export interface AxisTable {
  inSize: number;
  outSize: number;
  taps: number;
  /** True when every output uses all `taps` entries (every mode but antialias): the GPU kernel then unrolls. */
  fixed: boolean;
  count: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

function newTable(inSize: number, outSize: number, taps: number): AxisTable {
  return {
    inSize, outSize, taps, fixed: true,
    count: new Int32Array(outSize).fill(taps),
    index: new Int32Array(outSize * taps),
    weight: new Float32Array(outSize * taps),
  };
}

/** torch's area_pixel_compute_scale in float32: align-corners span ratio, else the given scale (1/scale_factor or in/out). */
function pixelScale(inSize: number, outSize: number, alignCorners: boolean, scale: number): number {
  if (alignCorners) return outSize > 1 ? f((inSize - 1) / (outSize - 1)) : 0;
  return f(scale);
}

/** Keys' cubic convolution kernel pieces with parameter A (|x| <= 1 and 1 < |x| < 2), evaluated in float32 like torch. */
function cubic1(x: number, a: number): number {
  return f(f(f(f(f(f(a + 2) * x) - f(a + 3)) * x) * x) + 1);
}
function cubic2(x: number, a: number): number {
  return f(f(f(f(f(f(a * x) - f(5 * a)) * x) + f(8 * a)) * x) - f(4 * a));
}

/** Filters of the antialiased path (torch's aa_filter, computed in double then stored as float). */
function aaLinear(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? f(1 - ax) : 0;
}
function aaCubic(x: number): number {
  const a = -0.5;
  const ax = Math.abs(x);
  if (ax < 1) return f(((a + 2) * ax - (a + 3)) * ax * ax + 1);
  if (ax < 2) return f((((ax - 5) * ax + 8) * ax - 4) * a);
  return 0;
}

function antialiasTable(mode: 'bilinear' | 'bicubic', inSize: number, outSize: number, scale: number): AxisTable {
  const interp = mode === 'bilinear' ? 2 : 4;
  const filter = mode === 'bilinear' ? aaLinear : aaCubic;
  const support = f(scale >= 1 ? interp * 0.5 * scale : interp * 0.5);
  const taps = Math.ceil(support) * 2 + 1;
  const invscale = scale >= 1 ? f(1 / scale) : 1;
  const t = newTable(inSize, outSize, taps);
  for (let o = 0; o < outSize; o++) {
    const center = f(scale * (o + 0.5));
    const xmin = Math.max(Math.trunc(f(center - support) + 0.5), 0);
    const xsize = Math.max(0, Math.min(Math.trunc(f(center + support) + 0.5), inSize) - xmin);
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      // torch's aa_filter takes a float argument.
      const w = filter(f((f(j + xmin - center) + 0.5) * invscale));
      t.weight[o * taps + j] = w;
      total = f(total + w);
    }
    for (let j = 0; j < taps; j++) {
      t.index[o * taps + j] = Math.min(xmin + j, inSize - 1);
      if (j < xsize && total !== 0) t.weight[o * taps + j] = f(t.weight[o * taps + j]! / total);
    }
    t.count[o] = xsize;
  }
  t.fixed = false;
  return t;
}

/**
 * The source indices and weights of one axis of `interpolate`, reproducing PyTorch 1.13's CPU (NCHW) kernels bit for bit
 * in the index choices: nearest, nearest-exact, bilinear (same-size copy),
 * bicubic (A = -0.75, indices clamped to the border) and the antialiased separable filters (triangle / cubic A = -0.5,
 * support widened by the downscale factor). Note: torch's channels-last nearest kernel (which it also picks for C = 1
 * inputs) short-cuts same-size and exactly-2× outputs to `o` and `o >> 1`; the NCHW kernel followed here does not.
 *
 * @example
 * const t = resizeAxisTable('bilinear', false, false, 5, 8, 5 / 8);
 * t.index.slice(0, 2); // the two input rows blended into output row 0
 */
export function resizeAxisTable(mode: ResizeParams['mode'], alignCorners: boolean, antialias: boolean, inSize: number, outSize: number, scale: number): AxisTable {
  if (antialias && (mode === 'bilinear' || mode === 'bicubic')) {
    return antialiasTable(mode, inSize, outSize, pixelScale(inSize, outSize, alignCorners, scale));
  }
  if (mode === 'nearest' || mode === 'nearest-exact') {
    const t = newTable(inSize, outSize, 1);
    const s = f(scale);
    for (let o = 0; o < outSize; o++) {
      // nearest: ⌊f32(o·s)⌋; nearest-exact: ⌊f32((o + ½)·s)⌋ (the product rounded to float, as torch's floorf sees it).
      const idx = mode === 'nearest' ? Math.floor(f(o * s)) : Math.floor(f((o + 0.5) * s));
      t.index[o] = Math.max(0, Math.min(idx, inSize - 1));
      t.weight[o] = 1;
    }
    return t;
  }
  const s = pixelScale(inSize, outSize, alignCorners, scale);
  if (mode === 'bilinear') {
    const t = newTable(inSize, outSize, 2);
    for (let o = 0; o < outSize; o++) {
      if (outSize === inSize) {
        t.index[2 * o] = o;
        t.index[2 * o + 1] = o;
        t.weight[2 * o] = 1;
        t.weight[2 * o + 1] = 0;
        continue;
      }
      let real = alignCorners ? s * o : s * (o + 0.5) - 0.5;
      if (real < 0) real = 0;
      const i0 = Math.min(Math.trunc(real), inSize - 1);
      const l1 = f(real - i0);
      t.index[2 * o] = i0;
      t.index[2 * o + 1] = i0 + (i0 < inSize - 1 ? 1 : 0);
      t.weight[2 * o] = f(1 - l1);
      t.weight[2 * o + 1] = l1;
    }
    return t;
  }
  // bicubic
  const t = newTable(inSize, outSize, 4);
  const A = -0.75;
  for (let o = 0; o < outSize; o++) {
    const real = alignCorners ? f(s * o) : f(f(s * (o + 0.5)) - 0.5);
    const i0 = Math.min(Math.floor(real), inSize - 1);
    const tt = Math.min(Math.max(f(real - i0), 0), 1);
    const x2 = f(1 - tt);
    const w = [cubic2(f(tt + 1), A), cubic1(tt, A), cubic1(x2, A), cubic2(f(x2 + 1), A)];
    for (let k = 0; k < 4; k++) {
      t.index[4 * o + k] = Math.max(0, Math.min(i0 - 1 + k, inSize - 1));
      t.weight[4 * o + k] = w[k]!;
    }
  }
  return t;
}

/** The identity table of an axis left unchanged (one tap of weight 1). @example identityTable(7) */
export function identityTable(size: number): AxisTable {
  const t = newTable(size, size, 1);
  for (let o = 0; o < size; o++) t.index[o] = o;
  t.weight.fill(1);
  return t;
}

/** Words per output entry of a packed table: count, `taps` indices, `taps` weight bit patterns. */
function packedStride(t: AxisTable): number {
  return 1 + 2 * t.taps;
}

/**
 * Packs the row (H) and column (W) tables into one u32 buffer for the GPU kernel; the column table starts at
 * the returned `colBase` word.
 *
 * @example
 * const { words, colBase } = packTables(rows, cols);
 */
export function packTables(rows: AxisTable, cols: AxisTable): { words: Uint32Array; colBase: number } {
  const colBase = rows.outSize * packedStride(rows);
  const words = new Uint32Array(colBase + cols.outSize * packedStride(cols));
  const fw = new Float32Array(words.buffer);
  let p = 0;
  for (const t of [rows, cols]) {
    for (let o = 0; o < t.outSize; o++) {
      words[p] = t.count[o]!;
      for (let k = 0; k < t.taps; k++) {
        words[p + 1 + k] = t.index[o * t.taps + k]!;
        fw[p + 1 + t.taps + k] = t.weight[o * t.taps + k]!;
      }
      p += 1 + 2 * t.taps;
    }
  }
  return { words, colBase };
}

const WG = 256;

/** WGSL loop header over the taps of one axis: a constant bound (unrolled) for fixed tables, else the stored count. */
function tapLoop(v: string, fixedTaps: number | null, countExpr: string): string {
  return `for (var ${v} = 0u; ${v} < ${fixedTaps !== null ? `${fixedTaps}u` : countExpr}; ${v}++)`;
}

/**
 * Separable resampling of NCHW planes by two packed tables: out[nc, oy, ox] = Σ_a wy_a · Σ_b wx_b · x[nc, iy_a, ix_b]
 * (the inner sum runs along W first, the same float32 order as torch's separable kernels). An axis whose table is
 * `fixed` is specialised on its tap count (pass it as `rowTaps` / `colTaps`; `null` reads counts and taps at run time).
 * Params: [total, H, W, OH, OW, tapsH, tapsW, colBase].
 *
 * @example
 * ctx.dispatch('resize_2_2', () => resizeWgsl(2, 2), [{ buf: x }, { buf: table }, { buf: out, write: true }], params, ctx.grid(total, RESIZE_WG));
 */
export function resizeWgsl(rowTaps: number | null, colTaps: number | null): string {
  const KH = rowTaps !== null ? `${rowTaps}u` : 'pu(5u)';
  const KW = colTaps !== null ? `${colTaps}u` : 'pu(6u)';
  return `${paramsWgsl(8)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<u32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let H = pu(1u); let W = pu(2u); let OH = pu(3u); let OW = pu(4u);
  let KH = ${KH}; let KW = ${KW};
  let ox = i % OW; let t = i / OW; let oy = t % OH; let nc = t / OH;
  let r = oy * (1u + 2u * KH);
  let c = pu(7u) + ox * (1u + 2u * KW);
  let base = nc * H * W;
  var acc = 0.0;
  ${tapLoop('a', rowTaps, 'T[r]')} {
    let row = base + T[r + 1u + a] * W;
    let wy = bitcast<f32>(T[r + 1u + KH + a]);
    var rs = 0.0;
    ${tapLoop('b', colTaps, 'T[c]')} {
      rs += X[row + T[c + 1u + b]] * bitcast<f32>(T[c + 1u + KW + b]);
    }
    acc += rs * wy;
  }
  Y[i] = acc;
}`;
}

export { WG as RESIZE_WG };
