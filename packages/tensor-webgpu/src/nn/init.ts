// torch.nn.init: in-place initialisers (uniform/normal/constant, Xavier, Kaiming) and calculate_gain, drawing from
// the Philox generator. Same distributions and bounds as PyTorch, but not the same numbers (torch's CPU RNG is a
// Mersenne Twister with its own sampling order; bit parity is impossible), so load weights to reproduce a torch run.
import { noGrad } from '../autograd/grad-mode.js';
import { RadixError, check, fmtShape } from '../errors.js';
import { full, randn, uniform as uniformTensor } from '../ops/creation.js';
import type { Generator } from '../random.js';
import type { Tensor } from '../tensor.js';

/** Nonlinearities known to {@link calculateGain} (torch's strings). */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d'
  | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Which fan the Kaiming initialisers preserve: forward activations (`fan_in`) or backward gradients (`fan_out`). */
export type FanMode = 'fan_in' | 'fan_out';

/** Options shared by the random initialisers. */
export interface InitOptions {
  /** Stream to draw from (default: the global generator, see `manualSeed`). */
  generator?: Generator;
}

/** Options of the Kaiming (He) initialisers. */
export interface KaimingOptions extends InitOptions {
  /** Negative slope of the rectifier after this layer (only used with `leaky_relu`). Default 0. */
  a?: number;
  /** Default `fan_in`. */
  mode?: FanMode;
  /** Default `leaky_relu` (with `a = 0` the same gain as `relu`, like torch). */
  nonlinearity?: Nonlinearity;
}

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain): 1 for linear/conv/sigmoid, 5/3 for
 * tanh, √2 for relu, √(2 / (1 + slope²)) for leaky_relu (slope defaults to 0.01), 3/4 for selu.
 *
 * @example
 * calculateGain('leaky_relu', 0.2); // 1.3867...
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d':
    case 'conv_transpose1d': case 'conv_transpose2d': case 'conv_transpose3d': case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      check(Number.isFinite(slope), 'calculateGain', `negative slope ${param} is not a valid number`);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new RadixError('calculateGain', `unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * Fan-in and fan-out of a weight shape, like torch's `_calculate_fan_in_and_fan_out`: for [out, in, *kernel]
 * (Linear, Conv2d) fan_in = in·∏kernel and fan_out = out·∏kernel. Needs at least 2 dims.
 *
 * @example
 * calculateFans([16, 3, 3, 3]); // [27, 144]
 */
export function calculateFans(shape: readonly number[]): [number, number] {
  check(shape.length >= 2, 'calculateFans', `fan in and fan out cannot be computed for a tensor with fewer than 2 dims (shape ${fmtShape(shape)})`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1]! * receptive, shape[0]! * receptive];
}

function assign(op: string, t: Tensor, make: () => Tensor): Tensor {
  check(t.dtype === 'float32', op, `expects a float32 tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
  noGrad(() => {
    const v = make();
    t._replaceStorage(v);
    v.dispose();
  });
  return t;
}

/**
 * Fills `t` with samples from U(a, b).
 *
 * @example
 * uniform_(w, -0.1, 0.1);
 */
export function uniform_(t: Tensor, a = 0, b = 1, options: InitOptions = {}): Tensor {
  check(a <= b, 'uniform_', `expects a <= b, got a=${a}, b=${b}`);
  return assign('uniform_', t, () => uniformTensor(t.shape, a, b, { backend: t.backend, generator: options.generator }));
}

/**
 * Fills `t` with samples from N(mean, std²).
 *
 * @example
 * normal_(embedding.weight, 0, 0.02);
 */
export function normal_(t: Tensor, mean = 0, std = 1, options: InitOptions = {}): Tensor {
  check(std >= 0, 'normal_', `std must be non-negative, got ${std}`);
  return assign('normal_', t, () => randn(t.shape, { backend: t.backend, generator: options.generator, mean, std }));
}

/** Fills `t` with `value`. @example constant_(bias, 0.1) */
export function constant_(t: Tensor, value: number): Tensor {
  return assign('constant_', t, () => full(t.shape, value, { backend: t.backend }));
}
/** Fills `t` with ones. @example ones_(norm.weight) */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}
/** Fills `t` with zeros. @example zeros_(linear.bias) */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/**
 * Xavier/Glorot uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)).
 *
 * @example
 * xavierUniform_(w, { gain: calculateGain('tanh') });
 */
export function xavierUniform_(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const [fanIn, fanOut] = calculateFans(t.shape);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  const a = Math.sqrt(3) * std;
  return uniform_(t, -a, a, options);
}

/**
 * Xavier/Glorot normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out)).
 *
 * @example
 * xavierNormal_(w);
 */
export function xavierNormal_(t: Tensor, options: InitOptions & { gain?: number } = {}): Tensor {
  const [fanIn, fanOut] = calculateFans(t.shape);
  return normal_(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)), options);
}

function kaimingStd(op: string, t: Tensor, options: KaimingOptions): number {
  const mode = options.mode ?? 'fan_in';
  check(mode === 'fan_in' || mode === 'fan_out', op, `mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
  const [fanIn, fanOut] = calculateFans(t.shape);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  check(fan > 0, op, `cannot initialise a tensor of shape ${fmtShape(t.shape)} with zero ${mode}`);
  return calculateGain(options.nonlinearity ?? 'leaky_relu', options.a ?? 0) / Math.sqrt(fan);
}

/**
 * Kaiming/He uniform: U(−b, b) with b = gain·√(3 / fan). PyTorch's default Linear/Conv weight init is
 * `kaimingUniform_(w, { a: Math.sqrt(5) })`, i.e. b = 1/√fan_in.
 *
 * @example
 * kaimingUniform_(w, { nonlinearity: 'relu' });
 */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, options);
  return uniform_(t, -bound, bound, options);
}

/**
 * Kaiming/He normal: N(0, std²) with std = gain/√fan.
 *
 * @example
 * kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
 */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd('kaimingNormal_', t, options), options);
}

/**
 * @internal PyTorch's default init of a Linear/Conv layer: weight ~ U(±1/√fan_in) (kaiming_uniform with a=√5)
 * and bias ~ U(±1/√fan_in) (0 when fan_in is 0).
 */
export function defaultLayerInit(weight: Tensor, bias: Tensor | null, generator?: Generator): void {
  kaimingUniform_(weight, { a: Math.sqrt(5), generator });
  if (bias) {
    const [fanIn] = calculateFans(weight.shape);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, -bound, bound, { generator });
  }
}
