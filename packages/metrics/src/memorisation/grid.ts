// A picture of the memorisation check: rows of (generated image | its closest training image) for a reviewer to look at,
// as 8-bit RGB pixels (the CLI writes them as a PNG next to its JSON).
import { type Tensor, interpolate, noGrad, tidy } from '@radix/tensor-webgpu';

/** An RGB image as 8-bit interleaved pixels. */
export interface RgbImage {
  width: number;
  height: number;
  /** width × height × 3 bytes, row-major RGB. */
  data: Uint8Array;
}

/** Options of {@link pairsGrid}. */
export interface PairsGridOptions {
  /** Side of each cell in pixels (default 96). */
  cell?: number;
  /** Gap between cells in pixels (default 4, white). */
  gap?: number;
}

/**
 * Lays out image pairs [[generated, training], …] (each a [1, C, H, W] or [C, H, W] tensor in [0, 1], C = 1 or 3) as a
 * grid with one pair per row, every image resized (bilinear) to `cell` × `cell`.
 *
 * @example
 * const png = pairsGrid([[fake0, train12], [fake3, train40]]); // { width, height, data }
 */
export async function pairsGrid(pairs: readonly (readonly [Tensor, Tensor])[], options: PairsGridOptions = {}): Promise<RgbImage> {
  const cell = options.cell ?? 96;
  const gap = options.gap ?? 4;
  if (pairs.length === 0) throw new Error('pairsGrid: no pairs');
  if (!Number.isInteger(cell) || cell < 1 || !Number.isInteger(gap) || gap < 0) throw new Error('pairsGrid: cell must be a positive integer and gap a non-negative one');
  const width = 2 * cell + 3 * gap;
  const height = pairs.length * cell + (pairs.length + 1) * gap;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let r = 0; r < pairs.length; r++) {
    for (let c = 0; c < 2; c++) {
      const img = pairs[r]![c]!;
      const x4 = img.ndim === 3 ? img.unsqueeze(0) : img;
      if (x4.ndim !== 4 || (x4.shape[1] !== 1 && x4.shape[1] !== 3)) throw new Error(`pairsGrid: image ${r}/${c} must be [1, C, H, W] with C = 1 or 3, got [${img.shape.join(', ')}]`);
      const t = noGrad(() => tidy(() => interpolate(x4.narrow(0, 0, 1), { size: [cell, cell], mode: 'bilinear', alignCorners: false }).clamp(0, 1)));
      const px = (await t.data()) as Float32Array;
      t.dispose();
      if (x4 !== img) x4.dispose();
      const ch = x4.shape[1]!;
      const ox = gap + c * (cell + gap);
      const oy = gap + r * (cell + gap);
      for (let y = 0; y < cell; y++) {
        for (let x = 0; x < cell; x++) {
          for (let k = 0; k < 3; k++) {
            const v = px[(ch === 1 ? 0 : k) * cell * cell + y * cell + x]!;
            data[((oy + y) * width + ox + x) * 3 + k] = Math.round(v * 255);
          }
        }
      }
    }
  }
  return { width, height, data };
}
