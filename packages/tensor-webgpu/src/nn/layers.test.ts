// nn layers against PyTorch fixtures on every backend: Linear, Conv2d (all padding modes), ConvTranspose2d,
// BatchNorm2d (train/eval, running stats, gradients), GroupNorm, LayerNorm, Embedding, MultiheadAttention, SDPA.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dispose, manualSeed, randn, Generator, noGrad, toBackend } from '../index.js';
import type { Tensor } from '../tensor.js';
import { expectClose, testBackends } from '../testing/index.js';
import {
  BatchNorm2d, Conv2d, ConvTranspose2d, Embedding, GroupNorm, LayerNorm, Linear, MultiheadAttention, scaledDotProductAttention,
  ELU, GELU, LeakyReLU, ReLU, SiLU, Sigmoid, Softplus, Tanh, Dropout, type AnyModule,
} from './index.js';
import { type NnCase, expectTensor, expected, input, loadNnFixture, reportErrors } from './nn-test-helpers.js';

const backends = await testBackends();
const cases = loadNnFixture('modules');
const byOp = (op: string) => cases.filter((c) => c.op === op);
afterAll(reportErrors);

/** Loads the case's state-dict tensors (names without '@' that the module expects) into `m`. */
function loadInto(m: AnyModule, c: NnCase, backend: Parameters<typeof input>[2]): void {
  const keys = Object.keys(m.stateDict());
  const sd = Object.fromEntries(keys.map((k) => [k, input(c, k, backend)]));
  m.loadStateDict(sd);
  dispose(sd);
}

const pair = (v: number | number[]): number | [number, number] => (Array.isArray(v) ? [v[0]!, v[1]!] : v);

