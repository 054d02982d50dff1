// Proof by training (issue 8, §6): a small DDPM (@radix/diffusion's UNet2DModel and DiffusionTrainer: ε-, x₀- or
// v-prediction, 1000 linear-β steps, MSE, AdamW, gradient clipping) learns 32×32 patches of the bundled IHC image for a fixed
// wall-clock budget on the best device here, then draws a DDIM sample grid. Writes the loss curve (JSON + SVG), the
// sample grid and a grid of real training patches, and a results JSON/markdown with time, steps/s and the load
// average, under examples/results/ddpm-ihc/ (checkpoints and the trainer's log go to a scratch folder).
//
// Run time: RADIX_PROOF_SECONDS of training (default 600) + about a minute of sampling. Run it niced, e.g.
//   nice -n 10 node examples/ddpm-ihc.mjs
// Env: RADIX_BACKEND (auto), RADIX_PROOF_SECONDS, RADIX_PROOF_DDIM_STEPS (25), RADIX_PROOF_PREDICTION (epsilon |
//   sample | v_prediction; default epsilon), RADIX_PROOF_CHANNELS (the UNet's blockOutChannels, default 32,64), RADIX_PROOF_OUT (scratch folder,
//   default a fresh temp folder), RADIX_PROOF_CONTINUE=1 (continue the run in RADIX_PROOF_OUT for another budget: the
//   trainer resumes exactly from its checkpoint; curves, times and results cover all sessions), RADIX_PROOF_RESULTS
//   (results folder, default examples/results/ddpm-ihc/).
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, init, manualSeed, noGrad, randn, tensor, tidy } from '@radix/tensor-webgpu';
import { DDIMScheduler, DDPMScheduler, DiffusionTrainer, UNet2DModel, writeImageGrid } from '@radix/diffusion';
import { sharedPixels, splitByRegion } from './ihc-patches.mjs';
import { firstLastMean, smooth, svgPlot, writeAtomic } from './proof-util.mjs';

const budget = Number(process.env.RADIX_PROOF_SECONDS ?? 600);
const predictionType = process.env.RADIX_PROOF_PREDICTION ?? 'epsilon';
if (!['epsilon', 'sample', 'v_prediction'].includes(predictionType)) throw new Error(`RADIX_PROOF_PREDICTION must be epsilon, sample or v_prediction, got ${JSON.stringify(predictionType)}`);
const TARGET = { epsilon: 'ε', sample: 'x₀', v_prediction: 'v' }[predictionType];
const channels = (process.env.RADIX_PROOF_CHANNELS ?? '32,64').split(',').map(Number);
if (channels.length < 1 || channels.some((c) => !Number.isInteger(c) || c < 8 || c % 8 !== 0)) throw new Error(`RADIX_PROOF_CHANNELS must be a comma-separated list of multiples of 8, got ${JSON.stringify(process.env.RADIX_PROOF_CHANNELS)}`);
const results = process.env.RADIX_PROOF_RESULTS ?? fileURLToPath(new URL('./results/ddpm-ihc/', import.meta.url));
const resume = process.env.RADIX_PROOF_CONTINUE === '1';
if (resume && !process.env.RADIX_PROOF_OUT) throw new Error('RADIX_PROOF_CONTINUE=1 needs RADIX_PROOF_OUT (the scratch folder of the run to continue)');
const scratch = process.env.RADIX_PROOF_OUT ?? mkdtempSync(join(tmpdir(), 'radix-ddpm-ihc-'));
// Per-step losses and cumulative training seconds of every session of this run (the trainer's log keeps losses only).
const historyPath = join(scratch, 'proof-history.json');
const history = resume && existsSync(historyPath) ? JSON.parse(readFileSync(historyPath, 'utf8')) : { steps: [], loss: [], seconds: [], sessions: [] };
if (resume && history.sessions.length === 0) throw new Error(`${historyPath} is missing: ${scratch} holds no proof run to continue`);
mkdirSync(results, { recursive: true });
const load0 = loadavg();
const backend = await init({ backend: process.env.RADIX_BACKEND ?? 'auto' });
console.log(`device: ${backend.info.backend} — ${backend.info.description}; training budget ${budget} s; scratch ${scratch}`);

// The training patches of the classifier example's split (64-px squares held out whole; the DDPM sees only the
// training squares' patches, cut every 16 px). Unconditional: the stain labels are not used here.
const split = splitByRegion(fileURLToPath(new URL('./data/ihc.png', import.meta.url)), { size: 32, block: 64, testFraction: 0.2, seed: 7 });
if (sharedPixels(split) !== 0) throw new Error('train and test patches share pixels');
const data = { channels: 3, height: 32, width: 32, images: split.train.patches };
console.log(`${data.images.length} training patches of 32×32 (${split.trainSquares.length} squares of 64 px)`);

