// batchNorm, groupNorm, layerNorm and instanceNorm against PyTorch fixtures on every backend, their input
// validation, immutability of running statistics, and fast-check properties (unit statistics, CPU == WebGPU).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type FixtureFile, type FixtureTensor, compare, decode, expectClose, fixtureTensor, testBackends } from '../testing/index.js';
import { F, RadixError, type Tensor, mean, memory, ones, tensor, variance, zeros } from '../index.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/norm.json', import.meta.url), 'utf8')) as FixtureFile;
const backends = await testBackends();
const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;

/** Applies a fixture op; `named` maps the stored input names (x, runningMean, runningVar, weight, bias) to tensors. */
function apply(op: string, a: Record<string, unknown>, named: Record<string, Tensor>): Tensor {
  const { x, runningMean, runningVar, weight, bias } = named;
  const eps = a.eps as number;
  switch (op) {
    case 'batchNorm': return F.batchNorm(x!, runningMean ?? null, runningVar ?? null, weight, bias, { training: a.training as boolean, eps });
    case 'groupNorm': return F.groupNorm(x!, a.numGroups as number, weight, bias, eps);
    case 'layerNorm': return F.layerNorm(x!, a.normalizedShape as number[], weight, bias, eps);
    case 'instanceNorm': return F.instanceNorm(x!, { runningMean, runningVar, weight, bias, useInputStats: a.useInputStats as boolean, eps });
  }
  throw new Error(`unknown fixture op ${op}`);
}

const worst = new Map<string, { cases: number; maxAbs: number; maxRel: number }>();
afterAll(() => {
  console.log([...worst].sort().map(([k, w]) => `${k}: ${w.cases} cases, max abs ${w.maxAbs.toExponential(2)}, max rel ${w.maxRel.toExponential(2)}`).join('\n'));
});

