// `radix eval --reference paper.json`: the published numbers of a paper or benchmark report next to the measured ones,
// as the "measured vs published" table such reports print.
import { readFileSync } from 'node:fs';
import { UsageError } from './kit/errors.js';
import { formatTable } from './table.js';

/** A reference file: where the numbers come from and the published value of each metric row. */
export interface ReferenceFile {
  /** E.g. "Li et al. 2023 (ASP), Table 1, BCI test set". */
  source?: string;
  /** Published values by metric row name (psnr, ssim, lpips, phv, phv-layer1, fid, fid-inf, kid, is, precision, …). */
  values: Record<string, number>;
}

/** One row of the comparison. */
export interface ReferenceRow {
  metric: string;
  measured: number | null;
  published: number;
  /** measured − published. */
  difference: number | null;
  /** Whether the published value lies inside the measured bootstrap interval (when there is one). */
  insideInterval?: boolean;
}

/**
 * Reads and validates a reference file (JSON `{ "source": "...", "values": { "fid": 43.7, ... } }`).
 *
 * @example
 * const ref = readReference('asp-bci.json');
 */
export function readReference(path: string): ReferenceFile {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new UsageError(`--reference: cannot read '${path}' as JSON: ${(e as Error).message}`);
  }
  const o = j as Partial<ReferenceFile> | null;
  if (!o || typeof o !== 'object' || !o.values || typeof o.values !== 'object' || Array.isArray(o.values)) {
    throw new UsageError(`--reference: '${path}' must hold { "source": "...", "values": { "<metric>": <number>, ... } }`);
  }
  for (const [k, v] of Object.entries(o.values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`--reference: '${path}': the value of '${k}' must be a finite number, got ${JSON.stringify(v)}`);
  }
  if (o.source !== undefined && typeof o.source !== 'string') throw new UsageError(`--reference: '${path}': "source" must be a string`);
  return { values: o.values, ...(o.source ? { source: o.source } : {}) };
}

/**
 * Pairs every published value with the measured row of the same name (null when the run did not compute it).
 *
 * @example
 * const rows = compareWithReference(result.metrics, ref);
 */
export function compareWithReference(measured: readonly { metric: string; value: number; ci?: { low: number; high: number } }[], ref: ReferenceFile): ReferenceRow[] {
  return Object.entries(ref.values).map(([metric, published]) => {
    const m = measured.find((r) => r.metric === metric);
    const row: ReferenceRow = { metric, measured: m ? m.value : null, published, difference: m ? m.value - published : null };
    if (m?.ci) row.insideInterval = m.ci.low <= published && published <= m.ci.high;
    return row;
  });
}

/**
 * The comparison as a table: metric, measured, published, difference (and whether the published value is inside the
 * measured interval).
 *
 * @example
 * console.log(formatReference(rows, ref.source));
 */
export function formatReference(rows: readonly ReferenceRow[], source?: string): string {
  const f = (v: number | null): string => (v === null ? 'not measured' : Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(4));
  const withCi = rows.some((r) => r.insideInterval !== undefined);
  const table = formatTable(
    ['metric', 'measured', 'published', 'difference', ...(withCi ? ['published in CI'] : [])],
    rows.map((r) => [r.metric, f(r.measured), f(r.published), r.difference === null ? '' : `${r.difference >= 0 ? '+' : ''}${f(r.difference)}`, ...(withCi ? [r.insideInterval === undefined ? '' : r.insideInterval ? 'yes' : 'no'] : [])]),
  );
  return `measured vs published${source ? ` (${source})` : ''}\n${table}`;
}
