// Our side of bench/gan.mjs: @radix/gan's StyleGAN2Generator / StyleGAN2Discriminator (built dist) — the three phases
// of one training minibatch with R1 every step (G main, D main, D R1 through a create-graph gradient), each with its
// Adam step, and generation in eval mode — on the current default backend.
import { Generator, noGrad, optim, rand, randn, tidy } from '@radix/tensor-webgpu';
import { StyleGAN2Discriminator, StyleGAN2Generator, discriminatorLoss, generatorLoss, r1Penalty } from '@radix/gan';
import { median } from './train-step-ours.mjs';

async function timed(backend, fn, { warmup = 1, reps = 3 } = {}) {
  for (let i = 0; i < warmup; i++) {
    fn();
    await backend.sync();
  }
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    await backend.sync();
    samples.push(performance.now() - t);
  }
  return { ms: median(samples), samples };
}

/** Runs every case of the spec (see gan-spec.mjs); returns { rowName: { ms, samples } } with the PyTorch side's row names. */
export async function runOurs(backend, spec, { reps = 3, log = () => {} } = {}) {
  const R = {};
  const gen = new Generator(0);
  for (const c of spec.cases) {
    const { size: r, batch: b } = c;
    const G = new StyleGAN2Generator(c.G, { backend, generator: new Generator(1) });
    const D = new StyleGAN2Discriminator(c.D, { backend, generator: new Generator(2) });
    const adam = (p) => new optim.Adam(p, { lr: spec.lr, betas: spec.betas, eps: 1e-8 });
    const gParams = G.parameters();
    const dParams = D.parameters();
    const optG = adam(gParams);
    const optD = adam(dParams);
    const real = tidy(() => rand([b, 3, r, r], { generator: gen, backend }).mul(2).sub(1));
    const zDim = c.G.zDim;
    const train = (gOn) => {
      for (const p of gParams) p.requiresGrad_(gOn);
      for (const p of dParams) p.requiresGrad_(!gOn);
    };
    const gStep = () => {
      train(true);
      tidy(() => generatorLoss(D.call(G.call(randn([b, zDim], { generator: gen, backend }), null), null), 'logistic').backward());
      optG.step();
      optG.zeroGrad();
    };
    const dStep = () => {
      train(false);
      tidy(() => {
        const fake = noGrad(() => G.call(randn([b, zDim], { generator: gen, backend }), null));
        discriminatorLoss(D.call(real, null), D.call(fake, null), 'logistic').backward();
      });
      optD.step();
      optD.zeroGrad();
    };
    const r1Step = () => {
      train(false);
      tidy(() => {
        const x = real.detach().requiresGrad_();
        r1Penalty(D.call(x, null), x).mul(c.gamma / 2).mean().backward();
      });
      optD.step();
      optD.zeroGrad();
    };
    G.train();
    D.train();
    for (const [name, fn] of [['G main', gStep], ['D main', dStep], ['D R1', r1Step]]) {
      const row = `${name} ${r}² ×${b}`;
      R[row] = await timed(backend, fn, { warmup: 1, reps });
      log(row, R[row].ms);
    }
    for (const p of gParams) p.requiresGrad_(true);
    G.eval();
    const z = randn([c.genBatch, zDim], { generator: gen, backend });
    const row = `generate ${r}² ×${c.genBatch}`;
    R[row] = await timed(backend, () => noGrad(() => tidy(() => { G.call(z, null, { noiseMode: 'const' }); })), { warmup: 1, reps });
    log(row, R[row].ms);
    for (const t of [real, z]) t.dispose();
    optG.dispose();
    optD.dispose();
    G.dispose();
    D.dispose();
  }
  return R;
}
