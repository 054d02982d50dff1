// PyTorch checkpoint (.pth/.pt) reader for both torch.save formats: the zip archive (default since 1.6) and the legacy
// pickle stream. Pickles go through the restricted unpickler; tensor bytes are read only when loading, never for the index.
import type { DType } from '../dtype.js';
import type { Tensor } from '../tensor.js';
import { readBytes } from './atomic-write.js';
import { type CheckpointLoadOptions, RADIX_DTYPE_OF, rawToTensor } from './convert.js';
import { FILE_DTYPE_SIZE, type RawTensor, bytesToArray, setEntry, swapBytes } from './dtypes.js';
import { unpickle } from './pickle.js';
import { type StorageRef, TORCH_DTYPE_NAME, TensorRef, gatherTensorBytes, storageFromPid, torchGlobals } from './torch-pickle.js';
import { isZip, readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

/** One tensor of a checkpoint as {@link readPthIndex} lists it (no tensor data is read). */
export interface PthIndexEntry {
  /** State-dict key; nested containers are joined with '.' (e.g. `model.fc.weight`). */
  key: string;
  /** Torch dtype name: 'float32', 'float16', 'bfloat16', 'float64', 'int64', 'int32', 'int16', 'int8', 'uint8' or 'bool'. */
  dtype: string;
  /** The Radix dtype {@link loadPth} converts it to. */
  radixDtype: DType;
  shape: number[];
  /** Strides in elements (non-contiguous tensors are made contiguous when loaded). */
  strides: number[];
  /** The storage it views (shared storages have one key). */
  storageKey: string;
  /** Storage offset in elements. */
  offset: number;
  /** Bytes of the tensor's own elements in the file's dtype (numel × element size). */
  bytes: number;
}

/** Legacy format magic number, the first pickle of every legacy checkpoint. */
const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

interface Checkpoint {
  root: unknown;
  bigEndian: boolean;
  /** Bytes of a root storage, exactly numel × element size. */
  storage(ref: StorageRef): Promise<Uint8Array>;
}

const fail = (msg: string): never => {
  throw new Error(`pth: ${msg}`);
};

async function parseZip(bytes: Uint8Array): Promise<Checkpoint> {
  const entries = readZipDirectory(bytes);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) return fail(`zip archive has no data.pkl entry (not a torch.save checkpoint); entries: ${entries.slice(0, 5).map((e) => e.name).join(', ')}`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  let bigEndian = false;
  const order = byName.get(`${prefix}byteorder`);
  if (order) {
    const s = new TextDecoder().decode(await readZipEntry(bytes, order)).trim();
    if (s !== 'little' && s !== 'big') fail(`unknown byteorder '${s}'`);
    bigEndian = s === 'big';
  }
  const refs = new Map<string, StorageRef>();
  const root = unpickle(await readZipEntry(bytes, pkl), { globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs) }).value;
  return {
    root,
    bigEndian,
    async storage(ref) {
      const name = `${prefix}data/${ref.key}`;
      const e = byName.get(name);
      if (!e) return fail(`storage '${ref.key}' (${ref.typeName}, ${ref.numel} elements) is referenced by data.pkl but missing from the archive (no entry '${name}')`);
      const need = ref.numel * FILE_DTYPE_SIZE[ref.dtype];
      if (e.size < need) fail(`storage '${ref.key}' (${ref.typeName}, ${ref.numel} elements) needs ${need} bytes but archive entry '${name}' has ${e.size}`);
      return (await readZipEntry(bytes, e)).subarray(0, need);
    },
  };
}

function parseLegacy(bytes: Uint8Array, verify: boolean): Checkpoint {
  if (bytes[0] !== 0x80) fail('not a PyTorch checkpoint: neither a zip archive nor a legacy torch.save pickle stream');
  const none = { globals: {} };
  const magic = unpickle(bytes, none);
  if (magic.value !== LEGACY_MAGIC) fail('not a PyTorch checkpoint: the legacy magic number is missing');
  const proto = unpickle(bytes, { ...none, offset: magic.end });
  if (proto.value !== LEGACY_PROTOCOL) fail(`unsupported legacy protocol version ${String(proto.value)} (expected ${LEGACY_PROTOCOL})`);
  const sys = unpickle(bytes, { ...none, offset: proto.end });
  // sys_info.type_sizes records C short/int/long sizes (struct '=h', '=i', '=l': 2, 4, 4 on every platform). It does not
  // describe storage elements: torch.load ignores it and sizes elements by storage dtype (LongStorage = 8 bytes), as we do.
  const info = sys.value instanceof Map ? sys.value : new Map();
  const bigEndian = info.get('little_endian') === false;
  const refs = new Map<string, StorageRef>();
  const main = unpickle(bytes, { globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs), offset: sys.end });
  const keysPickle = unpickle(bytes, { ...none, offset: main.end });
  const keys = keysPickle.value;
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) return fail('legacy storage-key list is not a list of strings');
  const locate = (): Map<string, number> => {
    const out = new Map<string, number>();
    const len = bytes.byteLength;
    let total = keysPickle.end;
    for (const k of keys as string[]) total += 8 + (refs.get(k)?.numel ?? 0) * FILE_DTYPE_SIZE[refs.get(k)?.dtype ?? 'U8'];
    let pos = keysPickle.end;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const k of keys as string[]) {
      const ref = refs.get(k);
      if (!ref) return fail(`legacy storage list names '${k}', which the state-dict pickle never uses`);
      const nbytes = ref.numel * FILE_DTYPE_SIZE[ref.dtype];
      if (pos + 8 + nbytes > len) {
        fail(`storage '${k}' (${ref.typeName}, ${ref.numel} elements) needs ${nbytes} bytes at offset ${pos + 8} but the file ends after ${len} bytes ` +
          `(expected at least ${pos + 8 + nbytes}, available ${len}; the complete checkpoint is ${total} bytes): the file is truncated`);
      }
      const count = dv.getBigInt64(pos, !bigEndian);
      if (count !== BigInt(ref.numel)) fail(`storage '${k}' at offset ${pos} records ${count} elements but the pickle says ${ref.numel} (corrupt file)`);
      out.set(k, pos + 8);
      pos += 8 + nbytes;
    }
    return out;
  };
  // Loading checks every storage up front (a truncated file fails before any tensor is created); the index reads none.
  let offsets = verify ? locate() : null;
  return {
    root: main.value,
    bigEndian,
    async storage(ref) {
      offsets ??= locate();
      const at = offsets.get(ref.key);
      if (at === undefined) return fail(`storage '${ref.key}' is used by the pickle but not in the file's storage list`);
      return bytes.subarray(at, at + ref.numel * FILE_DTYPE_SIZE[ref.dtype]);
    },
  };
}

