// Geometric operations on NCHW batches (affine warps, flips, rot90, crops, resize) built on the core's
// affineGrid/gridSample/interpolate; masks and label maps follow the same geometry with nearest sampling.
import {
  CpuBackend, type Generator, type Tensor, affineGrid, cat, clone, flip, gridSample, interpolate, rand, slice, tensor, transpose,
} from '@radix/tensor-webgpu';

/** How pixels that come from outside the image are filled. */
export type FillMode = 'zeros' | 'border' | 'reflection';

/** Result of a geometric op that carries masks along. */
export interface GeometryResult<P = undefined> {
  images: Tensor;
  masks?: Tensor;
  params: P;
}

let hostBackend: CpuBackend | null = null;

/**
 * Draws `n` uniform numbers in [0, 1) from `generator` on the CPU, so parameters do not depend on the device.
 *
 * @example
 * const u = await drawUniform(4, new Generator(1));
 */
export async function drawUniform(n: number, generator?: Generator): Promise<number[]> {
  hostBackend ??= new CpuBackend();
  const t = rand([n], { backend: hostBackend, generator });
  const d = Array.from(await t.data());
  t.dispose();
  return d;
}

/** Throws unless `x` is a non-empty 4-D float batch. */
export function check4d(op: string, x: Tensor): [number, number, number, number] {
  if (x.ndim !== 4) throw new Error(`${op}: expected an NCHW batch (4-D), got shape [${x.shape.join(', ')}]`);
  const s = x.shape as [number, number, number, number];
  if (s.some((d) => d === 0)) throw new Error(`${op}: empty batch of shape [${s.join(', ')}]`);
  return s;
}

function checkMasks(op: string, x: Tensor, masks?: Tensor): void {
  if (!masks) return;
  if (masks.ndim !== 4 || masks.shape[0] !== x.shape[0] || masks.shape[2] !== x.shape[2] || masks.shape[3] !== x.shape[3]) {
    throw new Error(`${op}: masks must be (N, K, H, W) matching images [${x.shape.join(', ')}], got [${masks.shape.join(', ')}]`);
  }
}

function thetaTensor(op: string, x: Tensor, theta: Tensor | readonly number[][][]): [Tensor, boolean] {
  const n = x.shape[0]!;
  if (!Array.isArray(theta)) {
    const t = theta as Tensor;
    if (t.ndim !== 3 || t.shape[0] !== n || t.shape[1] !== 2 || t.shape[2] !== 3) {
      throw new Error(`${op}: theta must have shape (${n}, 2, 3), got [${t.shape.join(', ')}]`);
    }
    return [t, false];
  }
  const arr = theta as readonly number[][][];
  if (arr.length !== n || arr.some((m) => m.length !== 2 || m.some((r) => r.length !== 3))) {
    throw new Error(`${op}: theta must be ${n} matrices of 2 rows × 3 columns`);
  }
  const flat = arr.flat(2);
  if (flat.some((v) => !Number.isFinite(v))) throw new Error(`${op}: theta contains a non-finite value`);
  return [tensor(flat, { shape: [n, 2, 3], backend: x.backend }), true];
}

/**
 * Warps each image by its normalised 2×3 matrix (output → input, like torch's affine_grid with
 * alignCorners false) with bilinear sampling; `masks` are warped with nearest sampling and zero fill.
 *
 * @example
 * const { images } = affine(x, [[[1, 0, 0.5], [0, 1, 0]]], { fill: 'border' });
 */
export function affine(
  x: Tensor, theta: Tensor | readonly number[][][], options: { fill?: FillMode; masks?: Tensor } = {},
): GeometryResult {
  const op = 'affine';
  const [n, c, h, w] = check4d(op, x);
  checkMasks(op, x, options.masks);
  const [th, owned] = thetaTensor(op, x, theta);
  const grid = affineGrid(th, [n, c, h, w], false);
  const images = gridSample(x, grid, { mode: 'bilinear', paddingMode: options.fill ?? 'zeros', alignCorners: false });
  const masks = options.masks ? gridSample(options.masks, grid, { mode: 'nearest', paddingMode: 'zeros', alignCorners: false }) : undefined;
  grid.dispose();
  if (owned) th.dispose();
  return masks ? { images, masks, params: undefined } : { images, params: undefined };
}

