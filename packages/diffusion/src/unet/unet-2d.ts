// UNet2DModel: diffusers' UNet2DModel (same config fields camelCased, same state-dict keys), so diffusers
// checkpoints load and the forward reproduces diffusers' numbers; fromPretrained/savePretrained live in pretrained.ts.
import { type Generator, type Tensor, full, nn, silu, tensor, tidy } from '@radix/tensor-webgpu';
import { DownBlock2D, UNetMidBlock2D, UpBlock2D, type BlockOptions } from './blocks.js';
import { type UNet2DConfig, resolveUNet2DConfig } from './config.js';
import { TimestepEmbedding, timestepEmbedding } from './embeddings.js';
import { loadUNet2DPretrained, saveUNet2DPretrained } from './pretrained.js';
import type { DropoutSource, UNetLayerOptions } from './resnet-block.js';

/** Options of {@link UNet2DModel.call}. */
export interface UNetCallOptions {
  /** Class labels [N] (int32) for a class-conditional model (`numClassEmbeds` or `classEmbedType`). */
  classLabels?: Tensor | number[];
}

/**
 * diffusers' `UNet2DModel`: conv_in → time embedding (sinusoidal + MLP, plus the class embedding) → down blocks →
 * mid block → up blocks with skip connections → GroupNorm, SiLU, conv_out. Its state dict has exactly diffusers'
 * keys (`conv_in.weight`, `time_embedding.linear_1.weight`, `down_blocks.0.resnets.0.norm1.weight`,
 * `mid_block.attentions.0.to_q.weight`, …). Build from a (partial) config; `fromConfig` also reads diffusers'
 * snake_case `config.json`; see {@link loadUNet2DPretrained} / {@link saveUNet2DPretrained} for model folders.
 *
 * @example
 * const unet = UNet2DModel.fromConfig({ sampleSize: 32, blockOutChannels: [32, 64], normNumGroups: 8,
 *   downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'] });
 * const eps = unet.call(noisy, tensor([10, 700], { dtype: 'int32' })); // [2, 3, 32, 32]
 */
export class UNet2DModel extends nn.Module<[Tensor, Tensor | number | number[], UNetCallOptions?], Tensor> {
  readonly config: Readonly<UNet2DConfig>;
  /** The stream dropout draws from in training (the trainer sets it per step; undefined: the global generator). */
  readonly dropoutSource: DropoutSource = {};
  conv_in: nn.Conv2d;
  time_embedding: TimestepEmbedding;
  class_embedding: nn.Embedding | TimestepEmbedding | null = null;
  down_blocks: nn.ModuleList<DownBlock2D>;
  /** Declared after up_blocks: diffusers registers mid_block last (its `self.mid_block = None` placeholder is no module). */
  up_blocks: nn.ModuleList<UpBlock2D>;
  mid_block: UNetMidBlock2D | null = null;
  conv_norm_out: nn.GroupNorm;
  conv_out: nn.Conv2d;