// Small enough for a few hundred steps on two shared CPU cores: two levels, no attention (IHC texture at 32×32 is
// local; attention over 16×16 tokens cost ~10× more per step here).
const unetConfig = {
  sampleSize: 32, blockOutChannels: channels, layersPerBlock: 1, normNumGroups: 8, addAttention: false,
  downBlockTypes: channels.map(() => 'DownBlock2D'), upBlockTypes: channels.map(() => 'UpBlock2D'),
};
manualSeed(1);
const unet = UNet2DModel.fromConfig(unetConfig, { backend });
const params = unet.parameters().reduce((a, p) => a + p.size, 0);
const scheduler = new DDPMScheduler({ numTrainTimesteps: 1000, betaSchedule: 'linear', predictionType });
const train = { batchSize: 8, lr: 1e-3, warmupSteps: 20, lrSchedule: 'constant', gradClip: 1, randomFlip: true, seed: 1 };
const t0 = performance.now();
const times = [];
const secondsBefore = history.seconds.at(-1) ?? 0;
let trainer;
trainer = new DiffusionTrainer(unet, scheduler, data, {
  out: scratch, steps: 100000, ...train, checkpointEvery: 100000, sampleEvery: 0, evalEvery: 0, logEvery: 10, resume,
  onNotice: (m) => console.log(`note: ${m}`),
  onStep: (s) => {
    const sec = (performance.now() - t0) / 1000;
    times.push(sec);
    if (s.step % 10 === 0) console.log(`step ${String(s.step).padStart(5)}  loss ${s.loss.toFixed(4)}  ${(times.length / sec).toFixed(3)} steps/s  ${sec.toFixed(0)} s`);
    if (sec >= budget) trainer.requestStop();
  },
});
const r = await trainer.train(); // with `resume`, it first restores the newest checkpoint of the scratch folder
const startStep = r.step - r.losses.length;
const sessionSeconds = (performance.now() - t0) / 1000;
trainer.dispose();
console.log(`stopped (${r.status}) at step ${r.step} after ${sessionSeconds.toFixed(0)} s: ${r.stepsPerSecond.toFixed(3)} steps/s in the loop; checkpoint ${r.lastCheckpoint}`);
// Append this session to the run's history (cut to the step it resumed from, in case an earlier session went further).
const keepN = history.steps.findIndex((st) => st > startStep);
if (keepN >= 0) for (const k of ['steps', 'loss', 'seconds']) history[k] = history[k].slice(0, keepN);
r.losses.forEach((l, i) => {
  history.steps.push(startStep + i + 1);
  history.loss.push(l);
  history.seconds.push(Number((secondsBefore + times[i]).toFixed(2)));
});
history.sessions.push({ date: new Date().toISOString(), fromStep: startStep, toStep: r.step, seconds: sessionSeconds, stepsPerSecond: r.stepsPerSecond, loadAverage: { start: load0, end: loadavg() } });
writeAtomic(historyPath, JSON.stringify(history));
const trainSeconds = history.sessions.reduce((a, x) => a + x.seconds, 0);
const loopStepsPerSecond = r.step / history.sessions.reduce((a, x) => a + (x.toStep - x.fromStep) / x.stepsPerSecond, 0);

// DDIM sample grid from fixed noise, and a grid of real training patches for comparison.
const ddimSteps = Number(process.env.RADIX_PROOF_DDIM_STEPS ?? 25);
const nSamples = 16;
const ts = performance.now();
unet.eval();
const ddim = new DDIMScheduler({ numTrainTimesteps: 1000, betaSchedule: 'linear', predictionType });
ddim.setTimesteps(ddimSteps);
let x = randn([nSamples, 3, 32, 32], { generator: new Generator(2024), backend });
for (const t of ddim.timesteps) {
  const next = noGrad(() => tidy(() => ddim.step(unet.call(x, t), t, x, { eta: 0 }).prevSample));
  x.dispose();
  x = next;
}
const samples = tidy(() => x.add(1).div(2).clamp(0, 1));
x.dispose();
await writeImageGrid(join(results, 'samples.png'), samples);
const sampleSeconds = (performance.now() - ts) / 1000;
const sampleStats = await samples.data();
samples.dispose();
const pick = Array.from({ length: nSamples }, (_, i) => data.images[Math.floor((i * data.images.length) / nSamples)]);
const real = tensor(Float32Array.from(pick.flatMap((p) => Array.from(p))), { shape: [nSamples, 3, 32, 32], backend });
await writeImageGrid(join(results, 'real.png'), real);
const realStats = await real.data();
real.dispose();
const channelMeans = (px) => [0, 1, 2].map((c) => {
  let s = 0;
  for (let i = 0; i < nSamples; i++) for (let k = 0; k < 1024; k++) s += px[(i * 3 + c) * 1024 + k];
  return s / (nSamples * 1024);
});

