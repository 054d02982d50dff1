// Elementwise, movement and creation ops against PyTorch fixtures (tools/reference/gen_elementwise.py) on every backend.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend/backend.js';
import { type FixtureFile, decode, expectClose, fixtureTensor, testBackends } from '../testing/index.js';
import * as T from '../index.js';
import type { Tensor } from '../tensor.js';

const fixtures: FixtureFile = JSON.parse(readFileSync(new URL('../../fixtures/elementwise.json', import.meta.url), 'utf8'));
const backends = await testBackends();

type Args = Record<string, any>;
const UNARY_NAMES = new Set([
  'neg', 'abs', 'sign', 'exp', 'exp2', 'log', 'log2', 'log1p', 'expm1', 'sqrt', 'rsqrt', 'reciprocal', 'square', 'sin',
  'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'erf', 'erfc', 'floor', 'ceil',
  'round', 'trunc', 'frac', 'sigmoid', 'relu', 'relu6', 'selu', 'silu', 'mish', 'hardsigmoid', 'hardswish',
]);

function run(op: string, args: Args, inputs: Tensor[], backend: Backend): Tensor {
  const [x, y, z] = inputs as [Tensor, Tensor, Tensor];
  if (UNARY_NAMES.has(op)) return (T as any)[op](x);
  switch (op) {
    case 'leakyRelu': return T.F.leakyRelu(x, args.slope);
    case 'elu': return T.F.elu(x, args.alpha);
    case 'gelu': return T.F.gelu(x, { approximate: args.approximate });
    case 'softplus': return T.F.softplus(x, args.beta, args.threshold);
    case 'hardtanh': return T.F.hardtanh(x, args.min, args.max);
    case 'clamp': return T.clamp(x, args.min, args.max);
    case 'powScalar': return T.pow(x, args.exponent);
    case 'where': return T.where(x, y, z);
    case 'cast': return x.to(args.dtype);
    case 'permute': return x.permute(args.dims);
    case 'transpose': return x.transpose(args.dim0, args.dim1);
    case 'expand': return x.expand(args.shape);
    case 'slice': return x.slice(args.dim, args.start, args.end, args.step);
    case 'narrow': return x.narrow(args.dim, args.start, args.length);
    case 'flip': return x.flip(args.dims);
    case 'cat': return T.cat(inputs, args.dim);
    case 'stack': return T.stack(inputs, args.dim);
    case 'arange': return T.arange(args.start, args.end, args.step, { backend });
    case 'linspace': return T.linspace(args.start, args.end, args.steps, { backend });
    case 'eye': return T.eye(args.n, args.m, { backend });
    default: return (T as any)[op](x, y);
  }
}

// Documented tolerance exceptions: transcendental functions of large arguments lose absolute accuracy in
// float32 on GPUs (WGSL only guarantees a few ULP for exp/sin/tan of large inputs).
const LOOSE: Record<string, { rtol: number; atol: number }> = {
  tan: { rtol: 2e-4, atol: 1e-5 },
  sinh: { rtol: 2e-4, atol: 1e-5 },
  cosh: { rtol: 2e-4, atol: 1e-5 },
  exp: { rtol: 2e-4, atol: 1e-5 },
  exp2: { rtol: 2e-4, atol: 1e-5 },
  pow: { rtol: 2e-4, atol: 1e-5 },
};

describe.each(backends.map((b) => [b.name, b] as const))('elementwise vs PyTorch on %s', (_name, backend) => {
  for (const c of fixtures.cases) {
    it(c.name, async () => {
      const inputs = c.inputs.map((t) => fixtureTensor(t, backend));
      const out = run(c.op, c.args, inputs, backend);
      const exp = c.expected as { shape: number[]; dtype: string; data: (number | string)[] };
      expect([...out.shape]).toEqual(exp.shape);
      expect(out.dtype).toBe(exp.dtype);
      const tol = LOOSE[c.op] ?? { rtol: 1e-4, atol: 1e-5 };
      expectClose(Array.from(await out.data()), decode(exp.data), tol, `${backend.name} ${c.name}`);
      T.dispose([inputs, out]);
    });
  }
});

describe.each(backends.map((b) => [b.name, b] as const))('elementwise properties on %s', (_name, backend) => {
  it('broadcasting is commutative and matches explicit expansion', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1 << 30 }), async (shape, seed) => {
        const g = new T.Generator(seed);
        const bShape = shape.map((d, i) => (i % 2 === 0 ? 1 : d)).slice(1);
        const a = T.randn(shape, { backend, generator: g });
        const b = T.randn(bShape, { backend, generator: g });
        const ab = a.add(b);
        const ba = b.add(a);
        const explicit = a.add(b.expand(shape));
        const [x, y, z] = await Promise.all([ab.data(), ba.data(), explicit.data()]);
        expect(Array.from(x)).toEqual(Array.from(y));
        expect(Array.from(x)).toEqual(Array.from(z));
        T.dispose([a, b, ab, ba, explicit]);
      }),
      { numRuns: 15 },
    );
  });

  it('reshape and permute round-trip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 1000 }), async (shape, seed) => {
        const perm = shape.map((_, i) => i).sort((p, q) => ((p * 7 + seed) % 5) - ((q * 7 + seed) % 5));
        const inv = perm.map((_, i) => perm.indexOf(i));
        const a = T.randn(shape, { backend, generator: new T.Generator(seed) });
        const back = a.permute(perm).permute(inv);
        const flat = a.reshape(-1).reshape(shape);
        expect(Array.from(await back.data())).toEqual(Array.from(await a.data()));
        expect(Array.from(await flat.data())).toEqual(Array.from(await a.data()));
        T.dispose([a, back, flat]);
      }),
      { numRuns: 15 },
    );
  });

  it('large tensors use a 2-D dispatch grid correctly', async () => {
    const n = 65535 * 256 + 1000; // more workgroups than one grid dimension allows
    const a = T.full([n], 1.5, { backend });
    const b = a.mul(2);
    const s = b.slice(0, 0, n - 3);
    const d = await s.data();
    expect(d.length).toBe(n - 3);
    expect(d[0]).toBe(3);
    expect(d[n - 4]).toBe(3);
    T.dispose([a, b, s]);
  });
});

