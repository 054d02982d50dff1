// PNG encoding of patches for the report and for generated-image folders: one patch, or a grid of patches with a
// one-pixel gap, each pixel repeated `scale` times so 32×32 patches stay visible.
import { PNG } from 'pngjs';

/**
 * Encodes one CHW float patch in [0, 1] as an RGB PNG.
 *
 * @example
 * writeFileSync('p.png', patchToPng(ds.train.images.subarray(0, 3 * 32 * 32), 32));
 */
export function patchToPng(chw: Float32Array, size: number, scale = 1): Uint8Array {
  return gridToPng([chw], size, { cols: 1, scale, gap: 0 });
}

/**
 * Tiles CHW float patches (in [0, 1]) into one PNG, `cols` per row, with `gap` pixels of white between them.
 *
 * @example
 * const png = gridToPng(patches, 32, { cols: 8, scale: 2 });
 */
export function gridToPng(patches: readonly Float32Array[], size: number, options: { cols?: number; scale?: number; gap?: number } = {}): Uint8Array {
  const n = Math.max(1, patches.length);
  const cols = Math.min(options.cols ?? 8, n);
  const rows = Math.ceil(n / cols);
  const s = options.scale ?? 1;
  const gap = options.gap ?? 1;
  const cell = size * s + gap;
  const width = cols * cell - gap;
  const height = rows * cell - gap;
  const png = new PNG({ width, height, colorType: 2, inputHasAlpha: true });
  png.data.fill(255);
  const plane = size * size;
  patches.forEach((chw, k) => {
    const ox = (k % cols) * cell;
    const oy = Math.floor(k / cols) * cell;
    for (let y = 0; y < size * s; y++) {
      for (let x = 0; x < size * s; x++) {
        const src = Math.floor(y / s) * size + Math.floor(x / s);
        const dst = ((oy + y) * width + ox + x) * 4;
        for (let c = 0; c < 3; c++) png.data[dst + c] = Math.round(Math.min(1, Math.max(0, chw[c * plane + src]!)) * 255);
        png.data[dst + 3] = 255;
      }
    }
  });
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}
