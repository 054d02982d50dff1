// The StyleGAN2 networks against stylegan2-ada-pytorch's own training/networks.py (fixtures from
// tools/reference/gen_gan_networks.py): mapping with and without truncation, synthesis with 'const' and 'none' noise
// (fused and non-fused modulated conv), D logits, the w_avg update, and the gradients of the G and D losses and of
// R1 (double backward through the whole D) — on every backend.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Backend, type Tensor, F, dispose, grad, loadSafetensors, nn } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { StyleGAN2Discriminator } from './discriminator.js';
import { NETWORK_FIXTURES, type NetworkFixtureCase, networkFixtureCases } from './fixture-cases.js';
import { StyleGAN2Generator } from './generator.js';

const fixtures = networkFixtureCases();
const tol = fixtures.tolerance;
const backends = await testBackends();
const worst: Record<string, number> = {};

/**
 * rtol 1e-4 and atol 1e-4 · min(1, max|expected|): gradients through the mapping (lr multiplier 0.01) and R1's are
 * ~1e-6..1e-3, where a plain atol of 1e-4 would accept anything. Records the worst error relative to that scale.
 */
async function close(label: string, actual: Tensor, expected: Tensor): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  const want = await expected.data();
  const scale = Math.max(...Array.from(want, Math.abs));
  const r = expectClose(await actual.data(), want, { rtol: tol.rtol, atol: tol.atol * Math.min(1, scale || 1) }, label);
  const key = label.split(':')[0]!;
  worst[key] = Math.max(worst[key] ?? 0, scale > 0 ? r.maxAbs / Math.min(1, scale) : r.maxAbs);
}

function prefixed(all: Record<string, Tensor>, prefix: string): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(all)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

async function setup(c: NetworkFixtureCase, backend: Backend) {
  const all = await loadSafetensors(join(NETWORK_FIXTURES, c.file), { backend });
  const G = new StyleGAN2Generator(c.G_config, { backend });
  const D = new StyleGAN2Discriminator(c.D_config, { backend });
  G.loadStateDict(prefixed(all, 'G.'));
  D.loadStateDict(prefixed(all, 'D.'));
  const cIn = c.G_config.cDim > 0 ? all['in.c']! : null;
  return { all, G, D, z: all['in.z']!, c: cIn, real: all['in.real']! };
}

function params(m: nn.Module<never[], unknown>, names: string[]): nn.Parameter[] {
  const map = new Map(m.namedParameters());
  return names.map((n) => {
    const p = map.get(n);
    if (!p) throw new Error(`no parameter ${n}`);
    return p;
  });
}

