// Tensor creation: from JS data, constants, ranges, identity, and seeded random streams.
import type { Backend, BackendName } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { type DType, coerceScalar, storageArray } from '../dtype.js';
import { RadixError, check, fmtShape } from '../errors.js';
import { defaultGenerator, type Generator } from '../random.js';
import { sizeOf, validateShape, type Shape } from '../shape.js';
import { Storage, Tensor } from '../tensor.js';
import { empty } from './util.js';

/** Where and as what a new tensor is created. */
export interface CreateOptions {
  /** Element type (default float32; integer typed arrays keep their type). */
  dtype?: DType;
  /** Backend name or instance (default: the current backend). */
  backend?: BackendName | Backend;
}

/** Options of the random creation functions. */
export interface RandomOptions extends CreateOptions {
  /** Stream to draw from (default: the global generator, see `manualSeed`). */
  generator?: Generator;
}

/** Nested arrays of numbers/booleans, as accepted by {@link tensor}. */
export type NestedArray = number | boolean | readonly NestedArray[];
type TypedInput = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | Int16Array | Uint16Array | Int8Array;

function resolveBackend(b: CreateOptions['backend']): Backend {
  if (b === undefined) return getBackend();
  return typeof b === 'string' ? getBackend(b) : b;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let cur: NestedArray = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0] as NestedArray;
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    check(typeof data === 'number' || typeof data === 'boolean', 'tensor', `ragged nested array: expected a number at depth ${dim}`);
    out.push(typeof data === 'boolean' ? (data ? 1 : 0) : data);
    return;
  }
  check(Array.isArray(data) && data.length === shape[dim], 'tensor', `ragged nested array: expected length ${shape[dim]} at depth ${dim}`);
  for (const v of data as readonly NestedArray[]) flatten(v, shape, dim + 1, out);
}

function typedDtype(d: TypedInput): DType {
  if (d instanceof Int32Array || d instanceof Int16Array || d instanceof Int8Array) return 'int32';
  if (d instanceof Uint32Array || d instanceof Uint16Array) return 'uint32';
  if (d instanceof Uint8Array) return 'uint32';
  return 'float32';
}

/**
 * Creates a tensor from nested arrays, a flat typed array plus `shape`, or a scalar.
 * JS numbers become float32 unless `dtype` says otherwise; booleans become bool.
 *
 * @example
 * const a = tensor([[1, 2], [3, 4]]);                         // float32 [2, 2]
 * const b = tensor(new Int32Array([1, 2, 3]), { shape: [3] }); // int32
 */
export function tensor(data: NestedArray | TypedInput, options: CreateOptions & { shape?: Shape } = {}): Tensor {
  const backend = resolveBackend(options.backend);
  let shape: number[];
  let values: ArrayLike<number>;
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    shape = options.shape ? [...options.shape] : [data.length];
    values = data;
    dtype = options.dtype ?? typedDtype(data);
  } else {
    shape = inferShape(data);
    const flat: number[] = [];
    flatten(data, shape, 0, flat);
    values = flat;
    const isBool = typeof inferLeaf(data) === 'boolean';
    dtype = options.dtype ?? (isBool ? 'bool' : 'float32');
    if (options.shape) shape = [...options.shape];
  }
  validateShape('tensor', shape);
  check(sizeOf(shape) === values.length, 'tensor', `${values.length} values do not fill shape ${fmtShape(shape)}`);
  const store = storageArray(dtype, values.length);
  for (let i = 0; i < values.length; i++) store[i] = coerceScalar(values[i]!, dtype);
  if (values.length * 4 > backend.info.maxBindingBytes) {
    throw new RadixError('tensor', `shape ${fmtShape(shape)} needs ${values.length * 4} bytes, more than the device's maximum storage binding of ${backend.info.maxBindingBytes} bytes`);
  }
  return new Tensor(new Storage(backend, backend.upload(store, dtype), values.length), shape, dtype);
}

function inferLeaf(data: NestedArray): NestedArray {
  let cur = data;
  while (Array.isArray(cur)) cur = cur[0] as NestedArray;
  return cur;
}

/**
 * A tensor filled with `value`.
 *
 * @example
 * full([2, 3], 0.5);
 */
export function full(shape: Shape, value: number | boolean, options: CreateOptions = {}): Tensor {
  validateShape('full', shape);
  const backend = resolveBackend(options.backend);
  const dtype = options.dtype ?? (typeof value === 'boolean' ? 'bool' : 'float32');
  const t = empty('full', backend, shape, dtype);
  backend.fill(t.buf('full'), t.size, dtype, coerceScalar(value, dtype));
  return t;
}

/** Zeros. @example zeros([2, 2]) */
export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}
/** Ones. @example ones([3], { dtype: 'int32' }) */
export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}
/** Zeros shaped like `t` (same dtype and backend unless overridden). @example zerosLike(x) */
export function zerosLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return full(t.shape, 0, { dtype: t.dtype, backend: t.backend, ...options });
}
/** Ones shaped like `t`. @example onesLike(x) */
export function onesLike(t: Tensor, options: CreateOptions = {}): Tensor {
  return full(t.shape, 1, { dtype: t.dtype, backend: t.backend, ...options });
}
/** `value` shaped like `t`. @example fullLike(x, 7) */
export function fullLike(t: Tensor, value: number, options: CreateOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, backend: t.backend, ...options });
}

