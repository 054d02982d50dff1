// Tests of the rudi/Augmentor pipeline: identities, Augmentor's drawn-parameter distributions, the exact-count mode
// and determinism, on every backend.
import { describe, expect, it } from 'vitest';
import { tensor, type Tensor } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { distortImage, flipImage, HostRandom, Pipeline, rotateCrop, rotateImage, rudiPreset, zoomImage } from './index.js';

const backends = await testBackends();

function ramp(n: number, c: number, h: number, w: number): Float32Array {
  const a = new Float32Array(n * c * h * w);
  for (let i = 0; i < a.length; i++) a[i] = ((i * 37) % 101) / 100;
  return a;
}

async function values(t: Tensor): Promise<Float32Array> {
  return Float32Array.from((await t.data()) as Float32Array);
}

describe.each(backends.map((b) => [b.name, b] as const))('rudi geometry on %s', (_name, backend) => {
  const data = ramp(2, 3, 12, 16);
  const batch = () => tensor(data, { backend, shape: [2, 3, 12, 16] });
  const one = () => tensor(data.subarray(0, 3 * 12 * 16), { backend, shape: [1, 3, 12, 16] });

  it('a pipeline whose operations never fire (exact gate, p = 0) returns the inputs', async () => {
    const p = new Pipeline({ gate: 'exact' })
      .rotate({ probability: 0, maxLeft: 15, maxRight: 15 })
      .zoom({ probability: 0, minFactor: 1, maxFactor: 1.2 })
      .randomDistortion({ probability: 0, gridWidth: 4, gridHeight: 4, magnitude: 5 })
      .flipRandom({ probability: 0 });
    const { images, params } = p.sampleFor(batch(), 2, { generator: new HostRandom(3) });
    expect(images.shape).toEqual([4, 3, 12, 16]);
    expect(params.every((s) => s.operations.every((o) => !o.applied))).toBe(true);
    const out = await values(images);
    const plane = 3 * 12 * 16;
    for (let k = 0; k < 4; k++) {
      const src = params[k]!.source;
      expectClose(out.subarray(k * plane, (k + 1) * plane), data.subarray(src * plane, (src + 1) * plane), { rtol: 0, atol: 0 }, `output ${k}`);
    }
  });

  it('rotate by 0 and zoom 1 are identities', async () => {
    expect(rotateCrop(16, 12, 0)).toEqual({ canvas: [16, 12], box: [0, 0, 16, 12] });
    const ref = data.subarray(0, 3 * 12 * 16);
    expectClose(await values(rotateImage(one(), 0)), ref, { rtol: 0, atol: 1e-6 }, 'rotate 0');
    expectClose(await values(zoomImage(one(), 1)), ref, { rtol: 0, atol: 1e-6 }, 'zoom 1');
    expectClose(await values(distortImage(one(), 4, 4, Array.from({ length: 9 }, () => [0, 0] as [number, number]))), ref, { rtol: 0, atol: 1e-5 }, 'distortion with zero shifts');
  });

  it('refuses a distortion grid larger than the image, with a message (not a TypeError)', () => {
    const tiny = tensor(new Float32Array(27), { shape: [1, 3, 3, 3] });
    expect(() => distortImage(tiny, 4, 4, Array.from({ length: 9 }, () => [0, 0] as [number, number]))).toThrow(
      'distortImage: a 3×3 image is smaller than its 4×4 distortion grid (every tile needs at least one pixel)',
    );
    tiny.dispose();
  });

  it('flipping twice along either axis is the identity, once mirrors', async () => {
    const ref = data.subarray(0, 3 * 12 * 16);
    for (const axis of [0, 1] as const) {
      const f = flipImage(one(), axis);
      expectClose(await values(flipImage(f, axis)), ref, { rtol: 0, atol: 0 }, `double flip ${axis}`);
    }
    const lr = await values(flipImage(one(), 0));
    expect(lr[0]).toBe(ref[15]);
    const tb = await values(flipImage(one(), 1));
    expect(tb[0]).toBe(ref[11 * 16]);
  });

  it('rotation and zoom keep a constant image constant away from the corners', async () => {
    const c = tensor(new Float32Array(3 * 24 * 24).fill(0.5), { backend, shape: [1, 3, 24, 24] });
    const r = await values(rotateImage(c, 12));
    const z = await values(zoomImage(c, 1.17));
    // Augmentor's crop keeps the rotated canvas corners out for this angle; the centre row is pure image.
    for (let u = 4; u < 20; u++) expect(Math.abs(r[12 * 24 + u]! - 0.5)).toBeLessThan(1e-5);
    for (let i = 0; i < z.length; i++) expect(Math.abs(z[i]! - 0.5)).toBeLessThan(1e-5);
  });

  it('the same seed gives the same outputs and parameters', async () => {
    const a = rudiPreset().sampleFor(batch(), 3, { generator: new HostRandom(7) });
    const b = rudiPreset().sampleFor(batch(), 3, { generator: new HostRandom(7) });
    expect(a.params).toEqual(b.params);
    expectClose(await values(a.images), await values(b.images), { rtol: 0, atol: 0 }, 'same seed');
  });
});

