// PyTorch checkpoint (.pth/.pt) reader for both torch.save formats: the zip archive (default since 1.6) and the legacy
// pickle stream. Pickles go through the restricted unpickler; tensor bytes are read only when loading, never for the index.
import type { DType } from '../dtype.js';
import { RadixError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { readBytes } from './atomic-write.js';
import { type CheckpointLoadOptions, RADIX_DTYPE_OF, rawToTensor } from './convert.js';
import { FILE_DTYPE_SIZE, type RawTensor, bytesToArray, setEntry, swapBytes } from './dtypes.js';
import { ByteBudget, type CheckpointLimits, MAX_CONTAINER_DEPTH, type ResolvedLimits, fileError, resolveLimits } from './limits.js';
import { unpickle } from './pickle.js';
import { type StorageRef, TORCH_DTYPE_NAME, TensorRef, checkTensorRef, gatherTensorBytes, storageFromPid, torchGlobals } from './torch-pickle.js';
import { isZip, readZipDirectory, readZipEntry, type ZipEntry } from './zip.js';

/** Options of {@link readPthIndex}: the reader's budgets (see {@link CheckpointLimits}). */
export type PthReadOptions = CheckpointLimits;

/** Options of {@link loadPth} and {@link decodePth}: where tensors go, and the reader's budgets (see {@link CheckpointLimits}). */
export interface PthLoadOptions extends CheckpointLoadOptions, CheckpointLimits {}

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
  /** Bytes of a root storage (exactly numel × element size) and how many bytes were inflated for them (charged). */
  storage(ref: StorageRef): Promise<{ bytes: Uint8Array; inflated: number }>;
}

const fail = (msg: string): never => {
  throw new RadixError('pth', msg);
};

