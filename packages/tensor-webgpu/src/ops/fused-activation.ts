// Activations fused into the epilogue of conv2d / linear / matmul: the option type, its validation, and the autograd
// record of `y = gain · f(z)` on the pre-activation z that the same kernel stored, with the unary op's own backward
// rule (one pass for silu / gelu / leakyRelu, composed ops, and so differentiable again, under createGraph).
import type { FusedActivation } from '../backend/backend.js';
import { record } from '../autograd/node.js';
import { check } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { mul } from './elementwise.js';
import { UNARY_GRAD } from './unary-grad.js';
import { gelu, leakyRelu, relu, silu } from './unary.js';

/** Activations the conv / matmul epilogue can apply. `'gelu'` is the exact (erf) GELU, `'geluTanh'` its tanh form. */
export type ActivationName = 'relu' | 'silu' | 'gelu' | 'geluTanh' | 'leakyRelu';

/** A fused activation with its parameters. */
export interface ActivationSpec {
  kind: ActivationName;
  /** leakyRelu's slope for negative inputs (default 0.01, like torch). */
  negativeSlope?: number;
  /** Factor applied after the activation (default 1). StyleGAN2's `bias_act` uses leakyRelu 0.2 with gain √2. */
  gain?: number;
}

/**
 * The `activation` option of conv2d / linear / matmul: a name, or a spec with a slope and gain. The result is
 * `gain · f(product + bias)`, computed in the same kernel as the product.
 *
 * @example
 * const act: Activation = { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 };
 */
export type Activation = ActivationName | ActivationSpec;

const KINDS: Record<ActivationName, FusedActivation['op']> = { relu: 'relu', silu: 'silu', gelu: 'geluErf', geluTanh: 'geluTanh', leakyRelu: 'leakyRelu' };

/** @internal Validates an `activation` option; null when absent. */
export function resolveActivation(op: string, a: Activation | null | undefined): FusedActivation | null {
  if (a === undefined || a === null) return null;
  const spec: ActivationSpec = typeof a === 'string' ? { kind: a } : a;
  check(typeof spec === 'object' && Object.hasOwn(KINDS, spec.kind), op, `activation must be one of ${Object.keys(KINDS).map((k) => `'${k}'`).join(', ')} (or { kind, negativeSlope, gain }), got ${JSON.stringify(a)}`);
  const alpha = spec.negativeSlope ?? 0.01;
  const gain = spec.gain ?? 1;
  check(Number.isFinite(alpha), op, `activation negativeSlope must be a finite number, got ${spec.negativeSlope}`);
  check(Number.isFinite(gain), op, `activation gain must be a finite number, got ${spec.gain}`);
  check(spec.kind === 'leakyRelu' || spec.negativeSlope === undefined, op, `negativeSlope only applies to 'leakyRelu', not '${spec.kind}'`);
  return { op: KINDS[spec.kind], alpha: spec.kind === 'leakyRelu' ? alpha : 0, gain };
}

/**
 * @internal `gain · f(x)` in separate ops: the composition the fused epilogue computes in one kernel (used when there
 * is no kernel to fuse into).
 */
export function applyActivation(x: Tensor, a: FusedActivation): Tensor {
  const y = a.op === 'relu' ? relu(x) : a.op === 'silu' ? silu(x) : a.op === 'leakyRelu' ? leakyRelu(x, a.alpha)
    : gelu(x, { approximate: a.op === 'geluTanh' ? 'tanh' : 'none' });
  if (a.gain === 1) return y;
  const r = mul(y, a.gain);
  y.dispose();
  return r;
}

/**
 * @internal Records `y = gain · f(z)` for autograd, y having been written by the same kernel that stored the
 * pre-activation `z` (itself recorded as the product's output). Disposes the `z` handle: the node keeps what it needs.
 */
export function recordActivation(op: string, z: Tensor, y: Tensor, a: FusedActivation): Tensor {
  const rule = UNARY_GRAD[a.op]!;
  const out = record(`${op} activation`, y, [z], (g, [zs]) => [rule(a.gain === 1 ? g : mul(g, a.gain), zs!, zs!, a.alpha, 0)], [z]);
  z.dispose();
  return out;
}
