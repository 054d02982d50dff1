// The two modulated layers of StyleGAN2's synthesis network (stylegan2-ada's SynthesisLayer and ToRGBLayer): an
// affine map of w to styles, a modulated convolution, noise with a learned strength, bias, lrelu and clamping.
import { type Generator, type Tensor, RadixError, nn, randn, tidy } from '@radix/tensor-webgpu';
import { type Activation, activationGain, biasAct } from './bias-act.js';
import { FullyConnectedLayer } from './fully-connected.js';
import { type NetworkInitOptions, checkInt, constParameter, randnBuffer, randnParameter } from './init.js';
import { modulatedConv2d } from './modulated-conv2d.js';
import { setupFilter } from './upfirdn2d.js';

/** How the synthesis layers get their noise: fresh N(0,1) per call, the stored `noise_const`, or none. */
export type NoiseMode = 'random' | 'const' | 'none';

/** Per-call options of the synthesis layers. */
export interface SynthesisLayerCallOptions {
  /** Noise source (default 'random'). */
  noiseMode?: NoiseMode;
  /** Fused (grouped) modulated convolution (default true at layer level; the block picks by training mode). */
  fusedModconv?: boolean;
  /** Output gain (the resnet architecture passes √½). */
  gain?: number;
  /** Random stream for 'random' noise (default: the global generator). */
  generator?: Generator;
}

/** Options of {@link SynthesisLayer} (the original's keyword arguments, camelCased). */
export interface SynthesisLayerOptions extends NetworkInitOptions {
  kernelSize?: number;
  up?: number;
  useNoise?: boolean;
  activation?: Activation;
  resampleFilter?: readonly number[];
  convClamp?: number | null;
  channelsLast?: boolean;
}

/**
 * Modulated 3×3 convolution with noise input; keys `weight`, `noise_strength`, `bias`, `resample_filter`,
 * `noise_const` and `affine.weight`/`affine.bias`.
 *
 * @example
 * const layer = new SynthesisLayer(32, 32, 64, 8);
 * const y = layer.call(x, w, { noiseMode: 'const' }); // x [N, 32, 8, 8], w [N, 64] → [N, 32, 8, 8]
 */
export class SynthesisLayer extends nn.Module<[x: Tensor, w: Tensor, options?: SynthesisLayerCallOptions]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly resolution: number;
  readonly up: number;
  readonly useNoise: boolean;
  readonly activation: Activation;
  readonly convClamp: number | null;
  readonly padding: number;
  readonly actGain: number;
  affine: FullyConnectedLayer;

  constructor(inChannels: number, outChannels: number, wDim: number, resolution: number, options: SynthesisLayerOptions = {}) {
    super();
    const op = 'SynthesisLayer';
    this.inChannels = checkInt(op, 'inChannels', inChannels);
    this.outChannels = checkInt(op, 'outChannels', outChannels);
    this.resolution = checkInt(op, 'resolution', resolution);
    this.up = checkInt(op, 'up', options.up ?? 1);
    this.useNoise = options.useNoise ?? true;
    this.activation = options.activation ?? 'lrelu';
    this.convClamp = options.convClamp ?? null;
    const k = checkInt(op, 'kernelSize', options.kernelSize ?? 3);
    this.padding = Math.floor(k / 2);
    this.actGain = activationGain(this.activation);
    this.registerBuffer('resample_filter', setupFilter(options.resampleFilter ?? [1, 3, 3, 1], { backend: options.backend }));
    this.affine = new FullyConnectedLayer(wDim, inChannels, { biasInit: 1, backend: options.backend, generator: options.generator });
    this.registerParameter('weight', randnParameter([outChannels, inChannels, k, k], 1, options));
    if (this.useNoise) {
      this.registerBuffer('noise_const', randnBuffer([resolution, resolution], options));
      this.registerParameter('noise_strength', constParameter([], 0, options));
    }
    this.registerParameter('bias', constParameter([outChannels], 0, options));
  }

  /** Convolution weight [out, in, k, k]. */
  get weight(): nn.Parameter {
    return this.getParameter('weight')!;
  }
  /** Bias [out]. */
  get bias(): nn.Parameter {
    return this.getParameter('bias')!;
  }
  /** Learned noise strength (a scalar), or null without noise. */
  get noiseStrength(): nn.Parameter | null {
    return this.getParameter('noise_strength');
  }
  /** The stored noise image [res, res] used by noiseMode 'const', or null without noise. */
  get noiseConst(): Tensor | null {
    return this.getBuffer('noise_const');
  }

  forward(x: Tensor, w: Tensor, options: SynthesisLayerCallOptions = {}): Tensor {
    const noiseMode = options.noiseMode ?? 'random';
    if (!['random', 'const', 'none'].includes(noiseMode)) throw new RadixError('SynthesisLayer', `noiseMode must be 'random', 'const' or 'none', got '${noiseMode}'`);
    const inRes = this.resolution / this.up;
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels || x.shape[2] !== inRes || x.shape[3] !== inRes) {
      throw new RadixError('SynthesisLayer', `expected input [N, ${this.inChannels}, ${inRes}, ${inRes}], got [${x.shape.join(', ')}]`);
    }
    const gain = options.gain ?? 1;
    return tidy(() => {
      const styles = this.affine.call(w);
      let noise: Tensor | null = null;
      if (this.useNoise && noiseMode === 'random') {
        noise = randn([x.shape[0]!, 1, this.resolution, this.resolution], { backend: x.backend, generator: options.generator }).mul(this.noiseStrength!);
      } else if (this.useNoise && noiseMode === 'const') noise = this.noiseConst!.mul(this.noiseStrength!);
      const y = modulatedConv2d(x, this.weight, styles, {
        noise, up: this.up, padding: this.padding, resampleFilter: this.getBuffer('resample_filter'), flipWeight: this.up === 1,
        fusedModconv: options.fusedModconv ?? true,
      });
      const clamp = this.convClamp !== null ? this.convClamp * gain : null;
      return biasAct(y, this.bias, { act: this.activation, gain: this.actGain * gain, clamp });
    });
  }

  override extraRepr(): string {
    return `in_channels=${this.inChannels}, out_channels=${this.outChannels}, resolution=${this.resolution}, up=${this.up}, activation=${this.activation}`;
  }
}

