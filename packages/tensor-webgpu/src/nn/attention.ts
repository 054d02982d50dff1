// Attention: F.scaled_dot_product_attention (masks, causal, dropout, scale) and nn.MultiheadAttention with
// PyTorch's parameter layout (in_proj_weight / in_proj_bias / out_proj), masks and batchFirst handling.
import { check, fmtShape } from '../errors.js';
import { tidy } from '../memory.js';
import { arange } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import { linear, matmul } from '../ops/linalg.js';
import { softmax } from '../ops/softmax.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { dropout } from './dropout.js';
import { xavierUniform_, zeros_ } from './init.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { type LayerOptions, type Parameter, newParameter } from './parameter.js';

/** Options of {@link scaledDotProductAttention}. */
export interface SdpaOptions {
  /** Boolean mask (true = may attend) or float mask added to the scores; broadcast to [..., L, S]. */
  attnMask?: Tensor | null;
  /** Dropout probability on the attention weights (default 0; always applied when > 0, like torch). */
  dropoutP?: number;
  /** Mask out keys after each query (top-left aligned lower triangle); exclusive with `attnMask`. */
  isCausal?: boolean;
  /** Score scale (default 1/√E). */
  scale?: number | null;
  /** Stream for the dropout mask. */
  generator?: Generator;
}

/** Additive [L, S] mask with −∞ above the diagonal. */
function causalMask(l: number, s: number, backend: Tensor['backend']): Tensor {
  return tidy(() => {
    const allowed = arange(l, { backend }).unsqueeze(1).ge(arange(s, { backend }).unsqueeze(0));
    return where(allowed, 0, -Infinity);
  });
}

/** softmax(q·kᵀ·scale + mask)·v and the weights; `mask` is additive (or null). */
function attend(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | null, scale: number, dropoutP: number, generator?: Generator): [Tensor, Tensor] {
  let scores = matmul(q, k.transpose(-2, -1)).mul(scale);
  if (mask) scores = scores.add(mask);
  let weights = softmax(scores, -1);
  if (dropoutP > 0) weights = dropout(weights, dropoutP, true, { generator });
  return [matmul(weights, v), weights];
}

function checkDropout(op: string, p: number): void {
  check(Number.isFinite(p) && p >= 0 && p <= 1, op, `dropout probability must be in [0, 1], got ${p}`);
}

/**
 * softmax(q·kᵀ·scale + mask)·v for q [..., L, E], k [..., S, E], v [..., S, Ev] (batch dims broadcast), like
 * torch 2's F.scaled_dot_product_attention computed the "math" way. A boolean `attnMask` marks the positions that
 * may attend (true); a float one is added. Fully masked rows give NaN, as in torch.
 *
 * @example
 * const out = scaledDotProductAttention(q, k, v, { isCausal: true }); // q, k, v: [batch, heads, L, 64]
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: SdpaOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  for (const [n, t] of [['query', q], ['key', k], ['value', v]] as const) {
    check(t.dtype === 'float32', op, `${n} must be float32, got ${t.dtype}`);
    check(t.ndim >= 2, op, `${n} must have at least 2 dims [..., len, dim], got ${fmtShape(t.shape)}`);
  }
  const [l, e] = q.shape.slice(-2) as [number, number];
  const [s, ek] = k.shape.slice(-2) as [number, number];
  check(e === ek, op, `query ${fmtShape(q.shape)} and key ${fmtShape(k.shape)} must have the same last dim`);
  check(v.shape[v.ndim - 2] === s, op, `key ${fmtShape(k.shape)} and value ${fmtShape(v.shape)} must have the same sequence length`);
  const { attnMask = null, dropoutP = 0, isCausal = false } = options;
  checkDropout(op, dropoutP);
  check(!(isCausal && attnMask), op, 'an explicit attnMask must not be set when isCausal is true');
  const scale = options.scale ?? 1 / Math.sqrt(e);
  check(Number.isFinite(scale), op, `scale must be finite, got ${scale}`);
  if (attnMask) check(attnMask.dtype === 'bool' || attnMask.dtype === 'float32', op, `attnMask must be bool or float32, got ${attnMask.dtype}`);
  return tidy(() => {
    let mask: Tensor | null = null;
    if (isCausal) mask = causalMask(l, s, q.backend);
    else if (attnMask) mask = attnMask.dtype === 'bool' ? where(attnMask, 0, -Infinity) : attnMask;
    return attend(q, k, v, mask, scale, dropoutP, options.generator)[0];
  });
}

/** Options of {@link MultiheadAttention}. */
export interface MultiheadAttentionOptions extends LayerOptions {
  /** Dropout on the attention weights in training (default 0). */
  dropout?: number;
  /** Learn input/output projection biases (default true). */
  bias?: boolean;
  /** Key feature size (default embedDim); differing sizes use separate q/k/v projection weights, like torch. */
  kdim?: number;
  /** Value feature size (default embedDim). */
  vdim?: number;
  /** Inputs and output are (N, L, E) instead of (L, N, E) (default false, like torch). */
  batchFirst?: boolean;
}

