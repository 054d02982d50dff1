// StyleGAN2Generator: stylegan2-ada-pytorch's Generator (mapping + synthesis) with its constructor arguments
// camelCased and its exact state-dict keys, so its checkpoints load and reproduce its images.
import { type Tensor, RadixError, nn, tidy } from '@radix/tensor-webgpu';
import { type NetworkInitOptions, checkInt } from './init.js';
import { type MappingCallOptions, MappingNetwork, type MappingNetworkOptions } from './mapping.js';
import { type SynthesisCallOptions, SynthesisNetwork, type SynthesisNetworkOptions } from './synthesis.js';

/** Constructor arguments of {@link StyleGAN2Generator}: the original's `Generator(...)` kwargs, camelCased. */
export interface StyleGAN2GeneratorConfig {
  /** Input latent (z) size. */
  zDim: number;
  /** Conditioning label (c) size, 0 = unconditional. */
  cDim: number;
  /** Intermediate latent (w) size. */
  wDim: number;
  /** Output resolution (a power of two ≥ 4). */
  imgResolution: number;
  /** Output channels. */
  imgChannels: number;
  /** Mapping network options (numLayers, embedFeatures, layerFeatures, activation, lrMultiplier, wAvgBeta). */
  mappingKwargs?: Omit<MappingNetworkOptions, 'backend' | 'generator'>;
  /** Synthesis options (channelBase, channelMax, numFp16Res, convClamp, architecture, resampleFilter, …). */
  synthesisKwargs?: Omit<SynthesisNetworkOptions, 'backend' | 'generator'>;
}

/** Options of {@link StyleGAN2Generator.call}: mapping and synthesis options together. */
export type GeneratorCallOptions = MappingCallOptions & SynthesisCallOptions;

/**
 * The StyleGAN2 generator of stylegan2-ada-pytorch. State-dict keys are the original's (`synthesis.b4.const`,
 * `synthesis.b8.conv0.noise_const`, `mapping.w_avg`, …), so `loadStateDict` takes its `G.state_dict()` as is.
 * Computation is float32 throughout; `numFp16Res` is accepted and only recorded (see the README).
 *
 * @example
 * const G = new StyleGAN2Generator({ zDim: 64, cDim: 0, wDim: 64, imgResolution: 16, imgChannels: 3,
 *   mappingKwargs: { numLayers: 2 }, synthesisKwargs: { channelBase: 512, channelMax: 64 } });
 * G.eval();
 * const img = G.call(randn([4, 64]), null, { truncationPsi: 0.7, noiseMode: 'const' }); // [4, 3, 16, 16]
 */
export class StyleGAN2Generator extends nn.Module<[z: Tensor, c: Tensor | null, options?: GeneratorCallOptions]> {
  readonly zDim: number;
  readonly cDim: number;
  readonly wDim: number;
  readonly imgResolution: number;
  readonly imgChannels: number;
  /** Number of w vectors the synthesis network consumes. */
  readonly numWs: number;
  /** The constructor arguments, as given (what checkpoints store as init kwargs). */
  readonly config: StyleGAN2GeneratorConfig;
  /** The synthesis network (state-dict prefix `synthesis.`). */
  readonly synthesisNetwork: SynthesisNetwork;
  /** The mapping network (state-dict prefix `mapping.`). */
  readonly mappingNetwork: MappingNetwork;

  constructor(config: StyleGAN2GeneratorConfig, options: NetworkInitOptions = {}) {
    super();
    const op = 'StyleGAN2Generator';
    if (!config || typeof config !== 'object') throw new RadixError(op, 'expected a config object { zDim, cDim, wDim, imgResolution, imgChannels, … }');
    this.zDim = checkInt(op, 'zDim', config.zDim, 0);
    this.cDim = checkInt(op, 'cDim', config.cDim, 0);
    this.wDim = checkInt(op, 'wDim', config.wDim);
    this.imgResolution = checkInt(op, 'imgResolution', config.imgResolution, 4);
    this.imgChannels = checkInt(op, 'imgChannels', config.imgChannels);
    this.config = structuredClone(config);
    const init = { backend: options.backend, generator: options.generator };
    this.synthesisNetwork = this.registerModule('synthesis', new SynthesisNetwork(config.wDim, config.imgResolution, config.imgChannels, { ...config.synthesisKwargs, ...init }));
    this.numWs = this.synthesisNetwork.numWs;
    this.mappingNetwork = this.registerModule('mapping', new MappingNetwork(config.zDim, config.cDim, config.wDim, this.numWs, { ...config.mappingKwargs, ...init }));
  }

  /**
   * z [N, zDim] and c [N, cDim] (null when cDim is 0) → ws [N, numWs, wDim], like the original's `G.mapping(z, c, …)`.
   *
   * @example
   * const ws = G.mapping(z, null, { truncationPsi: 0.7, truncationCutoff: 8 });
   */
  mapping(z: Tensor, c: Tensor | null, options: MappingCallOptions = {}): Tensor {
    return this.mappingNetwork.call(z, c, options);
  }

  /**
   * ws [N, numWs, wDim] → images [N, imgChannels, imgResolution, imgResolution], like `G.synthesis(ws, …)`.
   *
   * @example
   * const img = G.synthesis(ws, { noiseMode: 'none' });
   */
  synthesis(ws: Tensor, options: SynthesisCallOptions = {}): Tensor {
    return this.synthesisNetwork.call(ws, options);
  }

  forward(z: Tensor, c: Tensor | null, options: GeneratorCallOptions = {}): Tensor {
    return tidy(() => this.synthesis(this.mapping(z, c, options), options));
  }
}
