// A user's labelled set as an experiment dataset: a folder with one subfolder per class, each source image assigned
// whole to train, validation or test (so no test patch shares a pixel with a training patch), cut into patches.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HostRandom } from '@radix/augment';
import { listImageFolder, readImage, type DecodedImage } from '../images.js';
import { classCounts, concatPatches, emptyPatchSet, selectPatches, type PatchDataset, type PatchOrigin, type PatchSet } from './patch-set.js';

/** Options of {@link buildFolderDataset}. */
export interface FolderDatasetOptions {
  /** The folder with one subfolder per class. */
  root: string;
  /** Patch side; default: the images' side when all are square and one size (required otherwise). */
  size?: number;
  /** Share of each class's images for validation (default 0.2) and test (default 0.2); at least one image each. */
  valFraction?: number;
  testFraction?: number;
  /** Labelled training patches per class (default all); the rest join the unlabelled pool. */
  labelledPerClass?: number;
  /** A folder of unlabelled images (any class) whose patches join the pool. */
  pool?: string;
  /** Seed of the split (default 7). */
  seed?: number;
}

function classFolders(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => !n.startsWith('.') && statSync(join(root, n)).isDirectory()).sort();
  } catch (e) {
    throw new Error(`dataset: cannot read the class folder '${root}': ${(e as Error).message}`);
  }
  if (names.length < 2) throw new Error(`dataset: '${root}' must hold one subfolder per class (at least 2), found ${names.length === 0 ? 'none' : `only '${names[0]}'`}`);
  return names;
}

function cut(img: DecodedImage, size: number, label: number, source: string): PatchSet {
  if (img.width < size || img.height < size) throw new Error(`dataset: '${img.path}' is ${img.width}×${img.height}, smaller than the ${size}×${size} patches`);
  const cols = Math.floor(img.width / size);
  const rows = Math.floor(img.height / size);
  const plane = size * size;
  const images = new Float32Array(cols * rows * 3 * plane);
  const origins: PatchOrigin[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const k = r * cols + c;
      for (let ch = 0; ch < 3; ch++) {
        for (let j = 0; j < size; j++) {
          const src = ch * img.width * img.height + (r * size + j) * img.width + c * size;
          images.set(img.data.subarray(src, src + size), k * 3 * plane + ch * plane + j * size);
        }
      }
      origins.push({ source, x: c * size, y: r * size });
    }
  }
  return { images, labels: new Int32Array(cols * rows).fill(label), origins };
}

/**
 * Builds a dataset from `root/<class>/*.png|jpg`. Per class, images are shuffled (seeded) and split whole into
 * test, validation and train; each image is cut into non-overlapping `size`×`size` patches (a `size`×`size` image is
 * one patch). Refuses, naming the folder or file: fewer than 2 classes, a class with fewer than 3 images, an image
 * smaller than a patch, unreadable images. Warns (in `warnings`) about unequal classes (training batches are
 * class-balanced) and about grayscale or RGBA files (converted to RGB).
 *
 * @example
 * const ds = buildFolderDataset({ root: 'data/labelled', size: 64 });
 */
