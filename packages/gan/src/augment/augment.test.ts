// ADA controller formula, p clamping and state round trip; the pipes' identity, determinism and gradients on every
// backend; DiffAugment glue equal to @radix/augment's own function.
import { describe, expect, it } from 'vitest';
import { adaAugment, diffAugment } from '@radix/augment';
import { type Backend, Generator, grad, rand } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { AdaController, AdaPipe, DiffAugmentPipe } from './index.js';

const backends = await testBackends();

describe('AdaController', () => {
  it('adjusts after minibatches 0, 4, 8 by sign(r_t − target)·batch·interval/(kimg·1000)', () => {
    const pipe = new AdaPipe();
    const ada = new AdaController(pipe, { batch: 32 });
    expect(ada.stepSize()).toBeCloseTo((32 * 4) / 500_000, 15);
    const step = 128 / 500_000;
    // Minibatch 0: r_t = 1 > 0.6 → p rises by one step.
    ada.report(32, 32);
    expect(ada.step()).toBeCloseTo(step, 15);
    // Minibatches 1..3 only accumulate; at 4 the mean of the four reports decides.
    for (const s of [8, 8, 8]) {
      ada.report(s, 32);
      expect(ada.step()).toBeNull();
    }
    ada.report(8, 32); // mean r_t = 0.25 < 0.6 → p falls
    expect(ada.step()).toBeCloseTo(0, 15);
    expect(ada.lastRt).toBeCloseTo(0.25, 15);
    // Exactly at the target sign(0) = 0: p stays.
    for (let i = 0; i < 3; i++) ada.step();
    pipe.p = 0.5;
    ada.report(0.6 * 10, 10);
    expect(ada.step()).toBe(0.5);
  });

  it('clamps p to [0, 1] (the reference only bounds it below) and uses kimg 100 when asked', () => {
    const pipe = new AdaPipe({ p: 0.9999 });
    const ada = new AdaController(pipe, { batch: 64, interval: 1, kimg: 100 });
    expect(ada.stepSize()).toBeCloseTo(64 / 100_000, 15);
    ada.report(64, 64);
    expect(ada.step()).toBe(1);
    ada.report(64, 64);
    expect(ada.step()).toBe(1);
    pipe.p = 0.0001;
    ada.report(-64, 64);
    expect(ada.step()).toBe(0);
    expect(() => (pipe.p = 1.5)).toThrow(/probability/);
  });

  it('state round-trips so a resumed controller continues identically', () => {
    const mk = () => new AdaController(new AdaPipe(), { batch: 8 });
    const a = mk();
    const b = mk();
    const feed = (c: AdaController, i: number) => {
      c.report(((i * 7) % 9) - 4, 8);
      return c.step();
    };
    for (let i = 0; i < 6; i++) feed(a, i);
    b.loadState(JSON.parse(JSON.stringify(a.state())));
    for (let i = 6; i < 20; i++) expect(feed(b, i)).toBe(feed(a, i));
    expect(b.pipe.p).toBe(a.pipe.p);
  });

  it('refuses invalid options', () => {
    expect(() => new AdaController(new AdaPipe(), { batch: 0 })).toThrow(/batch/);
    expect(() => new AdaController(new AdaPipe(), { batch: 4, kimg: 0 })).toThrow(/kimg/);
    expect(() => new AdaController(new AdaPipe(), { batch: 4, interval: 1.5 })).toThrow(/interval/);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('augment pipes on %s', (_name, backend: Backend) => {
  it('AdaPipe is the identity at p = 0 and equals adaAugment with the same stream otherwise', async () => {
    const x = rand([3, 3, 8, 8], { backend, generator: new Generator(1) });
    const pipe = new AdaPipe();
    expect(pipe.apply(x, new Generator(2))).toBe(x);
    pipe.p = 0.7;
    const out = pipe.apply(x, new Generator(2));
    const ref = adaAugment(x, { p: 0.7, generator: new Generator(2) });
    expectClose(await out.data(), await ref.data(), { rtol: 0, atol: 0 }, 'pipe vs adaAugment');
    expect(pipe.describe()).toBe('ada bgc p=0.7000');
  });

  it('gradients reach the input through the whole bgc pipe and through DiffAugment', async () => {
    const x = rand([2, 3, 8, 8], { backend, generator: new Generator(3) }).requiresGrad_();
    const pipe = new AdaPipe({ p: 1 });
    const [g] = grad(pipe.apply(x, new Generator(4)).square().sum(), x);
    const gd = await g!.data();
    expect(gd.some((v) => v !== 0)).toBe(true);
    expect(gd.every((v) => Number.isFinite(v))).toBe(true);
    const da = new DiffAugmentPipe('color,translation,cutout');
    const [g2] = grad(da.apply(x, new Generator(5)).sum(), x);
    expect((await g2!.data()).some((v) => v !== 0)).toBe(true);
    const ref = diffAugment(x, 'color,translation,cutout', { generator: new Generator(6) });
    expectClose(await da.apply(x, new Generator(6)).data(), await ref.data(), { rtol: 0, atol: 0 }, 'DiffAugmentPipe');
  });
});

describe('DiffAugmentPipe', () => {
  it('validates its policy', () => {
    expect(() => new DiffAugmentPipe('color,blur')).toThrow(/unknown policy 'blur'/);
    expect(() => new DiffAugmentPipe(' ')).toThrow(/empty policy/);
    expect(new DiffAugmentPipe('translation, cutout').describe()).toBe('diffaugment translation,cutout');
  });
});

describe('R1 through the ADA pipe', () => {
  it('the double backward reaches D weights through gridSample with a constant grid', async () => {
    const { F, randn } = await import('@radix/tensor-webgpu');
    const { r1Penalty } = await import('../losses/r1.js');
    const x = rand([2, 3, 8, 8], { generator: new Generator(1) }).requiresGrad_();
    const w = randn([4, 3, 3, 3], { generator: new Generator(2) }).requiresGrad_();
    const logits = F.leakyRelu(F.conv2d(new AdaPipe({ p: 1 }).apply(x, new Generator(3)), w), 0.2).mean([1, 2, 3]);
    const [gw] = grad(r1Penalty(logits, x).sum(), w);
    const d = await gw!.data();
    expect(d.some((v) => v !== 0) && d.every((v) => Number.isFinite(v))).toBe(true);
  });
});
