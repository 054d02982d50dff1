// The three image-resize conventions of the FID tools (pytorch-fid, torch-fidelity, clean-fid), so Inception
// features — and the FID built on them — can be matched to the tool a published number came from.
import { interpolate, mul, tensor, type Tensor } from '@radix/tensor-webgpu';

/** `'pytorch-bilinear'` (pytorch-fid), `'tf1-bilinear'` (torch-fidelity), `'pil-bicubic'` (clean-fid). */
export type InceptionResize = 'pytorch-bilinear' | 'tf1-bilinear' | 'pil-bicubic';

/** Resize conventions accepted by {@link resizeImages}. */
export const INCEPTION_RESIZES: readonly InceptionResize[] = Object.freeze(['pytorch-bilinear', 'tf1-bilinear', 'pil-bicubic']);

/** Applies a 1-D resampling (`taps[o]` = list of [index, weight]) along H then W of NCHW `src`, float32 between passes. */
function separable(
  src: Float32Array, n: number, h: number, w: number, oh: number, ow: number,
  rows: [number, number][][], cols: [number, number][][], order: 'hw' | 'wh',
): Float32Array {
  const planes = n;
  if (order === 'hw') {
    const tmp = new Float32Array(planes * oh * w);
    for (let p = 0; p < planes; p++) for (let y = 0; y < oh; y++) for (let x = 0; x < w; x++) {
      let s = 0;
      for (const [i, k] of rows[y]!) s += src[(p * h + i) * w + x]! * k;
      tmp[(p * oh + y) * w + x] = s;
    }
    const out = new Float32Array(planes * oh * ow);
    for (let p = 0; p < planes; p++) for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
      let s = 0;
      for (const [i, k] of cols[x]!) s += tmp[(p * oh + y) * w + i]! * k;
      out[(p * oh + y) * ow + x] = s;
    }
    return out;
  }
  const tmp = new Float32Array(planes * h * ow);
  for (let p = 0; p < planes; p++) for (let y = 0; y < h; y++) for (let x = 0; x < ow; x++) {
    let s = 0;
    for (const [i, k] of cols[x]!) s += src[(p * h + y) * w + i]! * k;
    tmp[(p * h + y) * ow + x] = s;
  }
  const out = new Float32Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) {
    let s = 0;
    for (const [i, k] of rows[y]!) s += tmp[(p * h + i) * ow + x]! * k;
    out[(p * oh + y) * ow + x] = s;
  }
  return out;
}

/** TF1 legacy bilinear taps (align_corners=False, no half-pixel): src = dst·in/out, neighbours floor and floor+1 clamped. */
function tf1Taps(inSize: number, outSize: number): [number, number][][] {
  const scale = inSize / outSize;
  const taps: [number, number][][] = [];
  for (let o = 0; o < outSize; o++) {
    const s = Math.fround(o * Math.fround(scale));
    const lo = Math.min(Math.floor(s), inSize - 1);
    const hi = Math.min(lo + 1, inSize - 1);
    const f = s - lo;
    taps.push([[lo, 1 - f], [hi, f]]);
  }
  return taps;
}

/** PIL's bicubic kernel (a = −0.5). */
function bicubic(x: number): number {
  const a = -0.5;
  x = Math.abs(x);
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** PIL's antialiased resampling coefficients (ImagingResample's precompute_coeffs) for bicubic, support 2 · max(scale, 1). */
function pilTaps(inSize: number, outSize: number): [number, number][][] {
  const scale = inSize / outSize;
  const filterscale = Math.max(scale, 1);
  const support = 2 * filterscale;
  const taps: [number, number][][] = [];
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    const ss = 1 / filterscale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const t: [number, number][] = [];
    let ww = 0;
    for (let x = xmin; x < xmax; x++) {
      const k = bicubic((x - center + 0.5) * ss);
      t.push([x, k]);
      ww += k;
    }
    if (ww !== 0) for (const e of t) e[1] /= ww;
    taps.push(t);
  }
  return taps;
}

