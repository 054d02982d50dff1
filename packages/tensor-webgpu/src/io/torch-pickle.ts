// The torch side of the restricted unpickler: the allow-listed globals a state dict needs, as pure JS stand-ins
// that build storage/tensor descriptors (no data is read here), plus torch.save's persistent-id decoding.
import { RadixError } from '../errors.js';
import { type FileDType, FILE_DTYPE_SIZE } from './dtypes.js';
import { PyGlobal } from './pickle.js';

/** Torch storage class name → element type of its bytes. */
export const STORAGE_DTYPES: Readonly<Record<string, FileDType>> = Object.freeze({
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
});

/** File dtype → torch dtype name (what {@link TensorRef} reports). */
export const TORCH_DTYPE_NAME: Readonly<Record<FileDType, string>> = Object.freeze({
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16',
  I8: 'int8', U8: 'uint8', BOOL: 'bool', U16: 'uint16', U32: 'uint32',
});

/** A storage a checkpoint refers to (its bytes are read later, by key). */
export interface StorageRef {
  /** Key in the archive (`data/<key>`) or in the legacy storage list. */
  key: string;
  /** e.g. `FloatStorage`. */
  typeName: string;
  dtype: FileDType;
  /** Elements in the storage. */
  numel: number;
  /** Legacy storage views: the storage whose elements this one starts `offset` elements into. */
  view?: { root: StorageRef; offset: number };
}

/**
 * A tensor the pickle describes: a strided view of a storage (no data).
 *
 * @example
 * new TensorRef(storage, 5, [8], [1]).numel; // 8
 */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    /** Storage offset in elements. */
    readonly offset: number,
    readonly shape: number[],
    readonly strides: number[],
  ) {}
  /** Number of elements. */
  get numel(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }
}

const fail = (msg: string): never => {
  throw new RadixError('pth', msg);
};

/** Most dimensions a tensor may have (PyTorch's own kernels stop at 25; 64 leaves room). */
const MAX_DIMS = 64;

function intList(v: unknown, what: string): number[] {
  if (!Array.isArray(v)) return fail(`${what} must be a tuple of non-negative integers, got ${v === null ? 'None' : typeof v}`);
  if (v.length > MAX_DIMS) fail(`${what} has ${v.length} entries, more than the ${MAX_DIMS} dimensions a tensor may have`);
  if (!v.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`${what} must be a tuple of non-negative integers, got (${v.map(String).join(', ')})`);
  return [...(v as number[])];
}

function rebuildTensor(args: unknown[], fn: string): TensorRef {
  if (args.length < 4) fail(`${fn} needs (storage, offset, size, stride, ...), got ${args.length} arguments`);
  const [storage, offset, size, stride] = args;
  if (!storage || typeof storage !== 'object' || !('dtype' in storage)) fail(`${fn} expects a storage as its first argument`);
  if (!Number.isSafeInteger(offset) || (offset as number) < 0) fail(`${fn}: bad storage offset ${String(offset)}`);
  const shape = intList(size, `${fn} size`);
  const strides = intList(stride, `${fn} stride`);
  if (strides.length !== shape.length) fail(`${fn}: ${shape.length}-d size with ${strides.length} strides`);
  return new TensorRef(storage as StorageRef, offset as number, shape, strides);
}

const first = (args: unknown[]): unknown => args[0];

/** Torch types a `_rebuild_from_type_v2` may rebuild into (subclasses would need their own code, so they are refused). */
const PLAIN_TENSOR_TYPES = new Set(['torch.Tensor', 'torch.nn.parameter.Parameter']);

/**
 * `_rebuild_from_type_v2(func, new_type, args, state)`, which torch ≥ 2 writes for tensors carrying Python attributes:
 * runs the allow-listed rebuild function on `args`; the attributes in `state` are dropped (a state dict needs none).
 */
