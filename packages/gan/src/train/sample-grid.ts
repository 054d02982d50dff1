// Per-class sample grids: a fixed set of latents rendered by a generator, one row per class, as 8-bit RGB pixels and
// PNG bytes (what the trainer writes every few kimg and `radix sample` writes per class).
import { type Backend, Generator, type Tensor, cat, noGrad, randn, tensor, tidy } from '@radix/tensor-webgpu';
import { PNG } from 'pngjs';
import type { NoiseMode } from '../networks/synthesis-layer.js';
import type { GeneratorLike } from './contract.js';

/** An RGB image as 8-bit interleaved pixels. */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major RGB. */
  data: Uint8Array;
}

/** Options of {@link generateImages}. */
export interface GenerateOptions {
  /** Seed of the latents (default 0). */
  seed?: number;
  /** Truncation ψ (default 1 = none). */
  truncationPsi?: number;
  noiseMode?: NoiseMode;
  /** Images per forward pass (default 16). */
  chunk?: number;
}

/**
 * Generates one image per label (null labels for an unconditional G) in [0, 1], shape [N, C, R, R]. Latents come
 * from `seed`: the same seed and labels give the same images.
 *
 * @example
 * const imgs = generateImages(gEma, [0, 0, 1, 1], { seed: 3, truncationPsi: 0.7 });
 */
export function generateImages(G: GeneratorLike, labels: readonly (number | null)[], options: GenerateOptions = {}): Tensor {
  const n = labels.length;
  if (n === 0) throw new Error('generateImages: no labels');
  const backend = G.parameters()[0]?.backend;
  const chunk = options.chunk ?? 16;
  return noGrad(() => tidy(() => {
    const z = randn([n, G.zDim], { backend, generator: new Generator(options.seed ?? 0) });
    const parts: Tensor[] = [];
    for (let s = 0; s < n; s += chunk) {
      const e = Math.min(n, s + chunk);
      const c = G.cDim > 0 ? oneHot(labels.slice(s, e), G.cDim, backend) : null;
      const ws = G.mapping(z.slice(0, s, e), c, { truncationPsi: options.truncationPsi ?? 1, updateEmas: false });
      parts.push(G.synthesis(ws, { noiseMode: options.noiseMode ?? 'const' }).add(1).mul(0.5).clamp(0, 1));
    }
    return parts.length === 1 ? parts[0]! : cat(parts, 0);
  }));
}

/**
 * One-hot rows [N, cDim] for class indices (an empty [N, 0] tensor for unconditional models).
 *
 * @example
 * oneHot([2, 0], 3); // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(labels: readonly (number | null)[], cDim: number, backend?: Backend): Tensor {
  const data = new Float32Array(labels.length * cDim);
  labels.forEach((l, i) => {
    if (cDim === 0) return;
    if (l === null || !Number.isInteger(l) || l < 0 || l >= cDim) throw new Error(`oneHot: label ${String(l)} is not a class index in [0, ${cDim})`);
    data[i * cDim + l] = 1;
  });
  return tensor(data, { shape: [labels.length, cDim], backend });
}

/**
 * Tiles [rows·cols, C, H, W] images in [0, 1] (C = 1 or 3) into one RGB picture, row-major, with a 2-pixel white gap.
 *
 * @example
 * const grid = await tileImages(imgs, 3, 8);
 * writeFileSync('grid.png', encodePng(grid));
 */
export async function tileImages(images: Tensor, rows: number, cols: number, gap = 2): Promise<RgbImage> {
  const [n, ch, h, w] = images.shape as [number, number, number, number];
  if (images.ndim !== 4 || (ch !== 1 && ch !== 3)) throw new Error(`tileImages: expected [N, 1|3, H, W] images, got [${images.shape.join(', ')}]`);
  if (n !== rows * cols) throw new Error(`tileImages: ${n} images do not fill ${rows}×${cols}`);
  const px = await images.data();
  const width = cols * w + (cols + 1) * gap;
  const height = rows * h + (rows + 1) * gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let i = 0; i < n; i++) {
    const ox = gap + (i % cols) * (w + gap);
    const oy = gap + Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < 3; k++) {
      const v = px[((i * ch + (ch === 1 ? 0 : k)) * h + y) * w + x]!;
      data[((oy + y) * width + ox + x) * 3 + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return { width, height, data };
}

/**
 * PNG bytes of an RGB image (8-bit, opaque).
 *
 * @example
 * await writeFileAtomic('grid.png', encodePng(grid));
 */
export function encodePng(img: RgbImage): Uint8Array {
  const png = new PNG({ width: img.width, height: img.height });
  for (let i = 0; i < img.width * img.height; i++) {
    png.data[4 * i] = img.data[3 * i]!;
    png.data[4 * i + 1] = img.data[3 * i + 1]!;
    png.data[4 * i + 2] = img.data[3 * i + 2]!;
    png.data[4 * i + 3] = 255;
  }
  return new Uint8Array(PNG.sync.write(png));
}
