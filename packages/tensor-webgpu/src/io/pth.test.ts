// .pth reader against PyTorch-made checkpoints (fixtures/io: the team's reference set + tools/reference/gen_io.py):
// both torch.save formats, views/strides/shared storages, every dtype, hostile pickles, missing and truncated data.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RadixError } from '../errors.js';
import { testBackends } from '../testing/index.js';
import { type RawTensor, bfloat16ToNumber, float16ToNumber } from './dtypes.js';
import { decodePth, loadPth, readPthIndex } from './pth.js';

type Expected = Record<string, { dtype: string; shape: number[]; values: number[] }>;
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url)));
const json = (name: string): Expected => JSON.parse(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url), 'utf8'));
const tinyExpected = json('tiny_expected.json');
const nestedExpected = json('nested_expected.json');
const INCEPTION = 'pt_inception-2015-12-05-6726825d.truncated-818371-bytes.pth';
const FILE_DTYPE: Record<string, string> = {
  float32: 'F32', float64: 'F64', float16: 'F16', bfloat16: 'BF16', int64: 'I64', int32: 'I32', uint8: 'U8', bool: 'BOOL',
};
const RADIX_DTYPE: Record<string, string> = {
  float32: 'float32', float64: 'float32', float16: 'float32', bfloat16: 'float32', int64: 'int32', int32: 'int32', uint8: 'uint32', bool: 'bool',
};

/** Widens raw file elements to numbers exactly (f16/bf16 from their bit patterns). */
function rawValues(r: RawTensor): number[] {
  if (r.dtype === 'F16') return Array.from(r.data as Uint16Array, float16ToNumber);
  if (r.dtype === 'BF16') return Array.from(r.data as Uint16Array, bfloat16ToNumber);
  if (r.dtype === 'I64') return Array.from(r.data as BigInt64Array, Number);
  return Array.from(r.data as ArrayLike<number>);
}

function checkRaw(raw: Record<string, RawTensor>, expected: Expected): void {
  expect(Object.keys(raw).sort()).toEqual(Object.keys(expected).sort());
  for (const [k, e] of Object.entries(expected)) {
    const r = raw[k]!;
    expect(r.dtype, k).toBe(FILE_DTYPE[e.dtype]);
    expect(r.shape, k).toEqual(e.shape);
    // Exact: every file dtype widens to float64 without rounding (the JSON holds the same float64 values).
    expect(rawValues(r), k).toEqual(e.values);
  }
}

