// StyleGAN2Discriminator: stylegan2-ada-pytorch's Discriminator ('resnet' by default, also 'orig' and 'skip') with
// its constructor arguments camelCased and its exact state-dict keys; conditioning by projection on the mapped label.
import { type Tensor, RadixError, nn, tidy } from '@radix/tensor-webgpu';
import { DiscriminatorBlock, type DiscriminatorBlockOptions, DiscriminatorEpilogue, type DiscriminatorEpilogueOptions } from './discriminator-block.js';
import { type NetworkInitOptions, checkInt } from './init.js';
import { MappingNetwork, type MappingNetworkOptions } from './mapping.js';
import type { Architecture } from './synthesis.js';

/** Constructor arguments of {@link StyleGAN2Discriminator}: the original's `Discriminator(...)` kwargs, camelCased. */
export interface StyleGAN2DiscriminatorConfig {
  /** Conditioning label size, 0 = unconditional. */
  cDim: number;
  /** Input resolution (a power of two ≥ 8). */
  imgResolution: number;
  /** Input channels. */
  imgChannels: number;
  /** 'resnet' (default), 'orig' or 'skip'. */
  architecture?: Architecture;
  /** Overall multiplier for the number of channels (default 32768). */
  channelBase?: number;
  /** Maximum number of channels in any layer (default 512). */
  channelMax?: number;
  /** Accepted for compatibility; computation stays float32 (see the README). */
  numFp16Res?: number;
  /** Clamp conv outputs to ±convClamp (default null). */
  convClamp?: number | null;
  /** Size of the mapped label (default: the 4×4 channel count). */
  cmapDim?: number | null;
  /** Options of every block (activation, resampleFilter, freezeLayers, fp16ChannelsLast). */
  blockKwargs?: Omit<DiscriminatorBlockOptions, 'backend' | 'generator' | 'architecture' | 'convClamp' | 'useFp16'>;
  /** Options of the label mapping network (numLayers default 8, …). */
  mappingKwargs?: Omit<MappingNetworkOptions, 'backend' | 'generator' | 'wAvgBeta'>;
  /** Options of the epilogue (mbstdGroupSize default 4, mbstdNumChannels default 1, activation). */
  epilogueKwargs?: Omit<DiscriminatorEpilogueOptions, 'backend' | 'generator' | 'architecture' | 'convClamp'>;
}

/**
 * The StyleGAN2 discriminator of stylegan2-ada-pytorch: blocks `b{res}` … `b8`, the label `mapping` (cDim > 0)
 * and the epilogue `b4`. `call(img, c)` returns logits [N, 1].
 *
 * @example
 * const D = new StyleGAN2Discriminator({ cDim: 3, imgResolution: 16, imgChannels: 3, channelBase: 512, channelMax: 64 });
 * const logits = D.call(images, labels); // images [N, 3, 16, 16], labels [N, 3] (one-hot) → [N, 1]
 */
export class StyleGAN2Discriminator extends nn.Module<[img: Tensor, c: Tensor | null]> {
  readonly cDim: number;
  readonly imgResolution: number;
  readonly imgResolutionLog2: number;
  readonly imgChannels: number;
  readonly architecture: Architecture;
  readonly cmapDim: number;
  /** Resolutions of the blocks from the input side: [imgResolution, …, 8] (the epilogue `b4` follows). */
  readonly blockResolutions: number[];
  /** The constructor arguments, as given. */
  readonly config: StyleGAN2DiscriminatorConfig;

