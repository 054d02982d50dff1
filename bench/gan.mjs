// GAN bench (issue 9, §6): @radix/gan's StyleGAN2Generator / StyleGAN2Discriminator — one training minibatch with R1
// (G main + D main + D R1, each with its Adam step; kimg/s) and generation (images/s) at 32² and 64² — against the same
// networks in PyTorch (our reimplementation in src/gan-torch.py, checked against a fixture written by
// stylegan2-ada-pytorch's own code) in the same run. PyTorch runs first, as a child process, before our WebGPU device.
// Usage (after `npm run build`): node bench/gan.mjs [--reps 3] [--tag NAME] [--torch-device cpu|cuda] [--torch-threads 1]
//   [--out DIR]
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { init } from '@radix/tensor-webgpu';
import { resultsBase, writeAtomic } from './src/results.mjs';
import { runTorchGan, spec } from './src/gan-spec.mjs';
import { runOurs } from './src/gan-ours.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const reps = Number(opt('reps', '3'));
const tag = opt('tag', '');
const torchDevice = opt('torch-device', 'cpu');
// One PyTorch thread by default: on this shared 2-core machine two OpenMP threads spin-wait for each other whenever
// other jobs hold a core (measured on 2026-12-02: StyleGAN2 G main at 32², batch 8, 1.6–3.5 s with 2 threads, 42 ms with 1).
const torchThreads = Number(opt('torch-threads', '1'));
const python = opt('python', process.env.RADIX_BENCH_PYTHON ?? '/usr/bin/python3');
const load0 = loadavg();
const cpus = () => availableParallelism();
/** How far to trust single numbers, from the 1-minute load average at the start and the end of the run. */
const contention = (a, b) => (Math.max(a[0], b[0]) > 2 * cpus()
  ? `heavily contended by other jobs: absolute times may be off by 2× or more; both sides ran in this one run, PyTorch first, PyTorch with ${torchThreads} thread${torchThreads === 1 ? '' : 's'} and lavapipe with one worker per core`
  : 'the machine is shared: treat single numbers as ±20 %');
const t0 = performance.now();

// ---- PyTorch first, in a child process ----
let torch = null;
try {
  torch = runTorchGan(python, spec, { device: torchDevice, reps, threads: torchThreads });
  console.log(`PyTorch ${torch.torch} on ${torch.device}, ${torch.threads} threads: done; reimplementation vs stylegan2-ada-pytorch fixture: worst |err| ${torch.check.worst.toExponential(2)}`);
} catch (e) {
  console.warn(`PyTorch side skipped: ${e.message.split('\n')[0]}`);
}

// ---- ours ----
const log = (label) => (name, ms) => console.log(`${label.padEnd(7)} ${name.padEnd(24)} ${ms.toFixed(1).padStart(10)} ms`);
const gpu = await init({ backend: 'auto' });
const info = gpu.info;
console.log(`device: ${info.description}${info.isSoftware ? ' (software)' : ''} · backend ${gpu.name}`);
const ours = await runOurs(gpu, spec, { reps, log: log(gpu.name) });
const elapsed = (performance.now() - t0) / 1000;
const load1 = loadavg();

// ---- rows, the whole minibatch (sum of the three phases) and the speed ratios ----
const rows = Object.keys(ours).map((name) => {
  const t = torch?.rows?.[name] ?? null;
  return { name, oursMs: ours[name].ms, torchMs: t, speedVsTorch: t ? t / ours[name].ms : null, samples: ours[name].samples };
});
const summary = spec.cases.map((c) => {
  const k = (side, prefix) => rows.find((r) => r.name === `${prefix} ${c.size}² ×${prefix === 'generate' ? c.genBatch : c.batch}`)?.[side] ?? null;
  const sum = (side) => ['G main', 'D main', 'D R1'].reduce((a, p) => (a === null || k(side, p) === null ? null : a + k(side, p)), 0);
  const stepOurs = sum('oursMs');
  const stepTorch = sum('torchMs');
  const genOurs = k('oursMs', 'generate');
  const genTorch = k('torchMs', 'generate');
  return {
    size: c.size, batch: c.batch, genBatch: c.genBatch, gamma: c.gamma,
    stepMs: { ours: stepOurs, torch: stepTorch },
    kimgPerSec: { ours: c.batch / stepOurs, torch: stepTorch ? c.batch / stepTorch : null },
    trainSpeedVsTorch: stepTorch ? stepTorch / stepOurs : null,
    generateImagesPerSec: { ours: (c.genBatch * 1000) / genOurs, torch: genTorch ? (c.genBatch * 1000) / genTorch : null },
    generateSpeedVsTorch: genTorch ? genTorch / genOurs : null,
  };
});

