// What every `radix eval` report records besides the numbers: how many images, at which resolutions, with which
// resize convention and which feature extractor — the facts a published number is only comparable under.
import type { DecodedImage } from './images.js';

/** The provenance block of an evaluation report. */
export interface EvalProvenance {
  n: { real: number; fake: number; pairs?: number };
  /** Image sizes seen, e.g. { "1024×1024": 500 }. */
  resolution: { real: Record<string, number>; fake: Record<string, number> };
  /** The resize convention to the feature extractor's input (feature metrics only). */
  resize?: string;
  /** The feature extractor: name, dimension and what its numbers depend on (feature metrics only). */
  featureExtractor?: { name: string; dim: number; description: Record<string, string | number> };
}

/**
 * Counts of each width × height among decoded images.
 *
 * @example
 * resolutions(decoded); // { '512×512': 30, '256×256': 2 }
 */
export function resolutions(images: readonly DecodedImage[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const img of images) {
    const k = `${img.width}×${img.height}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/**
 * "512×512" for one size, "256×256 (30), 512×512 (2)" for several.
 *
 * @example
 * describeResolutions({ '512×512': 3 }); // '512×512'
 */
export function describeResolutions(r: Record<string, number>): string {
  const e = Object.entries(r);
  if (e.length === 0) return 'none read';
  if (e.length === 1) return e[0]![0];
  return e.map(([k, v]) => `${k} (${v})`).join(', ');
}