  constructor(config: Partial<UNet2DConfig> = {}, options: UNetLayerOptions = {}) {
    super();
    const c = resolveUNet2DConfig(config as Record<string, unknown>);
    this.config = Object.freeze(c);
    const b = { backend: options.backend };
    const ch = c.blockOutChannels;
    const tembDim = c.timeEmbeddingDim ?? ch[0]! * 4;
    this.conv_in = new nn.Conv2d(c.inChannels, ch[0]!, 3, { padding: 1, ...b });
    this.time_embedding = new TimestepEmbedding(ch[0]!, tembDim, b);
    if (c.classEmbedType === null && c.numClassEmbeds !== null) this.class_embedding = new nn.Embedding(c.numClassEmbeds, tembDim, b);
    else if (c.classEmbedType === 'timestep') this.class_embedding = new TimestepEmbedding(ch[0]!, tembDim, b);
    const base = (cin: number, cout: number, numLayers: number, head: number | null): BlockOptions => ({
      numLayers, inChannels: cin, outChannels: cout, tembChannels: tembDim, eps: c.normEps, actFn: c.actFn,
      groups: c.normNumGroups, dropout: c.dropout, timeScaleShift: c.resnetTimeScaleShift, attentionHeadDim: head,
      dropoutSource: this.dropoutSource, backend: options.backend,
    });
    const last = ch.length - 1;
    const downs: DownBlock2D[] = [];
    let out = ch[0]!;
    c.downBlockTypes.forEach((type, i) => {
      const cin = out;
      out = ch[i]!;
      downs.push(new DownBlock2D({
        ...base(cin, out, c.layersPerBlock, c.attentionHeadDim ?? out), withAttention: type === 'AttnDownBlock2D', addDownsample: i !== last,
        downsampleType: c.downsampleType, downsamplePadding: c.downsamplePadding,
      }));
    });
    this.down_blocks = new nn.ModuleList(downs);
    if (c.midBlockType !== null) {
      this.mid_block = new UNetMidBlock2D({
        ...base(ch[last]!, ch[last]!, 1, c.attentionHeadDim ?? ch[last]!), addAttention: c.addAttention,
        attnGroups: c.attnNormNumGroups, outputScaleFactor: c.midBlockScaleFactor,
      });
    }
    const rev = [...ch].reverse();
    const ups: UpBlock2D[] = [];
    out = rev[0]!;
    c.upBlockTypes.forEach((type, i) => {
      const prev = out;
      out = rev[i]!;
      const cin = rev[Math.min(i + 1, last)]!;
      ups.push(new UpBlock2D({
        ...base(cin, out, c.layersPerBlock + 1, c.attentionHeadDim ?? out), prevOutputChannels: prev,
        withAttention: type === 'AttnUpBlock2D', addUpsample: i !== last, upsampleType: c.upsampleType,
      }));
    });
    this.up_blocks = new nn.ModuleList(ups);
    this.conv_norm_out = new nn.GroupNorm(c.normNumGroups, ch[0]!, { eps: c.normEps, ...b });
    this.conv_out = new nn.Conv2d(ch[0]!, c.outChannels, 3, { padding: 1, ...b });
  }

  /**
   * A UNet from a config object: camelCase fields or diffusers' snake_case `config.json` keys, defaults filled in.
   *
   * @example
   * const unet = UNet2DModel.fromConfig(JSON.parse(readFileSync('config.json', 'utf8')), { backend: 'webgpu' });
   */
  static fromConfig(config: Record<string, unknown>, options: UNetLayerOptions = {}): UNet2DModel {
    return new UNet2DModel(resolveUNet2DConfig(config), options);
  }

  /**
   * Loads a diffusers model folder (`config.json` + `diffusion_pytorch_model.safetensors` or `.bin`); see
   * {@link loadUNet2DPretrained}.
   *
   * @example
   * const unet = await UNet2DModel.fromPretrained('google-ddpm-cifar10-32', { backend: 'webgpu' });
   */
  static fromPretrained(dir: string, options: UNetLayerOptions = {}): Promise<UNet2DModel> {
    return loadUNet2DPretrained(dir, options);
  }

  /**
   * Writes this model as a diffusers model folder, atomically file by file; see {@link saveUNet2DPretrained}.
   *
   * @example
   * await unet.savePretrained('out/unet');
   */
  savePretrained(dir: string): Promise<void> {
    return saveUNet2DPretrained(this, dir);
  }

  /** The factor by which the sample's height and width must be divisible (2^(levels − 1)). @example unet.sizeMultiple */
  get sizeMultiple(): number {
    return 2 ** (this.config.blockOutChannels.length - 1);
  }

  /** Sets the stream dropout draws from during training. @example unet.setDropoutGenerator(new Generator(step)) */
  setDropoutGenerator(generator: Generator | undefined): void {
    this.dropoutSource.generator = generator;
  }

