// A restricted Python unpickler (protocols 0–5, as torch.save writes them) that decodes data and never executes anything.
// Globals resolve only through an explicit allow-list of JS implementations; any other global is refused by name.
// It runs in bounded memory and time: a size limit, an opcode budget, capped text lines, and no recursion.
import { RadixError } from '../errors.js';
import { DEFAULT_MAX_PICKLE_BYTES, DEFAULT_MAX_PICKLE_OPS, MAX_PICKLE_LINE_BYTES } from './limits.js';

/**
 * A resolved, allow-listed Python global (a class or function), passed around as data until the pickle calls it.
 *
 * @example
 * const g = unpickle(bytes, { globals: { 'torch.FloatStorage': null } }).value as PyGlobal;
 * g.qualname; // 'torch.FloatStorage'
 */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    /** The JS stand-in run when the pickle calls this global; null for globals that may only be referenced. */
    readonly impl: ((args: unknown[]) => unknown) | null,
  ) {}
  /** `module.name`. */
  get qualname(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Objects that accept the pickle BUILD opcode's state implement this symbol. */
export const SET_STATE = Symbol('pickle.setstate');

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /**
   * The allow-list: `'module.name'` → JS implementation called with the positional args of REDUCE/NEWOBJ/INST/OBJ,
   * or `null` for globals that may be referenced but not called (e.g. storage classes). Anything else is refused.
   */
  globals: Readonly<Record<string, ((args: unknown[]) => unknown) | null>>;
  /** Resolves persistent ids (PERSID/BINPERSID); required if the pickle uses them. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Byte offset where the pickle starts (default 0). */
  offset?: number;
  /** Largest pickle accepted, in bytes from `offset` (default 64 MiB). */
  maxPickleBytes?: number;
  /**
   * Most opcodes executed (default 10,000,000). Calls of allow-listed globals also count the elements of their
   * arguments (and of those arguments' own containers), so a memoised container cannot be copied without bound.
   */
  maxPickleOps?: number;
}

const MARK = Symbol('mark');
const MAX_LONG_BYTES = 1024;

function fail(msg: string): never {
  throw new RadixError('pickle', msg);
}

