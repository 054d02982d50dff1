// The distribution half of `radix eval`, in two separable steps: folder → features (any FeatureExtractor; the FID
// Inception also gives the logits IS needs), then features → numbers (FID, FID∞, KID, IS, precision/recall,
// density/coverage, each with an optional seeded bootstrap interval). Feature statistics are float64 throughout.
import { join } from 'node:path';
import {
  densityCoverage, extractFeatures, featureStats, FidInceptionV3, fidBootstrap, fidInfinity, frechetDistance, inceptionFeatures,
  inceptionScore, inceptionScoreBootstrap, kid, kidBootstrap, loadFidInceptionWeights, prdcBootstrap, precisionRecall,
  sampleSizeWarnings, type BootstrapResult, type FeatureExtractor, type FeatureMatrix, type FeatureStats, type InceptionResize,
} from '@radix/metrics';
import { imagesToTensor, readImage, type DecodedImage, type ImageFolderListing, type ImageReadOptions } from './images.js';
import type { Progress } from './progress.js';

/** Metrics computed on features rather than on image pairs. */
export const FEATURE_METRICS = ['fid', 'kid', 'is', 'pr', 'dc'] as const;

/** Settings of the feature metrics (after defaults). */
export interface FeatureMetricSettings {
  resize: InceptionResize;
  batchSize: number;
  kidSubsets: number;
  kidSubsetSize: number;
  isSplits: number;
  prK: number;
  dcK: number;
  /** Bootstrap intervals: confidence level and replicates (absent: none). */
  ci?: { level: number; reps: number; seed: number };
  /** Also report FID∞ (Chong & Forsyth 2020). */
  fidInf?: boolean;
  /** Seed of FID∞'s subsets (default 0). */
  seed?: number;
  /** What the features are (the extractor's description), for every row's settings. */
  extractor?: { name: string; dim: number; description: Record<string, string | number> };
}

/** Features of one folder: [n × D] rows, the Inception logits when the extractor is the FID Inception, decoder notes. */
export interface FolderFeatures {
  /**
   * The [n × D] features. `radix merge` may leave `data` empty (only n and d set) when only FID without intervals is
   * asked: FID then uses `stats`.
   */
  features: FeatureMatrix;
  /** Float64 statistics of `features` already computed (merged from shards); FID uses them instead of recomputing. */
  stats?: FeatureStats;
  /** Unbiased FID-Inception logits [n × 1008] (IS); absent for other extractors. */
  logitsUnbiased?: FeatureMatrix;
  /** Decoder notes per image (pixels dropped), for warnings and the report's resolutions. */
  decoded: DecodedImage[];
}

/**
 * Loads the FID Inception network: from `path`, else `RADIX_INCEPTION_WEIGHTS`, else the PyTorch hub cache. The
 * weights loader's error (which says where to download the file) is passed on unchanged.
 *
 * @example
 * const net = await loadInception('~/.cache/torch/hub/checkpoints/pt_inception-2015-12-05-6726825d.pth');
 */
export async function loadInception(path?: string): Promise<FidInceptionV3> {
  return new FidInceptionV3(await loadFidInceptionWeights(path === undefined ? {} : { path }));
}

/** Reads a folder in batches of `batchSize` files; consecutive images of one size form one tensor. */
async function forEachImageRun(listing: ImageFolderListing, batchSize: number, read: ImageReadOptions, progress: Progress, onRun: (x: ReturnType<typeof imagesToTensor>, row: number) => Promise<void>): Promise<DecodedImage[]> {
  const n = listing.names.length;
  const decoded: DecodedImage[] = [];
  let row = 0;
  for (let start = 0; start < n; start += batchSize) {
    const imgs = listing.names.slice(start, start + batchSize).map((name) => readImage(join(listing.dir, name), read));
    for (let i = 0; i < imgs.length;) {
      let j = i + 1;
      while (j < imgs.length && imgs[j]!.width === imgs[i]!.width && imgs[j]!.height === imgs[i]!.height) j++;
      const x = imagesToTensor(imgs.slice(i, j));
      try {
        await onRun(x, row);
      } finally {
        x.dispose();
      }
      row += j - i;
      progress.tick(j - i);
      i = j;
    }
    for (const img of imgs) decoded.push({ ...img, data: new Float32Array(0) });
  }
  progress.done();
  return decoded;
}

