// Optimizers against PyTorch: 5 training steps of a small conv net (SGD-Nesterov, Adam, AdamW, AMSGrad, param groups)
// reproduce torch's per-step losses and final weights; clipGradNorm_; state dicts; freezing; 1,000 flat steps.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dispose, Generator, memory, randn, randint, tidy, tensor } from '../index.js';
import type { Tensor } from '../tensor.js';
import { expectClose, testBackends } from '../testing/index.js';
import { Conv2d, Linear, Module, ReLU, Sequential, crossEntropy, mseLoss } from '../nn/index.js';
import { type NnCase, expectTensor, expected, input, loadNnFixture, note, reportErrors } from '../nn/nn-test-helpers.js';
import { Adam, AdamW, Optimizer, SGD, clipGradNorm_, clipGradValue_ } from './index.js';
import type { Backend } from '../backend/backend.js';

const backends = await testBackends();
const cases = loadNnFixture('optim');
afterAll(reportErrors);

/** The fixture's network: Conv2d(3,4,3) → ReLU → Conv2d(4,4,3,stride 2) → flatten → Linear(16, 3). */
class Net extends Module {
  features: Sequential;
  head: Linear;
  constructor(backend: Backend) {
    super();
    this.features = new Sequential(new Conv2d(3, 4, 3, { backend }), new ReLU(), new Conv2d(4, 4, 3, { stride: 2, backend }));
    this.head = new Linear(16, 3, { backend });
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.head.call(this.features.call(x).flatten(1)));
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function makeOptimizer(c: NnCase, net: Net): Optimizer<any> {
  const o = c.args.options;
  const camel = (opts: Record<string, unknown>) => Object.fromEntries(Object.entries(opts).map(([k, v]) => [k.replace(/_([a-z])/g, (_, ch: string) => ch.toUpperCase()), v]));
  if (o.groups) {
    const groups = (o.groups as Record<string, unknown>[]).map(({ params, ...rest }) => ({ ...camel(rest), params: (net[params as 'features' | 'head']).parameters() }));
    return new SGD(groups);
  }
  const Cls = { SGD, Adam, AdamW }[c.op as 'SGD' | 'Adam' | 'AdamW'];
  return new Cls(net.parameters(), camel(o));
}

describe.each(backends.map((b) => [b.name, b] as const))('optimizers on %s', (name, backend) => {
  it.each(cases.filter((c) => c.name.startsWith('train')).map((c) => [c.name, c] as const))('%s: 5 steps reproduce torch', async (_n, c) => {
    const net = new Net(backend);
    const init = Object.fromEntries(Object.keys(net.stateDict()).map((k) => [k, input(c, k, backend)]));
    net.loadStateDict(init);
    dispose(init);
    const x = input(c, 'x', backend);
    const y = input(c, 'y', backend);
    const opt = makeOptimizer(c, net);
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      opt.zeroGrad();
      const loss = crossEntropy(net.call(x), y);
      loss.backward();
      opt.step();
      losses.push(await loss.item());
      loss.dispose();
    }
    const fam = `${c.name.replace('train ', '')} ${name}`;
    note(`${fam} losses`, expectClose(losses, c.expected.losses as number[], { rtol: 1e-5, atol: 0 }, 'per-step losses'));
    // 1e-5 relative; atol 1e-6 only matters for near-zero weights, where float32 rounding differences between
    // torch's fused CPU kernels and our op-by-op evaluation (and lavapipe's math) dominate the relative error.
    const sd = net.stateDict();
    for (const [k, t] of Object.entries(sd)) await expectTensor(t, expected(c, `final.${k}`), fam, `final ${k}`, { rtol: 1e-5, atol: 1e-6 });
    const st = opt.stateDict();
    expect(Object.keys(st.state[0]!).sort()).toEqual([...(c.args.state_keys as string[])].sort());
    dispose([sd, st.state, x, y]);
    opt.dispose();
    net.dispose();
  });

  it.each(cases.filter((c) => c.op === 'clipGradNorm').map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const grads = ['g0', 'g1', 'g2'].map((k) => input(c, k, backend));
    const params = grads.map((g) => {
      const p = g.mul(0).requiresGrad_();
      p.grad = g;
      return p;
    });
    const normType = c.args.norm_type === 'inf' ? Infinity : c.args.norm_type;
    const total = clipGradNorm_(params, c.args.max_norm, normType);
    await expectTensor(total, expected(c, 'total'), `clipGradNorm ${name}`, 'total norm');
    for (const [i, p] of params.entries()) {
      expect(p.grad).toBe(grads[i]); // scaled in place: same tensor objects
      await expectTensor(p.grad!, expected(c, `g${i}`), `clipGradNorm ${name}`, `grad ${i}`);
    }
    dispose([params, grads, total]);
  });