describe('decodePth (file dtypes, exact values)', () => {
  it.each(['tiny_zip.pth', 'tiny_legacy.pth', 'tiny_deflate.pth'])('%s matches tiny_expected.json', async (name) => {
    checkRaw(await decodePth(fixture(name)), tinyExpected);
  });

  it.each(['nested_zip.pth', 'nested_legacy.pth', 'nested_zip_p4.pth'])('%s: nested containers, Parameter, shared storage views', async (name) => {
    const raw = await decodePth(fixture(name));
    checkRaw(raw, nestedExpected);
    // Views of one storage with strides/offsets (t(), a row, a column, a 2-step slice) are materialised contiguously.
    expect(rawValues(raw['shared.base_t']!)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    expect(rawValues(raw['shared.col2']!)).toEqual([2, 6, 10]);
    expect(rawValues(raw['shared.strided']!)).toEqual([1, 3, 9, 11]);
  });

  it("legacy: LongStorage elements are 8 bytes although sys_info says type_sizes.long == 4 (torch.load ignores it)", async () => {
    const raw = await decodePth(fixture('tiny_legacy.pth'));
    expect(Array.from(raw['bn.num_batches_tracked']!.data as BigInt64Array)).toEqual([17n]);
    // Everything after that LongStorage still lines up (its header counts and the data that follows).
    expect(rawValues(raw['scalar.f64']!)).toEqual([Math.PI]);
  });

  it('reads from a path as well as from bytes', async () => {
    const path = new URL('../../fixtures/io/tiny_zip.pth', import.meta.url).pathname;
    checkRaw(await decodePth(path), tinyExpected);
  });
});

describe('readPthIndex', () => {
  it('lists keys, dtypes, shapes, strides and storage offsets without reading data', async () => {
    const idx = await readPthIndex(fixture('tiny_zip.pth'));
    const by = Object.fromEntries(idx.map((e) => [e.key, e]));
    expect(idx.map((e) => e.key)).toEqual(Object.keys(tinyExpected));
    expect(by['transposed']).toMatchObject({ dtype: 'float32', radixDtype: 'float32', shape: [6, 4], strides: [1, 6], offset: 0, bytes: 96 });
    expect(by['view.offset']).toMatchObject({ shape: [8], strides: [1], offset: 5, storageKey: by['transposed']!.storageKey });
    expect(by['scalar.f64']).toMatchObject({ dtype: 'float64', shape: [], strides: [], bytes: 8 });
    expect(by['bn.num_batches_tracked']).toMatchObject({ dtype: 'int64', radixDtype: 'int32', bytes: 8 });
    expect((await readPthIndex(fixture('tiny_legacy.pth'))).map((e) => [e.key, e.shape, e.dtype])).toEqual(idx.map((e) => [e.key, e.shape, e.dtype]));
  });

  it('lists all 566 tensors of the truncated FID Inception checkpoint (legacy format, type_sizes.long == 4)', async () => {
    const idx = await readPthIndex(fixture(INCEPTION));
    expect(idx).toHaveLength(566);
    const by = Object.fromEntries(idx.map((e) => [e.key, e]));
    expect(by['Conv2d_1a_3x3.conv.weight']).toMatchObject({ dtype: 'float32', shape: [32, 3, 3, 3], bytes: 32 * 27 * 4 });
    // Stored transposed (column-major), as this file was converted from another framework.
    expect(by['fc.weight']).toMatchObject({ dtype: 'float32', shape: [1008, 2048], strides: [1, 1008] });
    expect(by['fc.bias']!.shape).toEqual([1008]);
    expect(by['Mixed_7c.branch_pool.conv.weight']!.shape).toEqual([192, 2048, 1, 1]);
    expect(by['Conv2d_1a_3x3.bn.num_batches_tracked']).toMatchObject({ dtype: 'int64', shape: [], bytes: 8 });
    expect(idx.filter((e) => e.key.endsWith('num_batches_tracked'))).toHaveLength(94);
    // The pickle implies a complete file of 95,628,359 bytes: the pickles, then every storage (8-byte count + elements).
    expect(idx.reduce((s, e) => s + e.bytes, 0)).toBe(95_628_359 - 81_511 - 8 * 566);
  });
});

describe('refusals and corrupt files', () => {
  it('refuses hostile_os_system.pth, naming the global, and runs nothing', async () => {
    rmSync('radix-pwned.txt', { force: true });
    await expect(loadPth(fixture('hostile_os_system.pth'), { backend: 'cpu' })).rejects.toThrow(/refusing to load global 'posix\.system'/);
    await expect(readPthIndex(fixture('hostile_os_system.pth'))).rejects.toThrow(/module 'posix', attribute 'system'/);
    expect(existsSync('radix-pwned.txt')).toBe(false);
  });

  it('reports a storage missing from the archive', async () => {
    await expect(decodePth(fixture('hostile_missing_storage.pth'))).rejects.toThrow(
      "pth: storage '0' (FloatStorage, 54 elements) is referenced by data.pkl but missing from the archive (no entry 'tiny_zip/data/0')",
    );
  });

  it('fails to load the truncated Inception weights, stating expected vs available bytes', async () => {
    const err = await loadPth(fixture(INCEPTION), { backend: 'cpu' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RadixError);
    expect((err as Error).message).toBe(
      "loadPth: '<bytes>': pth: storage '93945537654416' (FloatStorage, 82944 elements) needs 331776 bytes at offset 698007 but the file ends after 818371 bytes " +
        '(expected at least 1029783, available 818371; the complete checkpoint is 95628359 bytes): the file is truncated',
    );
  });

  it('refuses int64 values that int32 cannot hold when converting, naming the key', async () => {
    const raw = await decodePth(fixture('int64_overflow.pth'));
    expect(Array.from(raw['big.counter']!.data as BigInt64Array)).toEqual([1n, 2n ** 40n]);
    await expect(loadPth(fixture('int64_overflow.pth'), { backend: 'cpu' })).rejects.toThrow(/'big\.counter': int64 value 1099511627776 at index 1 does not fit in int32/);
  });

  it('walks shared containers once (a tiny pickle cannot make the tensor walk exponential)', async () => {
    // Legacy stream: magic, protocol, sys_info, then a list holding itself-derived pairs 60 levels deep, then [].
    const head = [0x80, 2, 0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e, 0x80, 2, 0x4d, 0xe9, 0x03, 0x2e, 0x80, 2, 0x7d, 0x2e];
    const body = [0x80, 2, 0x5d];
    for (let i = 0; i < 60; i++) body.push(0x32, 0x86); // DUP, TUPLE2: x -> (x, x)
    body.push(0x2e, 0x80, 2, 0x5d, 0x2e);
    expect(await decodePth(Uint8Array.from([...head, ...body]))).toEqual({});
  });

  it('detects a corrupted storage element count and a file that is no checkpoint', async () => {
    const bytes = fixture('tiny_legacy.pth').slice();
    bytes[1399] = 0x37; // first storage count: 54 -> 55
    await expect(decodePth(bytes)).rejects.toThrow(/records 55 elements but the pickle says 54/);
    await expect(decodePth(new TextEncoder().encode('hello'))).rejects.toThrow(/not a PyTorch checkpoint/);
    await expect(decodePth(fixture('tiny_legacy.pth').slice(0, 600))).rejects.toThrow(/unexpected end of data/);
    await expect(decodePth(fixture('tiny_zip.pth').slice(0, 2000))).rejects.toThrow(/end of central directory not found/);
  });
});

const backends = await testBackends();
describe.each(backends.map((b) => [b.name, b] as const))('loadPth on %s', (_, backend) => {
  it.each(['tiny_zip.pth', 'tiny_legacy.pth'])('%s: Radix dtypes, shapes and values', async (name) => {
    const sd = await loadPth(fixture(name), { backend });
    expect(Object.keys(sd)).toEqual(Object.keys(tinyExpected));
    for (const [k, e] of Object.entries(tinyExpected)) {
      const t = sd[k]!;
      expect(t.backend).toBe(backend);
      expect(t.dtype, k).toBe(RADIX_DTYPE[e.dtype]);
      expect(t.shape, k).toEqual(e.shape);
      // float16/bfloat16/int values are exact in float32/int32; the float64 scalar rounds to float32.
      const want = e.dtype === 'float64' ? e.values.map(Math.fround) : e.values;
      expect(Array.from(await t.data()), k).toEqual(want);
      t.dispose();
    }
  });

  it('nested_zip.pth loads every tensor with its converted dtype', async () => {
    const sd = await loadPth(fixture('nested_zip.pth'), { backend });
    for (const [k, e] of Object.entries(nestedExpected)) {
      expect(sd[k]!.dtype, k).toBe(RADIX_DTYPE[e.dtype]);
      expect(Array.from(await sd[k]!.data()), k).toEqual(e.values.map(Math.fround));
      sd[k]!.dispose();
    }
  });
});
