// The hostile-checkpoint corpus: each case of Radix issue 12 (and neighbours), built into a folder at test time,
// with the reader call to run on it and what must come out (a refusal naming file, key and limit, or a clean load).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PickleWriter, deflateRun, legacyPth, stateDictPickle, torchZip } from './hostile-files.js';

/** One corpus case. */
export interface HostileCase {
  name: string;
  /** Which reader the child runs. */
  api: 'loadPth' | 'readPthIndex' | 'decodePth' | 'loadSafetensors' | 'unpickle';
  /** Writes the file into `dir` and returns its path. */
  build(dir: string): string;
  /** Reader options (JSON). */
  options?: Record<string, unknown>;
  /** A refusal matching this, or `ok` with this summary. */
  expect: { error: RegExp } | { ok: RegExp };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const GiB = 2 ** 30;
const write = (dir: string, name: string, bytes: Uint8Array): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const f32 = (...v: number[]): Uint8Array => new Uint8Array(Float32Array.from(v).buffer);

/** `PROTO 2, N × NONE, STOP` deflated (about 1000:1), with the declared size honest or a lie. */
function noneBomb(declared?: number): Uint8Array {
  const d = deflateRun(Uint8Array.from([0x80, 2]), 0x4e, GiB, Uint8Array.from([0x2e]));
  return torchZip({ name: '', data: d.data, method: 8, size: declared ?? d.size, crc: d.crc });
}

/** A pickle list of `n` small ints, built by one APPENDS (`batched`) or by n APPENDs. */
function bigList(n: number, batched: boolean): Uint8Array {
  const w = new PickleWriter().proto().raw(0x5d);
  if (batched) w.mark();
  for (let i = 0; i < n; i++) {
    w.raw(0x4b, i & 0xff);
    if (!batched) w.raw(0x61);
  }
  if (batched) w.raw(0x65);
  return w.stop().bytes();
}

export const HOSTILE_CASES: readonly HostileCase[] = [
  {
    name: 'pickle-none-bomb.pth: a 7 MB zip whose data.pkl inflates to 1 GiB of NONE',
    api: 'loadPth',
    build: (dir) => write(dir, 'pickle-none-bomb.pth', noneBomb()),
    expect: { error: /pickle-none-bomb\.pth.*'archive\/data\.pkl'.*1073741827 bytes.*67108864-byte.*maxPickleBytes/ },
  },
  {
    name: 'pickle-none-bomb-lying.pth: the same stream declaring 1000 bytes',
    api: 'readPthIndex',
    build: (dir) => write(dir, 'pickle-none-bomb-lying.pth', noneBomb(1000)),
    expect: { error: /pickle-none-bomb-lying\.pth.*'archive\/data\.pkl' inflates to more than the 1000 bytes/ },
  },
  {
    name: 'pickle-ops.pth: 60 MB of NONE opcodes (under the size limit, over the opcode limit)',
    api: 'readPthIndex',
    build: (dir) => {
      const d = deflateRun(Uint8Array.from([0x80, 2]), 0x4e, 60_000_000, Uint8Array.from([0x2e]));
      return write(dir, 'pickle-ops.pth', torchZip({ name: '', data: d.data, method: 8, size: d.size, crc: d.crc }));
    },
    expect: { error: /pickle-ops\.pth.*'archive\/data\.pkl'.*more than 10000000 opcodes.*maxPickleOps/ },
  },
  {
    name: 'stride0.pth: a 494-byte file declaring a stride-0 tensor of 2^28 elements over one float',
    api: 'loadPth',
    build: (dir) => write(dir, 'stride0.pth', torchZip(stateDictPickle('w', 1, [2 ** 28], [0]), { 0: f32(1) })),
    expect: { error: /stride0\.pth.*tensor 'w'.*1073741824 bytes.*views 4 stored bytes.*budget of \d+ bytes.*maxBytes/ },
  },
  {
    name: 'stride0.pth (index): listing it reads no data and succeeds',
    api: 'readPthIndex',
    build: (dir) => write(dir, 'stride0-index.pth', torchZip(stateDictPickle('w', 1, [2 ** 28], [0]), { 0: f32(1) })),
    expect: { ok: /^w:\[268435456\]$/ },
  },
  {
    name: 'deflate-bomb.pth: an honest 7 MB DEFLATE storage of 1 GiB of zeros',
    api: 'loadPth',
    build: (dir) => {
      const d = deflateRun(new Uint8Array(0), 0, GiB, new Uint8Array(0));
      return write(dir, 'deflate-bomb.pth', torchZip(stateDictPickle('w', 2 ** 28, [2 ** 28], [1]), { 0: { name: '', data: d.data, method: 8, size: d.size, crc: d.crc } }));
    },
    expect: { error: /deflate-bomb\.pth.*tensor 'w'.*needs 1073741824 bytes.*budget of \d+ bytes.*maxBytes/ },
  },
  {
    name: 'deflate-bomb-view.pth: a 4-element view of that 1 GiB DEFLATE storage',
    api: 'loadPth',
    build: (dir) => {
      const d = deflateRun(new Uint8Array(0), 0, GiB, new Uint8Array(0));
      return write(dir, 'deflate-bomb-view.pth', torchZip(stateDictPickle('w', 2 ** 28, [4], [1]), { 0: { name: '', data: d.data, method: 8, size: d.size, crc: d.crc } }));
    },
    expect: { error: /deflate-bomb-view\.pth.*storage '0' \(archive entry 'archive\/data\/0', DEFLATE.*inflates to 1073741824 bytes.*budget of \d+ bytes.*maxBytes/ },
  },
  {
    name: 'string-line.pth: a 300 KB file whose pickle is one 50 MB STRING line',
    api: 'readPthIndex',
    build: (dir) => {
      const d = deflateRun(enc("(dp0\nS'"), 0x61, 50_000_000, enc("'\np1\nI1\ns.")); // {'aaa…': 1}
      return write(dir, 'string-line.pth', torchZip({ name: '', data: d.data, method: 8, size: d.size, crc: d.crc }));
    },
    expect: { error: /string-line\.pth.*'archive\/data\.pkl'.*text line at offset \d+ is longer than the 1048576-byte limit/ },
  },
  {
    name: 'appends.pkl: a list of 500,000 items built by one APPENDS',
    api: 'unpickle',
    build: (dir) => write(dir, 'appends.pkl', bigList(500_000, true)),
    expect: { ok: /^list of 500000$/ },
  },
  {
    name: 'append.pkl: a list of 500,000 items built by 500,000 APPENDs',
    api: 'unpickle',
    build: (dir) => write(dir, 'append.pkl', bigList(500_000, false)),
    expect: { ok: /^list of 500000$/ },
  },
  {
    name: 'appends.pth: a state dict holding a 500,000-item list next to a tensor',
    api: 'loadPth',
    build: (dir) => {
      const w = new PickleWriter().proto().raw(0x7d).str('w').tensorV2('0', 2, 0, [2], [1]).raw(0x73).str('list').raw(0x5d).mark();
      for (let i = 0; i < 500_000; i++) w.raw(0x4b, 7);
      return write(dir, 'appends.pth', torchZip(w.raw(0x65, 0x73).stop().bytes(), { 0: f32(1, 2) }));
    },
    expect: { ok: /^w:\[2\]$/ },
  },
  {
    name: 'nested.pth: lists nested 200,000 deep',
    api: 'readPthIndex',
    build: (dir) => {
      const w = new PickleWriter().proto();
      for (let i = 0; i < 200_000; i++) w.raw(0x5d);
      for (let i = 0; i < 200_000 - 1; i++) w.raw(0x61);
      return write(dir, 'nested.pth', torchZip(w.stop().bytes()));
    },
    expect: { error: /nested\.pth.*nested more than 1000 levels deep/ },
  },
  {
    name: 'from-type-v2.pth: _rebuild_from_type_v2 as torch 2 writes it for a tensor with Python attributes',
    api: 'loadPth',
    build: (dir) => {
      const w = new PickleWriter().proto().raw(0x7d).str('t').global('torch._tensor', '_rebuild_from_type_v2');
      w.tuple((a) => {
        a.global('torch._utils', '_rebuild_tensor_v2').global('torch', 'Tensor');
        a.tuple((b) => b.storage('0', 3).int(0).intTuple([3]).intTuple([1]).raw(0x89).global('collections', 'OrderedDict').raw(0x29, 0x52));
        a.raw(0x7d).str('foo').int(1).raw(0x73); // state {'foo': 1}
      });
      return write(dir, 'from-type-v2.pth', torchZip(w.raw(0x52, 0x73).stop().bytes(), { 0: f32(1, 2, 3) }));
    },
    expect: { ok: /^t:\[3\]$/ },
  },
  {
    name: 'from-type-v2-bad.pth: _rebuild_from_type_v2 with None for the rebuild arguments',
    api: 'loadPth',
    build: (dir) => {
      const w = new PickleWriter().proto().raw(0x7d).str('t').global('torch._tensor', '_rebuild_from_type_v2');
      w.tuple((a) => a.global('torch._utils', '_rebuild_tensor_v2').global('torch', 'Tensor').raw(0x4e).raw(0x7d));
      return write(dir, 'from-type-v2-bad.pth', torchZip(w.raw(0x52, 0x73).stop().bytes()));
    },
    expect: { error: /from-type-v2-bad\.pth.*_rebuild_from_type_v2: the arguments of '.*' must be a tuple, got None/ },
  },
  {
    name: 'huge-shape.pth: shape [1e9, 1e9, 1e9, 5] (4.95e27 elements) over one float',
    api: 'loadPth',
    build: (dir) => write(dir, 'huge-shape.pth', torchZip(stateDictPickle('w', 1, [1e9, 1e9, 1e9, 5], [0, 0, 0, 0]), { 0: f32(1) })),
    expect: { error: /huge-shape\.pth.*tensor 'w'.*shape \[1000000000, 1000000000, 1000000000, 5\].*more than 2\^53/ },
  },
  {
    name: 'huge-storage.pth: a storage declaring 2^40 elements',
    api: 'loadPth',
    build: (dir) => write(dir, 'huge-storage.pth', torchZip(stateDictPickle('w', 2 ** 40, [4], [1]), { 0: f32(1, 2, 3, 4) })),
    expect: { error: /huge-storage\.pth.*storage '0'.*4398046511104 bytes.*archive entry 'archive\/data\/0' has 16/ },
  },
  {
    name: 'legacy-huge.pth: a legacy stream whose storage declares 2^40 elements',
    api: 'loadPth',
    build: (dir) => write(dir, 'legacy-huge.pth', legacyPth(stateDictPickle('w', 2 ** 40, [4], [1]), ['0'], [{ numel: 4, bytes: f32(1, 2, 3, 4) }])),
    expect: { error: /legacy-huge\.pth.*storage '0'.*needs 4398046511104 bytes.*truncated/ },
  },
  {
    name: 'copy-amplifier.pth: one memoised list of 100,000 pairs handed to OrderedDict 1,000 times',
    api: 'readPthIndex',
    build: (dir) => {
      const w = new PickleWriter().proto().raw(0x5d).mark();
      for (let i = 0; i < 100_000; i++) w.int(i).raw(0x4e, 0x86); // (i, None)
      w.raw(0x65, 0x94); // APPENDS, MEMOIZE (memo 0)
      w.raw(0x5d).mark();
      for (let i = 0; i < 1000; i++) w.global('collections', 'OrderedDict').raw(0x68, 0, 0x85, 0x52); // OrderedDict((list,))
      return write(dir, 'copy-amplifier.pth', torchZip(w.raw(0x65).stop().bytes()));
    },
    expect: { error: /copy-amplifier\.pth.*'archive\/data\.pkl'.*more than 10000000 opcodes/ },
  },
  {
    name: 'big-header.safetensors: a header length of 2^40',
    api: 'loadSafetensors',
    build: (dir) => {
      const b = new Uint8Array(16);
      new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
      return write(dir, 'big-header.safetensors', b);
    },
    expect: { error: /big-header\.safetensors.*header length 1099511627776.*100000000-byte limit/ },
  },
  {
    name: 'huge-shape.safetensors: shape [1e9, 1e9, 1e9, 5] over 4 bytes',
    api: 'loadSafetensors',
    build: (dir) => {
      const head = enc(JSON.stringify({ w: { dtype: 'F32', shape: [1e9, 1e9, 1e9, 5], data_offsets: [0, 4] } }));
      const b = new Uint8Array(8 + head.length + 4);
      new DataView(b.buffer).setBigUint64(0, BigInt(head.length), true);
      b.set(head, 8);
      return write(dir, 'huge-shape.safetensors', b);
    },
    expect: { error: /huge-shape\.safetensors.*tensor 'w'.*shape \[1000000000, 1000000000, 1000000000, 5\].*too large/ },
  },
  {
    name: 'deep-header.safetensors: a 10 MB header of nested arrays',
    api: 'loadSafetensors',
    build: (dir) => {
      const head = enc(`{"w":${'['.repeat(5_000_000)}${']'.repeat(5_000_000)}}`);
      const b = new Uint8Array(8 + head.length);
      new DataView(b.buffer).setBigUint64(0, BigInt(head.length), true);
      b.set(head, 8);
      return write(dir, 'deep-header.safetensors', b);
    },
    expect: { error: /deep-header\.safetensors.*header nests deeper than 16 levels/ },
  },
];
