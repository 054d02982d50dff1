// safetensors read/write, byte-compatible with the Python `safetensors` library (u64 LE header length, JSON header, data).
// Writer rules follow the library: tensors sorted by dtype (descending, in its enum order) then name, header padded with spaces to 8 bytes.
import { RadixError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { readBytes, readFileHead, atomicWriteFile } from './atomic-write.js';
import { type CheckpointLoadOptions, rawToTensor, tensorToRaw } from './convert.js';
import { FILE_DTYPE_SIZE, type FileDType, type RawTensor, arrayBytes, bytesToArray, isFileDType, setEntry } from './dtypes.js';
import { fileError } from './limits.js';

/** What {@link decodeSafetensors} returns: the tensors in file order and the optional `__metadata__` map. */
export interface SafetensorsContents {
  tensors: Record<string, RawTensor>;
  metadata: Record<string, string> | undefined;
}

/** The library's dtype order (its `Dtype` enum, smallest alignment first); files are written in descending order. */
const DTYPE_RANK: Readonly<Record<FileDType, number>> = {
  BOOL: 0, U8: 1, I8: 2, I16: 3, U16: 4, F16: 5, BF16: 6, I32: 7, U32: 8, F32: 9, F64: 10, I64: 11,
};
/** Same header size limit as the Python library (100 MB). */
const MAX_HEADER_BYTES = 100_000_000;
/** Deepest JSON nesting a header may have (a real one nests 3 levels: file, tensor, shape). */
const MAX_HEADER_DEPTH = 16;

/** Budgets of {@link decodeSafetensors} and {@link loadSafetensors}. */
export interface SafetensorsReadOptions {
  /** Largest JSON header accepted, in bytes (default 100,000,000, the Python library's limit). */
  maxHeaderBytes?: number;
  /**
   * Most bytes of tensor data a read may load (default: no limit beyond the file itself — a safetensors file cannot
   * expand). Checked against the header before the data is read, so a path to a huge file is refused cheaply.
   */
  maxBytes?: number;
  /** How the file is named in errors when the source is bytes (default `'<bytes>'`). */
  name?: string;
}

/** Options of {@link loadSafetensors}: where tensors go, and the reader's budgets. */
export interface SafetensorsLoadOptions extends CheckpointLoadOptions, SafetensorsReadOptions {}
const ARRAY_OF: Readonly<Record<FileDType, new (n: number) => ArrayBufferView>> = {
  F64: Float64Array, F32: Float32Array, F16: Uint16Array, BF16: Uint16Array, U16: Uint16Array, I64: BigInt64Array,
  I32: Int32Array, I16: Int16Array, I8: Int8Array, U32: Uint32Array, U8: Uint8Array, BOOL: Uint8Array,
};

function fail(msg: string): never {
  throw new RadixError('safetensors', msg);
}

function numel(shape: readonly number[], what: string): number {
  if (!Array.isArray(shape)) fail(`${what}: shape must be an array of non-negative integers`);
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) fail(`${what}: shape [${shape.join(', ')}] must hold non-negative integers`);
    n *= d;
    if (!Number.isSafeInteger(n)) fail(`${what}: shape [${shape.join(', ')}] is too large`);
  }
  return n;
}

