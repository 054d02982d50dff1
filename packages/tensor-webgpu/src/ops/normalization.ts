// Normalisation layers' functional forms (batch, group, layer and instance norm), composed from two-pass
// mean/variance reductions and broadcasting elementwise ops inside tidy() scopes.
import { check, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, mul, sub, unaryOp } from './elementwise.js';
import { reshape, transpose } from './movement.js';
import { mean, sum } from './reduce.js';
import { backendOf, empty, requireFloat } from './util.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import { record } from '../autograd/node.js';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Normalise with the batch's statistics instead of the running ones (default false). */
  training?: boolean;
  /** Running-statistics momentum; accepted for API parity, unused here (see {@link batchNorm}). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
}

/** Options of {@link instanceNorm}. */
export interface InstanceNormOptions {
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise each (sample, channel) with its own statistics (default true); false uses the running ones. */
  useInputStats?: boolean;
  /** Accepted for API parity; running statistics are not updated (tensors are immutable). */
  momentum?: number;
  eps?: number;
}

/** Options of {@link groupNorm}. */
export interface GroupNormFnOptions {
  /** Applied to the output in the same kernel: `'silu'` (x·σ(x)) or `'none'` (default). */
  activation?: 'none' | 'silu';
}

/** Checks that an optional per-channel parameter is 1-D of length `c`. */
function checkParam(op: string, name: string, t: Tensor | null | undefined, c: number, x: Tensor): void {
  if (!t) return;
  backendOf(op, x, t);
  requireFloat(op, t);
  check(t.ndim === 1 && t.shape[0] === c, op, `${name} must have shape [${c}] for input ${fmtShape(x.shape)}, got ${fmtShape(t.shape)}`);
}

function checkEps(op: string, eps: number): void {
  check(Number.isFinite(eps) && eps >= 0, op, `eps must be a finite non-negative number, got ${eps}`);
}

/** Biased mean and variance along dim 1 of a 2-D/3-D view, kept as size 1 (two passes: no E[x²] − E[x]² cancellation). */
function moments(v: Tensor, dim: number): [Tensor, Tensor] {
  const m = mean(v, dim, true);
  const va = mean(unaryOp('square', sub(v, m)), dim, true);
  return [m, va];
}

/** `(x - m) * rsqrt(var + eps) * weight + bias`, with `m`, `var`, `weight`, `bias` broadcast over `x`. */
function normalize(x: Tensor, m: Tensor, va: Tensor, eps: number, weight: Tensor | null | undefined, bias: Tensor | null | undefined): Tensor {
  let scale = unaryOp('rsqrt', add(va, eps));
  if (weight) scale = mul(scale, weight);
  const y = mul(sub(x, m), scale);
  return bias ? add(y, bias) : y;
}

/** Shape `[1, C, 1, …]` that broadcasts a per-channel vector over an (N, C, …) tensor. */
function channelShape(x: Tensor): number[] {
  return x.shape.map((s, i) => (i === 1 ? s : 1));
}

/**
 * Batch normalisation over (N, C, …) input. In inference (default) the running statistics normalise;
 * with `training: true` the batch's mean and biased variance over every dim but C are used.
 * Tensors are immutable, so the running statistics are NOT updated (torch updates them in place with
 * `momentum`): only the output is returned; keeping running statistics is left to the nn module (a later issue).
 *
 * @example
 * batchNorm(x, runningMean, runningVar, gamma, beta); // inference
 * batchNorm(x, null, null, gamma, beta, { training: true });
 */