/** Per-call options of {@link MultiheadAttention.forward}. */
export interface MultiheadAttentionForwardOptions {
  /** (N, S) mask of keys to ignore: bool (true = ignore) or float (added). */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /** (L, S) or (N·heads, L, S) mask: bool (true = NOT allowed to attend, torch's MHA convention) or float (added). */
  attnMask?: Tensor | null;
  /** Average the returned weights over heads (default true): (N, L, S) instead of (N, heads, L, S). */
  averageAttnWeights?: boolean;
  /** Causal masking when no attnMask is given. */
  isCausal?: boolean;
}

type MhaArgs = [query: Tensor, key: Tensor, value: Tensor, options?: MultiheadAttentionForwardOptions];

/**
 * Multi-head attention (torch.nn.MultiheadAttention): `forward(query, key, value, options)` returns
 * `[output, weights | null]`. Parameters follow torch's state dict layout: `in_proj_weight` [3E, E] and
 * `in_proj_bias` [3E] (or `q_proj_weight`/`k_proj_weight`/`v_proj_weight` when kdim/vdim differ), and
 * `out_proj.weight`/`out_proj.bias`. Inputs are (L, N, E), (N, L, E) with `batchFirst`, or unbatched (L, E).
 *
 * @example
 * const mha = new MultiheadAttention(64, 8, { batchFirst: true });
 * const [y, w] = mha.call(x, x, x); // x: [2, 10, 64] → y [2, 10, 64], w [2, 10, 10]
 */
export class MultiheadAttention extends Module<MhaArgs, [Tensor, Tensor | null]> {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const op = 'MultiheadAttention';
    check(Number.isInteger(embedDim) && embedDim > 0 && Number.isInteger(numHeads) && numHeads > 0, op, `embedDim and numHeads must be positive integers, got ${embedDim}, ${numHeads}`);
    check(embedDim % numHeads === 0, op, `embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.kdim = options.kdim ?? embedDim;
    this.vdim = options.vdim ?? embedDim;
    this.dropout = options.dropout ?? 0;
    checkDropout(op, this.dropout);
    this.batchFirst = options.batchFirst ?? false;
    const { backend, generator } = options;
    const bias = options.bias ?? true;
    if (this.sameEmbedDims) {
      this.registerParameter('in_proj_weight', newParameter([3 * embedDim, embedDim], 0, backend));
    } else {
      this.registerParameter('q_proj_weight', newParameter([embedDim, embedDim], 0, backend));
      this.registerParameter('k_proj_weight', newParameter([embedDim, this.kdim], 0, backend));
      this.registerParameter('v_proj_weight', newParameter([embedDim, this.vdim], 0, backend));
    }
    this.registerParameter('in_proj_bias', bias ? newParameter([3 * embedDim], 0, backend) : null);
    this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias, backend, generator }));
    // torch's _reset_parameters: Xavier-uniform input projections, zero biases (out_proj.weight keeps Linear's init).
    for (const n of ['in_proj_weight', 'q_proj_weight', 'k_proj_weight', 'v_proj_weight']) {
      const w = this.getParameter(n);
      if (w) xavierUniform_(w, { generator });
    }
    if (bias) {
      zeros_(this.getParameter('in_proj_bias')!);
      zeros_(this.outProj.bias!);
    }
  }

  /** True when query, key and value share embedDim (one packed `in_proj_weight`). */
  get sameEmbedDims(): boolean {
    return this.kdim === this.embedDim && this.vdim === this.embedDim;
  }
  /** The packed [3E, E] input projection (null when kdim/vdim differ). */
  get inProjWeight(): Parameter | null {
    return this.getParameter('in_proj_weight');
  }
  /** The packed [3E] input projection bias. */
  get inProjBias(): Parameter | null {
    return this.getParameter('in_proj_bias');
  }
  /** The output projection (`out_proj`). */
  get outProj(): Linear {
    return this.getSubmodule('out_proj') as Linear;
  }

  /** Projection weight and bias of input `i` (0 = query, 1 = key, 2 = value). */
  #projection(i: number): [Tensor, Tensor | null] {
    const e = this.embedDim;
    const b = this.inProjBias;
    const bias = b ? b.slice(0, i * e, (i + 1) * e) : null;
    const packed = this.inProjWeight;
    if (packed) return [packed.slice(0, i * e, (i + 1) * e), bias];
    return [this.getParameter(['q_proj_weight', 'k_proj_weight', 'v_proj_weight'][i]!)!, bias];
  }

  forward(query: Tensor, key: Tensor, value: Tensor, options: MultiheadAttentionForwardOptions = {}): [Tensor, Tensor | null] {
    const op = 'MultiheadAttention';
    const { keyPaddingMask = null, attnMask = null, needWeights = true, averageAttnWeights = true, isCausal = false } = options;
    const batched = query.ndim === 3;
    check(query.ndim === 3 || query.ndim === 2, op, `query must be 3-D (batched) or 2-D (unbatched), got ${fmtShape(query.shape)}`);
    check(key.ndim === query.ndim && value.ndim === query.ndim, op, `query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} must have the same number of dims`);
    const e = this.embedDim;
    const h = this.numHeads;
    const hd = this.headDim;
    return tidy(() => {
      // Work in (L, N, E) layout like torch's multi_head_attention_forward.
      const toSeqFirst = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
      const [q0, k0, v0] = [toSeqFirst(query), toSeqFirst(key), toSeqFirst(value)];
      const [l, n, qe] = q0.shape as [number, number, number];
      const [s, nk, ke] = k0.shape as [number, number, number];
      check(qe === e, op, `query's last dim must be embedDim ${e}, got ${fmtShape(query.shape)}`);
      check(ke === this.kdim && v0.shape[2] === this.vdim, op, `key/value last dims must be kdim ${this.kdim} and vdim ${this.vdim}, got ${fmtShape(key.shape)} and ${fmtShape(value.shape)}`);
      check(nk === n && v0.shape[1] === n && v0.shape[0] === s, op, `batch or sequence sizes of query ${fmtShape(query.shape)}, key ${fmtShape(key.shape)} and value ${fmtShape(value.shape)} do not match`);
      // (len, N, E) → (N·heads, len, headDim)
      const heads = (t: Tensor, len: number) => t.reshape(len, n * h, hd).transpose(0, 1);
      const [q, k, v] = [q0, k0, v0].map((t, i) => {
        const [w, b] = this.#projection(i);
        return heads(linear(t, w, b), i === 0 ? l : s);
      }) as [Tensor, Tensor, Tensor];

