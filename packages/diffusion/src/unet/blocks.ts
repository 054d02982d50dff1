// UNet2DModel's blocks as diffusers builds them: DownBlock2D, AttnDownBlock2D, UpBlock2D, AttnUpBlock2D and
// UNetMidBlock2D (with or without attention), with diffusers' submodule names (resnets, attentions, down/upsamplers).
import { type Tensor, cat, nn, tidy } from '@radix/tensor-webgpu';
import type { ActivationName } from './config.js';
import { SpatialAttention } from './attention-block.js';
import { type DropoutSource, Downsample2D, ResnetBlock2D, type UNetLayerOptions, Upsample2D } from './resnet-block.js';

/** What every block shares (diffusers' `get_down_block`/`get_up_block` arguments). */
export interface BlockOptions extends UNetLayerOptions {
  numLayers: number;
  inChannels: number;
  outChannels: number;
  tembChannels: number;
  eps: number;
  actFn: ActivationName;
  groups: number;
  dropout: number;
  timeScaleShift: 'default' | 'scale_shift';
  /** Channels per attention head (null: one head of the block's width). */
  attentionHeadDim: number | null;
  dropoutSource: DropoutSource;
}

function resnet(o: BlockOptions, cin: number, cout: number, extra: { up?: boolean; down?: boolean; scale?: number } = {}): ResnetBlock2D {
  return new ResnetBlock2D({
    inChannels: cin, outChannels: cout, tembChannels: o.tembChannels, groups: o.groups, eps: o.eps, dropout: o.dropout,
    timeEmbeddingNorm: o.timeScaleShift, nonLinearity: o.actFn, outputScaleFactor: extra.scale ?? 1,
    up: extra.up, down: extra.down, backend: o.backend, dropoutSource: o.dropoutSource,
  });
}

function attention(o: BlockOptions, channels: number, normGroups: number | null, scale = 1): SpatialAttention {
  return new SpatialAttention(channels, { headDim: o.attentionHeadDim ?? channels, normGroups, eps: o.eps, rescaleOutputFactor: scale, backend: o.backend });
}

/** A down block's result: the downsampled features and the skip features for the up path. */
export interface DownOutput {
  hidden: Tensor;
  skips: Tensor[];
}

/**
 * `DownBlock2D` / `AttnDownBlock2D`: `numLayers` resnets (each followed by self-attention in the Attn variant),
 * then a downsampler unless it is the last level — a stride-2 conv (`downsamplers.0.conv`), or for the Attn block
 * with downsampleType 'resnet' a downsampling ResnetBlock2D (`downsamplers.0.norm1` …). Every layer's output is
 * a skip connection.
 *
 * @example
 * const block = new DownBlock2D({ ...opts, withAttention: true, addDownsample: true, downsampleType: 'conv', downsamplePadding: 1 });
 * const { hidden, skips } = block.call(x, temb);
 */
export class DownBlock2D extends nn.Module<[Tensor, Tensor], DownOutput> {
  attentions: nn.ModuleList<SpatialAttention> | null = null;
  resnets: nn.ModuleList<ResnetBlock2D>;
  downsamplers: nn.ModuleList<Downsample2D | ResnetBlock2D> | null = null;
  readonly withAttention: boolean;

  constructor(o: BlockOptions & { withAttention: boolean; addDownsample: boolean; downsampleType: 'conv' | 'resnet'; downsamplePadding: number }) {
    super();
    this.withAttention = o.withAttention;
    if (o.withAttention) {
      this.attentions = new nn.ModuleList(Array.from({ length: o.numLayers }, () => attention(o, o.outChannels, o.groups)));
    }
    this.resnets = new nn.ModuleList(Array.from({ length: o.numLayers }, (_, i) => resnet(o, i === 0 ? o.inChannels : o.outChannels, o.outChannels)));
    if (o.addDownsample) {
      // diffusers' plain DownBlock2D always downsamples with a conv; only AttnDownBlock2D honours 'resnet'.
      const down = o.withAttention && o.downsampleType === 'resnet'
        ? resnet(o, o.outChannels, o.outChannels, { down: true })
        : new Downsample2D(o.outChannels, { useConv: true, padding: o.downsamplePadding, backend: o.backend });
      this.downsamplers = new nn.ModuleList<Downsample2D | ResnetBlock2D>([down]);
    }
  }

  forward(x: Tensor, temb: Tensor): DownOutput {
    const skips: Tensor[] = [];
    let h = x;
    const resnets = [...this.resnets];
    const attns = this.attentions ? [...this.attentions] : [];
    resnets.forEach((r, i) => {
      h = r.call(h, temb);
      if (this.withAttention) h = attns[i]!.call(h);
      skips.push(h);
    });
    if (this.downsamplers) {
      const d = this.downsamplers.at(0);
      h = d instanceof ResnetBlock2D ? d.call(h, temb) : d.call(h);
      skips.push(h);
    }
    return { hidden: h, skips };
  }
}

