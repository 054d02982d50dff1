// Line charts as inline SVG for the report (training curves), so the HTML needs no script and no network.

/** One named series of (x, y) points. */
export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function tick(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 0.01 || a >= 1e4) ? v.toExponential(1) : Number(v.toPrecision(3)).toString();
}

/**
 * An SVG line chart of `series` with axes, five ticks per axis and a legend.
 *
 * @example
 * const svg = lineChart([{ name: 'loss', points: [{ x: 0, y: 1 }, { x: 10, y: 0.5 }] }], { title: 'loss', xLabel: 'step' });
 */
export function lineChart(series: readonly Series[], o: { title: string; xLabel: string; yLabel?: string; width?: number; height?: number }): string {
  const W = o.width ?? 460;
  const H = o.height ?? 240;
  const L = 56;
  const R = 12;
  const T = 26;
  const B = 40 + 14 * Math.ceil(series.length / 3);
  const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  if (pts.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="60" role="img"><text x="8" y="30" font-size="12">${esc(o.title)}: no data</text></svg>`;
  let [x0, x1] = [Math.min(...pts.map((p) => p.x)), Math.max(...pts.map((p) => p.x))];
  let [y0, y1] = [Math.min(...pts.map((p) => p.y)), Math.max(...pts.map((p) => p.y))];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const px = (x: number): number => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const py = (y: number): number => T + (1 - (y - y0) / (y1 - y0)) * (H - T - B);
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(o.title)}" font-family="sans-serif" font-size="11">`];
  out.push(`<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(o.title)}</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#999"/>`);
  for (let i = 0; i <= 4; i++) {
    const xv = x0 + ((x1 - x0) * i) / 4;
    const yv = y0 + ((y1 - y0) * i) / 4;
    out.push(`<text x="${px(xv)}" y="${H - B + 14}" text-anchor="middle">${tick(xv)}</text>`);
    out.push(`<text x="${L - 4}" y="${py(yv) + 4}" text-anchor="end">${tick(yv)}</text>`);
    out.push(`<line x1="${L}" x2="${W - R}" y1="${py(yv)}" y2="${py(yv)}" stroke="#eee"/>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - B + 28}" text-anchor="middle">${esc(o.xLabel)}</text>`);
  if (o.yLabel) out.push(`<text transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">${esc(o.yLabel)}</text>`);
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    const ok = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    if (ok.length) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${ok.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ')}"/>`);
    const lx = L + (i % 3) * ((W - L) / 3);
    const ly = H - B + 42 + 14 * Math.floor(i / 3);
    out.push(`<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${c}"/><text x="${lx + 14}" y="${ly - 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('');
}
