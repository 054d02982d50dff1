// CPU reference kernels for pooling, resizing and gridSample: plain loops following PyTorch's CPU definitions.
import type { BackendBuffer, GridSampleParams, Pool2dParams, ResizeParams } from '../backend.js';
import { arr } from './cpu-buffer.js';
import { resizeAxisTable, type AxisTable } from '../../kernels/resize.js';

const f = Math.fround;

/**
 * Max or average pooling over NCHW (max pads with -inf and propagates NaN; avg uses torch's divisor rule).
 *
 * @example
 * cpuPool2d('avg', x, out, params);
 */
export function cpuPool2d(kind: 'max' | 'avg', x: BackendBuffer, out: BackendBuffer, p: Pool2dParams): void {
  const xi = arr(x);
  const o = arr(out);
  const { h: H, w: W, oh: OH, ow: OW, kh, kw } = p;
  let i = 0;
  for (let nc = 0; nc < p.n * p.c; nc++) {
    const base = nc * H * W;
    for (let oy = 0; oy < OH; oy++) {
      const hs = oy * p.strideH - p.padH;
      for (let ox = 0; ox < OW; ox++, i++) {
        const ws = ox * p.strideW - p.padW;
        if (kind === 'max') {
          let m = -Infinity;
          for (let ky = 0; ky < kh; ky++) {
            const y = hs + ky * p.dilationH;
            if (y < 0 || y >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const xx = ws + kx * p.dilationW;
              if (xx < 0 || xx >= W) continue;
              const v = xi[base + y * W + xx]!;
              if (v > m || Number.isNaN(v)) m = v;
            }
          }
          o[i] = m;
          continue;
        }
        let he = Math.min(hs + kh, H + p.padH);
        let we = Math.min(ws + kw, W + p.padW);
        const poolSize = (he - hs) * (we - ws);
        const h0 = Math.max(hs, 0);
        const w0 = Math.max(ws, 0);
        he = Math.min(he, H);
        we = Math.min(we, W);
        if (h0 >= he || w0 >= we) {
          o[i] = 0;
          continue;
        }
        let s = 0;
        for (let y = h0; y < he; y++) for (let xx = w0; xx < we; xx++) s += xi[base + y * W + xx]!;
        const div = p.divisorOverride !== 0 ? p.divisorOverride : p.countIncludePad ? poolSize : (he - h0) * (we - w0);
        o[i] = s / div;
      }
    }
  }
}

/**
 * Adaptive average pooling: cell (oy, ox) averages rows ⌊oy·H/OH⌋..⌈(oy+1)·H/OH⌉ and likewise for columns.
 *
 * @example
 * cpuAdaptiveAvgPool2d(x, out, 1, 3, 7, 7, 3, 3);
 */
export function cpuAdaptiveAvgPool2d(x: BackendBuffer, out: BackendBuffer, n: number, c: number, h: number, w: number, oh: number, ow: number): void {
  const xi = arr(x);
  const o = arr(out);
  let i = 0;
  for (let nc = 0; nc < n * c; nc++) {
    const base = nc * h * w;
    for (let oy = 0; oy < oh; oy++) {
      const h0 = Math.floor((oy * h) / oh);
      const h1 = Math.ceil(((oy + 1) * h) / oh);
      for (let ox = 0; ox < ow; ox++, i++) {
        const w0 = Math.floor((ox * w) / ow);
        const w1 = Math.ceil(((ox + 1) * w) / ow);
        let s = 0;
        for (let y = h0; y < h1; y++) for (let xx = w0; xx < w1; xx++) s += xi[base + y * w + xx]!;
        o[i] = s / ((h1 - h0) * (w1 - w0));
      }
    }
  }
}

/** Applies one axis table along the middle axis of an (outer, len, inner) array. */
function resampleAxis(src: ArrayLike<number>, dst: Float32Array | Float64Array, outer: number, inner: number, t: AxisTable): void {
  const { inSize, outSize, taps } = t;
  for (let a = 0; a < outer; a++) {
    for (let o = 0; o < outSize; o++) {
      const cnt = t.count[o]!;
      const d = (a * outSize + o) * inner;
      for (let j = 0; j < inner; j++) {
        let s = 0;
        for (let k = 0; k < cnt; k++) s += src[(a * inSize + t.index[o * taps + k]!) * inner + j]! * t.weight[o * taps + k]!;
        dst[d + j] = s;
      }
    }
  }
}

/**
 * interpolate via the shared per-axis tables: a W pass then an H pass (torch's separable order).
 *
 * @example
 * cpuResize(x, out, { mode: 'nearest', alignCorners: false, antialias: false, n: 1, c: 1, h: 2, w: 2, oh: 4, ow: 4, scaleH: 0.5, scaleW: 0.5 });
 */