export function batchNorm(
  x: Tensor,
  runningMean: Tensor | null,
  runningVar: Tensor | null,
  weight?: Tensor | null,
  bias?: Tensor | null,
  options: BatchNormOptions = {},
): Tensor {
  const op = 'batchNorm';
  backendOf(op, x);
  requireFloat(op, x);
  const { training = false, eps = 1e-5, momentum = 0.1 } = options;
  checkEps(op, eps);
  check(Number.isFinite(momentum), op, `momentum must be a finite number, got ${momentum}`);
  check(x.ndim >= 2, op, `expects input of shape (N, C, ...) with at least 2 dims, got ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    checkParam(op, name, t, c, x);
  }
  if (!training) {
    check(runningMean && runningVar, op, 'runningMean and runningVar are required unless training is true');
  } else {
    const count = x.size / Math.max(c, 1);
    check(count > 1 || x.size === 0, op, `expected more than 1 value per channel when training, got input of shape ${fmtShape(x.shape)}`);
  }
  const bshape = channelShape(x);
  return tidy(() => {
    const w = weight ? reshape(weight, bshape) : null;
    const b = bias ? reshape(bias, bshape) : null;
    let m: Tensor;
    let va: Tensor;
    if (training) {
      // One transpose puts C first so the statistics are a plain row reduction.
      const rows = reshape(transpose(x, 0, 1), [c, x.size / Math.max(c, 1)]);
      [m, va] = moments(rows, 1);
      m = reshape(m, bshape);
      va = reshape(va, bshape);
    } else {
      m = reshape(runningMean!, bshape);
      va = reshape(runningVar!, bshape);
    }
    return normalize(x, m, va, eps, w, b);
  });
}

/**
 * Group normalisation: channels of (N, C, …) input are split into `numGroups` groups, each normalised with
 * its own mean and biased variance, then the per-channel affine `weight`/`bias` is applied, and optionally SiLU
 * (`activation: 'silu'`, in the same kernel; its gradient is folded into the backward's).
 *
 * @example
 * groupNorm(x, 4, gamma, beta); // x: [N, 16, H, W]
 * groupNorm(x, 4, gamma, beta, 1e-5, { activation: 'silu' }); // = silu(groupNorm(x, 4, gamma, beta))
 */
export function groupNorm(
  x: Tensor, numGroups: number, weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5, options: GroupNormFnOptions = {},
): Tensor {
  const op = 'groupNorm';
  backendOf(op, x);
  requireFloat(op, x);
  checkEps(op, eps);
  check(x.ndim >= 2, op, `expects input of shape (N, C, ...) with at least 2 dims, got ${fmtShape(x.shape)}`);
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  check(Number.isInteger(numGroups) && numGroups > 0 && c % numGroups === 0, op, `numGroups ${numGroups} must be a positive divisor of the ${c} channels of ${fmtShape(x.shape)}`);
  checkParam(op, 'weight', weight, c, x);
  checkParam(op, 'bias', bias, c, x);
  const activation = options.activation ?? 'none';
  check(activation === 'none' || activation === 'silu', op, `activation must be 'none' or 'silu', got '${String(activation)}'`);
  const bshape = channelShape(x);
  if (x.size > 0) return fusedGroupNorm(x, numGroups, weight ?? null, bias ?? null, eps, activation);
  return tidy(() => {
    const v = reshape(x, [n, numGroups, x.size / Math.max(n * numGroups, 1)]);
    const [m, va] = moments(v, 2);
    const y = reshape(normalize(v, m, va, eps, null, null), x.shape);
    const w = weight ? mul(y, reshape(weight, bshape)) : y;
    const out = bias ? add(w, reshape(bias, bshape)) : w;
    return activation === 'silu' ? unaryOp('silu', out) : out;
  });
}

/**
 * GroupNorm through the backend's fused primitives: one kernel forward, two backward. With `createGraph` the backward
 * is written in differentiable ops instead (the same formula), so gradients of gradients work.
 */
function fusedGroupNorm(x: Tensor, groups: number, weight: Tensor | null, bias: Tensor | null, eps: number, activation: 'none' | 'silu'): Tensor {
  const op = 'groupNorm';
  const b = x.backend;
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const p = { n, c, groups, spatial: x.size / (n * c), eps, activation };
  const out = empty(op, b, x.shape, 'float32');
  const mu = empty(op, b, [n * groups], 'float32');
  const rs = empty(op, b, [n * groups], 'float32');
  b.groupNormForward(x.buf(op), weight?.buf(op) ?? null, bias?.buf(op) ?? null, out.buf(op), mu.buf(op), rs.buf(op), p);
  const result = record(op, out, [x, weight, bias], (g, saved) => {
    const [xs, ms, rss] = saved as [Tensor, Tensor, Tensor];
    const ws = weight ? saved[3]! : null;
    const bs = bias ? saved[weight ? 4 : 3]! : null;
    if (isGradEnabled()) return groupNormBackwardOps(g, xs, ws, bs, groups, eps, activation);
    const dx = empty(op, b, x.shape, 'float32');
    const dw = ws ? empty(op, b, [c], 'float32') : null;
    const db = bs ? empty(op, b, [c], 'float32') : null;
    b.groupNormBackward(xs.buf(op), g.buf(op), ws?.buf(op) ?? null, bs?.buf(op) ?? null, ms.buf(op), rss.buf(op), dx.buf(op), dw?.buf(op) ?? null, db?.buf(op) ?? null, p);
    return [dx, dw, db];
  }, [x, mu, rs, ...(weight ? [weight] : []), ...(bias ? [bias] : [])]);
  mu.dispose();
  rs.dispose();
  return result;
}

/** GroupNorm's input, weight and bias gradients in differentiable ops (the fused backward's formula). */
function groupNormBackwardOps(g0: Tensor, x: Tensor, weight: Tensor | null, bias: Tensor | null, groups: number, eps: number, activation: 'none' | 'silu'): (Tensor | null)[] {
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const bshape = channelShape(x);
  const others = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const hasBias = bias !== null;
  return tidy(() => {
    const shape3 = [n, groups, x.size / (n * groups)];
    const v = reshape(x, shape3);
    const [m, va] = moments(v, 2);
    const r = unaryOp('rsqrt', add(va, eps));
    const xh = mul(sub(v, m), r);
    let g = g0;
    if (activation === 'silu') {
      // Through SiLU first: g·σ(u)(1 + u·σ(−u)) at the pre-activation u = x̂·weight + bias.
      const xhFull = reshape(xh, x.shape);
      const w1 = weight ? mul(xhFull, reshape(weight, bshape)) : xhFull;
      const u = bias ? add(w1, reshape(bias, bshape)) : w1;
      g = mul(g0, mul(unaryOp('sigmoid', u), add(mul(u, unaryOp('sigmoid', unaryOp('neg', u))), 1)));
    }
    const gv = reshape(weight ? mul(g, reshape(weight, bshape)) : g, shape3);
    const a = mean(gv, 2, true);
    const bb = mean(mul(gv, xh), 2, true);
    const dx = reshape(mul(r, sub(sub(gv, a), mul(xh, bb))), x.shape);
    const dw = weight ? reshape(sum(mul(g, reshape(xh, x.shape)), others), [c]) : null;
    const db = hasBias ? reshape(sum(g, others), [c]) : null;
    return [dx, dw, db];
  });
}

/**
 * Layer normalisation over the trailing dims `normalizedShape` (mean and biased variance per leading index),
 * then the elementwise affine `weight`/`bias` of shape `normalizedShape`.
 *
 * @example
 * layerNorm(x, [768], gamma, beta); // x: [batch, tokens, 768]
 */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5): Tensor {
  const op = 'layerNorm';
  backendOf(op, x);
  requireFloat(op, x);
  checkEps(op, eps);
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.ndim - k);
  check(
    k <= x.ndim && tail.every((s, i) => s === normalizedShape[i]),
    op,
    `normalizedShape ${fmtShape(normalizedShape)} does not match the trailing dims of input ${fmtShape(x.shape)}`,
  );
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (!t) continue;
    backendOf(op, x, t);
    requireFloat(op, t);
    check(t.ndim === k && t.shape.every((s, i) => s === normalizedShape[i]), op, `${name} must have shape ${fmtShape(normalizedShape)}, got ${fmtShape(t.shape)}`);
  }
  return tidy(() => {
    const len = sizeOf(normalizedShape);
    const v = reshape(x, [x.size / Math.max(len, 1), len]);
    const [m, va] = moments(v, 1);
    const y = reshape(normalize(v, m, va, eps, null, null), x.shape);
    const w = weight ? mul(y, weight) : y;
    return bias ? add(w, bias) : w;
  });
}

/**
 * Instance normalisation of (N, C, …) input: each (sample, channel) plane is normalised with its own mean and
 * biased variance (or with the running statistics when `useInputStats` is false), then the per-channel affine.
 * Running statistics are never updated (tensors are immutable).
 *
 * @example
 * instanceNorm(x, { weight: gamma, bias: beta }); // x: [N, C, H, W]
 */
export function instanceNorm(x: Tensor, options: InstanceNormOptions = {}): Tensor {
  const op = 'instanceNorm';
  backendOf(op, x);
  requireFloat(op, x);
  const { runningMean, runningVar, weight, bias, useInputStats = true, eps = 1e-5 } = options;
  checkEps(op, eps);
  check(x.ndim >= 3, op, `expects input of shape (N, C, *spatial) with at least 3 dims, got ${fmtShape(x.shape)}`);
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  for (const [name, t] of [['runningMean', runningMean], ['runningVar', runningVar], ['weight', weight], ['bias', bias]] as const) {
    checkParam(op, name, t, c, x);
  }
  const spatial = sizeOf(x.shape.slice(2));
  if (useInputStats) {
    check(spatial > 1 || x.size === 0, op, `expected more than 1 spatial element per channel, got input of shape ${fmtShape(x.shape)}`);
  } else {
    check(runningMean && runningVar, op, 'runningMean and runningVar are required when useInputStats is false');
  }
  const bshape = channelShape(x);
  return tidy(() => {
    let y: Tensor;
    if (useInputStats) {
      const v = reshape(x, [n * c, spatial]);
      const [m, va] = moments(v, 1);
      y = reshape(normalize(v, m, va, eps, null, null), x.shape);
    } else {
      y = normalize(x, reshape(runningMean!, bshape), reshape(runningVar!, bshape), eps, null, null);
    }
    const w = weight ? mul(y, reshape(weight, bshape)) : y;
    return bias ? add(w, reshape(bias, bshape)) : w;
  });
}
