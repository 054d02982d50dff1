// Data types, their storage arrays on both backends, and PyTorch-like type promotion.

/** Element types a tensor can hold. `bool` is stored as one 32-bit word per element. */
export type DType = 'float32' | 'int32' | 'uint32' | 'bool';

/** The typed array a backend stores a dtype in (bool uses Uint32Array, 0 or 1). */
export type StorageArray = Float32Array | Int32Array | Uint32Array;

/** The typed array `Tensor.data()` returns for a dtype (bool → Uint8Array). */
export type DataArray<D extends DType = DType> = D extends 'float32'
  ? Float32Array
  : D extends 'int32'
    ? Int32Array
    : D extends 'uint32'
      ? Uint32Array
      : D extends 'bool'
        ? Uint8Array
        : Float32Array | Int32Array | Uint32Array | Uint8Array;

/** Every dtype, in promotion order (lowest first). */
export const DTYPES: readonly DType[] = ['bool', 'uint32', 'int32', 'float32'];

/** Bytes per element in device storage (all dtypes use 4). */
export const BYTES_PER_ELEMENT = 4;

/** Allocates the storage array for `n` elements of `dtype`. */
export function storageArray(dtype: DType, n: number): StorageArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'int32':
      return new Int32Array(n);
    default:
      return new Uint32Array(n);
  }
}

/** Wraps an ArrayBuffer as the storage array of `dtype`. */
export function storageView(dtype: DType, buffer: ArrayBuffer, n: number): StorageArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(buffer, 0, n);
    case 'int32':
      return new Int32Array(buffer, 0, n);
    default:
      return new Uint32Array(buffer, 0, n);
  }
}

/** Converts storage to what `data()` returns (bool becomes a Uint8Array of 0/1). */
export function toDataArray(dtype: DType, s: StorageArray): DataArray {
  if (dtype === 'bool') return Uint8Array.from(s as Uint32Array, (v) => (v ? 1 : 0));
  return s;
}

/** True for float32. */
export function isFloat(dtype: DType): boolean {
  return dtype === 'float32';
}

/**
 * Result type of a binary op, like `torch.result_type` restricted to Radix's dtypes:
 * float beats integers, int32 beats uint32, uint32 beats bool.
 */
export function promoteTypes(a: DType, b: DType): DType {
  return DTYPES.indexOf(a) >= DTYPES.indexOf(b) ? a : b;
}

/** Rounds/converts a JS number to what a dtype can hold (used by fill and scalar operands). */
export function coerceScalar(value: number | boolean, dtype: DType): number {
  const v = typeof value === 'boolean' ? (value ? 1 : 0) : value;
  switch (dtype) {
    case 'float32':
      return Math.fround(v);
    case 'int32':
      return Math.trunc(v) | 0;
    case 'uint32':
      return Math.trunc(v) >>> 0;
    case 'bool':
      return v !== 0 ? 1 : 0;
  }
}
