// decodeLegacyStorage: the bytes torch pickles for a lone storage (torch.storage._load_from_bytes), decoded as data.
import { describe, expect, it } from 'vitest';
import { decodeLegacyStorage } from './torch-storage.js';

const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const i64 = (n: number) => String.fromCharCode(n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255, 0, 0, 0, 0);
const f32 = (vals: number[]) => String.fromCharCode(...new Uint8Array(new Float32Array(vals).buffer));

/** magic (LONG1), protocol 1001, sys_info {little_endian}, the storage pid pickle, the key list, count + data. */
function blob(opts: { storageClass?: string; numel?: number; count?: number; data?: number[]; littleEndian?: boolean } = {}): Uint8Array {
  const data = opts.data ?? [1.5, -2, 3.25];
  const numel = opts.numel ?? data.length;
  const magic = '\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.';
  const proto = '\x80\x02M\xe9\x03.';
  const sys = `\x80\x02}X\r\x00\x00\x00little_endian${opts.littleEndian === false ? '\x89' : '\x88'}s.`;
  const cls = opts.storageClass ?? 'FloatStorage';
  const main = `\x80\x02(X\x07\x00\x00\x00storagectorch\n${cls}\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK${String.fromCharCode(numel)}Ntq\x00Q.`;
  const keys = '\x80\x02]X\x01\x00\x00\x000a.';
  return enc(magic + proto + sys + main + keys + i64(opts.count ?? numel) + f32(data));
}

describe('decodeLegacyStorage', () => {
  it('decodes a FloatStorage blob', () => {
    const { ref, bytes } = decodeLegacyStorage(blob());
    expect(ref.dtype).toBe('F32');
    expect(ref.numel).toBe(3);
    expect(Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, 3))).toEqual([1.5, -2, 3.25]);
  });

  it('refuses other globals, inconsistent counts and truncation', () => {
    expect(() => decodeLegacyStorage(blob({ storageClass: 'EvilStorage' }))).toThrow(/refusing to load global 'torch\.EvilStorage'/);
    expect(() => decodeLegacyStorage(blob({ count: 2 }))).toThrow(/records 2 elements but its pickle says 3/);
    const b = blob();
    expect(() => decodeLegacyStorage(b.subarray(0, b.length - 4))).toThrow(/truncated/);
    expect(() => decodeLegacyStorage(enc('\x80\x02cos\nsystem\n.'))).toThrow(/refusing to load global 'os\.system'/);
  });
});