  /**
   * Predicts for noisy samples [N, inChannels, H, W] at timesteps (a number, [N] numbers or a tensor [N] / []),
   * returning [N, outChannels, H, W].
   *
   * @example
   * const out = unet.call(x, 999);
   * const cond = unet.call(x, [10, 20], { classLabels: [0, 2] });
   */
  forward(sample: Tensor, timesteps: Tensor | number | number[], options: UNetCallOptions = {}): Tensor {
    const c = this.config;
    if (sample.ndim !== 4 || sample.shape[1] !== c.inChannels) {
      throw new Error(`UNet2DModel: expected a sample [N, ${c.inChannels}, H, W], got shape [${sample.shape.join(', ')}]`);
    }
    const [n, , h, w] = sample.shape as [number, number, number, number];
    const m = this.sizeMultiple;
    if (h % m !== 0 || w % m !== 0) {
      throw new Error(`UNet2DModel: the sample's height and width (${h}×${w}) must be multiples of ${m} (2^(levels − 1) for ${c.blockOutChannels.length} levels)`);
    }
    return tidy(() => {
      const backend = sample.backend;
      let t: Tensor;
      if (typeof timesteps === 'number') t = full([n], timesteps, { backend, dtype: 'float32' });
      else if (Array.isArray(timesteps)) t = tensor(timesteps, { backend, dtype: 'float32' });
      else t = timesteps.ndim === 0 ? timesteps.reshape([1]).to('float32').expand([n]) : timesteps.to('float32');
      if (t.ndim !== 1 || t.shape[0] !== n) throw new Error(`UNet2DModel: expected ${n} timesteps (one per sample), got shape [${t.shape.join(', ')}]`);
      const ch0 = c.blockOutChannels[0]!;
      const proj = (v: Tensor) => timestepEmbedding(v, ch0, { flipSinToCos: c.flipSinToCos, freqShift: c.freqShift });
      let emb = this.time_embedding.call(proj(t));
      const labels = options.classLabels;
      const conditional = this.class_embedding !== null || c.classEmbedType === 'identity';
      if (conditional) {
        if (labels === undefined) throw new Error('UNet2DModel: classLabels are required by this class-conditional model');
        if (Array.isArray(labels) && this.class_embedding instanceof nn.Embedding) {
          const bad = labels.find((v) => !Number.isInteger(v) || v < 0 || v >= (this.class_embedding as nn.Embedding).numEmbeddings);
          if (bad !== undefined) throw new Error(`UNet2DModel: class label ${bad} is outside [0, ${c.numClassEmbeds}) (numClassEmbeds ${c.numClassEmbeds})`);
        }
        const l = Array.isArray(labels) ? tensor(labels, { backend, dtype: 'int32' }) : labels;
        if (l.shape[0] !== n) throw new Error(`UNet2DModel: expected ${n} class labels, got shape [${l.shape.join(', ')}]`);
        let classEmb: Tensor;
        if (this.class_embedding instanceof nn.Embedding) {
          classEmb = this.class_embedding.call(l.to('int32'));
        } else if (this.class_embedding instanceof TimestepEmbedding) {
          classEmb = this.class_embedding.call(proj(l.to('float32')));
        } else {
          classEmb = l.to('float32');
        }
        emb = emb.add(classEmb);
      } else if (labels !== undefined) {
        throw new Error('UNet2DModel: classLabels were given but this model has no class embedding (numClassEmbeds / classEmbedType)');
      }
      let x = c.centerInputSample ? sample.mul(2).sub(1) : sample;
      x = this.conv_in.call(x);
      let skips: Tensor[] = [x];
      for (const block of this.down_blocks) {
        const r = block.call(x, emb);
        x = r.hidden;
        skips = skips.concat(r.skips);
      }
      if (this.mid_block) x = this.mid_block.call(x, emb);
      for (const block of this.up_blocks) {
        const k = block.numSkips;
        const mine = skips.slice(skips.length - k);
        skips = skips.slice(0, skips.length - k);
        x = block.call(x, mine, emb);
      }
      x = silu(this.conv_norm_out.call(x));
      return this.conv_out.call(x);
    });
  }
}
