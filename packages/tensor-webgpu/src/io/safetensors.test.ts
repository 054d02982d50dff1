// safetensors codec: byte-exact agreement with the Python library's layout (reference file from tools/reference/gen_io.py
// and byte strings pinned by the library's own tests), round trips of every dtype, Radix tensors on every backend, corrupt files.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { tensor } from '../ops/creation.js';
import { testBackends } from '../testing/index.js';
import { type FileDType, type RawTensor, FILE_DTYPE_SIZE, bfloat16ToNumber, float16ToNumber, numberToBFloat16, numberToFloat16, packValues } from './dtypes.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors, saveSafetensors } from './safetensors.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url)));
const reference = JSON.parse(readFileSync(new URL('../../fixtures/io/reference.safetensors.json', import.meta.url), 'utf8')) as {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: FileDType; shape: number[]; values: number[] }>;
};
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const ALL: FileDType[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U32', 'U16', 'U8', 'BOOL'];

function values(r: RawTensor): number[] {
  if (r.dtype === 'F16') return Array.from(r.data as Uint16Array, float16ToNumber);
  if (r.dtype === 'BF16') return Array.from(r.data as Uint16Array, bfloat16ToNumber);
  if (r.dtype === 'I64') return Array.from(r.data as BigInt64Array, Number);
  return Array.from(r.data as ArrayLike<number>);
}

/** A file laid out by hand: u64 header length + header text padded with spaces + data. */
function handMade(header: string, data: number[] = [], pad = true): Uint8Array {
  const h = enc(header);
  const n = pad ? Math.ceil(h.length / 8) * 8 : h.length;
  const out = new Uint8Array(8 + n + data.length).fill(0x20, 8, 8 + n);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(h, 8);
  out.set(data, 8 + n);
  return out;
}

describe('compatibility with the Python safetensors library', () => {
  it('decodes the reference file (every dtype) exactly', () => {
    const { tensors, metadata } = decodeSafetensors(fixture('reference.safetensors'));
    expect(metadata).toEqual(reference.metadata);
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(reference.tensors).sort());
    for (const [k, e] of Object.entries(reference.tensors)) {
      expect(tensors[k]!.dtype, k).toBe(e.dtype);
      expect(tensors[k]!.shape, k).toEqual(e.shape);
      expect(values(tensors[k]!), k).toEqual(e.values);
    }
  });

  it('re-encodes the reference file byte for byte, whatever order the tensors are given in', () => {
    const file = fixture('reference.safetensors');
    const { tensors, metadata } = decodeSafetensors(file);
    const reversed = Object.fromEntries(Object.entries(tensors).reverse());
    expect(encodeSafetensors(reversed, metadata)).toEqual(file);
    // Also from plain values packed per dtype (the path Radix users take), not just from decoded bytes.
    const packed = Object.fromEntries(Object.entries(reference.tensors).map(([k, e]) => [k, { dtype: e.dtype, shape: e.shape, data: packValues(e.dtype, e.values, k) }]));
    expect(encodeSafetensors(packed, reference.metadata)).toEqual(file);
  });

  it('writes the byte strings the library pins in its own tests', () => {
    expect(encodeSafetensors({})).toEqual(new Uint8Array([8, 0, 0, 0, 0, 0, 0, 0, ...enc('{}      ')]));
    expect(encodeSafetensors({}, { framework: 'pt' })).toEqual(handMade('{"__metadata__":{"framework":"pt"}}'));
    const f32 = [0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];
    const one = (name: string, shape: number[]) => encodeSafetensors({ [name]: { dtype: 'F32', shape, data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    expect(one('attn.0', [1, 2, 3])).toEqual(handMade('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', f32));
    const padded = one('attn0', [1, 1, 2, 3]);
    expect(padded).toEqual(handMade('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', f32));
    expect(new DataView(padded.buffer).getUint32(0, true)).toBe(72);
  });
});

describe('round trips', () => {
  it('every dtype survives encode → decode bit for bit', () => {
    const src: Record<string, RawTensor> = {
      f64: { dtype: 'F64', shape: [2], data: new Float64Array([Math.PI, -0]) },
      f32: { dtype: 'F32', shape: [2, 2], data: new Float32Array([1, -2, NaN, Infinity]) },
      f16: { dtype: 'F16', shape: [3], data: new Uint16Array([0x3c00, 0x7e00, 0x0001]) },
      bf16: { dtype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xff80, 0x0001]) },
      i64: { dtype: 'I64', shape: [2], data: new BigInt64Array([-(2n ** 63n), 2n ** 62n]) },
      i32: { dtype: 'I32', shape: [1, 3], data: new Int32Array([-5, 0, 2 ** 31 - 1]) },
      i16: { dtype: 'I16', shape: [2], data: new Int16Array([-32768, 32767]) },
      i8: { dtype: 'I8', shape: [2], data: new Int8Array([-128, 127]) },
      u32: { dtype: 'U32', shape: [1], data: new Uint32Array([2 ** 32 - 1]) },
      u16: { dtype: 'U16', shape: [1], data: new Uint16Array([65535]) },
      u8: { dtype: 'U8', shape: [3], data: new Uint8Array([0, 128, 255]) },
      bool: { dtype: 'BOOL', shape: [], data: new Uint8Array([1]) },
      empty: { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) },
    };
    const { tensors } = decodeSafetensors(encodeSafetensors(src));
    for (const [k, t] of Object.entries(src)) {
      expect(tensors[k]!.dtype).toBe(t.dtype);
      expect(tensors[k]!.shape).toEqual(t.shape);
      expect(new Uint8Array(tensors[k]!.data.buffer), k).toEqual(new Uint8Array(t.data.buffer));
    }
  });

  it('property: random tensors of random dtypes and shapes round-trip exactly', () => {
    const arbRaw = fc.record({
      dtype: fc.constantFrom(...ALL),
      shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
      seed: fc.integer(),
    }).map(({ dtype, shape, seed }) => {
      const n = shape.reduce((a, b) => a * b, 1);
      const bytes = Uint8Array.from({ length: n * FILE_DTYPE_SIZE[dtype] }, (_, i) => (seed * 31 + i * 97) & 0xff);
      return { dtype, shape, data: dtype === 'BOOL' ? bytes.map((b) => b & 1) : bytes } as RawTensor;
    });
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }).filter((s) => s !== '__metadata__'), arbRaw, { maxKeys: 6 }), (tensors) => {
        const file = encodeSafetensors(tensors, { note: 'x' });
        const back = decodeSafetensors(file);
        expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(tensors).sort());
        for (const [k, t] of Object.entries(tensors)) expect(new Uint8Array(back.tensors[k]!.data.buffer)).toEqual(t.data);
        expect(encodeSafetensors(back.tensors, back.metadata)).toEqual(file);
        expect((file.byteLength - 8 - Object.values(tensors).reduce((s, t) => s + t.data.byteLength, 0)) % 8).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('float16/bfloat16 rounding is exact on every bit pattern and rounds half to even', () => {
    for (let h = 0; h < 65536; h++) {
      const v = float16ToNumber(h);
      if (!Number.isNaN(v)) expect(numberToFloat16(v)).toBe(h);
      const b = bfloat16ToNumber(h);
      if (!Number.isNaN(b)) expect(numberToBFloat16(b)).toBe(h);
    }
    expect(numberToFloat16(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(numberToFloat16(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(numberToFloat16(65520)).toBe(0x7c00); // rounds to infinity
    expect(numberToBFloat16(1 + 2 ** -8)).toBe(0x3f80);
  });
});

describe('corrupt or hostile files are refused with a clear error', () => {
  const ok = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  it.each([
    ['shorter than the length field', new Uint8Array(5), /too short for the 8-byte header length/],
    ['header length beyond the file', handMade(ok, new Array(8).fill(0)).slice(0, 40), /header length 56 runs past the end of the file/],
    ['absurd header length', new Uint8Array([255, 255, 255, 255, 255, 255, 255, 255, 123]), /larger than the 100000000-byte limit/],
    ['not JSON', handMade('{"a": nope}'), /header is not valid JSON/],
    ['not starting with {', handMade('[1, 2]'), /must start with '\{'/],
    ['invalid UTF-8', (() => { const f = handMade('{"a":1}'); f[10] = 0xff; return f; })(), /not valid UTF-8/],
    ['unknown dtype', handMade('{"a":{"dtype":"F8_E4M3","shape":[1],"data_offsets":[0,1]}}', [0]), /unsupported dtype "F8_E4M3"/],
    ['offsets past the data', handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', [0, 0, 0, 0]), /run past the end of the data section \(4 bytes\)/],
    ['offsets ending before they begin', handMade('{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}'), /end before they begin/],
    ['size mismatch', handMade('{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', new Array(8).fill(0)), /= 12 bytes but data_offsets \[0, 8\] span 8/],
    ['overlapping tensors', handMade('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /'b' data_offsets \[4, 8\] overlap the previous tensor/],
    ['a gap', handMade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /leave a gap .* \(expected to begin at 0\)/],
    ['trailing bytes', handMade(ok, new Array(12).fill(0)), /cover 8 bytes but the data section has 12/],
    ['duplicate keys', handMade('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)), /the key 'a' twice/],
    ['non-string metadata', handMade('{"__metadata__":{"n":1}}'), /__metadata__ 'n' must be a string/],
    ['negative shape', handMade('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}'), /must hold non-negative integers/],
  ])('%s', (_, bytes, msg) => {
    expect(() => decodeSafetensors(bytes)).toThrow(msg);
  });

  it('keeps a tensor named __proto__ as plain data', () => {
    const { tensors } = decodeSafetensors(handMade('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', [7]));
    expect(Object.getPrototypeOf(tensors)).toBe(Object.prototype);
    expect(Array.from(tensors['__proto__']!.data as Uint8Array)).toEqual([7]);
  });

  it('refuses inconsistent tensors when encoding', () => {
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow(/needs 12 bytes but its data has 8/);
    expect(() => encodeSafetensors({ a: { dtype: 'F32', shape: [2], data: new Int32Array(2) } })).toThrow(/F32 data must be a Float32Array or raw bytes/);
    expect(() => encodeSafetensors({ a: { dtype: 'Q4' as FileDType, shape: [2], data: new Uint8Array(2) } })).toThrow(/unsupported dtype 'Q4'/);
    expect(() => packValues('U8', [256], 'w')).toThrow(/value 256 at index 0 does not fit in U8/);
  });
});

const dir = mkdtempSync(join(tmpdir(), 'radix-io-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const backends = await testBackends();

describe('saveSafetensors (file system)', () => {
  it('leaves an existing file untouched when the new contents are refused', async () => {
    const path = join(dir, 'keep.safetensors');
    await saveSafetensors(path, { a: { dtype: 'U8', shape: [2], data: new Uint8Array([1, 2]) } });
    const before = readFileSync(path);
    await expect(saveSafetensors(path, { a: { dtype: 'F32', shape: [3], data: new Float32Array(1) } })).rejects.toThrow(/needs 12 bytes/);
    await expect(saveSafetensors(join(dir, 'no-such-dir', 'x.safetensors'), {})).rejects.toThrow(/ENOENT/);
    expect(readFileSync(path)).toEqual(before);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('Radix tensors on %s', (_, backend) => {
  it('save → load keeps dtype, shape and values; the write is atomic (no temp file left)', async () => {
    const sizes = [1, 3, 7, 17, 65];
    const src = {
      'w.f32': tensor(Float32Array.from({ length: 3 * 17 }, (_, i) => Math.sin(i) * 100), { shape: [3, 17], backend }),
      'i.i32': tensor(Int32Array.from(sizes.map((s) => -s * 1000)), { backend }),
      'u.u32': tensor(Uint32Array.from([0, 4294967295, 5]), { backend }),
      'b.bool': tensor([true, false, true, true, false, true, false], { backend }),
      's.scalar': tensor(2.5, { backend }),
    };
    const path = join(dir, `model-${backend.name}.safetensors`);
    await saveSafetensors(path, { ...src, 'raw.f16': { dtype: 'F16', shape: [2], data: new Uint16Array([0x3c00, 0xc000]) } }, { format: 'pt' });
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    const back = await loadSafetensors(path, { backend });
    for (const [k, t] of Object.entries(src)) {
      expect(back[k]!.dtype, k).toBe(t.dtype);
      expect(back[k]!.shape, k).toEqual(t.shape);
      expect(await back[k]!.data(), k).toEqual(await t.data());
    }
    expect(Array.from(await back['raw.f16']!.data())).toEqual([1, -2]);
    expect(decodeSafetensors(readFileSync(path)).metadata).toEqual({ format: 'pt' });
  });

  it('loads the reference file, widening to Radix dtypes; int64 beyond int32 is refused naming the key', async () => {
    const sd = await loadSafetensors(fixture('reference.safetensors'), { backend });
    const want: Record<FileDType, string> = { F64: 'float32', F32: 'float32', F16: 'float32', BF16: 'float32', I64: 'int32', I32: 'int32', I16: 'int32', I8: 'int32', U32: 'uint32', U16: 'uint32', U8: 'uint32', BOOL: 'bool' };
    for (const [k, e] of Object.entries(reference.tensors)) {
      expect(sd[k]!.dtype, k).toBe(want[e.dtype]);
      expect(Array.from(await sd[k]!.data()), k).toEqual(want[e.dtype] === 'float32' ? e.values.map(Math.fround) : e.values);
    }
    await expect(loadSafetensors(fixture('int64_overflow.safetensors'), { backend })).rejects.toThrow(/tensor 'big\.counter': int64 value 1099511627776 at index 1 does not fit in int32/);
  });

  it('property: CPU and this backend save identical bytes for random shapes (sizes not multiples of 4/8/16)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 19 }), { minLength: 1, maxLength: 3 }), fc.integer(), async (shape, seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed + i)));
        const a = tensor(data, { shape, backend });
        const b = tensor(data, { shape, backend: 'cpu' });
        const pa = join(dir, 'a.safetensors');
        const pb = join(dir, 'b.safetensors');
        await saveSafetensors(pa, { x: a });
        await saveSafetensors(pb, { x: b });
        expect(readFileSync(pa)).toEqual(readFileSync(pb));
        a.dispose();
        b.dispose();
      }),
      { numRuns: 12 },
    );
  });
});
