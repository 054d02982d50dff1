// One-pass activation backward (SiLU, GELU erf/tanh, leaky ReLU): one kernel instead of the rule's 4–12, the same
// values as the rule written in ops (what createGraph uses) on every backend, and double backward unchanged.
import { describe, expect, it } from 'vitest';
import { Generator, F, dispose, grad, profile, randn, tensor, type Tensor } from '../index.js';
import { expectClose, testBackends } from '../testing/index.js';

const backends = await testBackends();
const acts: [string, (x: Tensor) => Tensor][] = [
  ['silu', (x) => F.silu(x)],
  ['geluErf', (x) => F.gelu(x)],
  ['geluTanh', (x) => F.gelu(x, { approximate: 'tanh' })],
  ['leakyRelu', (x) => F.leakyRelu(x, 0.2)],
];

describe.each(backends.map((b) => [b.name, b] as const))('one-pass activation backward on %s', (_name, b) => {
  it.each(acts)('%s: one kernel, the same gradient as the rule in ops', async (op, f) => {
    const gen = new Generator(4);
    const x = randn([4097], { backend: b, generator: gen, std: 4 }).requiresGrad_();
    const special = tensor([0, -0, 1e-30, -1e-30, 30, -30, 1e6, -1e6], { backend: b }).requiresGrad_();
    for (const xi of [x, special]) {
      const y = f(xi);
      const g = randn(y.shape, { backend: b, generator: gen });
      const p = await profile(() => grad(y, [xi], { gradOutputs: [g], retainGraph: true })[0]!, { backend: b });
      expect(p.kernels.map((k) => [k.name, k.count])).toEqual([[b.name === 'cpu' ? `unaryBackward_${op}` : `unary_backward_${op}`, 1]]);
      // createGraph takes the rule written in differentiable ops.
      const [viaOps] = grad(y, [xi], { gradOutputs: [g], retainGraph: true, createGraph: true });
      expectClose(Array.from(await p.result.data()), Array.from(await viaOps!.data()), { rtol: 1e-6, atol: 1e-7 }, `${op} one pass vs ops`);
      dispose([y, g, p.result, viaOps]);
    }
    dispose([x, special]);
  });

  it('double backward through SiLU still differentiates the gradient', async () => {
    const x = tensor([-2, -0.5, 0.3, 1.7], { backend: b }).requiresGrad_();
    const [gx] = grad(F.silu(x).sum(), [x], { createGraph: true });
    const [ggx] = grad(gx!.sum(), [x]);
    // d²/dx² x·σ(x) = σ(x)(1 − σ(x))(2 + x(1 − 2σ(x))), in float64.
    const s = (v: number) => 1 / (1 + Math.exp(-v));
    const want = [-2, -0.5, 0.3, 1.7].map((v) => s(v) * (1 - s(v)) * (2 + v * (1 - 2 * s(v))));
    expectClose(Array.from(await ggx!.data()), want, { rtol: 1e-5, atol: 1e-6 }, 'silu second derivative');
    dispose([x, gx, ggx]);
  });
});
