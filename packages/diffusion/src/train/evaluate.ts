// What the trainer measures on its periodic samples: a PNG grid to look at, MS-SSIM diversity (collapse shows as high
// similarity), each sample's distance to its nearest training image (early memorisation), and FID/KID with Inception.
import {
  FidInceptionV3, MS_SSIM_WEIGHTS, featureStats, frechetDistance, inceptionFeatures, kid, loadFidInceptionWeights, msSsimValues,
  nearestNeighbours,
} from '@radix/metrics';
import { type Tensor, atomicWriteFile, noGrad, tensor, tidy } from '@radix/tensor-webgpu';
import pngjs from 'pngjs';

/** Metrics of one set of samples. */
export interface SampleMetrics {
  /** Mean MS-SSIM over all pairs of samples (1 = identical, lower = more diverse); null when the images are under 11 px. */
  msSsimDiversity: number | null;
  /** Scales used for MS-SSIM (as many of torchmetrics' 5 as the size allows, weights renormalised). */
  msSsimScales: number;
  /** Mean and minimum pixel-space distance from a sample to its nearest training image. */
  nearestTrainMean: number;
  nearestTrainMin: number;
  /** The training set's own median nearest-neighbour distance (the reference a copy is judged against). */
  trainingNearestMedian: number;
  /** Fraction of samples closer to a training image than 1/3 of that reference (near-copies). */
  fractionNearCopies: number;
  fid: number | null;
  kid: number | null;
}

/**
 * Lays out images [N, C, H, W] in [0, 1] (C = 1 or 3) as a near-square grid with 2 px white gaps and writes it as an
 * 8-bit RGB PNG atomically.
 *
 * @example
 * await writeImageGrid('samples/step-00005000.png', images);
 */
export async function writeImageGrid(path: string, images: Tensor, gap = 2): Promise<void> {
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (images.ndim !== 4 || (c !== 1 && c !== 3)) throw new Error(`writeImageGrid: expected [N, 1 or 3, H, W], got [${images.shape.join(', ')}]`);
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const width = cols * w + (cols + 1) * gap;
  const height = rows * h + (rows + 1) * gap;
  const png = new pngjs.PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false });
  const rgba = Buffer.alloc(width * height * 4, 255);
  const px = (await images.data()) as Float32Array;
  for (let i = 0; i < n; i++) {
    const x0 = gap + (i % cols) * (w + gap);
    const y0 = gap + Math.floor(i / cols) * (h + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const o = ((y0 + y) * width + x0 + x) * 4;
        for (let k = 0; k < 3; k++) {
          const v = px[((i * c + (c === 1 ? 0 : k)) * h + y) * w + x]!;
          rgba[o + k] = Math.round(Math.min(1, Math.max(0, v)) * 255);
        }
      }
    }
  }
  png.data = rgba;
  await atomicWriteFile(path, [pngjs.PNG.sync.write(png, { colorType: 2 })]);
}

/** Number of MS-SSIM scales an image side allows (11 · 2^(S−1) ≤ side, at most 5). */
export function msSsimScalesFor(side: number): number {
  let s = 0;
  while (s < MS_SSIM_WEIGHTS.length && 11 * 2 ** s <= side) s++;
  return s;
}

/**
 * Mean MS-SSIM over all pairs of `samples` [N, C, H, W] in [0, 1] (diversity: lower is more diverse), with as many
 * scales as the size allows and the first weights renormalised to sum to 1; null below 11 px.
 *
 * @example
 * const d = await pairwiseMsSsim(samples); // e.g. 0.12
 */
export async function pairwiseMsSsim(samples: Tensor): Promise<{ value: number | null; scales: number }> {
  const [n, , h, w] = samples.shape as [number, number, number, number];
  const scales = msSsimScalesFor(Math.min(h, w));
  if (scales === 0 || n < 2) return { value: null, scales };
  const raw = MS_SSIM_WEIGHTS.slice(0, scales);
  const sum = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((v) => v / sum);
  const ia: number[] = [];
  const ib: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { ia.push(i); ib.push(j); }
  const v = noGrad(() => tidy(() => {
    const idx = (list: number[]) => samples.indexSelect(0, tensor(Int32Array.from(list), { backend: samples.backend, dtype: 'int32' }));
    return msSsimValues(idx(ia), idx(ib), { dataRange: 1, weights }).mean();
  }));
  const value = await v.item();
  v.dispose();
  return { value, scales };
}

/** Inception network and the training set's features, loaded once per run. */
export interface InceptionCache {
  net: FidInceptionV3;
  trainingPool3: { data: Float32Array; n: number; d: number };
}

/**
 * Loads pytorch-fid's Inception weights and computes the training images' pool3 features.
 *
 * @example
 * const cache = await prepareInception('pt_inception-2015-12-05-6726825d.pth', training);
 */
export async function prepareInception(weightsPath: string, training: Tensor): Promise<InceptionCache> {
  const weights = await loadFidInceptionWeights({ path: weightsPath, backend: training.backend });
  const net = new FidInceptionV3(weights);
  const f = await inceptionFeatures(net, rgb(training), { batchSize: 8 });
  return { net, trainingPool3: { data: f.pool3, n: f.count, d: 2048 } };
}

function rgb(x: Tensor): Tensor {
  return x.shape[1] === 3 ? x : x.expand([x.shape[0]!, 3, x.shape[2]!, x.shape[3]!]);
}

/**
 * Every metric of a set of samples against the training images (both [N, C, H, W] in [0, 1]).
 *
 * @example
 * const m = await sampleMetrics(samples, training, null);
 * m.msSsimDiversity; m.nearestTrainMean;
 */
export async function sampleMetrics(samples: Tensor, training: Tensor, inception: InceptionCache | null): Promise<SampleMetrics> {
  const div = await pairwiseMsSsim(samples);
  const side = Math.min(samples.shape[2]!, samples.shape[3]!, 64);
  const nn = await nearestNeighbours(samples, training, { space: 'pixel', pixelSize: side, k: 1 });
  const d = Array.from(nn.distance);
  let fid: number | null = null;
  let kidValue: number | null = null;
  if (inception) {
    const f = await inceptionFeatures(inception.net, rgb(samples), { batchSize: 8 });
    const fake = { data: f.pool3, n: f.count, d: 2048 };
    fid = frechetDistance(await featureStats(inception.trainingPool3), await featureStats(fake));
    const m = Math.min(fake.n, inception.trainingPool3.n);
    kidValue = m >= 2 ? (await kid(inception.trainingPool3, fake, { subsets: 10, subsetSize: m })).mean : null;
  }
  return {
    msSsimDiversity: div.value,
    msSsimScales: div.scales,
    nearestTrainMean: d.reduce((a, b) => a + b, 0) / d.length,
    nearestTrainMin: Math.min(...d),
    trainingNearestMedian: nn.reference,
    fractionNearCopies: nn.fractionFlagged,
    fid,
    kid: kidValue,
  };
}

/** @internal Frees an Inception cache. */
export function disposeInception(cache: InceptionCache | null): void {
  if (cache) cache.net.dispose();
}
