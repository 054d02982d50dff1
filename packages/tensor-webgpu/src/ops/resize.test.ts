// interpolate tests: PyTorch fixtures for every mode on every backend, validation, properties and CPU-vs-WebGPU agreement.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, expectClose, fixtureTensor, testBackends, type FixtureFile } from '../testing/index.js';
import { RadixError, interpolate, tensor, type InterpolateOptions, type Tensor } from '../index.js';
import type { Backend } from '../backend/backend.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/resize.json', import.meta.url), 'utf8')) as FixtureFile;
const TOL = { rtol: 1e-4, atol: 1e-5 };
const backends = await testBackends();
const worst = new Map<string, { abs: number; rel: number; n: number }>();

function note(key: string, abs: number, rel: number): void {
  const w = worst.get(key) ?? { abs: 0, rel: 0, n: 0 };
  worst.set(key, { abs: Math.max(w.abs, abs), rel: Math.max(w.rel, rel), n: w.n + 1 });
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

/** Fixture args use null for torch's None; drop those keys. */
function opts(args: Record<string, unknown>): InterpolateOptions {
  return Object.fromEntries(Object.entries(args).filter(([, v]) => v !== null)) as InterpolateOptions;
}

afterAll(() => {
  for (const [k, w] of worst) console.log(`[resize] ${k}: ${w.n} cases, max abs ${w.abs.toExponential(2)}, max rel ${w.rel.toExponential(2)}`);
});

describe.each(backends.map((b) => [b.name, b] as const))('interpolate %s', (name, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('matches torch: %s', async (_n, c) => {
    const x = fixtureTensor(c.inputs[0]!, backend);
    const o = opts(c.args);
    const y = interpolate(x, o);
    const exp = c.expected as { shape: number[]; data: (number | string)[] };
    expect(y.shape).toEqual(exp.shape);
    const r = expectClose(await y.data(), decode(exp.data), c.tol ?? TOL, `${name} ${c.name}`);
    note(`${name} ${o.mode ?? 'nearest'}${o.antialias ? '+antialias' : ''}`, r.maxAbs, r.maxRel);
    x.dispose();
    y.dispose();
  });

  it('refuses bad arguments synchronously with the op name', () => {
    const x = rand([1, 2, 4, 5], 1, backend);
    expect(() => interpolate(x, { size: 3, mode: 'nearest', alignCorners: false })).toThrow(/interpolate: alignCorners can only be set/);
    expect(() => interpolate(x, { size: 3, mode: 'area', alignCorners: true })).toThrow(RadixError);
    expect(() => interpolate(x, { size: 3, scaleFactor: 2 })).toThrow(/only one of size and scaleFactor/);
    expect(() => interpolate(x, {})).toThrow(/either size or scaleFactor/);
    expect(() => interpolate(x, { size: 3, recomputeScaleFactor: true })).toThrow(/recomputeScaleFactor/);
    expect(() => interpolate(x, { size: [3, 4, 5] })).toThrow(/one entry per spatial dim/);
    expect(() => interpolate(x, { size: [0, 4] })).toThrow(/greater than 0/);
    expect(() => interpolate(x, { scaleFactor: 0.1 })).toThrow(/greater than 0/);
    expect(() => interpolate(x, { scaleFactor: -2 })).toThrow(/positive/);
    expect(() => interpolate(x, { size: 3, mode: 'nearest', antialias: true })).toThrow(/antialias/);
    expect(() => interpolate(x, { size: 3, mode: 'trilinear' as never })).toThrow(/unknown mode/);
    expect(() => interpolate(rand([1, 2, 5], 1, backend), { size: 3, mode: 'bilinear' })).toThrow(/needs 4-D/);
    expect(() => interpolate(rand([2, 5], 1, backend), { size: 3 })).toThrow(/3-D \(N, C, L\) and 4-D/);
    x.dispose();
  });

  it('properties: same-size resizes are the identity; align-corners upsampling keeps the corners', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }), fc.integer(), fc.constantFrom('nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'),
        async (h, w, seed, mode) => {
          const x = rand([1, 2, h, w], seed, backend);
          const xd = await x.data();
          expectClose(await interpolate(x, { size: [h, w], mode: mode as InterpolateOptions['mode'] }).data(), xd, TOL, `${mode} identity`);
          if (mode === 'bilinear' || mode === 'bicubic') {
            const y = interpolate(x, { size: [2 * h + 1, 3 * w], mode, alignCorners: true });
            const yd = await y.data();
            const W = 3 * w;
            const H = 2 * h + 1;
            for (const [oy, ox, iy, ix] of [[0, 0, 0, 0], [H - 1, W - 1, h - 1, w - 1], [0, W - 1, 0, w - 1]] as const) {
              expect(Math.abs(yd[oy * W + ox]! - xd[iy * w + ix]!)).toBeLessThan(1e-5);
            }
          }
        }),
      { numRuns: 20 },
    );
  });
});

const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;
describe.skipIf(!gpu)('interpolate cpu vs webgpu', () => {
  it('agree on random shapes, sizes and modes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 23 }), w: fc.integer({ min: 1, max: 29 }),
          oh: fc.integer({ min: 1, max: 37 }), ow: fc.integer({ min: 1, max: 41 }),
          mode: fc.constantFrom('nearest', 'nearest-exact', 'bilinear', 'bicubic', 'area'),
          align: fc.boolean(), antialias: fc.boolean(), seed: fc.integer(),
        }),
        async (a) => {
          const interp = a.mode === 'bilinear' || a.mode === 'bicubic';
          const o: InterpolateOptions = {
            size: [a.oh, a.ow], mode: a.mode as InterpolateOptions['mode'],
            ...(interp ? { alignCorners: a.align, antialias: a.antialias } : {}),
          };
          const run = async (b: Backend) => interpolate(rand([a.n, a.c, a.h, a.w], a.seed, b), o).data();
          expectClose(await run(gpu!), await run(cpu), TOL, JSON.stringify(a));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('agree past 65535 workgroups (2-D grid folding)', async () => {
    // 4100² outputs need more than 65535 × 256 invocations, so the dispatch folds into a second grid dimension.
    const run = async (b: Backend) => interpolate(rand([1, 1, 64, 64], 9, b), { size: [4100, 4100], mode: 'bilinear' }).data();
    const [g, c] = [await run(gpu!), await run(cpu)];
    expectClose(g.subarray(16_700_000), c.subarray(16_700_000), TOL, 'folded tail');
    expectClose(g, c, TOL, 'all');
  });

  it('agree on a large antialiased downscale (two-pass path on the GPU)', async () => {
    const run = async (b: Backend) => interpolate(rand([1, 2, 67, 90], 7, b), { size: [5, 6], mode: 'bicubic', antialias: true }).data();
    expectClose(await run(gpu!), await run(cpu), TOL, 'aa 67x90 -> 5x6');
  });
});
