// lr schedulers against torch's sequences (two parameter groups, 10+ steps), state round trip and validation; EMA.
import { describe, expect, it } from 'vitest';
import { dispose, tensor, randn, Generator } from '../index.js';
import { expectClose, testBackends } from '../testing/index.js';
import { BatchNorm2d, Linear, Module, Sequential } from '../nn/index.js';
import { loadNnFixture } from '../nn/nn-test-helpers.js';
import type { Tensor } from '../tensor.js';
import type { Backend } from '../backend/backend.js';
import { CosineAnnealingLR, EMA, LambdaLR, LinearLR, SGD, StepLR, type LRScheduler } from './index.js';

const backends = await testBackends();
const scheds = loadNnFixture('optim').filter((c) => c.name.startsWith('sched'));

describe('lr schedulers', () => {
  const make = (name: string, opt: SGD): LRScheduler => {
    switch (name) {
      case 'CosineAnnealingLR': return new CosineAnnealingLR(opt, 4, { etaMin: 0.01 });
      case 'LinearLR': return new LinearLR(opt, { startFactor: 0.25, endFactor: 1, totalIters: 4 });
      case 'StepLR': return new StepLR(opt, 3, { gamma: 0.5 });
      case 'LambdaLR': return new LambdaLR(opt, (e) => 0.95 ** e);
      default: throw new Error(name);
    }
  };
  it.each(scheds.map((c) => [c.op, c] as const))('%s matches torch step for step (two groups)', (name, c) => {
    const [p1, p2] = [tensor([0]).requiresGrad_(), tensor([0]).requiresGrad_()];
    const opt = new SGD([{ params: [p1] }, { params: [p2], lr: 0.03 }], { lr: 0.1 });
    const s = make(name, opt);
    const seq = [s.getLastLr()];
    const want = c.expected.lrs as number[][];
    for (let i = 1; i < want.length; i++) {
      opt.step();
      s.step();
      seq.push(s.getLastLr());
    }
    expectClose(seq.flat(), want.flat(), { rtol: 1e-12, atol: 1e-15 }, `${name} lr sequence`);
    expect(opt.paramGroups.map((g) => g.lr)).toEqual(seq.at(-1));
    expect(opt.paramGroups.map((g) => g.initialLr)).toEqual([0.1, 0.03]);
    dispose([p1, p2]);
  });

  it('stateDict round trip resumes the sequence; resuming needs initialLr', () => {
    const p = tensor([0]).requiresGrad_();
    const opt = new SGD([p], { lr: 1 });
    const a = new CosineAnnealingLR(opt, 10);
    for (let i = 0; i < 3; i++) a.step();
    const st = a.stateDict();
    expect(st).toMatchObject({ last_epoch: 3, base_lrs: [1], _step_count: 4 });
    const opt2 = new SGD([p], { lr: 1 });
    expect(() => new CosineAnnealingLR(opt2, 10, { lastEpoch: 3 })).toThrow(/initialLr/);
    const b = new CosineAnnealingLR(opt2, 10);
    b.loadStateDict(st);
    opt2.paramGroups[0]!.lr = opt.paramGroups[0]!.lr;
    a.step();
    b.step();
    expect(b.getLastLr()).toEqual(a.getLastLr());
    expect(() => new StepLR(opt, 0)).toThrow(/stepSize/);
    expect(() => new LinearLR(opt, { startFactor: 0 })).toThrow(/startFactor/);
    p.dispose();
  });
});

class Tiny extends Module {
  fc: Linear;
  bn: BatchNorm2d;
  constructor(backend: Backend) {
    super();
    this.fc = new Linear(3, 2, { backend });
    this.bn = new BatchNorm2d(2, { backend });
  }
  forward(x: Tensor): Tensor {
    return this.fc.call(x);
  }
}

describe.each(backends.map((b) => [b.name, b] as const))('EMA on %s', (_n, backend) => {
  it('first update copies, then shadow ← shadow + (1 − β)(p − shadow); copyTo writes in place; int buffers are copied', async () => {
    const net = new Sequential(new Linear(4, 3, { backend }));
    const w = (net.at(0) as Linear).weight;
    const ema = new EMA(net, { decay: 0.9 });
    const vals: Float32Array[] = [];
    for (let i = 0; i < 4; i++) {
      const next = randn(w.shape, { backend, generator: new Generator(i) });
      w._replaceStorage(next);
      next.dispose();
      vals.push((await w.data()) as Float32Array);
      expect(ema.currentDecay()).toBe(i === 0 ? 0 : 0.9);
      ema.update(net);
    }
    let expected = Array.from(vals[0]!);
    for (const v of vals.slice(1)) expected = expected.map((s, j) => s + 0.1 * (v[j]! - s));
    expectClose(Array.from(await ema.shadow.get('0.weight')!.data()), expected, { rtol: 1e-5, atol: 1e-6 });
    ema.copyTo(net);
    expect(net.at(0)).toBeInstanceOf(Linear);
    expect((net.at(0) as Linear).weight).toBe(w);
    expectClose(Array.from(await w.data()), expected, { rtol: 1e-5, atol: 1e-6 });
    const sd = ema.stateDict();
    expect(Object.keys(sd)).toEqual(['0.weight', '0.bias']);
    dispose(sd);
    ema.dispose();
    net.dispose();
  });

  it('warm-up follows 1 − (1 + t/invGamma)^−power, capped by decay; buffers are tracked', () => {
    const net = new Tiny(backend);
    const ema = new EMA(net, { decay: 0.99, warmup: true, power: 0.75 });
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      seen.push(ema.currentDecay());
      ema.update(net);
    }
    expectClose(seen, [0, 1 - 2 ** -0.75, 1 - 3 ** -0.75, 1 - 4 ** -0.75, 1 - 5 ** -0.75], { rtol: 1e-12 });
    expect([...ema.shadow.keys()]).toEqual(['fc.weight', 'fc.bias', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var', 'bn.num_batches_tracked']);
    expect(ema.shadow.get('bn.num_batches_tracked')!.dtype).toBe('int32');
    ema.dispose();
    net.dispose();
  });
});
