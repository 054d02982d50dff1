// gridSample / affineGrid tests: PyTorch fixtures (every mode × padding × alignCorners, far-outside points, exact
// half-way ties), validation, the identity-warp property and CPU-vs-WebGPU agreement on random shapes.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decode, expectClose, fixtureTensor, testBackends, type FixtureCase, type FixtureFile } from '../testing/index.js';
import { RadixError, affineGrid, gridSample, tensor, type GridSampleOptions, type Tensor } from '../index.js';
import type { Backend } from '../backend/backend.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/grid-sample.json', import.meta.url), 'utf8')) as FixtureFile;
const TOL = { rtol: 1e-4, atol: 1e-5 };
const backends = await testBackends();
const worst = new Map<string, { abs: number; rel: number; n: number }>();

function note(key: string, abs: number, rel: number): void {
  const w = worst.get(key) ?? { abs: 0, rel: 0, n: 0 };
  worst.set(key, { abs: Math.max(w.abs, abs), rel: Math.max(w.rel, rel), n: w.n + 1 });
}

function rand(shape: number[], seed: number, backend: Backend, lo = -2, hi = 2): Tensor {
  let s = seed >>> 0 || 1;
  const n = shape.reduce((p, d) => p * d, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = lo + (s / 2 ** 32) * (hi - lo);
  }
  return tensor(v, { shape, backend });
}

function runCase(c: FixtureCase, backend: Backend): Tensor {
  const a = c.args as Record<string, never>;
  const ins = c.inputs.map((t) => fixtureTensor(t, backend));
  let y: Tensor;
  if (c.op === 'gridSample') y = gridSample(ins[0]!, ins[1]!, a as GridSampleOptions);
  else if (c.op === 'affineGrid') y = affineGrid(ins[0]!, a.size, a.alignCorners);
  else {
    const grid = affineGrid(ins[1]!, a.size, a.alignCorners);
    y = gridSample(ins[0]!, grid, a as GridSampleOptions);
    grid.dispose();
  }
  for (const t of ins) t.dispose();
  return y;
}

afterAll(() => {
  for (const [k, w] of worst) console.log(`[grid-sample] ${k}: ${w.n} cases, max abs ${w.abs.toExponential(2)}, max rel ${w.rel.toExponential(2)}`);
});

describe.each(backends.map((b) => [b.name, b] as const))('gridSample %s', (name, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('matches torch: %s', async (_n, c) => {
    const y = runCase(c, backend);
    const exp = c.expected as { shape: number[]; data: (number | string)[] };
    expect(y.shape).toEqual(exp.shape);
    const r = expectClose(await y.data(), decode(exp.data), c.tol ?? TOL, `${name} ${c.name}`);
    const key = c.op === 'gridSample' ? `gridSample ${(c.args as GridSampleOptions).mode}` : c.op;
    note(`${name} ${key}`, r.maxAbs, r.maxRel);
    y.dispose();
  });

  it('refuses bad arguments synchronously with the op name', () => {
    const x = rand([2, 3, 4, 5], 1, backend);
    const g = rand([2, 3, 3, 2], 2, backend);
    expect(() => gridSample(x, rand([1, 3, 3, 2], 3, backend))).toThrow(/gridSample: grid batch 1 differs/);
    expect(() => gridSample(x, rand([2, 3, 3, 3], 3, backend))).toThrow(/grid must have shape \(N, OH, OW, 2\)/);
    expect(() => gridSample(rand([2, 3, 4], 1, backend), g)).toThrow(/4-D/);
    expect(() => gridSample(x, g, { mode: 'area' as never })).toThrow(/unknown mode/);
    expect(() => gridSample(x, g, { paddingMode: 'wrap' as never })).toThrow(RadixError);
    expect(() => gridSample(rand([2, 3, 0, 5], 1, backend), g)).toThrow(/non-empty spatial/);
    expect(() => affineGrid(rand([2, 3, 3], 1, backend), [2, 1, 4, 4])).toThrow(/affineGrid: expects theta of shape \(N, 2, 3\)/);
    expect(() => affineGrid(rand([2, 2, 3], 1, backend), [3, 1, 4, 4])).toThrow(/differs from size\[0\]/);
    expect(() => affineGrid(rand([2, 2, 3], 1, backend), [2, 1, 4, 4, 4])).toThrow(/2-D grids only/);
    x.dispose();
    g.dispose();
  });

  it('property: the identity affine grid with alignCorners samples the input back (bilinear, bicubic and nearest)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 11 }), fc.integer({ min: 1, max: 13 }), fc.integer(),
        fc.constantFrom<GridSampleOptions['paddingMode']>('zeros', 'border', 'reflection'),
        async (n, c, h, w, seed, paddingMode) => {
          const x = rand([n, c, h, w], seed, backend);
          const theta = tensor(Array.from({ length: n }, () => [[1, 0, 0], [0, 1, 0]]), { backend });
          const grid = affineGrid(theta, [n, c, h, w], true);
          const xd = await x.data();
          for (const mode of ['bilinear', 'bicubic', 'nearest'] as const) {
            expectClose(await gridSample(x, grid, { mode, paddingMode, alignCorners: true }).data(), xd, { rtol: 1e-4, atol: 2e-5 }, `identity ${mode}`);
          }
        }),
      { numRuns: 20 },
    );
  });
});

const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;
describe.skipIf(!gpu)('gridSample cpu vs webgpu', () => {
  it('agree on random shapes, grids (also far outside [-1, 1]) and options', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), c: fc.integer({ min: 1, max: 5 }),
          h: fc.integer({ min: 1, max: 17 }), w: fc.integer({ min: 1, max: 19 }),
          oh: fc.integer({ min: 1, max: 13 }), ow: fc.integer({ min: 1, max: 23 }),
          range: fc.constantFrom(1, 1.5, 6),
          mode: fc.constantFrom<GridSampleOptions['mode']>('bilinear', 'nearest', 'bicubic'),
          paddingMode: fc.constantFrom<GridSampleOptions['paddingMode']>('zeros', 'border', 'reflection'),
          alignCorners: fc.boolean(), seed: fc.integer(),
        }),
        async (a) => {
          const run = async (b: Backend) => {
            const x = rand([a.n, a.c, a.h, a.w], a.seed, b);
            const g = rand([a.n, a.oh, a.ow, 2], a.seed ^ 0x5bd1e995, b, -a.range, a.range);
            return gridSample(x, g, a).data();
          };
          expectClose(await run(gpu!), await run(cpu), TOL, JSON.stringify(a));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('agree on affine grids of random sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 21 }), fc.integer({ min: 1, max: 19 }), fc.boolean(), fc.integer(),
        async (n, h, w, align, seed) => {
          const run = async (b: Backend) => affineGrid(rand([n, 2, 3], seed, b), [n, 1, h, w], align).data();
          expectClose(await run(gpu!), await run(cpu), TOL, `affine ${n} ${h} ${w} ${align}`);
        }),
      { numRuns: 20 },
    );
  });
});
