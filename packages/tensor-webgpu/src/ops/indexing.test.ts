// gather, indexSelect, pad and pixelShuffle/pixelUnshuffle against PyTorch fixtures on every backend, torch's
// validity rules for pad, out-of-range index behaviour, and fast-check round trips / CPU == WebGPU agreement.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PadMode } from '../backend/backend.js';
import { type FixtureFile, type FixtureTensor, decode, expectClose, fixtureTensor, testBackends } from '../testing/index.js';
import { F, RadixError, type Tensor, arange, gather, indexSelect, memory, tensor } from '../index.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/indexing.json', import.meta.url), 'utf8')) as FixtureFile;
const backends = await testBackends();
const gpu = backends.find((b) => b.name === 'webgpu');
const cpu = backends.find((b) => b.name === 'cpu')!;

function apply(op: string, a: Record<string, unknown>, inputs: Tensor[]): Tensor {
  const [x, i] = inputs as [Tensor, Tensor];
  switch (op) {
    case 'gather': return gather(x, a.dim as number, i);
    case 'indexSelect': return indexSelect(x, a.dim as number, i);
    case 'pad': return F.pad(x, a.pad as number[], a.mode as PadMode, a.value as number);
    case 'pixelShuffle': return F.pixelShuffle(x, a.factor as number);
    case 'pixelUnshuffle': return F.pixelUnshuffle(x, a.factor as number);
  }
  throw new Error(`unknown fixture op ${op}`);
}

const worst = new Map<string, { cases: number; maxAbs: number }>();
afterAll(() => {
  console.log([...worst].sort().map(([k, w]) => `${k}: ${w.cases} cases, max abs ${w.maxAbs.toExponential(2)}`).join('\n'));
});

