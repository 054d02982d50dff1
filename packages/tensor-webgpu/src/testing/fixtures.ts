// Loads tensors from the JSON fixtures written by tools/reference/*.py (PyTorch/SciPy/scikit-image outputs).
import type { Backend } from '../backend/backend.js';
import type { DType } from '../dtype.js';
import { tensor } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

/** A tensor as stored in a fixture: non-finite values are the strings "nan", "inf", "-inf". */
export interface FixtureTensor {
  shape: number[];
  dtype: DType;
  data: (number | string)[];
}

/** One fixture case: an op, its arguments, its inputs and PyTorch's output(s). */
export interface FixtureCase {
  name: string;
  op: string;
  args: Record<string, unknown>;
  inputs: FixtureTensor[];
  expected: FixtureTensor | FixtureTensor[];
  /** Optional per-case tolerance override with the reason documented in the generator. */
  tol?: { rtol?: number; atol?: number; why?: string };
}

/** A fixture file. */
export interface FixtureFile {
  generator: string;
  torch: string;
  cases: FixtureCase[];
}

/** Decodes fixture values (string-encoded NaN/±Inf) to numbers. @example decode(['nan', 1]) */
export function decode(data: readonly (number | string)[]): number[] {
  return data.map((v) => (typeof v === 'number' ? v : v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : Number(v)));
}

/** Creates the tensor a fixture describes on `backend`. @example fixtureTensor(c.inputs[0], backend) */
export function fixtureTensor(f: FixtureTensor, backend: Backend): Tensor {
  return tensor(decode(f.data), { shape: f.shape, dtype: f.dtype, backend });
}