function rebuildFromType(args: unknown[]): unknown {
  const [fn, type, fnArgs] = args;
  const where = '_rebuild_from_type_v2';
  if (!(fn instanceof PyGlobal) || !fn.impl) return fail(`${where} expects an allow-listed rebuild function, got ${fn instanceof PyGlobal ? `'${fn.qualname}'` : typeof fn}`);
  if (!(type instanceof PyGlobal) || !PLAIN_TENSOR_TYPES.has(type.qualname)) {
    return fail(`${where} rebuilds into ${type instanceof PyGlobal ? `'${type.qualname}'` : typeof type}; only torch.Tensor and Parameter are supported`);
  }
  if (!Array.isArray(fnArgs)) return fail(`${where}: the arguments of '${fn.qualname}' must be a tuple, got ${fnArgs === null ? 'None' : typeof fnArgs}`);
  const t = fn.impl(fnArgs);
  if (!(t instanceof TensorRef)) return fail(`${where}: '${fn.qualname}' did not rebuild a tensor`);
  return t;
}

/**
 * The allow-list for {@link unpickle}: the globals torch.save emits for state dicts, mapped to pure JS stand-ins.
 * Storage classes (`torch.FloatStorage`, ..., also `torch.cuda.*`) may be referenced but not called.
 *
 * @example
 * unpickle(bytes, { globals: torchGlobals(), persistentLoad });
 */
export function torchGlobals(): Record<string, ((args: unknown[]) => unknown) | null> {
  const g: Record<string, ((args: unknown[]) => unknown) | null> = {
    'collections.OrderedDict': (args) => {
      const items = args[0] ?? [];
      if (!Array.isArray(items) || !items.every((kv) => Array.isArray(kv) && kv.length === 2)) return fail('OrderedDict expects a list of (key, value) pairs');
      return new Map(items as [unknown, unknown][]);
    },
    'torch._utils._rebuild_tensor': (args) => rebuildTensor(args, '_rebuild_tensor'),
    'torch._utils._rebuild_tensor_v2': (args) => rebuildTensor(args, '_rebuild_tensor_v2'),
    'torch._utils._rebuild_parameter': first,
    'torch._utils._rebuild_parameter_with_state': first,
    'torch._tensor._rebuild_from_type_v2': rebuildFromType,
    'torch.Size': (args) => intList(args[0] ?? [], 'torch.Size'),
    'torch.nn.parameter.Parameter': null,
    'torch.Tensor': null,
    '_codecs.encode': (args) => {
      const [s, enc] = args;
      if (typeof s !== 'string' || (enc !== 'latin1' && enc !== 'latin-1')) return fail('_codecs.encode is only allowed for latin1 byte strings');
      return Uint8Array.from(s, (c) => c.charCodeAt(0));
    },
  };
  for (const name of Object.keys(STORAGE_DTYPES)) {
    g[`torch.${name}`] = null;
    g[`torch.cuda.${name}`] = null;
  }
  return g;
}

/**
 * Decodes torch.save's persistent id `('storage', StorageClass, key, location, numel[, view_metadata])`
 * into a {@link StorageRef}, sharing one ref per key (tensors viewing one storage share its bytes).
 *
 * @example
 * const refs = new Map<string, StorageRef>();
 * unpickle(pkl, { globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs) });
 */
export function storageFromPid(pid: unknown, refs: Map<string, StorageRef>): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage') return fail(`unsupported persistent id ${Array.isArray(pid) ? `'${String(pid[0])}'` : typeof pid} (only storages are allowed)`);
  const [, cls, key, , numel, view] = pid as [string, unknown, unknown, unknown, unknown, unknown];
  if (!(cls instanceof PyGlobal) || !(cls.name in STORAGE_DTYPES)) return fail(`persistent id names no known storage class: ${cls instanceof PyGlobal ? cls.qualname : String(cls)}`);
  if (typeof key !== 'string') return fail('storage key must be a string');
  if (!Number.isSafeInteger(numel) || (numel as number) < 0) return fail(`storage '${key}' has a bad element count ${String(numel)}`);
  const dtype = STORAGE_DTYPES[cls.name]!;
  let root = refs.get(key);
  if (!root) {
    root = { key, typeName: cls.name, dtype, numel: numel as number };
    refs.set(key, root);
  } else if (root.dtype !== dtype || root.numel !== numel) {
    return fail(`storage '${key}' is referenced as ${root.typeName}[${root.numel}] and as ${cls.name}[${String(numel)}]`);
  }
  if (view === undefined || view === null) return root;
  // Legacy storage views: (view_key, offset, view_size) into the root storage.
  const [viewKey, offset, size] = view as [unknown, unknown, unknown];
  if (typeof viewKey !== 'string' || !Number.isSafeInteger(offset) || !Number.isSafeInteger(size) || (offset as number) < 0 || (offset as number) + (size as number) > root.numel) {
    return fail(`storage view of '${key}' is out of range`);
  }
  return { key: viewKey, typeName: cls.name, dtype, numel: size as number, view: { root, offset: offset as number } };
}

