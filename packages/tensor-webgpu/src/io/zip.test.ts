// Zip reader: torch's archives, DEFLATE entries, zip64 fields, and corrupt or truncated archives.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc32, isZip, readZipDirectory, readZipEntry } from './zip.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url)));
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Item { name: string; data: Uint8Array; method?: number; size?: number; crc?: number }

/** Builds a zip archive by hand; `zip64` moves sizes/offsets into zip64 extra fields and adds zip64 end records. */
function makeZip(items: Item[], zip64 = false): Uint8Array {
  const out: number[] = [];
  const le = (n: number, bytes: number) => { for (let i = 0; i < bytes; i++) out.push(Number((BigInt(n) >> BigInt(8 * i)) & 0xffn)); };
  const central: { item: Item; offset: number }[] = [];
  for (const item of items) {
    const offset = out.length;
    const name = enc(item.name);
    le(0x04034b50, 4); le(20, 2); le(0, 2); le(item.method ?? 0, 2); le(0, 4);
    le(item.crc ?? crc32(item.data), 4); le(item.data.length, 4); le(item.size ?? item.data.length, 4);
    le(name.length, 2); le(0, 2); out.push(...name, ...item.data);
    central.push({ item, offset });
  }
  const cdStart = out.length;
  for (const { item, offset } of central) {
    const name = enc(item.name);
    const big = zip64 ? 0xffffffff : -1;
    le(0x02014b50, 4); le(45, 2); le(45, 2); le(0, 2); le(item.method ?? 0, 2); le(0, 4);
    le(item.crc ?? crc32(item.data), 4);
    le(zip64 ? big : item.data.length, 4); le(zip64 ? big : item.size ?? item.data.length, 4);
    le(name.length, 2); le(zip64 ? 28 : 0, 2); le(0, 2); le(0, 2); le(0, 2); le(0, 4); le(zip64 ? big : offset, 4);
    out.push(...name);
    if (zip64) { le(1, 2); le(24, 2); le(item.size ?? item.data.length, 8); le(item.data.length, 8); le(offset, 8); }
  }
  const cdSize = out.length - cdStart;
  if (zip64) {
    const z = out.length;
    le(0x06064b50, 4); le(44, 8); le(45, 2); le(45, 2); le(0, 4); le(0, 4); le(items.length, 8); le(items.length, 8); le(cdSize, 8); le(cdStart, 8);
    le(0x07064b50, 4); le(0, 4); le(z, 8); le(1, 4);
  }
  le(0x06054b50, 4); le(0, 2); le(0, 2);
  le(zip64 ? 0xffff : items.length, 2); le(zip64 ? 0xffff : items.length, 2);
  le(zip64 ? 0xffffffff : cdSize, 4); le(zip64 ? 0xffffffff : cdStart, 4); le(0, 2);
  return Uint8Array.from(out);
}

async function deflate(data: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([data.slice()]).stream().pipeThrough(new CompressionStream('deflate-raw' as CompressionFormat));
  return new Uint8Array(await new Response(s).arrayBuffer());
}

describe('zip reader', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(enc('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  it("reads torch's archive (zip64 end records, data-descriptor flag, padded local extras)", async () => {
    const zip = fixture('tiny_zip.pth');
    expect(isZip(zip)).toBe(true);
    const entries = readZipDirectory(zip);
    expect(entries.map((e) => e.name)).toContain('tiny_zip/data.pkl');
    const version = await readZipEntry(zip, entries.find((e) => e.name === 'tiny_zip/version')!);
    expect(new TextDecoder().decode(version)).toBe('3\n');
  });

  it('inflates DEFLATE entries to the same bytes as the stored archive', async () => {
    const stored = fixture('tiny_zip.pth');
    const deflated = fixture('tiny_deflate.pth');
    const a = readZipDirectory(stored);
    const b = readZipDirectory(deflated);
    expect(b.every((e) => e.method === 8)).toBe(true);
    for (const e of a) expect(await readZipEntry(deflated, b.find((x) => x.name === e.name)!)).toEqual(await readZipEntry(stored, e));
  });

  it('reads zip64 sizes and offsets from the extra field', async () => {
    const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const zip = makeZip([{ name: 'a', data: enc('hello') }, { name: 'dir/b', data }], true);
    const entries = readZipDirectory(zip);
    expect(entries.map((e) => [e.name, e.size, e.compressedSize])).toEqual([['a', 5, 5], ['dir/b', 300, 300]]);
    expect(await readZipEntry(zip, entries[1]!)).toEqual(data);
  });

  it('refuses corrupt, truncated and unsupported archives with clear errors', async () => {
    const good = makeZip([{ name: 'x', data: enc('payload') }]);
    expect(readZipDirectory(good)).toHaveLength(1);
    const badCrc = makeZip([{ name: 'x', data: enc('payload'), crc: 1234 }]);
    await expect(readZipEntry(badCrc, readZipDirectory(badCrc)[0]!)).rejects.toThrow(/entry 'x' is corrupt: CRC-32 is [0-9a-f]+, the directory says 4d2/);
    const bzip = makeZip([{ name: 'x', data: enc('payload'), method: 12 }]);
    await expect(readZipEntry(bzip, readZipDirectory(bzip)[0]!)).rejects.toThrow(/compression method 12/);
    expect(() => readZipDirectory(good.slice(0, good.length - 10))).toThrow(/end of central directory not found in \d+ bytes \(the file is truncated/);
    const entry = { ...readZipDirectory(good)[0]!, compressedSize: 1000, size: 1000 };
    await expect(readZipEntry(good, entry)).rejects.toThrow(/entry 'x' needs 1000 bytes at offset 31 but the file ends after \d+ bytes \(expected at least 1031, available \d+\)/);
    const wrongCd = good.slice();
    new DataView(wrongCd.buffer).setUint32(wrongCd.length - 6, 3, true); // central directory offset → inside the data
    expect(() => readZipDirectory(wrongCd)).toThrow(/central directory entry 0 is missing or corrupt at offset 3/);
  });

  it('stops inflating at the declared size (no zip bombs) and rejects bad DEFLATE data', async () => {
    const zeros = new Uint8Array(100_000);
    const bomb = makeZip([{ name: 'bomb', data: await deflate(zeros), method: 8, size: 10, crc: crc32(zeros.subarray(0, 10)) }]);
    await expect(readZipEntry(bomb, readZipDirectory(bomb)[0]!)).rejects.toThrow(/inflates to more than the 10 bytes/);
    const junk = makeZip([{ name: 'junk', data: Uint8Array.from([0xff, 0xff, 0xff, 0xff]), method: 8, size: 4 }]);
    await expect(readZipEntry(junk, readZipDirectory(junk)[0]!)).rejects.toThrow(/entry 'junk' could not be inflated/);
  });
});
