// Converts between file tensors (RawTensor: any checkpoint dtype) and Radix tensors (float32/int32/uint32/bool).
// Widening rules: F16/BF16/F64 → float32, I64/I32/I16/I8 → int32, U32/U16/U8 → uint32, BOOL → bool.
import type { Backend, BackendName } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';
import { type FileDType, type RawTensor, bfloat16ToNumber, float16ToNumber, packValues } from './dtypes.js';

/** Options of the loaders that create Radix tensors. */
export interface CheckpointLoadOptions {
  /** Backend name or instance for the loaded tensors (default: the current backend). */
  backend?: BackendName | Backend;
}

/** The Radix dtype a file dtype loads as. */
export const RADIX_DTYPE_OF: Readonly<Record<FileDType, DType>> = Object.freeze({
  F64: 'float32', F32: 'float32', F16: 'float32', BF16: 'float32',
  I64: 'int32', I32: 'int32', I16: 'int32', I8: 'int32',
  U32: 'uint32', U16: 'uint32', U8: 'uint32', BOOL: 'bool',
});

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/**
 * Widens a file tensor's elements to the storage array of its Radix dtype.
 * I64 values outside int32 throw an Error naming `key`, the index and the value.
 *
 * @example
 * widenRaw('w', { dtype: 'F16', shape: [1], data: new Uint16Array([0x3c00]) }); // Float32Array [1]
 */
export function widenRaw(key: string, raw: RawTensor): Float32Array | Int32Array | Uint32Array | Uint8Array {
  const d = raw.data;
  switch (raw.dtype) {
    case 'F32': return d instanceof Float32Array ? d : Float32Array.from(d as Float64Array);
    case 'F64': return Float32Array.from(d as Float64Array);
    case 'F16': return Float32Array.from(d as Uint16Array, float16ToNumber);
    case 'BF16': return Float32Array.from(d as Uint16Array, bfloat16ToNumber);
    case 'I64': {
      const src = d as BigInt64Array;
      const out = new Int32Array(src.length);
      for (let i = 0; i < src.length; i++) {
        const v = src[i]!;
        if (v < INT32_MIN || v > INT32_MAX) {
          throw new Error(`tensor '${key}': int64 value ${v} at index ${i} does not fit in int32 (Radix's integer type); it cannot be loaded without loss`);
        }
        out[i] = Number(v);
      }
      return out;
    }
    case 'I32': case 'I16': case 'I8': return d instanceof Int32Array ? d : Int32Array.from(d as Int16Array);
    case 'U32': case 'U16': case 'U8': return d instanceof Uint32Array ? d : Uint32Array.from(d as Uint16Array);
    case 'BOOL': return Uint8Array.from(d as Uint8Array, (v) => (v ? 1 : 0));
  }
}

/**
 * Creates a Radix tensor from a file tensor (see {@link RADIX_DTYPE_OF} for the dtype it becomes).
 *
 * @example
 * const t = rawToTensor('w', { dtype: 'BF16', shape: [2], data: new Uint16Array([0x3f80, 0x4000]) }); // float32 [1, 2]
 */
export function rawToTensor(key: string, raw: RawTensor, options: CheckpointLoadOptions = {}): Tensor {
  const values = widenRaw(key, raw);
  return tensor(values, { shape: raw.shape, dtype: RADIX_DTYPE_OF[raw.dtype], backend: options.backend });
}

const FILE_DTYPE_OF: Readonly<Record<DType, FileDType>> = { float32: 'F32', int32: 'I32', uint32: 'U32', bool: 'BOOL' };

/**
 * Reads a Radix tensor back into a file tensor, by default in its own dtype (float32 → F32, int32 → I32,
 * uint32 → U32, bool → BOOL); `dtype` converts on the way (e.g. 'F16', 'BF16' round to nearest even; integer
 * targets refuse values that do not fit).
 *
 * @example
 * const raw = await tensorToRaw(tensor([1, 2, 3]), 'F16');
 */
export async function tensorToRaw(t: Tensor, dtype?: FileDType): Promise<RawTensor> {
  const target = dtype ?? FILE_DTYPE_OF[t.dtype];
  const values = await t.data();
  const data = target === FILE_DTYPE_OF[t.dtype] && t.dtype !== 'bool' ? values : packValues(target, values, `tensor of shape [${t.shape.join(', ')}]`);
  return { dtype: target, shape: [...t.shape], data: data as RawTensor['data'] };
}
