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

/** What {@link encodePng} writes. */
export interface RawPngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  bitDepth: 1 | 2 | 4 | 8 | 16;
  /** Adam7 interlacing. */
  interlace?: boolean;
  /** Sample c (0-based channel of the colour type) of pixel (x, y), in [0, 2^bitDepth). */
  sample: (x: number, y: number, c: number) => number;
  /** PLTE entries for colour type 3. */
  palette?: [number, number, number][];
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Encodes a PNG by hand (every colour type and bit depth, Adam7 or not; filter 0 rows), for decoder tests that pngjs's
 * encoder cannot produce. Returns the file bytes and, separately, the raw (uncompressed) scanline data.
 *
 * @example
 * const { png } = encodePng({ width: 5, height: 3, colorType: 0, bitDepth: 2, interlace: true, sample: (x) => x % 4 });
 */
export function encodePng(spec: RawPngSpec): { png: Buffer; raw: Buffer } {
  const ch = CHANNELS[spec.colorType]!;
  const passes = spec.interlace
    ? [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]]
    : [[0, 0, 1, 1]];
  const rows: Buffer[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0!; x < spec.width; x += dx!) xs.push(x);
    if (xs.length === 0) continue;
    for (let y = y0!; y < spec.height; y += dy!) {
      const bits = xs.length * ch * spec.bitDepth;
      const row = Buffer.alloc(1 + Math.ceil(bits / 8));
      let bit = 0;
      for (const x of xs) {
        for (let c = 0; c < ch; c++) {
          const v = spec.sample(x, y, c);
          if (spec.bitDepth === 16) {
            row.writeUInt16BE(v, 1 + bit / 8);
          } else {
            for (let b = spec.bitDepth - 1; b >= 0; b--) {
              if ((v >> b) & 1) row[1 + (bit >> 3)]! |= 0x80 >> (bit & 7);
              bit++;
            }
            continue;
          }
          bit += 16;
        }
      }
      rows.push(row);
    }
  }
  const raw = Buffer.concat(rows);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(spec.width, 0);
  ihdr.writeUInt32BE(spec.height, 4);
  ihdr[8] = spec.bitDepth;
  ihdr[9] = spec.colorType;
  ihdr[12] = spec.interlace ? 1 : 0;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const plte = spec.colorType === 3 ? [chunk('PLTE', Buffer.from((spec.palette ?? []).flat()))] : [];
  return { png: Buffer.concat([sig, chunk('IHDR', ihdr), ...plte, chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]), raw };
}

/**
 * A PNG chunk (length, type, data, CRC-32), for hand-made hostile files.
 *
 * @example
 * pngChunk('IEND', Buffer.alloc(0));
 */
export function pngChunk(type: string, data: Buffer): Buffer {
  return chunk(type, data);
}