      let mask: Tensor | null = null;
      if (attnMask) {
        check(attnMask.dtype === 'bool' || attnMask.dtype === 'float32', op, `attnMask must be bool or float32, got ${attnMask.dtype}`);
        const ok2 = attnMask.ndim === 2 && attnMask.shape[0] === l && attnMask.shape[1] === s;
        const ok3 = attnMask.ndim === 3 && attnMask.shape[0] === n * h && attnMask.shape[1] === l && attnMask.shape[2] === s;
        check(ok2 || ok3, op, `attnMask must be [${l}, ${s}] or [${n * h}, ${l}, ${s}], got ${fmtShape(attnMask.shape)}`);
        mask = attnMask.dtype === 'bool' ? where(attnMask, -Infinity, 0) : attnMask;
      } else if (isCausal) {
        mask = causalMask(l, s, query.backend);
      }
      if (keyPaddingMask) {
        const kpm = batched ? keyPaddingMask : keyPaddingMask.unsqueeze(0);
        check(kpm.ndim === 2 && kpm.shape[0] === n && kpm.shape[1] === s, op, `keyPaddingMask must be [${n}, ${s}], got ${fmtShape(keyPaddingMask.shape)}`);
        check(kpm.dtype === 'bool' || kpm.dtype === 'float32', op, `keyPaddingMask must be bool or float32, got ${kpm.dtype}`);
        const add = (kpm.dtype === 'bool' ? where(kpm, -Infinity, 0) : kpm).reshape(n, 1, 1, s).expand(n, h, 1, s).reshape(n * h, 1, s);
        mask = mask ? mask.add(add) : add;
      }
      const p = this.training ? this.dropout : 0;
      const [ctx, weights] = attend(q, k, v, mask, 1 / Math.sqrt(hd), p);
      // (N·heads, L, hd) → (L, N, E) → out_proj
      const merged = ctx.transpose(0, 1).reshape(l, n, e);
      let out = this.outProj.call(merged);
      if (!batched) out = out.squeeze(1);
      else if (this.batchFirst) out = out.transpose(0, 1);
      if (!needWeights) return [out, null] as [Tensor, Tensor | null];
      let w = weights.reshape(n, h, l, s);
      if (averageAttnWeights) w = w.mean(1);
      if (!batched) w = w.squeeze(0);
      return [out, w] as [Tensor, Tensor | null];
    });
  }

  override extraRepr(): string {
    return `embed_dim=${this.embedDim}, num_heads=${this.numHeads}, batch_first=${this.batchFirst}`;
  }
}
