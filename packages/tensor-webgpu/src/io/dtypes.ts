// File-level element types shared by the safetensors and .pth readers: sizes, byte decoding and float16/bfloat16 widening.
// Everything here is byte-level (no tensors, no Node APIs) so browsers can use it too.

/** Element types as a checkpoint file names them (safetensors spelling; .pth storages are mapped onto these). */
export type FileDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U32' | 'U16' | 'U8' | 'BOOL';

/** Typed array a {@link FileDType} decodes to (F16/BF16 keep their raw 16-bit patterns in a Uint16Array). */
export type FileArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint32Array
  | Uint16Array
  | Uint8Array;

/**
 * A tensor as stored in a file: its dtype as the file spells it, its shape, and its elements row-major.
 * `data` may also be plain bytes (`Uint8Array`) for any dtype when writing.
 */
export interface RawTensor {
  dtype: FileDType;
  shape: number[];
  data: FileArray;
}

/** Bytes per element of every supported file dtype. */
export const FILE_DTYPE_SIZE: Readonly<Record<FileDType, number>> = Object.freeze({
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U32: 4, U16: 2, U8: 1, BOOL: 1,
});

/**
 * True when `s` names a supported file dtype.
 *
 * @example
 * isFileDType('BF16'); // true
 */
export function isFileDType(s: unknown): s is FileDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(FILE_DTYPE_SIZE, s);
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Copies `bytes` (little-endian elements of `dtype`) into a fresh, aligned typed array. With `owned`, bytes the
 * caller just allocated (and will not touch again) are used in place when aligned, instead of copied.
 *
 * @example
 * bytesToArray('F32', new Uint8Array([0, 0, 128, 63])); // Float32Array [1]
 */
export function bytesToArray(dtype: FileDType, bytes: Uint8Array, owned = false): FileArray {
  const size = FILE_DTYPE_SIZE[dtype];
  if (bytes.byteLength % size !== 0) throw new Error(`${dtype} data of ${bytes.byteLength} bytes is not a whole number of ${size}-byte elements`);
  const copy = owned && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
  if (!HOST_LITTLE_ENDIAN) swapBytes(copy, size);
  const buf = copy.buffer;
  const n = bytes.byteLength / size;
  switch (dtype) {
    case 'F64': return new Float64Array(buf, 0, n);
    case 'F32': return new Float32Array(buf, 0, n);
    case 'I64': return new BigInt64Array(buf, 0, n);
    case 'I32': return new Int32Array(buf, 0, n);
    case 'I16': return new Int16Array(buf, 0, n);
    case 'I8': return new Int8Array(buf, 0, n);
    case 'U32': return new Uint32Array(buf, 0, n);
    case 'F16': case 'BF16': case 'U16': return new Uint16Array(buf, 0, n);
    case 'U8': case 'BOOL': return copy;
  }
}

/**
 * The little-endian bytes of a typed array (a view when the host is little-endian, as every browser and Node host is).
 *
 * @example
 * arrayBytes(new Float32Array([1])); // Uint8Array [0, 0, 128, 63]
 */
export function arrayBytes(data: FileArray, elementSize: number): Uint8Array {
  const view = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (HOST_LITTLE_ENDIAN || elementSize === 1) return view;
  const copy = view.slice();
  swapBytes(copy, elementSize);
  return copy;
}

/**
 * Reverses the byte order of every `size`-byte element in place (big-endian files, big-endian hosts).
 *
 * @example
 * swapBytes(bytes, 4);
 */
export function swapBytes(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/**
 * Widens an IEEE float16 bit pattern to a number (exact: every float16 is a float32).
 *
 * @example
 * float16ToNumber(0x3c00); // 1
 */
export function float16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * Widens a bfloat16 bit pattern (the top half of a float32) to a number.
 *
 * @example
 * bfloat16ToNumber(0x3f80); // 1
 */
export function bfloat16ToNumber(b: number): number {
  u32[0] = (b & 0xffff) << 16;
  return f32[0]!;
}

/**
 * Rounds a number to float16 (round-to-nearest-even, overflow to ±Infinity) and returns its bit pattern.
 *
 * @example
 * numberToFloat16(1); // 0x3c00
 */
export function numberToFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && (half & 1)) ? 1 : 0));
}

/**
 * Rounds a number to bfloat16 (round-to-nearest-even, like `torch.tensor(v).bfloat16()`) and returns its bit pattern.
 *
 * @example
 * numberToBFloat16(1); // 0x3f80
 */
export function numberToBFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) | 0x40) & 0xffff;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

const INT_RANGE: Partial<Record<FileDType, [number, number]>> = {
  I32: [-(2 ** 31), 2 ** 31 - 1], I16: [-32768, 32767], I8: [-128, 127],
  U32: [0, 2 ** 32 - 1], U16: [0, 65535], U8: [0, 255], BOOL: [0, 1],
};

/**
 * Packs numbers into a typed array of a file dtype, refusing integers that do not fit (floats round).
 * `what` names the values in the error message.
 *
 * @example
 * packValues('F16', [1, 0.5], 'w'); // Uint16Array [0x3c00, 0x3800]
 */
export function packValues(dtype: FileDType, values: ArrayLike<number>, what: string): FileArray {
  const n = values.length;
  switch (dtype) {
    case 'F64': return Float64Array.from(values);
    case 'F32': return Float32Array.from(values);
    case 'F16': return Uint16Array.from(values, numberToFloat16);
    case 'BF16': return Uint16Array.from(values, numberToBFloat16);
    case 'I64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = values[i]!;
        if (!Number.isSafeInteger(v)) throw new Error(`${what}: value ${v} at index ${i} is not an integer that I64 can hold exactly`);
        out[i] = BigInt(v);
      }
      return out;
    }
    default: {
      const [lo, hi] = INT_RANGE[dtype]!;
      for (let i = 0; i < n; i++) {
        const v = dtype === 'BOOL' ? (values[i] ? 1 : 0) : values[i]!;
        if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${what}: value ${v} at index ${i} does not fit in ${dtype} [${lo}, ${hi}]`);
      }
      const C = { I32: Int32Array, I16: Int16Array, I8: Int8Array, U32: Uint32Array, U16: Uint16Array, U8: Uint8Array, BOOL: Uint8Array }[dtype as 'I32'];
      return C.from(values, (v) => (dtype === 'BOOL' ? (v ? 1 : 0) : v));
    }
  }
}

/**
 * Sets `obj[key] = value` as an own, enumerable property, so keys read from a file such as `__proto__` stay plain data.
 *
 * @example
 * setEntry(out, '__proto__', t); // out has an own key '__proto__'; its prototype is unchanged
 */
export function setEntry<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}