/**
 * `UpBlock2D` / `AttnUpBlock2D`: `numLayers` resnets over [h, skip] concatenated on channels (each followed by
 * self-attention in the Attn variant), then an upsampler unless it is the last level — nearest ×2 + conv
 * (`upsamplers.0.conv`), or for the Attn block with upsampleType 'resnet' an upsampling ResnetBlock2D.
 *
 * @example
 * const block = new UpBlock2D({ ...opts, prevOutputChannels: 16, withAttention: false, addUpsample: true, upsampleType: 'conv' });
 * const h = block.call(x, skips, temb); // consumes skips from the end
 */
export class UpBlock2D extends nn.Module<[Tensor, Tensor[], Tensor], Tensor> {
  attentions: nn.ModuleList<SpatialAttention> | null = null;
  resnets: nn.ModuleList<ResnetBlock2D>;
  upsamplers: nn.ModuleList<Upsample2D | ResnetBlock2D> | null = null;
  readonly withAttention: boolean;

  constructor(o: BlockOptions & { prevOutputChannels: number; withAttention: boolean; addUpsample: boolean; upsampleType: 'conv' | 'resnet' }) {
    super();
    this.withAttention = o.withAttention;
    if (o.withAttention) {
      this.attentions = new nn.ModuleList(Array.from({ length: o.numLayers }, () => attention(o, o.outChannels, o.groups)));
    }
    this.resnets = new nn.ModuleList(Array.from({ length: o.numLayers }, (_, i) => {
      const skip = i === o.numLayers - 1 ? o.inChannels : o.outChannels;
      const cin = i === 0 ? o.prevOutputChannels : o.outChannels;
      return resnet(o, cin + skip, o.outChannels);
    }));
    if (o.addUpsample) {
      const up = o.withAttention && o.upsampleType === 'resnet'
        ? resnet(o, o.outChannels, o.outChannels, { up: true })
        : new Upsample2D(o.outChannels, { useConv: true, backend: o.backend });
      this.upsamplers = new nn.ModuleList<Upsample2D | ResnetBlock2D>([up]);
    }
  }

  /** Number of skip tensors this block consumes. */
  get numSkips(): number {
    return this.resnets.length;
  }

  forward(x: Tensor, skips: Tensor[], temb: Tensor): Tensor {
    let h = x;
    const attns = this.attentions ? [...this.attentions] : [];
    let rest = skips;
    [...this.resnets].forEach((r, i) => {
      const skip = rest[rest.length - 1]!;
      rest = rest.slice(0, -1);
      h = tidy(() => r.call(cat([h, skip], 1), temb));
      if (this.withAttention) h = attns[i]!.call(h);
    });
    if (this.upsamplers) {
      const u = this.upsamplers.at(0);
      h = u instanceof ResnetBlock2D ? u.call(h, temb) : u.call(h);
    }
    return h;
  }
}

/**
 * `UNetMidBlock2D`: resnet, then (attention, resnet) × numLayers (1 in UNet2DModel); the attention's GroupNorm has
 * `attnGroups` groups (null: `groups` with the 'default' time shift, none with 'scale_shift', as diffusers does).
 *
 * @example
 * const mid = new UNetMidBlock2D({ ...opts, numLayers: 1, addAttention: true, attnGroups: null, outputScaleFactor: 1 });
 * const h = mid.call(x, temb);
 */
export class UNetMidBlock2D extends nn.Module<[Tensor, Tensor], Tensor> {
  attentions: nn.ModuleList<SpatialAttention> | null = null;
  resnets: nn.ModuleList<ResnetBlock2D>;
  readonly addAttention: boolean;

  constructor(o: BlockOptions & { addAttention: boolean; attnGroups: number | null; outputScaleFactor: number }) {
    super();
    this.addAttention = o.addAttention;
    const c = o.inChannels;
    const groups = o.attnGroups ?? (o.timeScaleShift === 'default' ? o.groups : null);
    if (o.addAttention) {
      this.attentions = new nn.ModuleList(Array.from({ length: o.numLayers }, () => attention(o, c, groups, o.outputScaleFactor)));
    }
    this.resnets = new nn.ModuleList(Array.from({ length: o.numLayers + 1 }, () => resnet(o, c, c, { scale: o.outputScaleFactor })));
  }

  forward(x: Tensor, temb: Tensor): Tensor {
    const resnets = [...this.resnets];
    const attns = this.attentions ? [...this.attentions] : [];
    let h = resnets[0]!.call(x, temb);
    for (let i = 1; i < resnets.length; i++) {
      if (this.addAttention) h = attns[i - 1]!.call(h);
      h = resnets[i]!.call(h, temb);
    }
    return h;
  }
}
