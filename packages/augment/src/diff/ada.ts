// ADA-style differentiable augmentation (Karras et al. 2020, "Training GANs with Limited Data"): geometric ops
// composed into one affine map per image (gridSample, reflection padding) and colour ops into one 4×4 matrix.
import { type Generator, type Tensor, affineGrid, div, exp2, floor, gridSample, matmul, rand, randn, round } from '@radix/tensor-webgpu';
import { type Entry, batchMatrix, checkBatch, gate } from './batch-matrix.js';

/** The ADA operations, in the order they are applied. */
export type AdaOp =
  | 'xflip' | 'rotate90' | 'xint' | 'scale' | 'rotate' | 'aniso' | 'xfrac'
  | 'brightness' | 'contrast' | 'lumaflip' | 'hue' | 'saturation';

/** Every ADA operation (the paper's "bgc" pipeline: blit, geometric, colour). */
export const ADA_OPS: readonly AdaOp[] = [
  'xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac', 'brightness', 'contrast', 'lumaflip', 'hue', 'saturation',
];

/** Options of {@link adaAugment}. */
export interface AdaAugmentOptions {
  /** Probability of applying each operation to each image, in [0, 1]. */
  p: number;
  /** Operations to enable (default: all of {@link ADA_OPS}). */
  ops?: readonly AdaOp[];
  /** Random stream (default: the global generator). */
  generator?: Generator;
}

// Strengths of the paper's defaults: translations as fractions of the side, std-devs in log2 units.
const XINT_MAX = 0.125;
const SCALE_STD = 0.2;
const ROTATE_MAX = 1;
const ANISO_STD = 0.2;
const XFRAC_STD = 0.125;
const BRIGHTNESS_STD = 0.2;
const CONTRAST_STD = 0.5;
const HUE_MAX = 1;
const SATURATION_STD = 1;

/**
 * ADA augmentation of an NCHW batch (C = 1 or 3 with colour ops; geometric ops accept any C). Each op is applied
 * per image with probability `p`; each of the two rotations with 1 − √(1 − p), so that some rotation happens with
 * probability p. Geometric ops compose the inverse (output → input) map in centred pixel units: xflip, rot90,
 * integer translation (U(−1/8, 1/8)·side, rounded), isotropic scale 2^N(0, 0.2²), pre-rotation U(−π, π),
 * anisotropic scale 2^N(0, 0.2²), post-rotation, fractional translation N(0, (side/8)²); one bilinear gridSample
 * with reflection padding. Colour ops compose one 4×4 matrix: brightness +N(0, 0.2²), contrast ×2^N(0, 0.5²),
 * luma flip, hue rotation U(−π, π) about the luma axis, saturation ×2^N(0, 1). Differentiable w.r.t. `x`.
 *
 * @example
 * const out = adaAugment(reals, { p: 0.2, generator: new Generator(0) });
 */