  constructor(config: StyleGAN2DiscriminatorConfig, options: NetworkInitOptions = {}) {
    super();
    const op = 'StyleGAN2Discriminator';
    if (!config || typeof config !== 'object') throw new RadixError(op, 'expected a config object { cDim, imgResolution, imgChannels, … }');
    const { cDim, imgResolution, imgChannels, architecture = 'resnet', channelBase = 32768, channelMax = 512, numFp16Res = 0, convClamp = null } = config;
    this.cDim = checkInt(op, 'cDim', cDim, 0);
    if (!(Number.isInteger(imgResolution) && imgResolution >= 8 && (imgResolution & (imgResolution - 1)) === 0)) {
      throw new RadixError(op, `imgResolution must be a power of two ≥ 8, got ${imgResolution}`);
    }
    this.imgResolution = imgResolution;
    this.imgResolutionLog2 = Math.log2(imgResolution);
    this.imgChannels = checkInt(op, 'imgChannels', imgChannels);
    this.architecture = architecture;
    checkInt(op, 'channelBase', channelBase);
    checkInt(op, 'channelMax', channelMax);
    checkInt(op, 'numFp16Res', numFp16Res, 0);
    this.config = structuredClone(config);
    this.blockResolutions = [];
    for (let i = this.imgResolutionLog2; i > 2; i--) this.blockResolutions.push(2 ** i);
    const channels = (res: number) => Math.min(Math.floor(channelBase / res), channelMax);
    const fp16Resolution = Math.max(2 ** (this.imgResolutionLog2 + 1 - numFp16Res), 8);
    let cmapDim = config.cmapDim ?? channels(4);
    if (cDim === 0) cmapDim = 0;
    this.cmapDim = cmapDim;
    const init = { backend: options.backend, generator: options.generator };
    const common = { architecture, convClamp, ...init };
    let layerIdx = 0;
    for (const res of this.blockResolutions) {
      const inChannels = res < imgResolution ? channels(res) : 0;
      const block = new DiscriminatorBlock(inChannels, channels(res), channels(res / 2), res, imgChannels, layerIdx, {
        ...config.blockKwargs, ...common, useFp16: res >= fp16Resolution,
      });
      this.registerModule(`b${res}`, block);
      layerIdx += block.numLayers;
    }
    if (cDim > 0) this.registerModule('mapping', new MappingNetwork(0, cDim, cmapDim, null, { ...config.mappingKwargs, ...init, wAvgBeta: null }));
    this.registerModule('b4', new DiscriminatorEpilogue(channels(4), cmapDim, 4, imgChannels, { ...config.epilogueKwargs, ...common }));
  }

  /**
   * The block at a resolution (`block(4)` is the epilogue).
   *
   * @example
   * D.block(D.imgResolution).fromrgb; // the first layer on the input side
   */
  block(res: number): DiscriminatorBlock | DiscriminatorEpilogue {
    return this.getSubmodule(`b${res}`) as DiscriminatorBlock | DiscriminatorEpilogue;
  }

  /** The label mapping network, or null when unconditional. */
  get mapping(): MappingNetwork | null {
    return this.cDim > 0 ? (this.getSubmodule('mapping') as MappingNetwork) : null;
  }

  forward(img: Tensor, c: Tensor | null): Tensor {
    const { logits, features } = this.forwardWithFeatures(img, c);
    features.dispose();
    return logits;
  }

  /**
   * Logits [N, 1] and the epilogue features [N, C4] that the output layer reads (what D2D-CE embeds); the
   * logits equal `call(img, c)`.
   *
   * @example
   * const { logits, features } = D.forwardWithFeatures(images, labels);
   */
  forwardWithFeatures(img: Tensor, c: Tensor | null): { logits: Tensor; features: Tensor } {
    const op = 'StyleGAN2Discriminator';
    const r = this.imgResolution;
    if (img.ndim !== 4 || img.shape[1] !== this.imgChannels || img.shape[2] !== r || img.shape[3] !== r) {
      throw new RadixError(op, `expected images [N, ${this.imgChannels}, ${r}, ${r}], got [${img.shape.join(', ')}]`);
    }
    return tidy(() => {
      let x: Tensor | null = null;
      let im: Tensor | null = img;
      for (const res of this.blockResolutions) [x, im] = (this.block(res) as DiscriminatorBlock).call(x, im);
      const cmap = this.cDim > 0 ? this.mapping!.call(null, c) : null;
      return (this.block(4) as DiscriminatorEpilogue).forwardWithFeatures(x!, im, cmap);
    });
  }
}
