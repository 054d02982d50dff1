// Profiles one UNet-like training step of bench/train-step.mjs (after a warm-up) with `profile()` and prints the
// per-kernel table; the README's profiler example comes from this script.
// Usage (after `npm run build`): node bench/src/train-step-profile.mjs [--top 15] [--backend webgpu|cpu] [--wall]
import { Generator, init, nn, optim, profile, randn, tidy } from '@radix/tensor-webgpu';
import { spec } from './train-step-spec.mjs';
import { UNetLike } from './train-step-ours.mjs';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.lastIndexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const backend = await init({ backend: opt('backend', 'webgpu') });
const u = spec.unet;
const gen = new Generator(0);
const net = new UNetLike(u.groups);
const adam = new optim.Adam(net.parameters(), { lr: u.lr });
const x = randn([u.batch, 3, u.size, u.size], { generator: gen });
const y = randn([u.batch, 3, u.size, u.size], { generator: gen });
const step = () =>
  tidy(() => {
    nn.mseLoss(net.call(x), y).backward();
    adam.step();
    adam.zeroGrad();
  });
step();
await backend.sync();
const p = await profile(step, { timing: argv.includes('--wall') ? 'wall' : 'auto' });
console.log(p.table(Number(opt('top', '15'))));
process.exit(0);
