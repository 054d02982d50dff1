// Benchmark runner: our WebGPU matmul/conv2d vs tfjs-webgpu on the SAME GPUDevice in one process, timed
// with one shared method (bench/src/timing.mjs). Writes bench/results/<device>-<date>.{json,md} atomically.
// Usage (after `npm run build`): node bench/run.mjs [--quick] [--only matmul|conv]
import { resultsBase, writeAtomic } from './src/results.mjs';
import { initOurs } from './src/ours.mjs';
import { initTfjsPeer } from './src/tfjs-peer.mjs';
import { convFlops, convShapes, itersFor, matmulFlops, matmulShapes } from './src/shapes.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : null;
if (only !== null && only !== 'matmul' && only !== 'conv') {
  console.error(`--only expects 'matmul' or 'conv', got ${only}`);
  process.exit(2);
}

const QUICK_MATMUL = new Set(['square 256', 'square 512', 'small batch linear']);
const QUICK_CONV = new Set(['unet in 3->64 k3 @64', 'incv3 Mixed_5d 1x1 288->64 @35', 'incv3 Mixed_6b 1x7 128->128 @17']);
const iters = (flops) => (quick ? { warmup: 1, iters: 3 } : itersFor(flops));

const ours = await initOurs();
const info = ours.backend.info;
const peer = await initTfjsPeer(ours.device, { adapterInfo: ours.device.adapterInfo });
console.log(`device: ${info.description}${info.isSoftware ? ' (software)' : ''}`);
console.log(`ours: ${ours.name}   peer: ${peer.name}   mode: ${quick ? 'quick' : 'full'}${only ? `, only ${only}` : ''}\n`);

const rows = [];
const fmt = (x, d = 2) => (x === null || x === undefined ? '—' : x.toFixed(d));
function report(row) {
  rows.push(row);
  const r = row.ratio === null ? (row.tfjs.skipped ? `tfjs skipped: ${row.tfjs.skipped}` : '') : `×${row.ratio.toFixed(2)}`;
  console.log(`${row.op.padEnd(7)} ${row.shape.padEnd(44)} ours ${fmt(row.ours.ms).padStart(9)} ms ${fmt(row.ours.gflops).padStart(7)} GFLOP/s | tfjs ${fmt(row.tfjs.ms).padStart(9)} ms ${fmt(row.tfjs.gflops).padStart(7)} GFLOP/s | ${r}`);
}
const pick = (r) => (r.skipped ? { skipped: r.skipped } : { ms: r.ms, min: r.min, gflops: r.gflops, iters: r.iters, samples: r.samples });

const t0 = performance.now();
if (only !== 'conv') {
  for (const s of matmulShapes) {
    if (quick && !QUICK_MATMUL.has(s.name)) continue;
    const opts = iters(matmulFlops(s));
    const o = await ours.matmul(s.M, s.K, s.N, opts);
    const t = await peer.matmul(s.M, s.K, s.N, opts);
    report({ op: 'matmul', shape: `${s.name} ${s.M}×${s.K}×${s.N}`, flops: matmulFlops(s), ours: pick(o), tfjs: pick(t), ratio: t.ms / o.ms });
  }
}
if (only !== 'matmul') {
  for (const s of convShapes) {
    if (quick && !QUICK_CONV.has(s.name)) continue;
    const opts = iters(convFlops(s));
    const o = await ours.conv2d(s, opts);
    const t = await peer.conv2d(s, opts);
    report({ op: 'conv2d', shape: s.name, flops: convFlops(s), ours: pick(o), tfjs: pick(t), ratio: t.skipped ? null : t.ms / o.ms });
  }
}
const elapsed = (performance.now() - t0) / 1000;
peer.dispose();

// ---- results ----
const base = resultsBase(info.description, { suffix: `${quick ? '-quick' : ''}${only ? `-${only}` : ''}` });
const meta = {
  date: new Date().toISOString(), device: info.description, software: info.isSoftware, node: process.version,
  ours: ours.name, peer: peer.name, mode: quick ? 'quick' : 'full', only, elapsedSeconds: elapsed,
  timing: 'median wall-clock ms per op; each sample = op then flush + 4-byte readback of the result (bench/src/timing.mjs), results disposed after each sample; same GPUDevice for both',
};
writeAtomic(`${base}.json`, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
const md = [
  `# matmul / conv2d: ours vs tfjs-webgpu — ${info.description}`,
  '',
  `${meta.date} · Node ${meta.node} · ${meta.mode} run · ${meta.timing}.`,
  '',
  '| op | shape | ours ms | ours GFLOP/s | tfjs ms | tfjs GFLOP/s | ratio ours/tfjs |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.op} | ${r.shape} | ${fmt(r.ours.ms)} | ${fmt(r.ours.gflops)} | ${fmt(r.tfjs.ms)} | ${fmt(r.tfjs.gflops)} | ${r.ratio === null ? `n/a (${r.tfjs.skipped})` : `${r.ratio.toFixed(2)}×`} |`),
  '',
  'ratio = tfjs ms / ours ms (speed ratio: > 1 means ours is faster).',
  '',
].join('\n');
writeAtomic(`${base}.md`, md);
console.log(`\n${rows.length} shapes in ${elapsed.toFixed(1)} s; wrote ${base}.json and ${base}.md`);
process.exit(0);
