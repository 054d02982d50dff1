// StyleGAN2's synthesis network (stylegan2-ada's SynthesisBlock and SynthesisNetwork): a learned 4×4 constant, one
// block per resolution with two modulated layers, and ToRGB outputs summed over FIR-upsampled resolutions ('skip').
import { type Generator, type Tensor, RadixError, nn, tidy } from '@radix/tensor-webgpu';
import type { Activation } from './bias-act.js';
import { Conv2dLayer } from './conv2d-layer.js';
import { type NetworkInitOptions, checkInt, randnParameter } from './init.js';
import { type NoiseMode, SynthesisLayer, ToRGBLayer } from './synthesis-layer.js';
import { setupFilter, upsample2d } from './upfirdn2d.js';

/** The three architectures of the original ('skip' is StyleGAN2's generator default). */
export type Architecture = 'orig' | 'skip' | 'resnet';

/** Per-call options of the synthesis network. */
export interface SynthesisCallOptions {
  /** Noise source of every layer (default 'random'). */
  noiseMode?: NoiseMode;
  /** Fused grouped modulated convolution; default like the original: fused in eval mode, not in training mode. */
  fusedModconv?: boolean;
  /** Accepted for compatibility: computation is always float32 (see the README). */
  forceFp32?: boolean;
  /** Random stream for 'random' noise (default: the global generator). */
  generator?: Generator;
}

/** Block options of the synthesis network (the original's block_kwargs and layer_kwargs, camelCased). */
export interface SynthesisBlockOptions extends NetworkInitOptions {
  architecture?: Architecture;
  resampleFilter?: readonly number[];
  convClamp?: number | null;
  /** Accepted for compatibility; computation stays float32. */
  useFp16?: boolean;
  fp16ChannelsLast?: boolean;
  kernelSize?: number;
  useNoise?: boolean;
  activation?: Activation;
}

function checkArchitecture(op: string, a: string): Architecture {
  if (a !== 'orig' && a !== 'skip' && a !== 'resnet') throw new RadixError(op, `architecture must be 'orig', 'skip' or 'resnet', got '${a}'`);
  return a;
}

/**
 * One synthesis resolution: `const` (first block) or `conv0` (up ×2), `conv1`, `torgb` and, for 'resnet', `skip`.
 *
 * @example
 * const b8 = new SynthesisBlock(32, 32, 64, 8, 3, false);
 * const [x, img] = b8.call(x4, img4, ws.narrow(1, 1, 3)); // ws [N, 3, 64] for conv0, conv1, torgb
 */
export class SynthesisBlock extends nn.Module<[x: Tensor | null, img: Tensor | null, ws: Tensor, options?: SynthesisCallOptions], [Tensor, Tensor | null]> {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly wDim: number;
  readonly resolution: number;
  readonly imgChannels: number;
  readonly isLast: boolean;
  readonly architecture: Architecture;
  readonly useFp16: boolean;
  /** Number of modulated convolutions (1 for the first block, else 2). */
  numConv = 0;
  /** Number of ToRGB layers (0 or 1). */
  numTorgb = 0;
  conv0: SynthesisLayer | null = null;
  conv1: SynthesisLayer;
  torgb: ToRGBLayer | null = null;
  skip: Conv2dLayer | null = null;

