// Restricted unpickler: opcodes of protocols 0–5, the global allow-list (hostile pickles refused by name), corrupt input.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PyGlobal, SET_STATE, unpickle } from './pickle.js';
import { type StorageRef, TensorRef, gatherTensorBytes, storageFromPid, torchGlobals } from './torch-pickle.js';
import { readZipDirectory, readZipEntry } from './zip.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url)));
const bytes = (...parts: (number | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => (typeof p === 'number' ? [p] : Array.from(p, (c) => c.charCodeAt(0)))));
const load = (b: Uint8Array, globals = {}): unknown => unpickle(b, { globals }).value;

describe('opcodes', () => {
  it('decodes protocol 0 (text opcodes) written by Python', () => {
    const v = load(fixture('protocol0.pkl')) as Map<string, unknown>;
    expect(v).toBeInstanceOf(Map);
    expect(v.get('a')).toEqual([1, -2, 3.5, 'text', null, true, 10n ** 20n]);
    expect(v.get('b')).toEqual(['x', 0]);
    expect(load(bytes('(', 'F', 'inf\n', 'F', '-inf\n', 'F', '1e-3\n', 'I', '00\n', 'L', '-7L\n', 'S', "'a\\n\\x41'\n", 'V', 'caf\\u00e9\n', 't', '.'))).toEqual([
      Infinity, -Infinity, 0.001, false, -7, 'a\nA', 'café',
    ]);
    expect(() => load(bytes('F', 'constructor\n', '.'))).toThrow(/bad FLOAT literal 'constructor'/);
  });

  it('decodes protocol 2–5 binary opcodes', () => {
    expect(load(bytes(0x80, 2, ']', 'q', 0, '(', 'K', 1, 'M', 0x34, 0x12, 'J', 0xff, 0xff, 0xff, 0xff, 'e', '.'))).toEqual([1, 0x1234, -1]);
    expect(load(bytes(0x80, 2, 0x8a, 2, 0x00, 0x80, '.'))).toBe(-32768); // LONG1, negative two's complement
    expect(load(bytes(0x80, 2, 0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1, '.'))).toBe(2n ** 64n);
    expect(load(bytes('G', 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, '.'))).toBe(Math.PI); // BINFLOAT is big-endian
    expect(load(bytes(0x80, 3, 'C', 2, 0xde, 0xad, '.'))).toEqual(new Uint8Array([0xde, 0xad]));
    expect(load(bytes(0x80, 4, 0x95, 5, 0, 0, 0, 0, 0, 0, 0, 0x8c, 2, 'h', 'i', 0x94, 'h', 0, 0x86, '.'))).toEqual(['hi', 'hi']);
    expect(load(bytes(0x80, 4, 0x8f, '(', 'K', 1, 'K', 2, 0x90, '.'))).toEqual(new Set([1, 2]));
    expect(load(bytes(0x80, 4, '(', 'K', 3, 0x91, '.'))).toEqual(new Set([3]));
    expect(load(bytes(0x80, 2, 'K', 1, '2', 'K', 2, '0', 0x86, '.'))).toEqual([1, 1]); // DUP, POP
    expect(load(bytes(0x80, 2, 'N', '(', 'K', 1, '1', '.'))).toBe(null); // POP_MARK
    expect(load(bytes(0x80, 2, '}', '(', 'X', 1, 0, 0, 0, 'k', 0x88, 'u', '.'))).toEqual(new Map([['k', true]]));
    expect(load(bytes(0x80, 2, 'K', 5, 'r', 7, 0, 0, 0, '0', 'j', 7, 0, 0, 0, '.'))).toBe(5); // LONG_BINPUT/LONG_BINGET
    expect(load(bytes(0x80, 5, 0x96, 1, 0, 0, 0, 0, 0, 0, 0, 9, 0x98, '.'))).toEqual(new Uint8Array([9])); // BYTEARRAY8, READONLY_BUFFER
  });

  it('calls allow-listed globals (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ, STACK_GLOBAL) and hands BUILD state over', () => {
    const made: unknown[] = [];
    const globals = {
      'm.f': (args: unknown[]) => ({ args, [SET_STATE](s: unknown) { made.push(s); } }),
      'm.Marker': null,
    };
    const reduce = load(bytes('c', 'm\nf\n', 'K', 1, 0x85, 'R', 'K', 9, 'b', '.'), globals) as { args: unknown[] };
    expect(reduce.args).toEqual([1]);
    expect(made).toEqual([9]);
    expect((load(bytes(0x80, 2, 'c', 'm\nf\n', ')', 0x81, '.'), globals) as { args: unknown[] }).args).toEqual([]);
    expect((load(bytes(0x80, 4, 0x8c, 1, 'm', 0x8c, 1, 'f', 0x93, 'K', 2, 0x85, '}', 0x92, '.'), globals) as { args: unknown[] }).args).toEqual([2]);
    expect((load(bytes('(', 'K', 4, 'i', 'm\nf\n', '.'), globals) as { args: unknown[] }).args).toEqual([4]);
    expect((load(bytes('(', 'c', 'm\nf\n', 'K', 5, 'o', '.'), globals) as { args: unknown[] }).args).toEqual([5]);
    const marker = load(bytes('c', 'm\nMarker\n', '.'), globals);
    expect(marker).toBeInstanceOf(PyGlobal);
    expect((marker as PyGlobal).qualname).toBe('m.Marker');
    expect(() => load(bytes('c', 'm\nMarker\n', ')', 'R', '.'), globals)).toThrow(/'m.Marker' may be referenced but not called/);
  });
});