describe('rudi parameter draws (host)', () => {
  const dummySource = 0;

  it('p = 0.7 with the Augmentor gate fires 75 % (round(u, 1) <= 0.7), the exact gate 70 %', () => {
    const rng = new HostRandom(1);
    const aug = rudiPreset();
    const exact = new Pipeline({ gate: 'exact' }).rotate({ probability: 0.7, maxLeft: 15, maxRight: 15 });
    let fired = 0;
    let firedExact = 0;
    const n = 2000;
    for (let i = 0; i < n; i++) {
      if (aug.draw(dummySource, rng).operations[0]!.applied) fired++;
      if (exact.draw(dummySource, rng).operations[0]!.applied) firedExact++;
    }
    // Binomial standard deviation at n = 2000 is about 1 %; allow 3.5 sigma.
    expect(Math.abs(fired / n - 0.75)).toBeLessThan(0.035);
    expect(Math.abs(firedExact / n - 0.7)).toBeLessThan(0.036);
    const zero = new Pipeline().flipRandom({ probability: 0 });
    let z = 0;
    for (let i = 0; i < n; i++) if (zero.draw(0, rng).operations[0]!.applied) z++;
    expect(Math.abs(z / n - 0.05)).toBeLessThan(0.02);
  });

  it('angles are integers in [-15, 15] drawn as Augmentor does (0 twice as likely), zoom in [1, 1.2] on a 0.01 lattice, shifts within ±5', () => {
    const rng = new HostRandom(2);
    const p = rudiPreset({ probability: 1 });
    const counts = new Map<number, number>();
    const factors: number[] = [];
    const n = 6400;
    for (let i = 0; i < n; i++) {
      const [r, zm, d] = p.draw(0, rng).operations as [any, any, any];
      expect(Number.isInteger(r.degrees) && r.degrees >= -15 && r.degrees <= 15).toBe(true);
      counts.set(r.degrees, (counts.get(r.degrees) ?? 0) + 1);
      expect(zm.factor).toBeGreaterThanOrEqual(1);
      expect(zm.factor).toBeLessThanOrEqual(1.2);
      expect(Math.abs(zm.factor * 100 - Math.round(zm.factor * 100))).toBeLessThan(1e-9);
      factors.push(zm.factor);
      expect(d.shifts).toHaveLength(9);
      for (const [dx, dy] of d.shifts) expect(Math.abs(dx) <= 5 && Math.abs(dy) <= 5 && Number.isInteger(dx) && Number.isInteger(dy)).toBe(true);
    }
    expect(counts.size).toBe(31);
    // P(angle = k) = 1/32 for k ≠ 0 and 2/32 for 0: 200 and 400 expected out of 6400.
    for (const [k, c] of counts) expect(Math.abs(c - (k === 0 ? 400 : 200))).toBeLessThan(k === 0 ? 75 : 55);
    const mean = factors.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 1.1)).toBeLessThan(0.005);
  });

  it('skew draws Augmentor amounts, kinds and directions (RANDOM: TILT, TILT_LEFT_RIGHT, TILT_TOP_BOTTOM, CORNER)', () => {
    const rng = new HostRandom(4);
    const p = new Pipeline().skew({ probability: 1, magnitude: 0.2 });
    const seen = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) {
      const s = p.draw(0, rng, [20, 30]).operations[0] as any;
      expect(s.amount >= 1 && s.amount <= 6 && Number.isInteger(s.amount)).toBe(true); // ceil(30 · 0.2) = 6
      seen.set(`${s.kind}${s.direction}`, (seen.get(`${s.kind}${s.direction}`) ?? 0) + 1);
    }
    // TILT directions: 0, 1 from TILT (1/16 each) + TILT_LEFT_RIGHT (1/8 each) = 3/16; 2, 3 likewise; CORNER d: 1/32.
    for (const d of [0, 1, 2, 3]) expect(Math.abs(seen.get(`TILT${d}`)! / n - 3 / 16)).toBeLessThan(0.025);
    for (let d = 0; d < 8; d++) expect(Math.abs(seen.get(`CORNER${d}`)! / n - 1 / 32)).toBeLessThan(0.012);
    expect(() => p.draw(0, rng)).toThrow(/skew needs the image size/);
  });

  it('sampleFor gives exactly N variants per source; sample draws sources with replacement', async () => {
    const backend = backends[0]!;
    const imgs = tensor(ramp(3, 1, 8, 8), { backend, shape: [3, 1, 8, 8] });
    const p = rudiPreset();
    const per = p.sampleFor(imgs, 4, { generator: new HostRandom(5) });
    expect(per.images.shape).toEqual([12, 1, 8, 8]);
    expect(per.params.map((s) => s.source)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    const sampled = p.sample(imgs, 30, { generator: new HostRandom(5) });
    expect(sampled.images.shape).toEqual([30, 1, 8, 8]);
    const seen = new Set(sampled.params.map((s) => s.source));
    expect(seen).toEqual(new Set([0, 1, 2]));
  });

  it('rejects bad input with named errors', () => {
    const backend = backends[0]!;
    expect(() => new Pipeline().rotate({ probability: 1.5, maxLeft: 1, maxRight: 1 })).toThrow(/Pipeline.rotate: probability/);
    expect(() => new Pipeline().rotate({ probability: Number.NaN, maxLeft: 1, maxRight: 1 })).toThrow(/Pipeline.rotate/);
    expect(() => new Pipeline().zoom({ probability: 1, minFactor: 1.3, maxFactor: 1.2 })).toThrow(/Pipeline.zoom/);
    expect(() => rudiPreset().sampleFor(tensor(new Float32Array(4), { backend, shape: [4] }), 2)).toThrow(/Pipeline.sampleFor: images must be/);
    expect(() => rudiPreset().sampleFor(tensor(new Float32Array(4), { backend, shape: [1, 1, 2, 2] }), 0)).toThrow(/variantsPerImage/);
    expect(() => new HostRandom(-1)).toThrow(/HostRandom/);
  });
});