export function buildFolderDataset(options: FolderDatasetOptions): PatchDataset {
  const root = resolve(options.root);
  const valFraction = options.valFraction ?? 0.2;
  const testFraction = options.testFraction ?? 0.2;
  if (!(valFraction > 0 && testFraction > 0 && valFraction + testFraction < 1)) throw new Error(`dataset: valFraction (${valFraction}) and testFraction (${testFraction}) must be positive with a sum below 1`);
  const classes = classFolders(root);
  const files = classes.map((c) => listImageFolder(join(root, c)).names.map((n) => join(root, c, n)));
  classes.forEach((c, i) => {
    const n = files[i]!.length;
    if (n < 3) throw new Error(`dataset: class '${c}' (${join(root, c)}) has ${n} image${n === 1 ? '' : 's'}; splitting by source image into train, validation and test needs at least 3 per class`);
  });
  const decoded = files.map((list) => list.map((f) => readImage(f)));
  const flat = decoded.flat();
  let size = options.size;
  if (size === undefined) {
    const s = flat[0]!.width;
    const odd = flat.find((im) => im.width !== s || im.height !== s);
    if (odd) throw new Error(`dataset: images differ in size ('${flat[0]!.path}' ${s}×${flat[0]!.height}, '${odd.path}' ${odd.width}×${odd.height}); set the patch size`);
    size = s;
  }
  if (!Number.isInteger(size) || size < 4) throw new Error(`dataset: the patch size must be an integer ≥ 4, got ${size}`);
  const warnings: string[] = [];
  const counts = files.map((l) => l.length);
  if (Math.max(...counts) !== Math.min(...counts)) warnings.push(`classes are unequal (${classes.map((c, i) => `${c}: ${counts[i]} images`).join(', ')}); training batches are class-balanced and balanced accuracy is reported`);
  for (const note of ['grayscale replicated to RGB', 'alpha channel dropped', '16-bit samples scaled by 1/65535']) {
    const hit = flat.filter((im) => im.notes.includes(note)).map((im) => im.path);
    if (hit.length) warnings.push(`${note} in ${hit.length} image(s): ${hit.slice(0, 5).join(', ')}${hit.length > 5 ? ', …' : ''}`);
  }
  const rng = new HostRandom(options.seed ?? 7);
  const parts = { train: [] as PatchSet[], val: [] as PatchSet[], test: [] as PatchSet[], pool: [] as PatchSet[] };
  decoded.forEach((list, label) => {
    const order = list.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng.randint(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const nTest = Math.max(1, Math.round(list.length * testFraction));
    const nVal = Math.max(1, Math.round(list.length * valFraction));
    order.forEach((i, rank) => {
      const img = list[i]!;
      const set = cut(img, size!, label, img.path.slice(root.length + 1));
      (rank < nTest ? parts.test : rank < nTest + nVal ? parts.val : parts.train).push(set);
    });
  });
  let train = concatPatches(parts.train);
  const pool: PatchSet[] = [];
  if (options.labelledPerClass !== undefined) {
    const keep: number[] = [];
    const rest: number[] = [];
    for (let c = 0; c < classes.length; c++) {
      const mine = [...train.labels.keys()].filter((i) => train.labels[i] === c);
      if (mine.length < options.labelledPerClass) throw new Error(`dataset: class '${classes[c]}' has ${mine.length} training patches, fewer than labelledPerClass ${options.labelledPerClass}`);
      for (let i = mine.length - 1; i > 0; i--) {
        const j = rng.randint(0, i);
        [mine[i], mine[j]] = [mine[j]!, mine[i]!];
      }
      keep.push(...mine.slice(0, options.labelledPerClass));
      rest.push(...mine.slice(options.labelledPerClass));
    }
    const p = selectPatches(train, rest.sort((a, b) => a - b), size);
    p.labels.fill(-1);
    pool.push(p);
    train = selectPatches(train, keep.sort((a, b) => a - b), size);
  }
  if (options.pool) {
    const dir = resolve(options.pool);
    for (const n of listImageFolder(dir).names) {
      const p = cut(readImage(join(dir, n)), size, -1, join(dir, n));
      pool.push(p);
    }
  }
  const ds: PatchDataset = {
    classes, size, train, val: concatPatches(parts.val), test: concatPatches(parts.test),
    pool: pool.length ? concatPatches(pool) : emptyPatchSet(),
    description: [
      `${root}: ${classes.length} classes (${classes.map((c, i) => `${c} ${counts[i]}`).join(', ')} images), non-overlapping ${size}×${size} patches`,
      `split by source image (seed ${options.seed ?? 7}): per class ${Math.round(testFraction * 100)} % test, ${Math.round(valFraction * 100)} % validation (at least one image each), the rest training`,
      options.labelledPerClass !== undefined ? `labelled: ${options.labelledPerClass} training patches per class; the rest join the pool` : 'labelled: every training patch',
      options.pool ? `pool: unlabelled patches of ${resolve(options.pool)}` : '',
    ].filter((l) => l !== ''),
    warnings,
  };
  for (const [name, set] of [['validation', ds.val], ['test', ds.test], ['train', ds.train]] as const) {
    const c = classCounts(set, classes.length);
    if (c.some((v) => v === 0)) throw new Error(`dataset: the ${name} split has no patch of class '${classes[c.indexOf(0)]}'`);
  }
  return ds;
}
