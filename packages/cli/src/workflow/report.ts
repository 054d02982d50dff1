// `radix report RUN_DIR`: one self-contained report.html (images as data URIs, charts as inline SVG, no script, no
// network) and report.json with the same numbers, assembled from what the jobs of a run saved.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HostRandom } from '@radix/augment';
import { getBackend, tensor } from '@radix/tensor-webgpu';
import { toJsonText, writeFileAtomic } from '../kit/output.js';
import { applyClassifierAugment, drawClassifierAugment } from './classifier-augment.js';
import type { ClassifierHistoryPoint } from './classifier-train.js';
import { loadDataset } from './dataset-store.js';
import { classifyJobId, generateJobId, jobDir, readJobManifest } from './experiment-jobs.js';
import { loadSynthetic, readRunManifest, type RunManifest } from './experiment-run.js';
import { classCounts, patchCount, type PatchDataset, type PatchSet } from './patch-set.js';
import { gridToPng } from './png-grid.js';
import { classifierTable, type ClassifierRow } from './report-table.js';
import { lineChart, type Series } from './report-svg.js';
import type { SyntheticMetrics } from './synthetic-metrics.js';

const esc = (s: unknown): string => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}` : '—');
const f3 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(3));
const img = (png: Uint8Array, alt: string): string => `<img alt="${esc(alt)}" src="data:image/png;base64,${Buffer.from(png).toString('base64')}">`;

function patches(set: PatchSet, ids: readonly number[], size: number): Float32Array[] {
  const per = 3 * size * size;
  return ids.map((i) => set.images.subarray(i * per, (i + 1) * per));
}

function classIds(set: PatchSet, c: number, max: number): number[] {
  return [...set.labels.keys()].filter((i) => set.labels[i] === c).slice(0, max);
}

function dataSection(ds: PatchDataset): string {
  const k = ds.classes.length;
  const rows = (['train', 'val', 'test'] as const).map((s) => `<tr><th>${s === 'train' ? 'train (labelled)' : s === 'val' ? 'validation' : 'test'}</th>${classCounts(ds[s], k).map((c) => `<td>${c}</td>`).join('')}<td>${patchCount(ds[s], ds.size)}</td></tr>`);
  rows.push(`<tr><th>pool (unlabelled)</th>${ds.classes.map(() => '<td>—</td>').join('')}<td>${patchCount(ds.pool, ds.size)}</td></tr>`);
  const grids = ds.classes.map((c, i) => `<figure>${img(gridToPng(patches(ds.train, classIds(ds.train, i, 24), ds.size), ds.size, { cols: 8, scale: 2 }), `labelled ${c} patches`)}<figcaption>${esc(c)} (labelled training patches)</figcaption></figure>`);
  if (patchCount(ds.pool, ds.size) > 0) {
    const ids = [...ds.pool.labels.keys()].slice(0, 24);
    grids.push(`<figure>${img(gridToPng(patches(ds.pool, ids, ds.size), ds.size, { cols: 8, scale: 2 }), 'pool patches')}<figcaption>unlabelled pool</figcaption></figure>`);
  }
  return `<section id="data"><h2>Data</h2><ul>${ds.description.map((d) => `<li>${esc(d)}</li>`).join('')}</ul>
