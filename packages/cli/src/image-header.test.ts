// Header-first image reading: sizes from PNG IHDR / JPEG SOF without decoding, every PNG colour type, bit depth and
// Adam7 interlacing decoded to the same pixels, and truncated, corrupt or oversized files refused with what and where.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseImageHeader, pngRawBytes } from './image-header.js';
import { checkImageFile, readImage, readImageHeader } from './images.js';
import { encodePng, pattern, pngChunk, tempDir, writeJpeg } from './test-images.js';

const dir = tempDir('hdr');
const put = (name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
function ihdr(w: number, h: number, depth = 8, type = 2): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(w, 0);
  b.writeUInt32BE(h, 4);
  b[8] = depth;
  b[9] = type;
  return pngChunk('IHDR', b);
}

describe('image headers', () => {
  it('reads PNG and JPEG sizes from the first bytes only', () => {
    const png = put('h.png', Buffer.concat([SIG, ihdr(30000, 20000)])); // no image data at all
    expect(parseImageHeader(Buffer.concat([SIG, ihdr(30000, 20000)]))).toEqual({ format: 'png', width: 30000, height: 20000, bitDepth: 8, colorType: 2, interlaced: false });
    expect(() => readImageHeader(png)).toThrow(/'.*h\.png' is 30000×20000 = 600\.0 megapixels by its PNG header, over the pixel budget of 64000000 \(maxPixels\); refused before decoding/);
    expect(readImageHeader(png, { maxPixels: 7e8 }).width).toBe(30000);
    writeJpeg(join(dir, 'j.jpg'), 24, 16, pattern(24, 16, 1));
    expect(readImageHeader(join(dir, 'j.jpg'))).toMatchObject({ format: 'jpeg', width: 24, height: 16, bitDepth: 8, colorType: 3 });
  });

  it('refuses a JPEG whose frame header claims 60000×60000 before decoding', () => {
    const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, 0xea, 0x60, 0xea, 0x60, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
    const p = put('big.jpg', Buffer.concat([Buffer.from([0xff, 0xd8]), sof, Buffer.from([0xff, 0xd9])]));
    expect(() => readImage(p)).toThrow(/'.*big\.jpg' is 60000×60000 = 3600\.0 megapixels by its JPEG header, over the pixel budget/);
  });

  it('decodes every PNG colour type and bit depth, interlaced or not, to the same pixels', () => {
    const cases: [0 | 2 | 3 | 4 | 6, 1 | 2 | 4 | 8 | 16][] = [[0, 1], [0, 2], [0, 4], [0, 8], [0, 16], [2, 8], [2, 16], [3, 1], [3, 2], [3, 4], [3, 8], [4, 8], [4, 16], [6, 8], [6, 16]];
    const w = 11;
    const h = 7;
    for (const [colorType, bitDepth] of cases) {
      const max = 2 ** bitDepth - 1;
      const palette = Array.from({ length: Math.min(256, max + 1) }, (_, i) => [i * 3 % 256, i * 7 % 256, i * 11 % 256] as [number, number, number]);
      const sample = (x: number, y: number, c: number): number => (colorType === 3 ? (x + 2 * y) % (max + 1) : ((x * 37 + y * 91 + c * 53) * 257) % (max + 1));
      const flat = put(`c${colorType}d${bitDepth}.png`, encodePng({ width: w, height: h, colorType, bitDepth, sample, palette }).png);
      const adam = put(`c${colorType}d${bitDepth}i.png`, encodePng({ width: w, height: h, colorType, bitDepth, sample, palette, interlace: true }).png);
      const a = readImage(flat);
      const b = readImage(adam);
      expect(b.data, `type ${colorType} depth ${bitDepth}`).toEqual(a.data);
      // Pixel (3, 2), red plane: the sample (gray replicated), or the palette entry.
      const want = colorType === 3 ? palette[sample(3, 2, 0)]![0] / 255 : sample(3, 2, 0) / max;
      expect(a.data[2 * w + 3]).toBeCloseTo(want, 6);
    }
  });

  it('computes the scanline bytes of Adam7 passes', () => {
    const spec = { width: 5, height: 3, colorType: 0 as const, bitDepth: 2 as const, interlace: true, sample: () => 1 };
    expect(pngRawBytes(parseImageHeader(encodePng(spec).png)).bytes).toBe(encodePng(spec).raw.length);
  });
});

describe('truncated and corrupt files', () => {
  const good = encodePng({ width: 64, height: 64, colorType: 2, bitDepth: 8, sample: (x, y, c) => (x + y + c) % 256 }).png;

  it('reports missing rows (2 of 1000) instead of decoding a black image', () => {
    const raw = Buffer.alloc(2 * (1 + 3 * 1000), 200);
    raw[0] = 0;
    raw[3001] = 0;
    const p = put('two-rows.png', Buffer.concat([SIG, ihdr(1000, 1000), pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]));
    expect(() => readImage(p)).toThrow(/'.*two-rows\.png' is not a readable PNG file: the image data holds 2 of 1000 rows \(the compressed stream ends early\): the file is truncated/);
    expect(() => checkImageFile(p)).toThrow(/holds 2 of 1000 rows/);
  });

  it('reports a file cut inside a chunk, and one cut inside the zlib stream', () => {
    expect(() => readImage(put('cut.png', good.subarray(0, good.length - 30)))).toThrow(
      /'.*cut\.png' is not a readable PNG file: the file ends inside chunk 'IDAT' at byte 33 \(it declares \d+ bytes of data, \d+ are present\): the file is truncated/,
    );
    expect(() => readImage(put('noend.png', good.subarray(0, good.length - 12)))).toThrow(/the file ends after \d+ bytes, before its IEND chunk \(after the image data\): the file is truncated/);
    const raw = Buffer.alloc(64 * (1 + 3 * 64), 9);
    const z = deflateSync(raw);
    const p = put('zcut.png', Buffer.concat([SIG, ihdr(64, 64), pngChunk('IDAT', z.subarray(0, z.length - 6)), pngChunk('IEND', Buffer.alloc(0))]));
    expect(() => readImage(p)).toThrow(/the image data holds \d+ of 64 rows \(the compressed stream ends early\)|ends without its end marker/);
  });

  it('reports a bad CRC with the chunk and its offset', () => {
    const bad = Buffer.from(good);
    bad[45] ^= 0xff; // inside IDAT's data
    expect(() => readImage(put('badcrc.png', bad))).toThrow(/'.*badcrc\.png' is not a readable PNG file: chunk 'IDAT' at byte 33 has a bad CRC \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\): the file is corrupt/);
    const badHeader = Buffer.from(good);
    badHeader[20] ^= 1; // width byte, IHDR CRC no longer matches
    expect(() => readImage(put('badihdr.png', badHeader))).toThrow(/the IHDR header has a bad CRC/);
  });

  it('reports a truncated JPEG by its missing end marker', () => {
    const p = join(dir, 'cut.jpg');
    writeJpeg(p, 32, 32, pattern(32, 32, 2));
    expect(readImage(p).width).toBe(32);
    const bytes = readFileSync(p);
    expect(() => readImage(put('cut2.jpg', bytes.subarray(0, bytes.length >> 1)))).toThrow(/'.*cut2\.jpg' is not a readable JPEG file: no end-of-image marker \(FF D9\) after the scan data in \d+ bytes: the file is truncated/);
    expect(() => readImage(put('cut3.jpg', bytes.subarray(0, 40)))).toThrow(/cut3\.jpg' (ends after 40 bytes, inside its header|is not a readable)/);
  });
});