/** Per-image parameters drawn by {@link randomAffine} (degrees, pixels, factor, degrees). */
export interface AffineParams {
  angle: number;
  translate: [number, number];
  scale: number;
  shear: [number, number];
  /** The normalised output → input matrix passed to {@link affine}. */
  theta: number[][];
}

/** Options of {@link randomAffine}; ranges follow torchvision's RandomAffine. */
export interface RandomAffineOptions {
  /** Rotation drawn from [-d, d] or [min, max] degrees (positive = counter-clockwise as displayed). */
  degrees?: number | [number, number];
  /** Maximum translation as a fraction of width and height: tx ∈ [-a·W, a·W], ty ∈ [-b·H, b·H] pixels. */
  translate?: [number, number];
  /** Scale factor drawn from [min, max]. */
  scale?: [number, number];
  /** Shear along x drawn from [-s, s] or [min, max] degrees (y shear stays 0), or [xmin, xmax, ymin, ymax]. */
  shear?: number | [number, number] | [number, number, number, number];
  fill?: FillMode;
  generator?: Generator;
  masks?: Tensor;
}

/**
 * Normalised output → input matrix of the forward map "rotate by `angle`, shear, scale, translate" about the
 * image centre (torchvision's composition T·C·R·S·Sh·C⁻¹), for an image of size h × w.
 *
 * @example
 * const theta = affineMatrix({ angle: 90, translate: [0, 0], scale: 1, shear: [0, 0] }, 8, 8);
 */
export function affineMatrix(p: Omit<AffineParams, 'theta'>, h: number, w: number): number[][] {
  const rad = (d: number) => (d * Math.PI) / 180;
  const a = rad(p.angle);
  const [sx, sy] = [rad(p.shear[0]), rad(p.shear[1])];
  if (p.scale <= 0 || !Number.isFinite(p.scale)) throw new Error(`affineMatrix: scale must be positive, got ${p.scale}`);
  // Forward linear part in y-down pixel coordinates: rotation R(-a) (counter-clockwise on screen) · shear · scale.
  const [ca, sa] = [Math.cos(a), Math.sin(a)];
  const r = [[ca, sa], [-sa, ca]];
  const shm = [[1, Math.tan(sx)], [Math.tan(sy), 1]];
  const m = [0, 1].map((i) => [0, 1].map((j) => p.scale * (r[i]![0]! * shm[0]![j]! + r[i]![1]! * shm[1]![j]!)));
  const det = m[0]![0]! * m[1]![1]! - m[0]![1]! * m[1]![0]!;
  if (Math.abs(det) < 1e-12) throw new Error('affineMatrix: the transform is singular (shear too close to 90°)');
  const inv = [[m[1]![1]! / det, -m[0]![1]! / det], [-m[1]![0]! / det, m[0]![0]! / det]];
  const [tx, ty] = p.translate;
  const bx = -(inv[0]![0]! * tx + inv[0]![1]! * ty);
  const by = -(inv[1]![0]! * tx + inv[1]![1]! * ty);
  // Pixel (centred) → normalised coordinates: u = x·W/2, v = y·H/2.
  return [
    [inv[0]![0]!, (inv[0]![1]! * h) / w, (2 * bx) / w],
    [(inv[1]![0]! * w) / h, inv[1]![1]!, (2 * by) / h],
  ];
}

function range(op: string, name: string, v: number | [number, number] | undefined, sym: boolean, dflt: [number, number]): [number, number] {
  if (v === undefined) return dflt;
  const r: [number, number] = typeof v === 'number' ? (sym ? [-Math.abs(v), Math.abs(v)] : [v, v]) : v;
  if (!r.every(Number.isFinite) || r[0] > r[1]) throw new Error(`${op}: ${name} must be finite with min ≤ max, got ${JSON.stringify(v)}`);
  return r;
}

/**
 * Random affine transform per image (parameters drawn on the host from `generator`, 6 uniforms per image).
 *
 * @example
 * const { images, params } = await randomAffine(x, { degrees: 15, scale: [1, 1.2], generator: new Generator(1) });
 */