/**
 * Validates a tensor view before any data is read: its element count and byte size are safe integers and it stays
 * inside its storage. Returns its materialised bytes and the bytes of storage it spans.
 *
 * @example
 * checkTensorRef(ref, 'fc.weight'); // { bytes: 8192, spanBytes: 8192 }
 */
export function checkTensorRef(ref: TensorRef, name: string): { bytes: number; spanBytes: number } {
  const size = FILE_DTYPE_SIZE[ref.storage.dtype];
  const what = `tensor '${name}' (shape [${ref.shape.join(', ')}], strides [${ref.strides.join(', ')}], offset ${ref.offset})`;
  const n = ref.numel;
  if (!Number.isSafeInteger(n * size)) fail(`${what} has more than 2^53 bytes of elements (${n} elements): refusing it before allocating anything`);
  if (n === 0) return { bytes: 0, spanBytes: 0 };
  let last = ref.offset;
  for (let i = 0; i < ref.shape.length; i++) last += (ref.shape[i]! - 1) * ref.strides[i]!;
  if (!Number.isSafeInteger(last) || last >= ref.storage.numel) {
    fail(`${what} reaches element ${last} of storage '${ref.storage.key}', which has ${ref.storage.numel}`);
  }
  return { bytes: n * size, spanBytes: (last - ref.offset + 1) * size };
}

/**
 * Gathers a tensor's elements (any strides, any storage offset) from its storage's bytes into contiguous row-major bytes.
 * `storageBytes` are the bytes of the root storage (for legacy storage views, the storage the view points into).
 * Throws when the view reaches past the storage. The caller has charged the result's size to its byte budget.
 *
 * @example
 * const bytes = gatherTensorBytes(ref, storageBytes); // contiguous, ref.numel × element size bytes
 */
export function gatherTensorBytes(ref: TensorRef, storageBytes: Uint8Array, name: string): Uint8Array {
  const size = FILE_DTYPE_SIZE[ref.storage.dtype];
  const { bytes } = checkTensorRef(ref, name);
  const n = ref.numel;
  const out = new Uint8Array(bytes);
  if (n === 0) return out;
  // `storageBytes` holds the root storage; a legacy storage view starts some elements into it.
  const base = ref.offset + (ref.storage.view?.offset ?? 0);
  const nd = ref.shape.length;
  let contiguous = true;
  for (let i = nd - 1, s = 1; i >= 0; s *= ref.shape[i]!, i--) if (ref.shape[i]! !== 1 && ref.strides[i]! !== s) contiguous = false;
  if (contiguous) {
    out.set(storageBytes.subarray(base * size, (base + n) * size));
    return out;
  }
  const idx = new Array<number>(nd).fill(0);
  let src = base;
  for (let k = 0; k < n; k++) {
    for (let b = 0, o = k * size, i = src * size; b < size; b++) out[o + b] = storageBytes[i + b]!;
    for (let d = nd - 1; d >= 0; d--) {
      src += ref.strides[d]!;
      if (++idx[d]! < ref.shape[d]!) break;
      src -= ref.strides[d]! * ref.shape[d]!;
      idx[d] = 0;
    }
  }
  return out;
}