function compareUtf8(a: string, b: string): number {
  // Rust orders Strings by their UTF-8 bytes; comparing code points gives the same order (UTF-16 units would not).
  const ca = [...a];
  const cb = [...b];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const d = ca[i]!.codePointAt(0)! - cb[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return ca.length - cb.length;
}

function tensorBytes(name: string, t: RawTensor): Uint8Array {
  const what = `tensor '${name}'`;
  if (!t || typeof t !== 'object') return fail(`${what} is not a RawTensor`);
  if (!isFileDType(t.dtype)) return fail(`${what} has unsupported dtype '${String(t.dtype)}'`);
  const n = numel(t.shape, what);
  const d = t.data;
  if (!ArrayBuffer.isView(d) || !(d instanceof Uint8Array || d instanceof ARRAY_OF[t.dtype])) {
    fail(`${what}: ${t.dtype} data must be a ${ARRAY_OF[t.dtype].name} or raw bytes (Uint8Array)`);
  }
  const size = FILE_DTYPE_SIZE[t.dtype];
  if (d.byteLength !== n * size) fail(`${what}: shape [${t.shape.join(', ')}] × ${t.dtype} needs ${n * size} bytes but its data has ${d.byteLength}`);
  return d instanceof Uint8Array ? d : arrayBytes(d, size);
}

function encodeChunks(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array[] {
  const entries = Object.entries(tensors).map(([name, t]) => ({ name, t, bytes: tensorBytes(name, t) }));
  for (const e of entries) if (e.name === '__metadata__') fail(`'__metadata__' is reserved and cannot name a tensor`);
  entries.sort((a, b) => DTYPE_RANK[b.t.dtype] - DTYPE_RANK[a.t.dtype] || compareUtf8(a.name, b.name));
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== 'string') fail(`metadata '${k}' must be a string, got ${typeof v}`);
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const e of entries) {
    const end = offset + e.bytes.byteLength;
    parts.push(`${JSON.stringify(e.name)}:{"dtype":"${e.t.dtype}","shape":[${e.t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(json.byteLength / 8) * 8;
  const head = new Uint8Array(8 + padded).fill(0x20, 8 + json.byteLength);
  new DataView(head.buffer).setBigUint64(0, BigInt(padded), true);
  head.set(json, 8);
  return [head, ...entries.map((e) => e.bytes)];
}

/**
 * Serialises file tensors to safetensors bytes, exactly as the Python library would (same tensor order, offsets,
 * header JSON and padding; with two or more metadata entries the library's order is unspecified — ours keeps insertion order).
 *
 * @example
 * const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, { format: 'pt' });
 */
export function encodeSafetensors(tensors: Record<string, RawTensor>, metadata?: Record<string, string>): Uint8Array {
  const chunks = encodeChunks(tensors, metadata);
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Scans the header text before JSON.parse: refuses nesting deeper than MAX_HEADER_DEPTH (a hostile header of millions
 * of brackets would otherwise cost seconds and hundreds of megabytes) and duplicate keys in any object (JSON.parse
 * would silently keep the last one). Bounded by the text length even when the JSON is malformed.
 */
function scanHeader(json: string): void {
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      if (j >= json.length) fail('header is not valid JSON (unterminated string)');
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        let key: string;
        try {
          key = JSON.parse(json.slice(i, j + 1)) as string;
        } catch {
          return fail(`header is not valid JSON (bad string at character ${i})`);
        }
        if (top.has(key)) fail(`header has the key '${key}' twice`);
        top.add(key);
      }
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      if (stack.length >= MAX_HEADER_DEPTH) fail(`header nests deeper than ${MAX_HEADER_DEPTH} levels at character ${i} (a safetensors header nests 3)`);
      stack.push(c === '{' ? new Set() : null);
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1] !== null;
    }
  }
}

/** Header length and its parsed entries, validated like the Python library (offsets, dtypes, shapes). */
interface ParsedHeader {
  /** Bytes before the data section (8 + header length). */
  dataStart: number;
  metadata: Record<string, string> | undefined;
  infos: { name: string; dtype: FileDType; shape: number[]; begin: number; end: number }[];
  /** Bytes of tensor data the header describes. */
  dataBytes: number;
}

function headerLength(bytes: Uint8Array, maxHeaderBytes: number): number {
  if (bytes.byteLength < 8) fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(maxHeaderBytes)) fail(`header length ${n64} is larger than the ${maxHeaderBytes}-byte limit (maxHeaderBytes; corrupt or not a safetensors file)`);
  return Number(n64);
}

/** Parses the header in `head` (which holds at least the 8-byte length and the header). */
function parseHeader(head: Uint8Array, fileBytes: number, maxHeaderBytes: number): ParsedHeader {
  const n = headerLength(head, maxHeaderBytes);
  if (8 + n > fileBytes) fail(`header length ${n} runs past the end of the file (${fileBytes - 8} bytes follow the length field)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(8, 8 + n));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (!text.startsWith('{')) fail(`header must start with '{' but starts with ${JSON.stringify(text.slice(0, 16))}`);
  scanHeader(text);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    return fail(`header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) return fail('header must be a JSON object');
  let metadata: Record<string, string> | undefined;
  const infos: ParsedHeader['infos'] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!v || typeof v !== 'object' || Array.isArray(v)) fail(`__metadata__ must be an object of strings`);
      for (const [k, s] of Object.entries(v as object)) if (typeof s !== 'string') fail(`__metadata__ '${k}' must be a string, got ${JSON.stringify(s)}`);
      metadata = {};
      for (const [k, s] of Object.entries(v as Record<string, string>)) setEntry(metadata, k, s);
      continue;
    }
    const info = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!info || typeof info !== 'object' || Array.isArray(info)) fail(`tensor '${name}' must be an object with dtype, shape and data_offsets`);
    if (!isFileDType(info.dtype)) fail(`tensor '${name}' has unsupported dtype ${JSON.stringify(info.dtype)}`);
    const offs = info.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}' data_offsets must be two non-negative integers, got ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin) fail(`tensor '${name}' data_offsets [${begin}, ${end}] end before they begin`);
    infos.push({ name, dtype: info.dtype as FileDType, shape: info.shape as number[], begin, end });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataLen = fileBytes - 8 - n;
  let at = 0;
  for (const t of infos) {
    const what = `tensor '${t.name}'`;
    if (t.begin !== at) fail(`${what} data_offsets [${t.begin}, ${t.end}] ${t.begin < at ? 'overlap the previous tensor' : 'leave a gap after the previous tensor'} (expected to begin at ${at})`);
    const need = numel(t.shape, what) * FILE_DTYPE_SIZE[t.dtype];
    if (t.end - t.begin !== need) fail(`${what} has shape [${t.shape.join(', ')}] × ${t.dtype} = ${need} bytes but data_offsets [${t.begin}, ${t.end}] span ${t.end - t.begin}`);
    if (t.end > dataLen) fail(`${what} data_offsets [${t.begin}, ${t.end}] run past the end of the data section (${dataLen} bytes)`);
    at = t.end;
  }
  if (at !== dataLen) fail(`the tensors cover ${at} bytes but the data section has ${dataLen} (the data must be covered exactly)`);
  return { dataStart: 8 + n, metadata, infos, dataBytes: at };
}

function checkBudget(h: ParsedHeader, maxBytes: number | undefined): void {
  if (maxBytes !== undefined && h.dataBytes > maxBytes) {
    const big = h.infos.reduce((a, b) => (b.end - b.begin > a.end - a.begin ? b : a));
    fail(`the tensors hold ${h.dataBytes} bytes (the largest, '${big.name}', ${big.end - big.begin}), more than the ${maxBytes}-byte budget (maxBytes); refused before reading the data`);
  }
}

function decodeWith(bytes: Uint8Array, options: SafetensorsReadOptions): SafetensorsContents {
  const h = parseHeader(bytes, bytes.byteLength, options.maxHeaderBytes ?? MAX_HEADER_BYTES);
  checkBudget(h, options.maxBytes);
  const tensors: Record<string, RawTensor> = {};
  for (const t of h.infos) {
    setEntry(tensors, t.name, { dtype: t.dtype, shape: [...t.shape], data: bytesToArray(t.dtype, bytes.subarray(h.dataStart + t.begin, h.dataStart + t.end)) });
  }
  return { tensors, metadata: h.metadata };
}

/**
 * Parses safetensors bytes into file tensors (copied, so they do not alias `bytes`) and the `__metadata__` map,
 * validating the header like the Python library: header inside the file and within `maxHeaderBytes`, valid UTF-8
 * JSON starting with `{` (nested at most 16 deep, no duplicate keys), known dtypes, offsets that start at 0 and tile
 * the data section without gaps or overlaps, and byte counts that match shape × dtype. Every failure is a
 * {@link RadixError} naming the source (`options.name`, default `'<bytes>'`).
 *
 * @example
 * const { tensors, metadata } = decodeSafetensors(bytes);
 * tensors['w'].dtype; // 'F32'
 */
export function decodeSafetensors(bytes: Uint8Array, options: SafetensorsReadOptions = {}): SafetensorsContents {
  try {
    return decodeWith(bytes, options);
  } catch (e) {
    throw fileError('decodeSafetensors', options.name ?? '<bytes>', e);
  }
}

/**
 * Saves tensors (Radix tensors and/or file tensors) as a .safetensors file, atomically (temp file + rename). Node only.
 * Radix tensors are written in their own dtype (float32 → F32, int32 → I32, uint32 → U32, bool → BOOL).
 *
 * @example
 * await saveSafetensors('model.safetensors', { 'fc.weight': w, 'fc.bias': b }, { format: 'pt' });
 */
export async function saveSafetensors(path: string, tensors: Record<string, Tensor | RawTensor>, metadata?: Record<string, string>): Promise<void> {
  const raw: Record<string, RawTensor> = {};
  for (const [k, t] of Object.entries(tensors)) raw[k] = 'data' in t && ArrayBuffer.isView(t.data) ? (t as RawTensor) : await tensorToRaw(t as Tensor);
  await atomicWriteFile(path, encodeChunks(raw, metadata));
}

/**
 * Loads a .safetensors file (path, Node only) or its bytes as Radix tensors, in file order.
 * F16/BF16/F64 become float32, I64 int32 (values outside int32 throw naming the key), I8/I16 int32, U8/U16/U32 uint32, BOOL bool.
 * For a path the header is read and checked (including `maxBytes`) before the tensor data is read. Every failure is
 * a {@link RadixError} naming the file.
 *
 * @example
 * const sd = await loadSafetensors('model.safetensors', { backend: 'webgpu' });
 * sd['fc.weight'].shape; // [10, 512]
 * await loadSafetensors('huge.safetensors', { maxBytes: 2 ** 30 }); // refuses more than 1 GiB of tensor data
 */
export async function loadSafetensors(source: string | Uint8Array, options: SafetensorsLoadOptions = {}): Promise<Record<string, Tensor>> {
  const name = typeof source === 'string' ? source : (options.name ?? '<bytes>');
  const out: Record<string, Tensor> = {};
  try {
    if (typeof source === 'string') {
      const maxHeader = options.maxHeaderBytes ?? MAX_HEADER_BYTES;
      const first = await readFileHead(source, 8, 'loadSafetensors');
      const n = headerLength(first.bytes, maxHeader);
      const head = await readFileHead(source, 8 + n, 'loadSafetensors');
      checkBudget(parseHeader(head.bytes, head.size, maxHeader), options.maxBytes);
    }
    const { tensors } = decodeWith(await readBytes(source, 'loadSafetensors'), options);
    for (const [k, raw] of Object.entries(tensors)) setEntry(out, k, rawToTensor(k, raw, options));
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw fileError('loadSafetensors', name, e);
  }
  return out;
}