async function open(source: string | Uint8Array, what: string, withData: boolean): Promise<Checkpoint> {
  const bytes = await readBytes(source, what);
  return isZip(bytes) ? parseZip(bytes) : parseLegacy(bytes, withData);
}

/**
 * Every tensor in the unpickled object, keyed by its dotted path (containers nest; other values are skipped).
 * Each container is visited once, so a container reachable by two paths is listed under the first: shared structure
 * in a hostile pickle cannot make the walk exponential.
 */
function collectTensors(root: unknown): [string, TensorRef][] {
  const out: [string, TensorRef][] = [];
  const seen = new Set<unknown>();
  const walk = (v: unknown, key: string, depth: number): void => {
    if (v instanceof TensorRef) {
      out.push([key, v]);
      return;
    }
    if (!v || typeof v !== 'object' || seen.has(v)) return;
    if (depth > 1000) fail('containers are nested more than 1000 levels deep');
    seen.add(v);
    const join = (k: unknown): string => (key === '' ? String(k) : `${key}.${String(k)}`);
    if (v instanceof Map) for (const [k, x] of v) walk(x, join(k), depth + 1);
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, join(i), depth + 1));
  };
  walk(root, '', 0);
  return out;
}

/**
 * Lists a checkpoint's tensors — key, dtype, shape, strides, storage key and offset, byte size — from its pickle alone,
 * without reading tensor data (so it works on truncated downloads and huge files). Path (Node) or bytes.
 *
 * @example
 * const index = await readPthIndex('pt_inception-2015-12-05-6726825d.pth');
 * index.find((e) => e.key === 'fc.weight')?.shape; // [1008, 2048]
 */
export async function readPthIndex(source: string | Uint8Array): Promise<PthIndexEntry[]> {
  const ckpt = await open(source, 'readPthIndex', false);
  return collectTensors(ckpt.root).map(([key, t]) => ({
    key,
    dtype: TORCH_DTYPE_NAME[t.storage.dtype],
    radixDtype: RADIX_DTYPE_OF[t.storage.dtype],
    shape: [...t.shape],
    strides: [...t.strides],
    storageKey: t.storage.key,
    offset: t.offset,
    bytes: t.numel * FILE_DTYPE_SIZE[t.storage.dtype],
  }));
}

/** Yields each tensor of a checkpoint as a contiguous RawTensor, reading each storage once (shared storages are cached). */
async function* rawTensors(source: string | Uint8Array, what: string): AsyncGenerator<[string, RawTensor]> {
  const ckpt = await open(source, what, true);
  const cache = new Map<StorageRef, Uint8Array>();
  for (const [key, t] of collectTensors(ckpt.root)) {
    const root = t.storage.view?.root ?? t.storage;
    let sbytes = cache.get(root);
    if (!sbytes) {
      sbytes = await ckpt.storage(root);
      cache.set(root, sbytes);
    }
    const gathered = gatherTensorBytes(t, sbytes, key);
    if (ckpt.bigEndian) swapBytes(gathered, FILE_DTYPE_SIZE[t.storage.dtype]);
    yield [key, { dtype: t.storage.dtype, shape: [...t.shape], data: bytesToArray(t.storage.dtype, gathered) }];
  }
}

/**
 * Reads a checkpoint's tensors in their file dtypes (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL) as contiguous
 * {@link RawTensor}s, honouring storage offsets, arbitrary strides and shared storages. Path (Node) or bytes.
 *
 * @example
 * const raw = await decodePth(bytes);
 * raw['half.weight'].dtype; // 'F16' (raw bits in a Uint16Array)
 */
export async function decodePth(source: string | Uint8Array): Promise<Record<string, RawTensor>> {
  const out: Record<string, RawTensor> = {};
  for await (const [key, raw] of rawTensors(source, 'decodePth')) setEntry(out, key, raw);
  return out;
}

/**
 * Loads a PyTorch checkpoint (zip or legacy torch.save format; path in Node or bytes) as Radix tensors.
 * Only state-dict globals are resolved: a pickle naming any other global (e.g. `posix.system`) is refused, and nothing
 * in the file is ever executed. float16/bfloat16/float64 load as float32, int64 as int32 (values must fit), uint8 as uint32.
 * Tensors in nested containers get dotted keys (`{'model': {'fc.weight': w}}` → `model.fc.weight`); other values are skipped.
 *
 * @example
 * const sd = await loadPth('resnet18.pth', { backend: 'webgpu' });
 * sd['fc.weight'].shape; // [1000, 512]
 */
export async function loadPth(source: string | Uint8Array, options: CheckpointLoadOptions = {}): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  try {
    for await (const [key, raw] of rawTensors(source, 'loadPth')) setEntry(out, key, rawToTensor(key, raw, options));
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw e;
  }
  return out;
}
