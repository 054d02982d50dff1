// Reads what a PNG or JPEG claims to be (size, depth, colour type) from its header alone, and checks a PNG's chunk
// structure, CRCs and compressed image data, so images are sized and validated before any pixel buffer is allocated.
import { constants, crc32, inflateSync } from 'node:zlib';

/** What an image file's header says, read without decoding pixels. */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  /** Bits per sample (PNG 1–16, JPEG 8 or 12). */
  bitDepth: number;
  /** PNG colour type (0, 2, 3, 4, 6) or the number of JPEG components. */
  colorType: number;
  /** PNG Adam7 interlacing / progressive JPEG. */
  interlaced: boolean;
}

/** A header read that needs more bytes of the file than it was given. */
export class NeedMoreBytes extends Error {
  constructor(readonly bytes: number) {
    super(`the image header needs the first ${bytes} bytes`);
  }
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `buf` starts with the PNG signature. */
export function isPng(buf: Uint8Array): boolean {
  return buf.length >= 8 && PNG_MAGIC.every((b, i) => buf[i] === b);
}

/** True when `buf` starts with a JPEG start-of-image marker. */
export function isJpeg(buf: Uint8Array): boolean {
  return buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
}

const u32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const u16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;
const chunkType = (b: Uint8Array, at: number): string => String.fromCharCode(b[at]!, b[at + 1]!, b[at + 2]!, b[at + 3]!);

/** Valid PNG bit depths per colour type. */
const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function pngHeader(buf: Uint8Array): ImageHeader {
  if (buf.length < 33) throw new NeedMoreBytes(33);
  if (u32(buf, 8) !== 13 || chunkType(buf, 12) !== 'IHDR') throw new Error('the first chunk is not a 13-byte IHDR header (corrupt PNG)');
  const stored = u32(buf, 29);
  const actual = crc32(buf.subarray(12, 29));
  if (stored !== actual) throw new Error(`the IHDR header has a bad CRC (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`);
  const width = u32(buf, 16);
  const height = u32(buf, 20);
  const [bitDepth, colorType, compression, filter, interlace] = [buf[24]!, buf[25]!, buf[26]!, buf[27]!, buf[28]!];
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) throw new Error(`the header gives an invalid size ${width}×${height}`);
  if (!PNG_DEPTHS[colorType]?.includes(bitDepth)) throw new Error(`the header gives colour type ${colorType} with bit depth ${bitDepth}, which PNG does not allow`);
  if (compression !== 0 || filter !== 0 || interlace > 1) throw new Error(`the header gives unknown compression/filter/interlace methods ${compression}/${filter}/${interlace}`);
  return { format: 'png', width, height, bitDepth, colorType, interlaced: interlace === 1 };
}

function jpegHeader(buf: Uint8Array): ImageHeader {
  let pos = 2;
  for (;;) {
    if (pos + 4 > buf.length) throw new NeedMoreBytes(pos + 4);
    if (buf[pos] !== 0xff) throw new Error(`expected a marker at byte ${pos}, found 0x${buf[pos]!.toString(16)} (corrupt JPEG)`);
    const marker = buf[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2;
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw new Error(`no frame header (SOF) before the ${marker === 0xd9 ? 'end of the image' : 'scan data'} (corrupt JPEG)`);
    const len = u16(buf, pos + 2);
    if (len < 2) throw new Error(`segment 0xff${marker.toString(16)} at byte ${pos} has an invalid length ${len} (corrupt JPEG)`);
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      if (pos + 10 > buf.length) throw new NeedMoreBytes(pos + 10);
      const height = u16(buf, pos + 5);
      const width = u16(buf, pos + 7);
      if (width === 0) throw new Error('the frame header gives width 0 (corrupt JPEG)');
      if (height === 0) throw new Error('the frame header gives height 0 (a height defined later by a DNL marker is not supported)');
      return { format: 'jpeg', width, height, bitDepth: buf[pos + 4]!, colorType: buf[pos + 9]!, interlaced: marker === 0xc2 || marker === 0xc6 || marker === 0xca || marker === 0xce };
    }
    pos += 2 + len;
  }
}

/**
 * Parses the header of a PNG (IHDR, CRC-checked) or JPEG (the frame header, SOFn) from the first bytes of a file.
 * Throws {@link NeedMoreBytes} when `buf` is too short to reach it, and a plain Error for a corrupt or unknown file.
 *
 * @example
 * parseImageHeader(readFileSync('a.png')); // { format: 'png', width: 512, height: 512, bitDepth: 8, colorType: 2, interlaced: false }
 */
export function parseImageHeader(buf: Uint8Array): ImageHeader {
  if (isPng(buf)) return pngHeader(buf);
  if (isJpeg(buf)) return jpegHeader(buf);
  const prefixOf = (magic: readonly number[]): boolean => buf.length < magic.length && Array.from(buf).every((b, i) => b === magic[i]);
  if (prefixOf(PNG_MAGIC) || prefixOf([0xff, 0xd8, 0xff])) throw new NeedMoreBytes(8);
  throw new Error('neither a PNG nor a JPEG file (unknown signature)');
}

