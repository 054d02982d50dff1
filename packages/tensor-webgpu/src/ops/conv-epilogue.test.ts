// convTranspose2d's sub-pixel phase kernels on odd geometries (stride 2/3, padding, output padding, dilation, groups,
// phases no tap reaches), forward and gradients, WebGPU (every kernel variant) against the CPU reference's scatter
// loops; and the fused bias + activation epilogue of conv2d / linear / matmul against the composed ops, values and
// gradients (double backward included), on both backends.
import { describe, expect, it } from 'vitest';
import { compare, testBackends } from '../testing/index.js';
import { F, type Tensor, grad, matmul, mul, nn, noGrad, sum, tensor } from '../index.js';
import type { Backend } from '../backend/backend.js';
import type { Activation } from './fused-activation.js';
import { hashedValues, variantConfigs, withVariant } from './linalg-test-helpers.js';

const backends = await testBackends();
const cpu = backends.find((b) => b.name === 'cpu')!;
const gpu = backends.find((b) => b.name === 'webgpu');
const configs = variantConfigs(backends);
const TOL = { rtol: 1e-4, atol: 1e-5 };
/** Gradients sum many more products (weight gradients over batch × space): absolute error scaled to their size. */
const GRAD_TOL = { rtol: 1e-4, atol: 1e-4 };

const hashed = (shape: number[], seed: number, backend: Backend, requiresGrad = false): Tensor => {
  const t = tensor(hashedValues(shape.reduce((a, b) => a * b, 1), seed), { shape, backend });
  return requiresGrad ? t.requiresGrad_() : t;
};

function expectMatch(got: ArrayLike<number>, want: ArrayLike<number>, tol: { rtol: number; atol: number }, what: string): void {
  const r = compare(got, want, tol);
  expect(r.ok, `${what}: ${JSON.stringify(r).slice(0, 300)}`).toBe(true);
}

type P2 = [number, number];
interface TCase { name: string; n: number; cin: number; cout: number; h: number; w: number; k: P2; s: P2; p: P2; op: P2; d: P2; g: number; bias: boolean }
const T_CASES: TCase[] = [
  { name: 'k4 s2 p1 (the UNet up-conv)', n: 2, cin: 24, cout: 40, h: 5, w: 6, k: [4, 4], s: [2, 2], p: [1, 1], op: [0, 0], d: [1, 1], g: 1, bias: true },
  { name: 'k3 s3 p1, output padding 2', n: 1, cin: 9, cout: 36, h: 4, w: 3, k: [3, 3], s: [3, 3], p: [1, 1], op: [2, 2], d: [1, 1], g: 1, bias: true },
  { name: 'k [3, 5] s [2, 3] p [0, 2], output padding [1, 0]', n: 2, cin: 7, cout: 33, h: 3, w: 5, k: [3, 5], s: [2, 3], p: [0, 2], op: [1, 0], d: [1, 1], g: 1, bias: false },
  { name: 'dilation 2, s2 p2, output padding 1', n: 1, cin: 10, cout: 18, h: 6, w: 4, k: [3, 3], s: [2, 2], p: [2, 2], op: [1, 1], d: [2, 2], g: 1, bias: true },
  { name: 'dilation 3 beyond stride 2 (output padding 2 < dilation)', n: 1, cin: 6, cout: 20, h: 4, w: 5, k: [2, 3], s: [2, 2], p: [1, 0], op: [2, 1], d: [3, 3], g: 1, bias: true },
  { name: 'groups 3, k3 s2 p1 output padding 1', n: 2, cin: 12, cout: 27, h: 5, w: 4, k: [3, 3], s: [2, 2], p: [1, 1], op: [1, 1], d: [1, 1], g: 3, bias: true },
  { name: 'per-sample groups (StyleGAN2 modulated up-conv), groups 4, k3 s2', n: 1, cin: 4 * 8, cout: 4 * 12, h: 4, w: 4, k: [3, 3], s: [2, 2], p: [0, 0], op: [0, 0], d: [1, 1], g: 4, bias: false },
  { name: 'k1 s3: phases no tap reaches hold only the bias', n: 1, cin: 5, cout: 17, h: 3, w: 4, k: [1, 1], s: [3, 3], p: [0, 0], op: [2, 1], d: [1, 1], g: 1, bias: true },
  { name: 'k2 s3 p1, few output channels per group (gather kernel)', n: 2, cin: 6, cout: 4, h: 4, w: 3, k: [2, 2], s: [3, 3], p: [1, 1], op: [0, 2], d: [1, 1], g: 2, bias: true },
];

