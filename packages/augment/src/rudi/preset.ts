// The rudi preset used by the motivating cytology study, `rudi augment -p 0.7 -mlr 15 -mrr 15 -minf 1 -maxf 1.2
// -mg 5`, expressed as an Augmentor-compatible Pipeline (flag reading documented on rudiPreset).
import { Pipeline } from './pipeline.js';

/** Settings behind {@link rudiPreset}; the defaults are the study's flags. */
export interface RudiPresetOptions {
  /** `-p`: probability of every operation (default 0.7). */
  probability?: number;
  /** `-mlr` / `-mrr`: maximum left / right rotation in degrees (default 15 / 15). */
  maxLeft?: number;
  maxRight?: number;
  /** `-minf` / `-maxf`: zoom factor range (default 1 / 1.2). */
  minFactor?: number;
  maxFactor?: number;
  /** `-mg`: random-distortion magnitude in pixels (default 5). */
  magnitude?: number;
  /** Distortion grid (default 4 × 4, Augmentor's documented example; rudi's own value was not reachable). */
  gridWidth?: number;
  gridHeight?: number;
}

/**
 * The rudi preset. Reading of the flags (rudi's documentation was not reachable; these follow the Augmentor
 * parameter names they abbreviate): `-p` → each operation's probability, `-mlr`/`-mrr` → Augmentor
 * `rotate(max_left_rotation, max_right_rotation)`, `-minf`/`-maxf` → `zoom(min_factor, max_factor)`, `-mg` →
 * `random_distortion(magnitude)` (Augmentor's integer pixel magnitude; `skew` takes a 0–1 magnitude instead).
 * Order: rotate, zoom, random distortion.
 *
 * @example
 * const { images, params } = rudiPreset().sampleFor(batch, 125, { generator: new HostRandom(1) });
 */
export function rudiPreset(options: RudiPresetOptions = {}): Pipeline {
  const p = options.probability ?? 0.7;
  return new Pipeline()
    .rotate({ probability: p, maxLeft: options.maxLeft ?? 15, maxRight: options.maxRight ?? 15 })
    .zoom({ probability: p, minFactor: options.minFactor ?? 1, maxFactor: options.maxFactor ?? 1.2 })
    .randomDistortion({ probability: p, gridWidth: options.gridWidth ?? 4, gridHeight: options.gridHeight ?? 4, magnitude: options.magnitude ?? 5 });
}
