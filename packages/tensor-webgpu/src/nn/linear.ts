// nn.Linear (y = x·Wᵀ + b with PyTorch's default init), plus the parameter-free Identity and Flatten layers.
import { flatten } from '../ops/movement.js';
import { linear } from '../ops/linalg.js';
import { check } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { type Activation, resolveActivation } from '../ops/fused-activation.js';
import { defaultLayerInit } from './init.js';
import { Module } from './module.js';
import { type LayerOptions, type Parameter, newParameter } from './parameter.js';

/** Options of {@link Linear}. */
export interface LinearOptions extends LayerOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
  /**
   * Activation fused into the matmul's epilogue after the bias (default none): `gain · f(x·Wᵀ + b)` in one kernel.
   * E.g. `'gelu'`, or StyleGAN2's `{ kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }`.
   */
  activation?: Activation;
}

/**
 * Fully connected layer `y = x·weightᵀ + bias` with weight [outFeatures, inFeatures] and bias [outFeatures],
 * initialised like torch (U(±1/√inFeatures) for both). Accepts any number of leading dims.
 *
 * @example
 * const fc = new Linear(16, 4);
 * const y = fc.call(randn([8, 16])); // [8, 4]
 * const mlp = new Linear(16, 64, { activation: 'silu' }); // silu(x·Wᵀ + b) in one kernel
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly activation: Activation | null;
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    resolveActivation('Linear', options.activation);
    this.activation = options.activation ?? null;
    check(Number.isInteger(inFeatures) && inFeatures >= 0 && Number.isInteger(outFeatures) && outFeatures >= 0, 'Linear', `feature counts must be non-negative integers, got ${inFeatures}, ${outFeatures}`);
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = newParameter([outFeatures, inFeatures], 0, options.backend);
    if (options.bias ?? true) this.bias = newParameter([outFeatures], 0, options.backend);
    defaultLayerInit(this.weight, this.bias, options.generator);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this.activation ? { activation: this.activation } : {});
  }

  override extraRepr(): string {
    const act = this.activation ? `, activation=${typeof this.activation === 'string' ? this.activation : JSON.stringify(this.activation)}` : '';
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null}${act}`;
  }
}

/**
 * Returns its input unchanged (a new handle sharing the storage), a placeholder like torch.nn.Identity.
 *
 * @example
 * const head = useHead ? new Linear(8, 2) : new Identity();
 */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x.reshape([...x.shape]);
  }
}

/**
 * Flattens dims `startDim..endDim` (default 1..−1: everything but the batch), like torch.nn.Flatten.
 *
 * @example
 * new Sequential(new Conv2d(3, 4, 3), new Flatten(), new Linear(4 * 6 * 6, 10));
 */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
