// Profiles one GAN minibatch of the demo's size (StyleGAN2 at 32², 16 channels, batch 8: G main step, D main step and
// an R1 step, each with Adam) with profile(): per-kernel counts and GPU times, top-N table on stdout.
// Usage (after `npm run build`): node bench/src/gan-profile.mjs [--top 25] [--channels 16] [--batch 8]
import { Generator, init, noGrad, optim, profile, rand, randn, tidy } from '@radix/tensor-webgpu';
import { StyleGAN2Discriminator, StyleGAN2Generator, discriminatorLoss, generatorLoss, r1Penalty } from '@radix/gan';

const argv = process.argv.slice(2);
const opt = (name, dflt) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : dflt);
const top = Number(opt('top', '25'));
const ch = Number(opt('channels', '16'));
const b = Number(opt('batch', '8'));
const r = 32;
const backend = await init({ backend: 'auto' });
const gConf = { zDim: 64, cDim: 0, wDim: 64, imgResolution: r, imgChannels: 3, mappingKwargs: { numLayers: 2 }, synthesisKwargs: { channelBase: ch * r * 2, channelMax: ch } };
const G = new StyleGAN2Generator(gConf, { backend, generator: new Generator(1) });
const D = new StyleGAN2Discriminator({ cDim: 0, imgResolution: r, imgChannels: 3, channelBase: ch * r * 2, channelMax: ch }, { backend, generator: new Generator(2) });
const gen = new Generator(0);
const gP = G.parameters();
const dP = D.parameters();
const optG = new optim.Adam(gP, { lr: 0.0025, betas: [0, 0.99], eps: 1e-8 });
const optD = new optim.Adam(dP, { lr: 0.0025, betas: [0, 0.99], eps: 1e-8 });
const real = tidy(() => rand([b, 3, r, r], { generator: gen, backend }).mul(2).sub(1));
const train = (gOn) => { for (const p of gP) p.requiresGrad_(gOn); for (const p of dP) p.requiresGrad_(!gOn); };
const step = () => {
  train(true);
  tidy(() => generatorLoss(D.call(G.call(randn([b, 64], { generator: gen, backend }), null), null), 'logistic').backward());
  optG.step(); optG.zeroGrad();
  train(false);
  tidy(() => {
    const fake = noGrad(() => G.call(randn([b, 64], { generator: gen, backend }), null));
    discriminatorLoss(D.call(real, null), D.call(fake, null), 'logistic').backward();
  });
  optD.step(); optD.zeroGrad();
  tidy(() => {
    const x = real.detach().requiresGrad_();
    r1Penalty(D.call(x, null), x).mul(0.01).mean().backward();
  });
  optD.step(); optD.zeroGrad();
};
G.train(); D.train();
step(); await backend.sync();
let t = performance.now();
step(); await backend.sync();
console.log(`one minibatch (G + D + R1) unprofiled: ${(performance.now() - t).toFixed(0)} ms`);
const p = await profile(step);
console.log(p.table(top));
process.exit(0);
