// The pieces of StyleGAN2's discriminator (stylegan2-ada's DiscriminatorBlock, MinibatchStdLayer and
// DiscriminatorEpilogue): FromRGB, two convolutions with FIR down-sampling, the √½ resnet skip, minibatch standard
// deviation, and the 4×4 epilogue with projection conditioning.
import { type Tensor, RadixError, cat, nn, tidy } from '@radix/tensor-webgpu';
import type { Activation } from './bias-act.js';
import { Conv2dLayer } from './conv2d-layer.js';
import { FullyConnectedLayer } from './fully-connected.js';
import { type NetworkInitOptions, checkInt } from './init.js';
import type { Architecture } from './synthesis.js';
import { downsample2d, setupFilter } from './upfirdn2d.js';

function checkArchitecture(op: string, a: string): Architecture {
  if (a !== 'orig' && a !== 'skip' && a !== 'resnet') throw new RadixError(op, `architecture must be 'orig', 'skip' or 'resnet', got '${a}'`);
  return a;
}

/** Options of {@link DiscriminatorBlock} (the original's block_kwargs, camelCased). */
export interface DiscriminatorBlockOptions extends NetworkInitOptions {
  architecture?: Architecture;
  activation?: Activation;
  resampleFilter?: readonly number[];
  convClamp?: number | null;
  /** Accepted for compatibility; computation stays float32. */
  useFp16?: boolean;
  fp16ChannelsLast?: boolean;
  /** Freeze-D of the original: layers with index < freezeLayers hold their weights as buffers. */
  freezeLayers?: number;
}

/**
 * One discriminator resolution: `fromrgb` (first block, or every block for 'skip'), `conv0`, `conv1` (down ×2)
 * and, for 'resnet', the 1×1 `skip` (down ×2, no bias), summed with gain √½.
 *
 * @example
 * const b16 = new DiscriminatorBlock(0, 16, 32, 16, 3, 0);
 * const [x, img] = b16.call(null, images); // images [N, 3, 16, 16] → x [N, 32, 8, 8]
 */
export class DiscriminatorBlock extends nn.Module<[x: Tensor | null, img: Tensor | null], [Tensor, Tensor | null]> {
  readonly inChannels: number;
  readonly resolution: number;
  readonly imgChannels: number;
  readonly firstLayerIdx: number;
  readonly architecture: Architecture;
  readonly useFp16: boolean;
  /** Number of layers with weights (the original's num_layers, used by freezeLayers). */
  numLayers = 0;
  fromrgb: Conv2dLayer | null = null;
  conv0: Conv2dLayer;
  conv1: Conv2dLayer;
  skip: Conv2dLayer | null = null;

  constructor(inChannels: number, tmpChannels: number, outChannels: number, resolution: number, imgChannels: number, firstLayerIdx: number, options: DiscriminatorBlockOptions = {}) {
    super();
    const op = 'DiscriminatorBlock';
    if (inChannels !== 0 && inChannels !== tmpChannels) throw new RadixError(op, `inChannels must be 0 or tmpChannels (${tmpChannels}), got ${inChannels}`);
    this.inChannels = inChannels;
    this.resolution = checkInt(op, 'resolution', resolution);
    this.imgChannels = checkInt(op, 'imgChannels', imgChannels);
    this.firstLayerIdx = checkInt(op, 'firstLayerIdx', firstLayerIdx, 0);
    this.architecture = checkArchitecture(op, options.architecture ?? 'resnet');
    this.useFp16 = options.useFp16 ?? false;
    const freeze = options.freezeLayers ?? 0;
    const init = { backend: options.backend, generator: options.generator };
    const filter = options.resampleFilter ?? [1, 3, 3, 1];
    const act = options.activation ?? 'lrelu';
    const clamp = options.convClamp ?? null;
    const trainable = () => this.firstLayerIdx + this.numLayers++ >= freeze;
    this.registerBuffer('resample_filter', setupFilter(filter, { backend: options.backend }));
    if (inChannels === 0 || this.architecture === 'skip') {
      this.fromrgb = new Conv2dLayer(imgChannels, tmpChannels, 1, { activation: act, trainable: trainable(), convClamp: clamp, ...init });
    }
    this.conv0 = new Conv2dLayer(tmpChannels, tmpChannels, 3, { activation: act, trainable: trainable(), convClamp: clamp, ...init });
    this.conv1 = new Conv2dLayer(tmpChannels, outChannels, 3, { activation: act, down: 2, trainable: trainable(), resampleFilter: filter, convClamp: clamp, ...init });
    if (this.architecture === 'resnet') {
      this.skip = new Conv2dLayer(tmpChannels, outChannels, 1, { bias: false, down: 2, trainable: trainable(), resampleFilter: filter, ...init });
    }
  }

