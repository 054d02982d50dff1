// The fused optimizer updates give the same float32 bits as the op-by-op path, on every backend, for every switch
// (weight decay, maximize, AMSGrad, momentum, dampening, Nesterov; EMA), over several steps; and they take one
// kernel per parameter.
import { describe, expect, it } from 'vitest';
import { Generator, dispose, manualSeed, noGrad, profile, randn, tidy, type Tensor } from '../index.js';
import { testBackends } from '../testing/index.js';
import { Linear, Module } from '../nn/index.js';
import { Adam, EMA, type Optimizer } from './index.js';
import type { Backend } from '../backend/backend.js';
import { OPTIMIZER_CASES, bits } from './optim-test-helpers.js';

const backends = await testBackends();

/** Parameters with awkward values (zeros of both signs, a large and a tiny one) plus random ones. */
function params(b: Backend, seed: number): Tensor[] {
  const g = new Generator(seed);
  const a = randn([5, 7], { backend: b, generator: g });
  const special = randn([6], { backend: b, generator: g }).mul(0).add(randn([6], { backend: b, generator: g }).mul(1e-30));
  return [a.requiresGrad_(), special.requiresGrad_(), randn([300], { backend: b, generator: g, std: 3 }).requiresGrad_()];
}

type Make = (ps: Tensor[], fused: boolean) => Optimizer<{ lr: number }>;

const configs: [string, Make][] = OPTIMIZER_CASES.map(([name, make]) => [name, (ps, fused) => make(ps, { fused })]);

describe.each(backends.map((b) => [b.name, b] as const))('fused optimizer updates on %s', (_name, b) => {
  it.each(configs)('%s: same bits as the op-by-op update over 4 steps', async (_n, make) => {
    const runs: number[][][] = [];
    for (const fused of [true, false]) {
      const ps = params(b, 11);
      const opt = make(ps, fused);
      const gen = new Generator(5);
      for (let step = 0; step < 4; step++) {
        for (const p of ps) p.grad = randn(p.shape, { backend: b, generator: gen, std: step === 2 ? 1e3 : 1 });
        opt.step();
        opt.zeroGrad();
      }
      const state = [...opt.state.values()].flatMap((s) => Object.values(s).filter((v): v is Tensor => typeof v !== 'number'));
      runs.push([...(await bits(ps)), ...(await bits(state))]);
      opt.dispose();
      dispose(ps);
    }
    expect(runs[0]!.length).toBeGreaterThanOrEqual(3);
    expect(runs[0]).toEqual(runs[1]);
  });

  it('EMA: same bits fused and op by op', async () => {
    class Net extends Module {
      fc = new Linear(9, 4, { backend: b });
      forward(x: Tensor) {
        return this.fc.call(x);
      }
    }
    const out: number[][][] = [];
    for (const fused of [true, false]) {
      manualSeed(9);
      const net = new Net();
      const ema = new EMA(net, { decay: 0.9, warmup: true, fused });
      const gen = new Generator(3);
      for (let i = 0; i < 4; i++) {
        noGrad(() => tidy(() => {
          for (const p of net.parameters()) p._replaceStorage(p.add(randn(p.shape, { backend: b, generator: gen })));
        }));
        ema.update(net);
      }
      out.push(await bits([...ema.shadow.values()]));
      ema.dispose();
      net.dispose();
    }
    expect(out[0]).toEqual(out[1]);
  });

  it('one kernel per parameter (the op-by-op Adam step takes 10 or more)', async () => {
    const counts: number[] = [];
    for (const fused of [true, false]) {
      const ps = params(b, 2);
      const opt = new Adam(ps, { lr: 1e-3, fused, multiTensor: false }); // multi-tensor counts: multi-tensor.test.ts
      const setGrads = () => ps.forEach((p) => (p.grad = randn(p.shape, { backend: b, generator: new Generator(1) })));
      setGrads();
      opt.step(); // first step (no moments yet)
      setGrads();
      const p = await profile(() => opt.step(), { backend: b });
      counts.push(p.calls);
      opt.zeroGrad();
      opt.dispose();
      dispose(ps);
    }
    expect(counts[0]).toBe(3);
    expect(counts[1]).toBeGreaterThanOrEqual(30);
  });
});
