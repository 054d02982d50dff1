// The spatial self-attention of UNet2DModel's attention blocks: diffusers' `Attention` as its blocks build it
// (`_from_deprecated_attn_block`, residual connection, optional GroupNorm), with keys group_norm/to_q/to_k/to_v/to_out.0.
import { type Tensor, groupNorm, nn, tidy } from '@radix/tensor-webgpu';
import type { UNetLayerOptions } from './resnet-block.js';

/** Options of {@link SpatialAttention}. */
export interface SpatialAttentionOptions extends UNetLayerOptions {
  /** Channels per head; heads = channels / headDim. */
  headDim: number;
  /** Groups of the GroupNorm before the projections (null: no norm, as diffusers' mid block with scale_shift). */
  normGroups: number | null;
  eps: number;
  /** The output (attention + residual) is divided by this. */
  rescaleOutputFactor: number;
}

/**
 * Multi-head self-attention over the H·W positions of a feature map [N, C, H, W]: tokens = GroupNorm(x) as
 * [N, HW, C], q/k/v linear projections, softmax(q·kᵀ/√headDim)·v per head, `to_out.0` projection, back to
 * [N, C, H, W], plus the input, divided by `rescaleOutputFactor`.
 *
 * @example
 * const attn = new SpatialAttention(16, { headDim: 8, normGroups: 4, eps: 1e-5, rescaleOutputFactor: 1 });
 * const y = attn.call(x); // same shape as x
 */
export class SpatialAttention extends nn.Module {
  readonly channels: number;
  readonly heads: number;
  readonly headDim: number;
  readonly eps: number;
  readonly rescaleOutputFactor: number;
  group_norm: nn.GroupNorm | null = null;
  to_q: nn.Linear;
  to_k: nn.Linear;
  to_v: nn.Linear;
  to_out: nn.ModuleList<nn.Linear>;

  constructor(channels: number, options: SpatialAttentionOptions) {
    super();
    if (channels % options.headDim !== 0) {
      throw new Error(`SpatialAttention: attentionHeadDim ${options.headDim} does not divide the ${channels} channels`);
    }
    this.channels = channels;
    this.headDim = options.headDim;
    this.heads = channels / options.headDim;
    this.eps = options.eps;
    this.rescaleOutputFactor = options.rescaleOutputFactor;
    const b = { backend: options.backend };
    if (options.normGroups !== null) this.group_norm = new nn.GroupNorm(options.normGroups, channels, { eps: options.eps, ...b });
    this.to_q = new nn.Linear(channels, channels, b);
    this.to_k = new nn.Linear(channels, channels, b);
    this.to_v = new nn.Linear(channels, channels, b);
    this.to_out = new nn.ModuleList([new nn.Linear(channels, channels, b)]);
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const normed = this.group_norm ? groupNorm(x, this.group_norm.numGroups, this.group_norm.weight, this.group_norm.bias, this.eps) : x;
      const tokens = normed.reshape([n, c, h * w]).transpose(1, 2); // [N, HW, C]
      const split = (t: Tensor) => t.reshape([n, h * w, this.heads, this.headDim]).transpose(1, 2); // [N, heads, HW, d]
      const q = split(this.to_q.call(tokens));
      const k = split(this.to_k.call(tokens));
      const v = split(this.to_v.call(tokens));
      const scores = q.matmul(k.transpose(2, 3)).mul(1 / Math.sqrt(this.headDim));
      const out = scores.softmax(-1).matmul(v).transpose(1, 2).reshape([n, h * w, c]);
      const proj = this.to_out.at(0).call(out).transpose(1, 2).reshape([n, c, h, w]);
      const res = proj.add(x);
      return this.rescaleOutputFactor === 1 ? res : res.div(this.rescaleOutputFactor);
    });
  }
}
