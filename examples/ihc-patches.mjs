// Patches of the bundled IHC image with stain labels from colour deconvolution (Ruifrok & Johnston's HED matrix):
// background, haematoxylin-dominant or DAB-dominant, and a train/test split by region (no shared pixels). Shared by the
// training example.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';

// Stain OD vectors (rows: haematoxylin, eosin, DAB), as published by Ruifrok & Johnston (2001).
const RGB_FROM_HED = [
  [0.65, 0.7, 0.29],
  [0.07, 0.99, 0.11],
  [0.27, 0.57, 0.78],
];

function invert3(m) {
  const [[a, b, c], [d, e, f], [g, h, i]] = m;
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    [(e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det],
    [(f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det],
    [(d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det],
  ];
}
const norm = RGB_FROM_HED.map((r) => { const l = Math.hypot(...r); return r.map((v) => v / l); });
const HED_FROM_RGB = invert3(norm);

/** Class names, in label order. */
export const CLASSES = ['background', 'haematoxylin', 'DAB'];

/** Reads an RGB PNG: width, height and RGBA bytes. */
function readRgba(path) {
  const png = PNG.sync.read(readFileSync(path));
  return { width: png.width, height: png.height, data: png.data };
}

/**
 * The stain label of a CHW float32 patch in [0, 1] (8-bit values, as read from the PNG): mean haematoxylin and DAB
 * concentrations by colour deconvolution; background when both are faint, else the dominant stain.
 */
export function stainLabel(chw, size) {
  const od = [0, 0, 0];
  const plane = size * size;
  for (let k = 0; k < plane; k++) {
    // Optical density, then stain concentrations by the inverse of the stain matrix.
    const o = [0, 1, 2].map((c) => -Math.log10(Math.max(Math.round(chw[c * plane + k] * 255), 1) / 255));
    for (let s = 0; s < 3; s++) od[s] += o[0] * HED_FROM_RGB[0][s] + o[1] * HED_FROM_RGB[1][s] + o[2] * HED_FROM_RGB[2][s];
  }
  const [h, , d] = od.map((v) => v / plane);
  return h + d < 0.15 ? 0 : h >= 0.75 * d ? 1 : 2;
}

/** One size×size patch at (x, y): CHW float32 in [0, 1] and its stain label. */
function cutPatch({ width, data }, x, y, size) {
  const chw = new Float32Array(3 * size * size);
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const p = ((y + j) * width + (x + i)) * 4;
      for (let c = 0; c < 3; c++) chw[c * size * size + j * size + i] = data[p + c] / 255;
    }
  }
  return { chw, label: stainLabel(chw, size) };
}

/**
 * Reads `path` (RGB PNG) and cuts `size`×`size` patches every `stride` pixels (default: half a patch, so neighbours
 * overlap); returns float32 CHW data in [0, 1] and labels. Overlapping patches must not be split into train and test
 * at random (their pixels would leak): use {@link splitByRegion} for that.
 */
export function loadPatches(path, size = 32, stride = size / 2) {
  const img = readRgba(path);
  const patches = [];
  const labels = [];
  for (let y = 0; y + size <= img.height; y += stride) {
    for (let x = 0; x + size <= img.width; x += stride) {
      const { chw, label } = cutPatch(img, x, y, size);
      patches.push(chw);
      labels.push(label);
    }
  }
  return { patches, labels, size };
}

/**
 * A train/test split by region: the image is tiled into `block`×`block` squares, a seeded `testFraction` of them
 * (redrawn until every class appears in the test set) is held out, and patches are cut only inside one square — so
 * no pixel of a test patch is in any training patch. Training squares are cut every `trainStride` pixels
 * (overlapping patches, free augmentation), test squares every `size` pixels (no overlap).
 */
export function splitByRegion(path, { size = 32, block = 64, testFraction = 0.2, seed = 7, trainStride = 16 } = {}) {
  const img = readRgba(path);
  const cols = Math.floor(img.width / block);
  const rows = Math.floor(img.height / block);
  const squares = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) squares.push([c * block, r * block]);
  const cut = (list, stride) => {
    const patches = [];
    const labels = [];
    const origins = [];
    for (const [bx, by] of list) {
      for (let y = by; y + size <= by + block; y += stride) {
        for (let x = bx; x + size <= bx + block; x += stride) {
          const { chw, label } = cutPatch(img, x, y, size);
          patches.push(chw);
          labels.push(label);
          origins.push([x, y]);
        }
      }
    }
    return { patches, labels, origins };
  };
  let state = seed >>> 0;
  const rnd = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let attempt = 0; attempt < 100; attempt++) {
    const order = squares.map((_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    const nTest = Math.max(1, Math.round(squares.length * testFraction));
    const testIds = new Set(order.slice(0, nTest));
    const test = cut(squares.filter((_, i) => testIds.has(i)), size);
    if (CLASSES.some((_, k) => !test.labels.includes(k))) continue;
    const train = cut(squares.filter((_, i) => !testIds.has(i)), trainStride);
    return { train, test, size, block, testSquares: squares.filter((_, i) => testIds.has(i)), trainSquares: squares.filter((_, i) => !testIds.has(i)) };
  }
  throw new Error(`splitByRegion: no draw of ${testFraction * 100}% of the ${block}-pixel squares holds every class`);
}

/** Pixels shared by any training patch and any test patch (0 for a sound split). */
export function sharedPixels(split) {
  const seen = new Set();
  for (const [x, y] of split.train.origins) for (let j = 0; j < split.size; j++) for (let i = 0; i < split.size; i++) seen.add((y + j) * 65536 + x + i);
  let shared = 0;
  for (const [x, y] of split.test.origins) for (let j = 0; j < split.size; j++) for (let i = 0; i < split.size; i++) if (seen.has((y + j) * 65536 + x + i)) shared++;
  return shared;
}