describe.each(backends.map((b) => [b.name, b] as const))('nn layers on %s', (name, backend) => {
  it.each(byOp('Linear').map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const m = new Linear(c.args.in, c.args.out, { bias: c.args.bias, backend });
    loadInto(m, c, backend);
    const x = input(c, 'x', backend);
    const y = m.call(x);
    await expectTensor(y, expected(c, 'y'), `Linear ${name}`, c.name);
    dispose([x, y]);
    m.dispose();
  });

  it.each(byOp('Conv2d').map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const a = c.args;
    const m = new Conv2d(a.in_channels, a.out_channels, pair(a.kernel_size), {
      stride: a.stride && pair(a.stride), padding: typeof a.padding === 'string' ? (a.padding as 'same' | 'valid') : a.padding !== undefined ? pair(a.padding) : undefined,
      dilation: a.dilation && pair(a.dilation), groups: a.groups, bias: a.bias, paddingMode: a.padding_mode, backend,
    });
    loadInto(m, c, backend);
    const x = input(c, 'x', backend);
    const y = m.call(x);
    await expectTensor(y, expected(c, 'y'), `Conv2d ${name}`, c.name);
    dispose([x, y]);
    m.dispose();
  });

  it.each(byOp('ConvTranspose2d').map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const a = c.args;
    const m = new ConvTranspose2d(a.in_channels, a.out_channels, pair(a.kernel_size), {
      stride: pair(a.stride), padding: a.padding, outputPadding: a.output_padding, dilation: a.dilation && pair(a.dilation), groups: a.groups, bias: a.bias, backend,
    });
    loadInto(m, c, backend);
    const x = input(c, 'x', backend);
    const y = m.call(x, a.output_size);
    await expectTensor(y, expected(c, 'y'), `ConvTranspose2d ${name}`, c.name);
    expect(() => m.call(x, [100, 100])).toThrow(/not reachable/);
    dispose([x, y]);
    m.dispose();
  });

  it.each(byOp('BatchNorm2d').map((c) => [c.name, c] as const))('%s: train steps, running stats, eval, gradients', async (_n, c) => {
    const m = new BatchNorm2d(3, { momentum: c.args.momentum, backend });
    loadInto(m, c, backend);
    const fam = `BatchNorm2d ${name}`;
    const [x1, x2, x3, r] = ['x1', 'x2', 'x3', 'r'].map((k) => input(c, k, backend)) as [Tensor, Tensor, Tensor, Tensor];
    const xg = x1.detach().requiresGrad_();
    const y1 = m.call(xg);
    y1.mul(r).sum().backward();
    await expectTensor(y1, expected(c, 'y1'), fam, 'y1');
    await expectTensor(xg.grad!, expected(c, 'gx'), fam, 'grad x');
    await expectTensor(m.weight!.grad!, expected(c, 'gweight'), fam, 'grad weight');
    await expectTensor(m.bias!.grad!, expected(c, 'gbias'), fam, 'grad bias');
    for (const step of [1, 2]) {
      if (step === 2) {
        const y2 = m.call(x2);
        await expectTensor(y2, expected(c, 'y2'), fam, 'y2');
        y2.dispose();
      }
      const sd = m.stateDict();
      expect(sd.num_batches_tracked!.dtype).toBe('int32');
      for (const k of ['running_mean', 'running_var', 'num_batches_tracked']) await expectTensor(sd[k]!, expected(c, `${k}@${step}`), fam, `${k} after step ${step}`);
      dispose(sd);
    }
    m.eval();
    const y3 = m.call(x3);
    await expectTensor(y3, expected(c, 'y3'), fam, 'y3 (eval)');
    dispose([x1, x2, x3, r, xg, xg.grad, y1, y3]);
    m.dispose();
  });

  it('GroupNorm and LayerNorm', async () => {
    const [g] = byOp('GroupNorm');
    const gn = new GroupNorm(g!.args.num_groups, g!.args.num_channels, { backend });
    const [l] = byOp('LayerNorm');
    const ln = new LayerNorm(l!.args.normalized_shape, { eps: l!.args.eps, backend });
    for (const [m, c, fam] of [[gn, g!, 'GroupNorm'], [ln, l!, 'LayerNorm']] as const) {
      loadInto(m, c, backend);
      const x = input(c, 'x', backend);
      const y = m.call(x);
      await expectTensor(y, expected(c, 'y'), `${fam} ${name}`, c.name);
      dispose([x, y]);
      m.dispose();
    }
  });

  it('Embedding with paddingIdx: lookups and a gradient that skips the padding row', async () => {
    const [c] = byOp('Embedding');
    const m = new Embedding(c!.args.num, c!.args.dim, { paddingIdx: c!.args.padding_idx, backend });
    const w0 = await m.weight.data();
    expect(Array.from(w0.slice(8, 12))).toEqual([0, 0, 0, 0]);
    loadInto(m, c!, backend);
    const idx = input(c!, 'idx', backend);
    const r = input(c!, 'r', backend);
    const y = m.call(idx);
    y.mul(r).sum().backward();
    await expectTensor(y, expected(c!, 'y'), `Embedding ${name}`, 'forward');
    await expectTensor(m.weight.grad!, expected(c!, 'gweight'), `Embedding ${name}`, 'weight grad');
    dispose([idx, r, y]);
    m.dispose();
  });

  it.each(byOp('MultiheadAttention').map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const a = c.args;
    const m = new MultiheadAttention(a.embed_dim, a.num_heads, { batchFirst: a.batch_first, kdim: a.kdim, vdim: a.vdim, bias: a.bias, backend });
    expect(Object.keys(m.stateDict()).sort()).toEqual(Object.keys(c.tensors).filter((k) => /proj/.test(k)).sort());
    loadInto(m, c, backend);
    const [q, k, v] = ['q', 'k', 'v'].map((n) => input(c, n, backend)) as [Tensor, Tensor, Tensor];
    const opt = (n: string) => (c.tensors[n] ? input(c, n, backend) : null);
    const [attnMask, keyPaddingMask] = [opt('attn_mask'), opt('key_padding_mask')];
    const [out, w] = m.call(q, k, v, { attnMask, keyPaddingMask, averageAttnWeights: a.average_attn_weights ?? true });
    await expectTensor(out, expected(c, 'out'), `MultiheadAttention ${name}`, `${c.name} out`);
    await expectTensor(w!, expected(c, 'weights'), `MultiheadAttention ${name}`, `${c.name} weights`);
    const [out2, none] = m.call(q, k, v, { attnMask, keyPaddingMask, needWeights: false });
    expect(none).toBeNull();
    await expectTensor(out2, expected(c, 'out'), `MultiheadAttention ${name}`, `${c.name} out (no weights)`);
    dispose([q, k, v, attnMask, keyPaddingMask, out, w, out2]);
    m.dispose();
  });

  it.each(byOp('sdpa').map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const [q, k, v] = ['q', 'k', 'v'].map((n) => input(c, n, backend)) as [Tensor, Tensor, Tensor];
    const attnMask = c.tensors.mask ? input(c, 'mask', backend) : null;
    const y = scaledDotProductAttention(q, k, v, { attnMask, isCausal: c.args.is_causal, scale: c.args.scale });
    await expectTensor(y, expected(c, 'y'), `sdpa ${name}`, c.name);
    dispose([q, k, v, attnMask, y]);
  });

  it('activation modules', async () => {
    const [c] = byOp('activations');
    const x = input(c!, 'x', backend);
    const mods: Record<string, AnyModule> = {
      ReLU: new ReLU(), LeakyReLU: new LeakyReLU(0.2), SiLU: new SiLU(), GELU: new GELU(), GELUtanh: new GELU({ approximate: 'tanh' }),
      Sigmoid: new Sigmoid(), Tanh: new Tanh(), Softplus: new Softplus(2, 3), ELU: new ELU(0.5),
    };
    for (const [k, m] of Object.entries(mods)) {
      const y = m.call(x) as Tensor;
      await expectTensor(y, expected(c!, k), `activations ${name}`, k);
      y.dispose();
    }
    x.dispose();
  });

  it('Dropout: Philox mask, 1/(1-p) scaling, identity in eval, gradient through the mask', async () => {
    const drop = new Dropout(0.25, { generator: new Generator(3) });
    const x = randn([64, 33], { backend, generator: new Generator(4) }).requiresGrad_();
    const y = drop.call(x);
    y.sum().backward();
    const [xs, ys, gs] = [await x.data(), await y.data(), await x.grad!.data()];
    let zeros = 0;
    for (let i = 0; i < xs.length; i++) {
      if (ys[i] === 0) zeros++;
      else expect(ys[i]).toBeCloseTo(xs[i]! / 0.75, 5);
      expect(gs[i]).toBeCloseTo(ys[i] === 0 ? 0 : 1 / 0.75, 5);
    }
    expect(zeros / xs.length).toBeGreaterThan(0.2);
    expect(zeros / xs.length).toBeLessThan(0.3);
    drop.eval();
    const z = drop.call(x);
    expect(Array.from(await z.data())).toEqual(Array.from(xs));
    dispose([x, x.grad, y, z]);
  });
});

