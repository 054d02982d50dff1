// The distribution half of `radix eval`: streams each folder through the FID Inception-v3 in batches, then computes
// FID, KID, IS, precision/recall and density/coverage on the collected features with @radix/metrics.
import { join } from 'node:path';
import {
  densityCoverage, featureStats, FidInceptionV3, frechetDistance, inceptionFeatures, inceptionScore, kid,
  loadFidInceptionWeights, precisionRecall, type FeatureMatrix, type InceptionResize,
} from '@radix/metrics';
import { imagesToTensor, readImage, type DecodedImage, type ImageFolderListing, type ImageReadOptions } from './images.js';
import type { Progress } from './progress.js';

/** Metrics computed on Inception features rather than on image pairs. */
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
}

/** Inception features of one folder: pool3 [n × 2048] and unbiased logits [n × 1008]. */
export interface FolderFeatures {
  pool3: FeatureMatrix;
  logitsUnbiased: FeatureMatrix;
  /** Decoder notes per image (pixels dropped), for warnings. */
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

/**
 * Runs every image of a folder through the network, `batchSize` files at a time (consecutive images of one size
 * form one tensor), so only one batch is on the device at once.
 *
 * @example
 * const f = await folderFeatures(net, listImageFolder('real'), settings, silentProgress);
 */
export async function folderFeatures(net: FidInceptionV3, listing: ImageFolderListing, s: FeatureMetricSettings, progress: Progress, read: ImageReadOptions = {}): Promise<FolderFeatures> {
  const n = listing.names.length;
  const pool3 = new Float32Array(n * 2048);
  const logits = new Float32Array(n * 1008);
  const decoded: DecodedImage[] = [];
  let row = 0;
  for (let start = 0; start < n; start += s.batchSize) {
    const imgs = listing.names.slice(start, start + s.batchSize).map((name) => readImage(join(listing.dir, name), read));
    for (let i = 0; i < imgs.length;) {
      let j = i + 1;
      while (j < imgs.length && imgs[j]!.width === imgs[i]!.width && imgs[j]!.height === imgs[i]!.height) j++;
      const x = imagesToTensor(imgs.slice(i, j));
      try {
        const f = await inceptionFeatures(net, x, { resize: s.resize, batchSize: s.batchSize });
        pool3.set(f.pool3, row * 2048);
        logits.set(f.logitsUnbiased, row * 1008);
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
  return { pool3: { data: pool3, n, d: 2048 }, logitsUnbiased: { data: logits, n, d: 1008 }, decoded };
}

/** One computed feature metric row. */
export interface FeatureMetricValue {
  metric: string;
  value: number;
  std?: number;
  settings: Record<string, string | number | boolean>;
}

/**
 * Computes the requested feature metrics (fid, kid, is, pr, dc) from real and fake features. `pr` yields the rows
 * `precision` and `recall`, `dc` yields `density` and `coverage`. IS uses the fake set only.
 *
 * @example
 * const rows = await featureMetrics(['fid', 'kid'], real, fake, settings);
 */
export async function featureMetrics(metrics: readonly string[], real: FolderFeatures, fake: FolderFeatures, s: FeatureMetricSettings): Promise<{ rows: FeatureMetricValue[]; warnings: string[] }> {
  const rows: FeatureMetricValue[] = [];
  const warnings: string[] = [];
  const common = { features: 'FID Inception-v3 pool3 (2048)', resize: s.resize };
  for (const m of metrics) {
    if (m === 'fid') {
      const [a, b] = [await featureStats(real.pool3), await featureStats(fake.pool3)];
      if (a.n < a.d || b.n < b.d) warnings.push(`fid: ${Math.min(a.n, b.n)} images for ${a.d} feature dimensions; the covariance is singular and FID is unreliable (use ≥ ${a.d} images)`);
      rows.push({ metric: 'fid', value: frechetDistance(a, b), settings: { ...common, covariance: 'unbiased (N−1), float64', sqrtm: 'eigen, eps 1e-6 retry' } });
    } else if (m === 'kid') {
      const r = await kid(real.pool3, fake.pool3, { subsets: s.kidSubsets, subsetSize: s.kidSubsetSize });
      rows.push({ metric: 'kid', value: r.mean, std: r.std, settings: { ...common, subsets: s.kidSubsets, subsetSize: s.kidSubsetSize, kernel: 'polynomial degree 3, gamma 1/d, coef0 1', seed: 2020 } });
    } else if (m === 'is') {
      const r = await inceptionScore(fake.logitsUnbiased, { splits: s.isSplits });
      rows.push({ metric: 'is', value: r.mean, std: r.std, settings: { features: 'FID Inception-v3 unbiased logits (1008), fake set', resize: s.resize, splits: s.isSplits, shuffle: 'seed 2020' } });
    } else if (m === 'pr') {
      const r = await precisionRecall(real.pool3, fake.pool3, { k: s.prK });
      rows.push({ metric: 'precision', value: r.precision, settings: { ...common, k: s.prK } });
      rows.push({ metric: 'recall', value: r.recall, settings: { ...common, k: s.prK } });
    } else if (m === 'dc') {
      const r = await densityCoverage(real.pool3, fake.pool3, { k: s.dcK });
      rows.push({ metric: 'density', value: r.density, settings: { ...common, k: s.dcK } });
      rows.push({ metric: 'coverage', value: r.coverage, settings: { ...common, k: s.dcK } });
    }
  }
  return { rows, warnings };
}
