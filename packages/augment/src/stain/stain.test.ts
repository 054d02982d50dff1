// Stain operations on the bundled IHC image: skimage rgb2hed agreement, round trips, Macenko vectors vs a numpy
// reference (tools/reference/gen_augment_stain.py) and the standard haematoxylin/DAB vectors, on every backend.
import { readFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { Generator, type Backend, type Tensor, tensor, uniform } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { eigSym3, percentile } from './host-math.js';
import { RGB_FROM_HED, hed2rgb, hedAugment, macenkoNormalize, macenkoStainMatrix, rgb2hed } from './index.js';

const fx = JSON.parse(readFileSync(new URL('../../fixtures/augment-stain.json', import.meta.url), 'utf8'));
const png = PNG.sync.read(readFileSync(new URL('../../fixtures/ihc.png', import.meta.url)));
const backends = await testBackends();

/** Image region as float32 CHW in [0, 1]. */
function ihc(y0: number, x0: number, h: number, w: number): Float32Array {
  const out = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[c * h * w + y * w + x] = png.data[((y0 + y) * png.width + x0 + x) * 4 + c]! / 255;
  }
  return out;
}
/** HWC (fixture layout) → CHW. */
function hwcToChw(v: number[], h: number, w: number): Float32Array {
  const out = new Float32Array(3 * h * w);
  for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) out[c * h * w + p] = v[p * 3 + c]!;
  return out;
}
const unit = (v: number[]) => v.map((x) => x / Math.hypot(...v));
const angleDeg = (a: number[], b: number[]) => (Math.acos(Math.min(1, unit(a).reduce((s, x, i) => s + x * unit(b)[i]!, 0))) * 180) / Math.PI;
const column = (m: number[][], k: number) => m.map((r) => r[k]!);