class Reader {
  pos: number;
  private readonly dv: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  /** End of what may be read: the data's end or `start + maxPickleBytes`, whichever comes first. */
  private readonly end: number;
  constructor(readonly bytes: Uint8Array, readonly start: number, readonly maxBytes: number) {
    this.pos = start;
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = Math.min(bytes.length, start + maxBytes);
  }
  need(n: number): number {
    if (!(n >= 0) || this.pos + n > this.end) {
      if (n >= 0 && this.end < this.bytes.length) {
        fail(`the pickle starting at offset ${this.start} is larger than the ${this.maxBytes}-byte limit (maxPickleBytes): opcode at offset ${this.pos} needs ${n} more bytes`);
      }
      fail(`unexpected end of data at offset ${this.pos} (needs ${n} more bytes, ${this.bytes.length - this.pos} left): truncated or corrupt pickle`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u8(): number { return this.bytes[this.need(1)]!; }
  u16(): number { return this.dv.getUint16(this.need(2), true); }
  i32(): number { return this.dv.getInt32(this.need(4), true); }
  u32(): number { return this.dv.getUint32(this.need(4), true); }
  u64(): number {
    const v = this.dv.getBigUint64(this.need(8), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail(`length ${v} at offset ${this.pos - 8} is too large`);
    return Number(v);
  }
  f64be(): number { return this.dv.getFloat64(this.need(8), false); }
  take(n: number): Uint8Array { const at = this.need(n); return this.bytes.slice(at, at + n); }
  str(n: number): string {
    const at = this.need(n);
    try {
      return this.utf8.decode(this.bytes.subarray(at, at + n));
    } catch {
      return fail(`invalid UTF-8 string at offset ${at}`);
    }
  }
  /** A protocol-0 text line (latin-1), at most MAX_PICKLE_LINE_BYTES long. */
  line(): string {
    const window = this.bytes.subarray(this.pos, Math.min(this.end, this.pos + MAX_PICKLE_LINE_BYTES + 1));
    const n = window.indexOf(0x0a);
    if (n < 0) {
      if (window.length > MAX_PICKLE_LINE_BYTES) fail(`text line at offset ${this.pos} is longer than the ${MAX_PICKLE_LINE_BYTES}-byte limit for protocol-0 lines`);
      if (this.end < this.bytes.length) fail(`the pickle starting at offset ${this.start} is larger than the ${this.maxBytes}-byte limit (maxPickleBytes)`);
      fail(`unterminated text line at offset ${this.pos}`);
    }
    const s = latin1(window.subarray(0, n));
    this.pos += n + 1;
    return s;
  }
}

function longFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return intValue(v);
}

function intValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function parseIntLine(s: string, what: string): number | bigint {
  const t = s.endsWith('L') ? s.slice(0, -1) : s;
  if (t.length > 2 * MAX_LONG_BYTES) fail(`${what} literal of ${t.length} digits is too long`);
  if (!/^[+-]?\d+$/.test(t)) fail(`bad ${what} literal '${s.slice(0, 32)}'`);
  return intValue(BigInt(t));
}

function parseFloatLine(s: string): number {
  const special: Record<string, number> = { inf: Infinity, '-inf': -Infinity, nan: NaN, '-nan': NaN };
  if (Object.prototype.hasOwnProperty.call(special, s)) return special[s]!;
  const v = Number(s);
  if (s.trim() === '' || Number.isNaN(v)) fail(`bad FLOAT literal '${s.slice(0, 32)}'`);
  return v;
}

/** Decodes Python's repr() of a str/bytes literal (protocol 0 STRING) without evaluating anything. */
function unquote(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) fail(`bad STRING literal ${s.slice(0, 32)}`);
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[\\'"nrt0])/g, (_, e: string) =>
    e[0] === 'x' ? String.fromCharCode(parseInt(e.slice(1), 16)) : ({ n: '\n', r: '\r', t: '\t', '0': '\0' } as Record<string, string>)[e] ?? e,
  );
}

function rawUnicode(s: string): string {
  const bytes = Uint8Array.from(s, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes).replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_, a?: string, b?: string) => String.fromCodePoint(parseInt((a ?? b)!, 16)));
}