export async function randomAffine(x: Tensor, options: RandomAffineOptions = {}): Promise<GeometryResult<AffineParams[]>> {
  const op = 'randomAffine';
  const [n, , h, w] = check4d(op, x);
  checkMasks(op, x, options.masks);
  const deg = range(op, 'degrees', options.degrees, true, [0, 0]);
  const [ta, tb] = options.translate ?? [0, 0];
  if (!(ta >= 0 && ta <= 1 && tb >= 0 && tb <= 1)) throw new Error(`${op}: translate fractions must be in [0, 1], got ${JSON.stringify(options.translate)}`);
  const sc = range(op, 'scale', options.scale, false, [1, 1]);
  if (sc[0] <= 0) throw new Error(`${op}: scale must be positive, got ${JSON.stringify(options.scale)}`);
  const sh = options.shear;
  const shx = range(op, 'shear', Array.isArray(sh) && sh.length === 4 ? [sh[0], sh[1]] : (sh as number | [number, number] | undefined), true, [0, 0]);
  const shy: [number, number] = Array.isArray(sh) && sh.length === 4 ? range(op, 'shear', [sh[2], sh[3]], true, [0, 0]) : [0, 0];
  const u = await drawUniform(6 * n, options.generator);
  const lerp = (r: [number, number], t: number) => r[0] + (r[1] - r[0]) * t;
  const params: AffineParams[] = [];
  for (let i = 0; i < n; i++) {
    const q = u.slice(6 * i, 6 * i + 6) as [number, number, number, number, number, number];
    const p = {
      angle: lerp(deg, q[0]),
      translate: [Math.round(lerp([-ta * w, ta * w], q[1])), Math.round(lerp([-tb * h, tb * h], q[2]))] as [number, number],
      scale: lerp(sc, q[3]),
      shear: [lerp(shx, q[4]), lerp(shy, q[5])] as [number, number],
    };
    params.push({ ...p, theta: affineMatrix(p, h, w) });
  }
  const r = affine(x, params.map((p) => p.theta), { fill: options.fill, masks: options.masks });
  return { ...r, params };
}

/** Mirrors left ↔ right (masks too). @example hflip(x).images */
export function hflip(x: Tensor, masks?: Tensor): GeometryResult {
  check4d('hflip', x);
  checkMasks('hflip', x, masks);
  return masks ? { images: flip(x, 3), masks: flip(masks, 3), params: undefined } : { images: flip(x, 3), params: undefined };
}

/** Mirrors top ↔ bottom (masks too). @example vflip(x).images */
export function vflip(x: Tensor, masks?: Tensor): GeometryResult {
  check4d('vflip', x);
  checkMasks('vflip', x, masks);
  return masks ? { images: flip(x, 2), masks: flip(masks, 2), params: undefined } : { images: flip(x, 2), params: undefined };
}

function rot90One(t: Tensor, k: number): Tensor {
  if (k === 0) return clone(t);
  if (k === 2) return flip(t, [2, 3]);
  const f = flip(t, k === 1 ? 3 : 2);
  const r = transpose(f, 2, 3);
  f.dispose();
  return r;
}

/**
 * Rotates by k·90° counter-clockwise like torch.rot90(x, k, [2, 3]); k may be negative.
 *
 * @example
 * const y = rot90(x, 1).images; // [N, C, W, H]
 */
export function rot90(x: Tensor, k: number, masks?: Tensor): GeometryResult {
  check4d('rot90', x);
  checkMasks('rot90', x, masks);
  if (!Number.isInteger(k)) throw new Error(`rot90: k must be an integer, got ${k}`);
  const kk = ((k % 4) + 4) % 4;
  return masks ? { images: rot90One(x, kk), masks: rot90One(masks, kk), params: undefined } : { images: rot90One(x, kk), params: undefined };
}

function cropAt(t: Tensor, top: number, left: number, ch: number, cw: number): Tensor {
  const a = slice(t, 2, top, top + ch);
  const b = slice(a, 3, left, left + cw);
  a.dispose();
  return b;
}