/** Options of {@link ToRGBLayer}. */
export interface ToRGBLayerOptions extends NetworkInitOptions {
  kernelSize?: number;
  convClamp?: number | null;
  channelsLast?: boolean;
}

/**
 * Modulated 1×1 convolution to image channels without demodulation; keys `weight`, `bias`, `affine.*`.
 *
 * @example
 * const torgb = new ToRGBLayer(32, 3, 64);
 * const rgb = torgb.call(x, w); // x [N, 32, 8, 8] → [N, 3, 8, 8]
 */
export class ToRGBLayer extends nn.Module<[x: Tensor, w: Tensor, options?: { fusedModconv?: boolean }]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly convClamp: number | null;
  /** 1 / √(inChannels · k²), applied to the styles. */
  readonly weightGain: number;
  affine: FullyConnectedLayer;

  constructor(inChannels: number, outChannels: number, wDim: number, options: ToRGBLayerOptions = {}) {
    super();
    const op = 'ToRGBLayer';
    this.inChannels = checkInt(op, 'inChannels', inChannels);
    this.outChannels = checkInt(op, 'outChannels', outChannels);
    const k = checkInt(op, 'kernelSize', options.kernelSize ?? 1);
    this.convClamp = options.convClamp ?? null;
    this.affine = new FullyConnectedLayer(wDim, inChannels, { biasInit: 1, backend: options.backend, generator: options.generator });
    this.registerParameter('weight', randnParameter([outChannels, inChannels, k, k], 1, options));
    this.registerParameter('bias', constParameter([outChannels], 0, options));
    this.weightGain = 1 / Math.sqrt(inChannels * k * k);
  }

  /** Convolution weight [out, in, k, k]. */
  get weight(): nn.Parameter {
    return this.getParameter('weight')!;
  }
  /** Bias [out]. */
  get bias(): nn.Parameter {
    return this.getParameter('bias')!;
  }

  forward(x: Tensor, w: Tensor, options: { fusedModconv?: boolean } = {}): Tensor {
    return tidy(() => {
      const styles = this.affine.call(w).mul(this.weightGain);
      const y = modulatedConv2d(x, this.weight, styles, { demodulate: false, fusedModconv: options.fusedModconv ?? true });
      return biasAct(y, this.bias, { clamp: this.convClamp });
    });
  }
}