describe.each(backends.map((b) => [b.name, b] as const))('normalization fixtures (%s)', (name, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const before = memory().liveTensors;
    const names = c.args.names as string[];
    const named: Record<string, Tensor> = {};
    names.forEach((n, i) => (named[n] = fixtureTensor(c.inputs[i]!, backend)));
    const out = apply(c.op, c.args, named);
    const exp = c.expected as FixtureTensor;
    expect([...out.shape]).toEqual(exp.shape);
    const r = expectClose(await out.data(), decode(exp.data), { rtol: 1e-4, atol: 1e-5 }, `${c.name} (${name})`);
    const k = `${name} ${c.op}`;
    const w = worst.get(k) ?? { cases: 0, maxAbs: 0, maxRel: 0 };
    worst.set(k, { cases: w.cases + 1, maxAbs: Math.max(w.maxAbs, r.maxAbs), maxRel: Math.max(w.maxRel, r.maxRel) });
    out.dispose();
    for (const t of Object.values(named)) t.dispose();
    expect(memory().liveTensors, 'no leaked intermediates').toBe(before);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('normalization validation (%s)', (_name, backend) => {
  const x = tensor(Float32Array.from({ length: 24 }, (_, i) => Math.sin(i)), { shape: [2, 3, 4], backend });
  const c3 = ones([3], { backend });
  const c4 = ones([4], { backend });

  it('batchNorm checks shapes, running stats and batch size', () => {
    expect(() => F.batchNorm(x, c4, c4)).toThrow(/runningMean must have shape \[3\]/);
    expect(() => F.batchNorm(x, null, null)).toThrow(/required unless training/);
    expect(() => F.batchNorm(x, c3, c3, c4)).toThrow(RadixError);
    expect(() => F.batchNorm(tensor([[1, 2, 3]], { backend }), null, null, null, null, { training: true })).toThrow(/more than 1 value per channel/);
    expect(() => F.batchNorm(tensor([1, 2, 3], { backend }), c3, c3)).toThrow(/at least 2 dims/);
    expect(() => F.batchNorm(x, c3, c3, null, null, { eps: -1 })).toThrow(/eps/);
  });

  it('batchNorm training leaves the running statistics untouched', async () => {
    const rm = zeros([3], { backend });
    const rv = ones([3], { backend });
    const y = F.batchNorm(x, rm, rv, null, null, { training: true, momentum: 0.5 });
    expect(Array.from(await rm.data())).toEqual([0, 0, 0]);
    expect(Array.from(await rv.data())).toEqual([1, 1, 1]);
    // Per channel, the output has zero mean and unit (biased) variance.
    expectClose(await mean(y, [0, 2]).data(), [0, 0, 0], { atol: 1e-5 }, 'bn mean');
    expectClose(await variance(y, [0, 2], { unbiased: false }).data(), [1, 1, 1], { atol: 1e-3 }, 'bn var');
  });

  it('groupNorm, layerNorm and instanceNorm validate their arguments', () => {
    expect(() => F.groupNorm(x, 2)).toThrow(/positive divisor of the 3 channels/);
    expect(() => F.groupNorm(x, 3, c4)).toThrow(/weight must have shape \[3\]/);
    expect(() => F.layerNorm(x, [3])).toThrow(/does not match the trailing dims/);
    expect(() => F.layerNorm(x, [3, 4], c4)).toThrow(/weight must have shape \[3, 4\]/);
    expect(() => F.instanceNorm(tensor([[1, 2]], { backend }))).toThrow(/at least 3 dims/);
    expect(() => F.instanceNorm(tensor([[[1], [2], [3]]], { backend }))).toThrow(/more than 1 spatial element/);
    expect(() => F.instanceNorm(x, { useInputStats: false })).toThrow(/runningMean and runningVar are required/);
    expect(() => F.layerNorm(tensor([1, 2], { backend, dtype: 'int32' }), [2])).toThrow(/float32/);
  });
});

describe('properties (fast-check)', () => {
  const arb = fc
    .tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 1, max: 5 }))
    .chain(([n, g, cpg, h, w]) => {
      const shape = [n, g * cpg, h, w];
      const size = n * g * cpg * h * w;
      return fc.tuple(fc.constant(shape), fc.constant(g), fc.array(fc.float({ min: -20, max: 20, noNaN: true }), { minLength: size, maxLength: size }));
    });

  it.each(backends.map((b) => [b.name, b] as const))('layerNorm rows have mean 0 and variance 1 (%s)', async (_n, backend) => {
    await fc.assert(
      fc.asyncProperty(arb, async ([shape, , xs]) => {
        // Skip near-constant rows: their normalised values are dominated by eps.
        const x = tensor(xs, { shape, backend });
        const v = await variance(x, [2, 3], { unbiased: false }).data();
        const y = F.layerNorm(x, shape.slice(2), null, null, 1e-5);
        const m = await mean(y, [2, 3]).data();
        const s = await variance(y, [2, 3], { unbiased: false }).data();
        for (let i = 0; i < m.length; i++) {
          if (v[i]! < 1e-2) continue;
          expect(Math.abs(m[i]!)).toBeLessThan(1e-4);
          expect(Math.abs(s[i]! - v[i]! / (v[i]! + 1e-5))).toBeLessThan(1e-3);
        }
      }),
      { numRuns: 25 },
    );
  });

  it.skipIf(!gpu)('CPU == WebGPU for every norm on random shapes', async () => {
    await fc.assert(
      fc.asyncProperty(arb, async ([shape, g, xs]) => {
        const run = (backend: typeof cpu) => {
          const x = tensor(xs, { shape, backend });
          const c = shape[1]!;
          const w = tensor(Array.from({ length: c }, (_, i) => 1 + 0.1 * i), { backend });
          const b = tensor(Array.from({ length: c }, (_, i) => 0.5 - 0.2 * i), { backend });
          const n = shape[0]! * shape[2]! * shape[3]!;
          return [
            F.groupNorm(x, g, w, b),
            F.layerNorm(x, shape.slice(1), null, null),
            F.instanceNorm(x, { weight: w, bias: b }),
            ...(n > 1 ? [F.batchNorm(x, null, null, w, b, { training: true })] : []),
          ];
        };
        const a = run(cpu);
        const z = run(gpu!);
        for (let i = 0; i < a.length; i++) {
          // Near-constant groups amplify float32 rounding of (x − mean) by 1/sqrt(var + eps): compare loosely.
          const r = compare(await z[i]!.data(), await a[i]!.data(), { rtol: 1e-3, atol: 1e-3 });
          expect(r.ok, `norm ${i} ${JSON.stringify(shape)}: max abs ${r.maxAbs}`).toBe(true);
        }
      }),
      { numRuns: 20 },
    );
  });
});
