// A minimal, read-only zip reader for torch.save's zip checkpoints: central directory (incl. zip64), STORED and DEFLATE entries.
// It reads sizes from the central directory (torch sets the data-descriptor flag, leaving the local headers' sizes zero).
import { RadixError } from '../errors.js';

/** One file in a zip archive, as its central directory describes it. */
export interface ZipEntry {
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  compressedSize: number;
  size: number;
  crc32: number;
  localHeaderOffset: number;
}

const fail = (msg: string): never => {
  throw new RadixError('zip', msg);
};

function u64(dv: DataView, at: number, what: string): number {
  const v = dv.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} ${v} is too large`);
  return Number(v);
}

/**
 * True when `bytes` starts like a zip archive (local file header or empty-archive signature).
 *
 * @example
 * isZip(await readFile('model.pth')); // true for torch.save's default format
 */
export function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
}

/**
 * Lists the entries of a zip archive from its central directory (zip64 aware).
 * Throws a clear Error when the end-of-central-directory record is missing (e.g. a truncated download) or inconsistent.
 *
 * @example
 * const names = readZipDirectory(bytes).map((e) => e.name); // ['archive/data.pkl', 'archive/data/0', ...]
 */
export function readZipDirectory(bytes: Uint8Array): ZipEntry[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = bytes.byteLength;
  let eocd = -1;
  for (let i = len - 22; i >= Math.max(0, len - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail(`end of central directory not found in ${len} bytes (the file is truncated or not a zip archive)`);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (eocd >= 20 && dv.getUint32(eocd - 20, true) === 0x07064b50) {
    const z = u64(dv, eocd - 12, 'zip64 record offset');
    if (z + 56 > len || dv.getUint32(z, true) !== 0x06064b50) fail(`zip64 end of central directory record missing at offset ${z}`);
    count = u64(dv, z + 32, 'entry count');
    cdSize = u64(dv, z + 40, 'central directory size');
    cdOffset = u64(dv, z + 48, 'central directory offset');
  }
  if (cdOffset + cdSize > len) fail(`central directory (${cdSize} bytes at offset ${cdOffset}) runs past the end of the ${len}-byte file`);
  const entries: ZipEntry[] = [];
  const utf8 = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > len || dv.getUint32(p, true) !== 0x02014b50) fail(`central directory entry ${i} is missing or corrupt at offset ${p}`);
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    const crc32 = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let size = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen > len) fail(`central directory entry ${i} runs past the end of the file`);
    const name = utf8.decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) fail(`entry '${name}' is encrypted`);
    // zip64 extended information: the 64-bit values present are those whose 32-bit fields are saturated, in this order.
    for (let q = p + 46 + nameLen; q + 4 <= p + 46 + nameLen + extraLen; ) {
      const id = dv.getUint16(q, true);
      const sz = dv.getUint16(q + 2, true);
      if (id === 0x0001) {
        let r = q + 4;
        const next = (what: string): number => {
          if (r + 8 > q + 4 + sz) fail(`zip64 extra field of '${name}' lacks the ${what}`);
          r += 8;
          return u64(dv, r - 8, what);
        };
        if (size === 0xffffffff) size = next('entry size');
        if (compressedSize === 0xffffffff) compressedSize = next('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = next('local header offset');
      }
      q += 4 + sz;
    }
    entries.push({ name, method, compressedSize, size, crc32, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

let CRC_TABLE: Uint32Array | null = null;

/**
 * CRC-32 (IEEE, as zip uses) of `bytes`.
 *
 * @example
 * crc32(new TextEncoder().encode('123456789')); // 0xcbf43926
 */
export function crc32(bytes: Uint8Array): number {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  const t = CRC_TABLE;
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = t[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Where an entry's (possibly compressed) data lies in the archive; throws if it is outside the file.
 *
 * @example
 * const { start, end } = zipEntryRange(bytes, entry);
 */
export function zipEntryRange(bytes: Uint8Array, e: ZipEntry): { start: number; end: number } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = e.localHeaderOffset;
  if (h + 30 > bytes.byteLength || dv.getUint32(h, true) !== 0x04034b50) fail(`local header of '${e.name}' is missing at offset ${h}`);
  const start = h + 30 + dv.getUint16(h + 26, true) + dv.getUint16(h + 28, true);
  const end = start + e.compressedSize;
  if (end > bytes.byteLength) {
    fail(`entry '${e.name}' needs ${e.compressedSize} bytes at offset ${start} but the file ends after ${bytes.byteLength} bytes (expected at least ${end}, available ${bytes.byteLength})`);
  }
  return { start, end };
}

async function inflateRaw(data: Uint8Array, e: ZipEntry): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') fail(`entry '${e.name}' is DEFLATE-compressed and this runtime has no DecompressionStream`);
  let ds: DecompressionStream;
  try {
    ds = new DecompressionStream('deflate-raw' as CompressionFormat);
  } catch {
    return fail(`entry '${e.name}' is DEFLATE-compressed and this runtime's DecompressionStream lacks 'deflate-raw'`);
  }
  // Inflate into a buffer of the declared size and stop as soon as the output would exceed it (no zip bombs).
  const out = new Uint8Array(e.size);
  let at = 0;
  const reader = new Blob([data.slice()]).stream().pipeThrough(ds).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.byteLength > e.size) {
      await reader.cancel().catch(() => undefined);
      fail(`entry '${e.name}' inflates to more than the ${e.size} bytes its directory entry declares`);
    }
    out.set(value, at);
    at += value.byteLength;
  }
  if (at !== e.size) fail(`entry '${e.name}' inflated to ${at} bytes, expected ${e.size}`);
  return out;
}

/**
 * Reads an entry's contents (STORED: a view into `bytes`; DEFLATE: inflated with `DecompressionStream('deflate-raw')`),
 * checking its size and CRC-32 against the central directory.
 *
 * @example
 * const pkl = await readZipEntry(bytes, entries.find((e) => e.name.endsWith('/data.pkl'))!);
 */
export async function readZipEntry(bytes: Uint8Array, e: ZipEntry): Promise<Uint8Array> {
  const { start, end } = zipEntryRange(bytes, e);
  let data: Uint8Array;
  if (e.method === 0) {
    if (e.compressedSize !== e.size) fail(`stored entry '${e.name}' has compressed size ${e.compressedSize} but size ${e.size}`);
    data = bytes.subarray(start, end);
  } else if (e.method === 8) {
    try {
      data = await inflateRaw(bytes.subarray(start, end), e);
    } catch (err) {
      if ((err as Error).message.startsWith('zip:')) throw err;
      return fail(`entry '${e.name}' could not be inflated: ${(err as Error).message}`);
    }
  } else {
    return fail(`entry '${e.name}' uses compression method ${e.method}; only stored (0) and deflate (8) are supported`);
  }
  const crc = crc32(data);
  if (crc !== e.crc32) fail(`entry '${e.name}' is corrupt: CRC-32 is ${crc.toString(16)}, the directory says ${e.crc32.toString(16)}`);
  return data;
}
