// Colour and noise operations on NCHW batches with torchvision.transforms.functional's float definitions
// (brightness, contrast, saturation, hue via RGB↔HSV, gamma), Gaussian noise/blur and cutout.
import {
  type Generator, type Tensor, add, cat, clamp, conv2d, div, eq, floor, logicalAnd, maximum, mean, minimum, mul, ne, pad,
  pow, randn, remainder, slice, sub, sum, tensor, tidy, where,
} from '@radix/tensor-webgpu';
import { check4d, drawUniform } from './geometry.js';

/** A factor for the whole batch or one per image. */
export type Factor = number | readonly number[];

function factorTensor(op: string, x: Tensor, f: Factor, min = -Infinity): Tensor {
  const n = x.shape[0]!;
  const a = typeof f === 'number' ? [f] : [...f];
  if (typeof f !== 'number' && a.length !== n) throw new Error(`${op}: expected ${n} per-image factors, got ${a.length}`);
  if (a.some((v) => !Number.isFinite(v) || v < min)) throw new Error(`${op}: factors must be finite and ≥ ${min}, got ${JSON.stringify(f)}`);
  return tensor(a, { shape: [a.length, 1, 1, 1], backend: x.backend });
}

function rgb(op: string, x: Tensor): void {
  check4d(op, x);
  if (x.shape[1] !== 3) throw new Error(`${op}: expects RGB images (3 channels), got shape [${x.shape.join(', ')}]`);
}

/** img·(1 − r) + other·r, clamped to [0, 1] like torchvision's _blend for float images. */
function blend(img: Tensor, other: Tensor, ratio: Tensor): Tensor {
  return clamp(add(mul(img, ratio), mul(other, sub(1, ratio))), 0, 1);
}

/**
 * Luma (N, 1, H, W) with torchvision's weights 0.2989 R + 0.587 G + 0.114 B.
 *
 * @example
 * const g = grayscale(x);
 */
export function grayscale(x: Tensor): Tensor {
  rgb('grayscale', x);
  return tidy(() => {
    const w = tensor([0.2989, 0.587, 0.114], { shape: [1, 3, 1, 1], backend: x.backend });
    return sum(mul(x, w), 1, true);
  });
}

/**
 * Multiplies by `factor` (0 gives black) and clamps to [0, 1] (torchvision adjust_brightness).
 *
 * @example
 * adjustBrightness(x, 1.2);
 */
export function adjustBrightness(x: Tensor, factor: Factor): Tensor {
  check4d('adjustBrightness', x);
  return tidy(() => clamp(mul(x, factorTensor('adjustBrightness', x, factor, 0)), 0, 1));
}

/**
 * Blends with the mean grayscale value of each image (torchvision adjust_contrast).
 *
 * @example
 * adjustContrast(x, [0.8, 1.3]);
 */
export function adjustContrast(x: Tensor, factor: Factor): Tensor {
  rgb('adjustContrast', x);
  return tidy(() => blend(x, mean(grayscale(x), [1, 2, 3], true), factorTensor('adjustContrast', x, factor, 0)));
}

/**
 * Blends with the grayscale image (0 gives grey, torchvision adjust_saturation).
 *
 * @example
 * adjustSaturation(x, 1.5);
 */
export function adjustSaturation(x: Tensor, factor: Factor): Tensor {
  rgb('adjustSaturation', x);
  return tidy(() => blend(x, grayscale(x), factorTensor('adjustSaturation', x, factor, 0)));
}

/**
 * gain · x^gamma clamped to [0, 1] (torchvision adjust_gamma for float images).
 *
 * @example
 * adjustGamma(x, 2.2);
 */
export function adjustGamma(x: Tensor, gamma: Factor, gain = 1): Tensor {
  check4d('adjustGamma', x);
  if (!Number.isFinite(gain)) throw new Error(`adjustGamma: gain must be finite, got ${gain}`);
  return tidy(() => clamp(mul(pow(x, factorTensor('adjustGamma', x, gamma, 0)), gain), 0, 1));
}

