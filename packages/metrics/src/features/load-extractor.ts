// Built-in feature extractors by name (inception | vgg16 | resnet50) or a user module given as a path, for the CLI and
// for scripts; weights always come from files the user supplies.
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend, BackendName } from '@radix/tensor-webgpu';
import { FidInceptionV3 } from '../inception/network.js';
import type { InceptionResize } from '../inception/resize.js';
import { loadFidInceptionWeights } from '../inception/weights.js';
import { type FeatureExtractor, inceptionExtractor, resnet50Extractor, vgg16Extractor } from './feature-extractor.js';
import { TORCHVISION_WEIGHTS, loadTorchvisionResNet50, loadTorchvisionVGG16 } from './load-torchvision.js';

/** The built-in extractor names. */
export const FEATURE_EXTRACTORS = Object.freeze(['inception', 'vgg16', 'resnet50'] as const);

/** Options of {@link loadFeatureExtractor}. */
export interface LoadFeatureExtractorOptions {
  /** Weights file (inception: default RADIX_INCEPTION_WEIGHTS / the hub cache; vgg16, resnet50: required). */
  weights?: string;
  /** Resize convention (default per network: see the extractors). */
  resize?: InceptionResize;
  backend?: BackendName | Backend;
}

/**
 * A feature extractor by name — `'inception'` (FID Inception-v3 pool3), `'vgg16'` (torchvision VGG16 fc2 after ReLU),
 * `'resnet50'` (torchvision ResNet-50 pool) — or the path of an ES module (.js/.mjs) whose default export is a
 * FeatureExtractor or an (async) function returning one, called with these options.
 *
 * @example
 * const ext = await loadFeatureExtractor('resnet50', { weights: '/models/resnet50-0676ba61.pth' });
 */
export async function loadFeatureExtractor(kind: string, options: LoadFeatureExtractorOptions = {}): Promise<FeatureExtractor> {
  const fn = 'loadFeatureExtractor';
  if (kind === 'inception') {
    const net = new FidInceptionV3(await loadFidInceptionWeights({ ...(options.weights ? { path: options.weights } : {}), ...(options.backend ? { backend: options.backend } : {}) }));
    return inceptionExtractor(net, { ...(options.resize ? { resize: options.resize } : {}), ...(options.weights ? { weights: options.weights } : {}) });
  }
  if (kind === 'vgg16' || kind === 'resnet50') {
    const w = TORCHVISION_WEIGHTS[kind];
    if (!options.weights) throw new Error(`${fn}: the ${kind} extractor needs torchvision's weights: pass the path of ${w.file} (${w.url}); nothing is downloaded`);
    const common = { weights: options.weights, ...(options.resize ? { resize: options.resize } : {}) };
    const be = options.backend ? { backend: options.backend } : {};
    return kind === 'vgg16'
      ? vgg16Extractor(await loadTorchvisionVGG16(options.weights, be), common)
      : resnet50Extractor(await loadTorchvisionResNet50(options.weights, be), common);
  }
  if (/\.(m?js)$/.test(kind)) {
    const path = isAbsolute(kind) ? kind : resolve(kind);
    if (!existsSync(path)) throw new Error(`${fn}: the extractor module '${kind}' does not exist`);
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    const exp = mod.default;
    const ext = (typeof exp === 'function' ? await (exp as (o: LoadFeatureExtractorOptions) => unknown)(options) : exp) as FeatureExtractor | undefined;
    if (!ext || typeof ext.prepare !== 'function' || !ext.module || typeof ext.dim !== 'number' || typeof ext.name !== 'string') {
      throw new Error(`${fn}: '${kind}' must default-export a FeatureExtractor ({ name, dim, description, module, prepare, dispose }) or a function returning one`);
    }
    return ext;
  }
  throw new Error(`${fn}: unknown feature extractor '${kind}' (expected ${FEATURE_EXTRACTORS.join(', ')} or the path of a .js/.mjs module)`);
}