describe.each(backends.map((b) => [b.name, b] as const))('StyleGAN2 networks vs stylegan2-ada-pytorch (%s)', (bname, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s: mapping, synthesis, D logits, w_avg update', async (name, c) => {
    const { all, G, D, z, c: lab } = await setup(c, backend);
    const e = (k: string) => all[`out.${k}`]!;
    G.eval();
    D.eval();
    const ws1 = G.mapping(z, lab);
    await close(`mapping ψ=1: ${name}/${bname}`, ws1, e('ws_psi1'));
    const ws07 = G.mapping(z, lab, { truncationPsi: 0.7, truncationCutoff: 3 });
    await close(`mapping ψ=0.7 cutoff 3: ${name}/${bname}`, ws07, e('ws_psi07_cut3'));
    const ws05 = G.mapping(z, lab, { truncationPsi: 0.5 });
    await close(`mapping ψ=0.5: ${name}/${bname}`, ws05, e('ws_psi05'));
    const imgConst = G.synthesis(e('ws_psi07_cut3'), { noiseMode: 'const' });
    await close(`synthesis const: ${name}/${bname}`, imgConst, e('img_const'));
    const imgNone = G.synthesis(e('ws_psi07_cut3'), { noiseMode: 'none' });
    await close(`synthesis none: ${name}/${bname}`, imgNone, e('img_none'));
    const real = D.call(all['in.real']!, lab);
    await close(`D logits: ${name}/${bname}`, real, e('logits_real'));
    const fake = D.call(e('img_const'), lab);
    await close(`D logits: ${name}/${bname} fake`, fake, e('logits_fake'));
    G.train();
    const imgTrain = G.synthesis(e('ws_psi07_cut3'), { noiseMode: 'const' });
    await close(`synthesis const non-fused: ${name}/${bname}`, imgTrain, e('img_const_train'));
    const wsTrain = G.mapping(z, lab);
    await close(`w_avg update: ${name}/${bname}`, G.mappingNetwork.wAvg!, e('w_avg_train'));
    dispose([ws1, ws07, ws05, imgConst, imgNone, real, fake, imgTrain, wsTrain, all]);
    G.dispose();
    D.dispose();
  });

  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s: gradients of the G loss, the D loss and R1', async (name, c) => {
    const { all, G, D, z, c: lab, real } = await setup(c, backend);
    G.train();
    D.train();
    // G loss: softplus(-D(G(z))).
    const ws = G.mapping(z, lab, { skipWAvgUpdate: true });
    const fake = G.synthesis(ws, { noiseMode: 'const' });
    const lossG = F.softplus(D.call(fake, lab).neg()).mean();
    await close(`loss: ${name}/${bname} G`, lossG, all['out.loss_G']!.reshape([]));
    const gG = grad(lossG, params(G, c.G_grads));
    for (const [i, k] of c.G_grads.entries()) await close(`grad G loss: ${name}/${bname} ${k}`, gG[i]!, all[`grad.G.${k}`]!);
    // D loss: softplus(D(fake)) + softplus(-D(real)).
    const fakeD = fake.detach();
    const lossD = F.softplus(D.call(fakeD, lab)).mean().add(F.softplus(D.call(real, lab).neg()).mean());
    await close(`loss: ${name}/${bname} D`, lossD, all['out.loss_D']!.reshape([]));
    const gD = grad(lossD, params(D, c.D_grads));
    for (const [i, k] of c.D_grads.entries()) await close(`grad D loss: ${name}/${bname} ${k}`, gD[i]!, all[`grad.D.${k}`]!);
    // R1: the gradient of sum(D(x)) w.r.t. x, then the gradient of its squared norm w.r.t. D's parameters.
    const x = real.detach().requiresGrad_();
    const logits = D.call(x, lab);
    const [r1] = grad(logits.sum(), [x], { createGraph: true });
    await close(`R1 ∇x D: ${name}/${bname}`, r1!, all['out.r1_grads']!);
    const penalty = r1!.square().sum([1, 2, 3]);
    await close(`R1 penalty: ${name}/${bname}`, penalty, all['out.r1_penalty']!);
    const lossR1 = penalty.mul(c.r1_gamma / 2).mean();
    const gR1 = grad(lossR1, params(D, [...c.R1_grads, ...c.R1_zero]), { allowUnused: true });
    for (const [i, k] of c.R1_grads.entries()) await close(`grad R1: ${name}/${bname} ${k}`, gR1[i]!, all[`grad.R1.${k}`]!);
    // Parameters torch gives no or a numerically zero R1 gradient (biases that only move lrelu kinks): none or ~0 here.
    for (const [j, k] of c.R1_zero.entries()) {
      const g = gR1[c.R1_grads.length + j];
      if (g) expect(Math.max(...Array.from(await g.data(), Math.abs)), `R1 gradient of ${k}`).toBeLessThan(1e-9);
    }
    dispose([ws, fake, lossG, gG, fakeD, lossD, gD, x, logits, r1, penalty, lossR1, gR1, all]);
    G.dispose();
    D.dispose();
  });

  it('reports the worst absolute errors', () => {
    console.log(`worst |error| / min(1, max|expected|) on ${bname}:`, JSON.stringify(worst));
  });
});
