// Reads a stylegan2-ada-pytorch network snapshot (a plain pickle of persistence-wrapped modules) through the core's
// restricted unpickler: only constructor kwargs and tensors are taken; the embedded source code is never executed.
import { readFile, stat } from 'node:fs/promises';
import {
  PyGlobal, RadixError, type RawTensor, SET_STATE, type StorageRef, TensorRef, bytesToArray, checkTensorRef,
  decodeLegacyStorage, defaultByteBudget, gatherTensorBytes, torchGlobals, unpickle,
} from '@radix/tensor-webgpu';

/** A module of the snapshot: its class, constructor arguments and state dict (tensors in their file dtypes). */
export interface SnapshotModule {
  /** The original's class name, e.g. 'Generator', 'Discriminator', 'AugmentPipe'. */
  className: string;
  /** Positional constructor arguments (`init_args`), as plain JS values. */
  initArgs: unknown[];
  /** Keyword constructor arguments (`init_kwargs`), with the original's snake_case keys. */
  initKwargs: Record<string, unknown>;
  /** Parameters and persistent buffers under their state-dict keys. */
  stateDict: Record<string, RawTensor>;
}

/** Options of {@link readStyleGAN2Snapshot}. */
export interface SnapshotReadOptions {
  /** Largest file accepted, in bytes (default 4 GiB). */
  maxFileBytes?: number;
  /** Most pickle opcodes executed (default 50,000,000). */
  maxPickleOps?: number;
  /** Byte budget of the tensors materialised (default 4 × the file size + 256 MiB). */
  maxBytes?: number;
}

/** What the top-level dict of a snapshot holds: its modules by name and its other entries as plain values. */
export interface SnapshotContents {
  modules: Record<string, SnapshotModule>;
  /** Entries that are not modules (e.g. `training_set_kwargs`), as plain JS values. */
  other: Record<string, unknown>;
}

/** A persistence-wrapped object as the pickle describes it (its class is never imported, its source never run). */
class PersistentObject {
  constructor(readonly className: string, readonly state: Map<unknown, unknown>) {}
}

/** A numpy dtype descriptor (only numbers are decoded from numpy scalars). */
class NumpyDType {
  littleEndian = true;
  constructor(readonly spec: string) {}
  [SET_STATE](state: unknown): void {
    if (Array.isArray(state) && (state[1] === '>' || state[1] === '<' || state[1] === '|' || state[1] === '=')) this.littleEndian = state[1] !== '>';
  }
}

const fail = (msg: string): never => {
  throw new RadixError('loadStyleGAN2Pkl', msg);
};

function numpyScalar(args: unknown[]): number | boolean {
  const [dt, data] = args;
  if (!(dt instanceof NumpyDType) || !(data instanceof Uint8Array)) return fail('numpy scalar with an unexpected payload');
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const le = dt.littleEndian;
  const need = (n: number) => {
    if (data.length !== n) fail(`numpy ${dt.spec} scalar has ${data.length} bytes, expected ${n}`);
  };
  switch (dt.spec) {
    case 'f8': need(8); return dv.getFloat64(0, le);
    case 'f4': need(4); return dv.getFloat32(0, le);
    case 'i8': need(8); return Number(dv.getBigInt64(0, le));
    case 'i4': need(4); return dv.getInt32(0, le);
    case 'u1': need(1); return dv.getUint8(0);
    case 'b1': need(1); return dv.getUint8(0) !== 0;
    default: return fail(`numpy scalar of dtype '${dt.spec}' is not supported`);
  }
}

/** The allow-list: torch's state-dict globals plus the few data-only constructors a snapshot uses. */
function snapshotGlobals(storages: Map<StorageRef, Uint8Array>, limits: { maxPickleOps?: number }): Record<string, ((args: unknown[]) => unknown) | null> {
  const g = torchGlobals();
  g['torch_utils.persistence._reconstruct_persistent_obj'] = (args) => {
    const meta = args[0];
    if (!(meta instanceof Map)) return fail('a persistent object without its meta dict');
    if (meta.get('type') !== 'class') return fail(`persistent object of type '${String(meta.get('type'))}' (only 'class' is supported)`);
    const name = meta.get('class_name');
    if (typeof name !== 'string') return fail('a persistent object without a class name');
    const state = meta.get('state');
    if (!(state instanceof Map)) return fail(`persistent object '${name}' without a state dict`);
    return new PersistentObject(name, state);
  };
  g['torch.storage._load_from_bytes'] = (args) => {
    if (!(args[0] instanceof Uint8Array)) return fail('torch.storage._load_from_bytes without bytes');
    const { ref, bytes } = decodeLegacyStorage(args[0], limits);
    storages.set(ref, bytes);
    return ref;
  };
  g['dnnlib.util.EasyDict'] = () => new Map();
  g['numpy.dtype'] = (args) => (typeof args[0] === 'string' ? new NumpyDType(args[0]) : fail('numpy.dtype without a type string'));
  g['numpy.core.multiarray.scalar'] = numpyScalar;
  g['numpy._core.multiarray.scalar'] = numpyScalar;
  return g;
}

