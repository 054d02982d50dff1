// Linear algebra ops: torch.matmul semantics (dot, mm, mv, batched with broadcasting) and F.linear,
// both lowered onto the batched MatmulParams primitive without materialising transposes.
import type { MatmulParams } from '../backend/backend.js';
import { check, fmtShape } from '../errors.js';
import { broadcastShapes, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sumTo } from './elementwise.js';
import { record } from '../autograd/node.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { expand, reshape } from './movement.js';
import { sum } from './reduce.js';
import { backendOf, empty, requireFloat, viewOf } from './util.js';
import { type Activation, recordActivation, resolveActivation } from './fused-activation.js';

/** Options of {@link matmul} and {@link linear}. */
export interface MatmulOptions {
  /**
   * Activation applied in the product's epilogue (after linear's bias): `gain · f(x·Wᵀ + b)` in one kernel, with
   * the gradients of the separate ops. E.g. `'gelu'` or `{ kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }`.
   */
  activation?: Activation;
}

/**
 * Matrix product with PyTorch's `torch.matmul` rules: 1-D·1-D is a dot product (0-d result); a 1-D
 * operand is promoted to a matrix (prepending or appending a 1) and that dim is removed afterwards;
 * leading (batch) dims broadcast. A broadcast operand is read in place (batch stride 0) when its batch
 * is a single matrix; partially broadcast batches are materialised first.
 *
 * `options.activation` applies an activation in the same kernel.
 *
 * @example
 * const c = matmul(randn([2, 3, 4]), randn([4, 5])); // [2, 3, 5]
 * const r = matmul(a, b, { activation: 'relu' }); // relu(a·b), one kernel
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  const backend = backendOf(op, a, b);
  const act = resolveActivation(op, options.activation);
  requireFloat(op, a);
  requireFloat(op, b);
  check(a.ndim >= 1 && b.ndim >= 1, op, `both arguments need at least 1 dim, got shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const aShape = a.ndim === 1 ? [1, a.shape[0]!] : [...a.shape];
  const bShape = b.ndim === 1 ? [b.shape[0]!, 1] : [...b.shape];
  const M = aShape[aShape.length - 2]!;
  const K = aShape[aShape.length - 1]!;
  const Kb = bShape[bShape.length - 2]!;
  const N = bShape[bShape.length - 1]!;
  check(K === Kb, op, `shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} cannot be multiplied (${M}×${K} and ${Kb}×${N})`);
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const batchShape = broadcastShapes(op, aBatch, bBatch);
  const batch = sizeOf(batchShape);

  let outShape = [...batchShape, M, N];
  if (a.ndim === 1) outShape.splice(outShape.length - 2, 1);
  if (b.ndim === 1) outShape.splice(outShape.length - 1, 1);
  if (a.ndim === 1 && b.ndim === 1) outShape = [];
  const out = empty(op, backend, outShape, 'float32');
  if (out.size === 0) return out;

  // An operand whose batch is a single matrix is shared (stride 0); one matching the broadcast batch
  // is walked in place; anything else (e.g. [2,1,M,K] against [1,3,K,N]) is expanded to a copy.
  const owned: Tensor[] = [];
  const operand = (t: Tensor, shape: number[], inner: number[]): [Tensor, number] => {
    const tb = shape.slice(0, -2);
    if (sizeOf(tb) === 1) return [t, 0];
    if (tb.length === batchShape.length && tb.every((d, i) => d === batchShape[i])) return [t, sizeOf(inner)];
    const view = viewOf(t, shape, op);
    const full = expand(view, [...batchShape, ...inner]);
    view.dispose();
    owned.push(full);
    return [full, sizeOf(inner)];
  };
  const [A, strideA] = operand(a, aShape, [M, K]);
  const [B, strideB] = operand(b, bShape, [K, N]);
  let p: MatmulParams = { batch, m: M, k: K, n: N, strideA, strideB, transA: false, transB: false };
  // A batched left operand against one shared right matrix is a single tall matmul.
  if (strideB === 0 && strideA === M * K && batch > 1) p = { ...p, batch: 1, m: batch * M, strideA: 0 };
  if (p.batch === 1) p = { ...p, strideA: 0, strideB: 0 };
  const pre = act && isGradEnabled() && (a.requiresGrad || b.requiresGrad) ? empty(op, backend, outShape, 'float32') : null;
  backend.matmul(A.buf(op), B.buf(op), out.buf(op), p, act ? { act, pre: pre ? pre.buf(op) : null } : undefined);
  for (const t of owned) t.dispose();
  if (act && !pre) return out;
  const full = [...batchShape, M, N];
  // dA = g·Bᵀ and dB = Aᵀ·g on the promoted (≥ 2-D) shapes, summed over broadcast batch dims.
  const product = record(op, pre ?? out, [a, b], (g, [as, bs]) => {
    const a2 = reshape(as!, aShape);
    const b2 = reshape(bs!, bShape);
    const g2 = reshape(g, full);
    const da = sumTo(matmul(g2, b2.transpose(-1, -2)), aShape);
    const db = sumTo(matmul(a2.transpose(-1, -2), g2), bShape);
    return [reshape(da, as!.shape), reshape(db, bs!.shape)];
  }, [a, b]);
  return pre ? recordActivation(op, product, out, act!) : product;
}

/**
 * `F.linear`: `x · weightᵀ + bias` for x of shape [..., in], weight [out, in] and bias [out]. The weight is
 * read transposed in place (no copy); bias and the optional `activation` are applied in the product's epilogue
 * (one kernel).
 *
 * @example
 * const y = linear(x, weight, bias); // x [8, 16], weight [4, 16] → [8, 4]
 * const h = linear(x, weight, bias, { activation: 'silu' }); // silu(x·Wᵀ + b)
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null, options: MatmulOptions = {}): Tensor {
  const op = 'linear';
  const backend = bias ? backendOf(op, x, weight, bias) : backendOf(op, x, weight);
  requireFloat(op, x);
  requireFloat(op, weight);
  check(x.ndim >= 1, op, `input must have at least 1 dim, got shape ${fmtShape(x.shape)}`);
  check(weight.ndim === 2, op, `weight must be 2-D [out_features, in_features], got shape ${fmtShape(weight.shape)}`);
  const [outF, inF] = weight.shape as [number, number];
  check(x.shape[x.ndim - 1] === inF, op, `input shape ${fmtShape(x.shape)} does not end with in_features ${inF} of weight ${fmtShape(weight.shape)}`);
  if (bias) {
    requireFloat(op, bias);
    check(bias.ndim <= 1 && bias.size === outF, op, `bias must have shape [${outF}] for weight ${fmtShape(weight.shape)}, got ${fmtShape(bias.shape)}`);
  }
  const act = resolveActivation(op, options.activation);
  const lead = x.shape.slice(0, -1);
  const m = sizeOf(lead);
  const shape = [...lead, outF];
  const y = empty(op, backend, shape, 'float32');
  if (y.size === 0) return y;
  const needB = !!bias?.requiresGrad;
  const pre = act && isGradEnabled() && (x.requiresGrad || weight.requiresGrad || needB) ? empty(op, backend, shape, 'float32') : null;
  const p: MatmulParams = { batch: 1, m, k: inF, n: outF, strideA: 0, strideB: 0, transA: false, transB: true };
  const epilogue = bias || act ? { bias: bias ? bias.buf(op) : null, biasMode: 'col' as const, act, pre: pre ? pre.buf(op) : null } : undefined;
  backend.matmul(x.buf(op), weight.buf(op), y.buf(op), p, epilogue);
  if (act && !pre) return y;
  const product = record(op, pre ?? y, [x, weight, bias], (g, [xs, ws]) => {
    const g2 = reshape(g, [m, outF]);
    const db = needB ? reshape(sum(g2, [0]), bias!.shape) : null;
    return [matmul(g, ws!), matmul(g2.t(), reshape(xs!, [m, inF])), db];
  }, [x, weight]);
  return pre ? recordActivation(op, product, y, act!) : product;
}