describe('torch globals', () => {
  it('rebuilds tensors through _rebuild_from_type_v2 (tensor subclasses) with storages from persistent ids', () => {
    const refs = new Map<string, StorageRef>();
    const pkl = bytes(
      'c', 'torch._tensor\n_rebuild_from_type_v2\n', '(', 'c', 'torch._utils\n_rebuild_tensor_v2\n', 'c', 'torch\nTensor\n',
      '(', '(', 'V', 'storage\n', 'c', 'torch\nHalfStorage\n', 'V', 'k\n', 'V', 'cpu\n', 'K', 3, 't', 'Q',
      'K', 1, 'K', 2, 0x85, 'K', 1, 0x85, 0x89, 'c', 'collections\nOrderedDict\n', ')', 'R', 't', '}', 't', 'R', '.',
    );
    const t = unpickle(pkl, { globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs) }).value as TensorRef;
    expect(t).toBeInstanceOf(TensorRef);
    expect([t.offset, t.shape, t.strides, t.numel]).toEqual([1, [2], [1], 2]);
    expect(t.storage).toMatchObject({ key: 'k', typeName: 'HalfStorage', dtype: 'F16', numel: 3 });
    expect(refs.get('k')).toBe(t.storage);
  });

  it('refuses persistent ids that are not storages, and tensor views that leave their storage', () => {
    const refs = new Map<string, StorageRef>();
    expect(() => storageFromPid(['module', 'x'], refs)).toThrow(/unsupported persistent id 'module'/);
    const s = storageFromPid(['storage', new PyGlobal('torch', 'FloatStorage', null), '0', 'cpu', 4], refs);
    expect(() => storageFromPid(['storage', new PyGlobal('torch', 'LongStorage', null), '0', 'cpu', 4], refs)).toThrow(/referenced as FloatStorage\[4\] and as LongStorage\[4\]/);
    expect(() => gatherTensorBytes(new TensorRef(s, 2, [2, 2], [2, 1]), new Uint8Array(16), 'w')).toThrow(
      "pth: tensor 'w' (shape [2, 2], strides [2, 1], offset 2) reaches element 5 of storage '0', which has 4",
    );
  });
});

