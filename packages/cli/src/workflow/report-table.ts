// The classifier table of the report, recomputed from the saved test predictions of every classifier job: accuracy
// and balanced accuracy per variant as mean ± sd over seeds, with a bootstrap interval of the seed mean over test patches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RandomState, accuracy, balancedAccuracy } from '@radix/metrics';
import { meanSd } from './classifier-metrics.js';
import { classifyJobId, jobDir } from './experiment-jobs.js';
import type { RunManifest } from './experiment-run.js';

/** One row of the classifier table. */
export interface ClassifierRow {
  variant: string;
  kind: string;
  /** Seeds whose job finished (rows with none are left out of the table). */
  seeds: number[];
  trainPatches: number;
  accuracy: { mean: number; sd: number; ci: [number, number] };
  balancedAccuracy: { mean: number; sd: number; ci: [number, number] };
  /** Confusion matrix summed over seeds. */
  confusion: number[][];
}

/** The saved predictions of one classifier job. */
export interface SavedPredictions {
  classes: string[];
  test: { labels: number[]; pred: number[]; probs: number[] };
}

/**
 * Reads `predictions.json` of a classifier job, or null when the job has not written it.
 *
 * @example
 * readPredictions('runs/demo', 'real', 1)?.test.pred;
 */
export function readPredictions(runDir: string, variant: string, seed: number): (SavedPredictions & { trainPatches: number }) | null {
  const dir = jobDir(runDir, classifyJobId(variant, seed));
  try {
    const p = JSON.parse(readFileSync(join(dir, 'predictions.json'), 'utf8')) as SavedPredictions;
    const c = JSON.parse(readFileSync(join(dir, 'classifier.json'), 'utf8')) as { trainPatches: number };
    return { ...p, trainPatches: c.trainPatches };
  } catch {
    return null;
  }
}

/**
 * The classifier table from saved predictions: for each variant, per-seed test accuracy and balanced accuracy
 * (mean, sample sd over seeds) and a percentile interval (`level`, default 0.95) of the seed mean from `reps`
 * bootstrap resamples of the test patches (the same resample for every seed; seed 0).
 *
 * @example
 * const rows = classifierTable('runs/demo', readRunManifest('runs/demo'));
 */
export function classifierTable(runDir: string, run: RunManifest, options: { reps?: number; level?: number } = {}): ClassifierRow[] {
  const reps = options.reps ?? run.config.bootstrap;
  const level = options.level ?? 0.95;
  const rows: ClassifierRow[] = [];
  for (const v of run.config.variants) {
    const saved = run.config.seeds.map((s) => [s, readPredictions(runDir, v.name, s)] as const).filter(([, p]) => p !== null) as [number, SavedPredictions & { trainPatches: number }][];
    if (saved.length === 0) continue;
    const labels = saved[0]![1].test.labels;
    const k = saved[0]![1].classes.length;
    const accs = saved.map(([, p]) => accuracy(p.test.pred, labels));
    const bals = saved.map(([, p]) => balancedAccuracy(p.test.pred, labels));
    const rng = new RandomState(0);
    const n = labels.length;
    const ra: number[] = [];
    const rb: number[] = [];
    const idx = new Int32Array(n);
    const t = new Int32Array(n);
    const pr = new Int32Array(n);
    for (let r = 0; r < reps; r++) {
      for (let i = 0; i < n; i++) idx[i] = rng.interval(n - 1);
      for (let i = 0; i < n; i++) t[i] = labels[idx[i]!]!;
      let sa = 0;
      let sb = 0;
      for (const [, p] of saved) {
        for (let i = 0; i < n; i++) pr[i] = p.test.pred[idx[i]!]!;
        sa += accuracy(pr, t);
        sb += balancedAccuracy(pr, t);
      }
      ra.push(sa / saved.length);
      rb.push(sb / saved.length);
    }
    const q = (xs: number[], p: number): number => {
      const s = [...xs].sort((a, b) => a - b);
      const pos = p * (s.length - 1);
      const lo = Math.floor(pos);
      const hi = Math.min(lo + 1, s.length - 1);
      return s[lo]! + (pos - lo) * (s[hi]! - s[lo]!);
    };
    const a = (1 - level) / 2;
    const confusion = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const [, p] of saved) p.test.pred.forEach((pp, i) => { confusion[labels[i]!]![pp]!++; });
    const ma = meanSd(accs);
    const mb = meanSd(bals);
    rows.push({
      variant: v.name, kind: v.kind, seeds: saved.map(([s]) => s), trainPatches: saved[0]![1].trainPatches,
      accuracy: { mean: ma.mean, sd: ma.sd, ci: [q(ra, a), q(ra, 1 - a)] },
      balancedAccuracy: { mean: mb.mean, sd: mb.sd, ci: [q(rb, a), q(rb, 1 - a)] },
      confusion,
    });
  }
  return rows;
}
