// The pluggable feature extractor of the distribution metrics: any nn.Module mapping its (prepared) input to [N, D],
// with the preprocessing that turns images in [0, 1] into that input and a description recorded in every report.
import { nn, noGrad, slice, type Tensor } from '@radix/tensor-webgpu';
import type { FeatureMatrix } from '../distribution/matrix.js';
import type { FidInceptionV3 } from '../inception/network.js';
import { inceptionInput } from '../inception/features.js';
import type { InceptionResize } from '../inception/resize.js';
import { imagenetInput } from './imagenet-input.js';
import type { TorchvisionResNet50 } from './resnet50.js';
import type { TorchvisionVGG16 } from './vgg16.js';

/**
 * Features of images for FID, KID, precision/recall, density/coverage and the memorisation check.
 * `module` is any nn.Module returning [N, D] (differentiable, so it can serve as a feature loss too); `prepare`
 * resizes and scales images in [0, 1] to its input; `description` names what the numbers depend on.
 */
export interface FeatureExtractor {
  /** Short name, e.g. 'inception-v3-fid', 'vgg16-fc2-relu', 'resnet50-pool'. */
  readonly name: string;
  /** Feature dimension D. */
  readonly dim: number;
  /** What the features depend on (network, layer, weights, input size, resize convention, normalisation). */
  readonly description: Record<string, string | number>;
  /** The network: prepared input → [N, D]. */
  readonly module: nn.Module<[Tensor], Tensor>;
  /** Images in [0, 1], [N, 3, H, W] → the module's input (may run on the CPU for some resize conventions). */
  prepare(images: Tensor): Promise<Tensor>;
  /** Frees the network. */
  dispose(): void;
}

/** Options of {@link extractFeatures}. */
export interface ExtractFeaturesOptions {
  /** Images per forward pass (default 16). */
  batchSize?: number;
}

/**
 * Runs an extractor over images in [0, 1] ([N, 3, H, W] float32) in batches, without building a graph; returns the
 * row-major [N × D] float32 features (the input of featureStats, kid, precisionRecall, …).
 *
 * @example
 * const feats = await extractFeatures(await loadFeatureExtractor('vgg16', { weights: 'vgg16-397923af.pth' }), images);
 */
export async function extractFeatures(extractor: FeatureExtractor, images: Tensor, options: ExtractFeaturesOptions = {}): Promise<FeatureMatrix> {
  const fn = 'extractFeatures';
  if (images.ndim !== 4 || images.shape[1] !== 3) throw new Error(`${fn}: expected images of shape [N, 3, H, W], got [${images.shape.join(', ')}]`);
  if (images.dtype !== 'float32') throw new Error(`${fn}: expected float32 images in [0, 1], got ${images.dtype}`);
  const n = images.shape[0]!;
  if (n === 0) throw new Error(`${fn}: no images`);
  const batch = options.batchSize ?? 16;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`${fn}: batchSize must be a positive integer, got ${batch}`);
  const d = extractor.dim;
  const out = new Float32Array(n * d);
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    const part = start === 0 && end === n ? images : slice(images, 0, start, end);
    try {
      const x = await extractor.prepare(part);
      const f = noGrad(() => extractor.module.call(x));
      x.dispose();
      try {
        if (f.ndim !== 2 || f.shape[0] !== end - start || f.shape[1] !== d) {
          throw new Error(`${fn}: extractor '${extractor.name}' returned shape [${f.shape.join(', ')}], expected [${end - start}, ${d}]`);
        }
        const data = (await f.data()) as Float32Array;
        for (let i = 0; i < data.length; i++) {
          if (!Number.isFinite(data[i]!)) throw new Error(`${fn}: extractor '${extractor.name}' produced a non-finite feature for image ${start + Math.floor(i / d)} (do the images contain NaN or Infinity?)`);
        }
        out.set(data, start * d);
      } finally {
        f.dispose();
      }
    } finally {
      if (part !== images) part.dispose();
    }
  }
  return { data: out, n, d };
}

/** Options of {@link moduleExtractor}. */
export interface ModuleExtractorOptions {
  name: string;
  dim: number;
  /** Images in [0, 1] → the module's input (default: the images unchanged). */
  prepare?: (images: Tensor) => Promise<Tensor> | Tensor;
  description?: Record<string, string | number>;
}

/**
 * Wraps any nn.Module returning [N, D] as a {@link FeatureExtractor}.
 *
 * @example
 * const ext = moduleExtractor(myEncoder, { name: 'my-encoder', dim: 512, prepare: (x) => x.mul(2).sub(1) });
 */
