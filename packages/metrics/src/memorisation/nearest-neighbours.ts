// The memorisation check: for each generated image its closest training images, and how close that is compared with
// the training set's own nearest-neighbour distances — a generator that copies (patient-derived) training images is a
// privacy problem, not only a quality one.
import { type Backend, Tensor, adaptiveAvgPool2d, noGrad, tidy } from '@radix/tensor-webgpu';
import { forEachGramChunk } from '../distribution/gram.js';
import { type FeatureMatrix, type Features, toMatrix } from '../distribution/matrix.js';
import { type FeatureExtractor, extractFeatures } from '../features/feature-extractor.js';

/** Options of {@link nearestNeighbours}. */
export interface NearestNeighboursOptions {
  /**
   * `'pixel'`: images average-pooled to `pixelSize`² and compared as vectors of [0, 1] values; `'features'`: compared
   * in the space of `extractor` (given image tensors) or as given (feature matrices).
   */
  space: 'pixel' | 'features';
  /** Closest training images listed per generated image (default 3). */
  k?: number;
  /** Required for `space: 'features'` with image tensors. */
  extractor?: FeatureExtractor;
  /** Side of the pixel comparison (default 64). */
  pixelSize?: number;
  /** The reference distance is this quantile of the training set's nearest-neighbour distances (default 0.5). */
  quantile?: number;
  /** A generated image is flagged when its distance is below threshold × the reference distance (default 1/3). */
  threshold?: number;
  /** Images per batch for the extractor (default 16). */
  batchSize?: number;
  backend?: Backend;
}

/** The result of {@link nearestNeighbours}. */
export interface NearestNeighboursResult {
  space: 'pixel' | 'features';
  k: number;
  /** `index[i * k + j]`: the j-th closest training image to generated image i. */
  index: Int32Array;
  /** The matching Euclidean distances (float64, ascending per image). */
  distance: Float64Array;
  /** Each training image's distance to its closest other training image. */
  trainingNearest: Float64Array;
  /** The reference: the `quantile` of `trainingNearest`. */
  reference: number;
  quantile: number;
  threshold: number;
  /** distance to the closest training image / reference, per generated image (0 for an exact copy). */
  relative: Float64Array;
  /** Generated images with relative < threshold, most similar first. */
  flagged: number[];
  /** flagged.length / number of generated images. */
  fractionFlagged: number;
}

/**
 * Vectors of images in [0, 1] [N, C, H, W] for the pixel-space comparison: area-averaged to size × size, flattened.
 *
 * @example
 * const v = await pixelVectors(images, 64); // { n, d: 3 · 64 · 64, data }
 */
export async function pixelVectors(images: Tensor, size = 64): Promise<FeatureMatrix> {
  if (images.ndim !== 4) throw new Error(`pixelVectors: expected images [N, C, H, W], got [${images.shape.join(', ')}]`);
  if (!Number.isInteger(size) || size < 1) throw new Error(`pixelVectors: size must be a positive integer, got ${size}`);
  const t = noGrad(() => tidy(() => adaptiveAvgPool2d(images, size).reshape([images.shape[0]!, -1])));
  try {
    return { n: t.shape[0]!, d: t.shape[1]!, data: Float32Array.from((await t.data()) as Float32Array) };
  } finally {
    t.dispose();
  }
}

async function vectors(fn: string, x: Tensor | Features, o: NearestNeighboursOptions, what: string): Promise<{ data: Float64Array; n: number; d: number }> {
  if (x instanceof Tensor && x.ndim === 4) {
    if (o.space === 'pixel') return toMatrix(await pixelVectors(x, o.pixelSize ?? 64), fn, what);
    if (!o.extractor) throw new Error(`${fn}: space 'features' with images needs options.extractor (a FeatureExtractor)`);
    return toMatrix(await extractFeatures(o.extractor, x, { batchSize: o.batchSize ?? 16 }), fn, what);
  }
  return toMatrix(x as Features, fn, what);
}

/** Indices of the k smallest values (ascending), index `skip` excluded. */
function kSmallest(vals: Float64Array, k: number, skip: number): number[] {
  const best: number[] = [];
  for (let j = 0; j < vals.length; j++) {
    if (j === skip) continue;
    if (best.length === k) {
      if (vals[j]! >= vals[best[k - 1]!]!) continue;
      best[k - 1] = j;
    } else {
      best.push(j);
    }
    for (let p = best.length - 1; p > 0 && vals[best[p - 1]!]! > vals[best[p]!]!; p--) [best[p - 1], best[p]] = [best[p]!, best[p - 1]!];
  }
  return best;
}

/** Exact float64 Euclidean distance of rows. */
function dist(x: Float64Array, i: number, y: Float64Array, j: number, d: number): number {
  let s = 0;
  for (let c = 0; c < d; c++) { const t = x[i * d + c]! - y[j * d + c]!; s += t * t; }
  return Math.sqrt(s);
}

