// matmul and linear against PyTorch fixtures on the CPU and on every WebGPU kernel variant, their
// validation errors, and fast-check properties (CPU == WebGPU on random shapes, algebraic identities).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type FixtureFile, compare, expectClose, testBackends } from '../testing/index.js';
import { F, RadixError, type Tensor, matmul, memory, tensor, zeros } from '../index.js';
import { ErrorLog, describeFixtureCases, hashedValues, variantConfigs, withVariant } from './linalg-test-helpers.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/linalg.json', import.meta.url), 'utf8')) as FixtureFile;
const backends = await testBackends();
const cpu = backends.find((b) => b.name === 'cpu')!;
const gpu = backends.find((b) => b.name === 'webgpu');
const TOL = { rtol: 1e-4, atol: 1e-5 };
const log = new ErrorLog();
afterAll(() => console.log(log.report()));

function apply(op: string, args: Record<string, unknown>, ins: Tensor[]): Tensor {
  if (op === 'matmul') return matmul(ins[0]!, ins[1]!);
  return F.linear(ins[0]!, ins[1]!, args.bias ? ins[2] : undefined);
}

describeFixtureCases('linalg fixtures', fixtures, backends, apply, log, TOL);

describe.each(backends.map((b) => [b.name, b] as const))('linalg validation (%s)', (_name, backend) => {
  it('rejects mismatched, 0-d and non-float operands with named errors', () => {
    const a = zeros([2, 3], { backend });
    const b = zeros([4, 5], { backend });
    expect(() => matmul(a, b)).toThrow(RadixError);
    expect(() => matmul(a, b)).toThrow(/matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied/);
    expect(() => matmul(zeros([], { backend }), a)).toThrow(/at least 1 dim/);
    expect(() => matmul(tensor([1, 2], { backend, dtype: 'int32' }), tensor([1, 2], { backend, dtype: 'int32' }))).toThrow(/float32/);
    expect(() => matmul(zeros([2, 2, 3], { backend }), zeros([3, 3, 4], { backend }))).toThrow(/cannot be broadcast/);
    expect(() => F.linear(a, zeros([4, 2], { backend }))).toThrow(/linear: input shape \[2, 3\] does not end with in_features 2/);
    expect(() => F.linear(a, zeros([4, 3], { backend }), zeros([3], { backend }))).toThrow(/bias must have shape \[4\]/);
    expect(() => F.linear(a, zeros([3], { backend }))).toThrow(/weight must be 2-D/);
  });

  it('returns correctly shaped empty results', async () => {
    expect([...matmul(zeros([0, 3], { backend }), zeros([3, 4], { backend })).shape]).toEqual([0, 4]);
    expect([...matmul(zeros([2, 0, 3], { backend }), zeros([3], { backend })).shape]).toEqual([2, 0]);
    expect(Array.from(await matmul(zeros([2, 0], { backend }), zeros([0, 2], { backend })).data())).toEqual([0, 0, 0, 0]);
  });
});

/** A reproducible random tensor (hash values) of `shape`. */
const hashedTensor = (shape: number[], seed: number, backend = cpu) => tensor(hashedValues(shape.reduce((a, b) => a * b, 1), seed), { shape, backend });

describe.each(variantConfigs(backends).map((c) => [c.label, c] as const))('matmul primitive transA/transB (%s)', (label, cfg) => {
  // The op layer only uses transB (linear); the primitive's transA path and batch strides are checked
  // here against products of explicitly transposed copies.
  const combos = [[false, false], [true, false], [false, true], [true, true]] as const;
  // k % 4 == 0 selects the vec4-along-K path for transB; m >= 64 the transposing copy on direct variants.
  const dims = [[2, 37, 29, 45], [2, 37, 32, 45], [2, 70, 64, 33]] as const;
  it.each(combos.flatMap(([ta, tb]) => dims.map((d) => [ta, tb, d] as const)))('transA=%s transB=%s dims %j', async (ta, tb, d) => {
    await withVariant(cfg.variant, async () => {
      const [batch, m, k, n] = d;
      const be = cfg.backend;
      const a = hashedTensor(ta ? [batch, k, m] : [batch, m, k], 3, be);
      const b = hashedTensor(tb ? [batch, n, k] : [batch, k, n], 4, be);
      const out = zeros([batch, m, n], { backend: be });
      be.matmul(a.buf('t'), b.buf('t'), out.buf('t'), { batch, m, k, n, strideA: m * k, strideB: k * n, transA: ta, transB: tb });
      const want = matmul(ta ? a.transpose(1, 2) : a, tb ? b.transpose(1, 2) : b);
      log.add(`${label} matmul-primitive`, expectClose(await out.data(), await want.data(), TOL, `trans ${ta}/${tb} (${label})`));
    });
  });
});