  forward(x: Tensor | null, img: Tensor | null): [Tensor, Tensor | null] {
    const op = 'DiscriminatorBlock';
    const r = this.resolution;
    return tidy(() => {
      let h = x;
      if (h && (h.ndim !== 4 || h.shape[1] !== this.inChannels || h.shape[2] !== r || h.shape[3] !== r)) {
        throw new RadixError(op, `b${r}: expected x [N, ${this.inChannels}, ${r}, ${r}], got [${h.shape.join(', ')}]`);
      }
      let outImg: Tensor | null = null;
      if (this.fromrgb) {
        if (!img || img.ndim !== 4 || img.shape[1] !== this.imgChannels || img.shape[2] !== r || img.shape[3] !== r) {
          throw new RadixError(op, `b${r}: expected img [N, ${this.imgChannels}, ${r}, ${r}], got ${img ? `[${img.shape.join(', ')}]` : 'null'}`);
        }
        const y = this.fromrgb.call(img);
        h = h ? h.add(y) : y;
        if (this.architecture === 'skip') outImg = downsample2d(img, this.getBuffer('resample_filter'));
      }
      if (!h) throw new RadixError(op, `b${r}: needs x (inChannels ${this.inChannels})`);
      if (this.architecture === 'resnet') {
        const y = this.skip!.call(h, Math.SQRT1_2);
        let z = this.conv0.call(h);
        z = this.conv1.call(z, Math.SQRT1_2);
        h = y.add(z);
      } else {
        h = this.conv1.call(this.conv0.call(h));
      }
      return [h, outImg] as [Tensor, Tensor | null];
    });
  }
}

/**
 * Minibatch standard deviation (no parameters): the batch is split into groups of `groupSize` by striding
 * (sample i joins group i mod N/G, as the original's reshape), and each sample gets `numChannels` extra
 * channels holding its group's mean standard deviation.
 *
 * @example
 * const mbstd = new MinibatchStdLayer(4);
 * const y = mbstd.call(x); // x [8, 32, 4, 4] → [8, 33, 4, 4]
 */
export class MinibatchStdLayer extends nn.Module {
  readonly groupSize: number | null;
  readonly numChannels: number;

  constructor(groupSize: number | null, numChannels = 1) {
    super();
    this.groupSize = groupSize === null ? null : checkInt('MinibatchStdLayer', 'groupSize', groupSize);
    this.numChannels = checkInt('MinibatchStdLayer', 'numChannels', numChannels);
  }

  forward(x: Tensor): Tensor {
    const op = 'MinibatchStdLayer';
    if (x.ndim !== 4) throw new RadixError(op, `expected [N, C, H, W], got [${x.shape.join(', ')}]`);
    const [n, c, h, w] = x.shape as [number, number, number, number];
    const g = this.groupSize !== null ? Math.min(this.groupSize, n) : n;
    const f = this.numChannels;
    if (n % g !== 0) throw new RadixError(op, `batch size ${n} is not divisible by the group size ${g}`);
    if (c % f !== 0) throw new RadixError(op, `channels ${c} are not divisible by numChannels ${f}`);
    const groups = n / g;
    return tidy(() => {
      let y = x.reshape([g, groups, f, c / f, h, w]);
      y = y.sub(y.mean(0));
      y = y.square().mean(0);
      y = y.add(1e-8).sqrt();
      y = y.mean([2, 3, 4]); // [groups, F]
      y = y.reshape([1, groups, f, 1, 1]).expand([g, groups, f, h, w]).reshape([n, f, h, w]);
      return cat([x, y], 1);
    });
  }

  override extraRepr(): string {
    return `group_size=${this.groupSize}, num_channels=${this.numChannels}`;
  }
}

/** Options of {@link DiscriminatorEpilogue} (the original's epilogue_kwargs, camelCased). */
export interface DiscriminatorEpilogueOptions extends NetworkInitOptions {
  architecture?: Architecture;
  /** Minibatch-std group size (default 4; null: the whole batch). */
  mbstdGroupSize?: number | null;
  /** Minibatch-std channels (default 1; 0 disables the layer). */
  mbstdNumChannels?: number;
  activation?: Activation;
  convClamp?: number | null;
}