export function cpuResize(x: BackendBuffer, out: BackendBuffer, p: ResizeParams): void {
  const rows = resizeAxisTable(p.mode, p.alignCorners, p.antialias, p.h, p.oh, p.scaleH);
  const cols = resizeAxisTable(p.mode, p.alignCorners, p.antialias, p.w, p.ow, p.scaleW);
  const nc = p.n * p.c;
  const tmp = new Float32Array(nc * p.h * p.ow);
  resampleAxis(arr(x), tmp, nc * p.h, 1, cols);
  const o = arr(out) as Float32Array;
  resampleAxis(tmp, o, nc, p.ow, rows);
}

/** The unnormalise and padding (border / reflection) rules of one sampling setup, in float32 like torch's CPU kernel. */
function makeSampler(p: GridSampleParams) {
  const { h: H, w: W, alignCorners: align, paddingMode } = p;
  const clip = (v: number, size: number) => Math.min(size - 1, v > 0 ? v : 0);
  const reflect = (v: number, size: number): number => {
    if (align) {
      if (size <= 1) return 0;
      const span2 = (size - 1) * 2;
      const a = Math.abs(v);
      const extra = f(a - f(Math.trunc(f(a / span2)) * span2));
      return Math.min(extra, f(span2 - extra));
    }
    const span2 = size * 2;
    const a = Math.abs(f(v + 0.5));
    const extra = f(a - f(Math.trunc(f(a / span2)) * span2));
    return f(Math.min(extra, f(span2 - extra)) - 0.5);
  };
  const pad = (v: number, size: number) =>
    paddingMode === 'zeros' ? v : paddingMode === 'border' ? clip(v, size) : clip(reflect(v, size), size);
  const sw = f(align ? (W - 1) / 2 : W / 2);
  const sh = f(align ? (H - 1) / 2 : H / 2);
  const unnorm = (g: number, sc: number) => (align ? f(f(g + 1) * sc) : f(f(f(g + 1) * sc) - 0.5));
  return { pad, unnorm, sw, sh };
}

/** Round half to even (torch's nearbyint). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function cubicCoeffs(t: number): [number, number, number, number] {
  const A = -0.75;
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  return [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
}

/**
 * gridSample with torch's unnormalise/reflect/clip rules; nearest rounds half to even. The taps and weights of each
 * grid point are computed once and reused for every channel.
 *
 * @example
 * cpuGridSample(x, grid, out, { mode: 'bilinear', paddingMode: 'border', alignCorners: true, n: 1, c: 1, h: 3, w: 3, oh: 2, ow: 2 });
 */
export function cpuGridSample(x: BackendBuffer, grid: BackendBuffer, out: BackendBuffer, p: GridSampleParams): void {
  const xi = arr(x);
  const gr = arr(grid);
  const o = arr(out);
  const { pad, unnorm, sw, sh } = makeSampler(p);
  const { n: N, c: C, h: H, w: W } = p;
  const P = p.oh * p.ow;
  const K = p.mode === 'bicubic' ? 4 : p.mode === 'bilinear' ? 2 : 1;
  // Per grid point: K column taps (element offset or -1 when outside) and K row taps, with their weights.
  const cx = new Int32Array(K);
  const cy = new Int32Array(K);
  const wx = new Float64Array(K);
  const wy = new Float64Array(K);
  const tap = (v: number, size: number) => (v > -1 && v < size ? v : -1);
  const axis = (g: number, sc: number, size: number, idx: Int32Array, wt: Float64Array) => {
    if (p.mode === 'bicubic') {
      const s = unnorm(g, sc);
      const s0 = Math.floor(s);
      const cf = cubicCoeffs(f(s - s0));
      for (let k = 0; k < 4; k++) {
        idx[k] = tap(pad(s0 - 1 + k, size), size);
        wt[k] = cf[k]!;
      }
      return;
    }
    const s = pad(unnorm(g, sc), size);
    if (p.mode === 'nearest') {
      idx[0] = tap(roundEven(s), size);
      wt[0] = 1;
      return;
    }
    const s0 = Math.floor(s);
    idx[0] = tap(s0, size);
    idx[1] = tap(s0 + 1, size);
    wt[0] = 1 - (s - s0);
    wt[1] = s - s0;
  };
  for (let n = 0; n < N; n++) {
    for (let q = 0; q < P; q++) {
      axis(gr[(n * P + q) * 2]!, sw, W, cx, wx);
      axis(gr[(n * P + q) * 2 + 1]!, sh, H, cy, wy);
      for (let c = 0; c < C; c++) {
        const base = (n * C + c) * H * W;
        let v = 0;
        for (let r = 0; r < K; r++) {
          let row = 0;
          for (let k = 0; k < K; k++) row += wx[k]! * (cy[r]! >= 0 && cx[k]! >= 0 ? xi[base + cy[r]! * W + cx[k]!]! : 0);
          v += wy[r]! * row;
        }
        o[(n * C + c) * P + q] = v;
      }
    }
  }
}