function channel(x: Tensor, i: number): Tensor {
  return slice(x, 1, i, i + 1);
}

/**
 * Shifts the hue by `factor` ∈ [−0.5, 0.5] of a turn through RGB → HSV → RGB (torchvision adjust_hue).
 *
 * @example
 * adjustHue(x, 0.1);
 */
export function adjustHue(x: Tensor, factor: Factor): Tensor {
  rgb('adjustHue', x);
  const f = typeof factor === 'number' ? [factor] : factor;
  if (f.some((v) => !(v >= -0.5 && v <= 0.5))) throw new Error(`adjustHue: factor must be in [-0.5, 0.5], got ${JSON.stringify(factor)}`);
  return tidy(() => {
    const [r, g, b] = [channel(x, 0), channel(x, 1), channel(x, 2)];
    const maxc = maximum(maximum(r, g), b);
    const minc = minimum(minimum(r, g), b);
    const eqc = eq(maxc, minc);
    const cr = sub(maxc, minc);
    const s = div(cr, where(eqc, 1, maxc));
    const crd = where(eqc, 1, cr);
    const [rc, gc, bc] = [div(sub(maxc, r), crd), div(sub(maxc, g), crd), div(sub(maxc, b), crd)];
    const isR = eq(maxc, r);
    const notR = ne(maxc, r);
    const hr = where(isR, sub(bc, gc), 0);
    const hg = where(logicalAnd(eq(maxc, g), notR), add(sub(rc, bc), 2), 0);
    const hb = where(logicalAnd(ne(maxc, g), notR), add(sub(gc, rc), 4), 0);
    const h0 = remainder(add(div(add(add(hr, hg), hb), 6), 1), 1);
    const h = remainder(add(h0, factorTensor('adjustHue', x, factor)), 1);
    // HSV → RGB.
    const h6 = mul(h, 6);
    const i6 = floor(h6);
    const fr = sub(h6, i6);
    const i = remainder(i6, 6);
    const v = maxc;
    const p = clamp(mul(v, sub(1, s)), 0, 1);
    const q = clamp(mul(v, sub(1, mul(s, fr))), 0, 1);
    const t = clamp(mul(v, sub(1, mul(s, sub(1, fr)))), 0, 1);
    const pick = (vals: Tensor[]) => vals.reduceRight((acc: Tensor, val, k) => where(eq(i, k), val, acc), vals[5]!);
    const out = [pick([v, q, p, p, t, v]), pick([t, v, v, q, p, p]), pick([p, p, t, v, v, q])];
    return cat(out, 1);
  });
}

/**
 * Adds N(mean, std²) noise drawn from `generator` on the images' device; `clip` clamps to [0, 1].
 *
 * @example
 * gaussianNoise(x, { std: 0.05, generator: new Generator(1) });
 */
export function gaussianNoise(x: Tensor, options: { std: number; mean?: number; clip?: boolean; generator?: Generator }): Tensor {
  check4d('gaussianNoise', x);
  const { std } = options;
  const m = options.mean ?? 0;
  if (!(std >= 0) || !Number.isFinite(std) || !Number.isFinite(m)) throw new Error(`gaussianNoise: std must be ≥ 0 and finite, mean finite, got std ${std}, mean ${m}`);
  return tidy(() => {
    const y = add(x, randn([...x.shape], { backend: x.backend, generator: options.generator, mean: m, std }));
    return options.clip ? clamp(y, 0, 1) : y;
  });
}

/**
 * torchvision's 1-D Gaussian kernel: exp(−½(t/σ)²) at t = linspace(−(k−1)/2, (k−1)/2, k), normalised.
 *
 * @example
 * gaussianKernel1d(5, 1.0); // 5 weights summing to 1
 */
export function gaussianKernel1d(k: number, sigma: number): number[] {
  const half = (k - 1) / 2;
  const w = Array.from({ length: k }, (_, i) => Math.exp(-0.5 * ((-half + i) / sigma) ** 2));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}

