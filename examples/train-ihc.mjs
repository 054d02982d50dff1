// Proof by training: a small CNN learns to tell background, haematoxylin- and DAB-dominant 32×32 patches of the
// bundled IHC image (labels from colour deconvolution), on the best device; prints held-out accuracy (test regions
// share no pixel with training patches) and steps per second.
import { fileURLToPath } from 'node:url';
import { F, Generator, init, memory, nn, noGrad, optim, tensor, tidy } from '@radix/tensor-webgpu';
import { CLASSES, sharedPixels, splitByRegion } from './ihc-patches.mjs';

const backend = await init({ backend: process.env.RADIX_BACKEND ?? 'auto' });
console.log(`device: ${backend.info.backend} — ${backend.info.description}`);

// Train/test split by region: 64-pixel squares of the image are held out whole (20%, every class present) and
// patches are cut inside one square only, so no test pixel is in any training patch (overlapping patches split at
// random would leak: a test patch would share half its pixels with training patches).
const split = splitByRegion(fileURLToPath(new URL('./data/ihc.png', import.meta.url)), { size: 32, block: 64, testFraction: 0.2, seed: 7 });
const { size } = split;
const shared = sharedPixels(split);
if (shared !== 0) throw new Error(`train and test patches share ${shared} pixels`);
let seed = 12345;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const toSet = ({ patches, labels }) => {
  const x = new Float32Array(patches.length * 3 * size * size);
  patches.forEach((p, k) => x.set(p, k * 3 * size * size));
  return { x: tensor(x, { shape: [patches.length, 3, size, size] }), y: labels };
};
const train = toSet(split.train);
const test = toSet(split.test);
const count = (y) => CLASSES.map((_, k) => y.filter((v) => v === k).length).join('/');
console.log(`patches: ${train.y.length} train (${split.trainSquares.length} squares of ${split.block} px, stride 16), ${test.y.length} test (${split.testSquares.length} held-out squares, no overlap); classes ${CLASSES.join('/')}: train ${count(train.y)}, test ${count(test.y)}; shared pixels 0`);

class StainNet extends nn.Module {
  c1 = new nn.Conv2d(3, 16, 3, { padding: 1, generator: new Generator(1) });
  c2 = new nn.Conv2d(16, 32, 3, { stride: 2, padding: 1, generator: new Generator(2) });
  c3 = new nn.Conv2d(32, 32, 3, { stride: 2, padding: 1, generator: new Generator(3) });
  fc = new nn.Linear(32, CLASSES.length, { generator: new Generator(4) });
  forward(x) {
    return tidy(() => {
      let h = F.maxPool2d(F.relu(this.c1.call(x)), 2);
      h = F.relu(this.c2.call(h));
      h = F.relu(this.c3.call(h));
      return this.fc.call(F.adaptiveAvgPool2d(h, 1).flatten(1));
    });
  }
}

const net = new StainNet();
const opt = new optim.Adam(net.parameters(), { lr: 3e-3 });
const steps = Number(process.env.RADIX_STEPS ?? (backend.name === 'cpu' ? 150 : 300));
const batch = 32;
const pick = () => Array.from({ length: batch }, () => Math.floor(rnd() * train.y.length));

function evaluate(set) {
  net.eval();
  const pred = noGrad(() => tidy(() => net.call(set.x).argmax(1)));
  net.train();
  return pred.data().then((p) => {
    pred.dispose();
    const perClass = CLASSES.map(() => [0, 0]);
    let correct = 0;
    set.y.forEach((y, i) => {
      perClass[y][1]++;
      if (p[i] === y) { correct++; perClass[y][0]++; }
    });
    const seen = perClass.filter(([, n]) => n > 0);
    return { accuracy: correct / set.y.length, balanced: seen.reduce((a, [c, n]) => a + c / n, 0) / seen.length };
  });
}

const before = await evaluate(test);
const live0 = memory().liveTensors;
const t0 = performance.now();
let lastLoss = NaN;
for (let step = 1; step <= steps; step++) {
  const ids = pick();
  const loss = tidy(() => {
    const idx = tensor(ids, { dtype: 'int32' });
    let xb = train.x.indexSelect(0, idx);
    if (step % 2 === 0) xb = xb.flip(3); // a flip keeps the stain class: free augmentation
    const yb = tensor(ids.map((i) => train.y[i]), { dtype: 'int32' });
    const l = nn.crossEntropy(net.call(xb), yb);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l;
  });
  if (step % 50 === 0 || step === steps) {
    lastLoss = await loss.item();
    console.log(`step ${String(step).padStart(4)}  loss ${lastLoss.toFixed(4)}  ${((step * 1000) / (performance.now() - t0)).toFixed(1)} steps/s`);
  }
  loss.dispose();
}
await backend.sync();
const seconds = (performance.now() - t0) / 1000;
const after = await evaluate(test);
console.log(`test accuracy ${(before.accuracy * 100).toFixed(1)}% → ${(after.accuracy * 100).toFixed(1)}% (balanced ${(before.balanced * 100).toFixed(1)}% → ${(after.balanced * 100).toFixed(1)}%)`);
console.log(`${steps} steps of batch ${batch} in ${seconds.toFixed(1)} s: ${(steps / seconds).toFixed(1)} steps/s; live tensors ${live0} → ${memory().liveTensors}`);
