// Normalisation layers' functional forms (batch, group, layer and instance norm). GroupNorm, LayerNorm and
// training-mode BatchNorm run on the backend's fused primitives (one kernel forward, at most two backward; the
// backward is written in differentiable ops when a graph of the gradient is requested); the rest is composed from
// two-pass mean/variance reductions and broadcasting elementwise ops inside tidy() scopes.
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
import type { GroupNormParams } from '../backend/backend.js';

/** Options of {@link batchNorm}. */
export interface BatchNormOptions {
  /** Normalise with the batch's statistics instead of the running ones (default false). */
  training?: boolean;
  /** Running-statistics momentum; accepted for API parity, unused here (see {@link batchNorm}). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /** Applied to the output (in the same kernel with batch statistics): `'silu'` or `'none'` (default). */
  activation?: 'none' | 'silu';
}

/** Options of {@link layerNorm}. */
export interface LayerNormFnOptions {
  /** Applied to the output in the same kernel: `'silu'` (x·σ(x)) or `'none'` (default). */
  activation?: 'none' | 'silu';
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

type Activation = 'none' | 'silu';

function checkActivation(op: string, activation: unknown): Activation {
  const a = activation ?? 'none';
  check(a === 'none' || a === 'silu', op, `activation must be 'none' or 'silu', got '${String(a)}'`);
  return a as Activation;
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
 * with `training: true` the batch's mean and biased variance over every dim but C are used (one fused kernel, the
 * optional `activation` included). Tensors are immutable, so the running statistics are NOT updated (torch updates
 * them in place with `momentum`): only the output is returned; the nn BatchNorm modules keep running statistics.
 *
 * @example
 * batchNorm(x, runningMean, runningVar, gamma, beta); // inference
 * batchNorm(x, null, null, gamma, beta, { training: true });
 * batchNorm(x, null, null, gamma, beta, { training: true, activation: 'silu' }); // = silu(batchNorm(...))
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
  const activation = checkActivation(op, options.activation);
  if (training && x.size > 0) {
    const [out, m, va] = batchNormWithStats(x, weight ?? null, bias ?? null, eps, activation);
    m.dispose();
    va.dispose();
    return out;
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
    const y = normalize(x, m, va, eps, w, b);
    return activation === 'silu' ? unaryOp('silu', y) : y;
  });
}

/**
 * @internal Training-mode BatchNorm through the backend's fused primitives (x non-empty, arguments checked): the output
 * and the batch's per-channel mean and biased variance ([c], without gradient), for the running statistics.
 */
export function batchNormWithStats(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, activation: Activation): [Tensor, Tensor, Tensor] {
  const op = 'batchNorm';
  const b = x.backend;
  const [n, c] = [x.shape[0]!, x.shape[1]!];
  const p = { n, c, spatial: x.size / (n * c), eps, activation };
  const out = empty(op, b, x.shape, 'float32');
  const mu = empty(op, b, [c], 'float32');
  const rs = empty(op, b, [c], 'float32');
  const va = empty(op, b, [c], 'float32');
  b.batchNormForward(x.buf(op), weight?.buf(op) ?? null, bias?.buf(op) ?? null, out.buf(op), mu.buf(op), rs.buf(op), va.buf(op), p);
  const result = record(op, out, [x, weight, bias], (g, saved) => {
    const [xs, ms, rss] = saved as [Tensor, Tensor, Tensor];
    const ws = weight ? saved[3]! : null;
    const bs = bias ? saved[weight ? 4 : 3]! : null;
    if (isGradEnabled()) return batchNormBackwardOps(g, xs, ws, bs, eps, activation);
    const dx = empty(op, b, x.shape, 'float32');
    const dw = ws ? empty(op, b, [c], 'float32') : null;
    const db = bs ? empty(op, b, [c], 'float32') : null;
    b.batchNormBackward(xs.buf(op), g.buf(op), ws?.buf(op) ?? null, bs?.buf(op) ?? null, ms.buf(op), rss.buf(op), dx.buf(op), dw?.buf(op) ?? null, db?.buf(op) ?? null, p);
    return [dx, dw, db];
  }, [x, mu, rs, ...(weight ? [weight] : []), ...(bias ? [bias] : [])]);
  rs.dispose();
  return [result, mu, va];
}

/** Training-mode BatchNorm's input, weight and bias gradients in differentiable ops (the fused backward's formula). */
function batchNormBackwardOps(g0: Tensor, x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number, activation: Activation): (Tensor | null)[] {
  const c = x.shape[1]!;
  const bshape = channelShape(x);
  const others = x.shape.map((_, i) => i).filter((i) => i !== 1);
  return tidy(() => {
    const m = mean(x, others, true);
    const r = unaryOp('rsqrt', add(mean(unaryOp('square', sub(x, m)), others, true), eps));
    const xh = mul(sub(x, m), r);
    const w = weight ? reshape(weight, bshape) : null;
    const g = activation === 'silu' ? siluGradOps(g0, xh, w, bias ? reshape(bias, bshape) : null) : g0;
    const gv = w ? mul(g, w) : g;
    const a = mean(gv, others, true);
    const bb = mean(mul(gv, xh), others, true);
    const dx = mul(r, sub(sub(gv, a), mul(xh, bb)));
    const dw = weight ? reshape(sum(mul(g, xh), others), [c]) : null;
    const db = bias ? reshape(sum(g, others), [c]) : null;
    return [dx, dw, db];
  });
}

