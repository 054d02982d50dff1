// Fused GroupNorm: one kernel forward and two backward, against a float64 reference on a shape with many elements
// per group; the fused backward equals the differentiable-ops backward (what createGraph takes); double backward.
import { describe, expect, it } from 'vitest';
import { F, Generator, dispose, enableGrad, grad, profile, randn, type Tensor } from '../index.js';
import { expectClose, gradcheck, testBackends } from '../testing/index.js';

const backends = await testBackends();

function reference(x: Float32Array, shape: number[], groups: number, w: Float32Array, b: Float32Array, eps: number): number[] {
  const [n, c] = [shape[0]!, shape[1]!];
  const hw = x.length / (n * c);
  const m = (c / groups) * hw;
  const y: number[] = new Array(x.length);
  for (let gi = 0; gi < n * groups; gi++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += x[gi * m + i]!;
    const mu = s / m;
    let v = 0;
    for (let i = 0; i < m; i++) v += (x[gi * m + i]! - mu) ** 2;
    const r = 1 / Math.sqrt(v / m + eps);
    for (let i = 0; i < m; i++) {
      const ch = (gi % groups) * (c / groups) + Math.floor(i / hw);
      y[gi * m + i] = (x[gi * m + i]! - mu) * r * w[ch]! + b[ch]!;
    }
  }
  return y;
}

describe.each(backends.map((b) => [b.name, b] as const))('fused groupNorm on %s', (name, b) => {
  const gen = new Generator(8);
  const shape = [3, 12, 23, 19];

  it('forward: one kernel, float64 reference (5,244 elements per group, offset mean)', async () => {
    const x = randn(shape, { backend: b, generator: gen, std: 3, mean: 5 } as never);
    const w = randn([12], { backend: b, generator: gen });
    const bias = randn([12], { backend: b, generator: gen });
    const p = await profile(() => F.groupNorm(x, 4, w, bias), { backend: b });
    expect(p.calls).toBe(1);
    const want = reference(new Float32Array(await x.data()), shape, 4, new Float32Array(await w.data()), new Float32Array(await bias.data()), 1e-5);
    expectClose(Array.from(await p.result.data()), want, { rtol: 1e-4, atol: 1e-5 }, `groupNorm ${name}`);
    dispose([x, w, bias, p.result]);
  });

  it('backward: two kernels, equal to the backward in differentiable ops', async () => {
    const x = randn(shape, { backend: b, generator: gen }).requiresGrad_();
    const w = randn([12], { backend: b, generator: gen }).requiresGrad_();
    const bias = randn([12], { backend: b, generator: gen }).requiresGrad_();
    const y = F.groupNorm(x, 3, w, bias);
    const g = randn(shape, { backend: b, generator: gen });
    const p = await profile(() => grad(y, [x, w, bias], { gradOutputs: [g], retainGraph: true }), { backend: b });
    expect(p.calls).toBe(b.name === 'cpu' ? 1 : 2);
    const viaOps = grad(y, [x, w, bias], { gradOutputs: [g], retainGraph: true, createGraph: true });
    for (let i = 0; i < 3; i++) {
      expectClose(Array.from(await p.result[i]!.data()), Array.from(await viaOps[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `grad ${i}`);
    }
    dispose([x, w, bias, y, g, p.result, viaOps]);
  });

  it('double backward (gradcheck of the input gradient)', async () => {
    const x = randn([2, 4, 3, 2], { backend: b, generator: gen });
    const w = randn([4], { backend: b, generator: gen });
    const u = randn([2, 4, 3, 2], { backend: b, generator: gen });
    const fn = (x0: Tensor, wi: Tensor) => {
      // gradcheck's finite differences run without grad and with inputs that need none; grad() needs both.
      return enableGrad(() => {
        const xi = x0.requiresGrad ? x0 : x0.detach().requiresGrad_();
        const [gx] = grad(F.groupNorm(xi, 2, wi, null).mul(u).sum(), [xi], { createGraph: true });
        return gx!;
      });
    };
    const r = await gradcheck(fn, [x, w], { eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
    dispose([x, w, u]);
  });

  it('SiLU epilogue: one kernel forward, two backward; = silu(groupNorm) and its gradients; double backward', async () => {
    const x = randn(shape, { backend: b, generator: gen, std: 2 }).requiresGrad_();
    const w = randn([12], { backend: b, generator: gen }).requiresGrad_();
    const bias = randn([12], { backend: b, generator: gen }).requiresGrad_();
    const fwd = await profile(() => F.groupNorm(x, 4, w, bias, 1e-5, { activation: 'silu' }), { backend: b });
    expect(fwd.calls).toBe(1);
    const plain = F.silu(F.groupNorm(x, 4, w, bias));
    expectClose(Array.from(await fwd.result.data()), Array.from(await plain.data()), { rtol: 1e-5, atol: 1e-6 }, 'forward');
    const g = randn(shape, { backend: b, generator: gen });
    const bwd = await profile(() => grad(fwd.result, [x, w, bias], { gradOutputs: [g], retainGraph: true }), { backend: b });
    expect(bwd.calls).toBe(b.name === 'cpu' ? 1 : 2);
    const want = grad(plain, [x, w, bias], { gradOutputs: [g], retainGraph: true });
    const viaOps = grad(fwd.result, [x, w, bias], { gradOutputs: [g], retainGraph: true, createGraph: true });
    for (let i = 0; i < 3; i++) {
      const got = Array.from(await bwd.result[i]!.data());
      expectClose(got, Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `grad ${i} vs silu(groupNorm)`);
      expectClose(Array.from(await viaOps[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `ops grad ${i}`);
    }
    const xs = randn([2, 4, 3, 2], { backend: b, generator: gen });
    const ws = randn([4], { backend: b, generator: gen });
    const bs = randn([4], { backend: b, generator: gen });
    const u = randn([2, 4, 3, 2], { backend: b, generator: gen });
    const fn = (x0: Tensor, wi: Tensor, bi: Tensor) =>
      enableGrad(() => {
        const xi = x0.requiresGrad ? x0 : x0.detach().requiresGrad_();
        return grad(F.groupNorm(xi, 2, wi, bi, 1e-5, { activation: 'silu' }).mul(u).sum(), [xi], { createGraph: true })[0]!;
      });
    const r = await gradcheck(fn, [xs, ws, bs], { eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
    dispose([x, w, bias, fwd.result, plain, g, bwd.result, want, viaOps, xs, ws, bs, u]);
  });
});
