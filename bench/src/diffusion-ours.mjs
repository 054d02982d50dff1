// Our side of bench/diffusion.mjs: @radix/diffusion's UNet2DModel (built dist) trained one DDPM step at a time
// (addNoise, ε-prediction, MSE, backward, AdamW) and sampled with its DDIMScheduler, on the current default backend.
import { Generator, nn, noGrad, optim, rand, randn, tensor, tidy } from '@radix/tensor-webgpu';
import { DDIMScheduler, DDPMScheduler, UNet2DModel } from '@radix/diffusion';
import { median } from './train-step-ours.mjs';

/** Median wall ms of `reps` runs of async `fn` after `warmup` runs; each run ends with a full device sync. */
async function timed(backend, fn, { warmup = 1, reps = 3 } = {}) {
  for (let i = 0; i < warmup; i++) {
    await fn();
    await backend.sync();
  }
  const samples = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    await backend.sync();
    samples.push(performance.now() - t);
  }
  return { ms: median(samples), samples };
}

/**
 * Runs every case of the spec (see diffusion-spec.mjs) on `backend`; returns { rowName: { ms, samples } } with the
 * PyTorch side's row names. `log(name, ms)` is called per row.
 */
export async function runOurs(backend, spec, { reps = 3, log = () => {} } = {}) {
  const R = {};
  const gen = new Generator(0);
  const train = new DDPMScheduler({ numTrainTimesteps: spec.numTrainTimesteps, betaStart: spec.betaStart, betaEnd: spec.betaEnd, betaSchedule: 'linear' });
  for (const c of spec.cases) {
    const { size: s, batch: b } = c;
    const unet = UNet2DModel.fromConfig({ ...spec.unet, sampleSize: s }, { backend });
    const opt = new optim.AdamW(unet.parameters(), { lr: spec.lr, betas: spec.betas, weightDecay: spec.weightDecay, eps: spec.adamEps });
    const x0 = tidy(() => rand([b, 3, s, s], { generator: gen }).mul(2).sub(1));
    const noise = randn([b, 3, s, s], { generator: gen });
    const t = tensor(Int32Array.from(c.trainTimesteps), { dtype: 'int32' });
    unet.train();
    const trainName = `train step ${s}² ×${b}`;
    R[trainName] = await timed(backend, () => {
      tidy(() => {
        const loss = nn.mseLoss(unet.call(train.addNoise(x0, noise, t), t), noise);
        loss.backward();
        opt.step();
        opt.zeroGrad();
      });
    }, { warmup: 1, reps });
    log(trainName, R[trainName].ms);
    opt.dispose();

    const ddim = new DDIMScheduler({ numTrainTimesteps: spec.numTrainTimesteps, betaStart: spec.betaStart, betaEnd: spec.betaEnd, betaSchedule: 'linear' });
    ddim.setTimesteps(spec.ddimSteps);
    const xT = randn([b, 3, s, s], { generator: gen });
    unet.eval();
    const sampleName = `DDIM ${spec.ddimSteps} steps ${s}² ×${b}`;
    // Warm-up: one forward at this shape (a whole extra sampling run would double the bench's length).
    noGrad(() => tidy(() => unet.call(xT, ddim.timesteps[0]))).dispose();
    R[sampleName] = await timed(backend, async () => {
      let x = xT.clone();
      for (const ts of ddim.timesteps) {
        const next = noGrad(() => tidy(() => ddim.step(unet.call(x, ts), ts, x, { eta: 0 }).prevSample));
        x.dispose();
        x = next;
      }
      await x.data();
      x.dispose();
    }, { warmup: 0, reps: 2 });
    log(sampleName, R[sampleName].ms);
    for (const v of [x0, noise, t, xT]) v.dispose();
    unet.dispose();
  }
  return R;
}
