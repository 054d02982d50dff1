// conv2d and convTranspose2d against PyTorch fixtures on the CPU and on every WebGPU kernel variant,
// their validation errors, and fast-check properties (1×1 conv == matmul, CPU == WebGPU on random shapes).
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type FixtureFile, compare, expectClose, testBackends } from '../testing/index.js';
import { type Activation, F, RadixError, type Tensor, grad, matmul, memory, tensor, zeros } from '../index.js';
import type { Backend } from '../backend/backend.js';
import { ErrorLog, describeFixtureCases, hashedValues, variantConfigs, withVariant } from './linalg-test-helpers.js';

const fixtures = JSON.parse(readFileSync(new URL('../../fixtures/conv.json', import.meta.url), 'utf8')) as FixtureFile;
const backends = await testBackends();
const cpu = backends.find((b) => b.name === 'cpu')!;
const gpu = backends.find((b) => b.name === 'webgpu');
const TOL = { rtol: 1e-4, atol: 1e-5 };
const log = new ErrorLog();
afterAll(() => console.log(log.report()));

type Pair = number | [number, number];
function apply(op: string, a: Record<string, unknown>, ins: Tensor[]): Tensor {
  const bias = a.bias ? ins[2] : undefined;
  if (op === 'conv2d') {
    return F.conv2d(ins[0]!, ins[1]!, bias, {
      stride: a.stride as Pair, padding: a.padding as Pair | 'same' | 'valid', dilation: a.dilation as Pair, groups: a.groups as number,
    });
  }
  return F.convTranspose2d(ins[0]!, ins[1]!, bias, {
    stride: a.stride as Pair, padding: a.padding as Pair, outputPadding: a.output_padding as Pair, dilation: a.dilation as Pair, groups: a.groups as number,
  });
}

describeFixtureCases('conv fixtures', fixtures, backends, apply, log, TOL);

describe.each(backends.map((b) => [b.name, b] as const))('conv validation (%s)', (_name, backend) => {
  const x = zeros([1, 4, 8, 8], { backend });
  const w = zeros([6, 2, 3, 3], { backend });
  it('checks ranks, channels, groups and bias', () => {
    expect(() => F.conv2d(zeros([4, 8], { backend }), w)).toThrow(/conv2d: expected a 3-D \(C, H, W\) or 4-D/);
    expect(() => F.conv2d(x, zeros([6, 4, 3], { backend }))).toThrow(/expected a 4-D weight/);
    expect(() => F.conv2d(x, w)).toThrow(/weight \[6, 2, 3, 3\] expects 2 input channels .* but the input \[1, 4, 8, 8\] has 4/);
    expect(() => F.conv2d(x, w, null, { groups: 3 })).toThrow(/input channels 4 .* not divisible by groups 3/);
    expect(() => F.conv2d(x, zeros([5, 2, 3, 3], { backend }), null, { groups: 2 })).toThrow(/output channels 5 .* not divisible by groups 2/);
    expect(() => F.conv2d(x, w, zeros([5], { backend }), { groups: 2 })).toThrow(/bias must have shape \[6\]/);
    expect(() => F.conv2d(x, w, null, { groups: 0 })).toThrow(/groups must be a positive integer/);
    expect(() => F.conv2d(x, w, null, { groups: 2, stride: 0 })).toThrow(/stride must be an integer ≥ 1/);
    expect(() => F.conv2d(x, w, null, { groups: 2, padding: -1 })).toThrow(/padding must be an integer ≥ 0/);
    expect(() => F.conv2d(x, w, null, { groups: 2, padding: 'same', stride: 2 })).toThrow(/padding='same' is not supported for strided/);
    expect(() => F.conv2d(x, zeros([6, 2, 9, 9], { backend }), null, { groups: 2 })).toThrow(/smaller than the dilated kernel 9×9/);
    expect(() => F.conv2d(tensor([1, 2], { backend, dtype: 'int32' }).reshape([1, 1, 1, 2]), w)).toThrow(RadixError);
  });
  it('checks convTranspose2d weights and outputPadding', () => {
    const wt = zeros([4, 3, 3, 3], { backend });
    expect(() => F.convTranspose2d(x, zeros([3, 3, 3, 3], { backend }))).toThrow(/convTranspose2d: weight \[3, 3, 3, 3\] expects 3 input channels/);
    expect(() => F.convTranspose2d(x, wt, null, { stride: 2, outputPadding: 2 })).toThrow(/outputPadding \[2, 2\] must be smaller than either stride \[2, 2\] or dilation \[1, 1\]/);
    expect(() => F.convTranspose2d(x, wt, zeros([4], { backend }))).toThrow(/bias must have shape \[3\]/);
    expect(() => F.convTranspose2d(x, wt, null, { groups: 3 })).toThrow(/not divisible by groups 3/);
    expect(() => F.convTranspose2d(zeros([1, 4, 1, 1], { backend }), wt, null, { padding: 3 })).toThrow(/output size -3×-3 is not positive/);
  });
  it('handles an empty batch', () => {
    expect([...F.conv2d(zeros([0, 4, 8, 8], { backend }), w, null, { groups: 2 }).shape]).toEqual([0, 6, 6, 6]);
  });
});