${ds.warnings.length ? `<p class="warn">${ds.warnings.map(esc).join('<br>')}</p>` : ''}
<table><tr><th>split</th>${ds.classes.map((c) => `<th>${esc(c)}</th>`).join('')}<th>total</th></tr>${rows.join('')}</table>
<div class="grids">${grids.join('')}</div></section>`;
}

async function augmentSection(ds: PatchDataset, seed: number): Promise<string> {
  const backend = getBackend('cpu');
  const ids = ds.classes.map((_, c) => classIds(ds.train, c, 1)[0]).filter((i): i is number => i !== undefined);
  const per = 3 * ds.size * ds.size;
  const rows: Float32Array[] = [];
  const reps = 7;
  const rng = new HostRandom(seed, 9);
  for (const id of ids) {
    const src = ds.train.images.subarray(id * per, (id + 1) * per);
    const x = tensor(Float32Array.from({ length: reps * per }, (_, i) => src[i % per]!), { shape: [reps, 3, ds.size, ds.size], backend });
    const y = applyClassifierAugment(x, drawClassifierAugment(reps, rng));
    const data = (await y.data()) as Float32Array;
    x.dispose();
    y.dispose();
    rows.push(src, ...Array.from({ length: reps }, (_, r) => data.slice(r * per, (r + 1) * per)));
  }
  return `<section id="augmentation"><h2>Augmentation examples</h2><p>The classifier's training augmentations (as in the histology GAN paper): a random 90° rotation and flip, brightness, contrast and saturation factors in [0.8, 1.2]. First column: the labelled patch of each class; then ${reps} draws.</p>
${img(gridToPng(rows, ds.size, { cols: reps + 1, scale: 3, gap: 2 }), 'augmentation examples')}</section>`;
}

interface GeneratedInfo {
  variant: string;
  kind: string;
  curves: Record<string, { step: number; value: number }[]>;
  details: Record<string, unknown>;
  metrics: SyntheticMetrics;
}

function generatorSection(runDir: string, run: RunManifest, ds: PatchDataset): { html: string; json: unknown[] } {
  const parts: string[] = [];
  const json: unknown[] = [];
  const rowsM: string[] = [];
  let fidNote = '';
  for (const v of run.config.variants) {
    if (v.kind !== 'rudi' && v.kind !== 'gan' && v.kind !== 'diffusion') continue;
    const dir = jobDir(runDir, generateJobId(v.name));
    if (!existsSync(join(dir, 'generated.json'))) {
      parts.push(`<h3>${esc(v.name)}</h3><p class="warn">not generated yet (job ${esc(generateJobId(v.name))} has not finished)</p>`);
      continue;
    }
    const g = JSON.parse(readFileSync(join(dir, 'generated.json'), 'utf8')) as GeneratedInfo;
    json.push({ variant: v.name, kind: v.kind, details: g.details, metrics: g.metrics });
    const m = g.metrics;
    fidNote = m.fidNote;
    rowsM.push(`<tr><th>${esc(v.name)}</th><td>${m.nSynthetic}</td><td>${f3(m.precision)}</td><td>${f3(m.recall)}</td><td>${f3(m.density)}</td><td>${f3(m.coverage)}</td><td>${f3(m.msSsim.synthetic)} / ${f3(m.msSsim.real)}</td><td>${pct(m.memorisation.fractionFlagged)} %</td><td>${f3(m.fid)}</td><td>${f3(m.kid)}</td></tr>`);
    const syn = loadSynthetic(runDir, v.name);
    const grids = ds.classes.map((c, i) => `<figure>${img(gridToPng(patches(syn, classIds(syn, i, 24), ds.size), ds.size, { cols: 8, scale: 2 }), `${v.name} ${c} samples`)}<figcaption>${esc(v.name)}: ${esc(c)}</figcaption></figure>`);
    const pairs = m.memorisation.closest.flatMap((p) => [...patches(syn, [p.synthetic], ds.size), ...patches(ds.train, [p.train], ds.size)]);
    const curves = Object.entries(g.curves).filter(([, pts]) => pts.length > 0);
    parts.push(`<h3>${esc(v.name)} <small>(${esc(v.kind)})</small></h3><p class="details">${esc(JSON.stringify(g.details))}</p><div class="grids">${grids.join('')}</div>
