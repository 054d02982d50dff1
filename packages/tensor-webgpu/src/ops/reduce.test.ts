// Reductions, cumsum, logsumexp and softmax against PyTorch fixtures on every backend, plus edge cases,
// multi-pass sizes and fast-check properties (sum linearity, CPU == WebGPU, softmax rows sum to 1).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../backend/backend.js';
import { type FixtureCase, type FixtureFile, type FixtureTensor, compare, decode, expectClose, fixtureTensor, testBackends } from '../testing/index.js';
import {
  RadixError, type Tensor, amax, amin, argmax, argmin, cumsum, logSoftmax, logsumexp, mean, memory, prod, softmax, std, sum, tensor,
  variance,
} from '../index.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/reduce.json', import.meta.url), 'utf8')) as FixtureFile;
const backends = await testBackends();
const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;

type Args = Record<string, unknown>;
const dimArg = (a: Args) => (a.dim === null ? undefined : (a.dim as number | number[]));

/** Applies a fixture op to its input. */
function apply(op: string, a: Args, x: Tensor): Tensor {
  const keep = (a.keepdim as boolean | undefined) ?? false;
  switch (op) {
    case 'sum': return sum(x, dimArg(a), keep);
    case 'mean': return mean(x, dimArg(a), keep);
    case 'prod': return prod(x, dimArg(a), keep);
    case 'amax': return amax(x, dimArg(a), keep);
    case 'amin': return amin(x, dimArg(a), keep);
    case 'argmax': return argmax(x, dimArg(a) as number | undefined, keep);
    case 'argmin': return argmin(x, dimArg(a) as number | undefined, keep);
    case 'var': return variance(x, dimArg(a), { unbiased: a.unbiased as boolean | undefined, correction: a.correction as number | undefined, keepdim: keep });
    case 'std': return std(x, dimArg(a), { unbiased: a.unbiased as boolean | undefined, correction: a.correction as number | undefined, keepdim: keep });
    case 'cumsum': return cumsum(x, a.dim as number);
    case 'logsumexp': return logsumexp(x, a.dim as number | number[], keep);
    case 'softmax': return softmax(x, a.dim as number);
    case 'logSoftmax': return logSoftmax(x, a.dim as number);
  }
  throw new Error(`unknown fixture op ${op}`);
}

/** Worst errors per backend and op, printed after the suite (the numbers reported for this family). */
const worst = new Map<string, { cases: number; maxAbs: number; maxRel: number }>();
function record(backend: string, op: string, r: { maxAbs: number; maxRel: number }): void {
  const k = `${backend} ${op}`;
  const w = worst.get(k) ?? { cases: 0, maxAbs: 0, maxRel: 0 };
  worst.set(k, { cases: w.cases + 1, maxAbs: Math.max(w.maxAbs, r.maxAbs), maxRel: Math.max(w.maxRel, r.maxRel) });
}
afterAll(() => {
  console.log([...worst].sort().map(([k, w]) => `${k}: ${w.cases} cases, max abs ${w.maxAbs.toExponential(2)}, max rel ${w.maxRel.toExponential(2)}`).join('\n'));
});

async function check(backend: Backend, c: FixtureCase, op: string, args: Args, out: Tensor, exp: FixtureTensor): Promise<void> {
  expect([...out.shape], `${c.name}: shape`).toEqual(exp.shape);
  expect(out.dtype, `${c.name}: dtype`).toBe(exp.dtype);
  const tol = exp.dtype === 'float32' ? { rtol: c.tol?.rtol ?? 1e-4, atol: c.tol?.atol ?? 1e-5 } : { rtol: 0, atol: 0 };
  record(backend.name, op, expectClose(await out.data(), decode(exp.data), tol, `${c.name} ${op} ${JSON.stringify(args)} (${backend.name})`));
}