describe('host math', () => {
  it('eigSym3 diagonalises and percentile matches numpy linear interpolation', () => {
    const m = [[4, 1, 0.5], [1, 3, 0.2], [0.5, 0.2, 1]];
    const { values, vectors } = eigSym3(m);
    for (let k = 0; k < 3; k++) {
      const v = column(vectors, k);
      const mv = m.map((r) => r.reduce((s, x, i) => s + x * v[i]!, 0));
      mv.forEach((x, i) => expect(x).toBeCloseTo(values[k]! * v[i]!, 10));
    }
    expect(values[0]).toBeLessThan(values[1]!);
    expect(percentile(Float64Array.from([3, 1, 4, 2]), 50)).toBe(2.5);
    expect(percentile(Float64Array.from([0, 10]), 99)).toBeCloseTo(9.9, 12);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('stain on %s', (_name, backend: Backend) => {
  const [y0, x0, s] = fx.rgb2hed.crop as [number, number, number];
  const crop = tensor(hwcToChw(fx.rgb2hed.input.map((v: number) => v / 255), s, s), { shape: [3, s, s], backend });

  it('rgb2hed matches skimage.color.rgb2hed on an IHC crop, hed2rgb its round trip', async () => {
    expect(Array.from(ihc(y0, x0, 1, 1))).toEqual([0, 1, 2].map((c) => fx.rgb2hed.input[c] / 255).map(Math.fround));
    const hed = rgb2hed(crop);
    await close(hed, tensor(hwcToChw(fx.rgb2hed.hed, s, s), { shape: [3, s, s] }), { rtol: 1e-4, atol: 2e-6 }, 'rgb2hed');
    const back = hed2rgb(hed);
    await close(back, tensor(hwcToChw(fx.rgb2hed.roundtrip, s, s), { shape: [3, s, s] }), { rtol: 1e-4, atol: 2e-6 }, 'hed2rgb');
    // rgb2hed clamps negative concentrations at 0 (as skimage does; the IHC image has no eosin, so its E
    // channel is clamped), hence the exact inverse pair is checked from positive concentrations.
    const conc = uniform([2, 3, 5, 5], 0.005, 0.05, { backend, generator: new Generator(11) });
    await close(rgb2hed(hed2rgb(conc)), conc, { rtol: 1e-4, atol: 2e-6 }, 'rgb2hed(hed2rgb(c)) = c');
  });

  it('hedAugment is deterministic by seed, keeps the shape, perturbs within the documented range', async () => {
    const batch = crop.reshape(1, 3, s, s).expand(2, 3, s, s).clone();
    const a = hedAugment(batch, { generator: new Generator(3) });
    const b = hedAugment(batch, { generator: new Generator(3) });
    expect(a.shape).toEqual([2, 3, s, s]);
    expect(Array.from(await a.data())).toEqual(Array.from(await b.data()));
    const zero = hedAugment(batch, { sigma: 0, bias: 0, generator: new Generator(3) });
    await close(zero, hed2rgb(rgb2hed(batch)), { rtol: 0, atol: 1e-6 }, 'sigma = bias = 0');
    const d = (await a.sub(batch).abs().amax().item());
    expect(d).toBeGreaterThan(1e-3);
    // The same draws (α then β, [N, 3]) applied by hand in HED space give the same image.
    const g = new Generator(3);
    const alpha = uniform([2, 3, 1, 1], 0.95, 1.05, { backend, generator: g });
    const beta = uniform([2, 3, 1, 1], -0.05, 0.05, { backend, generator: g });
    await close(a, hed2rgb(rgb2hed(batch).mul(alpha).add(beta)), { rtol: 1e-5, atol: 1e-6 }, 'hedAugment by hand');
    expect(() => hedAugment(tensor([1, 2], { backend }))).toThrow(/hedAugment: expected an image/);
    expect(() => hedAugment(batch, { sigma: -1 })).toThrow(/hedAugment: sigma/);
  });
});

describe('Macenko on the IHC image', () => {
  const full = tensor(ihc(0, 0, png.height, png.width), { shape: [3, png.height, png.width] });

  it('matches the numpy reference and recovers plausible H and DAB vectors', async () => {
    const ref = await macenkoStainMatrix(full);
    expectCloseArray(ref.stainMatrix.flat(), (fx.macenko.stainMatrix as number[][]).flat(), 1e-4);
    expectCloseArray(ref.maxC, fx.macenko.maxC, 1e-4);
    for (const k of [0, 1]) {
      const v = column(ref.stainMatrix, k);
      expect(Math.hypot(...v)).toBeCloseTo(1, 10);
      v.forEach((x) => expect(x).toBeGreaterThan(0));
    }
    // Documented bound: within 8° of skimage's standard haematoxylin and 10° of DAB OD vectors.
    console.log(`H angle ${angleDeg(column(ref.stainMatrix, 0), RGB_FROM_HED[0]!)}°, DAB angle ${angleDeg(column(ref.stainMatrix, 1), RGB_FROM_HED[2]!)}°`);
    expect(angleDeg(column(ref.stainMatrix, 0), RGB_FROM_HED[0]!)).toBeLessThan(8);
    expect(angleDeg(column(ref.stainMatrix, 1), RGB_FROM_HED[2]!)).toBeLessThan(10);
  });

  it.each(backends.map((b) => [b.name, b] as const))('normalising an image to itself is ~identity on %s', async (_n, backend) => {
    const img = tensor(ihc(128, 128, 64, 64), { shape: [1, 3, 64, 64], backend });
    const out = await macenkoNormalize(img, img);
    expect(out.shape).toEqual([1, 3, 64, 64]);
    const diff = (await out.sub(img).abs().data()) as Float32Array;
    const mean = diff.reduce((a, b) => a + b, 0) / diff.length;
    console.log(`Macenko self-normalisation on ${backend.name}: mean abs ${mean.toExponential(2)}, max ${Math.max(...diff).toExponential(2)}`);
    expect(mean).toBeLessThan(0.02);
    await expect(macenkoNormalize(img, { stainMatrix: [[1, 0]], maxC: [1, 1] })).rejects.toThrow(/macenkoNormalize: target.stainMatrix/);
    await expect(macenkoStainMatrix(tensor(new Float32Array(3 * 4).fill(1), { shape: [3, 2, 2], backend }))).rejects.toThrow(/non-transparent/);
    await expect(macenkoStainMatrix(tensor(new Float32Array(3 * 4).fill(NaN), { shape: [3, 2, 2], backend }))).rejects.toThrow(/non-finite/);
  });
});

/** Reads both tensors back and compares them; logs the errors (quoted in the report). */
async function close(a: Tensor, b: Tensor, tol: { rtol: number; atol: number }, label: string): Promise<void> {
  expect(a.shape).toEqual(b.shape);
  const r = expectClose(await a.data(), await b.data(), tol, label);
  console.log(`${label} on ${a.backend.name}: max abs ${r.maxAbs.toExponential(2)}, max rel ${r.maxRel.toExponential(2)}`);
}

function expectCloseArray(a: number[], b: number[], tol: number): void {
  expect(a.length).toBe(b.length);
  const err = Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));
  console.log(`Macenko vs numpy: max abs ${err.toExponential(2)}`);
  expect(err, `max abs err ${err}`).toBeLessThan(tol);
}