  it('clipGradValue_ clamps in place; no gradients gives a zero norm', async () => {
    const p = tensor([1, 2, 3], { backend }).requiresGrad_();
    p.grad = tensor([-2, 0.1, 5], { backend });
    clipGradValue_([p], 1);
    expect(Array.from(await p.grad.data())).toEqual([-1, Math.fround(0.1), 1]);
    const q = tensor([1], { backend }).requiresGrad_();
    const z = clipGradNorm_([q], 1);
    expect(await z.item()).toBe(0);
    dispose([p, p.grad, q, z]);
  });

  it('frozen submodules get no gradients and are not updated; their optimizer state stays empty', async () => {
    const net = new Net(backend);
    net.features.requiresGrad_(false);
    const before = await Promise.all(net.features.parameters().map((p) => p.data()));
    const headBefore = await net.head.weight.data();
    const opt = new Adam(net.parameters(), { lr: 0.1 });
    const x = randn([2, 3, 8, 8], { backend, generator: new Generator(1) });
    const y = randint(0, 3, [2], { backend, generator: new Generator(2) });
    for (let i = 0; i < 2; i++) {
      opt.zeroGrad();
      const loss = crossEntropy(net.call(x), y);
      loss.backward();
      opt.step();
      loss.dispose();
    }
    for (const p of net.features.parameters()) expect(p.grad).toBeNull();
    const after = await Promise.all(net.features.parameters().map((p) => p.data()));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i]!)));
    expect(Array.from(await net.head.weight.data())).not.toEqual(Array.from(headBefore));
    expect(opt.state.size).toBe(2);
    dispose([x, y]);
    opt.dispose();
    net.dispose();
  });

  it('optimizer stateDict/loadStateDict round trip continues identically', async () => {
    const make = () => {
      const w = tensor([[0.5, -1], [2, 0.25]], { backend }).requiresGrad_();
      return [w, new Adam([{ params: [w], lr: 0.05 }], { amsgrad: true })] as const;
    };
    const target = tensor([[1, 0], [0, 1]], { backend });
    const stepOnce = (w: Tensor, opt: Adam) => {
      opt.zeroGrad();
      const l = mseLoss(w, target);
      l.backward();
      opt.step();
      l.dispose();
    };
    const [w1, o1] = make();
    const [w2, o2] = make();
    for (let i = 0; i < 3; i++) stepOnce(w1, o1);
    const sd = o1.stateDict();
    expect(sd.param_groups[0]).toMatchObject({ lr: 0.05, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0, amsgrad: true, params: [0] });
    expect(sd.state[0]!.step).toBe(3);
    w2._replaceStorage(w1.detach());
    o2.loadStateDict(sd);
    dispose(sd.state);
    stepOnce(w1, o1);
    stepOnce(w2, o2);
    expect(Array.from(await w2.data())).toEqual(Array.from(await w1.data()));
    expect(() => o2.loadStateDict({ state: {}, param_groups: [] })).toThrow(/0 parameter groups, the optimizer has 1/);
    dispose([w1, w2, target, w1.grad, w2.grad]);
    o1.dispose();
    o2.dispose();
  });

  it('validates options and parameters like torch', () => {
    const w = tensor([1], { backend }).requiresGrad_();
    expect(() => new SGD([w], { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum requires a momentum and zero dampening/);
    expect(() => new Adam([w], { betas: [1, 0.9] })).toThrow(/beta parameter at index 0/);
    expect(() => new SGD([w], { lr: -1 })).toThrow(/learning rate/);
    expect(() => new SGD([])).toThrow(/empty parameter list/);
    expect(() => new SGD([{ params: [w] }, { params: [w] }])).toThrow(/more than one parameter group/);
    const nonLeaf = w.mul(2);
    expect(() => new SGD([nonLeaf])).toThrow(/non-leaf/);
    dispose([w, nonLeaf]);
  });

  it('1,000 optimizer steps keep live tensors, device bytes and pool bytes flat', async () => {
    const net = new Sequential(new Linear(6, 7, { backend }), new ReLU(), new Linear(7, 3, { backend }));
    const x = randn([5, 6], { backend, generator: new Generator(3) });
    const t = randn([5, 3], { backend, generator: new Generator(4) });
    const opts = [new SGD(net.parameters(), { lr: 1e-3, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }), new AdamW(net.parameters(), { lr: 1e-4, amsgrad: true })];
    const step = () => {
      for (const opt of opts) {
        opt.zeroGrad();
        tidy(() => mseLoss(net.call(x), t).backward());
        clipGradNorm_(net.parameters(), 1).dispose();
        opt.step();
      }
    };
    for (let i = 0; i < 10; i++) step();
    await backend.sync();
    const before = memory();
    // Like a real loop (which reads its loss), yield to the device now and then: Dawn only recycles its
    // per-dispatch resources when the event loop runs (~300 dispatches per step here).
    for (let i = 0; i < 1000; i++) {
      step();
      if (i % 10 === 9) await backend.sync();
    }
    await backend.sync();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes[backend.name]).toBe(before.liveBytes[backend.name]);
    expect(after.poolBytes[backend.name]).toBe(before.poolBytes[backend.name]);
    for (const o of opts) o.dispose();
    net.dispose();
    dispose([x, t]);
  });
});

