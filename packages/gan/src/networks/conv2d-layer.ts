// stylegan2-ada's Conv2dLayer: an equalized-lr convolution (weights N(0,1), scaled by 1/√(in·k²) at run time) with
// optional FIR up/down-sampling, bias, activation with its gain, and conv_clamp.
import { type Tensor, full, nn, tidy } from '@radix/tensor-webgpu';
import { type Activation, activationAlpha, activationGain, biasAct, fusedBiasActivation } from './bias-act.js';
import { conv2dResampleWith } from './conv2d-resample.js';
import { type NetworkInitOptions, checkInt, constParameter, randnBuffer, randnParameter } from './init.js';
import { setupFilter } from './upfirdn2d.js';

/** Options of {@link Conv2dLayer} (the original's keyword arguments, camelCased). */
export interface Conv2dLayerOptions extends NetworkInitOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Activation (default 'linear'). */
  activation?: Activation;
  /** Integer upsampling factor (default 1). */
  up?: number;
  /** Integer downsampling factor (default 1). */
  down?: number;
  /** Low-pass filter taps for resampling (default [1, 3, 3, 1]). */
  resampleFilter?: readonly number[];
  /** Clamp the output to ±convClamp (default null: no clamping). */
  convClamp?: number | null;
  /** Accepted for compatibility; memory layout has no effect here. */
  channelsLast?: boolean;
  /** False stores weight and bias as buffers (the original's frozen layers; same state-dict keys). Default true. */
  trainable?: boolean;
}

/**
 * Convolution layer with equalized learning rate; state-dict keys `weight`, `bias`, `resample_filter`.
 *
 * @example
 * const conv = new Conv2dLayer(16, 32, 3, { activation: 'lrelu', down: 2 });
 * const y = conv.call(x); // x [N, 16, 32, 32] → [N, 32, 16, 16]
 */
export class Conv2dLayer extends nn.Module<[x: Tensor, gain?: number]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly activation: Activation;
  readonly up: number;
  readonly down: number;
  readonly convClamp: number | null;
  readonly padding: number;
  /** 1 / √(inChannels · kernelSize²). */
  readonly weightGain: number;
  readonly actGain: number;
  readonly trainable: boolean;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv2dLayerOptions = {}) {
    super();
    const op = 'Conv2dLayer';
    this.inChannels = checkInt(op, 'inChannels', inChannels);
    this.outChannels = checkInt(op, 'outChannels', outChannels);
    this.kernelSize = checkInt(op, 'kernelSize', kernelSize);
    this.activation = options.activation ?? 'linear';
    this.up = checkInt(op, 'up', options.up ?? 1);
    this.down = checkInt(op, 'down', options.down ?? 1);
    this.convClamp = options.convClamp ?? null;
    this.trainable = options.trainable ?? true;
    this.padding = Math.floor(kernelSize / 2);
    this.weightGain = 1 / Math.sqrt(inChannels * kernelSize * kernelSize);
    this.actGain = activationGain(this.activation);
    this.registerBuffer('resample_filter', setupFilter(options.resampleFilter ?? [1, 3, 3, 1], { backend: options.backend }));
    const shape = [outChannels, inChannels, kernelSize, kernelSize];
    const withBias = options.bias ?? true;
    if (this.trainable) {
      this.registerParameter('weight', randnParameter(shape, 1, options));
      if (withBias) this.registerParameter('bias', constParameter([outChannels], 0, options));
    } else {
      this.registerBuffer('weight', randnBuffer(shape, options));
      if (withBias) this.registerBuffer('bias', full([outChannels], 0, { backend: options.backend, dtype: 'float32' }));
    }
  }

  /** The weight [out, in, k, k] (a Parameter, or a buffer when not trainable). */
  get weight(): Tensor {
    return (this.getParameter('weight') ?? this.getBuffer('weight'))!;
  }
  /** The bias [out], or null. */
  get bias(): Tensor | null {
    return this.getParameter('bias') ?? this.getBuffer('bias');
  }
  /** The FIR filter buffer used for resampling. */
  get resampleFilter(): Tensor {
    return this.getBuffer('resample_filter')!;
  }

  forward(x: Tensor, gain = 1): Tensor {
    return tidy(() => {
      const w = this.weight.mul(this.weightGain);
      const clamp = this.convClamp !== null ? this.convClamp * gain : null;
      // Bias and activation in the last convolution's epilogue where the path ends with one (same operations, fewer
      // passes over the activations); otherwise, or for activations without a fused form, as separate ops.
      const fusable = fusedBiasActivation(this.activation, activationAlpha(this.activation), this.actGain * gain);
      const { y, fused } = conv2dResampleWith(x, w, this.resampleFilter, { up: this.up, down: this.down, padding: this.padding, flipWeight: this.up === 1 },
        fusable ? { bias: this.bias, activation: fusable.activation } : undefined);
      if (fused) return clamp !== null ? y.clamp(-clamp, clamp) : y;
      return biasAct(y, this.bias, { act: this.activation, gain: this.actGain * gain, clamp });
    });
  }

  override extraRepr(): string {
    return `in_channels=${this.inChannels}, out_channels=${this.outChannels}, kernel_size=${this.kernelSize}, activation=${this.activation}, up=${this.up}, down=${this.down}`;
  }
}
