// Stain labels of IHC patches from colour deconvolution: each patch's mean haematoxylin and DAB densities (Ruifrok &
// Johnston's stain matrix, scikit-image's HED_FROM_RGB) decide between low-stain, mixed and DAB-dominant.
import { HED_FROM_RGB } from '@radix/augment';

/** The classes of {@link hedLabel}, in label order. */
export const HED_CLASSES: readonly string[] = Object.freeze(['low-stain', 'mixed', 'DAB']);

/** Thresholds of {@link hedLabel} (optical densities in log10 units). */
export const HED_RULE = Object.freeze({
  /** Below this mean H + DAB density a patch is low-stain (background, lumen, pale stroma). */
  minStain: 0.3,
  /** At or above this DAB share of H + DAB a stained patch is DAB-dominant, else mixed (haematoxylin with DAB). */
  dabShare: 0.75,
});

/** Mean stain densities of a patch. */
export interface HedComposition {
  haematoxylin: number;
  eosin: number;
  dab: number;
}

/**
 * The mean stain densities of a CHW RGB patch in [0, 1]: optical density −log10(max(v, 1/255)) per channel, times
 * HED_FROM_RGB, averaged over the pixels.
 *
 * @example
 * const c = hedComposition(patch, 32); // { haematoxylin: 0.12, eosin: …, dab: 0.41 }
 */
export function hedComposition(chw: Float32Array, size: number): HedComposition {
  const plane = size * size;
  if (chw.length !== 3 * plane) throw new Error(`hedComposition: expected 3·${size}·${size} values, got ${chw.length}`);
  const m = HED_FROM_RGB;
  let h = 0;
  let e = 0;
  let d = 0;
  for (let p = 0; p < plane; p++) {
    const r = -Math.log10(Math.max(chw[p]!, 1 / 255));
    const g = -Math.log10(Math.max(chw[plane + p]!, 1 / 255));
    const b = -Math.log10(Math.max(chw[2 * plane + p]!, 1 / 255));
    h += r * m[0][0] + g * m[1][0] + b * m[2][0];
    e += r * m[0][1] + g * m[1][1] + b * m[2][1];
    d += r * m[0][2] + g * m[1][2] + b * m[2][2];
  }
  return { haematoxylin: h / plane, eosin: e / plane, dab: d / plane };
}

/**
 * The stain class of a patch ({@link HED_CLASSES}): 0 low-stain when H + DAB < 0.3, else 2 DAB when DAB ≥ 0.75 of
 * H + DAB, else 1 mixed (haematoxylin and DAB).
 *
 * @example
 * HED_CLASSES[hedLabel(patch, 32)]; // 'DAB'
 */
export function hedLabel(chw: Float32Array, size: number): number {
  const c = hedComposition(chw, size);
  const total = c.haematoxylin + c.dab;
  if (total < HED_RULE.minStain) return 0;
  return c.dab >= HED_RULE.dabShare * total ? 2 : 1;
}