/** A pickled value as plain JS: dicts → objects, tuples/lists → arrays; tensors and modules are refused here. */
function plain(v: unknown, where: string, depth = 0): unknown {
  if (depth > 64) fail(`${where} is nested too deeply`);
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'bigint') return fail(`${where} holds an integer beyond 2^53`);
  if (Array.isArray(v)) return v.map((x, i) => plain(x, `${where}[${i}]`, depth + 1));
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) {
      if (typeof k !== 'string') fail(`${where} has a non-string key`);
      Object.defineProperty(o, k as string, { value: plain(x, `${where}.${k as string}`, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return o;
  }
  return fail(`${where} holds a ${v instanceof PersistentObject ? `module '${v.className}'` : v instanceof TensorRef ? 'tensor' : v instanceof PyGlobal ? `reference to '${v.qualname}'` : typeof v} where a plain value was expected`);
}

/** Walks a module's `_parameters`, `_buffers` (persistent ones) and `_modules`, like torch's state_dict(). */
function collectState(obj: PersistentObject, budget: { left: number }, storages: Map<StorageRef, Uint8Array>): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  const seen = new Set<PersistentObject>();
  const walk = (m: PersistentObject, prefix: string, depth: number) => {
    if (seen.has(m)) return;
    if (depth > 64) fail(`modules are nested more than 64 levels deep under '${prefix}'`);
    seen.add(m);
    const skip = m.state.get('_non_persistent_buffers_set');
    const nonPersistent = skip instanceof Set ? skip : new Set();
    for (const field of ['_parameters', '_buffers']) {
      const d = m.state.get(field);
      if (d === undefined) continue;
      if (!(d instanceof Map)) fail(`'${prefix || m.className}' has a ${field} that is not a dict`);
      for (const [k, t] of d as Map<unknown, unknown>) {
        if (t === null || (field === '_buffers' && nonPersistent.has(k))) continue;
        const key = `${prefix}${String(k)}`;
        if (!(t instanceof TensorRef)) { fail(`'${key}' in ${field} is not a tensor`); continue; }
        const { bytes } = checkTensorRef(t, key);
        budget.left -= bytes;
        if (budget.left < 0) fail(`tensor '${key}' (shape [${t.shape.join(', ')}]) exceeds the byte budget (maxBytes)`);
        const root = t.storage.view?.root ?? t.storage;
        const sb = storages.get(root);
        if (!sb) fail(`tensor '${key}' views a storage that the pickle never loaded`);
        const data = gatherTensorBytes(t, sb!, key);
        Object.defineProperty(out, key, {
          value: { dtype: t.storage.dtype, shape: [...t.shape], data: bytesToArray(t.storage.dtype, data, true) }, enumerable: true, writable: true, configurable: true,
        });
      }
    }
    const mods = m.state.get('_modules');
    if (mods === undefined) return;
    if (!(mods instanceof Map)) fail(`'${prefix || m.className}' has _modules that is not a dict`);
    for (const [k, c] of mods as Map<unknown, unknown>) {
      if (c === null) continue;
      if (!(c instanceof PersistentObject)) fail(`submodule '${prefix}${String(k)}' is not a persistent module`);
      walk(c as PersistentObject, `${prefix}${String(k)}.`, depth + 1);
    }
  };
  walk(obj, '', 0);
  return out;
}

/**
 * Reads a `network-snapshot-*.pkl` of stylegan2-ada-pytorch into its modules (class, init args/kwargs, state dict)
 * and other entries. Only an allow-list of data constructors is resolved (torch tensor rebuilds and storages, the
 * persistence hook — whose embedded source is ignored —, OrderedDict, EasyDict, numpy scalars); any other global,
 * and any call of it, is refused before anything runs. Errors name the file.
 *
 * @example
 * const { modules } = await readStyleGAN2Snapshot('network-snapshot-000200.pkl');
 * modules.G_ema.initKwargs.z_dim; // 512
 */
export async function readStyleGAN2Snapshot(path: string, options: SnapshotReadOptions = {}): Promise<SnapshotContents> {
  try {
    const size = (await stat(path)).size;
    const maxFile = options.maxFileBytes ?? 4 * 2 ** 30;
    if (size > maxFile) fail(`the file has ${size} bytes, more than the ${maxFile}-byte limit (maxFileBytes)`);
    const bytes = new Uint8Array(await readFile(path));
    const storages = new Map<StorageRef, Uint8Array>();
    const limits = { maxPickleOps: options.maxPickleOps ?? 50_000_000 };
    const { value, end } = unpickle(bytes, { globals: snapshotGlobals(storages, limits), maxPickleBytes: bytes.length, ...limits });
    if (end !== bytes.length) fail(`${bytes.length - end} bytes follow the pickle's STOP opcode (not a single pickle)`);
    if (!(value instanceof Map)) fail('the pickle is not a dict (a network snapshot pickles dict(G=..., D=..., G_ema=..., augment_pipe=...))');
    const budget = { left: options.maxBytes ?? defaultByteBudget(bytes.length) };
    const modules: Record<string, SnapshotModule> = {};
    const other: Record<string, unknown> = {};
    for (const [k, v] of value as Map<unknown, unknown>) {
      if (typeof k !== 'string') fail('the snapshot dict has a non-string key');
      const name = k as string;
      if (v instanceof PersistentObject) {
        const args = v.state.get('_init_args');
        const kwargs = v.state.get('_init_kwargs');
        modules[name] = {
          className: v.className,
          initArgs: args === undefined ? [] : (plain(args, `${name}.init_args`) as unknown[]),
          initKwargs: kwargs === undefined ? {} : (plain(kwargs, `${name}.init_kwargs`) as Record<string, unknown>),
          stateDict: collectState(v, budget, storages),
        };
        if (!Array.isArray(modules[name]!.initArgs)) fail(`${name}.init_args is not a tuple`);
      } else if (v === null) other[name] = null;
      else other[name] = plain(v, name);
    }
    return { modules, other };
  } catch (e) {
    const msg = (e as Error)?.message ?? String(e);
    const err = new RadixError('loadStyleGAN2Pkl', `${path}: ${msg.replace(/^loadStyleGAN2Pkl: /, '')}`);
    (err as { cause?: unknown }).cause = e;
    throw err;
  }
}
