// `radix eval --memorisation TRAIN_DIR`: are generated images near-copies of training images? Nearest training
// images of every generated one (pixel space, or the run's feature space) and a PNG grid of the closest pairs.
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { nearestNeighbours, pairsGrid, pixelVectors, type FeatureExtractor, type FeatureMatrix } from '@radix/metrics';
import { folderExtract } from './feature-metrics.js';
import { imagesToTensor, readImage, type ImageFolderListing, type ImageReadOptions } from './images.js';
import { writeFileAtomic } from './kit/output.js';
import { silentProgress, type Progress } from './progress.js';

/** Settings of the memorisation check. */
export interface MemorisationSettings {
  space: 'pixel' | 'features';
  k: number;
  threshold: number;
  /** Side of the pixel comparison. */
  pixelSize: number;
  batchSize: number;
  /** Pairs drawn in the grid (the closest first). */
  gridPairs: number;
}

/** The memorisation block of an evaluation report. */
export interface MemorisationReport {
  training: string;
  space: 'pixel' | 'features';
  features?: string;
  k: number;
  /** Median of the training set's own nearest-neighbour distances. */
  reference: number;
  threshold: number;
  fractionFlagged: number;
  /** Generated images closer to a training image than threshold × reference, closest first. */
  flagged: { fake: string; training: string; distance: number; relative: number }[];
  /** Every generated image's closest training images. */
  nearest: { fake: string; training: string[]; distances: number[]; relative: number }[];
  /** Where the grid PNG was written (absent without --json). */
  grid?: string;
}

async function pixelFolder(listing: ImageFolderListing, size: number, batchSize: number, read: ImageReadOptions, progress: Progress): Promise<FeatureMatrix> {
  const n = listing.names.length;
  const d = 3 * size * size;
  const data = new Float32Array(n * d);
  for (let start = 0; start < n; start += batchSize) {
    const names = listing.names.slice(start, start + batchSize);
    for (let i = 0; i < names.length; i++) {
      const x = imagesToTensor([readImage(join(listing.dir, names[i]!), read)]);
      try {
        data.set((await pixelVectors(x, size)).data as Float32Array, (start + i) * d);
      } finally {
        x.dispose();
      }
    }
    progress.tick(names.length);
  }
  progress.done();
  return { data, n, d };
}

/**
 * Runs the check of a generated folder against a training folder and, when `gridPath` is given, writes the grid of the
 * closest pairs there as PNG (atomically).
 *
 * @example
 * const m = await memorisationCheck(fakeList, trainList, settings, undefined, 'eval.memorisation.png');
 */
export async function memorisationCheck(
  fake: ImageFolderListing, training: ImageFolderListing, s: MemorisationSettings, extractor: FeatureExtractor | undefined,
  gridPath: string | undefined, read: ImageReadOptions = {}, progress: (label: string, n: number) => Progress = () => silentProgress,
): Promise<MemorisationReport> {
  if (training.names.length < 2) throw new Error(`--memorisation: '${training.dir}' needs at least 2 training images`);
  let vf: FeatureMatrix;
  let vt: FeatureMatrix;
  if (s.space === 'features') {
    if (!extractor) throw new Error('--memorisation-space features needs a feature extractor (--features)');
    vf = (await folderExtract(extractor, fake, s.batchSize, progress('memorisation fake', fake.names.length), read)).features;
    vt = (await folderExtract(extractor, training, s.batchSize, progress('memorisation train', training.names.length), read)).features;
  } else {
    vf = await pixelFolder(fake, s.pixelSize, s.batchSize, read, progress('memorisation fake', fake.names.length));
    vt = await pixelFolder(training, s.pixelSize, s.batchSize, read, progress('memorisation train', training.names.length));
  }
  const k = Math.min(s.k, training.names.length);
  const r = await nearestNeighbours(vf, vt, { space: s.space, k, threshold: s.threshold });
  const report: MemorisationReport = {
    training: training.dir, space: s.space, ...(s.space === 'features' && extractor ? { features: extractor.name } : { features: `pixels pooled to ${s.pixelSize}×${s.pixelSize}` }),
    k, reference: r.reference, threshold: r.threshold, fractionFlagged: r.fractionFlagged,
    flagged: r.flagged.map((i) => ({ fake: fake.names[i]!, training: training.names[r.index[i * k]!]!, distance: r.distance[i * k]!, relative: r.relative[i]! })),
    nearest: fake.names.map((name, i) => ({
      fake: name,
      training: Array.from(r.index.subarray(i * k, (i + 1) * k), (j) => training.names[j]!),
      distances: Array.from(r.distance.subarray(i * k, (i + 1) * k)),
      relative: r.relative[i]!,
    })),
  };
  if (gridPath) {
    const order = Array.from({ length: fake.names.length }, (_, i) => i).sort((a, b) => r.relative[a]! - r.relative[b]!).slice(0, s.gridPairs);
    const pairs = order.map((i) => [
      imagesToTensor([readImage(join(fake.dir, fake.names[i]!), read)]),
      imagesToTensor([readImage(join(training.dir, training.names[r.index[i * k]!]!), read)]),
    ] as const);
    try {
      const grid = await pairsGrid(pairs);
      const png = new PNG({ width: grid.width, height: grid.height });
      for (let p = 0; p < grid.width * grid.height; p++) {
        png.data[4 * p] = grid.data[3 * p]!;
        png.data[4 * p + 1] = grid.data[3 * p + 1]!;
        png.data[4 * p + 2] = grid.data[3 * p + 2]!;
        png.data[4 * p + 3] = 255;
      }
      await writeFileAtomic(gridPath, PNG.sync.write(png));
      report.grid = gridPath;
    } finally {
      for (const [a, b] of pairs) { a.dispose(); b.dispose(); }
    }
  }
  return report;
}
