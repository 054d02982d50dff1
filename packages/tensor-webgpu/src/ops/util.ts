// Helpers every op uses: allocating checked outputs, turning scalars into tensors, checking operands.
import type { Backend, BackendBuffer, Strided } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import { type DType, BYTES_PER_ELEMENT, coerceScalar } from '../dtype.js';
import { RadixError, check, fmtShape } from '../errors.js';
import { broadcastStrides, sizeOf, type Shape } from '../shape.js';
import { Storage, Tensor, type TensorLike } from '../tensor.js';
import { record } from '../autograd/node.js';

/** Allocates the output tensor of `op`, refusing sizes a single device binding cannot hold. */
export function empty(op: string, backend: Backend, shape: Shape, dtype: DType): Tensor {
  const numel = sizeOf(shape);
  check(Number.isSafeInteger(numel), op, `output shape ${fmtShape(shape)} is too large`);
  const bytes = numel * BYTES_PER_ELEMENT;
  if (bytes > backend.info.maxBindingBytes) {
    throw new RadixError(
      op,
      `output of shape ${fmtShape(shape)} needs ${bytes} bytes, more than the ${backend.name} device's maximum storage binding of ${backend.info.maxBindingBytes} bytes; split the work into smaller batches`,
    );
  }
  return new Tensor(new Storage(backend, backend.alloc(numel, dtype), numel), shape, dtype);
}

/** @internal A tensor sharing `t`'s storage under a new shape (same element count); differentiable like reshape. */
export function viewOf(t: Tensor, shape: Shape, op: string): Tensor {
  const s = t.storage(op);
  s.refs++;
  const inShape = [...t.shape];
  return record('view', new Tensor(s, shape, t.dtype), [t], (g) => [viewOf(g, inShape, 'view')]);
}

/** Checks that every tensor is live and on one backend; returns that backend. */
export function backendOf(op: string, ...ts: Tensor[]): Backend {
  const b = ts[0]!.backend;
  for (const t of ts) {
    t.storage(op);
    check(t.backend === b, op, `tensors are on different backends (${b.name} and ${t.backend.name}); move them with toBackend()`);
  }
  return b;
}

/** The dtype a scalar takes next to a tensor of `other` (PyTorch's rule: a float scalar makes integers float). */
export function scalarDtype(value: number | boolean, other: DType): DType {
  if (typeof value === 'boolean') return other;
  if (!Number.isInteger(value) && other !== 'float32') return 'float32';
  return other;
}

/** A 0-d tensor holding `value` (filled on the device: no upload). */
export function scalar(value: number | boolean, dtype: DType, backend: Backend = getBackend()): Tensor {
  const t = empty('scalar', backend, [], dtype);
  backend.fill(t.buf('scalar'), 1, dtype, coerceScalar(value, dtype));
  return t;
}

/** Converts a TensorLike to a tensor on `backend`; the second value tells whether it must be disposed. */
export function asTensor(x: TensorLike, dtype: DType, backend: Backend): [Tensor, boolean] {
  if (x instanceof Tensor) return [x, false];
  return [scalar(x, dtype, backend), true];
}

/** A strided read of `t` broadcast to `shape`. */
export function broadcastView(t: Tensor, shape: Shape, op: string): Strided {
  return { buf: t.buf(op), offset: 0, strides: broadcastStrides(t.shape, shape) };
}

/** Converts `t` to `dtype` when it differs (returns `t` itself otherwise; second value: dispose?). */
export function castIfNeeded(t: Tensor, dtype: DType): [Tensor, boolean] {
  if (t.dtype === dtype) return [t, false];
  return [t.to(dtype), true];
}

/** Requires float32 input for ops that only make sense on floats. */
export function requireFloat(op: string, t: Tensor): void {
  check(t.dtype === 'float32', op, `expects a float32 tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
}

/** Buffer of a tensor, checked for use after dispose. */
export function bufOf(t: Tensor, op: string): BackendBuffer {
  return t.buf(op);
}