describe.each(backends.map((b) => [b.name, b] as const))('indexing fixtures (%s)', (name, backend) => {
  it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const before = memory().liveTensors;
    const inputs = c.inputs.map((t) => fixtureTensor(t, backend));
    const out = apply(c.op, c.args, inputs);
    const exp = c.expected as FixtureTensor;
    expect([...out.shape]).toEqual(exp.shape);
    expect(out.dtype).toBe(exp.dtype);
    // Pure data movement: results must be exact (fixtures store the shortest decimal of each float32).
    const r = expectClose(await out.data(), decode(exp.data).map(Math.fround), { rtol: 0, atol: 0 }, `${c.name} (${name})`);
    const k = `${name} ${c.op}${c.op === 'pad' ? ` ${c.args.mode as string}` : ''}`;
    const w = worst.get(k) ?? { cases: 0, maxAbs: 0 };
    worst.set(k, { cases: w.cases + 1, maxAbs: Math.max(w.maxAbs, r.maxAbs) });
    out.dispose();
    for (const t of inputs) t.dispose();
    expect(memory().liveTensors, 'no leaked intermediates').toBe(before);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('indexing validation (%s)', (name, backend) => {
  const x3 = arange(30, { backend }).reshape(2, 3, 5);
  const idx = (v: number[], shape?: number[]) => tensor(v, { backend, dtype: 'int32', shape: shape ?? [v.length] });

  it('pad follows torch validity rules', () => {
    expect(() => F.pad(x3, [1])).toThrow(/divisible by 2/);
    expect(() => F.pad(x3, [1, 1, 1, 1, 1, 1, 1, 1])).toThrow(/covers 4 dims/);
    expect(() => F.pad(x3, [5, 1], 'reflect')).toThrow(/smaller than the padded dim/);
    expect(() => F.pad(x3, [6, 0], 'circular')).toThrow(/wrap more than once/);
    expect(() => F.pad(x3.reshape(6, 5), [1, 1], 'circular')).toThrow(/two leading/);
    expect(() => F.pad(x3, [1, 1], 'reflect', 2)).toThrow(/does not take a fill value/);
    expect(() => F.pad(x3, [1, 1, 1, 1, 1, 1], 'replicate')).toThrow(/1 to 3 trailing dims/);
    expect(() => F.pad(x3, [-3, -3])).toThrow(/negative padding/);
    expect(() => F.pad(x3, [-5, 0], 'replicate')).toThrow(/too small/);
    expect(() => F.pad(x3, [1, 1], 'wrap' as PadMode)).toThrow(/unknown mode/);
    expect(() => F.pad(x3, [0.5, 1])).toThrow(/integers/);
  });

  it('pad of an empty dim with a constant and a no-op pad', async () => {
    const e = tensor(new Float32Array(0), { shape: [2, 0], backend });
    expect(Array.from(await F.pad(e, [1, 1], 'constant', 3).data())).toEqual([3, 3, 3, 3]);
    expect(Array.from(await F.pad(x3, [0, 0]).data())).toEqual(Array.from(await x3.data()));
  });

  it('gather and indexSelect validate shapes and dtypes', () => {
    expect(() => gather(x3, 1, idx([0, 1]))).toThrow(/same number of dims/);
    expect(() => gather(x3, 1, idx([0, 0, 0, 0, 0, 0], [3, 1, 2]))).toThrow(/must not be larger/);
    expect(() => gather(x3, 1, tensor([[[0]]], { backend }))).toThrow(/int32/);
    expect(() => gather(x3, 3, idx([0], [1, 1, 1]))).toThrow(RadixError);
    expect(() => indexSelect(x3, 0, idx([0, 1], [1, 2]))).toThrow(/vector/);
  });

  it(`out-of-range indices ${name === 'cpu' ? 'throw' : 'give 0'}`, async () => {
    const i = idx([0, 7, -1], [1, 1, 3]);
    const s = idx([1, 3]);
    if (name === 'cpu') {
      expect(() => gather(x3, 2, i)).toThrow(/index 7 is out of bounds/);
      expect(() => indexSelect(x3, 0, s)).toThrow(/index 3 is out of bounds/);
    } else {
      expect(Array.from(await gather(x3, 2, i).data())).toEqual([0, 0, 0]);
      expect(Array.from(await indexSelect(x3, 0, s).data())).toEqual([...Array.from({ length: 15 }, (_, k) => 15 + k), ...new Array(15).fill(0)]);
    }
  });

  it('uint32 indices, 0-d inputs and repeated selections', async () => {
    expect(Array.from(await indexSelect(x3, 2, tensor([4, 4], { backend, dtype: 'uint32' })).data())).toEqual([4, 4, 9, 9, 14, 14, 19, 19, 24, 24, 29, 29]);
    const s = tensor(5, { backend });
    expect(await gather(s, 0, tensor(0, { backend, dtype: 'int32' })).item()).toBe(5);
    expect([...indexSelect(s, 0, tensor(0, { backend, dtype: 'int32' })).shape]).toEqual([]);
  });

  it('pixelShuffle validates its input', () => {
    expect(() => F.pixelShuffle(x3, 2)).toThrow(/divisible by upscaleFactor² = 4/);
    expect(() => F.pixelShuffle(x3.reshape(6, 5), 1)).toThrow(/\(\*, C, H, W\)/);
    expect(() => F.pixelUnshuffle(x3, 2)).toThrow(/divisible by downscaleFactor 2/);
    expect(() => F.pixelShuffle(x3, 0)).toThrow(/positive integer/);
  });
});

describe('properties (fast-check)', () => {
  it.each(backends.map((b) => [b.name, b] as const))('pixelUnshuffle inverts pixelShuffle (%s)', async (_n, backend) => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        async ([n, c, r, h, w]) => {
          const x = arange(n * c * r * r * h * w, { backend }).reshape(n, c * r * r, h, w);
          const y = F.pixelShuffle(x, r);
          expect([...y.shape]).toEqual([n, c, h * r, w * r]);
          expect(Array.from(await F.pixelUnshuffle(y, r).data())).toEqual(Array.from(await x.data()));
        },
      ),
      { numRuns: 25 },
    );
  });

  const padArb = fc
    .tuple(fc.constantFrom<PadMode>('constant', 'reflect', 'replicate', 'circular'), fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 3, maxLength: 4 }))
    .chain(([mode, shape]) => {
      const k = shape.length - 2;
      const pads = shape.slice(2).reverse().flatMap((s) => {
        const lo = mode === 'constant' ? -s : mode === 'reflect' ? -(s - 1) : mode === 'circular' ? -(s - 1) : -(s - 1);
        const hi = mode === 'reflect' ? s - 1 : mode === 'circular' ? s : 7;
        return [fc.integer({ min: Math.max(lo, -2), max: hi }), fc.integer({ min: Math.max(lo, -2), max: hi })];
      });
      return fc.tuple(fc.constant(mode), fc.constant(shape), fc.tuple(...pads), fc.constant(k));
    });

  it.skipIf(!gpu)('CPU == WebGPU for pad, gather and indexSelect on random shapes', async () => {
    await fc.assert(
      fc.asyncProperty(padArb, fc.integer({ min: 0, max: 1000 }), async ([mode, shape, pads], seed) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const data = Float32Array.from({ length: n }, (_, i) => Math.sin(i + seed));
        const xc = tensor(data, { shape, backend: cpu });
        const xg = tensor(data, { shape, backend: gpu! });
        const out = shape.map((s, d) => (d < 2 ? s : s + pads[2 * (shape.length - 1 - d)]! + pads[2 * (shape.length - 1 - d) + 1]!));
        if (out.some((s) => s < 1)) return;
        const value = mode === 'constant' ? 0.5 : 0;
        // Both backends must refuse the same invalid paddings (e.g. wrapping a cropped dim more than once).
        const padded = async (x: Tensor) => {
          try {
            return Array.from(await F.pad(x, pads, mode, value).data());
          } catch (e) {
            if (e instanceof RadixError) return e.message;
            throw e;
          }
        };
        expect(await padded(xg)).toEqual(await padded(xc));
        const d = seed % shape.length;
        const ishape = shape.map((s, i) => (i === d ? 1 + (seed % 5) : Math.max(1, s - (seed % 2))));
        const iv = Array.from({ length: ishape.reduce((a, b) => a * b, 1) }, (_, i) => (i * 7 + seed) % shape[d]!);
        const gi = (b: typeof cpu) => tensor(iv, { shape: ishape, dtype: 'int32', backend: b });
        expect(Array.from(await gather(xg, d, gi(gpu!)).data())).toEqual(Array.from(await gather(xc, d, gi(cpu)).data()));
        const si = (b: typeof cpu) => tensor(iv.slice(0, 5), { dtype: 'int32', backend: b });
        expect(Array.from(await indexSelect(xg, d, si(gpu!)).data())).toEqual(Array.from(await indexSelect(xc, d, si(cpu)).data()));
      }),
      { numRuns: 40 },
    );
  });
});