interface ConvTResult { y: Float32Array; dx: Float32Array; dw: Float32Array; db: Float32Array | null }

async function convT(c: TCase, backend: Backend): Promise<ConvTResult> {
  const x = hashed([c.n, c.cin, c.h, c.w], 11, backend, true);
  const w = hashed([c.cin, c.cout / c.g, c.k[0], c.k[1]], 12, backend, true);
  const b = c.bias ? hashed([c.cout], 13, backend, true) : null;
  const y = F.convTranspose2d(x, w, b, { stride: c.s, padding: c.p, outputPadding: c.op, dilation: c.d, groups: c.g });
  const r = hashed([...y.shape], 14, backend);
  const grads = grad(sum(mul(y, r)), b ? [x, w, b] : [x, w]);
  const out = {
    y: (await y.data()) as Float32Array, dx: (await grads[0]!.data()) as Float32Array, dw: (await grads[1]!.data()) as Float32Array,
    db: b ? ((await grads[2]!.data()) as Float32Array) : null,
  };
  for (const t of [x, w, b, y, r, ...grads]) t?.dispose();
  return out;
}

describe('convTranspose2d phase kernels on odd geometries', () => {
  const refs = new Map<string, ConvTResult>();
  describe.each(T_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it.each(configs.filter((v) => v.backend.name === 'webgpu').map((v) => [v.label, v] as const))('%s matches the CPU scatter reference (value and gradients)', async (_l, v) => {
      if (!refs.has(c.name)) refs.set(c.name, await convT(c, cpu));
      const want = refs.get(c.name)!;
      const got = await withVariant(v.variant, () => convT(c, v.backend));
      expectMatch(got.y, want.y, TOL, 'output');
      expectMatch(got.dx, want.dx, GRAD_TOL, 'input gradient');
      expectMatch(got.dw, want.dw, GRAD_TOL, 'weight gradient');
      if (want.db) expectMatch(got.db!, want.db, GRAD_TOL, 'bias gradient');
    });
  });

  it.skipIf(!gpu)('conv2d input gradients for strides 2 and 3 (the transposed conv) match the CPU on every variant', async () => {
    const shapes = [
      { x: [2, 12, 9, 11], w: [20, 12, 3, 3], o: { stride: 2, padding: 1 } },
      { x: [1, 8, 10, 7], w: [24, 4, 4, 2], o: { stride: [3, 2] as P2, padding: [1, 0] as P2, groups: 2 } },
      { x: [1, 6, 11, 11], w: [9, 6, 3, 3], o: { stride: 3, dilation: 2, padding: 2 } },
    ];
    for (const s of shapes) {
      const run = async (be: Backend) => {
        const x = hashed(s.x, 21, be, true);
        const w = hashed(s.w, 22, be);
        const y = F.conv2d(x, w, null, s.o);
        const [dx] = grad(sum(mul(y, hashed([...y.shape], 23, be))), [x]);
        return (await dx!.data()) as Float32Array;
      };
      const want = await run(cpu);
      for (const v of configs.filter((c) => c.backend.name === 'webgpu')) {
        expectMatch(await withVariant(v.variant, () => run(v.backend)), want, GRAD_TOL, `${JSON.stringify(s)} on ${v.label}`);
      }
    }
  });
});

/** The separate ops the fused epilogue replaces: gain · f(y). */
function composed(y: Tensor, a: Activation): Tensor {
  const spec = typeof a === 'string' ? { kind: a } : a;
  const f = spec.kind === 'relu' ? F.relu(y) : spec.kind === 'silu' ? F.silu(y) : spec.kind === 'leakyRelu' ? F.leakyRelu(y, spec.negativeSlope ?? 0.01)
    : F.gelu(y, { approximate: spec.kind === 'geluTanh' ? 'tanh' : 'none' });
  return spec.gain === undefined || spec.gain === 1 ? f : mul(f, spec.gain);
}

