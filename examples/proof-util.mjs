// Small helpers of the proof scripts (ddpm-ihc.mjs, train-gan-ihc.mjs): atomic writes, a dependency-free SVG line
// plot of training curves, and the mean of the first / last 10 % of a curve.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes `data` to `path` through a temporary file and a rename (the folder is created). */
export function writeAtomic(path, data) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, data);
  renameSync(`${path}.tmp`, path);
}

/** Mean of the first and of the last `fraction` of `values` (at least one value each). */
export function firstLastMean(values, fraction = 0.1) {
  const k = Math.max(1, Math.floor(values.length * fraction));
  const mean = (a) => a.reduce((s, v) => s + v, 0) / a.length;
  return { first: mean(values.slice(0, k)), last: mean(values.slice(-k)), window: k };
}

/** Moving average of `values` over `w` points (centred, shrinking at the ends). */
export function smooth(values, w) {
  const h = Math.floor(w / 2);
  return values.map((_, i) => {
    const a = values.slice(Math.max(0, i - h), i + h + 1);
    return a.reduce((s, v) => s + v, 0) / a.length;
  });
}

/**
 * An SVG line plot: one panel per entry of `panels` ({ title, series: [{ name, x: number[], y: number[], color }] }),
 * stacked vertically, with min/max axis labels.
 */
export function svgPlot(panels, { width = 640, panelHeight = 200, xLabel = 'step' } = {}) {
  const m = { l: 56, r: 12, t: 22, b: 28 };
  const h = panels.length * panelHeight;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="sans-serif" font-size="11">`, `<rect width="${width}" height="${h}" fill="white"/>`];
  panels.forEach((p, k) => {
    const y0 = k * panelHeight;
    const xs = p.series.flatMap((s) => s.x);
    const ys = p.series.flatMap((s) => s.y).filter(Number.isFinite);
    const [xmin, xmax] = [Math.min(...xs), Math.max(...xs)];
    let [ymin, ymax] = [Math.min(...ys), Math.max(...ys)];
    if (ymax === ymin) { ymin -= 0.5; ymax += 0.5; }
    const W = width - m.l - m.r;
    const H = panelHeight - m.t - m.b;
    const px = (x) => m.l + ((x - xmin) / Math.max(xmax - xmin, 1e-12)) * W;
    const py = (y) => y0 + m.t + (1 - (y - ymin) / (ymax - ymin)) * H;
    out.push(`<text x="${m.l}" y="${y0 + 15}" font-weight="bold">${p.title}</text>`);
    out.push(`<rect x="${m.l}" y="${y0 + m.t}" width="${W}" height="${H}" fill="none" stroke="#999"/>`);
    out.push(`<text x="${m.l - 4}" y="${y0 + m.t + 9}" text-anchor="end">${ymax.toPrecision(3)}</text>`);
    out.push(`<text x="${m.l - 4}" y="${y0 + m.t + H}" text-anchor="end">${ymin.toPrecision(3)}</text>`);
    out.push(`<text x="${m.l}" y="${y0 + m.t + H + 14}">${xmin}</text>`);
    out.push(`<text x="${m.l + W}" y="${y0 + m.t + H + 14}" text-anchor="end">${xmax} ${xLabel}</text>`);
    p.series.forEach((s, j) => {
      const pts = s.x.map((x, i) => (Number.isFinite(s.y[i]) ? `${px(x).toFixed(1)},${py(s.y[i]).toFixed(1)}` : null)).filter(Boolean).join(' ');
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.2}" points="${pts}"/>`);
      out.push(`<text x="${m.l + W - 4}" y="${y0 + m.t + 12 + 12 * j}" text-anchor="end" fill="${s.color}">${s.name}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
