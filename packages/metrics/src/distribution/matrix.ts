// Input normalisation shared by the distribution metrics: feature sets arrive as row-major typed arrays or [n, d] tensors.
import { Tensor } from '@radix/tensor-webgpu';

/** A row-major `[n × d]` feature matrix held in a typed array. */
export interface FeatureMatrix {
  data: Float32Array | Float64Array;
  n: number;
  d: number;
}

/** Anything the distribution metrics accept as a feature set: a {@link FeatureMatrix} or a 2-D tensor `[n, d]`. */
export type Features = FeatureMatrix | Tensor;

/**
 * Reads a feature set into a float64 row-major matrix, checking its shape and that every value is finite.
 *
 * @example
 * const m = await toMatrix({ data: new Float32Array([1, 2, 3, 4]), n: 2, d: 2 }, 'featureStats');
 */
export async function toMatrix(x: Features, fn: string, what = 'features'): Promise<{ data: Float64Array; n: number; d: number }> {
  let data: Float64Array;
  let n: number;
  let d: number;
  if (x instanceof Tensor) {
    if (x.ndim !== 2) throw new Error(`${fn}: ${what} must be a 2-D tensor [n, d], got shape [${x.shape.join(', ')}]`);
    [n, d] = x.shape as [number, number];
    data = Float64Array.from(await x.data());
  } else {
    if (!x || !(x.data instanceof Float32Array || x.data instanceof Float64Array)) {
      throw new Error(`${fn}: ${what} must be a Tensor or { data: Float32Array | Float64Array, n, d }`);
    }
    ({ n, d } = x);
    if (!Number.isInteger(n) || !Number.isInteger(d) || n < 0 || d < 1) throw new Error(`${fn}: ${what} has invalid size n=${n}, d=${d}`);
    if (x.data.length !== n * d) throw new Error(`${fn}: ${what} has ${x.data.length} values, expected n*d = ${n}*${d} = ${n * d}`);
    data = Float64Array.from(x.data);
  }
  if (n === 0) throw new Error(`${fn}: ${what} is empty (n = 0)`);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) throw new Error(`${fn}: ${what} contain a non-finite value (${data[i]}) at row ${Math.floor(i / d)}, column ${i % d}`);
  }
  return { data, n, d };
}
