// Autograd engine: gradients of elementwise and movement ops by finite differences, double backward, graph freeing, memory.
import { describe, expect, it } from 'vitest';
import * as T from '../index.js';
import { Generator, randn, tensor, dispose, memory, grad, noGrad, tidy } from '../index.js';
import { expectClose, gradcheck, testBackends } from '../testing/index.js';
import type { Tensor } from '../tensor.js';

const backends = await testBackends();

const UNARY: [string, (x: Tensor) => Tensor, 'any' | 'pos' | 'unit' | 'gt1'][] = [
  ['neg', T.neg, 'any'], ['abs', T.abs, 'any'], ['exp', T.exp, 'any'], ['exp2', T.exp2, 'any'], ['log', T.log, 'pos'],
  ['log2', T.log2, 'pos'], ['log1p', T.log1p, 'pos'], ['expm1', T.expm1, 'any'], ['sqrt', T.sqrt, 'pos'], ['rsqrt', T.rsqrt, 'pos'],
  ['reciprocal', T.reciprocal, 'pos'], ['square', T.square, 'any'], ['sin', T.sin, 'any'], ['cos', T.cos, 'any'],
  ['tan', T.tan, 'unit'], ['asin', T.asin, 'unit'], ['acos', T.acos, 'unit'], ['atan', T.atan, 'any'], ['sinh', T.sinh, 'any'],
  ['cosh', T.cosh, 'any'], ['tanh', T.tanh, 'any'], ['asinh', T.asinh, 'any'], ['acosh', T.acosh, 'gt1'], ['atanh', T.atanh, 'unit'],
  ['erf', T.erf, 'any'], ['frac', T.frac, 'pos'], ['sigmoid', T.sigmoid, 'any'], ['relu', T.F.relu, 'any'], ['relu6', T.F.relu6, 'any'],
  ['leakyRelu', (x) => T.F.leakyRelu(x, 0.2), 'any'], ['elu', (x) => T.F.elu(x, 0.7), 'any'], ['selu', T.F.selu, 'any'],
  ['silu', T.F.silu, 'any'], ['mish', T.F.mish, 'any'], ['gelu', T.F.gelu, 'any'], ['geluTanh', (x) => T.F.gelu(x, { approximate: 'tanh' }), 'any'],
  ['softplus', (x) => T.F.softplus(x, 2, 3), 'any'], ['hardtanh', T.F.hardtanh, 'any'], ['hardsigmoid', T.F.hardsigmoid, 'any'],
  ['hardswish', T.F.hardswish, 'any'], ['clamp', (x) => T.clamp(x, -0.5, 0.7), 'any'], ['pow 3', (x) => x.pow(3), 'any'],
  ['pow 0.5', (x) => x.pow(0.5), 'pos'], ['addScalar', (x) => x.add(2), 'any'], ['mulScalar', (x) => x.mul(-3), 'any'],
];

function input(kind: 'any' | 'pos' | 'unit' | 'gt1', shape: number[], backend: T.Backend, seed: number): Tensor {
  const g = new Generator(seed);
  // Keep clear of kinks (|x| > 0.05 from 0 and from the clamp/hardtanh/relu6 corners) so finite differences are valid.
  const base = T.uniform(shape, 0.1, 0.9, { backend, generator: g });
  const sgn = T.randint(0, 2, shape, { backend, generator: g }).mul(2).sub(1);
  const v = kind === 'pos' ? base.mul(2) : kind === 'unit' ? base.mul(sgn).mul(0.8) : kind === 'gt1' ? base.add(1.2) : base.mul(sgn).mul(1.9);
  dispose([base, sgn]);
  return v;
}

