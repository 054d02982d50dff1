// The demo's dataset: the bundled IHC image cut into non-overlapping patches labelled by stain composition, split by
// region (whole blocks of patches) into train / validation / test, with a few labelled patches per class and the rest
// of the training region as the unlabelled pool a generator can be pretrained on.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HostRandom } from '@radix/augment';
import { readImage } from '../images.js';
import { HED_CLASSES, HED_RULE, hedLabel } from './hed-label.js';
import { classCounts, selectPatches, type PatchDataset, type PatchOrigin, type PatchSet } from './patch-set.js';

/** The bundled 512×512 IHC image (scikit-image's `immunohistochemistry`; see data/README.md). */
export const BUNDLED_IHC: string = ['../../data/ihc.png', '../data/ihc.png']
  .map((p) => fileURLToPath(new URL(p, import.meta.url)))
  .find((p) => existsSync(p)) ?? fileURLToPath(new URL('../data/ihc.png', import.meta.url));

/** Options of {@link buildIhcDataset}. */
export interface IhcDatasetOptions {
  /** The image (default the bundled one). */
  path?: string;
  /** Patch side (default 32). */
  size?: number;
  /** Side of the square regions assigned to one split, a multiple of `size` (default 64: 2×2 patches). */
  block?: number;
  /** Share of the regions held out for testing (default 0.25) and validation (default 0.15). */
  testFraction?: number;
  valFraction?: number;
  /** Labelled training patches per class (default 20); the rest of the training region is the unlabelled pool. */
  labelledPerClass?: number;
  /** Seed of the region draw and the labelled subset (default 7). */
  seed?: number;
}

function cutAll(path: string, size: number): { set: PatchSet; width: number; height: number } {
  const img = readImage(path);
  const cols = Math.floor(img.width / size);
  const rows = Math.floor(img.height / size);
  const plane = size * size;
  const images = new Float32Array(cols * rows * 3 * plane);
  const labels = new Int32Array(cols * rows);
  const origins: PatchOrigin[] = [];
  const name = path === BUNDLED_IHC ? 'ihc.png' : path;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      const chw = images.subarray(k * 3 * plane, (k + 1) * 3 * plane);
      for (let ch = 0; ch < 3; ch++) {
        for (let j = 0; j < size; j++) {
          const src = ch * img.width * img.height + (r * size + j) * img.width + c * size;
          chw.set(img.data.subarray(src, src + size), ch * plane + j * size);
        }
      }
      labels[k] = hedLabel(chw, size);
      origins.push({ source: name, x: c * size, y: r * size });
    }
  }
  return { set: { images, labels, origins }, width: img.width, height: img.height };
}

/**
 * Builds the demo dataset. Every patch of a `block`×`block` region goes to one split, regions are drawn (seeded,
 * redrawn up to 500 times) until validation and test hold at least 3 patches of every class and the training region
 * at least `labelledPerClass`; then `labelledPerClass` patches per class are drawn as the labelled set and every
 * other training-region patch joins the pool with label -1. Patches do not overlap, so no validation or test pixel is
 * in a training or pool patch.
 *
 * @example
 * const ds = buildIhcDataset(); // 3 classes, 32×32, train 60 labelled, pool ~90, val ~38, test ~64
 */
export function buildIhcDataset(options: IhcDatasetOptions = {}): PatchDataset {
  const path = options.path ?? BUNDLED_IHC;
  const size = options.size ?? 32;
  const block = options.block ?? 64;
  const testFraction = options.testFraction ?? 0.25;
  const valFraction = options.valFraction ?? 0.15;
  const perClass = options.labelledPerClass ?? 20;
  const seed = options.seed ?? 7;
  if (!Number.isInteger(size) || size < 4) throw new Error(`buildIhcDataset: size must be an integer ≥ 4, got ${size}`);
  if (!Number.isInteger(block / size) || block < size) throw new Error(`buildIhcDataset: block ${block} must be a multiple of the patch size ${size}`);
  if (!(testFraction > 0 && valFraction > 0 && testFraction + valFraction < 1)) throw new Error(`buildIhcDataset: test (${testFraction}) and validation (${valFraction}) fractions must be positive with a sum below 1`);
  const { set: all, width, height } = cutAll(path, size);
  const k = HED_CLASSES.length;
  const cols = Math.floor(width / size);
  const per = block / size;
  const regionOf = all.origins.map((o) => Math.floor(o.y / block) * Math.ceil(cols / per) + Math.floor(o.x / block));
  const regions = [...new Set(regionOf)];
  const nTest = Math.max(1, Math.round(regions.length * testFraction));
  const nVal = Math.max(1, Math.round(regions.length * valFraction));
  const rng = new HostRandom(seed);
  for (let attempt = 0; attempt < 500; attempt++) {
    const order = [...regions];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.randint(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const split = new Map<number, 'test' | 'val' | 'train'>();
    order.forEach((r, i) => split.set(r, i < nTest ? 'test' : i < nTest + nVal ? 'val' : 'train'));
    const ids = { train: [] as number[], val: [] as number[], test: [] as number[] };
    regionOf.forEach((r, i) => ids[split.get(r)!].push(i));
    const counts = (list: number[]): number[] => classCounts(selectPatches(all, list, size), k);
    if (counts(ids.test).some((c) => c < 3) || counts(ids.val).some((c) => c < 3) || counts(ids.train).some((c) => c < perClass)) continue;
    const labelled: number[] = [];
    const pool: number[] = [];
    for (let c = 0; c < k; c++) {
      const mine = ids.train.filter((i) => all.labels[i] === c);
      for (let i = mine.length - 1; i > 0; i--) {
        const j = rng.randint(0, i);
        [mine[i], mine[j]] = [mine[j]!, mine[i]!];
      }
      labelled.push(...mine.slice(0, perClass));
      pool.push(...mine.slice(perClass));
    }
    labelled.sort((a, b) => a - b);
    pool.sort((a, b) => a - b);
    const poolSet = selectPatches(all, pool, size);
    poolSet.labels.fill(-1);
    const ds: PatchDataset = {
      classes: [...HED_CLASSES], size,
      train: selectPatches(all, labelled, size), val: selectPatches(all, ids.val, size), test: selectPatches(all, ids.test, size), pool: poolSet,
      description: [
        `${path === BUNDLED_IHC ? 'bundled ihc.png (scikit-image immunohistochemistry, 512×512)' : path}: ${all.labels.length} non-overlapping ${size}×${size} patches`,
        `labels from colour deconvolution (HED_FROM_RGB): low-stain when mean H + DAB density < ${HED_RULE.minStain}, DAB when DAB ≥ ${HED_RULE.dabShare} of H + DAB, else mixed (haematoxylin with DAB)`,
        `split by ${block}×${block} regions (seed ${seed}, draw ${attempt + 1}): ${nTest} test, ${nVal} validation, ${regions.length - nTest - nVal} training regions`,
        `labelled: ${perClass} per class drawn from the training region; pool: the other ${pool.length} training-region patches, unlabelled`,
      ],
      warnings: [],
    };
    return ds;
  }
  throw new Error(`buildIhcDataset: no draw of ${block}-pixel regions gave every class ≥ 3 validation and test patches and ≥ ${perClass} training patches (class totals ${classCounts(all, k).join('/')}); lower labelledPerClass or the block size`);
}