describe('CPU and WebGPU agree on random shapes', () => {
  const [cpu, gpu] = backends;
  it.skipIf(!gpu)('Conv2d (padding modes, groups) and MultiheadAttention', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 3 }), cin: fc.integer({ min: 1, max: 3 }), cout: fc.integer({ min: 1, max: 3 }),
          k: fc.integer({ min: 1, max: 4 }), h: fc.integer({ min: 4, max: 11 }), w: fc.integer({ min: 4, max: 13 }),
          mode: fc.constantFrom('zeros', 'reflect', 'replicate', 'circular' as const), heads: fc.integer({ min: 1, max: 3 }), l: fc.integer({ min: 1, max: 9 }),
        }),
        async (p) => {
          const run = async (backend: typeof cpu) => {
            manualSeed(11);
            const conv = new Conv2d(p.cin * p.g, p.cout * p.g, p.k, { groups: p.g, padding: 'same', paddingMode: p.mode as 'zeros', backend });
            const mha = new MultiheadAttention(4 * p.heads, p.heads, { batchFirst: true, backend });
            const x = randn([p.n, p.cin * p.g, p.h, p.w], { backend, generator: new Generator(5) });
            const s = randn([p.n, p.l, 4 * p.heads], { backend, generator: new Generator(6) });
            const y = noGrad(() => conv.call(x));
            const [o, a] = noGrad(() => mha.call(s, s, s, { isCausal: true }));
            const out = [Array.from(await y.data()), Array.from(await o.data()), Array.from(await a!.data())];
            dispose([x, s, y, o, a]);
            conv.dispose();
            mha.dispose();
            return out;
          };
          const [c, w] = [await run(cpu!), await run(gpu!)];
          c.forEach((v, i) => expectClose(w[i]!, v, { rtol: 1e-4, atol: 1e-5 }, `output ${i} for ${JSON.stringify(p)}`));
        },
      ),
      { numRuns: 12, seed: 7 },
    );
  });

  it.skipIf(!gpu)('layers created on one backend load another backend\'s state dict only after toBackend()', async () => {
    const a = new Linear(3, 2, { backend: cpu });
    const b = new Linear(3, 2, { backend: gpu });
    const sd = a.stateDict();
    expect(() => b.loadStateDict(sd)).toThrow(/toBackend/);
    const moved = Object.fromEntries(await Promise.all(Object.entries(sd).map(async ([k, t]) => [k, await toBackend(t, gpu!)] as const)));
    b.loadStateDict(moved);
    expect(Array.from(await b.weight.data())).toEqual(Array.from(await a.weight.data()));
    dispose([sd, moved]);
    a.dispose();
    b.dispose();
  });
});