describe.each(backends.map((b) => [b.name, b] as const))('reduce fixtures (%s)', (_name, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const before = memory().liveTensors;
    const x = fixtureTensor(c.inputs[0]!, backend);
    if (c.op === 'multi') {
      const ops = c.args.ops as { op: string; args: Args }[];
      for (const [i, o] of ops.entries()) {
        const out = apply(o.op, o.args, x);
        await check(backend, c, o.op, o.args, out, (c.expected as FixtureTensor[])[i]!);
        out.dispose();
      }
    } else {
      const out = apply(c.op, c.args, x);
      await check(backend, c, c.op, c.args, out, c.expected as FixtureTensor);
      out.dispose();
    }
    x.dispose();
    expect(memory().liveTensors, 'no leaked intermediates').toBe(before);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('reduce edge cases (%s)', (_name, backend) => {
  const t = (data: number[] | number[][], dtype: 'float32' | 'int32' | 'bool' = 'float32') => tensor(data, { backend, dtype });

  it('empty reductions: sum 0, prod 1, mean NaN, amax/argmax refuse', async () => {
    const e = tensor(new Float32Array(0), { shape: [0, 3], backend });
    expect(Array.from(await sum(e, 0).data())).toEqual([0, 0, 0]);
    expect(Array.from(await prod(e, 0).data())).toEqual([1, 1, 1]);
    expect(Array.from(await mean(e, 0).data()).every(Number.isNaN)).toBe(true);
    expect([...amax(e, 1).shape]).toEqual([0]);
    expect(() => amax(e, 0)).toThrow(RadixError);
    expect(() => amin(e)).toThrow(/amin/);
    expect(() => argmax(e)).toThrow(RadixError);
    expect(await logsumexp(e, 0).data()).toEqual(new Float32Array([-Infinity, -Infinity, -Infinity]));
    expect([...softmax(e, 0).shape]).toEqual([0, 3]);
  });

  it('0-d tensors and keepdim shapes', async () => {
    const s = tensor(3, { backend });
    expect(await sum(s).item()).toBe(3);
    expect([...sum(s, 0, true).shape]).toEqual([]);
    expect(await argmax(s).item()).toBe(0);
    expect(await cumsum(s, 0).item()).toBe(3);
    expect(await softmax(s, 0).item()).toBe(1);
    const x = t([[1, 9, 3], [4, 2, 9]]);
    expect([...argmax(x, undefined, true).shape]).toEqual([1, 1]);
    expect(await argmax(x).item()).toBe(1);
    expect([...sum(x, [], false).shape]).toEqual([]);
    expect([...amax(x, [0, 1], true).shape]).toEqual([1, 1]);
  });

  it('dtypes: int sums stay int32, bool sums count, int mean refuses', async () => {
    const i = t([[1, 2], [3, 4]], 'int32');
    const s = sum(i, 1);
    expect(s.dtype).toBe('int32');
    expect(Array.from(await s.data())).toEqual([3, 7]);
    const b = t([1, 0, 1, 1], 'bool');
    expect(await sum(b).item()).toBe(3);
    expect(sum(b).dtype).toBe('int32');
    expect(Array.from(await cumsum(b, 0).data())).toEqual([1, 1, 2, 3]);
    expect(await amax(b).item()).toBe(1);
    expect(() => mean(i)).toThrow(/mean.*float32/);
    expect(() => variance(i)).toThrow(RadixError);
    expect(await logsumexp(i, 1).data()).toEqual(await logsumexp(i.to('float32'), 1).data());
  });

  it('validates dims', () => {
    const x = t([[1, 2], [3, 4]]);
    expect(() => sum(x, 2)).toThrow(/dim 2 is out of range/);
    expect(() => sum(x, [0, -2])).toThrow(/repeat/);
    expect(() => cumsum(x, -3)).toThrow(RadixError);
    expect(() => softmax(x, 5)).toThrow(/softmax/);
    expect(() => variance(x, 0, { correction: -1 })).toThrow(/correction/);
  });

  it('logsumexp and softmax stay finite for huge inputs; all -inf rows give -inf', async () => {
    const x = t([[1e4, 1e4 - 1, -1e4], [-Infinity, -Infinity, -Infinity]]);
    const l = await logsumexp(x, 1).data();
    expect(l[0]).toBeCloseTo(1e4 + Math.log(1 + Math.exp(-1)), 2);
    expect(l[1]).toBe(-Infinity);
    const s = await softmax(t([[1e4, 1e4, -1e4]]), 1).data();
    expectClose(s, [0.5, 0.5, 0], {}, 'softmax 1e4');
    const ls = await logSoftmax(t([[1e4, 0]]), 1).data();
    expectClose(ls, [0, -1e4], {}, 'logSoftmax 1e4');
  });

  it('argmax/argmin across chunks: first index on ties, NaN wins', async () => {
    const data = new Float32Array(10000);
    data[7000] = 5;
    data[3000] = 5;
    data[9000] = -2;
    data[4100] = -2;
    expect(await argmax(tensor(data, { backend })).item()).toBe(3000);
    expect(await argmin(tensor(data, { backend })).item()).toBe(4100);
    data[8500] = NaN;
    expect(await argmax(tensor(data, { backend })).item()).toBe(8500);
    expect(await argmin(tensor(data, { backend })).item()).toBe(8500);
    const ints = tensor(Int32Array.from({ length: 5000 }, (_, i) => (i % 1000 === 999 ? 7 : i % 3)), { shape: [2, 2500], backend });
    expect(Array.from(await argmax(ints, 1).data())).toEqual([999, 499]);
  });

  it('long rows: NaN propagates through amax/amin, prod and int32 sums match the CPU reference', async () => {
    // Rows ≥ 128 take the row kernels (a subgroup butterfly on software adapters, a workgroup tree elsewhere).
    const n = 3 * 4099;
    const data = Float32Array.from({ length: n }, (_, i) => 1 + Math.sin(i * 0.3) * 1e-3);
    data[4099 + 3001] = NaN;
    const x = tensor(data, { shape: [3, 4099], backend });
    const xc = tensor(data, { shape: [3, 4099], backend: cpu });
    for (const f of [amax, amin, prod, sum]) {
      const got = Array.from(await f(x, 1).data());
      const want = Array.from(await f(xc, 1).data());
      expect(Number.isNaN(got[1]!)).toBe(true);
      expectClose([got[0]!, got[2]!], [want[0]!, want[2]!], { rtol: 1e-5, atol: 1e-5 }, f.name);
    }
    const ints = Int32Array.from({ length: 2 * 3000 }, (_, i) => (i % 7) - 3);
    expect(Array.from(await sum(tensor(ints, { shape: [2, 3000], backend }), 1).data()))
      .toEqual(Array.from(await sum(tensor(ints, { shape: [2, 3000], backend: cpu }), 1).data()));
  });

  it('multi-pass sizes agree with the CPU reference', async () => {
    // 70 001 along a row (several row-kernel passes), 3×2053 rows, a 1500×37 column reduction, a 9000-long cumsum.
    const cases: [number[], number | number[] | undefined][] = [[[70001], undefined], [[3, 2053], 1], [[1500, 37], 0], [[4, 33, 129], [0, 2]]];
    for (const [shape, dim] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.7) * 2 + 0.25);
      const x = tensor(data, { shape, backend });
      const xc = tensor(data, { shape, backend: cpu });
      for (const f of [sum, amax, amin, mean]) {
        expectClose(await f(x, dim).data(), await f(xc, dim).data(), { rtol: 1e-5, atol: 1e-5 }, `${f.name} ${shape}`);
      }
      expect(Array.from(await argmin(x, typeof dim === 'number' ? dim : undefined).data())).toEqual(Array.from(await argmin(xc, typeof dim === 'number' ? dim : undefined).data()));
      expectClose(await variance(x, dim).data(), await variance(xc, dim).data(), { rtol: 1e-4 }, `var ${shape}`);
    }
    const data = Float32Array.from({ length: 9000 }, (_, i) => Math.cos(i * 1.3) + 0.01);
    // cumsum of 9000: the blocked GPU scan chains at most ~32 + 32 + 9 additions per output.
    expectClose(await cumsum(tensor(data, { backend }), 0).data(), await cumsum(tensor(data, { backend: cpu }), 0).data(), { rtol: 1e-4, atol: 1e-4 }, 'cumsum 9000');
  });
});

