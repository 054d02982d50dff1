// Backward rules of the image ops. Pooling and resizing are separable linear maps, so their adjoints are two small
// matmuls with per-axis matrices; maxPool routes through its window argmax; gridSample differentiates a composition
// of gathers. All are built from differentiable ops, so they support double backward.
import type { Tensor } from '../tensor.js';
import { tensor } from './creation.js';
import { abs, floor, round } from './unary.js';
import { add, clamp, eq, fmod, ge, logicalAnd, lt, mul, sub, where } from './elementwise.js';
import { expand, reshape, slice, sliceScatter, stack } from './movement.js';
import { argmax } from './reduce.js';
import { gather, pad } from './indexing.js';
import { matmul } from './linalg.js';
import { grad } from '../autograd/backward.js';
import { enableGrad, isGradEnabled } from '../autograd/grad-mode.js';
import type { AxisTable } from '../kernels/resize.js';

/** A dense (out × in) matrix as a tensor on `like`'s backend. */
function matrix(rows: number, cols: number, fill: (set: (r: number, c: number, v: number) => void) => void, like: Tensor): Tensor {
  const m = new Float32Array(rows * cols);
  fill((r, c, v) => {
    m[r * cols + c]! += v;
  });
  return tensor(m, { shape: [rows, cols], backend: like.backend });
}

/** The (outSize × inSize) matrix of one resize axis table. */
export function tableMatrix(t: AxisTable, like: Tensor): Tensor {
  return matrix(t.outSize, t.inSize, (set) => {
    for (let o = 0; o < t.outSize; o++) for (let k = 0; k < t.count[o]!; k++) set(o, t.index[o * t.taps + k]!, t.weight[o * t.taps + k]!);
  }, like);
}

/** The (out × in) averaging matrix of adaptive pooling along one axis: row i averages ⌊iH/O⌋..⌈(i+1)H/O⌉. */
export function adaptiveMatrix(inSize: number, outSize: number, like: Tensor): Tensor {
  return matrix(outSize, inSize, (set) => {
    for (let i = 0; i < outSize; i++) {
      const s = Math.floor((i * inSize) / outSize);
      const e = Math.ceil(((i + 1) * inSize) / outSize);
      for (let h = s; h < e; h++) set(i, h, 1 / (e - s));
    }
  }, like);
}

/**
 * The (out × in) matrix of avg pooling along one axis (torch's window and divisor rules). With a divisor
 * override every tap weighs 1 here and the caller scales by 1/override.
 */
export function avgPoolMatrix(inSize: number, outSize: number, k: number, stride: number, padding: number, countIncludePad: boolean, override: boolean, like: Tensor): Tensor {
  return matrix(outSize, inSize, (set) => {
    for (let o = 0; o < outSize; o++) {
      const start = o * stride - padding;
      const end = Math.min(start + k, inSize + padding);
      const lo = Math.max(start, 0);
      const hi = Math.min(end, inSize);
      const div = override ? 1 : countIncludePad ? end - start : hi - lo;
      for (let h = lo; h < hi; h++) set(o, h, 1 / div);
    }
  }, like);
}

/** dx = Mhᵀ · g · Mw for a separable map `y = Mh · x · Mwᵀ` over the last two dims. */
export function separableAdjoint(g: Tensor, mh: Tensor, mw: Tensor, inShape: readonly number[]): Tensor {
  const [oh, ow] = g.shape.slice(-2) as [number, number];
  const lead = g.shape.slice(0, -2);
  const b = lead.reduce((a, v) => a * v, 1);
  const gr = reshape(g, [b, oh, ow]);
  const dx = matmul(matmul(mh.t(), gr), mw);
  return reshape(dx, inShape);
}

/** Parameters a max-pool gradient needs (4-D view). */
export interface MaxPoolGeometry {
  kh: number; kw: number; sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; oh: number; ow: number;
}

/**
 * Gradient of max pooling: each window's gradient goes to its first maximum (torch's argmax rule), built from
 * strided slices of the −∞-padded input, so it is itself differentiable in `g`.
 */
