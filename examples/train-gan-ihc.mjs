// Proof by training (issue 9, §6): a class-conditional StyleGAN2 (@radix/gan: skip G, resnet D, D2D-CE conditioning as
// in ReACGAN, ADA, R1, G EMA, class-balanced sampling) trained with trainGan on 32×32 patches of the bundled IHC image,
// labelled background / haematoxylin / DAB by colour deconvolution, for a fixed wall-clock budget. Train and test
// patches come from separate 64-px squares (the classifier example's split: no shared pixel). Writes one sample grid
// per class, the loss and ADA p curves (JSON + SVG), and a results JSON/markdown with time, kimg/s and the load
// average under examples/results/gan-ihc/; checkpoints and the trainer's log go to a scratch folder.
//
// Conditioning check: every generated image is labelled with the same colour-deconvolution rule as the data; the
// fraction whose label equals the class it was generated for is reported (chance: 1/3), next to the held-out test
// patches' class statistics.
//
// Run time: RADIX_PROOF_SECONDS of training (default 600) + under a minute for grids. Run it niced, e.g.
//   nice -n 10 node examples/train-gan-ihc.mjs
// Env: RADIX_BACKEND (auto), RADIX_PROOF_SECONDS, RADIX_PROOF_OUT (scratch folder, default a fresh temp folder),
//   RADIX_PROOF_CONTINUE=1 (continue the run in RADIX_PROOF_OUT for another budget; trainGan resumes exactly from its
//   checkpoint; curves, times and results cover all sessions), RADIX_PROOF_RESULTS (default examples/results/gan-ihc/).
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Generator, init, tensor } from '@radix/tensor-webgpu';
import { AdaPipe, D2DCEHead, StyleGAN2Discriminator, StyleGAN2Generator, encodePng, generateImages, tileImages, trainGan } from '@radix/gan';
import { CLASSES, sharedPixels, splitByRegion, stainLabel } from './ihc-patches.mjs';
import { firstLastMean, smooth, svgPlot, writeAtomic } from './proof-util.mjs';

const budget = Number(process.env.RADIX_PROOF_SECONDS ?? 600);
const results = process.env.RADIX_PROOF_RESULTS ?? fileURLToPath(new URL('./results/gan-ihc/', import.meta.url));
const resume = process.env.RADIX_PROOF_CONTINUE === '1';
if (resume && !process.env.RADIX_PROOF_OUT) throw new Error('RADIX_PROOF_CONTINUE=1 needs RADIX_PROOF_OUT (the scratch folder of the run to continue)');
const scratch = process.env.RADIX_PROOF_OUT ?? mkdtempSync(join(tmpdir(), 'radix-gan-ihc-'));
const historyPath = join(scratch, 'proof-history.json');
const history = resume && existsSync(historyPath) ? JSON.parse(readFileSync(historyPath, 'utf8')) : { sessions: [] };
if (resume && history.sessions.length === 0) throw new Error(`${historyPath} is missing: ${scratch} holds no proof run to continue`);
mkdirSync(results, { recursive: true });
const load0 = loadavg();
const backend = await init({ backend: process.env.RADIX_BACKEND ?? 'auto' });
console.log(`device: ${backend.info.backend} — ${backend.info.description}; training budget ${budget} s; scratch ${scratch}`);

const split = splitByRegion(fileURLToPath(new URL('./data/ihc.png', import.meta.url)), { size: 32, block: 64, testFraction: 0.2, seed: 7 });
if (sharedPixels(split) !== 0) throw new Error('train and test patches share pixels');
const size = 32;
const per = 3 * size * size;
const count = (y) => CLASSES.map((_, k) => y.filter((v) => v === k).length);
const trainCounts = count(split.train.labels);
const testCounts = count(split.test.labels);
console.log(`patches: ${split.train.labels.length} train, ${split.test.labels.length} test (held-out squares); ${CLASSES.join('/')}: train ${trainCounts.join('/')}, test ${testCounts.join('/')}`);
const images = tensor(Float32Array.from(split.train.patches.flatMap((p) => Array.from(p))), { shape: [split.train.patches.length, 3, size, size], backend });