describe('refusals', () => {
  it('refuses builtins.eval reached through STACK_GLOBAL (protocol 4) and runs nothing', () => {
    rmSync('radix-pwned-eval.txt', { force: true });
    expect(() => unpickle(fixture('hostile_eval_p4.pkl'), { globals: torchGlobals() })).toThrow(
      "refusing to load global 'builtins.eval' (module 'builtins', attribute 'eval')",
    );
    expect(existsSync('radix-pwned-eval.txt')).toBe(false);
  });

  it.each([
    ['GLOBAL', bytes('c', 'os\nsystem\n', '.'), /refusing to load global 'os\.system'/],
    ['INST', bytes('(', 'S', "'ls'\n", 'i', 'subprocess\nPopen\n', '.'), /refusing to load global 'subprocess\.Popen'/],
    ['inherited names', bytes('c', 'builtins\n__proto__\n', '.'), /refusing to load global 'builtins\.__proto__'/],
    ['extension registry', bytes(0x80, 2, 0x82, 1, '.'), /extension-registry opcode/],
    ['out-of-band buffers', bytes(0x80, 5, 0x97, '.'), /out-of-band buffers/],
    ['unknown opcode', bytes(0x80, 2, 0xff), /unknown opcode 0xff at offset 2/],
    ['newer protocol', bytes(0x80, 6, '.'), /unsupported protocol 6/],
    ['truncated data', bytes(0x80, 2, 'X', 100, 0, 0, 0, 'ab'), /unexpected end of data at offset 7 \(needs 100 more bytes, 2 left\)/],
    ['missing STOP', bytes(0x80, 2, 'N'), /unexpected end of data/],
    ['memo miss', bytes(0x80, 2, 'h', 3, '.'), /memo key 3 was never stored/],
    ['stack underflow', bytes(0x80, 2, 0x85, '.'), /stack underflow/],
    ['persistent id without handler', bytes(0x80, 2, 'K', 1, 'Q', '.'), /no persistent_load handler/],
    ['calling a non-global', bytes(0x80, 2, 'K', 1, ')', 'R', '.'), /REDUCE of a non-global value/],
    ['huge LONG4', bytes(0x80, 2, 0x8b, 0, 0, 1, 0, '.'), /LONG4 of 65536 bytes at offset 2 is larger than the 1024-byte limit/],
  ])('%s', (_, b, msg) => {
    expect(() => unpickle(b, { globals: torchGlobals() })).toThrow(msg);
  });
});

/** A minimal protocol-2 writer for the property below (None, bool, int, float, str, list, tuple, dict with str keys). */
function pickleValue(v: unknown, out: number[]): void {
  const u32 = (n: number) => out.push(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
  if (v === null) out.push(0x4e);
  else if (typeof v === 'boolean') out.push(v ? 0x88 : 0x89);
  else if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && v >= -(2 ** 31) && v < 2 ** 31) {
    out.push(0x4a);
    u32(v);
  } else if (typeof v === 'number') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, false);
    out.push(0x47, ...b);
  } else if (typeof v === 'string') {
    const b = new TextEncoder().encode(v);
    out.push(0x58);
    u32(b.length);
    out.push(...b);
  } else if (Array.isArray(v)) {
    out.push(0x5d, 0x28);
    for (const x of v) pickleValue(x, out);
    out.push(0x65);
  } else if (v instanceof Map) {
    out.push(0x7d, 0x28);
    for (const [k, x] of v) {
      pickleValue(k, out);
      pickleValue(x, out);
    }
    out.push(0x75);
  }
}

describe('properties', () => {
  const leaf = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true }), fc.string());
  const value = fc.letrec((tie) => ({
    v: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.array(fc.tuple(fc.string(), tie('v')), { maxLength: 4 }).map((e) => new Map(e))),
  })).v;

  it('written values unpickle to equal values', () => {
    fc.assert(
      fc.property(value, (v) => {
        const out = [0x80, 2];
        pickleValue(v, out);
        out.push(0x2e);
        expect(unpickle(Uint8Array.from(out), { globals: {} }).value).toEqual(v);
      }),
      { numRuns: 300 },
    );
  });

  it('mutated torch pickles either decode or throw an Error (never hang, never run anything)', async () => {
    const zip = fixture('nested_zip.pth');
    const pkl = await readZipEntry(zip, readZipDirectory(zip).find((e) => e.name.endsWith('data.pkl'))!);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(pkl.length - 1), fc.nat(255)), { minLength: 1, maxLength: 4 }), (edits) => {
        const b = pkl.slice();
        for (const [i, x] of edits) b[i] = x;
        try {
          unpickle(b, { globals: torchGlobals(), persistentLoad: (pid) => pid });
        } catch (e) {
          expect(e).toBeInstanceOf(Error);
        }
      }),
      { numRuns: 500 },
    );
  });
});