const ACTS: [string, Activation][] = [
  ['relu', 'relu'], ['silu', 'silu'], ['gelu', 'gelu'], ['geluTanh', 'geluTanh'], ['leakyRelu (default slope)', 'leakyRelu'],
  ['leakyRelu 0.2, gain √2 (bias_act)', { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }], ['silu, gain 0.5', { kind: 'silu', gain: 0.5 }],
];

/** Value of `f(inputs)` and the gradients of Σ f·r w.r.t. every input. */
async function valueAndGrads(make: (ins: Tensor[]) => Tensor, ins: Tensor[], backend: Backend): Promise<Float32Array[]> {
  const y = make(ins);
  const r = hashed([...y.shape], 99, backend);
  const gs = grad(sum(mul(y, r)), ins);
  const out = [(await y.data()) as Float32Array];
  for (const g of gs) out.push((await g!.data()) as Float32Array);
  for (const t of [y, r, ...gs]) t?.dispose();
  return out;
}

const EPI_CONFIGS = configs.filter((c) => c.variant !== 'direct-nosg');
const CONV_SHAPES = [
  { name: '3×3 conv', x: [2, 5, 7, 6], w: [12, 5, 3, 3], o: { padding: 1 } },
  { name: 'strided, grouped', x: [1, 6, 9, 8], w: [10, 3, 3, 2], o: { stride: 2, groups: 2, padding: [1, 0] as P2 } },
  { name: 'depthwise (gather kernel)', x: [2, 4, 6, 5], w: [4, 1, 3, 3], o: { groups: 4, padding: 1 } },
  { name: '1×1 (matmul path)', x: [2, 7, 5, 4], w: [9, 7, 1, 1], o: {} },
];