/**
 * Runs every image of a folder through the FID Inception network, `batchSize` files at a time, collecting pool3
 * features and the unbiased logits.
 *
 * @example
 * const f = await folderFeatures(net, listImageFolder('real'), settings, silentProgress);
 */
export async function folderFeatures(net: FidInceptionV3, listing: ImageFolderListing, s: FeatureMetricSettings, progress: Progress, read: ImageReadOptions = {}): Promise<FolderFeatures> {
  const n = listing.names.length;
  const pool3 = new Float32Array(n * 2048);
  const logits = new Float32Array(n * 1008);
  const decoded = await forEachImageRun(listing, s.batchSize, read, progress, async (x, row) => {
    const f = await inceptionFeatures(net, x, { resize: s.resize, batchSize: s.batchSize });
    pool3.set(f.pool3, row * 2048);
    logits.set(f.logitsUnbiased, row * 1008);
  });
  return { features: { data: pool3, n, d: 2048 }, logitsUnbiased: { data: logits, n, d: 1008 }, decoded };
}

/**
 * Runs every image of a folder through any {@link FeatureExtractor}, `batchSize` files at a time.
 *
 * @example
 * const f = await folderExtract(await loadFeatureExtractor('resnet50', { weights }), listImageFolder('real'), 16, silentProgress);
 */
export async function folderExtract(extractor: FeatureExtractor, listing: ImageFolderListing, batchSize: number, progress: Progress, read: ImageReadOptions = {}): Promise<FolderFeatures> {
  const n = listing.names.length;
  const data = new Float32Array(n * extractor.dim);
  const decoded = await forEachImageRun(listing, batchSize, read, progress, async (x, row) => {
    const f = await extractFeatures(extractor, x, { batchSize });
    data.set(f.data as Float32Array, row * extractor.dim);
  });
  return { features: { data, n, d: extractor.dim }, decoded };
}

/** A bootstrap interval as a report stores it. */
export interface IntervalSummary {
  level: number;
  low: number;
  high: number;
  method: 'basic' | 'percentile';
  reps: number;
  seed: number;
  se: number;
}

/** One computed feature metric row. */
export interface FeatureMetricValue {
  metric: string;
  value: number;
  std?: number;
  ci?: IntervalSummary;
  settings: Record<string, string | number | boolean>;
}

const interval = (b: BootstrapResult): IntervalSummary => ({ level: b.ci.level, low: b.ci.low, high: b.ci.high, method: b.ci.method, reps: b.ci.reps, seed: b.ci.seed, se: b.ci.se });

/**
 * Computes the requested feature metrics (fid, kid, is, pr, dc) from real and fake features (features in, numbers
 * out: the sharded pipeline merges per-shard feature files and calls this). `pr` yields the rows `precision` and
 * `recall`, `dc` yields `density` and `coverage`; IS uses the fake set's Inception logits. With `ci`, every row gets a
 * seeded bootstrap interval (FID: basic; the others: percentile); with `fidInf`, a `fid-inf` row follows FID.
 * Warnings say what small or unequal sample sizes do to FID.
 *
 * @example
 * const { rows, warnings } = await featureMetrics(['fid', 'kid'], real, fake, settings);
 */