const outDir = opt('out', null);
const base0 = resultsBase(info.description, { prefix: 'gan', suffix: tag ? `-${tag}` : '' });
const base = outDir ? join(outDir, base0.split('/').pop()) : base0;
const meta = {
  date: new Date().toISOString(), device: info.description, software: info.isSoftware, backend: gpu.name, node: process.version,
  torch: torch ? { version: torch.torch, device: torch.device, adapter: torch.adapter ?? null, threads: torch.threads } : null,
  torchReimplementationCheck: torch?.check ?? null,
  reps, elapsedSeconds: elapsed, loadAverage: { start: load0, end: load1 },
  timing: 'median wall-clock ms of `reps` runs after one warm-up run; each run ends with a full device sync; every tensor made is disposed',
};
writeAtomic(`${base}.json`, `${JSON.stringify({ ...meta, spec, summary, rows }, null, 2)}\n`);
const f = (x, d = 1) => (x === null || x === undefined ? '—' : x.toFixed(d));
const x = (v) => (v ? `${v.toFixed(3)}×` : '—');
const g = spec.cases[0].G;
const md = [
  `# GAN bench — ${info.description}`,
  '',
  `${meta.date} · Node ${meta.node} · backend ${gpu.name} · ${torch ? `PyTorch ${torch.torch} (${torch.device}, ${torch.threads} thread${torch.threads === 1 ? "" : "s"})` : 'no PyTorch'} · median of ${reps} runs · ${elapsed.toFixed(0)} s in all.`,
  `Load average at start ${load0.map((l) => l.toFixed(2)).join(' / ')}, at end ${load1.map((l) => l.toFixed(2)).join(' / ')} on ${cpus()} cores (${contention(load0, load1)}).`,
  '',
  `Networks: StyleGAN2 G ('skip', z = w = ${g.zDim}, ${g.mappingKwargs.numLayers}-layer mapping, modulated/demodulated convs, FIR up-sampling, noise inputs) and D ('resnet', minibatch-stddev group 4), ${g.synthesisKwargs.channelMax} channels at every resolution, unconditional, float32.`,
  'One minibatch = G main (softplus(−D(G(z)))) + D main (softplus(D(fake)) + softplus(−D(real))) + D R1 (γ/2 · |∇ₓD(x)|², create-graph gradient, γ = 0.0002·res²/batch), each with its own Adam step (lr 0.0025, β (0, 0.99)); R1 every minibatch (StyleGAN2\'s lazy R1 runs it every 16th). No augmentation, no style mixing. Generation: eval mode (fused modulated conv), noise \'const\'.',
  torch?.check ? `The PyTorch networks (bench/src/gan-torch.py) load the stylegan2-ada-pytorch fixture \`${torch.check.fixture}\` strictly and reproduce its ws, images (fused and non-fused), D logits and R1 penalties within ${torch.check.worst.toExponential(1)}.` : '',
  '',
  '| resolution | batch | ours G+D+R1 ms | ours kimg/s | PyTorch ms | PyTorch kimg/s | ours train speed vs PyTorch | ours generate images/s | PyTorch images/s | ours generate speed vs PyTorch |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...summary.map((s) => `| ${s.size}² | ${s.batch} | ${f(s.stepMs.ours)} | ${f(s.kimgPerSec.ours, 4)} | ${f(s.stepMs.torch)} | ${f(s.kimgPerSec.torch, 4)} | ${x(s.trainSpeedVsTorch)} | ${f(s.generateImagesPerSec.ours, 2)} | ${f(s.generateImagesPerSec.torch, 1)} | ${x(s.generateSpeedVsTorch)} |`),
  '',
  '| phase | ours ms | PyTorch ms | ours speed vs PyTorch |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${f(r.oursMs)} | ${f(r.torchMs)} | ${x(r.speedVsTorch)} |`),
  '',
  'Speed ratio = PyTorch ms / ours ms (> 1: ours is faster).',
  '',
].join('\n');
writeAtomic(`${base}.md`, md);
console.log(`\n${md}\nwrote ${base}.json and ${base}.md`);
process.exit(0);