// Loss curve: every step's loss (the trainer's return), the first vs last 10 % and a plot.
const losses = history.loss;
const fl = firstLastMean(losses);
const load1 = loadavg();
const curve = { steps: history.steps, loss: losses, seconds: history.seconds };
writeAtomic(join(results, 'loss.json'), `${JSON.stringify(curve)}\n`);
const w = Math.max(5, Math.floor(losses.length / 25));
writeAtomic(join(results, 'loss.svg'), svgPlot([{
  title: `DDPM training loss (MSE of ${TARGET}) on 32×32 IHC patches — ${losses.length} steps, ${trainSeconds.toFixed(0)} s`,
  series: [
    { name: 'per step', x: curve.steps, y: losses, color: '#bbb' },
    { name: `moving mean (${w})`, x: curve.steps, y: smooth(losses, w), color: '#c0392b', width: 2 },
  ],
}]));
const summary = {
  date: new Date().toISOString(), device: backend.info.description, backend: backend.name, node: process.version,
  data: { image: 'examples/data/ihc.png', patches: data.images.length, size: 32, split: 'training squares of splitByRegion (64 px, 20 % held out, seed 7)' },
  unet: unetConfig, parameters: params,
  training: { ...train, scheduler: `DDPM, 1000 steps, linear β 1e-4…0.02, ${TARGET}-prediction`, budgetSeconds: budget },
  steps: r.step, trainSeconds, stepsPerSecond: loopStepsPerSecond, imagesPerSecond: loopStepsPerSecond * train.batchSize,
  sessions: history.sessions,
  loss: { firstTenPercentMean: fl.first, lastTenPercentMean: fl.last, window: fl.window, ratio: fl.last / fl.first, falls: fl.last < fl.first },
  sampling: { sampler: `DDIM, ${ddimSteps} steps, η = 0`, images: nSamples, seconds: sampleSeconds, channelMeans: channelMeans(sampleStats), realChannelMeans: channelMeans(realStats) },
  loadAverage: { start: load0, end: load1 }, cpus: 2,
  note: 'The machine (2 cores) is shared with other jobs; the load average says how contended it was.',
};
writeAtomic(join(results, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
const f = (v, d = 3) => v.toFixed(d);
writeAtomic(join(results, 'README.md'), [
  '# DDPM on 32×32 IHC patches — proof run',
  '',
  `Written by \`examples/ddpm-ihc.mjs\` on ${summary.date.slice(0, 10)} (${summary.device}, backend ${summary.backend}; 2 shared CPU cores, load average ${load0.map((l) => l.toFixed(1)).join(' / ')} at the start, ${load1.map((l) => l.toFixed(1)).join(' / ')} at the end).`,
  '',
  `- Data: ${data.images.length} training patches (32×32, cut every 16 px inside the training squares of the classifier example's region split).`,
  `- Model: UNet2DModel blockOutChannels [${unetConfig.blockOutChannels.join(', ')}], DownBlock2D × ${channels.length} / UpBlock2D × ${channels.length}, mid block without attention, ${params.toLocaleString('en')} parameters; DDPM (${TARGET}-prediction, 1000 linear-β steps), AdamW lr ${train.lr} (constant after ${train.warmupSteps} warm-up steps), batch ${train.batchSize}, gradient clip ${train.gradClip}, random flips.`,
  `- Training: **${r.step} steps in ${f(trainSeconds, 0)} s = ${f(loopStepsPerSecond)} steps/s (${f(loopStepsPerSecond * train.batchSize, 2)} images/s)**${history.sessions.length > 1 ? `, in ${history.sessions.length} sessions (${history.sessions.map((x) => `steps ${x.fromStep}→${x.toStep} in ${f(x.seconds, 0)} s`).join(', ')}; each later one resumed exactly from the checkpoint)` : ` for a budget of ${budget} s`}.`,
  `- Loss (MSE of ${TARGET}): mean of the first 10 % of steps **${f(fl.first, 4)}**, of the last 10 % **${f(fl.last, 4)}** (${f(fl.last / fl.first, 2)}× the start) — see \`loss.svg\` / \`loss.json\`.`,
  `- Samples: \`samples.png\`, ${nSamples} images by DDIM (${ddimSteps} steps, η = 0) from fixed noise, ${f(sampleSeconds, 0)} s; mean R/G/B ${summary.sampling.channelMeans.map((v) => f(v, 2)).join(' / ')} vs ${summary.sampling.realChannelMeans.map((v) => f(v, 2)).join(' / ')} for the real patches in \`real.png\`.`,
  '',
  '![samples](samples.png) ![real patches](real.png)',
  '',
  '![loss](loss.svg)',
  '',
].join('\n'));
console.log(JSON.stringify(summary, null, 2));
process.exit(0);
