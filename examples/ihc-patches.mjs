// Patches of the bundled IHC image with stain labels from colour deconvolution (Ruifrok & Johnston's HED matrix):
// background, haematoxylin-dominant or DAB-dominant. Shared by the training example.
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

/**
 * Reads `path` (RGB PNG) and cuts non-overlapping `size`×`size` patches; returns float32 CHW data in [0, 1] and labels.
 */
export function loadPatches(path, size = 32) {
  const png = PNG.sync.read(readFileSync(path));
  const { width, height, data } = png;
  const patches = [];
  const labels = [];
  for (let y = 0; y + size <= height; y += size / 2) {
    for (let x = 0; x + size <= width; x += size / 2) {
      const chw = new Float32Array(3 * size * size);
      let od = [0, 0, 0];
      for (let j = 0; j < size; j++) {
        for (let i = 0; i < size; i++) {
          const p = ((y + j) * width + (x + i)) * 4;
          const rgb = [data[p], data[p + 1], data[p + 2]];
          for (let c = 0; c < 3; c++) chw[c * size * size + j * size + i] = rgb[c] / 255;
          // Optical density, then stain concentrations by the inverse of the stain matrix.
          const o = rgb.map((v) => -Math.log10(Math.max(v, 1) / 255));
          for (let s = 0; s < 3; s++) od[s] += o[0] * HED_FROM_RGB[0][s] + o[1] * HED_FROM_RGB[1][s] + o[2] * HED_FROM_RGB[2][s];
        }
      }
      od = od.map((v) => v / (size * size));
      const total = od[0] + od[2];
      labels.push(total < 0.15 ? 0 : od[0] >= 0.75 * od[2] ? 1 : 2);
      patches.push(chw);
    }
  }
  return { patches, labels, size };
}