const hashedTensor = (shape: number[], seed: number, backend: Backend) => tensor(hashedValues(shape.reduce((a, b) => a * b, 1), seed), { shape, backend });

/** Random conv2d geometries: batch, groups, channels per group, size, kernel, stride, padding, dilation, seed. */
const convGeometry = fc.record({
  n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 3 }), cinG: fc.integer({ min: 1, max: 9 }), coutG: fc.integer({ min: 1, max: 37 }),
  h: fc.integer({ min: 1, max: 13 }), w: fc.integer({ min: 1, max: 13 }), kh: fc.integer({ min: 1, max: 4 }), kw: fc.integer({ min: 1, max: 4 }),
  sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }), ph: fc.integer({ min: 0, max: 2 }), pw: fc.integer({ min: 0, max: 2 }),
  dh: fc.integer({ min: 1, max: 2 }), dw: fc.integer({ min: 1, max: 2 }), seed: fc.integer({ min: 1, max: 1e6 }),
});
type ConvGeometry = typeof convGeometry extends fc.Arbitrary<infer T> ? T : never;
/** The dilated kernel fits the padded input. */
const fits = (s: ConvGeometry) => s.h + 2 * s.ph >= s.dh * (s.kh - 1) + 1 && s.w + 2 * s.pw >= s.dw * (s.kw - 1) + 1;
const convOptions = (s: ConvGeometry) => ({ stride: [s.sh, s.sw] as Pair, padding: [s.ph, s.pw] as Pair, dilation: [s.dh, s.dw] as Pair, groups: s.g });