/**
 * Values from `start` (inclusive) to `end` (exclusive) by `step`, like torch.arange.
 * Integer arguments give int32 unless `dtype` is set.
 *
 * @example
 * arange(5);          // [0, 1, 2, 3, 4] int32
 * arange(0, 1, 0.25); // [0, 0.25, 0.5, 0.75] float32
 */
export function arange(start: number, end?: number | CreateOptions, step: number | CreateOptions = 1, options: CreateOptions = {}): Tensor {
  if (typeof end === 'object') [options, end] = [end, undefined];
  if (typeof step === 'object') [options, step] = [step, 1];
  if (end === undefined) [start, end] = [0, start];
  check(step !== 0 && Number.isFinite(step), 'arange', `step must be a finite non-zero number, got ${step}`);
  check(Number.isFinite(start) && Number.isFinite(end), 'arange', `start and end must be finite, got ${start} and ${end}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = options.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  const backend = resolveBackend(options.backend);
  const t = empty('arange', backend, [n], dtype);
  backend.arange(t.buf('arange'), n, dtype, start, step);
  return t;
}

/**
 * `steps` evenly spaced values from `start` to `end` inclusive (float32), like torch.linspace.
 *
 * @example
 * linspace(0, 1, 5); // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, end: number, steps: number, options: CreateOptions = {}): Tensor {
  check(Number.isInteger(steps) && steps >= 0, 'linspace', `steps must be a non-negative integer, got ${steps}`);
  const step = steps > 1 ? (end - start) / (steps - 1) : 0;
  // torch.linspace fills the second half from the end so both endpoints are exact.
  const values = new Float32Array(steps);
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) values[i] = i < half ? start + step * i : end - step * (steps - 1 - i);
  return tensor(values, { backend: options.backend, dtype: options.dtype ?? 'float32', shape: [steps] });
}

/**
 * Identity matrix of `n` rows and `m` columns.
 *
 * @example
 * eye(3);
 */
export function eye(n: number, m: number = n, options: CreateOptions = {}): Tensor {
  check(Number.isInteger(n) && n >= 0 && Number.isInteger(m) && m >= 0, 'eye', `sizes must be non-negative integers, got ${n}, ${m}`);
  const dtype = options.dtype ?? 'float32';
  const values = storageArray(dtype, n * m);
  for (let i = 0; i < Math.min(n, m); i++) values[i * m + i] = 1;
  return tensor(values as Float32Array, { backend: options.backend, dtype, shape: [n, m] });
}

function randomTensor(op: string, shape: Shape, options: RandomOptions, kind: 'uniform' | 'normal' | 'randint' | 'bits', a: number, b: number, dtype: DType): Tensor {
  validateShape(op, shape);
  const backend = resolveBackend(options.backend);
  const t = empty(op, backend, shape, dtype);
  const { key, counter } = (options.generator ?? defaultGenerator).take(t.size);
  backend.random(t.buf(op), t.size, dtype, { kind, key, counter, a, b });
  return t;
}

/**
 * Uniform samples in [0, 1) from the Philox stream (bit-identical on CPU and WebGPU for one seed).
 *
 * @example
 * manualSeed(1); const u = rand([2, 2]);
 */
export function rand(shape: Shape, options: RandomOptions = {}): Tensor {
  return randomTensor('rand', shape, options, 'uniform', 0, 1, 'float32');
}

/** Uniform samples in [low, high). @example uniform([3], -1, 1) */
export function uniform(shape: Shape, low: number, high: number, options: RandomOptions = {}): Tensor {
  return randomTensor('uniform', shape, options, 'uniform', low, high, 'float32');
}

/**
 * Standard normal samples (Box–Muller on Philox uniforms).
 *
 * @example
 * const z = randn([4, 8], { generator: new Generator(7) });
 */
export function randn(shape: Shape, options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  return randomTensor('randn', shape, options, 'normal', options.mean ?? 0, options.std ?? 1, 'float32');
}

/**
 * Integers uniformly drawn from [low, high) (int32).
 *
 * @example
 * randint(0, 10, [5]);
 */
export function randint(low: number, high: number, shape: Shape, options: RandomOptions = {}): Tensor {
  check(Number.isInteger(low) && Number.isInteger(high) && high > low && high - low <= 2 ** 31, 'randint', `needs integers low < high with high - low ≤ 2^31, got ${low}, ${high}`);
  return randomTensor('randint', shape, options, 'randint', low, high, options.dtype ?? 'int32');
}

/** Raw 32-bit Philox words (uint32). @example randomBits([4]) */
export function randomBits(shape: Shape, options: RandomOptions = {}): Tensor {
  return randomTensor('randomBits', shape, options, 'bits', 0, 0, 'uint32');
}

/**
 * Copies a tensor to another backend (reads it back, then uploads).
 *
 * @example
 * const onCpu = await toBackend(x, 'cpu');
 */
export async function toBackend(t: Tensor, backend: BackendName | Backend): Promise<Tensor> {
  const b = resolveBackend(backend);
  const raw = await t.backend.read(t.buf('toBackend'), t.size, t.dtype);
  return new Tensor(new Storage(b, b.upload(raw, t.dtype), t.size), t.shape, t.dtype);
}
