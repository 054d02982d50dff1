// SSIM throughput bench: @radix/metrics ssim (images/s on the current device) vs scikit-image's
// structural_similarity run by /usr/bin/python3 on the same machine. Writes bench/results/metrics-ssim-*.{json,md}.
// Usage (after `npm run build`): node bench/metrics-ssim.mjs [--batch 8] [--size 256] [--mode skimage|wang|torchmetrics] [--cpu]
import { execFileSync } from 'node:child_process';
import { resultsBase, writeAtomic } from './src/results.mjs';
import { init, uniform, clamp, randn, tidy } from '@radix/tensor-webgpu';
import { ssim } from '@radix/metrics';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const batch = Number(opt('batch', '8'));
const size = Number(opt('size', '256'));
const mode = opt('mode', 'skimage');
const budgetMs = 15_000; // per side, keeps the whole run well under a minute

// 'auto' falls back to the CPU backend when no WebGPU adapter exists.
const backend = await init({ backend: argv.includes('--cpu') ? 'cpu' : 'auto' });
if (backend.name === 'cpu' && !argv.includes('--cpu')) console.warn('WebGPU unavailable; benchmarking the CPU backend');
const info = backend.info;
console.log(`device: ${info.description}${info.isSoftware ? ' (software)' : ''} · backend ${backend.name}`);
console.log(`SSIM mode '${mode}', batch of ${batch} RGB ${size}×${size} images\n`);

// Ours: a batch of random images and a noisy copy, timed end to end (including the read-back of N scores).
const a = uniform([batch, 3, size, size], 0, 1, { backend });
const b = tidy(() => clamp(a.add(randn([batch, 3, size, size], { backend, std: 0.1 })), 0, 1));
await ssim(a, b, { dataRange: 1, mode }); // warm-up: pipeline compilation
const times = [];
const t0 = performance.now();
while (performance.now() - t0 < budgetMs && times.length < 20) {
  const s = performance.now();
  await ssim(a, b, { dataRange: 1, mode });
  times.push(performance.now() - s);
}
a.dispose();
b.dispose();
times.sort((x, y) => x - y);
const medianMs = times[Math.floor(times.length / 2)];
const ours = { imagesPerSecond: (batch * 1000) / medianMs, medianBatchMs: medianMs, runs: times.length, backend: backend.name };
console.log(`ours:    ${ours.imagesPerSecond.toFixed(2)} images/s (median ${medianMs.toFixed(1)} ms per batch of ${batch}, ${times.length} runs)`);

// scikit-image on the same machine, one image at a time (as it is used), float64 like skimage does internally.
const py = `
import json, time, numpy as np, skimage
from skimage.metrics import structural_similarity
rng = np.random.default_rng(0)
a = rng.random((${size}, ${size}, 3))
b = np.clip(a + 0.1 * rng.standard_normal(a.shape), 0, 1)
kw = dict(data_range=1.0, channel_axis=-1)
if '${mode}' != 'skimage':
    kw.update(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
structural_similarity(a, b, **kw)
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < ${budgetMs / 1000} and n < 200:
    structural_similarity(a, b, **kw); n += 1
dt = time.perf_counter() - t0
print(json.dumps({'imagesPerSecond': n / dt, 'images': n, 'seconds': dt, 'skimage': skimage.__version__}))
`;
let skimage;
try {
  skimage = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', timeout: 60_000 }).trim().split('\n').pop());
  console.log(`skimage: ${skimage.imagesPerSecond.toFixed(2)} images/s (scikit-image ${skimage.skimage}, ${skimage.images} images, 1 CPU thread)`);
} catch (e) {
  skimage = { skipped: `scikit-image unavailable: ${String(e.message).split('\n')[0]}` };
  console.log(`skimage: skipped (${skimage.skipped})`);
}
const ratio = skimage.imagesPerSecond ? ours.imagesPerSecond / skimage.imagesPerSecond : null;
if (ratio !== null) console.log(`ratio ours/skimage: ${ratio.toFixed(2)}×`);

const base = resultsBase(info.description, { prefix: 'metrics-ssim' });
const meta = {
  date: new Date().toISOString(), device: info.description, software: info.isSoftware, backend: backend.name,
  node: process.version, mode, batch, size, channels: 3,
  timing: 'ours: median wall-clock ms of one ssim() call on the batch, including the read-back of the scores; skimage: structural_similarity on one H×W×3 float64 image at a time, mean over a timed loop',
};
writeAtomic(`${base}.json`, `${JSON.stringify({ ...meta, ours, skimage, ratio }, null, 2)}\n`);
const f = (x) => (typeof x === 'number' ? x.toFixed(2) : '—');
writeAtomic(`${base}.md`, [
  `# SSIM throughput — ${info.description}`,
  '',
  `${meta.date} · Node ${meta.node} · mode '${mode}' · ${batch} × RGB ${size}×${size}. ${meta.timing}.`,
  '',
  '| implementation | images/s |',
  '| --- | ---: |',
  `| @radix/metrics ssim (${backend.name}) | ${f(ours.imagesPerSecond)} |`,
  `| scikit-image ${skimage.skimage ?? ''} structural_similarity (CPU) | ${skimage.skipped ? `skipped: ${skimage.skipped}` : f(skimage.imagesPerSecond)} |`,
  '',
  `ratio ours / scikit-image: ${ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`} (> 1 means ours is faster).`,
  '',
].join('\n'));
console.log(`\nwrote ${base}.json and ${base}.md`);
process.exit(0);
