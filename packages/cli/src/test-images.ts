// Test-only helpers: write small PNG (pngjs, plus a hand-built palette PNG) and JPEG (jpeg-js) files with known pixels
// into temporary folders, so the CLI tests exercise the real decoders on real files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';

/**
 * A fresh temporary folder.
 *
 * @example
 * const dir = tempDir('real');
 */
export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `radix-cli-${label}-`));
}

/**
 * Deterministic 8-bit RGB pixels (interleaved, h·w·3) from a seed: a smooth pattern plus hashed noise.
 *
 * @example
 * const px = pattern(8, 8, 1);
 */
export function pattern(w: number, h: number, seed: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        const hash = Math.abs(Math.sin((x + 1) * 12.9898 + (y + 1) * 78.233 + (c + 1) * 37.719 + seed * 3.1)) * 43758.5453;
        out[(y * w + x) * 3 + c] = Math.floor(((x * 7 + y * 5 + c * 40 + seed * 11) % 200) + (hash % 1) * 55);
      }
    }
  }
  return out;
}

/**
 * Writes RGB pixels as a PNG of the given colour type (0 gray, 2 RGB, 4 gray+alpha, 6 RGBA) and bit depth. Gray
 * types store the red channel; alpha is opaque. 16-bit samples are the 8-bit ones times 257.
 *
 * @example
 * writePng('a.png', 4, 4, pattern(4, 4, 0));
 */
export function writePng(path: string, w: number, h: number, rgb: Uint8Array, colorType: 0 | 2 | 4 | 6 = 2, bitDepth: 8 | 16 = 8): void {
  const png = new PNG({ width: w, height: h });
  const max = bitDepth === 16 ? 65535 : 255;
  const rgba = bitDepth === 16 ? new Uint16Array(w * h * 4) : new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    const gray = colorType === 0 || colorType === 4;
    for (let c = 0; c < 3; c++) rgba[p * 4 + c] = rgb[p * 3 + (gray ? 0 : c)]! * (bitDepth === 16 ? 257 : 1);
    rgba[p * 4 + 3] = max;
  }
  png.data = Buffer.from(rgba.buffer);
  writeFileSync(path, PNG.sync.write(png, { colorType, bitDepth, inputColorType: 6, inputHasAlpha: true }));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * Writes an 8-bit palette PNG (colour type 3) from palette entries and per-pixel indices (pngjs cannot encode these).
 *
 * @example
 * writePalettePng('p.png', 2, 1, [[255, 0, 0], [0, 0, 255]], [0, 1]);
 */
export function writePalettePng(path: string, w: number, h: number, palette: [number, number, number][], indices: number[]): void {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 3;
  const raw = Buffer.alloc(h * (w + 1));
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw[y * (w + 1) + 1 + x] = indices[y * w + x]!;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  writeFileSync(path, Buffer.concat([sig, chunk('IHDR', ihdr), chunk('PLTE', Buffer.from(palette.flat())), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}

/**
 * Writes RGB pixels as a JPEG with jpeg-js at the given quality.
 *
 * @example
 * writeJpeg('a.jpg', 8, 8, pattern(8, 8, 0), 95);
 */
export function writeJpeg(path: string, w: number, h: number, rgb: Uint8Array, quality = 95): void {
  const rgba = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  writeFileSync(path, jpeg.encode({ width: w, height: h, data: rgba }, quality).data);
}
