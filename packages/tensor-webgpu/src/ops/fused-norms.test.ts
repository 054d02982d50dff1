// Fused LayerNorm (GroupNorm's primitive with one group), instance norm (one channel per group) and training-mode
// BatchNorm: kernel counts, a float64 forward reference, gradients equal to autograd through the same norm composed
// of small ops and to the differentiable-ops backward (what createGraph takes), the SiLU epilogue, double backward,
// CPU == WebGPU on shapes that exercise the vec4 and scalar paths, and the BatchNorm module's running statistics.
import { describe, expect, it } from 'vitest';
import { F, Generator, dispose, enableGrad, grad, noGrad, profile, randn, type Tensor } from '../index.js';
import { BatchNorm2d, LayerNorm } from '../nn/index.js';
import { compare, expectClose, gradcheck, testBackends } from '../testing/index.js';
import { setNormWorkgroup } from '../backend/webgpu/norm.js';

const backends = await testBackends();
const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;

/** Float64 reference: statistics over `row(i)` (the row index of flat element i), affine by `chan(i)`, optional SiLU. */
function reference(x: Float32Array, rows: number, row: (i: number) => number, chan: (i: number) => number, w: Float32Array | null, b: Float32Array | null, eps: number, silu = false): number[] {
  const s = new Float64Array(rows), cnt = new Float64Array(rows), v = new Float64Array(rows);
  for (let i = 0; i < x.length; i++) { s[row(i)] += x[i]!; cnt[row(i)]++; }
  for (let i = 0; i < x.length; i++) v[row(i)] += (x[i]! - s[row(i)]! / cnt[row(i)]!) ** 2;
  return Array.from(x, (xv, i) => {
    const r = row(i);
    const y = ((xv - s[r]! / cnt[r]!) / Math.sqrt(v[r]! / cnt[r]! + eps)) * (w ? w[chan(i)]! : 1) + (b ? b[chan(i)]! : 0);
    return silu ? y / (1 + Math.exp(-y)) : y;
  });
}

/** The same norms composed of small differentiable ops (statistics over `dims`, params broadcast by `pshape`). */
function composed(x: Tensor, dims: number[], pshape: number[], w: Tensor | null, b: Tensor | null, eps: number, silu = false): Tensor {
  const m = x.mean(dims, true);
  const xc = x.sub(m);
  let y = xc.mul(xc.square().mean(dims, true).add(eps).rsqrt());
  if (w) y = y.mul(w.reshape(pshape));
  if (b) y = y.add(b.reshape(pshape));
  return silu ? F.silu(y) : y;
}

const data = async (t: Tensor) => new Float32Array(await t.data());

