// diffusers' ResnetBlock2D (GroupNorm → act → conv, time embedding added or as scale/shift, GroupNorm → act →
// dropout → conv, 1×1 shortcut when widths differ) and the Downsample2D/Upsample2D layers, with diffusers' keys.
import {
  type Backend, type Generator, type Tensor, avgPool2d, chunk, gelu, interpolate, mish, nn, pad, relu, silu, tidy,
} from '@radix/tensor-webgpu';
import type { ActivationName } from './config.js';

/** Where a UNet layer puts its parameters. */
export interface UNetLayerOptions {
  backend?: Backend | 'cpu' | 'webgpu';
}

/**
 * diffusers' `get_activation` as a function: silu/swish, mish, gelu (exact), relu.
 *
 * @example
 * const act = activation('silu'); const y = act(x);
 */
export function activation(name: ActivationName): (x: Tensor) => Tensor {
  switch (name) {
    case 'silu':
    case 'swish':
      return silu;
    case 'mish':
      return mish;
    case 'gelu':
      return (x) => gelu(x);
    case 'relu':
      return relu;
    default:
      throw new Error(`UNet2DModel: activation '${String(name)}' is not supported (supported: silu, swish, mish, gelu, relu)`);
  }
}

/** Source of the random stream that dropout layers of a UNet draw from (the trainer swaps it per step). */
export interface DropoutSource {
  generator?: Generator;
}

/**
 * 2× downsampling: a 3×3 stride-2 convolution (`conv.weight`, `conv.bias`) or, without a conv, 2×2 average
 * pooling; with `padding` 0 the input is padded on the right and bottom first (diffusers' `Downsample2D`).
 *
 * @example
 * const down = new Downsample2D(16, { useConv: true, padding: 1 });
 */
export class Downsample2D extends nn.Module {
  readonly useConv: boolean;
  readonly padding: number;
  conv: nn.Conv2d | null = null;
  constructor(channels: number, options: UNetLayerOptions & { useConv: boolean; outChannels?: number; padding?: number }) {
    super();
    this.useConv = options.useConv;
    this.padding = options.padding ?? 1;
    if (this.useConv) {
      this.conv = new nn.Conv2d(channels, options.outChannels ?? channels, 3, { stride: 2, padding: this.padding, backend: options.backend });
    }
  }
  forward(x: Tensor): Tensor {
    if (!this.conv) return avgPool2d(x, 2, { stride: 2 });
    return tidy(() => this.conv!.call(this.padding === 0 ? pad(x, [0, 1, 0, 1]) : x));
  }
}

/**
 * 2× nearest-neighbour upsampling, followed by a 3×3 convolution (`conv.*`) when `useConv` (diffusers' `Upsample2D`).
 *
 * @example
 * const up = new Upsample2D(16, { useConv: true });
 */
export class Upsample2D extends nn.Module {
  conv: nn.Conv2d | null = null;
  constructor(channels: number, options: UNetLayerOptions & { useConv: boolean; outChannels?: number }) {
    super();
    if (options.useConv) this.conv = new nn.Conv2d(channels, options.outChannels ?? channels, 3, { padding: 1, backend: options.backend });
  }
  forward(x: Tensor): Tensor {
    return tidy(() => {
      const up = interpolate(x, { scaleFactor: 2, mode: 'nearest' });
      return this.conv ? this.conv.call(up) : up;
    });
  }
}

/** Options of {@link ResnetBlock2D} (diffusers' argument names camelCased). */
export interface ResnetBlock2DOptions extends UNetLayerOptions {
  inChannels: number;
  outChannels: number;
  /** Width of the time embedding (null: no time input). */
  tembChannels: number | null;
  groups: number;
  eps: number;
  dropout: number;
  timeEmbeddingNorm: 'default' | 'scale_shift';
  nonLinearity: ActivationName;
  outputScaleFactor: number;
  /** Upsample ×2 (nearest) after the first activation, input and hidden path both. */
  up?: boolean;
  /** Downsample ×2 (2×2 average pool) after the first activation. */
  down?: boolean;
  /** Shared dropout stream. */
  dropoutSource?: DropoutSource;
}

