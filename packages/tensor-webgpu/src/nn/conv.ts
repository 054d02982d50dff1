// nn.Conv2d and nn.ConvTranspose2d: weights, PyTorch's default init, padding modes and output_size handling
// around the functional conv2d / convTranspose2d ops.
import { RadixError, check, fmtShape } from '../errors.js';
import { conv2d, convTranspose2d, type Pair } from '../ops/conv.js';
import { type Activation, resolveActivation } from '../ops/fused-activation.js';
import { pad } from '../ops/indexing.js';
import { tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';
import { defaultLayerInit } from './init.js';
import { Module } from './module.js';
import { type LayerOptions, type Parameter, newParameter } from './parameter.js';

/** How Conv2d pads: zeros (inside the conv kernel) or by F.pad with `reflect`/`replicate`/`circular` first. */
export type ConvPaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/** Options of {@link Conv2d} (PyTorch defaults). */
export interface Conv2dModuleOptions extends LayerOptions {
  stride?: Pair;
  /** Per-side padding, or `'same'` (stride 1 only) / `'valid'`. */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Default `'zeros'`. */
  paddingMode?: ConvPaddingMode;
  /**
   * Activation fused into the conv's epilogue after the bias (default none): `gain · f(conv + b)` in one kernel.
   * E.g. `'silu'`, or StyleGAN2's `{ kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }`.
   */
  activation?: Activation;
}

/** Options of {@link ConvTranspose2d} (PyTorch defaults). */
export interface ConvTranspose2dModuleOptions extends LayerOptions {
  stride?: Pair;
  padding?: Pair;
  outputPadding?: Pair;
  groups?: number;
  bias?: boolean;
  dilation?: Pair;
}

function pair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  check(p.every((x) => Number.isInteger(x) && x >= min), op, `${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

function checkChannels(op: string, inC: number, outC: number, groups: number): void {
  check(Number.isInteger(groups) && groups > 0, op, `groups must be a positive integer, got ${groups}`);
  check(Number.isInteger(inC) && inC > 0 && Number.isInteger(outC) && outC > 0, op, `channel counts must be positive integers, got ${inC}, ${outC}`);
  check(inC % groups === 0, op, `in_channels ${inC} must be divisible by groups ${groups}`);
  check(outC % groups === 0, op, `out_channels ${outC} must be divisible by groups ${groups}`);
}

/**
 * 2-D convolution layer over (N, C, H, W) or (C, H, W) input with weight [outChannels, inChannels/groups, kh, kw]
 * and PyTorch's default init. Non-zero padding modes pad with F.pad first (`'same'` splits odd totals with the
 * extra unit after, like torch).
 *
 * @example
 * const conv = new Conv2d(3, 16, 3, { stride: 2, padding: 1 });
 * const y = conv.call(randn([1, 3, 32, 32])); // [1, 16, 16, 16]
 * const block = new Conv2d(16, 16, 3, { padding: 1, activation: 'silu' }); // silu(conv + b) in one kernel
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number] | 'same' | 'valid';
  readonly dilation: [number, number];
  readonly groups: number;
  readonly paddingMode: ConvPaddingMode;
  readonly activation: Activation | null;
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: Conv2dModuleOptions = {}) {
    super();
    const op = 'Conv2d';
    resolveActivation(op, options.activation);
    this.activation = options.activation ?? null;
    const groups = options.groups ?? 1;
    checkChannels(op, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = pair(op, 'kernelSize', kernelSize, 1);
    this.stride = pair(op, 'stride', options.stride ?? 1, 1);
    this.dilation = pair(op, 'dilation', options.dilation ?? 1, 1);
    const p = options.padding ?? 0;
    this.padding = p === 'same' || p === 'valid' ? p : pair(op, 'padding', p, 0);
    if (p === 'same') check(this.stride[0] === 1 && this.stride[1] === 1, op, `padding='same' is not supported for strided convolutions (stride ${fmtShape(this.stride)})`);
    this.paddingMode = options.paddingMode ?? 'zeros';
    check(['zeros', 'reflect', 'replicate', 'circular'].includes(this.paddingMode), op, `paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got '${this.paddingMode}'`);
    this.weight = newParameter([outChannels, inChannels / groups, ...this.kernelSize], 0, options.backend);
    if (options.bias ?? true) this.bias = newParameter([outChannels], 0, options.backend);
    defaultLayerInit(this.weight, this.bias, options.generator);
  }

  /** F.pad amounts [left, right, top, bottom] used by the non-zero padding modes (torch's reversed padding). */
  #padAmounts(): number[] {
    if (this.padding === 'valid') return [0, 0, 0, 0];
    if (this.padding === 'same') {
      const out: number[] = [];
      for (const i of [1, 0]) {
        const total = this.dilation[i]! * (this.kernelSize[i]! - 1);
        const left = Math.floor(total / 2);
        out.push(left, total - left);
      }
      return out;
    }
    const [ph, pw] = this.padding;
    return [pw, pw, ph, ph];
  }

  forward(x: Tensor): Tensor {
    const conv = { stride: this.stride, dilation: this.dilation, groups: this.groups, ...(this.activation ? { activation: this.activation } : {}) };
    if (this.paddingMode === 'zeros') return conv2d(x, this.weight, this.bias, { ...conv, padding: this.padding });
    return tidy(() => {
      const batched = x.ndim === 4 ? x : x.ndim === 3 ? x.unsqueeze(0) : null;
      if (!batched) throw new RadixError('Conv2d', `expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape ${fmtShape(x.shape)}`);
      const padded = pad(batched, this.#padAmounts(), this.paddingMode as Exclude<ConvPaddingMode, 'zeros'>);
      const y = conv2d(padded, this.weight, this.bias, { ...conv, padding: 0 });
      return x.ndim === 3 ? y.squeeze(0) : y;
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')})`];
    if (this.padding === 'same' || this.padding === 'valid') parts.push(`padding=${this.padding}`);
    else if (this.padding.some((v) => v !== 0)) parts.push(`padding=(${this.padding.join(', ')})`);
    if (this.dilation.some((v) => v !== 1)) parts.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    if (this.paddingMode !== 'zeros') parts.push(`padding_mode=${this.paddingMode}`);
    if (this.activation) parts.push(`activation=${typeof this.activation === 'string' ? this.activation : JSON.stringify(this.activation)}`);
    return parts.join(', ');
  }
}

