// Builders for the hostile-checkpoint regression corpus: pickles, zip archives and DEFLATE streams made by hand, so
// the big cases (1 GiB inflating from 1 MB) are generated at test time in milliseconds instead of being committed.
import { crc32 } from 'node:zlib';

/** Bytes of a pickle, built opcode by opcode. */
export class PickleWriter {
  private readonly parts: number[] = [];
  /** Raw bytes. */
  raw(...bytes: number[]): this {
    for (const b of bytes) this.parts.push(b);
    return this;
  }
  proto(v = 2): this { return this.raw(0x80, v); }
  mark(): this { return this.raw(0x28); }
  stop(): this { return this.raw(0x2e); }
  /** BININT (4-byte signed) or LONG1 for anything larger. */
  int(n: number | bigint): this {
    const v = BigInt(n);
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      this.raw(0x4a);
      for (let i = 0; i < 4; i++) this.raw(Number((BigInt.asUintN(32, v) >> BigInt(8 * i)) & 0xffn));
      return this;
    }
    const bytes: number[] = [];
    let x = v;
    while (x !== 0n && x !== -1n) {
      bytes.push(Number(x & 0xffn));
      x >>= 8n;
    }
    if (v > 0n && (bytes[bytes.length - 1]! & 0x80)) bytes.push(0);
    return this.raw(0x8a, bytes.length, ...bytes);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.raw(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  }
  global(module: string, name: string): this {
    return this.raw(0x63, ...new TextEncoder().encode(`${module}\n${name}\n`));
  }
  tuple(build: (w: this) => void): this {
    this.mark();
    build(this);
    return this.raw(0x74);
  }
  intTuple(v: readonly (number | bigint)[]): this {
    return this.tuple((w) => v.forEach((x) => w.int(x)));
  }
  /** BINPERSID of torch's ('storage', torch.<cls>, key, 'cpu', numel). */
  storage(key: string, numel: number | bigint, cls = 'FloatStorage'): this {
    this.tuple((w) => w.str('storage').global('torch', cls).str(key).str('cpu').int(numel));
    return this.raw(0x51);
  }
  /** `_rebuild_tensor_v2(storage, offset, shape, strides, False, OrderedDict())` on the stack. */
  tensorV2(key: string, numel: number | bigint, offset: number, shape: readonly (number | bigint)[], strides: readonly (number | bigint)[], cls = 'FloatStorage'): this {
    this.global('torch._utils', '_rebuild_tensor_v2');
    this.tuple((w) => {
      w.storage(key, numel, cls).int(offset).intTuple(shape).intTuple(strides).raw(0x89);
      w.global('collections', 'OrderedDict').raw(0x29, 0x52);
    });
    return this.raw(0x52);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** A pickle `{key: tensor}` (protocol 2) with one `_rebuild_tensor_v2` tensor, as torch.save writes data.pkl. */
export function stateDictPickle(key: string, numel: number | bigint, shape: readonly (number | bigint)[], strides: readonly (number | bigint)[], offset = 0): Uint8Array {
  const w = new PickleWriter().proto().raw(0x7d).str(key);
  return w.tensorV2('0', numel, offset, shape, strides).raw(0x73).stop().bytes();
}

/** One file of a hand-made zip: stored bytes, or an already-deflated stream with its true size and CRC. */
export interface ZipItem {
  name: string;
  data: Uint8Array;
  /** 8 when `data` is raw DEFLATE; 0 (default) when stored. */
  method?: number;
  /** Uncompressed size to declare (default: the true size). */
  size?: number;
  crc?: number;
}

/** Builds a zip archive (no zip64) from items; the central directory declares `size`/`crc` as given. */
export function makeZip(items: readonly ZipItem[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let at = 0;
  const push = (b: Uint8Array): void => {
    chunks.push(b);
    at += b.length;
  };
  const header = (fields: [number, number][]): Uint8Array => {
    const out = new Uint8Array(fields.reduce((s, [, n]) => s + n, 0));
    const dv = new DataView(out.buffer);
    let p = 0;
    for (const [v, n] of fields) {
      if (n === 2) dv.setUint16(p, v, true);
      else dv.setUint32(p, v >>> 0, true);
      p += n;
    }
    return out;
  };
  const central: Uint8Array[] = [];
  for (const it of items) {
    const name = new TextEncoder().encode(it.name);
    const size = it.size ?? it.data.length;
    const crc = it.crc ?? crc32(it.data);
    const method = it.method ?? 0;
    const offset = at;
    push(header([[0x04034b50, 4], [20, 2], [0, 2], [method, 2], [0, 4], [crc, 4], [it.data.length, 4], [size, 4], [name.length, 2], [0, 2]]));
    push(name);
    push(it.data);
    central.push(header([[0x02014b50, 4], [20, 2], [20, 2], [0, 2], [method, 2], [0, 4], [crc, 4], [it.data.length, 4], [size, 4], [name.length, 2], [0, 2], [0, 2], [0, 2], [0, 2], [0, 4], [offset, 4]]), name);
  }
  const cdStart = at;
  for (const c of central) push(c);
  push(header([[0x06054b50, 4], [0, 2], [0, 2], [items.length, 2], [items.length, 2], [at - cdStart, 4], [cdStart, 4], [0, 2]]));
  const out = new Uint8Array(at);
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** A torch-style zip checkpoint `archive/data.pkl` + `archive/data/<key>` (+ version). */
export function torchZip(pickle: ZipItem | Uint8Array, storages: Record<string, ZipItem | Uint8Array> = {}): Uint8Array {
  const item = (name: string, v: ZipItem | Uint8Array): ZipItem => (v instanceof Uint8Array ? { name, data: v } : { ...v, name });
  return makeZip([
    item('archive/data.pkl', pickle),
    ...Object.entries(storages).map(([k, v]) => item(`archive/data/${k}`, v)),
    { name: 'archive/version', data: new TextEncoder().encode('3\n') },
  ]);
}

/** LSB-first bit writer for DEFLATE. */
class Bits {
  private buf = new Uint8Array(1 << 16);
  private len = 0;
  private acc = 0;
  private n = 0;
  write(value: number, count: number): void {
    this.acc |= value << this.n;
    this.n += count;
    while (this.n >= 8) {
      if (this.len === this.buf.length) {
        const next = new Uint8Array(this.buf.length * 2);
        next.set(this.buf);
        this.buf = next;
      }
      this.buf[this.len++] = this.acc & 0xff;
      this.acc >>>= 8;
      this.n -= 8;
    }
  }
  /** A Huffman code is sent most significant bit first. */
  code(code: number, count: number): void {
    let r = 0;
    for (let i = 0; i < count; i++) r |= ((code >> i) & 1) << (count - 1 - i);
    this.write(r, count);
  }
  finish(): Uint8Array {
    if (this.n > 0) this.write(0, 8 - this.n);
    return this.buf.slice(0, this.len);
  }
}

function literal(b: Bits, v: number): void {
  if (v < 144) b.code(0x30 + v, 8);
  else b.code(0x190 + v - 144, 9);
}

/**
 * Raw DEFLATE (one fixed-Huffman block) of `prefix`, then `run` copies of `byte`, then `suffix` — the run coded as
 * 258-byte matches at distance 1, about 1000:1. Returns the stream, its inflated size and the CRC-32 of the output.
 */
export function deflateRun(prefix: Uint8Array, byte: number, run: number, suffix: Uint8Array): { data: Uint8Array; size: number; crc: number } {
  const b = new Bits();
  b.write(1, 1); // BFINAL
  b.write(1, 2); // fixed Huffman
  for (const v of prefix) literal(b, v);
  let left = run;
  if (left > 0) {
    literal(b, byte);
    left--;
  }
  while (left >= 258) {
    b.code(0xc5, 8); // length 258 (code 285)
    b.code(0, 5); // distance 1
    left -= 258;
  }
  for (; left > 0; left--) literal(b, byte);
  for (const v of suffix) literal(b, v);
  b.code(0, 7); // end of block
  let crc = crc32(prefix);
  const chunk = new Uint8Array(1 << 20).fill(byte);
  for (let done = 0; done < run; done += chunk.length) crc = crc32(chunk.subarray(0, Math.min(chunk.length, run - done)), crc);
  crc = crc32(suffix, crc);
  return { data: b.finish(), size: prefix.length + run + suffix.length, crc };
}

/** The legacy torch.save stream around a state-dict pickle: magic, protocol 1001, sys_info, main pickle, keys, storages. */
export function legacyPth(main: Uint8Array, keys: string[], storages: { numel: number; bytes: Uint8Array }[]): Uint8Array {
  const magic = new PickleWriter().proto().int(0x1950a86a20f9469cfc6cn).stop().bytes();
  const proto = new PickleWriter().proto().int(1001).stop().bytes();
  const sys = new PickleWriter().proto().raw(0x7d).stop().bytes();
  const list = new PickleWriter().proto().raw(0x5d).mark();
  for (const k of keys) list.str(k);
  const keysPkl = list.raw(0x65).stop().bytes();
  const parts: Uint8Array[] = [magic, proto, sys, main, keysPkl];
  for (const s of storages) {
    const n = new Uint8Array(8);
    new DataView(n.buffer).setBigInt64(0, BigInt(s.numel), true);
    parts.push(n, s.bytes);
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
