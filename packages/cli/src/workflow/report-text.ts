// The classifier table as plain text, for the terminal after `radix experiment`, `radix report` and `radix demo`.
import { formatTable } from '../table.js';
import type { ClassifierRow } from './report-table.js';

/**
 * Rows of the classifier table as an aligned text table (percentages; mean ± sd over seeds, 95 % intervals).
 *
 * @example
 * console.log(formatClassifierRows(classifierTable(runDir, run)));
 */
export function formatClassifierRows(rows: readonly ClassifierRow[]): string {
  const p = (v: number): string => (v * 100).toFixed(1);
  return formatTable(
    ['training data', 'patches', 'seeds', 'accuracy %', '95% CI', 'balanced acc. %', '95% CI'],
    rows.map((r) => [
      r.variant, String(r.trainPatches), String(r.seeds.length), `${p(r.accuracy.mean)} ± ${p(r.accuracy.sd)}`, `${p(r.accuracy.ci[0])}–${p(r.accuracy.ci[1])}`,
      `${p(r.balancedAccuracy.mean)} ± ${p(r.balancedAccuracy.sd)}`, `${p(r.balancedAccuracy.ci[0])}–${p(r.balancedAccuracy.ci[1])}`,
    ]),
  );
}