/** `g·SiLU′(u)` at the pre-activation u = x̂·weight + bias, in differentiable ops: g·σ(u)(1 + u·σ(−u)). */
function siluGradOps(g: Tensor, xh: Tensor, w: Tensor | null, b: Tensor | null): Tensor {
  const w1 = w ? mul(xh, w) : xh;
  const u = b ? add(w1, b) : w1;
  return mul(g, mul(unaryOp('sigmoid', u), add(mul(u, unaryOp('sigmoid', unaryOp('neg', u))), 1)));
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
  const activation = checkActivation(op, options.activation);
  const bshape = channelShape(x);
  if (x.size > 0) return fusedGroupNorm(op, x, { n, c, groups: numGroups, spatial: x.size / (n * c), eps, activation }, weight ?? null, bias ?? null);
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
 * GroupNorm (or LayerNorm, as GroupNorm of [rows, len] with one group) through the backend's fused primitives: one
 * kernel forward, two backward. With `createGraph` the backward is written in differentiable ops instead (the same
 * formula), so gradients of gradients work. The weight and bias hold `p.c` elements (any shape: dW/dB take theirs).
 */
function fusedGroupNorm(op: string, x: Tensor, p: GroupNormParams, weight: Tensor | null, bias: Tensor | null): Tensor {
  const b = x.backend;
  const { n, c, groups, eps, activation } = p;
  const out = empty(op, b, x.shape, 'float32');
  const mu = empty(op, b, [n * groups], 'float32');
  const rs = empty(op, b, [n * groups], 'float32');
  b.groupNormForward(x.buf(op), weight?.buf(op) ?? null, bias?.buf(op) ?? null, out.buf(op), mu.buf(op), rs.buf(op), p);
  const result = record(op, out, [x, weight, bias], (g, saved) => {
    const [xs, ms, rss] = saved as [Tensor, Tensor, Tensor];
    const ws = weight ? saved[3]! : null;
    const bs = bias ? saved[weight ? 4 : 3]! : null;
    if (isGradEnabled()) {
      // In the [n, c, spatial] view the primitive sees, then back to the caller's shapes.
      const v = [n, c, p.spatial];
      const grads = groupNormBackwardOps(reshape(g, v), reshape(xs, v), ws && reshape(ws, [c]), bs && reshape(bs, [c]), groups, eps, activation);
      return [reshape(grads[0]!, x.shape), ws && reshape(grads[1]!, ws.shape), bs && reshape(grads[2]!, bs.shape)];
    }
    const dx = empty(op, b, x.shape, 'float32');
    const dw = ws ? empty(op, b, ws.shape, 'float32') : null;
    const db = bs ? empty(op, b, bs.shape, 'float32') : null;
    b.groupNormBackward(xs.buf(op), g.buf(op), ws?.buf(op) ?? null, bs?.buf(op) ?? null, ms.buf(op), rss.buf(op), dx.buf(op), dw?.buf(op) ?? null, db?.buf(op) ?? null, p);
    return [dx, dw, db];
  }, [x, mu, rs, ...(weight ? [weight] : []), ...(bias ? [bias] : [])]);
  mu.dispose();
  rs.dispose();
  return result;
}

/** GroupNorm's input, weight and bias gradients in differentiable ops (the fused backward's formula). */
function groupNormBackwardOps(g0: Tensor, x: Tensor, weight: Tensor | null, bias: Tensor | null, groups: number, eps: number, activation: Activation): (Tensor | null)[] {
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
    // Through SiLU first, at the pre-activation u = x̂·weight + bias.
    const g = activation === 'silu'
      ? siluGradOps(g0, reshape(xh, x.shape), weight ? reshape(weight, bshape) : null, bias ? reshape(bias, bshape) : null)
      : g0;
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
 * then the elementwise affine `weight`/`bias` of shape `normalizedShape`, and optionally SiLU (`activation: 'silu'`),
 * all in one fused kernel (GroupNorm's primitive with one group).
 *
 * @example
 * layerNorm(x, [768], gamma, beta); // x: [batch, tokens, 768]
 * layerNorm(x, [768], gamma, beta, 1e-5, { activation: 'silu' }); // = silu(layerNorm(x, [768], gamma, beta))
 */
export function layerNorm(x: Tensor, normalizedShape: number[], weight?: Tensor | null, bias?: Tensor | null, eps = 1e-5, options: LayerNormFnOptions = {}): Tensor {
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
  const activation = checkActivation(op, options.activation);
  const len = sizeOf(normalizedShape);
  if (x.size > 0) return fusedGroupNorm(op, x, { n: x.size / len, c: len, groups: 1, spatial: 1, eps, activation }, weight ?? null, bias ?? null);
  return tidy(() => {
    const v = reshape(x, [x.size / Math.max(len, 1), len]);
    const [m, va] = moments(v, 1);
    const y = reshape(normalize(v, m, va, eps, null, null), x.shape);
    const w = weight ? mul(y, weight) : y;
    const out = bias ? add(w, bias) : w;
    return activation === 'silu' ? unaryOp('silu', out) : out;
  });
}

/**
 * Instance normalisation of (N, C, …) input: each (sample, channel) plane is normalised with its own mean and
 * biased variance (GroupNorm's fused kernels with one channel per group) or with the running statistics when
 * `useInputStats` is false, then the per-channel affine.
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
  // With its own statistics, instance norm is GroupNorm with one channel per group: the same fused kernels.
  if (useInputStats && x.size > 0) return fusedGroupNorm(op, x, { n, c, groups: c, spatial, eps, activation: 'none' }, weight ?? null, bias ?? null);
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