/**
 * The 4×4 end of the discriminator: (fromrgb for 'skip'), minibatch std, `conv`, `fc`, `out`; with cmapDim > 0
 * the output is projected onto the mapped label: sum(out · cmap) / √cmapDim.
 *
 * @example
 * const b4 = new DiscriminatorEpilogue(32, 0, 4, 3);
 * const logits = b4.call(x, null, null); // x [N, 32, 4, 4] → [N, 1]
 */
export class DiscriminatorEpilogue extends nn.Module<[x: Tensor, img: Tensor | null, cmap: Tensor | null]> {
  readonly inChannels: number;
  readonly cmapDim: number;
  readonly resolution: number;
  readonly imgChannels: number;
  readonly architecture: Architecture;
  fromrgb: Conv2dLayer | null = null;
  mbstd: MinibatchStdLayer | null = null;
  conv: Conv2dLayer;
  fc: FullyConnectedLayer;
  out: FullyConnectedLayer;

  constructor(inChannels: number, cmapDim: number, resolution: number, imgChannels: number, options: DiscriminatorEpilogueOptions = {}) {
    super();
    const op = 'DiscriminatorEpilogue';
    this.inChannels = checkInt(op, 'inChannels', inChannels);
    this.cmapDim = checkInt(op, 'cmapDim', cmapDim, 0);
    this.resolution = checkInt(op, 'resolution', resolution);
    this.imgChannels = checkInt(op, 'imgChannels', imgChannels);
    this.architecture = checkArchitecture(op, options.architecture ?? 'resnet');
    const init = { backend: options.backend, generator: options.generator };
    const act = options.activation ?? 'lrelu';
    const mbstdChannels = checkInt(op, 'mbstdNumChannels', options.mbstdNumChannels ?? 1, 0);
    if (this.architecture === 'skip') this.fromrgb = new Conv2dLayer(imgChannels, inChannels, 1, { activation: act, ...init });
    if (mbstdChannels > 0) this.mbstd = new MinibatchStdLayer(options.mbstdGroupSize === undefined ? 4 : options.mbstdGroupSize, mbstdChannels);
    this.conv = new Conv2dLayer(inChannels + mbstdChannels, inChannels, 3, { activation: act, convClamp: options.convClamp ?? null, ...init });
    this.fc = new FullyConnectedLayer(inChannels * resolution * resolution, inChannels, { activation: act, ...init });
    this.out = new FullyConnectedLayer(inChannels, cmapDim === 0 ? 1 : cmapDim, init);
  }

  forward(x: Tensor, img: Tensor | null, cmap: Tensor | null): Tensor {
    const { logits, features } = this.forwardWithFeatures(x, img, cmap);
    features.dispose();
    return logits;
  }

  /**
   * The logits and the features the output layer reads (the `fc` activations [N, inChannels]), e.g. for D2D-CE.
   *
   * @example
   * const { logits, features } = b4.forwardWithFeatures(x, null, null); // [N, 1], [N, 32]
   */
  forwardWithFeatures(x: Tensor, img: Tensor | null, cmap: Tensor | null): { logits: Tensor; features: Tensor } {
    const op = 'DiscriminatorEpilogue';
    const r = this.resolution;
    if (x.ndim !== 4 || x.shape[1] !== this.inChannels || x.shape[2] !== r || x.shape[3] !== r) throw new RadixError(op, `expected x [N, ${this.inChannels}, ${r}, ${r}], got [${x.shape.join(', ')}]`);
    return tidy(() => {
      let h = x;
      if (this.fromrgb) {
        if (!img) throw new RadixError(op, "the 'skip' architecture needs the downsampled image");
        h = h.add(this.fromrgb.call(img));
      }
      if (this.mbstd) h = this.mbstd.call(h);
      h = this.conv.call(h);
      const features = this.fc.call(h.flatten(1));
      h = this.out.call(features);
      if (this.cmapDim > 0) {
        if (!cmap || cmap.ndim !== 2 || cmap.shape[1] !== this.cmapDim || cmap.shape[0] !== x.shape[0]) {
          throw new RadixError(op, `cmap must have shape [${x.shape[0]}, ${this.cmapDim}], got ${cmap ? `[${cmap.shape.join(', ')}]` : 'null'}`);
        }
        h = h.mul(cmap).sum(1, true).mul(1 / Math.sqrt(this.cmapDim));
      }
      return { logits: h, features };
    });
  }
}
