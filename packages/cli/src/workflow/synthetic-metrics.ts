// How good a synthetic set is, for the report: precision/recall and density/coverage against the labelled patches,
// MS-SSIM diversity, the memorisation check's closest pairs, and FID/KID when the FID Inception weights are given.
import {
  densityCoverage, extractFeatures, featureStats, frechetDistance, kid, loadFeatureExtractor, msSsim, MS_SSIM_WEIGHTS, nearestNeighbours,
  precisionRecall,
} from '@radix/metrics';
import { HostRandom } from '@radix/augment';
import { tensor, type Backend, type Tensor } from '@radix/tensor-webgpu';
import { patchCount, type PatchSet } from './patch-set.js';

/** The numbers of one synthetic set. */
export interface SyntheticMetrics {
  /** Feature space of precision/recall and density/coverage. */
  space: string;
  nReal: number;
  nSynthetic: number;
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  /** Mean MS-SSIM of random pairs (lower: more diverse) in the synthetic and in the real set, with the scales used. */
  msSsim: { synthetic: number; real: number; pairs: number; scales: number };
  /** Closest training patch of the synthetic images nearest to one (pixel space). */
  memorisation: { reference: number; fractionFlagged: number; closest: { synthetic: number; train: number; distance: number; relative: number }[] };
  /** FID and KID (Inception pool3), or null with `fidNote` saying why. */
  fid: number | null;
  kid: number | null;
  fidNote: string;
}

function toTensor(set: PatchSet, size: number, backend: Backend): Tensor {
  return tensor(set.images, { shape: [patchCount(set, size), 3, size, size], backend });
}

async function meanMsSsim(set: PatchSet, size: number, backend: Backend, pairs: number, seed: number, weights: number[]): Promise<number> {
  const n = patchCount(set, size);
  const rng = new HostRandom(seed, 7);
  const per = 3 * size * size;
  const a = new Float32Array(pairs * per);
  const b = new Float32Array(pairs * per);
  for (let p = 0; p < pairs; p++) {
    const i = rng.randint(0, n - 1);
    let j = rng.randint(0, n - 2);
    if (j >= i) j++;
    a.set(set.images.subarray(i * per, (i + 1) * per), p * per);
    b.set(set.images.subarray(j * per, (j + 1) * per), p * per);
  }
  const ta = tensor(a, { shape: [pairs, 3, size, size], backend });
  const tb = tensor(b, { shape: [pairs, 3, size, size], backend });
  const r = await msSsim(ta, tb, { dataRange: 1, weights });
  ta.dispose();
  tb.dispose();
  return r.mean;
}

/**
 * Computes {@link SyntheticMetrics} of `synthetic` against `real` (the labelled training patches). Precision/recall
 * (k = 3) and density/coverage (k = 5) compare flattened pixels; MS-SSIM uses as many of the standard five scales as
 * the patch size allows (the weights of those scales, renormalised); FID/KID need `inceptionWeights`.
 *
 * @example
 * const m = await syntheticMetrics(ds.train, synthetic, 32, backend, { inceptionWeights: null, seed: 1 });
 */
export async function syntheticMetrics(real: PatchSet, synthetic: PatchSet, size: number, backend: Backend, options: { inceptionWeights: string | null; seed: number }): Promise<SyntheticMetrics> {
  const nReal = patchCount(real, size);
  const nSyn = patchCount(synthetic, size);
  const r = { data: real.images, n: nReal, d: 3 * size * size };
  const s = { data: synthetic.images, n: nSyn, d: 3 * size * size };
  const pr = await precisionRecall(r, s, { k: 3, backend });
  const dc = await densityCoverage(r, s, { k: 5, backend });
  let scales = MS_SSIM_WEIGHTS.length;
  while (scales > 1 && 10 * 2 ** (scales - 1) >= size) scales--;
  const w = MS_SSIM_WEIGHTS.slice(0, scales);
  const sum = w.reduce((x, y) => x + y, 0);
  const weights = w.map((v) => v / sum);
  const pairs = 64;
  const msSyn = await meanMsSsim(synthetic, size, backend, pairs, options.seed, weights);
  const msReal = await meanMsSsim(real, size, backend, pairs, options.seed, weights);
  const tr = toTensor(real, size, backend);
  const ts = toTensor(synthetic, size, backend);
  const nn = await nearestNeighbours(ts, tr, { space: 'pixel', pixelSize: size, k: 1, backend });
  const order = [...nn.relative.keys()].sort((a, b) => nn.relative[a]! - nn.relative[b]!).slice(0, 8);
  let fid: number | null = null;
  let kidValue: number | null = null;
  let fidNote = 'FID/KID not computed: set "inceptionWeights" in the experiment config to the FID Inception weights (pt_inception-2015-12-05-6726825d.pth from pytorch-fid\'s release; nothing is downloaded)';
  if (options.inceptionWeights) {
    const ext = await loadFeatureExtractor('inception', { weights: options.inceptionWeights, backend });
    const fr = await extractFeatures(ext, tr);
    const fs = await extractFeatures(ext, ts);
    fid = frechetDistance(await featureStats(fr), await featureStats(fs));
    const size2 = Math.min(fr.n, fs.n, 100);
    kidValue = (await kid(fr, fs, { subsetSize: size2 })).mean;
    fidNote = `FID/KID: FID Inception-v3 pool3 features of ${fr.n} real and ${fs.n} synthetic patches (resized to 299 by the extractor); small sets bias FID upwards`;
  }
  tr.dispose();
  ts.dispose();
  return {
    space: `pixels (3·${size}·${size} values in [0, 1])`, nReal, nSynthetic: nSyn, ...pr, ...dc,
    msSsim: { synthetic: msSyn, real: msReal, pairs, scales },
    memorisation: {
      reference: nn.reference, fractionFlagged: nn.fractionFlagged,
      closest: order.map((i) => ({ synthetic: i, train: nn.index[i]!, distance: nn.distance[i]!, relative: nn.relative[i]! })),
    },
    fid, kid: kidValue, fidNote,
  };
}