describe.skipIf(!gpu)('conv properties', () => {
  const variant = fc.constantFrom('auto', 'tiled', 'direct', 'direct-nosg' as const);

  it('a 1×1 conv equals a matmul over channels', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 70 }), fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 1e6 }), variant, async (n, cin, cout, h, w, seed, v) => {
          await withVariant(v, async () => {
            const x = hashedTensor([n, cin, h, w], seed, gpu!);
            const wt = hashedTensor([cout, cin, 1, 1], seed + 1, gpu!);
            const viaConv = await F.conv2d(x, wt).data();
            const viaMatmul = await matmul(wt.reshape([cout, cin]), x.reshape([n, cin, h * w])).data();
            expect(compare(viaConv, viaMatmul, TOL).ok).toBe(true);
          });
        }),
      { numRuns: 15 },
    );
  });

  it('CPU == WebGPU for random conv2d configurations on every variant', async () => {
    await fc.assert(
      fc.asyncProperty(
        convGeometry,
        fc.boolean(),
        variant,
        async (s, bias, v) => {
          if (!fits(s)) return true;
          const run = (be: Backend) => F.conv2d(
            hashedTensor([s.n, s.cinG * s.g, s.h, s.w], s.seed, be), hashedTensor([s.coutG * s.g, s.cinG, s.kh, s.kw], s.seed + 1, be),
            bias ? hashedTensor([s.coutG * s.g], s.seed + 2, be) : null, convOptions(s),
          );
          const want = await run(cpu).data();
          const got = await withVariant(v, async () => run(gpu!).data());
          return compare(got, want, TOL).ok;
        },
      ),
      { numRuns: 40 },
    );
  });

  it('CPU == WebGPU for conv2d weight and bias gradients on random configurations', async () => {
    // Covers the weight-gradient kernels (register tiles split over channels, or over kc rows for ≤ 4 channels per
    // group) with split-K, stride, padding, dilation and groups.
    await fc.assert(
      fc.asyncProperty(
        convGeometry,
        async (s) => {
          if (!fits(s)) return true;
          const run = async (be: Backend) => {
            const w = hashedTensor([s.coutG * s.g, s.cinG, s.kh, s.kw], s.seed + 1, be).requiresGrad_();
            const b = hashedTensor([s.coutG * s.g], s.seed + 2, be).requiresGrad_();
            const out = F.conv2d(hashedTensor([s.n, s.cinG * s.g, s.h, s.w], s.seed, be), w, b, convOptions(s));
            const [gw, gb] = grad(out, [w, b], { gradOutputs: [hashedTensor([...out.shape], s.seed + 3, be)] });
            return [await gw!.data(), await gb!.data()];
          };
          const [wantW, wantB] = await run(cpu);
          const [gotW, gotB] = await run(gpu!);
          return compare(gotW!, wantW!, { rtol: 1e-4, atol: 1e-4 }).ok && compare(gotB!, wantB!, { rtol: 1e-4, atol: 1e-4 }).ok;
        },
      ),
      { numRuns: 40 },
    );
  });

  it('CPU == WebGPU for one channel per group (depthwise, single-channel filters): conv2d, its input / weight / bias gradients, convTranspose2d', async () => {
    // The strip kernels for cin = cout = groups on software adapters (wide strides or dilations fall back to the
    // register-tiled kernels): values, the fused activation epilogue, the input gradient (a stride-1 transposed conv
    // through the same kernel), stride > 1 transposed convs (per-phase strips written through the out map), and the
    // weight and bias gradients (strip partial sums per slab, then their sum).
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 6 }), h: fc.integer({ min: 1, max: 19 }), w: fc.integer({ min: 1, max: 21 }),
          kh: fc.integer({ min: 1, max: 7 }), kw: fc.integer({ min: 1, max: 7 }), sh: fc.integer({ min: 1, max: 3 }), sw: fc.integer({ min: 1, max: 3 }),
          ph: fc.integer({ min: 0, max: 3 }), pw: fc.integer({ min: 0, max: 3 }), dh: fc.integer({ min: 1, max: 3 }), dw: fc.integer({ min: 1, max: 3 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        fc.boolean(),
        fc.constantFrom<Activation | undefined>(undefined, 'silu', { kind: 'leakyRelu', negativeSlope: 0.2, gain: Math.SQRT2 }),
        async (s, bias, activation) => {
          if (s.h + 2 * s.ph < s.dh * (s.kh - 1) + 1 || s.w + 2 * s.pw < s.dw * (s.kw - 1) + 1) return true;
          const opts = { stride: [s.sh, s.sw] as Pair, padding: [s.ph, s.pw] as Pair, dilation: [s.dh, s.dw] as Pair, groups: s.g };
          const run = async (be: Backend) => {
            const x = hashedTensor([s.n, s.g, s.h, s.w], s.seed, be).requiresGrad_();
            const w = hashedTensor([s.g, 1, s.kh, s.kw], s.seed + 1, be).requiresGrad_();
            const b = bias ? hashedTensor([s.g], s.seed + 2, be).requiresGrad_() : null;
            const y = F.conv2d(x, w, b, { ...opts, activation });
            const [gx, gw, gb] = grad(y, b ? [x, w, b] : [x, w], { gradOutputs: [hashedTensor([...y.shape], s.seed + 3, be)] });
            const tp: Pair = [Math.min(s.ph, s.kh - 1), Math.min(s.pw, s.kw - 1)];
            const tOk = (s.h - 1) * s.sh - 2 * tp[0] + s.kh > 0 && (s.w - 1) * s.sw - 2 * tp[1] + s.kw > 0;
            const t = tOk ? await F.convTranspose2d(x, w, b, { stride: [s.sh, s.sw], padding: tp, groups: s.g }).data() : new Float32Array(0);
            return [await y.data(), await gx!.data(), t, await gw!.data(), gb ? await gb.data() : new Float32Array(0)];
          };
          const want = await run(cpu);
          const got = await run(gpu!);
          // Weight and bias gradients sum over batch × space: the weight-gradient test's tolerance.
          return want.every((wv, i) => compare(got[i]!, wv, i < 3 ? TOL : { rtol: 1e-4, atol: 1e-4 }).ok);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('CPU == WebGPU for random convTranspose2d configurations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          n: fc.integer({ min: 1, max: 2 }), g: fc.integer({ min: 1, max: 2 }), cinG: fc.integer({ min: 1, max: 5 }), coutG: fc.integer({ min: 1, max: 6 }),
          h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 7 }), k: fc.integer({ min: 1, max: 4 }), s: fc.integer({ min: 1, max: 3 }),
          p: fc.integer({ min: 0, max: 1 }), d: fc.integer({ min: 1, max: 2 }), op: fc.integer({ min: 0, max: 2 }), seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        async (s) => {
          if (s.op >= s.s && s.op >= s.d) return true;
          if ((Math.min(s.h, s.w) - 1) * s.s - 2 * s.p + s.d * (s.k - 1) + s.op + 1 <= 0) return true;
          const run = (be: Backend) => F.convTranspose2d(
            hashedTensor([s.n, s.cinG * s.g, s.h, s.w], s.seed, be), hashedTensor([s.cinG * s.g, s.coutG, s.k, s.k], s.seed + 1, be),
            hashedTensor([s.coutG * s.g], s.seed + 2, be), { stride: s.s, padding: s.p, dilation: s.d, outputPadding: s.op, groups: s.g },
          );
          return compare(await run(gpu!).data(), await run(cpu).data(), TOL).ok;
        },
      ),
      { numRuns: 30 },
    );
  });
});