/** The identity taps (PIL skips a pass whose size does not change). */
const identity = (n: number): [number, number][][] => Array.from({ length: n }, (_, i) => [[i, 1]] as [number, number][]);

/**
 * TF1 legacy bilinear resize (torch-fidelity's `interpolate_bilinear_2d_like_tensorflow1x`, align_corners=False)
 * of NCHW float32 data, on the CPU.
 *
 * @example
 * const y = tf1BilinearResize(data, [1, 3, 64, 64], 299, 299); // Float32Array of 3·299·299
 */
export function tf1BilinearResize(data: Float32Array, shape: readonly number[], oh: number, ow: number): Float32Array {
  const [n, c, h, w] = checkShape('tf1BilinearResize', data, shape, oh, ow);
  return separable(data, n * c, h, w, oh, ow, tf1Taps(h, oh), tf1Taps(w, ow), 'hw');
}

/**
 * clean-fid's resize: the input quantised to uint8 (round(255·x)), each channel resized as a PIL 'F' image with
 * `Image.BICUBIC` (antialiased, a = −0.5; horizontal pass first, float32 in between), clipped to [0, 255], back
 * on the [0, 1] scale. CPU.
 *
 * @example
 * const y = pilBicubicResize(data, [1, 3, 512, 512], 299, 299);
 */
export function pilBicubicResize(data: Float32Array, shape: readonly number[], oh: number, ow: number): Float32Array {
  const [n, c, h, w] = checkShape('pilBicubicResize', data, shape, oh, ow);
  const q = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.round(Math.min(Math.max(data[i]!, 0), 1) * 255);
  const rows = oh === h ? identity(h) : pilTaps(h, oh);
  const cols = ow === w ? identity(w) : pilTaps(w, ow);
  const out = separable(q, n * c, h, w, oh, ow, rows, cols, 'wh');
  for (let i = 0; i < out.length; i++) out[i] = Math.fround(Math.min(Math.max(out[i]!, 0), 255) / 255);
  return out;
}

function checkShape(fn: string, data: Float32Array, shape: readonly number[], oh: number, ow: number): [number, number, number, number] {
  if (shape.length !== 4) throw new Error(`${fn}: expected an NCHW shape, got [${shape.join(', ')}]`);
  const size = shape.reduce((a, b) => a * b, 1);
  if (size !== data.length) throw new Error(`${fn}: data has ${data.length} values, shape [${shape.join(', ')}] needs ${size}`);
  if (!(Number.isInteger(oh) && Number.isInteger(ow) && oh > 0 && ow > 0)) throw new Error(`${fn}: output size must be positive integers, got ${oh}×${ow}`);
  if (size === 0) throw new Error(`${fn}: empty input of shape [${shape.join(', ')}]`);
  return shape as unknown as [number, number, number, number];
}

/**
 * Resizes NCHW images in [0, 1] to `size`×`size` with one of the FID tools' conventions: pytorch-bilinear runs on
 * the tensor's backend (F.interpolate, align_corners=False, no antialias); the other two on the CPU.
 *
 * @example
 * const y = await resizeImages(x, 'pil-bicubic', 299);
 */
export async function resizeImages(x: Tensor, mode: InceptionResize, size: number): Promise<Tensor> {
  if (!INCEPTION_RESIZES.includes(mode)) throw new Error(`resizeImages: unknown resize '${String(mode)}' (expected ${INCEPTION_RESIZES.join(', ')})`);
  if (x.ndim !== 4) throw new Error(`resizeImages: expected NCHW input, got shape [${x.shape.join(', ')}]`);
  if (mode === 'pytorch-bilinear') {
    if (x.shape[2] === size && x.shape[3] === size) return mul(x, 1);
    return interpolate(x, { size: [size, size], mode: 'bilinear', alignCorners: false });
  }
  const data = (await x.data()) as Float32Array;
  const fn = mode === 'tf1-bilinear' ? tf1BilinearResize : pilBicubicResize;
  return tensor(fn(data, x.shape, size, size), { shape: [x.shape[0]!, x.shape[1]!, size, size], backend: x.backend });
}
