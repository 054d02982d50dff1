// Writes sampled images as one 8-bit PNG each, named by their absolute index in the sequence, so shards of one run
// land side by side in one folder without clashing.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Tensor, atomicWriteFile } from '@radix/tensor-webgpu';
import pngjs from 'pngjs';

/** Options of {@link writeSamplePngs}. */
export interface WriteSamplePngsOptions {
  /** Absolute index of the first image (default 0): image k is written as `${prefix}${firstIndex + k}.png`. */
  firstIndex?: number;
  /** File name prefix (default 'sample-'). */
  prefix?: string;
  /** Zero-padded digits of the index (default 6). */
  digits?: number;
}

/**
 * Writes images [N, C, H, W] with values in [0, 1] (C = 1: grayscale, C = 3: RGB; values are clamped and rounded to
 * 8 bits) as `dir/sample-000000.png`, … atomically (temporary file + rename), creating `dir`. Returns the paths.
 *
 * @example
 * const images = await sample({ model: unet, scheduler, n: 8, seed: 1 });
 * await writeSamplePngs(images, 'out/samples'); // out/samples/sample-000000.png … sample-000007.png
 */
export async function writeSamplePngs(images: Tensor, dir: string, options: WriteSamplePngsOptions = {}): Promise<string[]> {
  if (images.ndim !== 4 || (images.shape[1] !== 1 && images.shape[1] !== 3)) {
    throw new Error(`writeSamplePngs: expected images [N, 1 or 3, H, W], got [${images.shape.join(', ')}]`);
  }
  const first = options.firstIndex ?? 0;
  const digits = options.digits ?? 6;
  const prefix = options.prefix ?? 'sample-';
  if (!Number.isInteger(first) || first < 0) throw new Error(`writeSamplePngs: firstIndex must be a non-negative integer, got ${first}`);
  if (/[\\/]/.test(prefix)) throw new Error(`writeSamplePngs: prefix must not contain path separators, got '${prefix}'`);
  const [n, c, h, w] = images.shape as [number, number, number, number];
  const px = (await images.data()) as Float32Array;
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (let i = 0; i < n; i++) {
    const png = new pngjs.PNG({ width: w, height: h, colorType: c === 1 ? 0 : 2, inputColorType: 2, inputHasAlpha: false });
    const rgba = Buffer.alloc(w * h * 4, 255);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = (y * w + x) * 4;
        for (let k = 0; k < 3; k++) {
          const v = px[((i * c + (c === 1 ? 0 : k)) * h + y) * w + x]!;
          rgba[o + k] = Math.round(Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v)) * 255);
        }
      }
    }
    png.data = rgba;
    const path = join(dir, `${prefix}${String(first + i).padStart(digits, '0')}.png`);
    await atomicWriteFile(path, [pngjs.PNG.sync.write(png, { colorType: c === 1 ? 0 : 2 })]);
    paths.push(path);
  }
  return paths;
}
