// The GAN losses against PyTorch: D2D-CE from StudioGAN's own class, logistic/hinge, R1 through a double backward of a
// stand-in D, and path length through a stand-in synthesis (fixtures by tools/reference/gen_gan_losses.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Backend, type Tensor, F, grad, zerosLike } from '@radix/tensor-webgpu';
import { type FixtureFile, expectClose, fixtureTensor, testBackends } from '@radix/tensor-webgpu/testing';
import { PathLengthRegularizer, d2dceLoss, discriminatorLoss, drawMixingCutoff, generatorLoss, mixStyles, r1GammaHeuristic, r1Penalty } from './index.js';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/losses.json', import.meta.url), 'utf8')) as FixtureFile;
const cases = (op: string) => fixture.cases.filter((c) => c.op === op);
const backends = await testBackends();
const TOL = { rtol: 1e-4, atol: 1e-5 };

async function close(label: string, actual: Tensor, expected: Tensor, tol = TOL): Promise<void> {
  expect(actual.shape).toEqual(expected.shape);
  const r = expectClose(await actual.data(), await expected.data(), tol, label);
  console.log(`${label} on ${actual.backend.name}: max abs ${r.maxAbs.toExponential(2)}`);
}

describe.each(backends.map((b) => [b.name, b] as const))('GAN losses on %s', (_name, backend: Backend) => {
  const t = (c: (typeof fixture.cases)[number], i: number) => fixtureTensor(c.inputs[i]!, backend);
  const ex = (c: (typeof fixture.cases)[number], i: number) => fixtureTensor((c.expected as FixtureFile['cases'][number]['inputs'])[i]!, backend);

  it.each(cases('d2dce').map((c) => [c.name, c] as const))('D2D-CE value and gradients match StudioGAN (%s)', async (_n, c) => {
    const embed = t(c, 0).requiresGrad_();
    const table = t(c, 1).requiresGrad_();
    const labels = t(c, 2);
    const args = c.args as { margin: number; temperature: number };
    const loss = d2dceLoss(embed, table.indexSelect(0, labels), labels, { margin: args.margin, temperature: args.temperature });
    await close(`${c.name} loss`, loss.reshape(1), ex(c, 0).reshape(1));
    const [ge, gt] = grad(loss, [embed, table]);
    await close(`${c.name} d/embed`, ge!, ex(c, 1));
    await close(`${c.name} d/proxies`, gt!, ex(c, 2));
  });

  it('logistic and hinge losses and their gradients match torch', async () => {
    const c = cases('logistic')[0]!;
    const real = t(c, 0).requiresGrad_();
    const fake = t(c, 1).requiresGrad_();
    const d = discriminatorLoss(real, fake);
    await close('logistic D', d.reshape(1), ex(c, 0).reshape(1));
    const [gr, gf] = grad(d, [real, fake]);
    await close('logistic D d/real', gr!, ex(c, 1));
    await close('logistic D d/fake', gf!, ex(c, 2));
    const gl = generatorLoss(fake);
    await close('logistic G', gl.reshape(1), ex(c, 3).reshape(1));
    await close('logistic G d/fake', grad(gl, fake)[0]!, ex(c, 4));
    const h = discriminatorLoss(real, fake, 'hinge');
    await close('hinge D', h.reshape(1), ex(c, 5).reshape(1));
    const [hr, hf] = grad(h, [real, fake]);
    await close('hinge D d/real', hr!, ex(c, 6));
    await close('hinge D d/fake', hf!, ex(c, 7));
    expect(await generatorLoss(fake, 'hinge').item()).toBeCloseTo(-(await fake.mean().item()), 6);
  });

  it.each(cases('r1').map((c) => [c.name, c] as const))('R1 penalty and its double-backward weight gradients match torch (%s)', async (_n, c) => {
    const x = t(c, 0).requiresGrad_();
    const ws = [1, 2, 3, 4].map((i) => t(c, i).requiresGrad_());
    const [w1, b1, w2, b2] = ws as [Tensor, Tensor, Tensor, Tensor];
    const logits = F.linear(F.leakyRelu(F.conv2d(x, w1, b1, { padding: 1 }), 0.2).flatten(1), w2, b2);
    const penalty = r1Penalty(logits, x);
    await close(`${c.name} penalty`, penalty, ex(c, 0));
    const { gamma, gain } = c.args as { gamma: number; gain: number };
    const loss = penalty.mul(gamma / 2).mean().mul(gain);
    await close(`${c.name} loss`, loss.reshape(1), ex(c, 1).reshape(1));
    // The biases reach R1 only through leaky ReLU's piecewise-constant slope: torch reports zeros, Radix no path.
    const gs = grad(loss, ws, { allowUnused: true });
    for (let i = 0; i < 4; i++) {
      const g = gs[i] ?? zerosLike(ws[i]!);
      await close(`${c.name} d/param${i}`, g, ex(c, 2 + i), { rtol: 2e-4, atol: 1e-5 });
    }
  });

  it('path-length penalty, running mean and the gradient through it match torch', async () => {
    const c = cases('pathLength')[0]!;
    const ws = t(c, 0).requiresGrad_();
    const a = t(c, 1).requiresGrad_();
    const noise = t(c, 2);
    const [n, layers, wdim] = ws.shape as [number, number, number];
    const img = ws.reshape(n, layers * wdim).matmul(a.reshape(layers * wdim, -1)).tanh().reshape([...noise.shape]);
    const args = c.args as { decay: number; weight: number; gain: number; plMean: number };
    const pl = new PathLengthRegularizer({ decay: args.decay, weight: args.weight });
    pl.plMean = args.plMean;
    const r = pl.loss(img, ws, { noise });
    const loss = r.loss.mul(args.gain);
    pl.commit(await r.newMean.item());
    expect(pl.plMean).toBeCloseTo((await ex(c, 1).item()), 6);
    await close('path-length loss', loss.reshape(1), ex(c, 3).reshape(1));
    await close('path-length d/A', grad(loss, a)[0]!, ex(c, 4), { rtol: 2e-4, atol: 1e-5 });
  });
});

describe('loss helpers', () => {
  it('the R1 γ heuristic is 0.0002·res²/batch', () => {
    expect(r1GammaHeuristic(32, 32)).toBeCloseTo(0.0064, 12);
    expect(r1GammaHeuristic(256, 64)).toBeCloseTo(0.2048, 12);
    expect(() => r1GammaHeuristic(0, 4)).toThrow(/positive/);
  });

  it('style mixing draws cutoffs in [1, numWs) with probability p and copies the tail layers', async () => {
    let k = 0;
    const seq = [0.5, 0.95, 0.99, 0.1];
    expect(drawMixingCutoff(8, 0.9, () => seq[k++]!)).toBe(8); // 0.95 ≥ 0.9: no mixing
    expect(drawMixingCutoff(8, 0.9, () => seq[k++]!)).toBe(7); // cutoff 1 + ⌊0.99·7⌋ = 7, 0.1 < 0.9
    const backend = backends[0]!;
    const { tensor } = await import('@radix/tensor-webgpu');
    const ws = tensor([1, 1, 2, 2, 3, 3], { shape: [1, 3, 2], backend });
    const mix = tensor([7, 7, 8, 8, 9, 9], { shape: [1, 3, 2], backend });
    expect(Array.from(await mixStyles(ws, mix, 1).data())).toEqual([1, 1, 8, 8, 9, 9]);
    expect(mixStyles(ws, mix, 3)).toBe(ws);
  });
});