describe.each(EPI_CONFIGS.map((c) => [c.label, c] as const))('fused conv2d / linear epilogue (%s)', (_label, cfg) => {
  const be = cfg.backend;
  const run = <T>(fn: () => Promise<T>) => withVariant(cfg.variant, fn);

  describe.each(ACTS)('%s', (_n, act) => {
    it.each(CONV_SHAPES.map((s) => [s.name, s] as const))('conv2d %s: value and x / w / bias gradients equal the composed ops', async (_s, s) => {
      const ins = [hashed(s.x, 1, be, true), hashed(s.w, 2, be, true), hashed([s.w[0]!], 3, be, true)];
      const fused = await run(() => valueAndGrads(([x, w, b]) => F.conv2d(x!, w!, b, { ...s.o, activation: act }), ins, be));
      const want = await run(() => valueAndGrads(([x, w, b]) => composed(F.conv2d(x!, w!, b, s.o), act), ins, be));
      const noGradValue = await run(async () => (await noGrad(() => F.conv2d(ins[0]!, ins[1]!, ins[2], { ...s.o, activation: act })).data()) as Float32Array);
      expectMatch(fused[0]!, want[0]!, TOL, 'value');
      expectMatch(noGradValue, want[0]!, TOL, 'value without a gradient (no pre-activation stored)');
      for (let i = 1; i < 4; i++) expectMatch(fused[i]!, want[i]!, GRAD_TOL, `gradient ${i - 1}`);
    });

    it('linear (bias and activation in the matmul epilogue): value and gradients equal the composed ops', async () => {
      // Every activation on a small batched shape; two of them also on split-K (K = 1024) and on ≥ 64 rows.
      const more = _n === 'silu' || _n.startsWith('leakyRelu 0.2');
      const shapes = [[[3, 5, 24], [33, 24]], ...(more ? [[[2, 1024], [8, 1024]], [[70, 16], [64, 16]]] : [])] as const;
      for (const [xs, ws] of shapes) {
        const ins = [hashed([...xs], 4, be, true), hashed([...ws], 5, be, true), hashed([ws[0]], 6, be, true)];
        const fused = await run(() => valueAndGrads(([x, w, b]) => F.linear(x!, w!, b, { activation: act }), ins, be));
        const want = await run(() => valueAndGrads(([x, w, b]) => composed(F.linear(x!, w!, b), act), ins, be));
        for (let i = 0; i < 4; i++) expectMatch(fused[i]!, want[i]!, i === 0 ? TOL : GRAD_TOL, `${JSON.stringify(xs)}: ${i === 0 ? 'value' : `gradient ${i - 1}`}`);
      }
    });
  });

  it('matmul with an activation equals the composed ops (value and gradients)', async () => {
    const ins = [hashed([2, 9, 13], 7, be, true), hashed([13, 21], 8, be, true)];
    const act: Activation = { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 };
    const fused = await run(() => valueAndGrads(([a, b]) => matmul(a!, b!, { activation: act }), ins, be));
    const want = await run(() => valueAndGrads(([a, b]) => composed(matmul(a!, b!), act), ins, be));
    for (let i = 0; i < 3; i++) expectMatch(fused[i]!, want[i]!, i === 0 ? TOL : GRAD_TOL, `output ${i}`);
  });

  it('linear with a bias only keeps its values and bias gradient (0-d bias included)', async () => {
    for (const [xs, ws, bs] of [[[4, 6], [5, 6], [5]], [[3, 6], [1, 6], []]] as const) {
      const ins = [hashed([...xs], 9, be, true), hashed([...ws], 10, be, true), hashed([...bs], 11, be, true)];
      const fused = await run(() => valueAndGrads(([x, w, b]) => F.linear(x!, w!, b), ins, be));
      const want = await run(() => valueAndGrads(([x, w, b]) => matmul(x!, w!.t()).add(b!), ins, be));
      for (let i = 0; i < 4; i++) expectMatch(fused[i]!, want[i]!, i === 0 ? TOL : GRAD_TOL, `output ${i}`);
    }
  });

  it.each([
    ['leakyRelu 0.2, gain √2', { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }, false],
    ['silu (second derivative reaches the bias)', 'silu', true],
  ] as [string, Activation, boolean][])('double backward through a fused conv (R1-style penalty, %s) equals the composed ops', async (_n, act, withBias) => {
    const penalty = async (fuse: boolean) => run(async () => {
      const x = hashed([2, 3, 6, 6], 31, be, true);
      const w1 = hashed([8, 3, 3, 3], 32, be, true);
      const b1 = hashed([8], 33, be, true);
      const w2 = hashed([1, 8, 3, 3], 34, be, true);
      const h = fuse ? F.conv2d(x, w1, b1, { padding: 1, activation: act }) : composed(F.conv2d(x, w1, b1, { padding: 1 }), act);
      const [gx] = grad(sum(F.conv2d(h, w2, null, { stride: 2 })), [x], { createGraph: true });
      const gs = grad(sum(mul(gx!, gx!)), withBias ? [w1, b1, w2] : [w1, w2]);
      return Promise.all(gs.map(async (g) => (await g!.data()) as Float32Array));
    });
    const [fused, want] = [await penalty(true), await penalty(false)];
    expect(fused.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expectMatch(fused[i]!, want[i]!, GRAD_TOL, `second-order gradient ${i}`);
  });

  it('nn.Conv2d and nn.Linear take an activation option', async () => {
    const conv = new nn.Conv2d(3, 6, 3, { padding: 1, activation: 'silu', backend: be });
    const fc = new nn.Linear(6, 4, { activation: { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }, backend: be });
    const x = hashed([1, 3, 5, 5], 41, be);
    await run(async () => {
      const y = conv.call(x);
      expectMatch((await y.data()) as Float32Array, (await F.silu(F.conv2d(x, conv.weight, conv.bias, { padding: 1 })).data()) as Float32Array, TOL, 'Conv2d');
      const v = hashed([2, 6], 42, be);
      const want = mul(F.leakyRelu(F.linear(v, fc.weight, fc.bias), 0.2), Math.SQRT2);
      expectMatch((await fc.call(v).data()) as Float32Array, (await want.data()) as Float32Array, TOL, 'Linear');
    });
    expect(conv.toString()).toContain('activation=silu');
  });

  it('rejects an unknown activation or a misplaced slope', () => {
    const x = hashed([1, 2, 4, 4], 1, be);
    const w = hashed([3, 2, 3, 3], 2, be);
    expect(() => F.conv2d(x, w, null, { activation: 'tanh' as never })).toThrow(/conv2d: activation must be one of 'relu', 'silu'/);
    expect(() => F.linear(hashed([2, 3], 1, be), hashed([4, 3], 2, be), null, { activation: { kind: 'silu', negativeSlope: 0.2 } })).toThrow(/negativeSlope only applies to 'leakyRelu'/);
    expect(() => new nn.Linear(3, 4, { activation: { kind: 'relu', gain: Number.NaN } })).toThrow(/gain must be a finite number/);
  });
});
