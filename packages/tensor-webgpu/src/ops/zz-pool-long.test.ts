// Pooling tests: PyTorch fixtures on every backend, input validation, fast-check properties and CPU-vs-WebGPU agreement.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, expectClose, fixtureTensor, testBackends, type FixtureCase, type FixtureFile } from '../testing/index.js';
import { RadixError, adaptiveAvgPool2d, avgPool2d, maxPool2d, tensor, type Tensor } from '../index.js';
import type { Backend } from '../backend/backend.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/pool.json', import.meta.url), 'utf8')) as FixtureFile;
const TOL = { rtol: 1e-4, atol: 1e-5 };
const backends = await testBackends();
const worst = new Map<string, { abs: number; rel: number; n: number }>();

function note(key: string, abs: number, rel: number): void {
  const w = worst.get(key) ?? { abs: 0, rel: 0, n: 0 };
  worst.set(key, { abs: Math.max(w.abs, abs), rel: Math.max(w.rel, rel), n: w.n + 1 });
}

function runCase(c: FixtureCase, x: Tensor): Tensor {
  const a = c.args as Record<string, never>;
  if (c.op === 'avgPool2d') return avgPool2d(x, a.kernelSize, a);
  if (c.op === 'maxPool2d') return maxPool2d(x, a.kernelSize, a);
  return adaptiveAvgPool2d(x, a.outputSize);
}

function rand(shape: number[], seed: number, backend: Backend): Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((p, d) => p * d, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32) * 4 - 2;
  }
  return tensor(v, { shape, backend });
}

afterAll(() => {
  for (const [k, w] of worst) console.log(`[pool] ${k}: ${w.n} cases, max abs ${w.abs.toExponential(2)}, max rel ${w.rel.toExponential(2)}`);
});

describe.each(backends.map((b) => [b.name, b] as const))('pool %s', (name, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('matches torch: %s', async (_n, c) => {
    const x = fixtureTensor(c.inputs[0]!, backend);
    const y = runCase(c, x);
    const exp = c.expected as { shape: number[]; data: (number | string)[] };
    expect(y.shape).toEqual(exp.shape);
    const r = expectClose(await y.data(), decode(exp.data), c.tol ?? TOL, `${name} ${c.name}`);
    note(`${name} ${c.op}`, r.maxAbs, r.maxRel);
    x.dispose();
    y.dispose();
  });

  it('refuses bad arguments synchronously with the op name', () => {
    const x = rand([1, 2, 5, 5], 1, backend);
    expect(() => maxPool2d(x, 3, { padding: 2 })).toThrow(/maxPool2d: padding should be at most half/);
    expect(() => avgPool2d(x, 2, { padding: 2 })).toThrow(RadixError);
    expect(() => maxPool2d(x, 7)).toThrow(/too small/);
    expect(() => maxPool2d(x, 3, { dilation: 3 })).toThrow(/too small/);
    expect(() => avgPool2d(x, 0)).toThrow(/kernelSize must be integers >= 1/);
    expect(() => avgPool2d(x, 2, { stride: 0 })).toThrow(/stride/);
    expect(() => avgPool2d(x, 2, { divisorOverride: 0 })).toThrow(/divisorOverride/);
    expect(() => avgPool2d(x, [2, 2, 2])).toThrow(/pair/);
    expect(() => maxPool2d(rand([5, 5], 1, backend), 2)).toThrow(/3-D \(C, H, W\) or 4-D/);
    expect(() => maxPool2d(tensor([[[[1, 2], [3, 4]]]], { backend, dtype: 'int32' }), 2)).toThrow(/float32/);
    expect(() => adaptiveAvgPool2d(x, [2, -1])).toThrow(/adaptiveAvgPool2d/);
    expect(() => adaptiveAvgPool2d(x, [2, 1.5])).toThrow(/non-negative integers/);
    x.dispose();
  });

  it('keeps unbatched CHW input unbatched and handles an empty batch', async () => {
    const x = rand([3, 6, 4], 2, backend);
    expect(maxPool2d(x, 2).shape).toEqual([3, 3, 2]);
    expect(adaptiveAvgPool2d(x, [2, null]).shape).toEqual([3, 2, 4]);
    const e = avgPool2d(rand([0, 2, 4, 4], 3, backend), 2);
    expect(e.shape).toEqual([0, 2, 2, 2]);
    expect((await e.data()).length).toBe(0);
  });

  it('properties: 1×1 max pool and full-size adaptive pool are the identity; avg of a constant is the constant', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 3 }), fc.integer(), fc.boolean(),
        async (h, w, c, seed, ceilMode) => {
          const x = rand([2, c, h, w], seed, backend);
          const xd = await x.data();
          expect(Array.from(await maxPool2d(x, 1, { stride: 1 }).data())).toEqual(Array.from(xd));
          expectClose(await adaptiveAvgPool2d(x, [h, w]).data(), xd, TOL, 'adaptive identity');
          const k = Math.min(h, w, 3);
          const cst = tensor(new Float32Array(2 * c * h * w).fill(1.25), { shape: [2, c, h, w], backend });
          const pad = Math.floor(k / 2);
          const y = await avgPool2d(cst, k, { stride: 1 + (seed & 1), padding: pad, ceilMode, countIncludePad: false }).data();
          expectClose(y, new Float32Array(y.length).fill(1.25), TOL, 'avg of constant');
        }),
      { numRuns: 15 },
    );
  });
});

const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;
describe.skipIf(!gpu)('pool cpu vs webgpu', () => {
  it('agree on random shapes, windows and options', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 5 }),
          h: fc.integer({ min: 7, max: 19 }), w: fc.integer({ min: 7, max: 21 }),
          kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
          sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
          dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }),
          pad: fc.boolean(), ceilMode: fc.boolean(), cip: fc.boolean(), seed: fc.integer(),
          oh: fc.integer({ min: 1, max: 12 }), ow: fc.integer({ min: 1, max: 12 }),
        }),
        async (a) => {
          const shape = [a.n, a.c, a.h, a.w];
          const padding = a.pad ? [Math.floor(a.kh / 2), Math.floor(a.kw / 2)] : 0;
          const run = async (b: Backend) => {
            const x = rand(shape, a.seed, b);
            const mx = maxPool2d(x, [a.kh, a.kw], { stride: [a.sh, a.sw], padding, dilation: [a.dh, a.dw], ceilMode: a.ceilMode });
            const av = avgPool2d(x, [a.kh, a.kw], { stride: [a.sh, a.sw], padding, ceilMode: a.ceilMode, countIncludePad: a.cip });
            const ad = adaptiveAvgPool2d(x, [a.oh, a.ow]);
            return [await mx.data(), await av.data(), await ad.data()];
          };
          const [c0, g0] = [await run(cpu), await run(gpu!)];
          for (let i = 0; i < 3; i++) expectClose(g0[i]!, c0[i]!, TOL, `op ${i} ${JSON.stringify(a)}`);
        },
      ),
      { numRuns: 300 },
    );
  });
});