function cropSize(op: string, x: Tensor, size: number | [number, number]): [number, number] {
  const [ch, cw] = typeof size === 'number' ? [size, size] : size;
  const [h, w] = [x.shape[2]!, x.shape[3]!];
  if (!Number.isInteger(ch) || !Number.isInteger(cw) || ch < 1 || cw < 1 || ch > h || cw > w) {
    throw new Error(`${op}: crop size ${ch}×${cw} must be positive integers no larger than the image ${h}×${w}`);
  }
  return [ch, cw];
}

/**
 * Crops the central `size` (torchvision rounding: top = round((H − h)/2)).
 *
 * @example
 * centerCrop(x, [32, 32]).images;
 */
export function centerCrop(x: Tensor, size: number | [number, number], masks?: Tensor): GeometryResult {
  check4d('centerCrop', x);
  checkMasks('centerCrop', x, masks);
  const [ch, cw] = cropSize('centerCrop', x, size);
  const top = Math.round((x.shape[2]! - ch) / 2);
  const left = Math.round((x.shape[3]! - cw) / 2);
  const images = cropAt(x, top, left, ch, cw);
  return masks ? { images, masks: cropAt(masks, top, left, ch, cw), params: undefined } : { images, params: undefined };
}

/** Centre crop to the largest square (side = min(H, W)). @example cropToSquare(x).images */
export function cropToSquare(x: Tensor, masks?: Tensor): GeometryResult {
  const [, , h, w] = check4d('cropToSquare', x);
  return centerCrop(x, Math.min(h, w), masks);
}

/**
 * Crops `size` at an independent random offset per image (2 uniforms per image from `generator`).
 *
 * @example
 * const { images, params } = await randomCrop(x, 24, { generator: new Generator(3) });
 */
export async function randomCrop(
  x: Tensor, size: number | [number, number], options: { generator?: Generator; masks?: Tensor } = {},
): Promise<GeometryResult<{ top: number; left: number }[]>> {
  const [n, , h, w] = check4d('randomCrop', x);
  checkMasks('randomCrop', x, options.masks);
  const [ch, cw] = cropSize('randomCrop', x, size);
  const u = await drawUniform(2 * n, options.generator);
  const params = Array.from({ length: n }, (_, i) => ({
    top: Math.min(h - ch, Math.floor(u[2 * i]! * (h - ch + 1))),
    left: Math.min(w - cw, Math.floor(u[2 * i + 1]! * (w - cw + 1))),
  }));
  const per = (t: Tensor) => {
    const parts = params.map((p, i) => {
      const one = slice(t, 0, i, i + 1);
      const c = cropAt(one, p.top, p.left, ch, cw);
      one.dispose();
      return c;
    });
    const out = cat(parts, 0);
    for (const p of parts) p.dispose();
    return out;
  };
  const images = per(x);
  return options.masks ? { images, masks: per(options.masks), params } : { images, params };
}

/**
 * Resizes to `size` [H, W] with bilinear or bicubic interpolation (optionally antialiased, like
 * torch interpolate with antialias); masks use nearest.
 *
 * @example
 * resize(x, [64, 64], { mode: 'bicubic', antialias: true }).images;
 */
export function resize(
  x: Tensor, size: number | [number, number], options: { mode?: 'bilinear' | 'bicubic'; antialias?: boolean; masks?: Tensor } = {},
): GeometryResult {
  check4d('resize', x);
  checkMasks('resize', x, options.masks);
  const s: [number, number] = typeof size === 'number' ? [size, size] : size;
  if (!s.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`resize: size must be positive integers, got ${JSON.stringify(size)}`);
  const mode = options.mode ?? 'bilinear';
  if (mode !== 'bilinear' && mode !== 'bicubic') throw new Error(`resize: unknown mode '${String(mode)}'`);
  const images = interpolate(x, { size: s, mode, alignCorners: false, antialias: options.antialias ?? false });
  const masks = options.masks ? interpolate(options.masks, { size: s, mode: 'nearest' }) : undefined;
  return masks ? { images, masks, params: undefined } : { images, params: undefined };
}
