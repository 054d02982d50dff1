// Renders the evaluation report as an aligned plain-text table, like the tables of benchmark papers, so the
// printed numbers can be pasted next to published ones together with the settings that produced them.

/**
 * Formats rows as a column-aligned table with a header rule. Numeric-looking cells are right-aligned.
 *
 * @example
 * formatTable(['metric', 'value'], [['psnr', '21.16'], ['ssim', '0.4770']]);
 * // metric  value
 * // ------  -------
 * // psnr      21.16
 * // ssim     0.4770
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cols = headers.length;
  for (const r of rows) {
    if (r.length !== cols) throw new Error(`formatTable: a row has ${r.length} cells but there are ${cols} headers`);
  }
  const widths = headers.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const numeric = (s: string): boolean => /^[-+]?(\d|inf|nan)/i.test(s.trim()) && !/[a-z]{4,}/i.test(s);
  const line = (cells: readonly string[], header: boolean): string =>
    cells
      .map((cell, c) => (!header && numeric(cell) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd();
  return [line(headers, true), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(r, false))].join('\n');
}

/**
 * Formats a metric value for the table: fixed decimals, `inf` for identical images' PSNR, `±std` when given.
 *
 * @example
 * formatValue(0.47712, 0.0123); // '0.4771 ± 0.0123'
 */
export function formatValue(value: number, std?: number, digits = 4): string {
  const f = (v: number): string => (Number.isFinite(v) ? v.toFixed(digits) : Number.isNaN(v) ? 'nan' : v > 0 ? 'inf' : '-inf');
  return std === undefined ? f(value) : `${f(value)} ± ${f(std)}`;
}