describe('CPU and WebGPU agree', () => {
  const gpu = backends.find((b) => b.name === 'webgpu');
  it.runIf(gpu !== undefined)('on random shapes and ops (sizes not multiples of 4/8/16/64)', async () => {
    const cpu = backends[0]!;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(1, 3, 5, 7, 9, 15, 17, 33, 63, 65), { minLength: 1, maxLength: 3 }),
        fc.constantFrom('silu', 'geluErf', 'tanh', 'sigmoid', 'exp', 'softplus', 'expm1'),
        fc.integer({ min: 0, max: 1 << 30 }),
        async (shape, op, seed) => {
          const run1 = async (b: Backend) => {
            const x = T.randn(shape, { backend: b, generator: new T.Generator(seed) });
            const y = op === 'geluErf' ? T.F.gelu(x) : (T as any)[op](x);
            const z = y.mul(x.flip(-1)).add(0.5);
            const d = Array.from((await z.data()) as Float32Array);
            T.dispose([x, y, z]);
            return d;
          };
          expectClose(await run1(gpu!), await run1(cpu), { rtol: 1e-4, atol: 1e-5 }, `${op} ${shape}`);
        },
      ),
      { numRuns: 25 },
    );
  });

  it.runIf(gpu !== undefined)('copies of strided views: slices, permutes, cat and slice assignment (vec4 and scalar paths)', async () => {
    // Innermost sizes of multiples of 4 with 4-aligned offsets take the vec4 copy kernels; the rest the scalar ones.
    const cpu = backends[0]!;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 6 }), fc.constantFrom(3, 4, 8, 12, 16),
        fc.integer({ min: 0, max: 4 }), fc.constantFrom(1, 2), fc.integer({ min: 0, max: 1 << 30 }),
        async (a, b, c, start, step, seed) => {
          const gen = new T.Generator(seed);
          const xs = await T.randn([a, b, c + 8], { backend: cpu, generator: gen }).data();
          const ys = await T.randn([a, 2, c + 8], { backend: cpu, generator: gen }).data();
          const run1 = async (be: Backend) => {
            const x = T.tensor(xs, { shape: [a, b, c + 8], backend: be });
            const y = T.tensor(ys, { shape: [a, 2, c + 8], backend: be });
            const cat = T.cat([x, y], 1);
            const sl = cat.slice(2, start, start + c, step);
            const pm = x.permute([1, 0, 2]);
            const z = T.zeros([a, b + 2, c + 8], { backend: be });
            const zs = T.cat([z.slice(1, 0, 2), x], 1);
            const out = [sl, pm, zs, cat].map(async (t) => Array.from((await t.data()) as Float32Array));
            const d = await Promise.all(out);
            T.dispose([x, y, cat, sl, pm, z, zs]);
            return d;
          };
          const [g, w] = [await run1(gpu!), await run1(cpu)];
          for (let i = 0; i < g.length; i++) expect(g[i]).toEqual(w[i]);
        },
      ),
      { numRuns: 30 },
    );
  });

  it.runIf(gpu !== undefined)('add, sub, mul and div of contiguous operands (vec4 kernels when numel % 4 == 0) match the CPU', async () => {
    const cpu = backends[0]!;
    const special = [0, -0, 1, -1, Infinity, -Infinity, NaN, 3.5e38, 1e-40];
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.constantFrom('add', 'sub', 'mul', 'div'), fc.constantFrom('float32', 'int32'), fc.integer({ min: 0, max: 1 << 30 }),
        async (n, op, dtype, seed) => {
          const vals = (k: number) => Array.from({ length: n }, (_, i) => {
            const h = ((i + 1) * 2654435761 + seed * (k + 3)) >>> 0;
            return dtype === 'int32' ? (h % 201) - 100 : h % 5 === 0 ? special[h % special.length]! : ((h % 20001) - 10000) / 997;
          });
          const [va, vb] = [vals(0), vals(1)];
          if (dtype === 'int32' && op === 'div') return;
          const run1 = async (be: Backend) => {
            const a = T.tensor(va, { shape: [n], dtype: dtype as 'float32', backend: be });
            const b = T.tensor(vb, { shape: [n], dtype: dtype as 'float32', backend: be });
            const y = (T as any)[op](a, b) as Tensor;
            const d = Array.from(await y.data() as Float32Array);
            T.dispose([a, b, y]);
            return d;
          };
          expect(await run1(gpu!)).toEqual(await run1(cpu));
        }),
      { numRuns: 40 },
    );
  });
});