describe.each(backends.map((b) => [b.name, b] as const))('autograd on %s', (_n, backend) => {
  it('d/dw Σ w² = 2w, accumulated across backward calls', async () => {
    const w = tensor([1, -2, 3], { backend }).requiresGrad_();
    w.mul(w).sum().backward();
    expect(Array.from(await w.grad!.data())).toEqual([2, -4, 6]);
    w.mul(w).sum().backward();
    expect(Array.from(await w.grad!.data())).toEqual([4, -8, 12]);
    dispose([w, w.grad]);
  });

  for (const [name, fn, kind] of UNARY) {
    it(`gradcheck ${name}`, async () => {
      const x = input(kind, [2, 5], backend, name.length * 7);
      const r = await gradcheck(fn, [x]);
      expect(r.ok, JSON.stringify(r.errors)).toBe(true);
      x.dispose();
    });
  }

  const BINARY: [string, (a: Tensor, b: Tensor) => Tensor][] = [
    ['add', T.add], ['sub', T.sub], ['mul', T.mul], ['div', T.div], ['pow', T.pow], ['maximum', T.maximum],
    ['minimum', T.minimum], ['atan2', T.atan2], ['remainder', T.remainder], ['fmod', T.fmod],
    ['where', (a, b) => T.where(a.gt(0.3), a, b)],
  ];
  for (const [name, fn] of BINARY) {
    it(`gradcheck ${name} with broadcasting`, async () => {
      const a = input('pos', [3, 1, 4], backend, 3).add(0.3);
      const b = input('pos', [5, 1], backend, 4).add(name === 'remainder' || name === 'fmod' ? 2.5 : 0.35);
      const r = await gradcheck(fn, [a, b]);
      expect(r.ok, JSON.stringify(r.errors)).toBe(true);
      dispose([a, b]);
    });
  }

  const MOVE: [string, (x: Tensor) => Tensor][] = [
    ['reshape', (x) => x.reshape(4, 6)], ['permute', (x) => x.permute(2, 0, 1)], ['transpose', (x) => x.transpose(0, 2)],
    ['expand', (x) => x.reshape(2, 1, 3, 4).expand(2, 5, 3, 4)], ['slice step', (x) => x.slice(2, 1, 4, 2)],
    ['narrow', (x) => x.narrow(1, 1, 2)], ['flip', (x) => x.flip([0, 2])], ['cat', (x) => T.cat([x, x.mul(2)], 1)],
    ['stack', (x) => T.stack([x, x.square()], 0)], ['clone', (x) => x.clone()],
  ];
  for (const [name, fn] of MOVE) {
    it(`gradcheck ${name}`, async () => {
      const x = input('any', [2, 3, 4], backend, 11);
      const r = await gradcheck(fn, [x]);
      expect(r.ok, JSON.stringify(r.errors)).toBe(true);
      x.dispose();
    });
  }

  const idx = (values: number[], shape: number[]) => tensor(values, { backend, dtype: 'int32', shape });
  const COMPOSITE: [string, (x: Tensor) => Tensor][] = [
    ['sum dims', (x) => x.sum([0, 2], true)], ['mean', (x) => x.mean(1)], ['prod', (x) => x.prod(2)],
    ['amax', (x) => x.amax([1, 2])], ['amin', (x) => x.amin(0, true)], ['cumsum', (x) => x.cumsum(1)],
    ['var unbiased', (x) => x.var(2)], ['std biased', (x) => x.std([0, 1], { unbiased: false })],
    ['logsumexp', (x) => x.logsumexp(1)], ['softmax', (x) => x.softmax(-1)], ['logSoftmax', (x) => x.logSoftmax(1)],
    ['layerNorm', (x) => T.F.layerNorm(x, [4])], ['groupNorm', (x) => T.F.groupNorm(x.reshape(1, 2, 3, 4), 2)],
    ['batchNorm train', (x) => T.F.batchNorm(x, null, null, null, null, { training: true })],
    ['instanceNorm', (x) => T.F.instanceNorm(x)],
    ['gather', (x) => x.gather(2, idx([3, 0, 1, 1, 2, 2], [1, 2, 3]))],
    ['indexSelect', (x) => x.indexSelect(1, idx([2, 0, 2], [3]))],
    ['pad constant', (x) => T.F.pad(x, [1, 2, 0, 1])], ['pad reflect', (x) => T.F.pad(x, [2, 1], 'reflect')],
    ['pad replicate', (x) => T.F.pad(x, [3, 1], 'replicate')], ['pad circular', (x) => T.F.pad(x.reshape(1, 2, 3, 4), [1, 2, 2, 1], 'circular')],
    ['scatterAdd', (x) => T.scatterAdd(x, 1, idx([0, 2, 0, 1, 1, 1, 2, 0], [2, 2, 2]), x.slice(1, 0, 2).slice(2, 0, 2).mul(3))],
    ['pixelShuffle', (x) => T.F.pixelShuffle(x.reshape(1, 4, 3, 2), 2)],
  ];
  for (const [name, fn] of COMPOSITE) {
    it(`gradcheck ${name}`, async () => {
      const x = input('any', [2, 3, 4], backend, 17);
      const r = await gradcheck(fn, [x]);
      expect(r.ok, JSON.stringify(r.errors)).toBe(true);
      x.dispose();
    });
  }

  const IMAGE: [string, (x: Tensor) => Tensor][] = [
    ['maxPool2d', (x) => T.F.maxPool2d(x, 2, { stride: 1 })],
    ['maxPool2d pad dilation ceil', (x) => T.F.maxPool2d(x, 2, { stride: 2, padding: 1, dilation: 2, ceilMode: true })],
    ['avgPool2d', (x) => T.F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false, ceilMode: true })],
    ['avgPool2d override', (x) => T.F.avgPool2d(x, 2, { stride: 1, divisorOverride: 3 })],
    ['adaptiveAvgPool2d', (x) => T.F.adaptiveAvgPool2d(x, [2, 3])],
    ['interpolate bilinear', (x) => T.F.interpolate(x, { size: [7, 3], mode: 'bilinear' })],
    ['interpolate bicubic align', (x) => T.F.interpolate(x, { scaleFactor: 1.5, mode: 'bicubic', alignCorners: true })],
    ['interpolate antialias', (x) => T.F.interpolate(x, { size: [3, 2], mode: 'bilinear', antialias: true })],
    ['interpolate nearest', (x) => T.F.interpolate(x, { scaleFactor: 2 })],
  ];
  for (const [name, fn] of IMAGE) {
    it(`gradcheck ${name}`, async () => {
      const x = input('any', [1, 2, 5, 4], backend, 23);
      const r = await gradcheck(fn, [x]);
      expect(r.ok, JSON.stringify(r.errors)).toBe(true);
      x.dispose();
    });
  }

  for (const mode of ['bilinear', 'nearest', 'bicubic'] as const) {
    for (const paddingMode of ['zeros', 'border', 'reflection'] as const) {
      for (const alignCorners of [false, true]) {
        it(`gradcheck gridSample ${mode} ${paddingMode} alignCorners=${alignCorners} (input and grid)`, async () => {
          const x = input('any', [1, 2, 4, 5], backend, 29);
          // Grid points away from pixel centres and borders (kinks of the interpolation), some outside [-1, 1].
          const grid = T.uniform([1, 3, 2, 2], -1.3, 1.3, { backend, generator: new Generator(31) });
          const check = mode === 'nearest' ? [0] : [0, 1];
          const r = await gradcheck((a, b) => T.F.gridSample(a, b, { mode, paddingMode, alignCorners }), [x, grid], { check, eps: 1e-3, atol: 1e-2, rtol: 1e-2 });
          expect(r.ok, JSON.stringify(r.errors)).toBe(true);
          dispose([x, grid]);
        });
      }
    }
  }

  const LINALG: [string, number[][], (...t: Tensor[]) => Tensor][] = [
    ['matmul 2-D', [[3, 4], [4, 5]], (a, b) => T.matmul(a!, b!)],
    ['matmul 1-D·2-D', [[4], [4, 3]], (a, b) => T.matmul(a!, b!)],
    ['matmul 2-D·1-D', [[3, 4], [4]], (a, b) => T.matmul(a!, b!)],
    ['matmul dot', [[5], [5]], (a, b) => T.matmul(a!, b!)],
    ['matmul batched broadcast', [[2, 1, 3, 4], [3, 4, 2]], (a, b) => T.matmul(a!, b!)],
    ['linear', [[2, 3, 4], [5, 4], [5]], (x, w, b) => T.F.linear(x!, w!, b)],
    ['conv2d stride pad', [[2, 3, 6, 5], [4, 3, 3, 3], [4]], (x, w, b) => T.F.conv2d(x!, w!, b, { stride: 2, padding: 1 })],
    ['conv2d dilation groups', [[1, 4, 7, 6], [6, 2, 3, 2], [6]], (x, w, b) => T.F.conv2d(x!, w!, b, { dilation: [2, 1], groups: 2, padding: [1, 0] })],
    ['conv2d depthwise same', [[1, 3, 5, 5], [3, 1, 2, 2]], (x, w) => T.F.conv2d(x!, w!, null, { groups: 3, padding: 'same' })],
    ['conv2d unbatched floor', [[2, 6, 7], [3, 2, 3, 3]], (x, w) => T.F.conv2d(x!, w!, null, { stride: 2 })],
    ['convTranspose2d stride pad outpad', [[2, 3, 3, 4], [3, 2, 3, 3], [2]], (x, w, b) => T.F.convTranspose2d(x!, w!, b, { stride: 2, padding: 1, outputPadding: 1 })],
    ['convTranspose2d groups dilation', [[1, 4, 3, 3], [4, 1, 2, 3]], (x, w) => T.F.convTranspose2d(x!, w!, null, { groups: 2, dilation: 2, stride: [1, 2] })],
  ];
  for (const [name, shapes, fn] of LINALG) {
    it(`gradcheck ${name}`, async () => {
      const xs = shapes.map((sh, i) => input('any', sh, backend, 41 + i));
      const r = await gradcheck(fn, xs);
      expect(r.ok, JSON.stringify(r.errors)).toBe(true);
      dispose(xs);
    });
  }

  it('gradcheck affineGrid (w.r.t. theta) composed with gridSample', async () => {
    const theta = tensor([[[0.9, -0.2, 0.1], [0.15, 1.1, -0.05]]], { backend });
    const x = input('any', [1, 2, 4, 5], backend, 37);
    const r = await gradcheck((t, img) => T.F.gridSample(img!, T.F.affineGrid(t!, [1, 2, 3, 4])), [theta, x], { eps: 1e-3, atol: 1e-2, rtol: 1e-2 });
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
    dispose([theta, x]);
  });

  it('double backward: d/dx (d/dx Σ x³) = 6x, and grad() leaves .grad untouched', async () => {
    const x = tensor([0.5, -1, 2], { backend }).requiresGrad_();
    const y = x.pow(3).sum();
    const [dx] = grad(y, [x], { createGraph: true });
    expectClose(Array.from(await dx!.data()), [0.75, 3, 12], {}, 'first derivative');
    expect(x.grad).toBeNull();
    const [d2] = grad(dx!.sum(), [x]);
    expectClose(Array.from(await d2!.data()), [3, -6, 12], {}, 'second derivative');
    dispose([x, y, dx, d2]);
  });

  it('a second backward through a freed graph is refused; retainGraph allows it', () => {
    const x = tensor([1, 2], { backend }).requiresGrad_();
    const y = x.exp().sum();
    y.backward({ retainGraph: true });
    y.backward();
    expect(() => y.backward()).toThrow(/already freed/);
    expect(() => tensor([1, 2], { backend }).sum().backward()).toThrow(/does not require grad/);
    expect(() => x.exp().backward()).toThrow(/only for one-element outputs/);
    dispose([x, x.grad, y]);
  });

  it('noGrad records nothing; detach cuts the graph', () => {
    const x = tensor([1, 2], { backend }).requiresGrad_();
    const a = noGrad(() => x.mul(2));
    expect(a.requiresGrad).toBe(false);
    const b = x.detach().mul(2);
    expect(b.requiresGrad).toBe(false);
    expect(x.mul(2).requiresGrad).toBe(true);
    dispose([x, a, b]);
  });

  it('1,000 training steps keep live tensors and device bytes flat', async () => {
    const w = randn([8, 8], { backend, generator: new Generator(1) }).mul(0.1).requiresGrad_();
    const x = randn([4, 8], { backend, generator: new Generator(2) });
    const step = () => {
      tidy(() => {
        const loss = x.mul(w.sum(0)).tanh().square().sum();
        loss.backward();
        const next = noGrad(() => w.sub(w.grad!.mul(0.01)));
        w.grad!.dispose();
        w.grad = null;
        return next;
      }).dispose();
    };
    for (let i = 0; i < 10; i++) step();
    await backend.sync();
    const before = memory();
    for (let i = 0; i < 1000; i++) step();
    await backend.sync();
    const after = memory();
    expect(after.liveTensors).toBe(before.liveTensors);
    expect(after.liveBytes[backend.name]).toBe(before.liveBytes[backend.name]);
    expect(after.poolBytes[backend.name]).toBe(before.poolBytes[backend.name]);
    dispose([w, x]);
  });
});