// Networks: 32 channels per block, z = w = 64, 2 mapping layers; D unconditional with a D2D-CE head on its epilogue
// features (the paper's ReACGAN conditioning), as `radix train gan --cond --cond-loss d2dce` builds it.
const ch = 32;
const gConfig = {
  zDim: 64, cDim: CLASSES.length, wDim: 64, imgResolution: size, imgChannels: 3, mappingKwargs: { numLayers: 2 },
  synthesisKwargs: { channelBase: ch * size * 2, channelMax: ch },
};
const dConfig = { cDim: 0, imgResolution: size, imgChannels: 3, architecture: 'resnet', channelBase: ch * size * 2, channelMax: ch, epilogueKwargs: { mbstdGroupSize: 4 } };
const seedGen = new Generator(3);
const G = new StyleGAN2Generator(gConfig, { backend, generator: seedGen });
const D = new StyleGAN2Discriminator(dConfig, { backend, generator: seedGen });
const gEma = new StyleGAN2Generator(gConfig, { backend, generator: seedGen });
const head = new D2DCEHead(ch, CLASSES.length, { embedDim: ch, generator: seedGen, backend });
const augment = new AdaPipe();
const batch = 8;
// ADA's p moves by batch·interval/(kimg·1000) per adjustment; StyleGAN2-ADA's 500 kimg is for runs of thousands of
// kimg. A run of a few kimg uses 5 kimg so that p can react within it (stated in the results).
const ada = { target: 0.6, interval: 4, kimg: 5 };
const options = {
  outDir: scratch, images, labels: split.train.labels, classNames: CLASSES, batch, seed: 5, augment, ada, d2dce: {},
  balanced: true, emaKimg: (batch * 10) / 32, snapshotSteps: 1_000_000, gridSteps: 0,
  networkConfig: { G: gConfig, D: dConfig, head: { inFeatures: ch, numClasses: CLASSES.length, embedDim: ch } },
};