describe.skipIf(!gpu)('linalg properties', () => {
  const dim = fc.integer({ min: 1, max: 70 });
  const variant = fc.constantFrom('auto', 'tiled', 'direct', 'direct-nosg' as const);

  it('CPU == WebGPU for random batched/broadcast matmul shapes on every variant', async () => {
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.constantFrom([], [3], [2, 1]), fc.constantFrom([], [1], [2, 3]), fc.integer({ min: 1, max: 1e6 }), variant,
        async (m, k, n, ba, bb, seed, v) => {
          const [sa, sb] = [[...ba, m, k], [...bb, k, n]];
          const want = await matmul(hashedTensor(sa, seed), hashedTensor(sb, seed + 1)).data();
          const got = await withVariant(v, async () => matmul(hashedTensor(sa, seed, gpu), hashedTensor(sb, seed + 1, gpu)).data());
          return compare(got, want, TOL).ok;
        }),
      { numRuns: 25 },
    );
  });

  it('batched split-K (small outputs, long K, batch > 1) matches the CPU on every variant', async () => {
    // Regression: split-K partial slabs were written [batch][split] but reduced as [split][batch].
    for (const v of ['auto', 'tiled', 'direct', 'direct-nosg'] as const) {
      for (const [sa, sb] of [[[1, 512], [2, 512, 36]], [[3, 512], [2, 512, 9]], [[4, 1, 2048], [4, 2048, 4]]] as const) {
        const want = await matmul(hashedTensor([...sa], 7), hashedTensor([...sb], 8)).data();
        const got = await withVariant(v, async () => matmul(hashedTensor([...sa], 7, gpu), hashedTensor([...sb], 8, gpu)).data());
        expectClose(got, want, TOL, `${v} ${sa}·${sb}`);
      }
    }
    const x = hashedTensor([2, 512, 6, 6], 9);
    const w = hashedTensor([3, 512, 1, 1], 10);
    const want = await F.conv2d(x, w).data();
    const got = await F.conv2d(hashedTensor([2, 512, 6, 6], 9, gpu), hashedTensor([3, 512, 1, 1], 10, gpu)).data();
    expectClose(got, want, TOL, '1×1 conv, batch 2, 512 channels');
  });

  it('CPU == WebGPU for linear (transposed weight) with and without bias', async () => {
    await fc.assert(
      fc.asyncProperty(dim, fc.integer({ min: 1, max: 300 }), dim, fc.boolean(), fc.integer({ min: 1, max: 1e6 }), variant,
        async (m, k, n, withBias, seed, v) => {
          const run = (be: typeof cpu) => F.linear(hashedTensor([m, k], seed, be), hashedTensor([n, k], seed + 1, be), withBias ? hashedTensor([n], seed + 2, be) : undefined);
          const want = await run(cpu).data();
          const got = await withVariant(v, async () => run(gpu!).data());
          return compare(got, want, TOL).ok;
        }),
      { numRuns: 20 },
    );
  });

  it('(A·B)ᵀ = Bᵀ·Aᵀ and matmul with the identity', async () => {
    await fc.assert(
      fc.asyncProperty(dim, dim, dim, fc.integer({ min: 1, max: 1e6 }), async (m, k, n, seed) => {
        const a = hashedTensor([m, k], seed, gpu);
        const b = hashedTensor([k, n], seed + 1, gpu);
        const lhs = await matmul(a, b).transpose(0, 1).data();
        const rhs = await matmul(b.transpose(0, 1), a.transpose(0, 1)).data();
        const eye = tensor(Float32Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? 1 : 0)), { shape: [k, k], backend: gpu });
        const same = await matmul(a, eye).data();
        return compare(lhs, rhs, TOL).ok && compare(same, await a.data(), { rtol: 0, atol: 0 }).ok;
      }),
      { numRuns: 15 },
    );
  });
});