<figure>${img(gridToPng(pairs, ds.size, { cols: 8, scale: 2, gap: 2 }), `${v.name} closest pairs`)}<figcaption>memorisation check: the ${m.memorisation.closest.length} synthetic images closest to a labelled patch (pairs: synthetic, then its nearest labelled patch; relative distances ${m.memorisation.closest.map((p) => p.relative.toFixed(2)).join(', ')}; below ${(1 / 3).toFixed(2)} is flagged)</figcaption></figure>
${curves.length ? `<div class="charts">${curves.map(([name, pts]) => lineChart([{ name, points: pts.map((p) => ({ x: p.step, y: p.value })) }], { title: `${v.name}: ${name}`, xLabel: 'step' })).join('')}</div>` : ''}`);
  }
  if (rowsM.length === 0) return { html: '', json };
  const table = `<table><tr><th>generator</th><th>images</th><th>precision</th><th>recall</th><th>density</th><th>coverage</th><th>MS-SSIM synthetic / real (lower: more diverse)</th><th>flagged near-copies</th><th>FID</th><th>KID</th></tr>${rowsM.join('')}</table>
<p>Precision/recall (k = 3) and density/coverage (k = 5) against the labelled patches in pixel space; MS-SSIM over 64 random pairs; memorisation in pixel space (relative distance to the nearest labelled patch, flagged below 1/3 of the labelled set's median nearest-neighbour distance). ${esc(fidNote)}</p>`;
  return { html: `<section id="generators"><h2>Synthetic images</h2>${table}${parts.join('')}</section>`, json };
}