/** Runs `fn`, prefixing any error with where it happened (an archive entry, a legacy pickle). */
function within<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    const err = new RadixError('pth', `${where}: ${e instanceof RadixError && e.op === 'pth' ? msg.slice('pth: '.length) : msg}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}

async function parseZip(bytes: Uint8Array, limits: ResolvedLimits, budget: ByteBudget): Promise<Checkpoint> {
  const entries = readZipDirectory(bytes);
  const byName = new Map<string, ZipEntry>(entries.map((e) => [e.name, e]));
  const pkl = entries.find((e) => e.name === 'data.pkl' || e.name.endsWith('/data.pkl'));
  if (!pkl) return fail(`zip archive has no data.pkl entry (not a torch.save checkpoint); entries: ${entries.slice(0, 5).map((e) => e.name).join(', ')}`);
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  let bigEndian = false;
  const order = byName.get(`${prefix}byteorder`);
  if (order) {
    if (order.size > 16) fail(`'${order.name}' declares ${order.size} bytes; a byte order is 'little' or 'big'`);
    const s = new TextDecoder().decode(await readZipEntry(bytes, order)).trim();
    if (s !== 'little' && s !== 'big') fail(`unknown byteorder '${s}'`);
    bigEndian = s === 'big';
  }
  if (pkl.size > limits.maxPickleBytes) {
    fail(`'${pkl.name}' declares ${pkl.size} bytes, more than the ${limits.maxPickleBytes}-byte pickle limit (maxPickleBytes); refused before inflating`);
  }
  const inflatedPkl = pkl.method === 0 ? 0 : pkl.size;
  budget.charge(inflatedPkl, `'${pkl.name}' inflates to ${pkl.size} bytes`);
  const pklBytes = await readZipEntry(bytes, pkl);
  const refs = new Map<string, StorageRef>();
  const root = within(`'${pkl.name}'`, () =>
    unpickle(pklBytes, {
      globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs),
      maxPickleBytes: limits.maxPickleBytes, maxPickleOps: limits.maxPickleOps,
    }).value);
  budget.release(inflatedPkl);
  return {
    root,
    bigEndian,
    async storage(ref) {
      const name = `${prefix}data/${ref.key}`;
      const e = byName.get(name);
      if (!e) return fail(`storage '${ref.key}' (${ref.typeName}, ${ref.numel} elements) is referenced by data.pkl but missing from the archive (no entry '${name}')`);
      const need = ref.numel * FILE_DTYPE_SIZE[ref.dtype];
      if (e.size < need) fail(`storage '${ref.key}' (${ref.typeName}, ${ref.numel} elements) needs ${need} bytes but archive entry '${name}' has ${e.size}`);
      let inflated = 0;
      if (e.method !== 0) {
        if (e.size > need) fail(`archive entry '${name}' declares ${e.size} bytes but storage '${ref.key}' (${ref.typeName}, ${ref.numel} elements) needs only ${need}; refused before inflating`);
        budget.charge(e.size, `storage '${ref.key}' (archive entry '${name}', DEFLATE, ${e.compressedSize} bytes in the file) inflates to ${e.size} bytes`);
        inflated = e.size;
      }
      return { bytes: (await readZipEntry(bytes, e)).subarray(0, need), inflated };
    },
  };
}

function parseLegacy(bytes: Uint8Array, verify: boolean, limits: ResolvedLimits): Checkpoint {
  if (bytes[0] !== 0x80) fail('not a PyTorch checkpoint: neither a zip archive nor a legacy torch.save pickle stream');
  const budgets = { maxPickleBytes: limits.maxPickleBytes, maxPickleOps: limits.maxPickleOps };
  const none = { globals: {}, ...budgets };
  const magic = within('legacy magic-number pickle at offset 0', () => unpickle(bytes, none));
  if (magic.value !== LEGACY_MAGIC) fail('not a PyTorch checkpoint: the legacy magic number is missing');
  const proto = within(`legacy protocol pickle at offset ${magic.end}`, () => unpickle(bytes, { ...none, offset: magic.end }));
  if (proto.value !== LEGACY_PROTOCOL) fail(`unsupported legacy protocol version ${String(proto.value)} (expected ${LEGACY_PROTOCOL})`);
  const sys = within(`legacy sys_info pickle at offset ${proto.end}`, () => unpickle(bytes, { ...none, offset: proto.end }));
  // sys_info.type_sizes records C short/int/long sizes (struct '=h', '=i', '=l': 2, 4, 4 on every platform). It does not
  // describe storage elements: torch.load ignores it and sizes elements by storage dtype (LongStorage = 8 bytes), as we do.
  const info = sys.value instanceof Map ? sys.value : new Map();
  const bigEndian = info.get('little_endian') === false;
  const refs = new Map<string, StorageRef>();
  const main = within(`legacy state-dict pickle at offset ${sys.end}`, () =>
    unpickle(bytes, { globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs), offset: sys.end, ...budgets }));
  const keysPickle = within(`legacy storage-key pickle at offset ${main.end}`, () => unpickle(bytes, { ...none, offset: main.end }));
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
      return { bytes: bytes.subarray(at, at + ref.numel * FILE_DTYPE_SIZE[ref.dtype]), inflated: 0 };
    },
  };
}

/** Longest dotted key accepted (a hostile pickle could otherwise build keys of gigabytes from nested containers). */
const MAX_KEY_LENGTH = 65536;

/**
 * Every tensor in the unpickled object, keyed by its dotted path (containers nest; other values are skipped), each
 * validated by checkTensorRef. The walk is iterative, depth-first in container order; each container is visited
 * once, so a container reachable by two paths is listed under the first and shared structure in a hostile pickle
 * cannot make the walk exponential.
 */
function collectTensors(root: unknown): [string, TensorRef][] {
  const out: [string, TensorRef][] = [];
  const seen = new Set<unknown>();
  const todo: [unknown, string, number][] = [[root, '', 0]];
  while (todo.length > 0) {
    const [v, key, depth] = todo.pop()!;
    if (v instanceof TensorRef) {
      checkTensorRef(v, key);
      out.push([key, v]);
      continue;
    }
    if (!v || typeof v !== 'object' || seen.has(v)) continue;
    if (depth >= MAX_CONTAINER_DEPTH) fail(`containers are nested more than ${MAX_CONTAINER_DEPTH} levels deep (under '${key.slice(0, 100)}…')`);
    seen.add(v);
    const join = (k: unknown): string => {
      const s = typeof k === 'string' ? k : String(k);
      if (key.length + s.length + 1 > MAX_KEY_LENGTH) fail(`a state-dict key under '${key.slice(0, 100)}' is longer than ${MAX_KEY_LENGTH} characters`);
      return key === '' ? s : `${key}.${s}`;
    };
    const children: [unknown, string, number][] = [];
    if (v instanceof Map) for (const [k, x] of v) children.push([x, join(k), depth + 1]);
    else if (Array.isArray(v)) v.forEach((x, i) => children.push([x, join(i), depth + 1]));
    for (let i = children.length - 1; i >= 0; i--) todo.push(children[i]!);
  }
  return out;
}

interface Opened {
  ckpt: Checkpoint;
  budget: ByteBudget;
  /** Tensors by dotted key, validated. */
  tensors: [string, TensorRef][];
}

async function open(source: string | Uint8Array, what: string, withData: boolean, options: CheckpointLimits): Promise<Opened> {
  const bytes = await readBytes(source, what);
  const limits = resolveLimits(options, bytes.byteLength, what);
  const budget = new ByteBudget(limits.maxBytes, limits.defaultBudget);
  const ckpt = isZip(bytes) ? await parseZip(bytes, limits, budget) : parseLegacy(bytes, withData, limits);
  return { ckpt, budget, tensors: collectTensors(ckpt.root) };
}

/** The name errors give the source: its path, or `options.name` (default `'<bytes>'`) for bytes. */
function sourceName(source: unknown, options: CheckpointLimits): string {
  return typeof source === 'string' ? source : (options.name ?? '<bytes>');
}

/**
 * Lists a checkpoint's tensors — key, dtype, shape, strides, storage key and offset, byte size — from its pickle alone,
 * without reading tensor data (so it works on truncated downloads and huge files). Path (Node) or bytes.
 * Shapes are validated (element counts below 2^53, views inside their storages); `options` sets the pickle budgets.
 * Every failure is a {@link RadixError} naming the file.
 *
 * @example
 * const index = await readPthIndex('pt_inception-2015-12-05-6726825d.pth');
 * index.find((e) => e.key === 'fc.weight')?.shape; // [1008, 2048]
 */
export async function readPthIndex(source: string | Uint8Array, options: PthReadOptions = {}): Promise<PthIndexEntry[]> {
  try {
    const { tensors } = await open(source, 'readPthIndex', false, options);
    return tensors.map(([key, t]) => ({
      key,
      dtype: TORCH_DTYPE_NAME[t.storage.dtype],
      radixDtype: RADIX_DTYPE_OF[t.storage.dtype],
      shape: [...t.shape],
      strides: [...t.strides],
      storageKey: t.storage.key,
      offset: t.offset,
      bytes: t.numel * FILE_DTYPE_SIZE[t.storage.dtype],
    }));
  } catch (e) {
    throw fileError('readPthIndex', sourceName(source, options), e);
  }
}

/**
 * Yields each tensor of a checkpoint as a contiguous RawTensor. Each tensor's bytes are charged to the byte budget
 * before they are allocated; a storage is read (inflated) once and dropped after the last tensor viewing it.
 */
async function* rawTensors(source: string | Uint8Array, what: string, options: CheckpointLimits): AsyncGenerator<[string, RawTensor]> {
  const { ckpt, budget, tensors } = await open(source, what, true, options);
  const rootOf = (t: TensorRef): StorageRef => t.storage.view?.root ?? t.storage;
  const uses = new Map<StorageRef, number>();
  for (const [, t] of tensors) uses.set(rootOf(t), (uses.get(rootOf(t)) ?? 0) + 1);
  const cache = new Map<StorageRef, { bytes: Uint8Array; inflated: number }>();
  for (const [key, t] of tensors) {
    const { bytes, spanBytes } = checkTensorRef(t, key);
    const shape = `shape [${t.shape.join(', ')}], strides [${t.strides.join(', ')}]`;
    budget.charge(bytes, spanBytes < bytes
      ? `tensor '${key}' (${shape}) is ${bytes} bytes once materialised but views ${spanBytes} stored bytes`
      : `tensor '${key}' (${shape}) needs ${bytes} bytes`);
    const root = rootOf(t);
    let s = cache.get(root);
    if (!s) {
      s = await ckpt.storage(root);
      cache.set(root, s);
    }
    const gathered = gatherTensorBytes(t, s.bytes, key);
    const left = uses.get(root)! - 1;
    uses.set(root, left);
    if (left === 0) {
      cache.delete(root);
      budget.release(s.inflated);
    }
    if (ckpt.bigEndian) swapBytes(gathered, FILE_DTYPE_SIZE[t.storage.dtype]);
    yield [key, { dtype: t.storage.dtype, shape: [...t.shape], data: bytesToArray(t.storage.dtype, gathered, true) }];
  }
}

/**
 * Reads a checkpoint's tensors in their file dtypes (F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL) as contiguous
 * {@link RawTensor}s, honouring storage offsets, arbitrary strides and shared storages. Path (Node) or bytes.
 * Works within the budgets of `options` ({@link CheckpointLimits}); every failure is a {@link RadixError} naming the file.
 *
 * @example
 * const raw = await decodePth(bytes, { name: 'model.pth' });
 * raw['half.weight'].dtype; // 'F16' (raw bits in a Uint16Array)
 */
export async function decodePth(source: string | Uint8Array, options: CheckpointLimits = {}): Promise<Record<string, RawTensor>> {
  const out: Record<string, RawTensor> = {};
  try {
    for await (const [key, raw] of rawTensors(source, 'decodePth', options)) setEntry(out, key, raw);
  } catch (e) {
    throw fileError('decodePth', sourceName(source, options), e);
  }
  return out;
}

/**
 * Loads a PyTorch checkpoint (zip or legacy torch.save format; path in Node or bytes) as Radix tensors.
 * Only state-dict globals are resolved: a pickle naming any other global (e.g. `posix.system`) is refused, and nothing
 * in the file is ever executed. float16/bfloat16/float64 load as float32, int64 as int32 (values must fit), uint8 as uint32.
 * Tensors in nested containers get dotted keys (`{'model': {'fc.weight': w}}` → `model.fc.weight`); other values are skipped.
 *
 * Bounded: the pickle is limited in size and opcodes, DEFLATE entries are inflated only up to their declared sizes
 * and within the byte budget, and stride-0 or overlapping views are refused when materialising them would exceed
 * the budget (see {@link CheckpointLimits}). Every failure is a {@link RadixError} naming the file, the key and the limit.
 *
 * @example
 * const sd = await loadPth('resnet18.pth', { backend: 'webgpu' });
 * sd['fc.weight'].shape; // [1000, 512]
 * await loadPth('big-zeros.pth', { maxBytes: 8 * 2 ** 30 }); // allow a load to inflate/materialise up to 8 GiB
 */
export async function loadPth(source: string | Uint8Array, options: PthLoadOptions = {}): Promise<Record<string, Tensor>> {
  const out: Record<string, Tensor> = {};
  try {
    for await (const [key, raw] of rawTensors(source, 'loadPth', options)) setEntry(out, key, rawToTensor(key, raw, options));
  } catch (e) {
    for (const t of Object.values(out)) t.dispose();
    throw fileError('loadPth', sourceName(source, options), e);
  }
  return out;
}
