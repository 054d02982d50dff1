// Tests of the batch image ops against PyTorch/torchvision fixtures (tools/reference/gen_augment_ops.py) and
// geometric identities, determinism and properties on every backend.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Generator, type Tensor, rand, tensor } from '@radix/tensor-webgpu';
import { type FixtureFile, compare, decode, expectClose, fixtureTensor, testBackends } from '@radix/tensor-webgpu/testing';
import {
  adjustBrightness, adjustContrast, adjustGamma, adjustHue, adjustSaturation, affine, affineMatrix, centerCrop, cropToSquare,
  cutout, elasticDeform, gaussianBlur, gaussianNoise, hflip, randomAffine, randomCrop, resize, rot90, vflip,
} from './index.js';

const fixtures: FixtureFile = JSON.parse(readFileSync(new URL('../../fixtures/augment-ops.json', import.meta.url), 'utf8'));
const backends = await testBackends();
const data = async (t: Tensor) => Array.from(await t.data());
const thetaOf = (flat: number[]) => [0, 1].map((i) => [0, 1].map((r) => flat.slice(6 * i + 3 * r, 6 * i + 3 * r + 3)));
export const worst: Record<string, { abs: number; rel: number }> = {};

describe.each(backends.map((b) => [b.name, b] as const))('ops vs PyTorch/torchvision on %s', (_n, backend) => {
  for (const c of fixtures.cases) {
    it(c.name, async () => {
      const x = fixtureTensor(c.inputs[0]!, backend);
      const a = c.args as Record<string, any>;
      let out: Tensor;
      switch (c.op) {
        case 'affine': out = affine(x, thetaOf(a.theta), { fill: a.fill }).images; break;
        case 'affineMask': {
          const imgs = tensor(new Float32Array(2 * 3 * 7 * 9), { shape: [2, 3, 7, 9], backend });
          out = affine(imgs, thetaOf(a.theta), { masks: x }).masks!;
          break;
        }
        case 'resize': out = resize(x, a.size, { mode: a.mode, antialias: a.antialias }).images; break;
        case 'adjustBrightness': out = adjustBrightness(x, a.factor); break;
        case 'adjustContrast': out = adjustContrast(x, a.factor); break;
        case 'adjustSaturation': out = adjustSaturation(x, a.factor); break;
        case 'adjustHue': out = adjustHue(x, a.factor); break;
        case 'adjustGamma': out = adjustGamma(x, a.gamma, a.gain); break;
        case 'gaussianBlur': out = gaussianBlur(x, a.kernelSize, a.sigma); break;
        default: throw new Error(`unknown op ${c.op}`);
      }
      const exp = c.expected as { shape: number[]; data: (number | string)[] };
      expect([...out.shape]).toEqual(exp.shape);
      const got = await data(out);
      const want = decode(exp.data);
      const tol = { rtol: 1e-4, atol: 2e-5 };
      const r = compare(got, want, tol);
      worst[`${backend.name} ${c.name}`] = { abs: r.maxAbs, rel: r.maxRel };
      expectClose(got, want, tol, `${backend.name} ${c.name}`);
    });
  }
});

