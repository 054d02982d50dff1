// The D2D-CE conditioning head of StudioGAN's StyleGAN2 discriminator (d_cond_mtd 'D2DCE'): a linear embedding of the
// epilogue features and a one-layer label mapping network giving class proxies; and how to read those features.
import { type Tensor, nn, tidy } from '@radix/tensor-webgpu';
import { FullyConnectedLayer } from '../networks/fully-connected.js';
import { MappingNetwork } from '../networks/mapping.js';
import type { StyleGAN2Discriminator } from '../networks/discriminator.js';
import type { DiscriminatorBlock, DiscriminatorEpilogue } from '../networks/discriminator-block.js';

/** Options of {@link D2DCEHead}. */
export interface D2DCEHeadOptions {
  /** Embedding size (default 512, StudioGAN's d_embed_dim). */
  embedDim?: number;
  backend?: import('@radix/tensor-webgpu').Backend;
  generator?: import('@radix/tensor-webgpu').Generator;
}

/**
 * `linear2` = FullyConnectedLayer(features → embedDim) and `embedding` = MappingNetwork(z 0, c numClasses → embedDim,
 * one layer, no w_avg), as StudioGAN builds them for D2D-CE. `embed(features)` and `proxy(oneHot)` feed
 * {@link d2dceLoss} (which normalises both).
 *
 * @example
 * const head = new D2DCEHead(D.block(4).fc.outFeatures, 3);
 * const loss = d2dceLoss(head.embed(h), head.proxy(oneHot(labels, 3)), labelsTensor);
 */
export class D2DCEHead extends nn.Module<[Tensor]> {
  readonly numClasses: number;
  readonly embedDim: number;
  readonly inFeatures: number;
  linear2: FullyConnectedLayer;
  embedding: MappingNetwork;

  constructor(inFeatures: number, numClasses: number, options: D2DCEHeadOptions = {}) {
    super();
    if (!(Number.isInteger(numClasses) && numClasses >= 2)) throw new Error(`D2DCEHead: D2D-CE needs at least 2 classes, got ${numClasses}`);
    this.numClasses = numClasses;
    this.inFeatures = inFeatures;
    this.embedDim = options.embedDim ?? 512;
    const init = { backend: options.backend, generator: options.generator };
    this.linear2 = new FullyConnectedLayer(inFeatures, this.embedDim, { bias: true, ...init });
    this.embedding = new MappingNetwork(0, numClasses, this.embedDim, null, { numLayers: 1, wAvgBeta: null, ...init });
  }

  /** Sample embeddings [N, embedDim] from D's epilogue features [N, F]. @example head.embed(features) */
  embed(features: Tensor): Tensor {
    return this.linear2.call(features);
  }

  /** Class proxies [N, embedDim] from one-hot labels [N, numClasses]. @example head.proxy(c) */
  proxy(c: Tensor): Tensor {
    return this.embedding.call(null, c);
  }

  forward(features: Tensor): Tensor {
    return this.embed(features);
  }
}

/**
 * Runs a StyleGAN2Discriminator and also returns the epilogue's features (the `fc` output that its `out` layer
 * reads), which D2D-CE embeds. The logits equal `D.call(img, c)`.
 *
 * @example
 * const { logits, features } = discriminatorWithFeatures(D, images, null);
 */
export function discriminatorWithFeatures(D: StyleGAN2Discriminator, img: Tensor, c: Tensor | null): { logits: Tensor; features: Tensor } {
  return tidy(() => {
    let x: Tensor | null = null;
    let im: Tensor | null = img;
    for (const res of D.blockResolutions) [x, im] = (D.block(res) as DiscriminatorBlock).call(x, im);
    const ep = D.block(4) as DiscriminatorEpilogue;
    let h = x!;
    if (ep.fromrgb) h = h.add(ep.fromrgb.call(im!));
    if (ep.mbstd) h = ep.mbstd.call(h);
    const features = ep.fc.call(ep.conv.call(h).flatten(1));
    let logits = ep.out.call(features);
    if (ep.cmapDim > 0) logits = logits.mul(D.mapping!.call(null, c)).sum(1, true).mul(1 / Math.sqrt(ep.cmapDim));
    return { logits, features };
  });
}