  constructor(inChannels: number, outChannels: number, wDim: number, resolution: number, imgChannels: number, isLast: boolean, options: SynthesisBlockOptions = {}) {
    super();
    const op = 'SynthesisBlock';
    this.inChannels = checkInt(op, 'inChannels', inChannels, 0);
    this.outChannels = checkInt(op, 'outChannels', outChannels);
    this.wDim = checkInt(op, 'wDim', wDim);
    this.resolution = checkInt(op, 'resolution', resolution);
    this.imgChannels = checkInt(op, 'imgChannels', imgChannels);
    this.isLast = isLast;
    this.architecture = checkArchitecture(op, options.architecture ?? 'skip');
    this.useFp16 = options.useFp16 ?? false;
    const init = { backend: options.backend, generator: options.generator };
    const filter = options.resampleFilter ?? [1, 3, 3, 1];
    const layer = { kernelSize: options.kernelSize, useNoise: options.useNoise, activation: options.activation, resampleFilter: filter, convClamp: options.convClamp, ...init };
    this.registerBuffer('resample_filter', setupFilter(filter, { backend: options.backend }));
    if (inChannels === 0) this.registerParameter('const', randnParameter([outChannels, resolution, resolution], 1, init));
    if (inChannels !== 0) {
      this.conv0 = new SynthesisLayer(inChannels, outChannels, wDim, resolution, { ...layer, up: 2 });
      this.numConv++;
    }
    this.conv1 = new SynthesisLayer(outChannels, outChannels, wDim, resolution, layer);
    this.numConv++;
    if (isLast || this.architecture === 'skip') {
      this.torgb = new ToRGBLayer(outChannels, imgChannels, wDim, { convClamp: options.convClamp, ...init });
      this.numTorgb++;
    }
    if (inChannels !== 0 && this.architecture === 'resnet') {
      this.skip = new Conv2dLayer(inChannels, outChannels, 1, { bias: false, up: 2, resampleFilter: filter, ...init });
    }
  }

  forward(x: Tensor | null, img: Tensor | null, ws: Tensor, options: SynthesisCallOptions = {}): [Tensor, Tensor | null] {
    const op = 'SynthesisBlock';
    const nw = this.numConv + this.numTorgb;
    if (ws.ndim !== 3 || ws.shape[1] !== nw || ws.shape[2] !== this.wDim) throw new RadixError(op, `b${this.resolution}: ws must have shape [N, ${nw}, ${this.wDim}], got [${ws.shape.join(', ')}]`);
    const n = ws.shape[0]!;
    const fused = options.fusedModconv ?? !this.training;
    const call = { noiseMode: options.noiseMode, fusedModconv: fused, generator: options.generator };
    return tidy(() => {
      let wi = 0;
      const nextW = () => ws.narrow(1, wi++, 1).squeeze(1);
      let h: Tensor;
      if (this.inChannels === 0) {
        const c = this.getParameter('const')!;
        h = c.unsqueeze(0).expand([n, this.outChannels, this.resolution, this.resolution]);
      } else {
        const r = this.resolution / 2;
        if (!x || x.ndim !== 4 || x.shape[0] !== n || x.shape[1] !== this.inChannels || x.shape[2] !== r || x.shape[3] !== r) {
          throw new RadixError(op, `b${this.resolution}: expected x [${n}, ${this.inChannels}, ${r}, ${r}], got ${x ? `[${x.shape.join(', ')}]` : 'null'}`);
        }
        h = x;
      }
      if (this.inChannels === 0) h = this.conv1.call(h, nextW(), call);
      else if (this.architecture === 'resnet') {
        const y = this.skip!.call(h, Math.SQRT1_2);
        h = this.conv0!.call(h, nextW(), call);
        h = this.conv1.call(h, nextW(), { ...call, gain: Math.SQRT1_2 });
        h = y.add(h);
      } else {
        h = this.conv0!.call(h, nextW(), call);
        h = this.conv1.call(h, nextW(), call);
      }
      let out = img;
      if (out) out = upsample2d(out, this.getBuffer('resample_filter'));
      if (this.torgb) {
        const y = this.torgb.call(h, nextW(), { fusedModconv: fused });
        out = out ? out.add(y) : y;
      }
      return [h, out] as [Tensor, Tensor | null];
    });
  }
}

/** Options of {@link SynthesisNetwork} (the original's synthesis_kwargs, camelCased). */
export interface SynthesisNetworkOptions extends SynthesisBlockOptions {
  /** Overall multiplier for the number of channels (default 32768). */
  channelBase?: number;
  /** Maximum number of channels in any layer (default 512). */
  channelMax?: number;
  /** "Use FP16 for the N highest resolutions": accepted, but computation stays float32 (see the README). */
  numFp16Res?: number;
}