/**
 * Transposed 2-D convolution layer with weight [inChannels, outChannels/groups, kh, kw] and PyTorch's default
 * init. `forward(x, outputSize)` picks the output padding that yields `outputSize` ([h, w], or a longer shape
 * whose last two entries are used), within the range torch allows.
 *
 * @example
 * const up = new ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1 });
 * const y = up.call(x, [64, 64]); // x: [1, 16, 32, 32] → [1, 8, 64, 64]
 */
export class ConvTranspose2d extends Module<[x: Tensor, outputSize?: readonly number[]]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  weight: Parameter;
  bias: Parameter | null = null;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, options: ConvTranspose2dModuleOptions = {}) {
    super();
    const op = 'ConvTranspose2d';
    const groups = options.groups ?? 1;
    checkChannels(op, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = pair(op, 'kernelSize', kernelSize, 1);
    this.stride = pair(op, 'stride', options.stride ?? 1, 1);
    this.padding = pair(op, 'padding', options.padding ?? 0, 0);
    this.outputPadding = pair(op, 'outputPadding', options.outputPadding ?? 0, 0);
    this.dilation = pair(op, 'dilation', options.dilation ?? 1, 1);
    this.weight = newParameter([inChannels, outChannels / groups, ...this.kernelSize], 0, options.backend);
    if (options.bias ?? true) this.bias = newParameter([outChannels], 0, options.backend);
    defaultLayerInit(this.weight, this.bias, options.generator);
  }

  /** torch's `_output_padding`: the output padding that gives `outputSize`, checked against the valid range. */
  #outputPaddingFor(x: Tensor, outputSize: readonly number[]): [number, number] {
    const op = 'ConvTranspose2d';
    check(outputSize.length >= 2, op, `outputSize must end with [height, width], got ${fmtShape(outputSize)}`);
    const size = outputSize.slice(-2);
    const spatial = x.shape.slice(-2);
    return [0, 1].map((d) => {
      const min = (spatial[d]! - 1) * this.stride[d]! - 2 * this.padding[d]! + this.dilation[d]! * (this.kernelSize[d]! - 1) + 1;
      const max = min + this.stride[d]! - 1;
      check(
        size[d]! >= min && size[d]! <= max,
        op,
        `requested output size ${fmtShape(size)} is not reachable from input ${fmtShape(x.shape)}: dim ${d} must be in [${min}, ${max}]`,
      );
      return size[d]! - min;
    }) as [number, number];
  }

  forward(x: Tensor, outputSize?: readonly number[]): Tensor {
    const outputPadding = outputSize ? this.#outputPaddingFor(x, outputSize) : this.outputPadding;
    return convTranspose2d(x, this.weight, this.bias, {
      stride: this.stride, padding: this.padding, outputPadding, groups: this.groups, dilation: this.dilation,
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize.join(', ')}), stride=(${this.stride.join(', ')})`];
    if (this.padding.some((v) => v !== 0)) parts.push(`padding=(${this.padding.join(', ')})`);
    if (this.outputPadding.some((v) => v !== 0)) parts.push(`output_padding=(${this.outputPadding.join(', ')})`);
    if (this.dilation.some((v) => v !== 1)) parts.push(`dilation=(${this.dilation.join(', ')})`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (!this.bias) parts.push('bias=false');
    return parts.join(', ');
  }
}
