// Diffusion bench (issue 8, §6): @radix/diffusion's UNet2DModel — one DDPM training step (addNoise, forward, MSE,
// backward, AdamW) and DDIM sampling (10 steps, η = 0) in images/s at 32² and 64² — against the same UNet in PyTorch
// (our reimplementation in src/diffusion-torch.py, checked against a fixture written by diffusers' own code) in the
// same run. PyTorch runs first, as a child process, before our WebGPU device exists.
// Usage (after `npm run build`): node bench/diffusion.mjs [--reps 3] [--cpu] [--tag NAME] [--torch-device cpu|cuda]
//   [--torch-threads 1] [--out DIR]
import { execFileSync } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@radix/tensor-webgpu';
import { resultsBase, writeAtomic } from './src/results.mjs';
import { spec as baseSpec, trainTimesteps } from './src/diffusion-spec.mjs';
import { runOurs } from './src/diffusion-ours.mjs';

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
const withCpu = argv.includes('--cpu');
const spec = { ...baseSpec, cases: baseSpec.cases.map((c) => ({ ...c, trainTimesteps: trainTimesteps(c.batch) })) };
const fixture = fileURLToPath(new URL('../packages/diffusion/fixtures/unet/uncond-attn', import.meta.url));
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
  const script = fileURLToPath(new URL('./src/diffusion-torch.py', import.meta.url));
  const out = execFileSync(python, [script, JSON.stringify(spec), torchDevice, String(reps), String(torchThreads), fixture], { encoding: 'utf8', maxBuffer: 1 << 24 });
  torch = JSON.parse(out.trim().split('\n').pop());
  console.log(`PyTorch ${torch.torch} on ${torch.device}, ${torch.threads} threads: done; reimplementation vs diffusers fixture: output max |err| ${torch.check.outputMaxAbsErr.toExponential(2)}, grad ${torch.check.gradSampleMaxAbsErr.toExponential(2)}`);
} catch (e) {
  console.warn(`PyTorch side skipped: ${e.message.split('\n')[0]}`);
}

// ---- ours ----
const log = (label) => (name, ms) => console.log(`${label.padEnd(7)} ${name.padEnd(30)} ${ms.toFixed(1).padStart(10)} ms`);
const gpu = await init({ backend: 'auto' });
const info = gpu.info;
console.log(`device: ${info.description}${info.isSoftware ? ' (software)' : ''} · backend ${gpu.name}`);
const ours = await runOurs(gpu, spec, { reps, log: log(gpu.name) });
let oursCpu = null;
if (withCpu && gpu.name !== 'cpu') {
  const cpu = await init({ backend: 'cpu' });
  oursCpu = await runOurs(cpu, spec, { reps: 1, log: log('cpu') });
}
const elapsed = (performance.now() - t0) / 1000;
const load1 = loadavg();

// ---- rows: ms and images/s per side, speed ratio ----
const batchOf = (name) => Number(name.match(/×(\d+)/)[1]);
const rows = Object.keys(ours).map((name) => {
  const b = batchOf(name);
  const ms = ours[name].ms;
  const cpuMs = oursCpu?.[name]?.ms ?? null;
  const tms = torch?.rows?.[name] ?? null;
  const ips = (m) => (m ? (b * 1000) / m : null);
  return {
    name, batch: b, oursMs: ms, oursImagesPerSec: ips(ms), cpuMs, cpuImagesPerSec: ips(cpuMs), torchMs: tms, torchImagesPerSec: ips(tms),
    speedVsTorch: tms ? tms / ms : null, samples: ours[name].samples,
  };
});

const outDir = opt('out', null);
const base0 = resultsBase(info.description, { prefix: 'diffusion', suffix: tag ? `-${tag}` : '' });
const base = outDir ? join(outDir, base0.split('/').pop()) : base0;
const meta = {
  date: new Date().toISOString(), device: info.description, software: info.isSoftware, backend: gpu.name, node: process.version,
  torch: torch ? { version: torch.torch, device: torch.device, adapter: torch.adapter ?? null, threads: torch.threads } : null,
  torchReimplementationCheck: torch?.check ?? null,
  reps, elapsedSeconds: elapsed, loadAverage: { start: load0, end: load1 },
  timing: 'median wall-clock ms of `reps` runs after one warm-up run (DDIM: mean of 2 runs after one warm-up forward); each run ends with a full device sync (DDIM: a readback of the final sample); every tensor made is disposed',
};
writeAtomic(`${base}.json`, `${JSON.stringify({ ...meta, spec, rows }, null, 2)}\n`);
const f = (x, d = 1) => (x === null || x === undefined ? '—' : x.toFixed(d));
const cfg = spec.unet;
const md = [
  `# Diffusion bench — ${info.description}`,
  '',
  `${meta.date} · Node ${meta.node} · backend ${gpu.name} · ${torch ? `PyTorch ${torch.torch} (${torch.device}, ${torch.threads} thread${torch.threads === 1 ? "" : "s"})` : 'no PyTorch'} · median of ${reps} runs (DDIM: mean of 2) · ${elapsed.toFixed(0)} s in all.`,
  `Load average at start ${load0.map((l) => l.toFixed(2)).join(' / ')}, at end ${load1.map((l) => l.toFixed(2)).join(' / ')} on ${cpus()} cores (${contention(load0, load1)}).`,
  '',
  `UNet2DModel: blockOutChannels [${cfg.blockOutChannels.join(', ')}], layersPerBlock ${cfg.layersPerBlock}, ${cfg.downBlockTypes.join(' / ')} ↓, UNetMidBlock2D with attention, ${cfg.upBlockTypes.join(' / ')} ↑, GroupNorm ${cfg.normNumGroups} groups, attention head dim ${cfg.attentionHeadDim}.`,
  `Training step: addNoise (linear β, ${spec.numTrainTimesteps} steps), ε-prediction, MSE, backward, AdamW (lr ${spec.lr}). Sampling: DDIM, ${spec.ddimSteps} steps, η = 0, 'leading' spacing, clip_sample.`,
  torch?.check ? `The PyTorch UNet (bench/src/diffusion-torch.py) loads the diffusers fixture \`${torch.check.fixture}\` strictly and reproduces diffusers' output within ${torch.check.outputMaxAbsErr.toExponential(1)} (max |output| ${torch.check.outputMaxAbs.toFixed(2)}) and its input gradient within ${torch.check.gradSampleMaxAbsErr.toExponential(1)}.` : '',
  '',
  `| work | ours (${gpu.name}) ms | ours images/s | ${oursCpu ? 'CPU backend images/s | ' : ''}PyTorch ms | PyTorch images/s | ours speed vs PyTorch |`,
  `| --- | ---: | ---: | ${oursCpu ? '---: | ' : ''}---: | ---: | ---: |`,
  ...rows.map((r) => `| ${r.name} | ${f(r.oursMs)} | ${f(r.oursImagesPerSec, 2)} | ${oursCpu ? `${f(r.cpuImagesPerSec, 3)} | ` : ''}${f(r.torchMs)} | ${f(r.torchImagesPerSec, 1)} | ${r.speedVsTorch ? `${r.speedVsTorch.toFixed(3)}×` : '—'} |`),
  '',
  'Speed ratio = PyTorch ms / ours ms (> 1: ours is faster).',
  '',
].join('\n');
writeAtomic(`${base}.md`, md);
console.log(`\n${md}\nwrote ${base}.json and ${base}.md`);
process.exit(0);
