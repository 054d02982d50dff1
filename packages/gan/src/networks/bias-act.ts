// Bias, activation, gain and clamp in the order of stylegan2-ada's bias_act (the reference implementation its
// CUDA kernel is checked against): x + b, act(x), x·gain, clamp to ±clamp.
import { type ActivationSpec, type Tensor, F, RadixError, tidy } from '@radix/tensor-webgpu';

/** Activations of the original's `activation_funcs` that Radix provides. */
export type Activation = 'linear' | 'relu' | 'lrelu' | 'tanh' | 'sigmoid' | 'elu' | 'selu' | 'softplus' | 'swish';

interface ActSpec {
  fn: (x: Tensor, alpha: number) => Tensor;
  alpha: number;
  gain: number;
}

const ACTS: Record<Activation, ActSpec> = {
  linear: { fn: (x) => x, alpha: 0, gain: 1 },
  relu: { fn: (x) => F.relu(x), alpha: 0, gain: Math.SQRT2 },
  lrelu: { fn: (x, a) => F.leakyRelu(x, a), alpha: 0.2, gain: Math.SQRT2 },
  tanh: { fn: (x) => F.tanh(x), alpha: 0, gain: 1 },
  sigmoid: { fn: (x) => F.sigmoid(x), alpha: 0, gain: 1 },
  elu: { fn: (x) => F.elu(x), alpha: 0, gain: 1 },
  selu: { fn: (x) => F.selu(x), alpha: 0, gain: 1 },
  softplus: { fn: (x) => F.softplus(x), alpha: 0, gain: 1 },
  swish: { fn: (x) => F.silu(x), alpha: 0, gain: Math.SQRT2 },
};

/**
 * The default gain of an activation (√2 for relu, lrelu and swish, else 1), as in the original's table.
 *
 * @example
 * activationGain('lrelu'); // Math.SQRT2
 */
export function activationGain(act: Activation): number {
  return spec(act).gain;
}

/**
 * The default negative slope of an activation (0.2 for lrelu, else 0), as in the original's table.
 *
 * @example
 * activationAlpha('lrelu'); // 0.2
 */
export function activationAlpha(act: Activation): number {
  return spec(act).alpha;
}

function spec(act: string): ActSpec {
  if (!Object.prototype.hasOwnProperty.call(ACTS, act)) {
    throw new RadixError('biasAct', `unknown activation '${act}' (expected one of ${Object.keys(ACTS).join(', ')})`);
  }
  return ACTS[act as Activation];
}

/**
 * The conv2d / linear epilogue activation that computes `act(x + b) · gain` exactly as {@link biasAct} does (same
 * operations in the same order, in the kernel that produces x), or null when the activation has no fused form
 * ('linear' with a gain ≠ 1, tanh, sigmoid, elu, selu, softplus). 'linear' with gain 1 is `{}`: bias only.
 *
 * @example
 * fusedBiasActivation('lrelu', 0.2, Math.SQRT2); // { activation: { kind: 'leakyRelu', negativeSlope: 0.2, gain: √2 } }
 */
export function fusedBiasActivation(act: Activation, alpha: number, gain: number): { activation?: ActivationSpec } | null {
  switch (act) {
    case 'linear': return gain === 1 ? {} : null;
    case 'lrelu': return { activation: { kind: 'leakyRelu', negativeSlope: alpha, gain } };
    case 'relu': return { activation: { kind: 'relu', gain } };
    case 'swish': return { activation: { kind: 'silu', gain } };
    default: return null;
  }
}

/** Options of {@link biasAct}. */
export interface BiasActOptions {
  /** The dim `b` runs along (default 1, the channels). */
  dim?: number;
  /** Activation (default 'linear'). */
  act?: Activation;
  /** Negative slope of lrelu (default: the activation's, 0.2). */
  alpha?: number;
  /** Gain applied after the activation (default: the activation's default gain). */
  gain?: number;
  /** Clamp the result to ±clamp (null: no clamping). */
  clamp?: number | null;
}

/**
 * `clamp(act(x + b) · gain, −clamp, clamp)`, the original's fused bias/activation op.
 *
 * @example
 * const y = biasAct(x, bias, { act: 'lrelu', gain: Math.SQRT2, clamp: 256 });
 */
export function biasAct(x: Tensor, b: Tensor | null, options: BiasActOptions = {}): Tensor {
  const s = spec(options.act ?? 'linear');
  const dim = options.dim ?? 1;
  const alpha = options.alpha ?? s.alpha;
  const gain = options.gain ?? s.gain;
  const clamp = options.clamp ?? null;
  if (clamp !== null && !(clamp >= 0)) throw new RadixError('biasAct', `clamp must be ≥ 0 or null, got ${clamp}`);
  return tidy(() => {
    let y = x;
    if (b) {
      if (b.ndim !== 1 || b.shape[0] !== x.shape[dim]) throw new RadixError('biasAct', `bias of shape [${b.shape.join(', ')}] does not match dim ${dim} of the input [${x.shape.join(', ')}]`);
      y = y.add(b.reshape(x.shape.map((d, i) => (i === dim ? -1 : 1))));
    }
    y = s.fn(y, alpha);
    if (gain !== 1) y = y.mul(gain);
    if (clamp !== null) y = y.clamp(-clamp, clamp);
    return y === x ? x.mul(1) : y;
  });
}