export function maxPoolGrad(g: Tensor, x: Tensor, p: MaxPoolGeometry): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const extentH = (p.oh - 1) * p.sh + (p.kh - 1) * p.dh + 1;
  const extentW = (p.ow - 1) * p.sw + (p.kw - 1) * p.dw + 1;
  const padB = Math.max(0, extentH - h - p.ph);
  const padR = Math.max(0, extentW - w - p.pw);
  const xp = pad(x, [p.pw, padR, p.ph, padB], 'constant', -Infinity);
  const [hp, wp] = [h + p.ph + padB, w + p.pw + padR];
  const windows: Tensor[] = [];
  for (let i = 0; i < p.kh; i++) {
    for (let j = 0; j < p.kw; j++) {
      const r = slice(xp, 2, i * p.dh, i * p.dh + (p.oh - 1) * p.sh + 1, p.sh);
      windows.push(slice(r, 3, j * p.dw, j * p.dw + (p.ow - 1) * p.sw + 1, p.sw));
    }
  }
  const am = argmax(stack(windows, 0), 0);
  let acc: Tensor | null = null;
  let k = 0;
  for (let i = 0; i < p.kh; i++) {
    for (let j = 0; j < p.kw; j++, k++) {
      const gk = where(eq(am, k), g, 0);
      const cols = sliceScatter(gk, [n, c, p.oh, wp], 3, j * p.dw, p.sw);
      const full = sliceScatter(cols, [n, c, hp, wp], 2, i * p.dh, p.sh);
      acc = acc ? add(acc, full) : full;
    }
  }
  return slice(slice(acc!, 2, p.ph, p.ph + h), 3, p.pw, p.pw + w);
}

/** gridSample options as the composition needs them. */
export interface GridSampleSpec {
  mode: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode: 'zeros' | 'border' | 'reflection';
  alignCorners: boolean;
}

function unnormalize(c: Tensor, size: number, alignCorners: boolean): Tensor {
  return alignCorners ? mul(add(c, 1), (size - 1) / 2) : mul(sub(mul(add(c, 1), size), 1), 0.5);
}

function reflect(c: Tensor, twiceLow: number, twiceHigh: number): Tensor {
  if (twiceLow === twiceHigh) return mul(c, 0);
  const min = twiceLow / 2;
  const span = (twiceHigh - twiceLow) / 2;
  const t = abs(sub(c, min));
  const extra = fmod(t, span);
  const even = eq(fmod(floor(mul(t, 1 / span)), 2), 0);
  return where(even, add(extra, min), sub(span + min, extra));
}

function applyPadding(c: Tensor, size: number, spec: GridSampleSpec): Tensor {
  if (spec.paddingMode === 'border') return clamp(c, 0, size - 1);
  if (spec.paddingMode === 'reflection') {
    const r = spec.alignCorners ? reflect(c, 0, 2 * (size - 1)) : reflect(c, -1, 2 * size - 1);
    return clamp(r, 0, size - 1);
  }
  return c;
}

const A = -0.75;
const cubic1 = (x: Tensor): Tensor => add(mul(mul(sub(mul(x, A + 2), A + 3), x), x), 1);
const cubic2 = (x: Tensor): Tensor => sub(mul(add(mul(sub(mul(x, A), 5 * A), x), 8 * A), x), 4 * A);

/**
 * gridSample written with differentiable ops (gathers of the input at integer taps, weights from the grid);
 * numerically the same function as the kernel, used to differentiate it w.r.t. input and grid.
 */
