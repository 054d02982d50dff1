// Test-set numbers of a trained classifier: accuracy and balanced accuracy (sklearn's definitions, from
// @radix/metrics), the confusion matrix, and seeded percentile bootstrap intervals over the test patches.
import { RandomState, accuracy, balancedAccuracy, bootstrapInterval } from '@radix/metrics';

/** Scores of one set of predictions. */
export interface ClassificationScores {
  n: number;
  accuracy: number;
  balancedAccuracy: number;
  /** confusion[t][p]: patches of true class t predicted as p. */
  confusion: number[][];
  /** Percentile bootstrap intervals over the patches (resampled with replacement). */
  interval: { level: number; reps: number; seed: number; accuracy: [number, number]; balancedAccuracy: [number, number] };
}

/**
 * The confusion matrix of integer labels in [0, numClasses).
 *
 * @example
 * confusionMatrix([0, 1, 1], [0, 1, 0], 2); // [[1, 1], [0, 1]]
 */
export function confusionMatrix(pred: ArrayLike<number>, target: ArrayLike<number>, numClasses: number): number[][] {
  if (pred.length !== target.length) throw new Error(`confusionMatrix: ${pred.length} predictions for ${target.length} labels`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < pred.length; i++) {
    const t = target[i]!;
    const p = pred[i]!;
    if (!(t >= 0 && t < numClasses && p >= 0 && p < numClasses)) throw new Error(`confusionMatrix: label ${t} / prediction ${p} at ${i} outside [0, ${numClasses})`);
    m[t]![p]!++;
  }
  return m;
}

/**
 * Accuracy, balanced accuracy, confusion matrix and their bootstrap intervals (default 1000 resamples, 95 %, seed 0).
 *
 * @example
 * const s = scorePredictions(pred, labels, 3);
 * console.log(s.balancedAccuracy, s.interval.balancedAccuracy);
 */
export function scorePredictions(pred: ArrayLike<number>, target: ArrayLike<number>, numClasses: number, options: { reps?: number; level?: number; seed?: number } = {}): ClassificationScores {
  const reps = options.reps ?? 1000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  const n = target.length;
  const acc = accuracy(pred, target);
  const bal = balancedAccuracy(pred, target);
  const rng = new RandomState(seed);
  const ra = new Float64Array(reps);
  const rb = new Float64Array(reps);
  const p = new Int32Array(n);
  const t = new Int32Array(n);
  for (let r = 0; r < reps; r++) {
    for (let i = 0; i < n; i++) {
      const j = rng.interval(n - 1);
      p[i] = pred[j]!;
      t[i] = target[j]!;
    }
    ra[r] = accuracy(p, t);
    rb[r] = balancedAccuracy(p, t);
  }
  const ia = bootstrapInterval(acc, ra, { level, method: 'percentile', seed });
  const ib = bootstrapInterval(bal, rb, { level, method: 'percentile', seed });
  return {
    n, accuracy: acc, balancedAccuracy: bal, confusion: confusionMatrix(pred, target, numClasses),
    interval: { level, reps, seed, accuracy: [ia.low, ia.high], balancedAccuracy: [ib.low, ib.high] },
  };
}

/**
 * Mean and sample standard deviation (n − 1; 0 for one value).
 *
 * @example
 * meanSd([0.8, 0.9]); // { mean: 0.85, sd: 0.0707…, n: 2 }
 */
export function meanSd(values: readonly number[]): { mean: number; sd: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}