export async function featureMetrics(metrics: readonly string[], real: FolderFeatures, fake: FolderFeatures, s: FeatureMetricSettings): Promise<{ rows: FeatureMetricValue[]; warnings: string[] }> {
  const rows: FeatureMetricValue[] = [];
  const warnings: string[] = [];
  const ext = s.extractor ?? { name: 'inception-v3-fid', dim: real.features.d, description: { layer: 'pool3 (2048)' } };
  const common = { features: `${ext.name} ${String(ext.description.layer ?? ext.dim)}`, resize: String(ext.description.resize ?? s.resize) };
  const boot = s.ci ? { reps: s.ci.reps, level: s.ci.level, seed: s.ci.seed } : null;
  const x = real.features;
  const y = fake.features;
  const raw = (f: FeatureMatrix): boolean => (f.data as ArrayLike<number>).length === f.n * f.d;
  const needRaw = metrics.some((m) => m === 'kid' || m === 'pr' || m === 'dc') || (metrics.includes('fid') && (boot !== null || s.fidInf === true));
  if (needRaw && (!raw(x) || !raw(y))) throw new Error('featureMetrics: kid, pr, dc and FID intervals or FID∞ need the features themselves, not only their statistics');
  if (metrics.includes('fid') && ((!raw(x) && !real.stats) || (!raw(y) && !fake.stats))) throw new Error('featureMetrics: FID needs the features or their statistics');
  if (metrics.some((m) => m === 'fid' || m === 'kid' || m === 'pr' || m === 'dc')) {
    warnings.push(...sampleSizeWarnings({ nReal: x.n, nFake: y.n, dim: x.d, features: ext.name }));
  }
  for (const m of metrics) {
    if (m === 'fid') {
      const [a, b] = [real.stats ?? (await featureStats(x)), fake.stats ?? (await featureStats(y))];
      const row: FeatureMetricValue = { metric: 'fid', value: frechetDistance(a, b), settings: { ...common, covariance: 'unbiased (N−1), float64', sqrtm: 'eigen, eps 1e-6 retry' } };
      if (boot) row.ci = interval(await fidBootstrap(x, y, boot));
      rows.push(row);
      if (s.fidInf) {
        const inf = await fidInfinity(x, y, { seed: s.seed ?? 0 });
        rows.push({
          metric: 'fid-inf', value: inf.fidInfinity,
          settings: { ...common, method: 'Chong & Forsyth 2020: line in 1/N through FIDs of generated subsets', points: inf.points.length, sizes: `${inf.points[0]!.n}..${inf.points.at(-1)!.n}`, slope: Number(inf.slope.toPrecision(6)), r2: Number(inf.r2.toFixed(4)) },
        });
      }
    } else if (m === 'kid') {
      const r = await kid(x, y, { subsets: s.kidSubsets, subsetSize: s.kidSubsetSize });
      const row: FeatureMetricValue = { metric: 'kid', value: r.mean, std: r.std, settings: { ...common, subsets: s.kidSubsets, subsetSize: s.kidSubsetSize, kernel: 'polynomial degree 3, gamma 1/d, coef0 1', seed: 2020 } };
      if (boot) {
        row.ci = interval(await kidBootstrap(x, y, boot));
        row.settings.ciStatistic = 'unbiased MMD² of the full sets (what the subset mean estimates)';
      }
      rows.push(row);
    } else if (m === 'is') {
      if (!fake.logitsUnbiased) throw new Error('featureMetrics: the Inception Score needs the FID Inception logits (run with --features inception)');
      const r = await inceptionScore(fake.logitsUnbiased, { splits: s.isSplits });
      const row: FeatureMetricValue = { metric: 'is', value: r.mean, std: r.std, settings: { features: 'FID Inception-v3 unbiased logits (1008), fake set', resize: s.resize, splits: s.isSplits, shuffle: 'seed 2020' } };
      if (boot) row.ci = interval(await inceptionScoreBootstrap(fake.logitsUnbiased, { ...boot, splits: s.isSplits }));
      rows.push(row);
    } else if (m === 'pr' || m === 'dc') {
      const ci = boot ? await prdcBootstrap(x, y, { ...boot, prK: s.prK, dcK: s.dcK }) : null;
      if (m === 'pr') {
        const r = await precisionRecall(x, y, { k: s.prK });
        rows.push({ metric: 'precision', value: r.precision, settings: { ...common, k: s.prK }, ...(ci ? { ci: interval(ci.precision) } : {}) });
        rows.push({ metric: 'recall', value: r.recall, settings: { ...common, k: s.prK }, ...(ci ? { ci: interval(ci.recall) } : {}) });
      } else {
        const r = await densityCoverage(x, y, { k: s.dcK });
        rows.push({ metric: 'density', value: r.density, settings: { ...common, k: s.dcK }, ...(ci ? { ci: interval(ci.density) } : {}) });
        rows.push({ metric: 'coverage', value: r.coverage, settings: { ...common, k: s.dcK }, ...(ci ? { ci: interval(ci.coverage) } : {}) });
      }
    }
  }
  return { rows, warnings };
}