describe.each(backends.map((b) => [b.name, b] as const))('geometry identities on %s', (_n, backend) => {
  const img = (seed: number, shape = [2, 3, 6, 8]) => rand(shape, { backend, generator: new Generator(seed) });

  it('identity parameters give the input back', async () => {
    const x = img(1);
    const m = rand([2, 1, 6, 8], { backend, generator: new Generator(2) });
    const xs = await data(x);
    const id = affine(x, [[[1, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 1, 0]]], { masks: m });
    expectClose(await data(id.images), xs, { atol: 1e-6 }, 'affine identity');
    expectClose(await data(id.masks!), await data(m), { atol: 0 }, 'mask identity');
    const ra = await randomAffine(x, { generator: new Generator(3) });
    expectClose(await data(ra.images), xs, { atol: 1e-6 }, 'randomAffine with no ranges');
    for (const y of [adjustBrightness(x, 1), adjustContrast(x, 1), adjustSaturation(x, 1), adjustHue(x, 0), adjustGamma(x, 1)]) {
      expectClose(await data(y), xs, { atol: 2e-6 }, 'colour identity');
    }
    expectClose(await data(resize(x, [6, 8]).images), xs, { atol: 1e-6 }, 'resize to same size');
    expectClose(await data(centerCrop(x, [6, 8]).images), xs, { atol: 0 }, 'full crop');
  });

  it('rot90 four times and double flips are identities; rot90 matches a transpose+flip', async () => {
    const x = img(4);
    const xs = await data(x);
    let y = x;
    for (let i = 0; i < 4; i++) y = rot90(y, 1).images;
    expect(await data(y)).toEqual(xs);
    expect(await data(rot90(x, -4).images)).toEqual(xs);
    expect(await data(hflip(hflip(x).images).images)).toEqual(xs);
    expect(await data(vflip(vflip(x).images).images)).toEqual(xs);
    expect(await data(rot90(x, 2).images)).toEqual(await data(hflip(vflip(x).images).images));
    const r1 = rot90(x, 1).images;
    expect([...r1.shape]).toEqual([2, 3, 8, 6]);
    // torch.rot90(k=1): out[i, j] = in[j, W-1-i].
    const r = await data(r1);
    expect(r[2 * 6 + 3]).toBe(xs[3 * 8 + (8 - 1 - 2)]);
  });

  it('affine by a 90° rotation on a square image equals rot90, and composition A∘B equals B then A', async () => {
    const x = img(5, [1, 2, 6, 6]);
    const q = affineMatrix({ angle: 90, translate: [0, 0], scale: 1, shear: [0, 0] }, 6, 6);
    expectClose(await data(affine(x, [q]).images), await data(rot90(x, 1).images), { atol: 1e-5 }, 'affine 90° = rot90');
    // Integer pixel translations: sampling exact, so composing matrices equals applying twice (interior pixels).
    const t1 = affineMatrix({ angle: 0, translate: [1, 0], scale: 1, shear: [0, 0] }, 6, 6);
    const t2 = affineMatrix({ angle: 0, translate: [0, 2], scale: 1, shear: [0, 0] }, 6, 6);
    const comp = [[t2[0]![0]!, t2[0]![1]!, t1[0]![2]! + t2[0]![2]!], [t2[1]![0]!, t2[1]![1]!, t1[1]![2]! + t2[1]![2]!]];
    const twice = affine(affine(x, [t1]).images, [t2]).images;
    expectClose(await data(affine(x, [comp]).images), await data(twice), { atol: 1e-5 }, 'translation composition');
    // Rotation by 90° twice equals rotation by 180° (exact grids).
    const r90 = affineMatrix({ angle: 90, translate: [0, 0], scale: 1, shear: [0, 0] }, 6, 6);
    const r180 = affineMatrix({ angle: 180, translate: [0, 0], scale: 1, shear: [0, 0] }, 6, 6);
    expectClose(await data(affine(affine(x, [r90]).images, [r90]).images), await data(affine(x, [r180]).images), { atol: 1e-5 }, 'rot∘rot');
  });

  it('crops: centre, to-square and random crops follow masks', async () => {
    const x = img(6);
    const xs = await data(x);
    const c = centerCrop(x, [2, 4]).images;
    const cs = await data(c);
    expect(cs.slice(0, 4)).toEqual(xs.slice(2 * 8 + 2, 2 * 8 + 6));
    expect([...cropToSquare(x).images.shape]).toEqual([2, 3, 6, 6]);
    const rc = await randomCrop(x, 3, { generator: new Generator(9), masks: x });
    expect(await data(rc.images)).toEqual(await data(rc.masks!));
    for (const p of rc.params) expect(p.top >= 0 && p.top <= 3 && p.left >= 0 && p.left <= 5).toBe(true);
    const p0 = rc.params[0]!;
    expect((await data(rc.images))[0]).toBe(xs[p0.top * 8 + p0.left]);
  });

  it('is deterministic by seed and bit-equal in parameters across backends', async () => {
    const x = img(7);
    const opts = { degrees: 30, translate: [0.2, 0.1] as [number, number], scale: [0.8, 1.2] as [number, number], shear: 10 };
    const a = await randomAffine(x, { ...opts, generator: new Generator(11) });
    const b = await randomAffine(x, { ...opts, generator: new Generator(11) });
    expect(await data(a.images)).toEqual(await data(b.images));
    expect(a.params).toEqual(b.params);
    for (const p of a.params) {
      expect(Math.abs(p.angle)).toBeLessThanOrEqual(30);
      expect(p.scale).toBeGreaterThanOrEqual(0.8);
      expect(Math.abs(p.translate[0])).toBeLessThanOrEqual(0.2 * 8);
    }
    const n1 = gaussianNoise(x, { std: 0.1, generator: new Generator(5) });
    const n2 = gaussianNoise(x, { std: 0.1, generator: new Generator(5) });
    expect(await data(n1)).toEqual(await data(n2));
    const c1 = await cutout(x, { size: 3, count: 2, generator: new Generator(8) });
    const c2 = await cutout(x, { size: 3, count: 2, generator: new Generator(8) });
    expect(c1.boxes).toEqual(c2.boxes);
    const cv = await data(c1.images);
    const bx = c1.boxes[0]![0]!;
    expect(cv[bx.top * 8 + bx.left]).toBe(0);
  });

  it('property: random affine masks stay a subset of the label values (nearest sampling)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 1 << 20 }), async (seed) => {
      const x = img(seed);
      const labels = tensor(Array.from({ length: 2 * 48 }, (_, i) => i % 3), { shape: [2, 1, 6, 8], backend });
      const r = await randomAffine(x, { degrees: 45, scale: [0.7, 1.3], generator: new Generator(seed), masks: labels });
      const m = await data(r.masks!);
      expect(m.every((v) => v === 0 || v === 1 || v === 2)).toBe(true);
    }), { numRuns: 5 });
  });

  it('property: flips and rot90 preserve the multiset of pixel values', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: -6, max: 6 }), fc.integer({ min: 0, max: 1000 }), async (k, seed) => {
      const x = img(seed, [1, 1, 3, 5]);
      const sorted = (a: number[]) => [...a].sort((p, q) => p - q);
      expect(sorted(await data(rot90(x, k).images))).toEqual(sorted(await data(x)));
    }), { numRuns: 8 });
  });

  it('rejects bad input with clear errors', async () => {
    const x = img(1);
    expect(() => affine(x, [[[1, 0, 0], [0, 1, 0]]])).toThrow(/affine: theta/);
    expect(() => affine(x, [[[NaN, 0, 0], [0, 1, 0]], [[1, 0, 0], [0, 1, 0]]])).toThrow(/non-finite/);
    expect(() => rot90(x, 1.5)).toThrow(/rot90: k/);
    expect(() => centerCrop(x, 10)).toThrow(/centerCrop: crop size/);
    expect(() => gaussianBlur(x, 4, 1)).toThrow(/odd/);
    expect(() => adjustHue(x, 0.7)).toThrow(/adjustHue/);
    expect(() => adjustContrast(x, [1])).toThrow(/per-image/);
    expect(() => adjustBrightness(x, NaN)).toThrow(/adjustBrightness/);
    expect(() => hflip(x, rand([1, 1, 6, 8], { backend }))).toThrow(/hflip: masks/);
    await expect(randomAffine(x, { scale: [2, 1] })).rejects.toThrow(/randomAffine: scale/);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('elasticDeform on %s', (_n, backend) => {
  it('alpha 0 is the identity; same seed same output; masks keep label values; displacement bounded', async () => {
    const x = rand([2, 3, 8, 8], { backend, generator: new Generator(1) });
    const xs = await data(x);
    expectClose(await data(elasticDeform(x, { alpha: 0, sigma: 2, generator: new Generator(2) }).images), xs, { atol: 1e-6 }, 'alpha 0');
    const labels = tensor(Array.from({ length: 128 }, (_, i) => (i >> 3) % 4), { shape: [2, 1, 8, 8], backend });
    const a = elasticDeform(x, { alpha: 2, sigma: 2, generator: new Generator(3), masks: labels });
    const b = elasticDeform(x, { alpha: 2, sigma: 2, generator: new Generator(3) });
    expect(await data(a.images)).toEqual(await data(b.images));
    expect((await data(a.masks!)).every((v) => [0, 1, 2, 3].includes(v))).toBe(true);
    expect(compare(await data(a.images), xs, { atol: 1e-6 }).ok).toBe(false);
    expect(() => elasticDeform(x, { alpha: -1, sigma: 2 })).toThrow(/elasticDeform: alpha/);
  });
});