/**
 * Separable depthwise Gaussian blur with reflect padding like torchvision gaussian_blur; `kernelSize`
 * and `sigma` are (x, y) pairs or one value for both; kernel sizes must be odd and positive.
 *
 * @example
 * gaussianBlur(x, [5, 5], [1.5, 1.5]);
 */
export function gaussianBlur(x: Tensor, kernelSize: number | [number, number], sigma: number | [number, number]): Tensor {
  const [, c, h, w] = check4d('gaussianBlur', x);
  const [kx, ky] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  const [sx, sy] = typeof sigma === 'number' ? [sigma, sigma] : sigma;
  if (![kx, ky].every((k) => Number.isInteger(k) && k > 0 && k % 2 === 1)) throw new Error(`gaussianBlur: kernel sizes must be odd positive integers, got ${JSON.stringify(kernelSize)}`);
  if (![sx, sy].every((s) => Number.isFinite(s) && s > 0)) throw new Error(`gaussianBlur: sigma must be positive, got ${JSON.stringify(sigma)}`);
  const [px, py] = [(kx - 1) / 2, (ky - 1) / 2];
  if (px >= w || py >= h) throw new Error(`gaussianBlur: reflect padding ${py}×${px} needs an image larger than ${h}×${w}`);
  return tidy(() => {
    const wx = tensor(Array.from({ length: c }, () => gaussianKernel1d(kx, sx)).flat(), { shape: [c, 1, 1, kx], backend: x.backend });
    const wy = tensor(Array.from({ length: c }, () => gaussianKernel1d(ky, sy)).flat(), { shape: [c, 1, ky, 1], backend: x.backend });
    const padded = pad(x, [px, px, py, py], 'reflect');
    return conv2d(conv2d(padded, wx, null, { groups: c }), wy, null, { groups: c });
  });
}

/**
 * Coarse dropout: fills `count` random `size` boxes per image with `fill` (boxes may be clipped at the border;
 * 4 uniforms per box from `generator`). Returns the images and the boxes drawn.
 *
 * @example
 * const { images } = await cutout(x, { size: [8, 8], count: 2, generator: new Generator(1) });
 */
export async function cutout(
  x: Tensor, options: { size: number | [number, number]; count?: number; fill?: number; generator?: Generator },
): Promise<{ images: Tensor; boxes: { top: number; left: number; height: number; width: number }[][] }> {
  const [n, , h, w] = check4d('cutout', x);
  const [bh, bw] = typeof options.size === 'number' ? [options.size, options.size] : options.size;
  const count = options.count ?? 1;
  const fill = options.fill ?? 0;
  if (![bh, bw].every((d) => Number.isInteger(d) && d > 0)) throw new Error(`cutout: size must be positive integers, got ${JSON.stringify(options.size)}`);
  if (!Number.isInteger(count) || count < 0) throw new Error(`cutout: count must be a non-negative integer, got ${count}`);
  if (!Number.isFinite(fill)) throw new Error(`cutout: fill must be finite, got ${fill}`);
  const u = await drawUniform(2 * n * count, options.generator);
  const keep = new Float32Array(n * h * w).fill(1);
  const boxes = Array.from({ length: n }, (_, i) => Array.from({ length: count }, (_, j) => {
    // Box centre uniform over the image (like DeVries & Taylor's cutout), clipped at the borders.
    const cy = Math.floor(u[2 * (i * count + j)]! * h);
    const cx = Math.floor(u[2 * (i * count + j) + 1]! * w);
    const top = Math.max(0, cy - Math.floor(bh / 2));
    const left = Math.max(0, cx - Math.floor(bw / 2));
    const bottom = Math.min(h, cy - Math.floor(bh / 2) + bh);
    const right = Math.min(w, cx - Math.floor(bw / 2) + bw);
    for (let y = top; y < bottom; y++) for (let xx = left; xx < right; xx++) keep[i * h * w + y * w + xx] = 0;
    return { top, left, height: bottom - top, width: right - left };
  }));
  const images = tidy(() => {
    const k = tensor(keep, { shape: [n, 1, h, w], backend: x.backend });
    return add(mul(x, k), mul(sub(1, k), fill));
  });
  return { images, boxes };
}
