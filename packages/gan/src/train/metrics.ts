// Metrics during GAN training, computed from the EMA generator with @radix/metrics: FID and KID (with the FID
// Inception network), improved precision/recall and density/coverage (with it or any feature extractor).
import { type FeatureExtractor, type FeatureMatrix, densityCoverage, extractFeatures, featureStats, frechetDistance, kid, precisionRecall } from '@radix/metrics';
import type { Tensor } from '@radix/tensor-webgpu';
import type { GeneratorLike } from './contract.js';
import { generateImages } from './sample-grid.js';

/** Metrics {@link ganMetrics} can compute. */
export type GanMetricName = 'fid' | 'kid' | 'pr' | 'dc';

/** Options of {@link ganMetrics}. */
export interface GanMetricsOptions {
  /** Real images [N, 3, H, W] in [0, 1] (e.g. a held-out set). */
  real: Tensor;
  /** Feature extractor (inceptionExtractor for FID/KID; any for PR/DC). */
  extractor: FeatureExtractor;
  /** Default: all four when the extractor is the FID Inception network, else ['pr', 'dc']. */
  metrics?: readonly GanMetricName[];
  /** Labels of the fakes, cycled (default: the real labels' distribution given in `realLabels`, else unconditional). */
  realLabels?: readonly number[];
  /** Number of generated images (default: as many as real ones). */
  numFake?: number;
  /** Seed of the fakes' latents (default 12345: the same latents at every evaluation). */
  seed?: number;
  /** k of precision/recall (default 3) and density/coverage (default 5). */
  prK?: number;
  dcK?: number;
  batchSize?: number;
}

/**
 * A `metrics` callback for {@link trainGan}: real features are extracted once, fakes come from the EMA generator
 * with fixed latents; returns e.g. { fid, kid, kidStd, precision, recall, density, coverage }.
 *
 * @example
 * const metrics = ganMetrics({ real: testImages, realLabels: testLabels, extractor: inceptionExtractor(net) });
 * await trainGan(nets, { ...options, metrics, metricsKimg: 2 });
 */
export function ganMetrics(options: GanMetricsOptions): (gEma: GeneratorLike, step: number) => Promise<Record<string, number>> {
  const isInception = options.extractor.name.startsWith('inception');
  const which = new Set(options.metrics ?? (isInception ? ['fid', 'kid', 'pr', 'dc'] : ['pr', 'dc']));
  const n = options.real.shape[0]!;
  const numFake = options.numFake ?? n;
  let realFeats: FeatureMatrix | null = null;
  return async (gEma) => {
    realFeats ??= await extractFeatures(options.extractor, options.real, { batchSize: options.batchSize });
    const labels = Array.from({ length: numFake }, (_, i) => (gEma.cDim > 0 ? (options.realLabels?.[i % options.realLabels.length] ?? i % gEma.cDim) : null));
    const fake = generateImages(gEma, labels, { seed: options.seed ?? 12345, noiseMode: 'const' });
    let fakeFeats: FeatureMatrix;
    try {
      fakeFeats = await extractFeatures(options.extractor, fake.shape[1] === 3 ? fake : fake.expand(fake.shape[0]!, 3, fake.shape[2]!, fake.shape[3]!), { batchSize: options.batchSize });
    } finally {
      fake.dispose();
    }
    const out: Record<string, number> = {};
    if (which.has('fid')) out.fid = frechetDistance(await featureStats(realFeats), await featureStats(fakeFeats));
    if (which.has('kid')) {
      const k = await kid(realFeats, fakeFeats, { subsetSize: Math.min(1000, n, numFake) });
      out.kid = k.mean;
      out.kidStd = k.std;
    }
    if (which.has('pr')) Object.assign(out, await precisionRecall(realFeats, fakeFeats, { k: options.prK ?? 3 }));
    if (which.has('dc')) Object.assign(out, await densityCoverage(realFeats, fakeFeats, { k: options.dcK ?? 5 }));
    return out;
  };
}