export function adaAugment(x: Tensor, options: AdaAugmentOptions): Tensor {
  const fn = 'adaAugment';
  const [n, c, h, w] = checkBatch(fn, x);
  const p = options.p;
  if (!(p >= 0 && p <= 1)) throw new Error(`${fn}: p must be a probability in [0, 1], got ${p}`);
  const ops = new Set(options.ops ?? ADA_OPS);
  for (const o of ops) if (!ADA_OPS.includes(o)) throw new Error(`${fn}: unknown op '${String(o)}' (expected ${ADA_OPS.join(', ')})`);
  const b = x.backend;
  const g = options.generator;
  const u = (shape: number[] = [n]) => rand(shape, { backend: b, generator: g });
  const z = () => randn([n], { backend: b, generator: g });
  const gated = (value: Tensor, identity: number, prob = p) => gate(prob, value, identity, n, b, g);
  const m3 = (rows: Entry[][]) => batchMatrix(rows, n, b);
  const rot = (t: Tensor) => m3([[t.cos(), t.sin().neg(), 0], [t.sin(), t.cos(), 0], [0, 0, 1]]);
  const pRot = 1 - Math.sqrt(Math.max(1 - p, 0));

  let out = x;
  // ---- geometric: Ginv maps output pixels (centred) to input pixels ----
  const geo: Tensor[] = [];
  if (ops.has('xflip')) {
    const i = gated(floor(u().mul(2)), 0);
    geo.push(m3([[i.mul(-2).add(1), 0, 0], [0, 1, 0], [0, 0, 1]]));
  }
  if (ops.has('rotate90')) geo.push(rot(gated(floor(u().mul(4)), 0).mul(Math.PI / 2)));
  if (ops.has('xint')) {
    const tx = gated(round(u().mul(2).sub(1).mul(XINT_MAX * w)), 0);
    const ty = gated(round(u().mul(2).sub(1).mul(XINT_MAX * h)), 0);
    geo.push(m3([[1, 0, tx.neg()], [0, 1, ty.neg()], [0, 0, 1]]));
  }
  if (ops.has('scale')) {
    const s = gated(exp2(z().mul(SCALE_STD)), 1);
    geo.push(m3([[div(1, s), 0, 0], [0, div(1, s), 0], [0, 0, 1]]));
  }
  if (ops.has('rotate')) geo.push(rot(gated(u().mul(2).sub(1).mul(Math.PI * ROTATE_MAX), 0, pRot)));
  if (ops.has('aniso')) {
    const s = gated(exp2(z().mul(ANISO_STD)), 1);
    geo.push(m3([[div(1, s), 0, 0], [0, s, 0], [0, 0, 1]]));
  }
  if (ops.has('rotate')) geo.push(rot(gated(u().mul(2).sub(1).mul(Math.PI * ROTATE_MAX), 0, pRot)));
  if (ops.has('xfrac')) {
    const tx = gated(z().mul(XFRAC_STD * w), 0);
    const ty = gated(z().mul(XFRAC_STD * h), 0);
    geo.push(m3([[1, 0, tx.neg()], [0, 1, ty.neg()], [0, 0, 1]]));
  }
  if (geo.length > 0) {
    // theta = S⁻¹ · Ginv · S with S = diag(W/2, H/2, 1): normalised grid coordinates ↔ centred pixels.
    const ginv = geo.reduce((acc, m) => matmul(acc, m));
    const sIn = m3([[2 / w, 0, 0], [0, 2 / h, 0], [0, 0, 1]]);
    const sOut = m3([[w / 2, 0, 0], [0, h / 2, 0], [0, 0, 1]]);
    const theta = matmul(matmul(sIn, ginv), sOut).slice(1, 0, 2);
    out = gridSample(out, affineGrid(theta, [n, c, h, w], false), { mode: 'bilinear', paddingMode: 'reflection', alignCorners: false });
  }
  // ---- colour: one 4×4 matrix per image acting on (r, g, b, 1) ----
  const col: Tensor[] = [];
  const r3 = 1 / Math.sqrt(3);
  const lumaBlock = (f: (r: number, q: number) => Entry): Entry[][] =>
    [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((q) => (r === 3 || q === 3 ? (r === q ? 1 : 0) : f(r, q))));
  if (ops.has('brightness')) {
    const v = gated(z().mul(BRIGHTNESS_STD), 0);
    col.push(batchMatrix([[1, 0, 0, v], [0, 1, 0, v], [0, 0, 1, v], [0, 0, 0, 1]], n, b));
  }
  if (ops.has('contrast')) {
    const s = gated(exp2(z().mul(CONTRAST_STD)), 1);
    col.push(batchMatrix([[s, 0, 0, 0], [0, s, 0, 0], [0, 0, s, 0], [0, 0, 0, 1]], n, b));
  }
  if (ops.has('lumaflip')) {
    // I − 2·v·vᵀ·i with v the unit luma axis (1, 1, 1)/√3.
    const i = gated(floor(u().mul(2)), 0).mul(-2 / 3);
    col.push(batchMatrix(lumaBlock((r, q) => (r === q ? i.add(1) : i)), n, b));
  }
  if (ops.has('hue')) {
    // Rodrigues rotation about v: cosθ·I + sinθ·[v]× + (1 − cosθ)·v·vᵀ.
    const t = gated(u().mul(2).sub(1).mul(Math.PI * HUE_MAX), 0);
    const cs = t.cos();
    const sn = t.sin().mul(r3);
    const outer = cs.neg().add(1).div(3);
    const cross = [[0, -1, 1], [1, 0, -1], [-1, 1, 0]];
    col.push(batchMatrix(lumaBlock((r, q) => outer.add(r === q ? cs : 0).add(sn.mul(cross[r]![q]!))), n, b));
  }
  if (ops.has('saturation')) {
    // v·vᵀ + (I − v·vᵀ)·s.
    const s = gated(exp2(z().mul(SATURATION_STD)), 1);
    col.push(batchMatrix(lumaBlock((r, q) => (r === q ? s.mul(2 / 3).add(1 / 3) : s.mul(-1 / 3).add(1 / 3))), n, b));
  }
  if (col.length > 0) {
    if (c !== 3 && c !== 1) throw new Error(`${fn}: colour ops need 1 or 3 channels, got ${c} (pass ops without colour ops)`);
    const cm = col.reduce((acc, m) => matmul(m, acc));
    const flat = out.reshape(n, c, h * w);
    if (c === 3) {
      out = matmul(cm.slice(1, 0, 3).slice(2, 0, 3), flat).add(cm.slice(1, 0, 3).slice(2, 3, 4)).reshape(n, c, h, w);
    } else {
      // Grayscale: average the RGB rows, and apply their summed gains to the single channel.
      const rows = cm.slice(1, 0, 3).mean(1, true);
      out = flat.mul(rows.slice(2, 0, 3).sum(2, true)).add(rows.slice(2, 3, 4)).reshape(n, c, h, w);
    }
  }
  return out;
}