/**
 * For each generated image (a row of `samples`), its `k` closest training images and distances; the training set's
 * own nearest-neighbour distances (leave one out); and the generated images whose closest training image is nearer
 * than `threshold` × the `quantile` of those (flagged, most similar first). Candidates come from float32 inner
 * products on the backend; the `k + 8` best per image are re-measured in float64.
 *
 * @example
 * const r = await nearestNeighbours(generated, training, { space: 'pixel', k: 3 });
 * console.log(`${(100 * r.fractionFlagged).toFixed(1)} % of the samples are near-copies`, r.flagged);
 */
export async function nearestNeighbours(samples: Tensor | Features, training: Tensor | Features, options: NearestNeighboursOptions): Promise<NearestNeighboursResult> {
  const fn = 'nearestNeighbours';
  if (options?.space !== 'pixel' && options?.space !== 'features') throw new Error(`${fn}: space must be 'pixel' or 'features', got '${String(options?.space)}'`);
  const k = options.k ?? 3;
  const quantile = options.quantile ?? 0.5;
  const threshold = options.threshold ?? 1 / 3;
  if (!Number.isInteger(k) || k < 1) throw new Error(`${fn}: k must be a positive integer, got ${k}`);
  if (!(quantile >= 0 && quantile <= 1)) throw new Error(`${fn}: quantile must be in [0, 1], got ${quantile}`);
  if (!(threshold > 0) || !Number.isFinite(threshold)) throw new Error(`${fn}: threshold must be a positive number, got ${threshold}`);
  const s = await vectors(fn, samples, options, 'generated images');
  const t = await vectors(fn, training, options, 'training images');
  if (s.d !== t.d) throw new Error(`${fn}: the generated and training vectors differ in length (${s.d} vs ${t.d}); in pixel space both sets are pooled to the same size, so check the channel counts`);
  if (t.n < 2) throw new Error(`${fn}: the training set needs at least 2 images (its own nearest-neighbour distances are the reference)`);
  if (k > t.n) throw new Error(`${fn}: k = ${k} exceeds the ${t.n} training images`);
  const norm = (m: { data: Float64Array; n: number; d: number }): Float64Array => {
    const out = new Float64Array(m.n);
    for (let i = 0; i < m.n; i++) { let v = 0; for (let c = 0; c < m.d; c++) v += m.data[i * m.d + c]! ** 2; out[i] = v; }
    return out;
  };
  const ns = norm(s);
  const nt = norm(t);
  const cand = Math.min(t.n, k + 8);
  const index = new Int32Array(s.n * k);
  const distance = new Float64Array(s.n * k);
  const row = new Float64Array(t.n);
  await forEachGramChunk(s.data, s.n, t.data, t.n, s.d, options.backend, (r0, rows, dots) => {
    for (let r = 0; r < rows; r++) {
      const i = r0 + r;
      for (let j = 0; j < t.n; j++) row[j] = ns[i]! + nt[j]! - 2 * dots[r * t.n + j]!;
      const exact = kSmallest(row, cand, -1).map((j) => [j, dist(s.data, i, t.data, j, s.d)] as const).sort((a, b) => a[1] - b[1]);
      for (let q = 0; q < k; q++) { index[i * k + q] = exact[q]![0]; distance[i * k + q] = exact[q]![1]; }
    }
  });
  const trainingNearest = new Float64Array(t.n);
  await forEachGramChunk(t.data, t.n, t.data, t.n, t.d, options.backend, (r0, rows, dots) => {
    for (let r = 0; r < rows; r++) {
      const i = r0 + r;
      for (let j = 0; j < t.n; j++) row[j] = nt[i]! + nt[j]! - 2 * dots[r * t.n + j]!;
      const c = kSmallest(row, Math.min(t.n - 1, 9), i).map((j) => dist(t.data, i, t.data, j, t.d));
      trainingNearest[i] = Math.min(...c);
    }
  });
  const sorted = Float64Array.from(trainingNearest).sort();
  const pos = quantile * (sorted.length - 1);
  const lo = Math.floor(pos);
  const reference = sorted[lo]! + (pos - lo) * (sorted[Math.min(lo + 1, sorted.length - 1)]! - sorted[lo]!);
  const relative = new Float64Array(s.n);
  for (let i = 0; i < s.n; i++) relative[i] = reference > 0 ? distance[i * k]! / reference : distance[i * k]! === 0 ? 0 : Infinity;
  const flagged = Array.from({ length: s.n }, (_, i) => i).filter((i) => relative[i]! < threshold).sort((a, b) => relative[a]! - relative[b]!);
  return { space: options.space, k, index, distance, trainingNearest, reference, quantile, threshold, relative, flagged, fractionFlagged: flagged.length / s.n };
}
