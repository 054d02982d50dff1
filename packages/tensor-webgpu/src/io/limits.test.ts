// The readers' budgets as options: each limit refuses with its name, raising it lets the same file load, and bytes
// sources are named in errors by `name`. (The big hostile files are in hostile/, run in child processes.)
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RadixError } from '../errors.js';
import { deflateRun, PickleWriter, stateDictPickle, torchZip } from './hostile/hostile-files.js';
import { defaultByteBudget } from './limits.js';
import { decodePth, loadPth, readPthIndex } from './pth.js';
import { decodeSafetensors, encodeSafetensors, loadSafetensors } from './safetensors.js';
import { unpickle } from './pickle.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/io/${name}`, import.meta.url)));
const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);
const dir = mkdtempSync(join(tmpdir(), 'radix-limits-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkpoint budgets', () => {
  it('defaults to 4 × file size + 256 MiB', () => {
    expect(defaultByteBudget(0)).toBe(268435456);
    expect(defaultByteBudget(100e6)).toBe(668435456);
  });

  it('maxBytes refuses a stride-0 view beyond it before allocating, and a larger budget loads it as values', async () => {
    const file = torchZip(stateDictPickle('w', 1, [1 << 16], [0]), { 0: f32(2.5) }); // 256 KiB once materialised
    const err = await decodePth(file, { maxBytes: 100_000, name: 'small.pth' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RadixError);
    expect((err as Error).message).toBe(
      "decodePth: 'small.pth': pth: tensor 'w' (shape [65536], strides [0]) is 262144 bytes once materialised but views 4 stored bytes: " +
        'that would take the load to 262144 bytes, over its byte budget of 100000 bytes (maxBytes); pass a larger maxBytes to load it anyway',
    );
    const raw = await decodePth(file);
    expect(raw.w!.shape).toEqual([65536]);
    expect((raw.w!.data as Float32Array).every((v) => v === 2.5)).toBe(true);
  });

  it('maxBytes counts inflated DEFLATE storages, and frees them after their last tensor', async () => {
    const d = deflateRun(new Uint8Array(0), 0, 4 << 20, new Uint8Array(0)); // 4 MiB of zeros
    const item = { name: '', data: d.data, method: 8, size: d.size, crc: d.crc };
    // Two tensors, each a 4-element view of its own 4 MiB DEFLATE storage: 5 MiB suffices only if the first is freed.
    const w = new PickleWriter().proto().raw(0x7d);
    for (const k of ['0', '1']) w.str(`w${k}`).tensorV2(k, 1 << 20, 0, [4], [1]).raw(0x73);
    const file = torchZip(w.stop().bytes(), { 0: item, 1: item });
    await expect(decodePth(file, { maxBytes: 1 << 20 })).rejects.toThrow(
      /storage '0' \(archive entry 'archive\/data\/0', DEFLATE, \d+ bytes in the file\) inflates to 4194304 bytes: that would take the load to 4194320 bytes, over its byte budget of 1048576 bytes \(maxBytes\)/,
    );
    const raw = await decodePth(file, { maxBytes: 5 << 20 });
    expect(Object.keys(raw)).toEqual(['w0', 'w1']);
    expect(Array.from(raw.w1!.data as Float32Array)).toEqual([0, 0, 0, 0]);
  });

  it('refuses a DEFLATE entry declaring more bytes than its storage needs', async () => {
    const d = deflateRun(new Uint8Array(0), 0, 64, new Uint8Array(0));
    const file = torchZip(stateDictPickle('w', 4, [4], [1]), { 0: { name: '', data: d.data, method: 8, size: d.size, crc: d.crc } });
    await expect(decodePth(file)).rejects.toThrow("archive entry 'archive/data/0' declares 64 bytes but storage '0' (FloatStorage, 4 elements) needs only 16; refused before inflating");
  });

  it('maxPickleBytes and maxPickleOps refuse zip and legacy pickles by name', async () => {
    await expect(readPthIndex(fixture('tiny_zip.pth'), { maxPickleBytes: 100, name: 'tiny.pth' })).rejects.toThrow(
      /^readPthIndex: 'tiny\.pth': pth: 'tiny_zip\/data\.pkl' declares \d+ bytes, more than the 100-byte pickle limit \(maxPickleBytes\); refused before inflating$/,
    );
    await expect(readPthIndex(fixture('tiny_zip.pth'), { maxPickleOps: 50 })).rejects.toThrow(/'tiny_zip\/data\.pkl': pickle: more than 50 opcodes \(maxPickleOps\)/);
    await expect(readPthIndex(fixture('tiny_legacy.pth'), { maxPickleBytes: 200 })).rejects.toThrow(
      /legacy state-dict pickle at offset \d+: pickle: the pickle starting at offset \d+ is larger than the 200-byte limit \(maxPickleBytes\)/,
    );
    expect((await readPthIndex(fixture('tiny_zip.pth'))).length).toBeGreaterThan(5);
  });

  it('refuses bad option values', async () => {
    await expect(readPthIndex(fixture('tiny_zip.pth'), { maxBytes: -1 })).rejects.toThrow(/option maxBytes must be a non-negative number, got -1/);
  });

  it('counts container copies against the opcode budget (a memoised list cannot be copied without bound)', () => {
    const w = new PickleWriter().proto().raw(0x5d).mark();
    for (let i = 0; i < 1000; i++) w.int(i).raw(0x4e, 0x86);
    w.raw(0x65, 0x94, 0x5d).mark();
    for (let i = 0; i < 100; i++) w.global('collections', 'OrderedDict').raw(0x68, 0, 0x85, 0x52);
    const bytes = w.raw(0x65).stop().bytes();
    const globals = { 'collections.OrderedDict': (a: unknown[]) => new Map(a[0] as [unknown, unknown][]) };
    expect(() => unpickle(bytes, { globals, maxPickleOps: 100_000 })).toThrow(/pickle: more than 100000 opcodes \(maxPickleOps\)/);
    expect((unpickle(bytes, { globals }).value as unknown[]).length).toBe(100);
  });

  it('turns errors of allow-listed stand-ins into pickle errors naming the global', () => {
    const bytes = new PickleWriter().proto().global('m', 'f').raw(0x29, 0x52).stop().bytes();
    const globals = { 'm.f': () => { throw new TypeError('boom'); } };
    expect(() => unpickle(bytes, { globals })).toThrow(/^pickle: REDUCE of 'm\.f' at offset \d+ failed: boom$/);
  });
});

describe('safetensors budgets', () => {
  const file = encodeSafetensors({ a: { dtype: 'F32', shape: [256], data: new Float32Array(256) }, b: { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) } });

  it('maxBytes refuses from the header, before reading the data of a path', async () => {
    const path = join(dir, 'two.safetensors');
    writeFileSync(path, file);
    await expect(loadSafetensors(path, { maxBytes: 1000, backend: 'cpu' })).rejects.toThrow(
      `loadSafetensors: '${path}': safetensors: the tensors hold 1027 bytes (the largest, 'a', 1024), more than the 1000-byte budget (maxBytes); refused before reading the data`,
    );
    const sd = await loadSafetensors(path, { maxBytes: 1027, backend: 'cpu' });
    expect(Object.keys(sd)).toEqual(['a', 'b']);
    for (const t of Object.values(sd)) t.dispose();
  });

  it('maxHeaderBytes and name', () => {
    expect(() => decodeSafetensors(file, { maxHeaderBytes: 10, name: 'x.safetensors' })).toThrow(
      /^decodeSafetensors: 'x\.safetensors': safetensors: header length \d+ is larger than the 10-byte limit \(maxHeaderBytes; corrupt or not a safetensors file\)$/,
    );
  });
});