/**
 * The synthesis network: blocks `b4`, `b8`, … `b{imgResolution}`; consumes ws [N, numWs, wDim].
 *
 * @example
 * const syn = new SynthesisNetwork(64, 16, 3, { channelBase: 256, channelMax: 32 });
 * const img = syn.call(ws, { noiseMode: 'const' }); // ws [N, syn.numWs, 64] → [N, 3, 16, 16]
 */
export class SynthesisNetwork extends nn.Module<[ws: Tensor, options?: SynthesisCallOptions]> {
  readonly wDim: number;
  readonly imgResolution: number;
  readonly imgResolutionLog2: number;
  readonly imgChannels: number;
  /** Resolutions of the blocks, lowest first: [4, 8, …, imgResolution]. */
  readonly blockResolutions: number[];
  /** Number of w vectors consumed. */
  readonly numWs: number;

  constructor(wDim: number, imgResolution: number, imgChannels: number, options: SynthesisNetworkOptions = {}) {
    super();
    const op = 'SynthesisNetwork';
    const { channelBase = 32768, channelMax = 512, numFp16Res = 0, ...blockOptions } = options;
    if (!(Number.isInteger(imgResolution) && imgResolution >= 4 && (imgResolution & (imgResolution - 1)) === 0)) {
      throw new RadixError(op, `imgResolution must be a power of two ≥ 4, got ${imgResolution}`);
    }
    this.wDim = checkInt(op, 'wDim', wDim);
    this.imgResolution = imgResolution;
    this.imgResolutionLog2 = Math.log2(imgResolution);
    this.imgChannels = checkInt(op, 'imgChannels', imgChannels);
    checkInt(op, 'channelBase', channelBase);
    checkInt(op, 'channelMax', channelMax);
    checkInt(op, 'numFp16Res', numFp16Res, 0);
    this.blockResolutions = [];
    for (let i = 2; i <= this.imgResolutionLog2; i++) this.blockResolutions.push(2 ** i);
    const channels = (res: number) => Math.min(Math.floor(channelBase / res), channelMax);
    const fp16Resolution = Math.max(2 ** (this.imgResolutionLog2 + 1 - numFp16Res), 8);
    let numWs = 0;
    for (const res of this.blockResolutions) {
      const inChannels = res > 4 ? channels(res / 2) : 0;
      const block = new SynthesisBlock(inChannels, channels(res), wDim, res, imgChannels, res === imgResolution, { ...blockOptions, useFp16: res >= fp16Resolution });
      numWs += block.numConv;
      if (res === imgResolution) numWs += block.numTorgb;
      this.registerModule(`b${res}`, block);
    }
    this.numWs = numWs;
  }

  /**
   * The block at a resolution.
   *
   * @example
   * syn.block(4).conv1.noiseStrength;
   */
  block(res: number): SynthesisBlock {
    return this.getSubmodule(`b${res}`) as SynthesisBlock;
  }

  forward(ws: Tensor, options: SynthesisCallOptions = {}): Tensor {
    if (ws.ndim !== 3 || ws.shape[1] !== this.numWs || ws.shape[2] !== this.wDim) {
      throw new RadixError('SynthesisNetwork', `ws must have shape [N, ${this.numWs}, ${this.wDim}], got [${ws.shape.join(', ')}]`);
    }
    return tidy(() => {
      let x: Tensor | null = null;
      let img: Tensor | null = null;
      let wIdx = 0;
      for (const res of this.blockResolutions) {
        const block = this.block(res);
        const cur = ws.narrow(1, wIdx, block.numConv + block.numTorgb);
        wIdx += block.numConv;
        [x, img] = block.call(x, img, cur, options);
      }
      return img!;
    });
  }
}