/**
 * Decodes one pickle starting at `options.offset`, resolving only allow-listed globals (others throw
 * `refusing to load global 'module.name'` before anything further is read). Python values map to JS as:
 * None → null, bool → boolean, int → number (bigint beyond 2^53), float → number, str → string, bytes → Uint8Array,
 * list/tuple → Array, dict → Map, set/frozenset → Set. Returns the value and the offset just past its STOP opcode.
 *
 * @example
 * const { value, end } = unpickle(bytes, { globals: { 'collections.OrderedDict': () => new Map() } });
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): { value: unknown; end: number } {
  const maxBytes = options.maxPickleBytes ?? DEFAULT_MAX_PICKLE_BYTES;
  const maxOps = options.maxPickleOps ?? DEFAULT_MAX_PICKLE_OPS;
  const r = new Reader(bytes, options.offset ?? 0, maxBytes);
  let ops = 0;
  const charge = (n: number): void => {
    ops += n;
    if (ops > maxOps) fail(`more than ${maxOps} opcodes (maxPickleOps) by offset ${r.pos}: refusing a pickle this large or this repetitive (a state dict needs about 25 per tensor)`);
  };
  let stack: unknown[] = [];
  const metastack: unknown[][] = [];
  const memo = new Map<number, unknown>();
  const pop = (): unknown => {
    if (stack.length === 0) fail(`stack underflow at offset ${r.pos - 1}`);
    const v = stack.pop();
    if (v === MARK) fail(`unexpected MARK at offset ${r.pos - 1}`);
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0) fail(`stack underflow at offset ${r.pos - 1}`);
    return stack[stack.length - 1];
  };
  // Note: popMark replaces `stack`, so callers must take its result before touching `stack` again.
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail(`no MARK for opcode at offset ${r.pos - 1}`);
    stack = prev;
    return items;
  };
  const resolve = (module: string, name: string): PyGlobal => {
    const key = `${module}.${name}`;
    if (!Object.prototype.hasOwnProperty.call(options.globals, key)) {
      throw new RadixError('pickle', `refusing to load global '${key}' (module '${module}', attribute '${name}'): it is not on the allow-list of state-dict globals; nothing was executed`);
    }
    return new PyGlobal(module, name, options.globals[key]!);
  };
  const call = (fn: unknown, args: unknown, how: string): unknown => {
    if (!(fn instanceof PyGlobal)) fail(`${how} of a non-global value at offset ${r.pos - 1}`);
    if (!fn.impl) fail(`global '${fn.qualname}' may be referenced but not called (${how})`);
    if (!Array.isArray(args)) fail(`${how} of '${fn.qualname}' with non-tuple arguments`);
    charge(callCost(args as unknown[]));
    try {
      return fn.impl!(args as unknown[]);
    } catch (e) {
      if (e instanceof RadixError) throw e;
      return fail(`${how} of '${fn.qualname}' at offset ${r.pos - 1} failed: ${(e as Error)?.message ?? String(e)}`);
    }
  };
  const persistent = (pid: unknown): unknown => {
    if (!options.persistentLoad) fail('persistent id found but no persistent_load handler was given');
    return options.persistentLoad(pid);
  };
  const setItems = (d: unknown, items: unknown[]): void => {
    if (!(d instanceof Map)) fail(`SETITEM(S) on a non-dict at offset ${r.pos - 1}`);
    if (items.length % 2) fail('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) d.set(items[i], items[i + 1]);
  };
  const append = (l: unknown, items: unknown[]): void => {
    if (Array.isArray(l)) for (const v of items) l.push(v); // no spread: 500,000 items would overflow the call stack
    else if (l instanceof Set) for (const v of items) l.add(v);
    else fail(`APPEND(S)/ADDITEMS on a non-list at offset ${r.pos - 1}`);
  };

  for (;;) {
    const at = r.pos;
    const op = r.u8();
    charge(1);
    switch (op) {
      case 0x80: { // PROTO
        const v = r.u8();
        if (v > 5) fail(`unsupported protocol ${v}`);
        break;
      }
      case 0x95: r.u64(); break; // FRAME (frames are inline; the length is only a hint)
      case 0x2e: { // STOP
        const value = pop();
        return { value, end: r.pos };
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(r.i32()); break; // BININT
      case 0x4b: stack.push(r.u8()); break; // BININT1
      case 0x4d: stack.push(r.u16()); break; // BININT2
      case 0x8a: stack.push(longFromBytes(r.take(r.u8()))); break; // LONG1
      case 0x8b: { // LONG4 (capped: converting a huge integer is quadratic, and no checkpoint needs one)
        const n = r.i32();
        if (n > MAX_LONG_BYTES) fail(`LONG4 of ${n} bytes at offset ${at} is larger than the ${MAX_LONG_BYTES}-byte limit`);
        stack.push(longFromBytes(r.take(n)));
        break;
      }
      case 0x49: { // INT
        const s = r.line();
        stack.push(s === '01' ? true : s === '00' ? false : parseIntLine(s, 'INT'));
        break;
      }
      case 0x4c: stack.push(parseIntLine(r.line(), 'LONG')); break; // LONG
      case 0x46: stack.push(parseFloatLine(r.line())); break; // FLOAT
      case 0x47: stack.push(r.f64be()); break; // BINFLOAT
      case 0x58: stack.push(r.str(r.u32())); break; // BINUNICODE
      case 0x8c: stack.push(r.str(r.u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(r.str(r.u64())); break; // BINUNICODE8
      case 0x56: stack.push(rawUnicode(r.line())); break; // UNICODE
      case 0x53: stack.push(unquote(r.line())); break; // STRING
      case 0x54: stack.push(latin1(r.take(r.i32()))); break; // BINSTRING
      case 0x55: stack.push(latin1(r.take(r.u8()))); break; // SHORT_BINSTRING
      case 0x42: stack.push(r.take(r.u32())); break; // BINBYTES
      case 0x43: stack.push(r.take(r.u8())); break; // SHORT_BINBYTES
      case 0x8e: case 0x96: stack.push(r.take(r.u64())); break; // BINBYTES8, BYTEARRAY8
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); stack.push([pop(), b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); stack.push([pop(), b, c]); break; } // TUPLE3
      case 0x74: { const items = popMark(); stack.push(items); break; } // TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x61: { const v = pop(); append(top(), [v]); break; } // APPEND
      case 0x65: { const items = popMark(); append(top(), items); break; } // APPENDS
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { const d = new Map(); setItems(d, popMark()); stack.push(d); break; } // DICT
      case 0x73: { const v = pop(); const k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const items = popMark(); setItems(top(), items); break; } // SETITEMS
      case 0x8f: stack.push(new Set()); break; // EMPTY_SET
      case 0x90: { const items = popMark(); append(top(), items); break; } // ADDITEMS
      case 0x91: { const items = popMark(); stack.push(new Set(items)); break; } // FROZENSET
      case 0x67: stack.push(memoGet(memo, Number(parseIntLine(r.line(), 'GET')))); break; // GET
      case 0x68: stack.push(memoGet(memo, r.u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(memo, r.u32())); break; // LONG_BINGET
      case 0x70: memo.set(Number(parseIntLine(r.line(), 'PUT')), top()); break; // PUT
      case 0x71: memo.set(r.u8(), top()); break; // BINPUT
      case 0x72: memo.set(r.u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x63: { const module = r.line(); stack.push(resolve(module, r.line())); break; } // GLOBAL
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL needs two strings');
        stack.push(resolve(module, name));
        break;
      }
      case 0x52: { const args = pop(); stack.push(call(pop(), args, 'REDUCE')); break; } // REDUCE
      case 0x81: { const args = pop(); stack.push(call(pop(), args, 'NEWOBJ')); break; } // NEWOBJ
      case 0x92: { // NEWOBJ_EX
        const kwargs = pop();
        const args = pop();
        if (kwargs instanceof Map && kwargs.size > 0) fail('NEWOBJ_EX with keyword arguments is not supported');
        stack.push(call(pop(), args, 'NEWOBJ_EX'));
        break;
      }
      case 0x69: { // INST
        const module = r.line();
        const cls = resolve(module, r.line());
        const args = popMark();
        stack.push(call(cls, args, 'INST'));
        break;
      }
      case 0x6f: { const items = popMark(); stack.push(call(items[0], items.slice(1), 'OBJ')); break; } // OBJ
      case 0x62: { // BUILD: hand the state to objects that accept it; plain containers keep their items and ignore attributes
        const state = pop();
        const obj = top() as { [SET_STATE]?: (s: unknown) => void } | null;
        if (!obj || typeof obj !== 'object') fail(`BUILD on a ${obj === null ? 'None' : typeof obj} at offset ${at}`);
        if (typeof obj[SET_STATE] === 'function') obj[SET_STATE](state);
        break;
      }
      case 0x50: stack.push(persistent(r.line())); break; // PERSID
      case 0x51: stack.push(persistent(pop())); break; // BINPERSID
      case 0x98: break; // READONLY_BUFFER: a no-op on bytes already on the stack
      case 0x97: return fail('out-of-band buffers (NEXT_BUFFER) are not supported');
      case 0x82: case 0x83: case 0x84: return fail(`extension-registry opcode 0x${op.toString(16)} at offset ${at} is not supported`);
      default: return fail(`unknown opcode 0x${op.toString(16)} at offset ${at} (not a pickle, or corrupt)`);
    }
  }
}

/** Elements a call may copy: its arguments, and the elements of those that are containers or strings. */
function callCost(args: readonly unknown[]): number {
  const len = (v: unknown): number =>
    typeof v === 'string' ? v.length : Array.isArray(v) ? v.length : v instanceof Map || v instanceof Set ? v.size : v instanceof Uint8Array ? v.length : 0;
  let n = 1 + args.length;
  for (const a of args) {
    n += len(a);
    if (Array.isArray(a)) for (const x of a) n += len(x);
  }
  return n;
}

function memoGet(memo: Map<number, unknown>, i: number): unknown {
  if (!memo.has(i)) fail(`memo key ${i} was never stored (corrupt pickle)`);
  return memo.get(i);
}

function latin1(b: Uint8Array): string {
  const parts: string[] = [];
  for (let i = 0; i < b.length; i += 8192) parts.push(String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]));
  return parts.join('');
}
