// FID Inception-v3 throughput bench: @radix/metrics inceptionFeatures (images/s on the current device) vs torchvision's
// Inception3 (random weights, CPU) run by /usr/bin/python3 on the same machine. Writes bench/results/metrics-inception-*.{json,md}.
// Usage (after `npm run build`): node bench/metrics-inception.mjs [--batch 4] [--resize pytorch-bilinear|tf1-bilinear|pil-bicubic] [--cpu]
import { execFileSync } from 'node:child_process';
import { resultsBase, writeAtomic } from './src/results.mjs';
import { init, uniform } from '@radix/tensor-webgpu';
import { FidInceptionV3, findFidInceptionWeights, formulaWeights, inceptionFeatures, loadFidInceptionWeights } from '@radix/metrics';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const batch = Number(opt('batch', '4'));
const resize = opt('resize', 'pytorch-bilinear');
const inSize = 256; // input images are resized to 299×299 inside inceptionFeatures, as in real use
const budgetMs = 20_000; // per side

// 'auto' falls back to the CPU backend when no WebGPU adapter exists.
const backend = await init({ backend: argv.includes('--cpu') ? 'cpu' : 'auto' });
if (backend.name === 'cpu' && !argv.includes('--cpu')) console.warn('WebGPU unavailable; benchmarking the CPU backend');
const info = backend.info;
console.log(`device: ${info.description}${info.isSoftware ? ' (software)' : ''} · backend ${backend.name}`);
console.log(`FID Inception-v3, batch of ${batch} RGB ${inSize}×${inSize} images resized '${resize}' to 299×299\n`);

// Real weights when present (the speed does not depend on them), else the deterministic formula weights.
const found = findFidInceptionWeights().path;
let weightsUsed = 'formula';
let weights;
if (found) {
  try {
    weights = await loadFidInceptionWeights({ backend });
    weightsUsed = found;
  } catch (e) {
    console.warn(`could not load ${found} (${e.message.split('\n')[0]}); using the formula weights`);
  }
}
weights ??= formulaWeights({ backend });
const net = new FidInceptionV3(weights);
const images = uniform([batch, 3, inSize, inSize], 0, 1, { backend });
await inceptionFeatures(net, images, { resize, batchSize: batch }); // warm-up: pipeline compilation
const times = [];
const t0 = performance.now();
while ((performance.now() - t0 < budgetMs && times.length < 10) || times.length < 2) {
  const s = performance.now();
  await inceptionFeatures(net, images, { resize, batchSize: batch });
  times.push(performance.now() - s);
}
images.dispose();
net.dispose();
times.sort((x, y) => x - y);
const medianMs = times[Math.floor(times.length / 2)];
const ours = { imagesPerSecond: (batch * 1000) / medianMs, medianBatchMs: medianMs, runs: times.length, backend: backend.name, weights: weightsUsed };
console.log(`ours:    ${ours.imagesPerSecond.toFixed(3)} images/s (median ${medianMs.toFixed(0)} ms per batch of ${batch}, ${times.length} runs)`);

// PyTorch on the same machine: torchvision Inception3 (1008 classes, no aux head, random weights), eval, no_grad, CPU.
const py = `
import json, time, torch, torchvision
import torch.nn.functional as F
torch.manual_seed(0)
m = torchvision.models.inception_v3(weights=None, aux_logits=False, init_weights=False, num_classes=1008).eval()
x = torch.rand(${batch}, 3, ${inSize}, ${inSize})
def run():
    with torch.no_grad():
        y = F.interpolate(x, size=(299, 299), mode='bilinear', align_corners=False) * 2 - 1
        return m(y)
run()
ts = []
t0 = time.perf_counter()
while (time.perf_counter() - t0 < ${budgetMs / 1000} and len(ts) < 10) or len(ts) < 2:
    s = time.perf_counter(); run(); ts.append(time.perf_counter() - s)
ts.sort()
med = ts[len(ts) // 2]
print(json.dumps({'imagesPerSecond': ${batch} / med, 'medianBatchMs': med * 1000, 'runs': len(ts), 'torch': torch.__version__, 'threads': torch.get_num_threads()}))
`;
let torch;
try {
  torch = JSON.parse(execFileSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', timeout: 300_000 }).trim().split('\n').pop());
  console.log(`pytorch: ${torch.imagesPerSecond.toFixed(3)} images/s (torch ${torch.torch}, CPU, ${torch.threads} threads, ${torch.runs} runs)`);
} catch (e) {
  torch = { skipped: `PyTorch unavailable: ${String(e.message).split('\n')[0]}` };
  console.log(`pytorch: skipped (${torch.skipped})`);
}
const ratio = torch.imagesPerSecond ? ours.imagesPerSecond / torch.imagesPerSecond : null;
if (ratio !== null) console.log(`ratio ours/pytorch: ${ratio.toFixed(2)}×`);

const base = resultsBase(info.description, { prefix: 'metrics-inception' });
const meta = {
  date: new Date().toISOString(), device: info.description, software: info.isSoftware, backend: backend.name,
  node: process.version, batch, inputSize: inSize, resize,
  timing: 'median wall-clock ms per batch: resize to 299×299, 2x−1, the full network to pool3/logits; ours includes the read-back of the features',
};
writeAtomic(`${base}.json`, `${JSON.stringify({ ...meta, ours, pytorch: torch, ratio }, null, 2)}\n`);
const f = (x) => (typeof x === 'number' ? x.toFixed(3) : '—');
writeAtomic(`${base}.md`, [
  `# FID Inception-v3 features throughput — ${info.description}`,
  '',
  `${meta.date} · Node ${meta.node} · ${batch} × RGB ${inSize}×${inSize}, resize '${resize}'. ${meta.timing}.`,
  '',
  '| implementation | images/s |',
  '| --- | ---: |',
  `| @radix/metrics inceptionFeatures (${backend.name}) | ${f(ours.imagesPerSecond)} |`,
  `| PyTorch ${torch.torch ?? ''} torchvision Inception3 (CPU${torch.threads ? `, ${torch.threads} threads` : ''}) | ${torch.skipped ? `skipped: ${torch.skipped}` : f(torch.imagesPerSecond)} |`,
  '',
  `ratio ours / PyTorch: ${ratio === null ? 'n/a' : `${ratio.toFixed(2)}×`} (> 1 means ours is faster).`,
  '',
].join('\n'));
console.log(`\nwrote ${base}.json and ${base}.md`);
process.exit(0);