const hex = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/** Bytes of PNG scanline data (filter byte + packed samples per row) an image of this header inflates to. */
export function pngRawBytes(h: ImageHeader): { bytes: number; rows: number; rowBytes: number } {
  const bits = h.bitDepth * PNG_CHANNELS[h.colorType]!;
  const row = (w: number): number => 1 + Math.ceil((w * bits) / 8);
  if (!h.interlaced) return { bytes: h.height * row(h.width), rows: h.height, rowBytes: row(h.width) };
  // Adam7: pass origins and steps (x0, y0, dx, dy).
  const passes = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];
  let bytes = 0;
  let rows = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const pw = Math.ceil((h.width - x0!) / dx!);
    const ph = Math.ceil((h.height - y0!) / dy!);
    if (pw > 0 && ph > 0) {
      bytes += ph * row(pw);
      rows += ph;
    }
  }
  return { bytes, rows, rowBytes: 0 };
}

/**
 * Walks every chunk of a whole PNG file: lengths inside the file, chunk types, CRC-32s, IHDR first, PLTE for palette
 * images, IDAT present, IEND last, no unknown critical chunk; then inflates the image data (at most the size the
 * header implies) and checks that every row is there. Returns notes (e.g. data after IEND). Throws a message saying
 * what is wrong and where: truncated, corrupt CRC, missing rows.
 *
 * @example
 * checkPng(readFileSync('a.png'), parseImageHeader(buf)); // [] for a sound file
 */
export function checkPng(buf: Uint8Array, header: ImageHeader): string[] {
  const notes: string[] = [];
  const idat: Uint8Array[] = [];
  let pos = 8;
  let sawPlte = false;
  let ended = false;
  for (let index = 0; !ended; index++) {
    if (pos + 8 > buf.length) {
      throw new Error(`the file ends after ${buf.length} bytes, before its IEND chunk (${idat.length ? 'after' : 'before'} the image data): the file is truncated`);
    }
    const len = u32(buf, pos);
    const type = chunkType(buf, pos + 4);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`the chunk at byte ${pos} has an invalid type ${JSON.stringify(type)}: the file is corrupt`);
    if (len > 0x7fffffff) throw new Error(`chunk '${type}' at byte ${pos} declares an invalid length ${len}: the file is corrupt`);
    if (pos + 12 + len > buf.length) {
      throw new Error(`the file ends inside chunk '${type}' at byte ${pos} (it declares ${len} bytes of data, ${Math.max(0, buf.length - pos - 8)} are present): the file is truncated`);
    }
    const stored = u32(buf, pos + 8 + len);
    const actual = crc32(buf.subarray(pos + 4, pos + 8 + len));
    if (stored !== actual) throw new Error(`chunk '${type}' at byte ${pos} has a bad CRC (stored ${hex(stored)}, computed ${hex(actual)}): the file is corrupt`);
    if (index === 0 && type !== 'IHDR') throw new Error('the first chunk is not IHDR: the file is corrupt');
    if (type === 'PLTE') sawPlte = true;
    else if (type === 'IDAT') idat.push(buf.subarray(pos + 8, pos + 8 + len));
    else if (type === 'IEND') ended = true;
    else if (type !== 'IHDR' && type[0]! >= 'A' && type[0]! <= 'Z') throw new Error(`unknown critical chunk '${type}' at byte ${pos}: this PNG cannot be decoded safely`);
    pos += 12 + len;
  }
  if (pos < buf.length) notes.push(`${buf.length - pos} bytes after the IEND chunk ignored`);
  if (header.colorType === 3 && !sawPlte) throw new Error('a palette image without a PLTE chunk: the file is corrupt');
  if (idat.length === 0) throw new Error('no image data (IDAT chunk): the file is corrupt');
  const data = idat.length === 1 ? idat[0]! : Buffer.concat(idat);
  const want = pngRawBytes(header);
  const inflate = (finishFlush: number): Buffer => inflateSync(data, { maxOutputLength: want.bytes, finishFlush });
  const short = (got: number): Error => {
    const held = want.rowBytes ? `${Math.floor(got / want.rowBytes)} of ${want.rows} rows` : `${got} of ${want.bytes} bytes of interlaced rows`;
    return new Error(`the image data holds ${held} (the compressed stream ends early): the file is truncated`);
  };
  try {
    const got = inflate(constants.Z_FINISH).length;
    if (got < want.bytes) throw short(got);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE') {
      notes.push('extra compressed image data past the last row ignored');
      return notes;
    }
    if (err.code === undefined) throw e;
    if (err.code !== 'Z_BUF_ERROR') throw new Error(`the compressed image data is corrupt (zlib: ${err.message})`);
    // The stream stops early: count what is there.
    let got: number;
    try {
      got = inflate(constants.Z_SYNC_FLUSH).length;
    } catch (e2) {
      throw new Error(`the compressed image data is corrupt (zlib: ${(e2 as Error).message})`);
    }
    if (got >= want.bytes) throw new Error('the compressed image data ends without its end marker: the file is truncated');
    throw short(got);
  }
  return notes;
}