describe.each(backends.map((b) => [b.name, b] as const))('fused layerNorm and batchNorm on %s', (name, b) => {
  const gen = new Generator(11);
  const bwdCalls = (gpuCalls: number) => (b.name === 'cpu' ? 1 : gpuCalls);

  it('layerNorm forward: one kernel, float64 reference (offset mean, 2-D normalized shape)', async () => {
    const x = randn([5, 7, 48], { backend: b, generator: gen, std: 3, mean: 5 } as never);
    const w = randn([7, 48], { backend: b, generator: gen });
    const bias = randn([7, 48], { backend: b, generator: gen });
    const p = await profile(() => F.layerNorm(x, [7, 48], w, bias), { backend: b });
    expect(p.calls).toBe(1);
    const len = 7 * 48;
    const want = reference(await data(x), 5, (i) => Math.floor(i / len), (i) => i % len, await data(w), await data(bias), 1e-5);
    expectClose(Array.from(await p.result.data()), want, { rtol: 1e-4, atol: 1e-5 }, `layerNorm ${name}`);
    dispose([x, w, bias, p.result]);
  });

  it('layerNorm backward: two kernels, equal to autograd through the composed norm and to the ops backward', async () => {
    for (const [shape, act] of [[[6, 33], 'none'], [[3, 4, 40], 'silu']] as const) {
      const len = shape[shape.length - 1]!;
      const x = randn([...shape], { backend: b, generator: gen, std: 2 }).requiresGrad_();
      const w = randn([len], { backend: b, generator: gen }).requiresGrad_();
      const bias = randn([len], { backend: b, generator: gen }).requiresGrad_();
      const fwd = await profile(() => F.layerNorm(x, [len], w, bias, 1e-5, { activation: act }), { backend: b });
      expect(fwd.calls).toBe(1);
      const ref = composed(x, [shape.length - 1], [len], w, bias, 1e-5, act === 'silu');
      expectClose(Array.from(await fwd.result.data()), Array.from(await ref.data()), { rtol: 1e-4, atol: 1e-5 }, `forward ${act}`);
      const g = randn([...shape], { backend: b, generator: gen });
      const bwd = await profile(() => grad(fwd.result, [x, w, bias], { gradOutputs: [g], retainGraph: true }), { backend: b });
      expect(bwd.calls).toBe(bwdCalls(2));
      const want = grad(ref, [x, w, bias], { gradOutputs: [g] });
      const viaOps = grad(fwd.result, [x, w, bias], { gradOutputs: [g], retainGraph: true, createGraph: true });
      for (let i = 0; i < 3; i++) {
        expectClose(Array.from(await bwd.result[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `grad ${i} (${act})`);
        expectClose(Array.from(await viaOps[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `ops grad ${i} (${act})`);
      }
      dispose([x, w, bias, fwd.result, ref, g, bwd.result, want, viaOps]);
    }
  });

  it('batchNorm forward: one kernel, float64 reference, vec4 / scalar / 2-D input', async () => {
    for (const shape of [[4, 3, 8, 8], [6, 5, 7, 9], [16, 6]]) {
      const [n, c] = [shape[0]!, shape[1]!];
      const hw = shape.slice(2).reduce((a, v) => a * v, 1);
      const x = randn(shape, { backend: b, generator: gen, std: 3, mean: -4 } as never);
      const w = randn([c], { backend: b, generator: gen });
      const bias = randn([c], { backend: b, generator: gen });
      for (const act of ['none', 'silu'] as const) {
        const p = await profile(() => F.batchNorm(x, null, null, w, bias, { training: true, activation: act }), { backend: b });
        expect(p.calls).toBe(1);
        const ch = (i: number) => Math.floor(i / hw) % c;
        const want = reference(await data(x), c, ch, ch, await data(w), await data(bias), 1e-5, act === 'silu');
        expectClose(Array.from(await p.result.data()), want, { rtol: 1e-4, atol: 1e-5 }, `batchNorm ${JSON.stringify(shape)} ${act}`);
        p.result.dispose();
      }
      expect(n).toBeGreaterThan(0);
      dispose([x, w, bias]);
    }
  });

  it('batchNorm backward: one kernel, equal to autograd through the composed norm and to the ops backward', async () => {
    for (const [shape, act, affine] of [[[4, 3, 8, 8], 'none', true], [[5, 4, 3, 3], 'silu', true], [[12, 5], 'none', false]] as const) {
      const c = shape[1]!;
      const dims = shape.map((_, i) => i).filter((i) => i !== 1);
      const pshape = shape.map((s, i) => (i === 1 ? s : 1));
      const x = randn([...shape], { backend: b, generator: gen, std: 2 }).requiresGrad_();
      const w = affine ? randn([c], { backend: b, generator: gen }).requiresGrad_() : null;
      const bias = affine ? randn([c], { backend: b, generator: gen }).requiresGrad_() : null;
      const inputs = [x, ...(affine ? [w!, bias!] : [])];
      const y = F.batchNorm(x, null, null, w, bias, { training: true, activation: act });
      const ref = composed(x, dims, pshape, w, bias, 1e-5, act === 'silu');
      const g = randn([...shape], { backend: b, generator: gen });
      const bwd = await profile(() => grad(y, inputs, { gradOutputs: [g], retainGraph: true }), { backend: b });
      expect(bwd.calls).toBe(1);
      const want = grad(ref, inputs, { gradOutputs: [g] });
      const viaOps = grad(y, inputs, { gradOutputs: [g], retainGraph: true, createGraph: true });
      for (let i = 0; i < inputs.length; i++) {
        expectClose(Array.from(await bwd.result[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `grad ${i} ${JSON.stringify(shape)}`);
        expectClose(Array.from(await viaOps[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `ops grad ${i} ${JSON.stringify(shape)}`);
      }
      dispose([...inputs, y, ref, g, bwd.result, want, viaOps]);
    }
  });

  it('double backward (gradcheck of the input gradient) for layerNorm and batchNorm, with and without SiLU', async () => {
    const u = randn([3, 4, 2, 2], { backend: b, generator: gen });
    const x = randn([3, 4, 2, 2], { backend: b, generator: gen });
    for (const act of ['none', 'silu'] as const) {
      const wl = randn([2, 2], { backend: b, generator: gen });
      const wb = randn([4], { backend: b, generator: gen });
      const bb = randn([4], { backend: b, generator: gen });
      // gradcheck's finite differences run without grad and with inputs that need none; grad() needs both.
      const lift = (x0: Tensor) => (x0.requiresGrad ? x0 : x0.detach().requiresGrad_());
      const ln = (x0: Tensor, wi: Tensor) => enableGrad(() => {
        const xi = lift(x0);
        return grad(F.layerNorm(xi, [2, 2], wi, null, 1e-5, { activation: act }).mul(u).sum(), [xi], { createGraph: true })[0]!;
      });
      // Without the activation the input gradient does not depend on the bias: it is a constant then.
      const bn = (x0: Tensor, wi: Tensor, bi?: Tensor) => enableGrad(() => {
        const xi = lift(x0);
        return grad(F.batchNorm(xi, null, null, wi, bi ?? bb, { training: true, activation: act }).mul(u).sum(), [xi], { createGraph: true })[0]!;
      });
      const r1 = await gradcheck(ln, [x, wl], { eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
      expect(r1.ok, `layerNorm ${act}: ${JSON.stringify(r1.errors)}`).toBe(true);
      const r2 = await gradcheck(bn, act === 'silu' ? [x, wb, bb] : [x, wb], { eps: 1e-2, atol: 1e-2, rtol: 1e-2 });
      expect(r2.ok, `batchNorm ${act}: ${JSON.stringify(r2.errors)}`).toBe(true);
      dispose([wl, wb, bb]);
    }
    dispose([x, u]);
  });

  it('SiLU epilogue at large pre-activations (±hundreds): forward and gradients equal silu of the norm', async () => {
    const x = randn([2, 8, 6, 4], { backend: b, generator: gen }).requiresGrad_();
    const w = randn([8], { backend: b, generator: gen }).mul(80).requiresGrad_();
    const bias = randn([8], { backend: b, generator: gen }).mul(20).requiresGrad_();
    const g = randn([2, 8, 6, 4], { backend: b, generator: gen });
    for (const [fused, plain] of [
      [F.groupNorm(x, 2, w, bias, 1e-5, { activation: 'silu' }), F.silu(F.groupNorm(x, 2, w, bias))],
      [F.batchNorm(x, null, null, w, bias, { training: true, activation: 'silu' }), F.silu(F.batchNorm(x, null, null, w, bias, { training: true }))],
    ] as const) {
      expectClose(Array.from(await fused.data()), Array.from(await plain.data()), { rtol: 1e-5, atol: 1e-6 }, 'forward');
      const got = grad(fused, [x, w, bias], { gradOutputs: [g] });
      const want = grad(plain, [x, w, bias], { gradOutputs: [g] });
      for (let i = 0; i < 3; i++) expectClose(Array.from(await got[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-4 }, `grad ${i}`);
      dispose([fused, plain, got, want]);
    }
    dispose([x, w, bias, g]);
  });

  it('instanceNorm with input statistics: GroupNorm\'s kernels (one channel per group), gradients equal the composed norm', async () => {
    const x = randn([3, 5, 6, 7], { backend: b, generator: gen, std: 2, mean: 3 } as never).requiresGrad_();
    const w = randn([5], { backend: b, generator: gen }).requiresGrad_();
    const bias = randn([5], { backend: b, generator: gen }).requiresGrad_();
    const fwd = await profile(() => F.instanceNorm(x, { weight: w, bias }), { backend: b });
    expect(fwd.calls).toBe(1);
    const ref = composed(x, [2, 3], [1, 5, 1, 1], w, bias, 1e-5);
    expectClose(Array.from(await fwd.result.data()), Array.from(await ref.data()), { rtol: 1e-4, atol: 1e-5 }, 'forward');
    const g = randn([3, 5, 6, 7], { backend: b, generator: gen });
    const bwd = await profile(() => grad(fwd.result, [x, w, bias], { gradOutputs: [g], retainGraph: true }), { backend: b });
    expect(bwd.calls).toBe(bwdCalls(2));
    const want = grad(ref, [x, w, bias], { gradOutputs: [g] });
    for (let i = 0; i < 3; i++) expectClose(Array.from(await bwd.result[i]!.data()), Array.from(await want[i]!.data()), { rtol: 1e-4, atol: 1e-5 }, `grad ${i}`);
    dispose([x, w, bias, fwd.result, ref, g, bwd.result, want]);
  });

  it('BatchNorm2d: running statistics move toward the batch mean and unbiased variance; SiLU module option', async () => {
    const bn = new BatchNorm2d(3, { backend: b, momentum: 0.25, activation: 'silu' });
    const x = randn([4, 3, 5, 6], { backend: b, generator: gen, std: 2, mean: 1 } as never);
    const y = bn.call(x);
    const xs = await data(x);
    const hw = 30;
    const want = reference(xs, 3, (i) => Math.floor(i / hw) % 3, () => 0, null, null, 1e-5, true);
    expectClose(Array.from(await y.data()), want, { rtol: 1e-4, atol: 1e-5 }, 'BatchNorm2d silu output');
    const rows = noGrad(() => x.transpose(0, 1).reshape(3, -1));
    const mean = rows.mean(1);
    const unbiased = rows.var(1);
    expectClose(Array.from(await bn.runningMean!.data()), Array.from(await mean.data(), (v) => 0.25 * v), { rtol: 1e-5, atol: 1e-6 }, 'running mean');
    expectClose(Array.from(await bn.runningVar!.data()), Array.from(await unbiased.data(), (v) => 0.75 + 0.25 * v), { rtol: 1e-5, atol: 1e-6 }, 'running var');
    expect(bn.extraRepr()).toContain('activation=silu');
    // Eval: the running statistics, then SiLU.
    bn.eval();
    const ye = bn.call(x);
    const rm = await data(bn.runningMean!), rv = await data(bn.runningVar!);
    const wantEval = Array.from(xs, (v, i) => {
      const c = Math.floor(i / hw) % 3;
      const t = (v - rm[c]!) / Math.sqrt(rv[c]! + 1e-5);
      return t / (1 + Math.exp(-t));
    });
    expectClose(Array.from(await ye.data()), wantEval, { rtol: 1e-4, atol: 1e-5 }, 'BatchNorm2d eval silu');
    ye.dispose();
    const ln = new LayerNorm([5, 6], { backend: b, activation: 'silu' });
    const z = ln.call(x);
    expectClose(Array.from(await z.data()), reference(xs, 12, (i) => Math.floor(i / hw), () => 0, null, null, 1e-5, true), { rtol: 1e-4, atol: 1e-5 }, 'LayerNorm silu');
    dispose([x, y, rows, mean, unbiased, z]);
    bn.dispose();
    ln.dispose();
  });
});

describe.skipIf(!gpu)('fused norms: CPU == WebGPU', () => {
  // 'auto' is 8 invocations on a software adapter; 64 and 256 are the GPU sizes, forced to cover them here too.
  it.each(['auto', 8, 64, 256] as const)('groupNorm / layerNorm / batchNorm forward and backward on vec4, scalar and many-channel shapes (workgroup %s)', async (wg) => {
    const prevWg = setNormWorkgroup(wg);
    try {
      const cases: { shape: number[]; groups: number }[] = [
        { shape: [2, 64, 5, 3], groups: 2 }, // 32 channels of 15 per group: scalar, several plane blocks
        { shape: [3, 8, 16, 16], groups: 4 }, // vec4, 64 units per plane
        { shape: [2, 6, 1, 1], groups: 3 }, // one element per channel
        { shape: [1, 4, 40, 40], groups: 1 }, // 400 vec4 per plane
        { shape: [2, 160, 3, 1], groups: 1 }, // more planes than invocations: several blocks
        { shape: [1, 4, 128, 128], groups: 1 }, // a 64K-element row: the 256-invocation kernels
      ];
      for (const { shape, groups } of cases) {
        const c = shape[1]!;
        const run = async (backend: typeof cpu) => {
          const gen = new Generator(3);
          const x = randn(shape, { backend, generator: gen, std: 2, mean: 1 } as never).requiresGrad_();
          const w = randn([c], { backend, generator: gen }).requiresGrad_();
          const bias = randn([c], { backend, generator: gen }).requiresGrad_();
          const g = randn(shape, { backend, generator: gen });
          const tail = shape.slice(1);
          const wl = randn(tail, { backend, generator: gen }).requiresGrad_();
          const outs = [
            F.groupNorm(x, groups, w, bias, 1e-5, { activation: 'silu' }),
            F.layerNorm(x, tail, wl, null),
            F.batchNorm(x, null, null, w, bias, { training: true, activation: 'silu' }),
          ];
          const res: Float32Array[] = [];
          for (const y of outs) {
            res.push(await data(y));
            for (const t of grad(y, [x, w, bias, wl], { gradOutputs: [g], allowUnused: true })) {
              if (t) {
                res.push(await data(t));
                t.dispose();
              }
            }
          }
          dispose([x, w, bias, g, wl, ...outs]);
          return res;
        };
        const a = await run(cpu);
        const z = await run(gpu!);
        expect(z.length).toBe(a.length);
        for (let i = 0; i < a.length; i++) {
          const r = compare(z[i]!, a[i]!, { rtol: 1e-4, atol: 1e-4 });
          expect(r.ok, `${JSON.stringify(shape)} output ${i}: max abs ${r.maxAbs}`).toBe(true);
        }
      }
    } finally {
      setNormWorkgroup(prevWg);
    }
  });
});
