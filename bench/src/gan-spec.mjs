// What bench/gan.mjs measures, shared by our side (gan-ours.mjs) and the PyTorch side (gan-torch.py, which receives
// this object as JSON; runTorchGan runs it): a small unconditional StyleGAN2 ('skip' G with a 2-layer mapping, 'resnet'
// D with minibatch-stddev), 32 channels at every resolution, at 32² and 64².
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** G and D configurations (stylegan2-ada-pytorch's kwargs, camelCased, as @radix/gan takes them) for resolution `r`. */
export function networks(r) {
  const channels = { channelBase: 16384, channelMax: 32 };
  return {
    G: { zDim: 64, cDim: 0, wDim: 64, imgResolution: r, imgChannels: 3, mappingKwargs: { numLayers: 2 }, synthesisKwargs: { ...channels, convClamp: null } },
    D: { cDim: 0, imgResolution: r, imgChannels: 3, architecture: 'resnet', ...channels, convClamp: null, epilogueKwargs: { mbstdGroupSize: 4 } },
  };
}

const gammaFor = (r, batch) => (0.0002 * r * r) / batch; // StyleGAN2-ADA's R1 heuristic

export const spec = {
  /** Adam of both networks (StyleGAN2-ADA: lr 0.0025, β = (0, 0.99), ε = 1e-8). */
  lr: 0.0025,
  betas: [0, 0.99],
  cases: [
    { size: 32, batch: 8, genBatch: 8, gamma: gammaFor(32, 8), ...networks(32) },
    { size: 64, batch: 4, genBatch: 4, gamma: gammaFor(64, 4), ...networks(64) },
  ],
};

/**
 * Runs the PyTorch side (gan-torch.py, which first checks its reimplementation against the stylegan2-ada-pytorch
 * fixture) for `spec` in a child process; returns its JSON ({ torch, device, threads, rows, check }).
 */
export function runTorchGan(python, spec, { device, reps, threads }) {
  const fixtures = new URL('../../packages/gan/fixtures/networks/', import.meta.url).pathname;
  if (!existsSync(`${fixtures}uncond.safetensors`)) throw new Error(`${fixtures}uncond.safetensors is missing`);
  const script = new URL('./gan-torch.py', import.meta.url).pathname;
  const args = [script, JSON.stringify(spec), device, String(reps), String(threads), `${fixtures}uncond.safetensors`, `${fixtures}networks.json`, 'uncond'];
  return JSON.parse(execFileSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24 }).trim().split('\n').pop());
}