export function moduleExtractor(module: nn.Module<[Tensor], Tensor>, options: ModuleExtractorOptions): FeatureExtractor {
  if (!options?.name || !Number.isInteger(options.dim) || options.dim < 1) throw new Error('moduleExtractor: name and a positive integer dim are required');
  return {
    name: options.name,
    dim: options.dim,
    description: { network: options.name, dim: options.dim, ...(options.description ?? {}) },
    module,
    prepare: async (images) => (options.prepare ? options.prepare(images) : images.mul(1)),
    dispose: () => module.dispose(),
  };
}

/**
 * The FID Inception-v3 as an extractor of its 2048-d pool3 features, with one of the FID tools' resize conventions.
 *
 * @example
 * const ext = inceptionExtractor(new FidInceptionV3(await loadFidInceptionWeights()), { resize: 'tf1-bilinear' });
 */
export function inceptionExtractor(net: FidInceptionV3, options: { resize?: InceptionResize; weights?: string } = {}): FeatureExtractor {
  const resize = options.resize ?? 'pytorch-bilinear';
  const module = new InceptionPool3(net);
  return {
    name: 'inception-v3-fid',
    dim: 2048,
    description: {
      network: 'FID Inception-v3 (pytorch-fid, TF 2015-12-05 weights)', layer: 'pool3 (2048)', input: '299×299', resize,
      scaling: resize === 'pytorch-bilinear' ? '2x − 1' : '(255x − 128) / 128', weights: options.weights ?? 'pt_inception-2015-12-05-6726825d.pth',
    },
    module,
    prepare: (images) => inceptionInput(images, resize),
    dispose: () => net.dispose(),
  };
}

/** The FID Inception-v3 restricted to its pool3 output, as a module returning [N, 2048]. */
class InceptionPool3 extends nn.Module {
  constructor(readonly net: FidInceptionV3) {
    super();
    this.registerModule('net', net as unknown as nn.AnyModule);
  }
  forward(x: Tensor): Tensor {
    return this.net.pool3(x);
  }
}

/** Options of {@link vgg16Extractor} and {@link resnet50Extractor}. */
export interface ImagenetExtractorOptions {
  /** Resize to 224 by this convention (default 'tf1-bilinear' for VGG16 as torch-fidelity, 'pytorch-bilinear' for ResNet-50). */
  resize?: InceptionResize;
  /** Input side (default 224). */
  size?: number;
  /** Weights file, for the description. */
  weights?: string;
}

/**
 * torchvision VGG16's fc2 features (4096-d, the layer the network was built with; 'fc2_relu' by default) as an
 * extractor: images resized to 224 (TF1 bilinear by default, as torch-fidelity) and ImageNet-normalised. This is the
 * feature space of improved precision/recall (Kynkäänniemi et al. 2019) and of torch-fidelity's VGG16 metrics.
 *
 * @example
 * const ext = vgg16Extractor(await loadTorchvisionVGG16('vgg16-397923af.pth'));
 */
export function vgg16Extractor(net: TorchvisionVGG16, options: ImagenetExtractorOptions = {}): FeatureExtractor {
  const resize = options.resize ?? 'tf1-bilinear';
  const size = options.size ?? 224;
  return {
    name: `vgg16-${net.output.replace('_', '-')}`,
    dim: net.dim,
    description: {
      network: 'torchvision VGG16', layer: `${net.output} (${net.dim})`, input: `${size}×${size}`, resize,
      normalisation: 'ImageNet mean/std', weights: options.weights ?? 'vgg16-397923af.pth',
    },
    module: net as unknown as nn.Module<[Tensor], Tensor>,
    prepare: (images) => imagenetInput(images, { size, resize }),
    dispose: () => net.dispose(),
  };
}

/**
 * torchvision ResNet-50's pooled features (2048-d) as an extractor: images resized to 224 (PyTorch bilinear by
 * default) and ImageNet-normalised.
 *
 * @example
 * const ext = resnet50Extractor(await loadTorchvisionResNet50('resnet50-0676ba61.pth'));
 */
export function resnet50Extractor(net: TorchvisionResNet50, options: ImagenetExtractorOptions = {}): FeatureExtractor {
  const resize = options.resize ?? 'pytorch-bilinear';
  const size = options.size ?? 224;
  return {
    name: `resnet50-${net.output}`,
    dim: net.dim,
    description: {
      network: 'torchvision ResNet-50', layer: `${net.output} (${net.dim})`, input: `${size}×${size}`, resize,
      normalisation: 'ImageNet mean/std', weights: options.weights ?? 'resnet50-0676ba61.pth',
    },
    module: net as unknown as nn.Module<[Tensor], Tensor>,
    prepare: (images) => imagenetInput(images, { size, resize }),
    dispose: () => net.dispose(),
  };
}
