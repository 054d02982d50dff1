// softmax and logSoftmax along one dim, composed from amax/sum reductions and elementwise ops with the
// row maximum subtracted first, so inputs like 1e4 never overflow exp.
import { tidy } from '../memory.js';
import { normDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { clone, div, sub, unaryOp } from './elementwise.js';
import { amax, sum } from './reduce.js';
import { backendOf, requireFloat, viewOf } from './util.js';

/** `x` viewed as [outer, len, inner] around `dim`. */
function around(op: string, x: Tensor, dim: number): Tensor {
  backendOf(op, x);
  requireFloat(op, x);
  const d = normDim(op, dim, x.ndim);
  if (x.ndim === 0) return viewOf(x, [1, 1, 1], op);
  return viewOf(x, [sizeOf(x.shape.slice(0, d)), x.shape[d]!, sizeOf(x.shape.slice(d + 1))], op);
}

/**
 * Softmax along `dim`: `exp(x - max) / sum(exp(x - max))` (float32; a row containing +inf or only −inf gives NaN, like torch).
 *
 * @example
 * softmax(tensor([[1, 2, 3]]), -1); // [[0.090, 0.245, 0.665]]
 */
export function softmax(x: Tensor, dim: number): Tensor {
  return tidy(() => {
    const v = around('softmax', x, dim);
    if (x.size === 0) return clone(x);
    const m = amax(v, 1, true);
    const e = unaryOp('exp', sub(v, m));
    const out = div(e, sum(e, 1, true));
    return viewOf(out, x.shape, 'softmax');
  });
}

/**
 * Log-softmax along `dim`: `(x - max) - log(sum(exp(x - max)))`, accurate for large magnitudes.
 *
 * @example
 * logSoftmax(tensor([1e4, 0]), 0); // [0, -1e4]
 */
export function logSoftmax(x: Tensor, dim: number): Tensor {
  return tidy(() => {
    const v = around('logSoftmax', x, dim);
    if (x.size === 0) return clone(x);
    const shifted = sub(v, amax(v, 1, true));
    const lse = unaryOp('log', sum(unaryOp('exp', shifted), 1, true));
    const out = sub(shifted, lse);
    return viewOf(out, x.shape, 'logSoftmax');
  });
}

