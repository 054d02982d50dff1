// Explicit, scoped memory management: live-tensor accounting, tidy() scopes and memory() reporting.
import type { Backend } from './backend/backend.js';
import { RadixError } from './errors.js';

/** Anything `tidy` can return and keep: a disposable tensor-like, or arrays/objects of them. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

const scopes: Set<Disposable>[] = [];
const live = new Set<Disposable>();

/** @internal Registers a newly created tensor with the live set and the innermost tidy scope. */
export function track(t: Disposable): void {
  live.add(t);
  scopes[scopes.length - 1]?.add(t);
}

/** @internal Called by Tensor.dispose. */
export function untrack(t: Disposable): void {
  live.delete(t);
  for (const s of scopes) s.delete(t);
}

function collect(value: unknown, into: Set<Disposable>, seen = new Set<unknown>()): void {
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) {
    into.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) for (const v of value) collect(v, into, seen);
  else if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, seen);
}

/**
 * Runs `fn` and disposes every tensor it created except those it returns
 * (a tensor, or arrays/plain objects of tensors). Scopes nest; returned tensors move to the parent scope.
 * `fn` must be synchronous.
 *
 * @example
 * const y = tidy(() => x.mul(2).add(1).relu()); // the intermediates are freed
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of scope) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope) t.dispose();
    throw new RadixError('tidy', 'the function returned a Promise; tidy only accepts synchronous functions (await outside of it)');
  }
  const kept = new Set<Disposable>();
  collect(result, kept);
  for (const t of scope) if (!kept.has(t)) t.dispose();
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (!t.isDisposed) parent.add(t);
  return result;
}

/**
 * Removes a tensor from every enclosing tidy scope so it survives them.
 *
 * @example
 * let w; tidy(() => { w = keep(randn([3, 3])); });
 */
export function keep<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Disposes tensors (or nested arrays/objects of them). @example dispose([a, b]) */
export function dispose(value: unknown): void {
  const all = new Set<Disposable>();
  collect(value, all);
  for (const t of all) t.dispose();
}

/** Snapshot returned by {@link memory}. */
export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  liveTensors: number;
  /** Bytes of device storage held by live tensors (per backend). */
  liveBytes: Record<string, number>;
  /** Bytes held by each backend's buffer pool, free for reuse. */
  poolBytes: Record<string, number>;
}

const backendsForMemory = new Set<Backend>();

/** @internal Lets memory() report a backend's pool. */
export function registerBackendForMemory(b: Backend): void {
  backendsForMemory.add(b);
}

/**
 * Reports live tensors, the bytes they hold and the pool size, per backend.
 *
 * @example
 * const before = memory().liveTensors;
 */
export function memory(): MemoryInfo {
  const liveBytes: Record<string, number> = {};
  const poolBytes: Record<string, number> = {};
  for (const b of backendsForMemory) {
    liveBytes[b.name] = b.allocatedBytes();
    poolBytes[b.name] = b.poolBytes();
  }
  return { liveTensors: live.size, liveBytes, poolBytes };
}