function classifierSection(runDir: string, run: RunManifest, rows: ClassifierRow[], classes: string[]): string {
  const ci = (c: [number, number]): string => `[${pct(c[0])}, ${pct(c[1])}]`;
  const body = rows.map((r) => `<tr><th>${esc(r.variant)}</th><td>${esc(r.kind)}</td><td>${r.trainPatches}</td><td>${r.seeds.length}</td><td>${pct(r.accuracy.mean)} ± ${pct(r.accuracy.sd)}</td><td>${ci(r.accuracy.ci)}</td><td>${pct(r.balancedAccuracy.mean)} ± ${pct(r.balancedAccuracy.sd)}</td><td>${ci(r.balancedAccuracy.ci)}</td></tr>`);
  const charts: string[] = [];
  const val: Series[] = [];
  const loss: Series[] = [];
  for (const v of run.config.variants) {
    for (const s of run.config.seeds) {
      const p = join(jobDir(runDir, classifyJobId(v.name, s)), 'classifier.json');
      if (!existsSync(p)) continue;
      const h = (JSON.parse(readFileSync(p, 'utf8')) as { history: ClassifierHistoryPoint[] }).history;
      val.push({ name: `${v.name} s${s}`, points: h.map((x) => ({ x: x.step, y: x.valBalancedAccuracy })) });
      loss.push({ name: `${v.name} s${s}`, points: h.map((x) => ({ x: x.step, y: x.loss })) });
    }
  }
  charts.push(lineChart(loss, { title: 'classifier training loss', xLabel: 'step', yLabel: 'cross-entropy' }), lineChart(val, { title: 'validation balanced accuracy', xLabel: 'step' }));
  const conf = rows.map((r) => `<table class="confusion"><caption>${esc(r.variant)} (summed over ${r.seeds.length} seeds; rows: true class)</caption><tr><th></th>${classes.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>${r.confusion.map((row, t) => `<tr><th>${esc(classes[t])}</th>${row.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('')}</table>`);
  const c = run.config.classifier;
  return `<section id="classifier"><h2>Downstream classifier</h2>
<p>ResNet-${c.depth} (width ${c.width}, stem ${c.stem}${c.pretrained ? `, from ${esc(c.pretrained)}` : ', random start'}), class-balanced batches of ${c.batchSize}, AdamW lr ${c.lr}, at most ${c.maxSteps} steps, early stopping on validation balanced accuracy (every ${c.evalEvery} steps, patience ${c.patience})${c.augment ? ', paper augmentations' : ''}. Test numbers in %: mean ± sd over seeds; intervals: 95 % percentile bootstrap of the seed mean over test patches (${run.config.bootstrap} resamples). Nothing here is asserted to improve: these are the measured numbers.</p>
<table id="classifier-table"><tr><th>training data</th><th>kind</th><th>training patches</th><th>seeds</th><th>accuracy</th><th>95 % CI</th><th>balanced accuracy</th><th>95 % CI</th></tr>${body.join('')}</table>
<div class="charts">${charts.join('')}</div><div class="grids">${conf.join('')}</div></section>`;
}

function manifestSection(runDir: string, run: RunManifest): string {
  const jobs = run.jobs.map((j) => {
    const m = readJobManifest(runDir, j.id);
    return `<tr><td>${esc(j.id)}</td><td>${esc(m?.status ?? 'not started')}</td><td>${m?.attempts.length ?? 0}</td><td><span class="timing">${m?.seconds !== undefined ? m.seconds.toFixed(1) : '—'}</span></td><td>${esc(m?.backend ?? '')}</td></tr>`;
  });
  const dataHash = existsSync(join(jobDir(runDir, 'data'), 'dataset.safetensors')) ? createHash('sha256').update(readFileSync(join(jobDir(runDir, 'data'), 'dataset.safetensors'))).digest('hex') : 'not built';
  return `<section id="manifest"><h2>Run manifest</h2><table>
<tr><th>command</th><td><code>${esc(run.command)}</code></td></tr><tr><th>created</th><td><span class="timing">${esc(run.created)}</span></td></tr>
<tr><th>versions</th><td>radix ${esc(run.versions.radix)}, Node ${esc(run.versions.node)}, ${esc(run.versions.platform)}</td></tr>
<tr><th>backend requested</th><td>${esc(run.config.backend)}</td></tr><tr><th>seeds</th><td>${run.config.seeds.join(', ')}</td></tr>
<tr><th>config hash</th><td><code>${esc(run.configHash)}</code></td></tr><tr><th>dataset SHA-256</th><td><code>${dataHash}</code></td></tr></table>
<table><tr><th>job</th><th>status</th><th>attempts</th><th>seconds</th><th>backend</th></tr>${jobs.join('')}</table>
<details><summary>configuration</summary><pre>${esc(JSON.stringify({ ...run.config, baseDir: undefined }, null, 2))}</pre></details></section>`;
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{text-align:left;background:#f6f6f6}
img{image-rendering:pixelated;border:1px solid #ddd}figure{display:inline-block;margin:.4em 1em .4em 0;vertical-align:top}figcaption{font-size:.85em;color:#555}.grids,.charts{display:flex;flex-wrap:wrap;gap:.5em}.warn{color:#a40}.details{font-size:.8em;color:#555;word-break:break-all}pre{background:#f6f6f6;padding:.5em;overflow:auto;font-size:.8em}`;

/**
 * Writes RUN_DIR/report.html and RUN_DIR/report.json from whatever the run's jobs have saved (missing jobs are
 * shown as such) and returns the HTML's path.
 *
 * @example
 * const path = await writeReport('runs/demo');
 */
export async function writeReport(runDir: string): Promise<string> {
  const dir = resolve(runDir);
  const run = readRunManifest(dir);
  if (readJobManifest(dir, 'data')?.status !== 'done') throw new Error(`'${dir}': the data job has not finished, so there is nothing to report yet`);
  const ds = loadDataset(jobDir(dir, 'data'));
  const rows = classifierTable(dir, run);
  const gen = generatorSection(dir, run, ds);
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>radix report: ${esc(run.name)}</title><style>${STYLE}</style></head><body>
<h1>radix experiment report: ${esc(run.name)}</h1>
<p>${rows.length} of ${run.config.variants.length} variants have classifier results; ${run.config.seeds.length} seeds each. Sections: <a href="#data">data</a>, <a href="#augmentation">augmentation</a>, <a href="#generators">synthetic images</a>, <a href="#classifier">classifier</a>, <a href="#manifest">manifest</a>.</p>
${dataSection(ds)}${await augmentSection(ds, run.config.seeds[0]!)}${gen.html}${classifierSection(dir, run, rows, ds.classes)}${manifestSection(dir, run)}
</body></html>
`;
  const path = join(dir, 'report.html');
  await writeFileAtomic(path, html);
  await writeFileAtomic(join(dir, 'report.json'), toJsonText({ name: run.name, classes: ds.classes, classifier: rows, generators: gen.json }));
  return path;
}