it.skipIf(!gpu)('row kernels fold past 65 535 workgroups (2-D grid)', async () => {
  // 65 600 rows of 128: one workgroup per row, so the dispatch must fold into a second grid dimension.
  const [rows, len] = [65600, 128];
  const data = new Float32Array(rows * len).fill(1);
  for (let r = 0; r < rows; r++) data[r * len + (r % len)] = 2;
  const x = tensor(data, { shape: [rows, len], backend: gpu! });
  const s = await sum(x, 1).data();
  const a = await argmax(x, 1).data();
  x.dispose();
  let bad = 0;
  for (let r = 0; r < rows; r++) if (s[r] !== len + 1 || a[r] !== r % len) bad++;
  expect(bad).toBe(0);
});

describe('properties (fast-check)', () => {
  const shapeAndDim = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }).chain((shape) =>
    fc.tuple(fc.constant(shape), fc.integer({ min: -shape.length, max: shape.length - 1 }), fc.boolean()),
  );
  const values = (n: number, r = 4) => fc.array(fc.float({ min: -r, max: r, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

  it.each(backends.map((b) => [b.name, b] as const))('sum is linear (%s)', async (_n, backend) => {
    await fc.assert(
      fc.asyncProperty(
        shapeAndDim.chain(([shape, dim, keep]) => {
          const n = shape.reduce((a, b) => a * b, 1);
          return fc.tuple(fc.constant(shape), fc.constant(dim), fc.constant(keep), values(n), values(n), fc.float({ min: -3, max: 3, noNaN: true }), fc.float({ min: -3, max: 3, noNaN: true }));
        }),
        async ([shape, dim, keep, xs, ys, a, b]) => {
          const x = tensor(xs, { shape, backend });
          const y = tensor(ys, { shape, backend });
          const lhs = await sum(x.mul(a).add(y.mul(b)), dim, keep).data();
          const rhs = await sum(x, dim, keep).mul(a).add(sum(y, dim, keep).mul(b)).data();
          // Tolerance scales with the magnitude of the summed terms (float32 rounding of each product and sum).
          const mag = await sum(x.abs().mul(Math.abs(a)).add(y.abs().mul(Math.abs(b))), dim, keep).data();
          for (let i = 0; i < lhs.length; i++) expect(Math.abs(lhs[i]! - rhs[i]!)).toBeLessThanOrEqual(1e-5 + 4e-7 * mag[i]! * 8);
        },
      ),
      { numRuns: 30 },
    );
  });

  it.skipIf(!gpu)('CPU == WebGPU on random shapes and dims', async () => {
    await fc.assert(
      fc.asyncProperty(
        shapeAndDim.chain(([shape, dim, keep]) => fc.tuple(fc.constant(shape), fc.constant(dim), fc.constant(keep), values(shape.reduce((a, b) => a * b, 1)))),
        async ([shape, dim, keep, xs]) => {
          const xc = tensor(xs, { shape, backend: cpu });
          const xg = tensor(xs, { shape, backend: gpu! });
          const d0 = (dim + shape.length) % shape.length;
          const pair = [d0, (d0 + 2) % shape.length].filter((d, i, all) => all.indexOf(d) === i);
          const ops: [string, (x: Tensor) => Tensor][] = [
            ['sum', (x) => sum(x, pair, keep)], ['mean', (x) => mean(x, dim, keep)], ['amax', (x) => amax(x, pair, keep)],
            ['prod', (x) => prod(x.mul(0.25).add(1), dim, keep)], ['argmax', (x) => argmax(x, dim, keep)],
            ['argmin', (x) => argmin(x, dim, keep)], ['var', (x) => variance(x, pair, { keepdim: keep, unbiased: false })],
            ['cumsum', (x) => cumsum(x, dim)], ['logsumexp', (x) => logsumexp(x, pair, keep)], ['softmax', (x) => softmax(x, dim)],
            ['logSoftmax', (x) => logSoftmax(x, dim)],
          ];
          for (const [name, f] of ops) {
            const a = await f(xc).data();
            const b = await f(xg).data();
            // The CPU accumulates in float64; WebGPU in float32 (tree/blocked), so allow float32 summation error.
            const r = compare(b, a, { rtol: 1e-4, atol: 1e-4 });
            expect(r.ok, `${name} ${JSON.stringify(shape)} dim ${dim}: max abs ${r.maxAbs}`).toBe(true);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  it.each(backends.map((b) => [b.name, b] as const))('softmax rows sum to 1 (%s)', async (_n, backend) => {
    await fc.assert(
      fc.asyncProperty(
        shapeAndDim.chain(([shape, dim]) => fc.tuple(fc.constant(shape), fc.constant(dim), values(shape.reduce((a, b) => a * b, 1), 60))),
        async ([shape, dim, xs]) => {
          const s = await sum(softmax(tensor(xs, { shape, backend }), dim), dim).data();
          for (const v of s) expect(Math.abs(v - 1)).toBeLessThan(1e-5 * 4);
        },
      ),
      { numRuns: 30 },
    );
  });
});
