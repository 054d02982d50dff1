// stylegan2-ada's FullyConnectedLayer: a dense layer with equalized learning rate (weights stored as N(0,1)/lr_mul and
// scaled by lr_mul/√in at run time, bias scaled by lr_mul) and an optional activation.
import { type Tensor, F, nn, tidy } from '@radix/tensor-webgpu';
import { type Activation, activationAlpha, activationGain, biasAct, fusedBiasActivation } from './bias-act.js';
import { type NetworkInitOptions, checkInt, constParameter, randnParameter } from './init.js';

/** Options of {@link FullyConnectedLayer} (the original's keyword arguments, camelCased). */
export interface FullyConnectedOptions extends NetworkInitOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /** Activation after the bias (default 'linear'). */
  activation?: Activation;
  /** Learning-rate multiplier (default 1; the mapping network uses 0.01). */
  lrMultiplier?: number;
  /** Initial bias value (default 0; the affine layers use 1). */
  biasInit?: number;
}

/**
 * Dense layer with equalized learning rate; state-dict keys `weight` [out, in] and `bias` [out].
 *
 * @example
 * const fc = new FullyConnectedLayer(16, 32, { activation: 'lrelu', lrMultiplier: 0.01 });
 * const y = fc.call(x); // x [N, 16] → [N, 32]
 */
export class FullyConnectedLayer extends nn.Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: Activation;
  /** lrMultiplier / √inFeatures. */
  readonly weightGain: number;
  /** lrMultiplier. */
  readonly biasGain: number;
  weight: nn.Parameter;
  bias: nn.Parameter | null = null;

  constructor(inFeatures: number, outFeatures: number, options: FullyConnectedOptions = {}) {
    super();
    this.inFeatures = checkInt('FullyConnectedLayer', 'inFeatures', inFeatures);
    this.outFeatures = checkInt('FullyConnectedLayer', 'outFeatures', outFeatures);
    const lr = options.lrMultiplier ?? 1;
    this.activation = options.activation ?? 'linear';
    this.weight = randnParameter([outFeatures, inFeatures], 1 / lr, options);
    if (options.bias ?? true) this.bias = constParameter([outFeatures], options.biasInit ?? 0, options);
    this.weightGain = lr / Math.sqrt(inFeatures);
    this.biasGain = lr;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const w = this.weight.mul(this.weightGain);
      let b: Tensor | null = this.bias;
      if (b && this.biasGain !== 1) b = b.mul(this.biasGain);
      // Bias and activation in the matmul's epilogue where the activation has a fused form.
      const fusable = fusedBiasActivation(this.activation, activationAlpha(this.activation), activationGain(this.activation));
      if (fusable && (b || fusable.activation)) return F.linear(x, w, b, { activation: fusable.activation });
      return biasAct(x.matmul(w.t()), b, { act: this.activation });
    });
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, activation=${this.activation}`;
  }
}