// trainGan runs to a step count; to train for a wall-clock budget, run it in chunks, each continuing the last
// (resume: exact, from outDir/checkpoint.safetensors), until the budget is spent.
const chunk = 25;
const t0 = performance.now();
const startStep = history.sessions.at(-1)?.toStep ?? 0;
let steps = startStep;
let last = null;
while ((performance.now() - t0) / 1000 < budget) {
  last = await trainGan({ G, D, gEma, head }, {
    ...options, steps: steps + chunk, resume: steps > 0,
    onStep: (info) => {
      if (info.step % 25 === 0) {
        const l = info.losses;
        console.log(`step ${String(info.step).padStart(5)}  kimg ${info.kimg.toFixed(2)}  G ${l['G/loss']?.toFixed(3)}  D ${l['D/loss']?.toFixed(3)}  R1 ${l['D/r1']?.toFixed(4) ?? '-'}  p ${info.p?.toFixed(4)}  ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      }
    },
  });
  if (last.status !== 'done') throw new Error(`GAN training stopped: ${last.message}`);
  steps = last.steps;
}
const sessionSeconds = (performance.now() - t0) / 1000;
console.log(`trained minibatches ${startStep}→${steps} (${((steps * batch) / 1000).toFixed(2)} kimg in all) in ${sessionSeconds.toFixed(0)} s`);
history.sessions.push({ date: new Date().toISOString(), fromStep: startStep, toStep: steps, seconds: sessionSeconds, loadAverage: { start: load0, end: loadavg() } });
writeAtomic(historyPath, JSON.stringify(history));
const trainSeconds = history.sessions.reduce((a, x) => a + x.seconds, 0);

// Curves from the trainer's log (one line per minibatch).
const log = readFileSync(join(scratch, 'log.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => typeof r.kimg === 'number' && r.event === undefined);
const col = (k) => log.map((r) => (typeof r[k] === 'number' ? r[k] : null));
const curves = { step: col('step'), kimg: col('kimg'), 'G/loss': col('G/loss'), 'G/cond': col('G/cond'), 'D/loss': col('D/loss'), 'D/cond': col('D/cond'), 'D/r1': col('D/r1'), 'D/realScore': col('D/realScore'), 'D/fakeScore': col('D/fakeScore'), p: col('p'), sec: col('sec') };
writeAtomic(join(results, 'curves.json'), `${JSON.stringify(curves)}\n`);
const w = Math.max(5, Math.floor(log.length / 25));
const series = (k, color) => {
  const pts = curves.step.map((s, i) => [s, curves[k][i]]).filter(([, v]) => v !== null);
  return { name: k, x: pts.map(([s]) => s), y: smooth(pts.map(([, v]) => v), w), color, width: 1.6 };
};
writeAtomic(join(results, 'curves.svg'), svgPlot([
  { title: `adversarial losses (moving mean of ${w} minibatches)`, series: [series('G/loss', '#2471a3'), series('D/loss', '#c0392b')] },
  { title: 'D2D-CE conditioning losses', series: [series('G/cond', '#2471a3'), series('D/cond', '#c0392b')] },
  { title: 'D scores on reals / fakes', series: [series('D/realScore', '#1e8449'), series('D/fakeScore', '#7d3c98')] },
  { title: `ADA p (target ${ada.target}, adjusted every ${ada.interval} minibatches, ${ada.kimg} kimg to 1)`, series: [{ name: 'p', x: curves.step, y: curves.p, color: '#d35400', width: 1.6 }] },
]));

// One grid per class from the EMA generator (fixed latents), and the conditioning check.
const perClass = 16;
const grids = [];
const agreement = [];
for (let k = 0; k < CLASSES.length; k++) {
  const imgs = generateImages(gEma, Array.from({ length: perClass }, () => k), { seed: 100 + k, noiseMode: 'const' });
  const px = await imgs.data();
  const file = `grid-${CLASSES[k]}.png`;
  writeAtomic(join(results, file), encodePng(await tileImages(imgs, 2, perClass / 2)));
  imgs.dispose();
  const labels = Array.from({ length: perClass }, (_, i) => stainLabel(px.subarray(i * per, (i + 1) * per), size));
  agreement.push(labels.filter((l) => l === k).length / perClass);
  grids.push({ class: CLASSES[k], file, generatedLabels: count(labels) });
}
// Real held-out test patches per class, for comparison.
for (let k = 0; k < CLASSES.length; k++) {
  const idx = split.test.labels.map((l, i) => (l === k ? i : -1)).filter((i) => i >= 0).slice(0, 8);
  if (idx.length === 0) continue;
  const t = tensor(Float32Array.from(idx.flatMap((i) => Array.from(split.test.patches[i]))), { shape: [idx.length, 3, size, size], backend });
  writeAtomic(join(results, `test-${CLASSES[k]}.png`), encodePng(await tileImages(t, 1, idx.length)));
  t.dispose();
}
images.dispose();

const load1 = loadavg();
const g = firstLastMean(curves['G/loss'].filter((v) => v !== null));
const d = firstLastMean(curves['D/loss'].filter((v) => v !== null));
const summary = {
  date: new Date().toISOString(), device: backend.info.description, backend: backend.name, node: process.version,
  data: { image: 'examples/data/ihc.png', size, classes: CLASSES, train: split.train.labels.length, test: split.test.labels.length, trainCounts, testCounts, sharedPixels: 0, split: 'splitByRegion: 64-px squares, 20 % held out (seed 7); train patches every 16 px, test every 32 px' },
  networks: { G: gConfig, D: dConfig, head: 'D2DCEHead(32 features, 3 classes, embed 32)' },
  training: { batch, ada, loss: 'logistic (non-saturating) + D2D-CE (λ 0.25, margin 0.98, τ 0.25)', r1: 'γ = 0.0002·32²/8 = 0.0256, lazy every 16 minibatches', emaKimg: options.emaKimg, balanced: true, budgetSeconds: budget, chunkSteps: chunk },
  minibatches: steps, kimg: (steps * batch) / 1000, trainSeconds, sessions: history.sessions, kimgPerSec: (steps * batch) / 1000 / trainSeconds, minibatchesPerSec: steps / trainSeconds,
  curves: {
    'G/loss': { firstTenPercentMean: g.first, lastTenPercentMean: g.last },
    'D/loss': { firstTenPercentMean: d.first, lastTenPercentMean: d.last },
    pFinal: curves.p.at(-1), pMax: Math.max(...curves.p.filter((v) => v !== null)),
  },
  conditioning: { perClass, labelAgreement: Object.fromEntries(CLASSES.map((c, k) => [c, agreement[k]])), meanAgreement: agreement.reduce((a, v) => a + v, 0) / agreement.length, chance: 1 / CLASSES.length },
  grids, loadAverage: { start: load0, end: load1 }, cpus: 2,
  note: 'The machine (2 cores) is shared with other jobs; the load average says how contended it was.',
};
writeAtomic(join(results, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
const f = (v, n = 3) => v.toFixed(n);
writeAtomic(join(results, 'README.md'), [
  '# Conditional StyleGAN2 on labelled 32×32 IHC patches — proof run',
  '',
  `Written by \`examples/train-gan-ihc.mjs\` on ${summary.date.slice(0, 10)} (${summary.device}, backend ${summary.backend}; 2 shared CPU cores, load average ${load0.map((l) => l.toFixed(1)).join(' / ')} at the start, ${load1.map((l) => l.toFixed(1)).join(' / ')} at the end).`,
  '',
  `- Data: ${split.train.labels.length} training patches (${CLASSES.join('/')}: ${trainCounts.join('/')}) and ${split.test.labels.length} test patches (${testCounts.join('/')}) from separate 64-px squares (no shared pixel), labelled by colour deconvolution.`,
  `- Networks: StyleGAN2 G (skip, 32 channels, z = w = 64, conditional mapping) and resnet D with a D2D-CE head; ADA (target ${ada.target}, ${ada.kimg} kimg), lazy R1, G EMA, class-balanced sampling, batch ${batch}.`,
  `- Training: **${steps} minibatches = ${f(summary.kimg, 2)} kimg in ${f(trainSeconds, 0)} s (${f(summary.kimgPerSec, 4)} kimg/s, ${f(summary.minibatchesPerSec, 3)} minibatches/s)**${history.sessions.length > 1 ? `, in ${history.sessions.length} sessions (${history.sessions.map((x) => `minibatches ${x.fromStep}→${x.toStep} in ${f(x.seconds, 0)} s`).join(', ')}; each later one resumed exactly from the checkpoint)` : ` for a budget of ${budget} s`}; trainGan runs in chunks of ${chunk} minibatches, so a session ends up to one chunk past its budget.`,
  `- Losses (mean of first → last 10 % of minibatches): G ${f(g.first)} → ${f(g.last)}, D ${f(d.first)} → ${f(d.last)}; ADA p ends at ${f(summary.curves.pFinal ?? 0, 4)} (max ${f(summary.curves.pMax, 4)}). See \`curves.svg\` / \`curves.json\`.`,
  `- Conditioning: of ${perClass} images generated per class, the colour-deconvolution label matches the requested class for ${CLASSES.map((c, k) => `${c} ${f(agreement[k] * 100, 0)} %`).join(', ')} (mean ${f(summary.conditioning.meanAgreement * 100, 0)} %, chance 33 %).`,
  '',
  ...CLASSES.flatMap((c) => [`${c}: generated (EMA G) / held-out test patches`, '', `![${c}](grid-${c}.png) ![${c} test](test-${c}.png)`, '']),
  '![curves](curves.svg)',
  '',
].join('\n'));
console.log(JSON.stringify(summary, null, 2));
process.exit(0);
