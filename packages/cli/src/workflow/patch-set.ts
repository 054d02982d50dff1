// The data the experiments pass around: square RGB patches in memory (CHW float32 in [0, 1]) with labels and where
// each patch was cut, grouped into the splits of a dataset.

/** Where a patch was cut: the source image (path relative to the dataset root, or the bundled image's name) and its corner. */
export interface PatchOrigin {
  source: string;
  x: number;
  y: number;
}

/** N square patches of one size. */
export interface PatchSet {
  /** N · 3 · size · size values in [0, 1], patch after patch, each channel-planar (R, G, B). */
  images: Float32Array;
  /** Class index of each patch; -1 in an unlabelled pool. */
  labels: Int32Array;
  origins: PatchOrigin[];
}

/** A dataset split so that no test or validation patch shares a pixel with a training patch. */
export interface PatchDataset {
  /** Class names, in label order. */
  classes: string[];
  /** Side of every patch in pixels. */
  size: number;
  /** The labelled training patches (the few labelled images of the experiment). */
  train: PatchSet;
  /** Validation patches (early stopping). */
  val: PatchSet;
  /** Test patches (the reported numbers). */
  test: PatchSet;
  /** Unlabelled patches of the training region (pretraining a generator); may be empty. */
  pool: PatchSet;
  /** How the dataset was built (source, labelling rule, split), one line each. */
  description: string[];
  /** Problems that were tolerated (imbalance, converted colour types), one line each. */
  warnings: string[];
}

/**
 * The number of patches in a set.
 *
 * @example
 * patchCount(ds.train, ds.size); // 60
 */
export function patchCount(set: PatchSet, size: number): number {
  return set.images.length / (3 * size * size);
}

/**
 * An empty patch set.
 *
 * @example
 * const pool = emptyPatchSet();
 */
export function emptyPatchSet(): PatchSet {
  return { images: new Float32Array(0), labels: new Int32Array(0), origins: [] };
}

/**
 * Patches `ids` of `set` as a new set.
 *
 * @example
 * const firstTwo = selectPatches(ds.train, [0, 1], ds.size);
 */
export function selectPatches(set: PatchSet, ids: readonly number[], size: number): PatchSet {
  const p = 3 * size * size;
  const images = new Float32Array(ids.length * p);
  ids.forEach((id, k) => images.set(set.images.subarray(id * p, (id + 1) * p), k * p));
  return { images, labels: Int32Array.from(ids, (id) => set.labels[id]!), origins: ids.map((id) => set.origins[id]!) };
}

/**
 * Concatenates patch sets of one size.
 *
 * @example
 * const both = concatPatches([real, synthetic]);
 */
export function concatPatches(sets: readonly PatchSet[]): PatchSet {
  const images = new Float32Array(sets.reduce((s, x) => s + x.images.length, 0));
  const labels = new Int32Array(sets.reduce((s, x) => s + x.labels.length, 0));
  let a = 0;
  let b = 0;
  for (const s of sets) {
    images.set(s.images, a);
    labels.set(s.labels, b);
    a += s.images.length;
    b += s.labels.length;
  }
  return { images, labels, origins: sets.flatMap((s) => s.origins) };
}

/**
 * Patches per class (index = class).
 *
 * @example
 * classCounts(ds.train, 3); // [20, 20, 20]
 */
export function classCounts(set: PatchSet, numClasses: number): number[] {
  const c = new Array<number>(numClasses).fill(0);
  for (const l of set.labels) if (l >= 0) c[l]!++;
  return c;
}