describe('CPU and WebGPU agree', () => {
  const [cpu, gpu] = backends;
  it.skipIf(!gpu)('SGD, Adam (AMSGrad) and AdamW steps on random shapes (sizes not multiples of 4/8/16/64)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 2 }), async (shape, which) => {
        const run = async (backend: Backend) => {
          const g = new Generator(shape.length * 100 + which);
          const p = randn(shape, { backend, generator: g }).requiresGrad_();
          const c = randn([3, ...shape], { backend, generator: g });
          const opt = [
            () => new SGD([p], { lr: 0.1, momentum: 0.8, dampening: 0.1, weightDecay: 0.01 }),
            () => new Adam([p], { lr: 0.01, amsgrad: true }),
            () => new AdamW([p], { lr: 0.01, betas: [0.5, 0.9], weightDecay: 0.1 }),
          ][which]!();
          // Linear losses give exact, backend-independent gradients, so only the update arithmetic is compared
          // (Adam divides by |g|: near-cancelling gradients would amplify harmless rounding differences).
          for (let i = 0; i < 3; i++) {
            opt.zeroGrad();
            tidy(() => p.mul(c.narrow(0, i, 1).reshape(shape)).sum().backward());
            opt.step();
          }
          const out = Array.from(await p.data());
          opt.dispose();
          dispose([p, p.grad, c]);
          return out;
        };
        expectClose(await run(gpu!), await run(cpu!), { rtol: 1e-5, atol: 1e-6 }, `shape [${shape}] optimizer ${which}`);
      }),
      { numRuns: 12, seed: 11 },
    );
  });
});
