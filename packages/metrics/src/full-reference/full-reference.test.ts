// PSNR, SSIM (four modes) and MS-SSIM against scikit-image (tools/reference/gen_metrics_fullref.py) and torchmetrics' own
// source at v1.4.1 and after PR #2721 (tools/reference/gen_metrics_ssim_torchmetrics.py) on every backend.
import { readFileSync } from 'node:fs';
import { tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { msSsim, psnr, ssim } from './index.js';
import { readPlanar, toTensor } from './test-images.js';

interface RefCase {
  name: string;
  a: string;
  b?: string;
  cropA?: number[];
  cropB?: number[];
  gamma?: number;
  dataRange: number;
  psnr: number;
  ssimSkimage: number;
  ssimWang: number;
  ssimTorchmetrics: number;
  msSsim?: number;
}

const ref: { cases: RefCase[] } = JSON.parse(readFileSync(new URL('../../fixtures/fullref.json', import.meta.url), 'utf8'));
interface TmValues { ssim: number[]; msSsim?: number[] }
const tm: { cases: { name: string; legacy: TmValues; current: TmValues }[] } = JSON.parse(
  readFileSync(new URL('../../fixtures/ssim-torchmetrics.json', import.meta.url), 'utf8'),
);
const backends = await testBackends();
const ATOL = 1e-4;
const worst: Record<string, number> = {};

function record(label: string, actual: number, expected: number): void {
  const err = Math.abs(actual - expected);
  worst[label] = Math.max(worst[label] ?? 0, err);
  expect(err, `${label}: ${actual} vs ${expected}`).toBeLessThanOrEqual(ATOL);
}

describe.each(backends.map((b) => [b.name, b] as const))('full-reference metrics vs scikit-image on %s', (name, backend) => {
  for (const c of ref.cases) {
    it(c.name, async () => {
      const pa = readPlanar(c.a);
      const scale = c.dataRange === 1 ? (v: number) => v / 255 : (v: number) => v;
      const a = toTensor([[pa, c.cropA ?? null]], backend, scale);
      const b = c.gamma
        ? toTensor([[pa, c.cropA ?? null]], backend, (v) => (v / 255) ** c.gamma!)
        : toTensor([[readPlanar(c.b!), c.cropB ?? null]], backend, scale);
      const opts = { dataRange: c.dataRange };
      record(`${name} psnr`, (await psnr(a, b, opts)).mean, c.psnr);
      record(`${name} ssim skimage`, (await ssim(a, b, { ...opts, mode: 'skimage' })).mean, c.ssimSkimage);
      record(`${name} ssim wang`, (await ssim(a, b, { ...opts, mode: 'wang' })).mean, c.ssimWang);
      const t = tm.cases.find((k) => k.name === c.name)!;
      record(`${name} ssim torchmetrics`, (await ssim(a, b, { ...opts, mode: 'torchmetrics' })).mean, t.current.ssim[0]!);
      const legacy = (await ssim(a, b, { ...opts, mode: 'torchmetrics-legacy' })).mean;
      record(`${name} ssim torchmetrics-legacy`, legacy, t.legacy.ssim[0]!);
      // The formula re-implementation of gen_metrics_fullref.py agrees with torchmetrics 1.4.1's own code.
      record(`${name} ssim torchmetrics-legacy vs formula`, legacy, c.ssimTorchmetrics);
      if (c.msSsim !== undefined) {
        record(`${name} msSsim`, (await msSsim(a, b, opts)).mean, t.current.msSsim![0]!);
        record(`${name} msSsim legacy`, (await msSsim(a, b, { ...opts, mode: 'torchmetrics-legacy' })).mean, t.legacy.msSsim![0]!);
        record(`${name} msSsim legacy vs formula`, t.legacy.msSsim![0]!, c.msSsim);
      }
      a.dispose();
      b.dispose();
    });
  }

  it('reproduces the documented scikit-image numbers for camera vs its noisy copy', async () => {
    const a = toTensor([[readPlanar('camera.png'), null]], backend);
    const b = toTensor([[readPlanar('camera-noisy.png'), null]], backend);
    expect((await ssim(a, b, { dataRange: 255, mode: 'skimage' })).mean).toBeCloseTo(0.3674518, 5);
    expect((await ssim(a, b, { dataRange: 255, mode: 'wang' })).mean).toBeCloseTo(0.35796, 4);
    a.dispose();
    b.dispose();
  });

  it('returns per-image values for a batch and maps of the documented size', async () => {
    const ihc = readPlanar('ihc.png');
    const cases = ref.cases.filter((c) => c.name.startsWith('ihc-crops-'));
    const c64 = cases.find((c) => c.name === 'ihc-crops-64')!;
    const a = toTensor([[ihc, c64.cropA!], [ihc, c64.cropB!]], backend);
    const b = toTensor([[ihc, c64.cropB!], [ihc, c64.cropB!]], backend);
    const r = await ssim(a, b, { dataRange: 255, mode: 'skimage', returnMap: true });
    expect(r.perImage).toHaveLength(2);
    expect(Math.abs(r.perImage[0]! - c64.ssimSkimage)).toBeLessThanOrEqual(ATOL);
    expect(r.perImage[1]).toBeCloseTo(1, 5);
    expect(r.mean).toBeCloseTo((r.perImage[0]! + r.perImage[1]!) / 2, 10);
    expect(r.map!.shape).toEqual([2, 3, 58, 74]);
    r.map!.dispose();
    for (const mode of ['torchmetrics', 'torchmetrics-legacy'] as const) {
      const t = await ssim(a, b, { dataRange: 255, mode, returnMap: true });
      expect(t.map!.shape).toEqual([2, 3, 64, 80]);
      t.map!.dispose();
    }
    const p = await psnr(a, b, { dataRange: 255 });
    expect(Math.abs(p.perImage[0]! - c64.psnr)).toBeLessThanOrEqual(ATOL);
    expect(p.perImage[1]).toBe(Infinity);
    expect(p.mean).toBe(Infinity);
    a.dispose();
    b.dispose();
  });

  it('property: SSIM(x, x) = 1, SSIM symmetric and ≤ 1, PSNR(x, x) = Infinity', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 11, max: 16 }),
        fc.integer({ min: 11, max: 16 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.constantFrom('wang' as const, 'skimage' as const, 'torchmetrics' as const, 'torchmetrics-legacy' as const),
        async (h, w, ch, seed, mode) => {
          let s = seed || 1;
          const rnd = (): number => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
          const n = ch * h * w;
          const xs = Float32Array.from({ length: n }, rnd);
          const ys = Float32Array.from({ length: n }, (_, i) => Math.min(1, Math.max(0, xs[i]! + 0.3 * (rnd() - 0.5))));
          const x = tensor(xs, { shape: [1, ch, h, w], backend });
          const y = tensor(ys, { shape: [1, ch, h, w], backend });
          const same = await ssim(x, x, { dataRange: 1, mode });
          expect(Math.abs(same.mean - 1)).toBeLessThan(1e-5);
          const xy = await ssim(x, y, { dataRange: 1, mode });
          const yx = await ssim(y, x, { dataRange: 1, mode });
          expect(Math.abs(xy.mean - yx.mean)).toBeLessThan(1e-6);
          expect(xy.mean).toBeLessThanOrEqual(1 + 1e-6);
          expect((await psnr(x, x, { dataRange: 1 })).mean).toBe(Infinity);
          x.dispose();
          y.dispose();
        },
      ),
      { numRuns: 8, seed: 42 },
    );
  });

  it('rejects bad input clearly', async () => {
    const x = tensor(new Float32Array(3 * 16 * 16), { shape: [1, 3, 16, 16], backend });
    const y = tensor(new Float32Array(3 * 16 * 15), { shape: [1, 3, 16, 15], backend });
    const small = tensor(new Float32Array(3 * 6 * 6), { shape: [1, 3, 6, 6], backend });
    const nan = tensor(new Float32Array(3 * 16 * 16).fill(Number.NaN), { shape: [1, 3, 16, 16], backend });
    await expect(ssim(x, y, { dataRange: 1, mode: 'wang' })).rejects.toThrow(/ssim: image shapes differ/);
    await expect(psnr(x, y, { dataRange: 1 })).rejects.toThrow(/psnr: image shapes differ/);
    await expect(ssim(x, x, { dataRange: 0, mode: 'wang' })).rejects.toThrow(/ssim: dataRange must be a positive/);
    await expect(ssim(x, x, { dataRange: 1, mode: 'nope' as 'wang' })).rejects.toThrow(/ssim: unknown mode 'nope'/);
    await expect(ssim(small, small, { dataRange: 1, mode: 'skimage' })).rejects.toThrow(/smaller than the 7×7 window/);
    await expect(ssim(nan, x, { dataRange: 1, mode: 'wang' })).rejects.toThrow(/ssim: .*NaN/);
    await expect(psnr(nan, x, { dataRange: 1 })).rejects.toThrow(/psnr: .*NaN/);
    await expect(msSsim(x, x, { dataRange: 1 })).rejects.toThrow(/msSsim: images of 16×16 are too small for 5 scales.*at least 176/);
    for (const t of [x, y, small, nan]) t.dispose();
  });
});

describe('full-reference error summary', () => {
  it('prints the worst absolute errors', () => {
    console.log('[fullref] worst |ours - reference|:', JSON.stringify(worst));
  });
});
