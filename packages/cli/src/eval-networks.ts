// The networks one `radix eval` run needs, loaded before any image is read so that missing or wrong weights fail at
// once: the feature extractor (the FID Inception by default), LPIPS and the ResNet-50 of PHV.
import {
  inceptionExtractor, loadFeatureExtractor, loadLpips, loadTorchvisionResNet50, type FeatureExtractor, type FidInceptionV3, type Lpips,
  type TorchvisionResNet50,
} from '@radix/metrics';
import type { EvalOptions, normalise } from './eval.js';
import { loadInception } from './feature-metrics.js';
import { UsageError } from './kit/errors.js';

/** The networks a run uses. */
export interface EvalNetworks {
  /** The FID Inception (when it is the extractor: its logits give IS). */
  net?: FidInceptionV3;
  extractor?: FeatureExtractor;
  lpipsModel?: Lpips;
  phvNet?: TorchvisionResNet50;
}

/**
 * Loads what the options ask for (injected networks are used as given); everything loaded here is pushed on `owned`
 * for the caller to dispose.
 *
 * @example
 * const nets = await loadEvalNetworks(o, options, true, owned);
 */
export async function loadEvalNetworks(o: ReturnType<typeof normalise>, options: EvalOptions, needExtractor: boolean, owned: { dispose(): void }[]): Promise<EvalNetworks> {
  let net: FidInceptionV3 | undefined;
  let extractor: FeatureExtractor | undefined = options.featureExtractor;
  if (needExtractor && !extractor) {
    if (o.inceptionFeaturesUsed) {
      net = options.inceptionNet ?? (await loadInception(options.inceptionWeights));
      if (net !== options.inceptionNet) owned.push(net);
      extractor = inceptionExtractor(net, { resize: o.features.resize, ...(options.inceptionWeights ? { weights: options.inceptionWeights } : {}) });
    } else {
      extractor = await loadFeatureExtractor(o.featuresName, { ...(options.featureWeights ? { weights: options.featureWeights } : {}), ...(options.resize ? { resize: options.resize } : {}) });
      owned.push(extractor);
    }
  }
  let lpipsModel = options.lpipsModel;
  if (o.metrics.includes('lpips') && !lpipsModel) {
    lpipsModel = await loadLpips({ net: o.lpipsNet, weights: { ...(options.lpipsBackbone ? { backbone: options.lpipsBackbone } : {}), ...(options.lpipsLinear ? { linear: options.lpipsLinear } : {}) } });
    owned.push(lpipsModel);
  }
  let phvNet = options.phvNetwork;
  if (o.metrics.includes('phv') && !phvNet) {
    if (!options.phvWeights) throw new UsageError('runEval: phv needs torchvision ResNet-50 weights: --phv-weights resnet50-0676ba61.pth (https://download.pytorch.org/models/resnet50-0676ba61.pth, what ASP used)');
    phvNet = await loadTorchvisionResNet50(options.phvWeights);
    owned.push(phvNet);
  }
  return { ...(net ? { net } : {}), ...(extractor ? { extractor } : {}), ...(lpipsModel ? { lpipsModel } : {}), ...(phvNet ? { phvNet } : {}) };
}