export function gridSampleComposed(x: Tensor, grid: Tensor, spec: GridSampleSpec): Tensor {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [, oh, ow] = grid.shape as [number, number, number];
  const gx = reshape(slice(grid, 3, 0, 1), [n, 1, oh * ow]);
  const gy = reshape(slice(grid, 3, 1, 2), [n, 1, oh * ow]);
  let ix = unnormalize(gx, w, spec.alignCorners);
  let iy = unnormalize(gy, h, spec.alignCorners);
  if (spec.mode !== 'bicubic') {
    ix = applyPadding(ix, w, spec);
    iy = applyPadding(iy, h, spec);
  }
  const flat = reshape(x, [n, c, h * w]);
  const tap = (xi: Tensor, yi: Tensor, weight: Tensor): Tensor => {
    // Integer tap coordinates (no gradient); bicubic taps get the padding rule per tap, like torch.
    const [xt, yt] = spec.mode === 'bicubic' && spec.paddingMode !== 'zeros' ? [applyPadding(xi, w, spec), applyPadding(yi, h, spec)] : [xi, yi];
    const valid = logicalAnd(logicalAnd(ge(xt, 0), lt(xt, w)), logicalAnd(ge(yt, 0), lt(yt, h)));
    const idx = add(mul(clamp(yt, 0, h - 1), w), clamp(xt, 0, w - 1)).to('int32');
    const vals = gather(flat, 2, expand(idx, [n, c, oh * ow]));
    return mul(vals, where(valid, weight, 0));
  };
  let out: Tensor;
  if (spec.mode === 'nearest') {
    out = tap(round(ix).detach(), round(iy).detach(), add(mul(ix, 0), 1).detach());
  } else if (spec.mode === 'bilinear') {
    const x0 = floor(ix).detach();
    const y0 = floor(iy).detach();
    const tx = sub(ix, x0);
    const ty = sub(iy, y0);
    const [ux, uy] = [sub(1, tx), sub(1, ty)];
    out = add(add(tap(x0, y0, mul(ux, uy)), tap(add(x0, 1), y0, mul(tx, uy))), add(tap(x0, add(y0, 1), mul(ux, ty)), tap(add(x0, 1), add(y0, 1), mul(tx, ty))));
  } else {
    const x0 = floor(ix).detach();
    const y0 = floor(iy).detach();
    const tx = sub(ix, x0);
    const ty = sub(iy, y0);
    const wx = [cubic2(add(tx, 1)), cubic1(tx), cubic1(sub(1, tx)), cubic2(sub(2, tx))];
    const wy = [cubic2(add(ty, 1)), cubic1(ty), cubic1(sub(1, ty)), cubic2(sub(2, ty))];
    let acc: Tensor | null = null;
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 4; i++) {
        const v = tap(add(x0, i - 1), add(y0, j - 1), mul(wx[i]!, wy[j]!));
        acc = acc ? add(acc, v) : v;
      }
    }
    out = acc!;
  }
  return reshape(out, [n, c, oh, ow]);
}

/**
 * Vector-Jacobian product of gridSample at (x, grid) with output gradient g. Without createGraph it
 * differentiates the composition on detached copies; with it, through the saved (graph-connected) tensors.
 */
export function gridSampleVjp(g: Tensor, x: Tensor, gridT: Tensor, spec: GridSampleSpec): [Tensor, Tensor] {
  if (isGradEnabled() && (x.requiresGrad || gridT.requiresGrad)) {
    // Double backward (e.g. R1 through an augmentation whose grid is constant): differentiate only by the saved
    // inputs that are part of the graph; the others get a zero gradient.
    const y = gridSampleComposed(x, gridT, spec);
    const ins = [x, gridT].filter((t) => t.requiresGrad);
    const gs = grad(y, ins, { gradOutputs: [g], createGraph: true, retainGraph: true, allowUnused: true, prune: true });
    const dx = x.requiresGrad ? gs[0] : null;
    const dg = gridT.requiresGrad ? gs[ins.length - 1] : null;
    return [dx ?? mul(x, 0), dg ?? mul(gridT, 0)];
  }
  return enableGrad(() => {
    const xd = x.detach().requiresGrad_();
    const gd = gridT.detach().requiresGrad_();
    const y = gridSampleComposed(xd, gd, spec);
    const [dx, dg] = grad(y, [xd, gd], { gradOutputs: [g], allowUnused: true });
    return [dx ?? mul(x, 0), dg ?? mul(gridT, 0)] as [Tensor, Tensor];
  });
}
