// Test-only helper: decodes the 8-bit non-interlaced PNG fixtures (gray or RGB) with node:zlib, and builds the
// reference inputs of fixtures/inception/FORMULA-WEIGHTS.md, so the tests need no image library.
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

/** Fixture folder of this family. */
export const FIXTURES = new URL('../../fixtures/inception/', import.meta.url);

/**
 * Decodes an 8-bit gray (type 0) or RGB (type 2) non-interlaced PNG to HWC uint8.
 *
 * @example
 * const { width, height, channels, data } = decodePng(readFileSync('camera.png'));
 */
export function decodePng(buf: Uint8Array): { width: number; height: number; channels: number; data: Uint8Array } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8;
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  while (pos < buf.length) {
    const len = dv.getUint32(pos);
    const type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    const body = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = dv.getUint32(pos + 8);
      height = dv.getUint32(pos + 12);
      const [depth, color, , , interlace] = body.subarray(8, 13);
      if (depth !== 8 || (color !== 0 && color !== 2) || interlace !== 0) throw new Error('decodePng: only 8-bit gray/RGB non-interlaced PNGs');
      channels = color === 0 ? 1 : 3;
    } else if (type === 'IDAT') idat.push(body);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? data[y * stride + x - channels]! : 0;
      const b = y > 0 ? data[(y - 1) * stride + x]! : 0;
      const c = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels]! : 0;
      let pred = 0;
      if (f === 1) pred = a;
      else if (f === 2) pred = b;
      else if (f === 3) pred = (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      data[y * stride + x] = (line[x]! + pred) & 255;
    }
  }
  return { width, height, channels, data };
}

/**
 * One reference input as NCHW float32 (uint8 / 255, N = 1): a crop of a fixture PNG, gray copied to 3 channels.
 *
 * @example
 * const { data, shape } = referenceInput('ihc_299_crop'); // shape [1, 3, 299, 299]
 */
export function referenceInput(name: 'ihc_299_crop' | 'ihc_full_512' | 'camera_64_gray'): { data: Float32Array; shape: number[] } {
  const [file, r0, c0, size] = {
    ihc_299_crop: ['ihc.png', 0, 0, 299], ihc_full_512: ['ihc.png', 0, 0, 512], camera_64_gray: ['camera.png', 100, 200, 64],
  }[name] as [string, number, number, number];
  const img = decodePng(readFileSync(new URL(file, FIXTURES)));
  const out = new Float32Array(3 * size * size);
  for (let ch = 0; ch < 3; ch++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    const src = ((r0 + y) * img.width + (c0 + x)) * img.channels + (img.channels === 1 ? 0 : ch);
    out[(ch * size + y) * size + x] = img.data[src]! / 255;
  }
  return { data: out, shape: [1, 3, size, size] };
}
