// The generic pieces for readers of plain Python pickles that embed torch tensors (e.g. StyleGAN2 network snapshots):
// a storage pickled on its own (torch.storage._load_from_bytes: a legacy torch.save stream whose root is the storage)
// decoded through the same restricted unpickler, and the tensor-rebuild helpers such readers combine with their globals.
import { RadixError } from '../errors.js';
import { FILE_DTYPE_SIZE, swapBytes } from './dtypes.js';
import { unpickle } from './pickle.js';
import { type StorageRef, storageFromPid, torchGlobals } from './torch-pickle.js';

export { TensorRef, type StorageRef, checkTensorRef, gatherTensorBytes, torchGlobals } from './torch-pickle.js';
export { SET_STATE } from './pickle.js';
export { bytesToArray } from './dtypes.js';

/** One storage decoded by {@link decodeLegacyStorage}: its descriptor and its little-endian bytes (numel × element size). */
export interface DecodedStorage {
  ref: StorageRef;
  bytes: Uint8Array;
}

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

function fail(msg: string): never {
  throw new RadixError('torchStorage', msg);
}

/**
 * Decodes the argument of `torch.storage._load_from_bytes` — the bytes torch writes when a storage is pickled with
 * plain `pickle` — without executing anything: magic number, protocol, sys_info, the storage's pickle (only storage
 * persistent ids; any other global is refused), its key list and its raw elements. Bounded by the pickle limits;
 * a truncated or inconsistent stream throws.
 *
 * @example
 * const { ref, bytes } = decodeLegacyStorage(blob); // ref.dtype 'F32', bytes.length === ref.numel * 4
 */
export function decodeLegacyStorage(bytes: Uint8Array, limits: { maxPickleBytes?: number; maxPickleOps?: number } = {}): DecodedStorage {
  const none = { globals: {}, ...limits };
  const magic = unpickle(bytes, none);
  if (magic.value !== LEGACY_MAGIC) fail('not a torch storage: the legacy magic number is missing');
  const proto = unpickle(bytes, { ...none, offset: magic.end });
  if (proto.value !== LEGACY_PROTOCOL) fail(`unsupported legacy protocol version ${String(proto.value)} (expected ${LEGACY_PROTOCOL})`);
  const sys = unpickle(bytes, { ...none, offset: proto.end });
  const bigEndian = sys.value instanceof Map && sys.value.get('little_endian') === false;
  const refs = new Map<string, StorageRef>();
  const main = unpickle(bytes, { globals: torchGlobals(), persistentLoad: (pid) => storageFromPid(pid, refs), offset: sys.end, ...limits });
  const ref = main.value as StorageRef;
  if (!ref || typeof ref !== 'object' || !refs.has(ref.key) || ref.view) fail('the pickled object is not a single storage');
  const keys = unpickle(bytes, { ...none, offset: main.end });
  if (!Array.isArray(keys.value) || keys.value.length !== 1 || keys.value[0] !== ref.key) fail('the storage key list does not name exactly the pickled storage');
  const n = ref.numel * FILE_DTYPE_SIZE[ref.dtype];
  const at = keys.end;
  if (at + 8 + n > bytes.length) fail(`storage '${ref.key}' (${ref.typeName}, ${ref.numel} elements) needs ${8 + n} bytes at offset ${at} but only ${bytes.length - at} are left: truncated`);
  const count = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigInt64(at, !bigEndian);
  if (count !== BigInt(ref.numel)) fail(`storage '${ref.key}' records ${count} elements but its pickle says ${ref.numel} (corrupt)`);
  const data = bytes.slice(at + 8, at + 8 + n);
  if (bigEndian) swapBytes(data, FILE_DTYPE_SIZE[ref.dtype]);
  return { ref, bytes: data };
}