/**
 * diffusers' `ResnetBlock2D` with keys `norm1`, `conv1`, `time_emb_proj`, `norm2`, `conv2`, `conv_shortcut`:
 * h = conv1(act(norm1(x))); 'default': h = norm2(h + proj(act(temb))), 'scale_shift': (scale, shift) =
 * chunk(proj(act(temb))), h = norm2(h)·(1 + scale) + shift; h = conv2(dropout(act(h))); out = (shortcut(x) + h) / s.
 *
 * @example
 * const block = new ResnetBlock2D({ inChannels: 8, outChannels: 16, tembChannels: 32, groups: 4, eps: 1e-5,
 *   dropout: 0, timeEmbeddingNorm: 'default', nonLinearity: 'silu', outputScaleFactor: 1 });
 * const y = block.call(x, temb);
 */
export class ResnetBlock2D extends nn.Module<[Tensor, Tensor | null], Tensor> {
  readonly options: Readonly<ResnetBlock2DOptions>;
  norm1: nn.GroupNorm;
  conv1: nn.Conv2d;
  time_emb_proj: nn.Linear | null = null;
  norm2: nn.GroupNorm;
  conv2: nn.Conv2d;
  conv_shortcut: nn.Conv2d | null = null;
  private readonly act: (x: Tensor) => Tensor;
  private readonly upsample: Upsample2D | null;
  private readonly downsample: Downsample2D | null;

  constructor(options: ResnetBlock2DOptions) {
    super();
    this.options = options;
    const b = { backend: options.backend };
    const { inChannels: cin, outChannels: cout } = options;
    this.norm1 = new nn.GroupNorm(options.groups, cin, { eps: options.eps, ...b });
    this.conv1 = new nn.Conv2d(cin, cout, 3, { padding: 1, ...b });
    if (options.tembChannels !== null) {
      this.time_emb_proj = new nn.Linear(options.tembChannels, options.timeEmbeddingNorm === 'scale_shift' ? 2 * cout : cout, b);
    }
    this.norm2 = new nn.GroupNorm(options.groups, cout, { eps: options.eps, ...b });
    this.conv2 = new nn.Conv2d(cout, cout, 3, { padding: 1, ...b });
    this.act = activation(options.nonLinearity);
    // The resampling layers hold no parameters (no conv); they stay out of the module tree like diffusers' lambdas.
    this.upsample = options.up ? new Upsample2D(cin, { useConv: false }) : null;
    this.downsample = !options.up && options.down ? new Downsample2D(cin, { useConv: false }) : null;
    if (cin !== cout) this.conv_shortcut = new nn.Conv2d(cin, cout, 1, b);
  }

  forward(x: Tensor, temb: Tensor | null): Tensor {
    const o = this.options;
    return tidy(() => {
      let input = x;
      let h = this.act(this.norm1.call(x));
      if (this.upsample) {
        input = this.upsample.call(input);
        h = this.upsample.call(h);
      } else if (this.downsample) {
        input = this.downsample.call(input);
        h = this.downsample.call(h);
      }
      h = this.conv1.call(h);
      let t: Tensor | null = null;
      if (this.time_emb_proj && temb) t = this.time_emb_proj.call(this.act(temb)).unsqueeze(2).unsqueeze(3);
      if (o.timeEmbeddingNorm === 'scale_shift') {
        if (!t) throw new Error('ResnetBlock2D: a time embedding is required with resnetTimeScaleShift scale_shift');
        const [scale, shift] = chunk(t, 2, 1) as [Tensor, Tensor];
        h = this.norm2.call(h).mul(scale.add(1)).add(shift);
      } else {
        h = this.norm2.call(t ? h.add(t) : h);
      }
      h = this.act(h);
      if (o.dropout > 0 && this.training) h = nn.dropout(h, o.dropout, true, { generator: o.dropoutSource?.generator });
      h = this.conv2.call(h);
      if (this.conv_shortcut) input = this.conv_shortcut.call(input);
      const out = input.add(h);
      return o.outputScaleFactor === 1 ? out : out.div(o.outputScaleFactor);
    });
  }
}
