// Differentiable augmentation: identities, exact reference behaviour of each DiffAugment policy, determinism by
// seed, shapes, and gradcheck w.r.t. the image on every backend.
import { describe, expect, it } from 'vitest';
import { type Backend, Generator, type Tensor, rand, randint, tensor } from '@radix/tensor-webgpu';
import { expectClose, gradcheck, testBackends } from '@radix/tensor-webgpu/testing';
import { ADA_OPS, adaAugment, diffAugment } from './index.js';

const backends = await testBackends();

async function close(a: Tensor, b: Tensor | ArrayLike<number>, tol: { rtol: number; atol: number }, label: string): Promise<void> {
  const expected = 'shape' in b ? await b.data() : b;
  if ('shape' in b) expect(a.shape).toEqual(b.shape);
  const r = expectClose(await a.data(), expected, tol, label);
  console.log(`${label} on ${a.backend.name}: max abs ${r.maxAbs.toExponential(2)}`);
}

describe.each(backends.map((b) => [b.name, b] as const))('differentiable augmentation on %s', (_name, backend: Backend) => {
  const img = (shape: number[], seed = 5) => rand(shape, { backend, generator: new Generator(seed) });

  it('diffAugment color reproduces the documented brightness, saturation and contrast formulas', async () => {
    const x = img([2, 3, 4, 4]);
    const out = diffAugment(x, 'color', { generator: new Generator(9) });
    const g = new Generator(9);
    const [b, s, c] = [0, 1, 2].map(() => rand([2, 1, 1, 1], { backend, generator: g }));
    let e = x.add(b!.sub(0.5));
    const cm = e.mean(1, true);
    e = e.sub(cm).mul(s!.mul(2)).add(cm);
    const im = e.mean([1, 2, 3], true);
    e = e.sub(im).mul(c!.add(0.5)).add(im);
    await close(out, e, { rtol: 1e-5, atol: 1e-6 }, 'color');
  });

  it('diffAugment translation shifts by whole pixels with zero fill, cutout zeroes one clipped square', async () => {
    const [n, h, w] = [3, 8, 8];
    const x = img([n, 1, h, w]);
    const xd = await x.data();
    const t = diffAugment(x, 'translation', { generator: new Generator(4) });
    const g = new Generator(4);
    const ty = await randint(-1, 2, [n], { backend, generator: g }).data();
    const tx = await randint(-1, 2, [n], { backend, generator: g }).data();
    const expected = new Float32Array(n * h * w);
    for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const [si, sj] = [i + ty[k]!, j + tx[k]!];
      expected[(k * h + i) * w + j] = si >= 0 && si < h && sj >= 0 && sj < w ? xd[(k * h + si) * w + sj]! : 0;
    }
    await close(t, expected, { rtol: 0, atol: 0 }, 'translation');
    const cut = await diffAugment(x, 'cutout', { generator: new Generator(2) }).data();
    const g2 = new Generator(2);
    const oy = await randint(0, h + 1, [n], { backend, generator: g2 }).data();
    const ox = await randint(0, w + 1, [n], { backend, generator: g2 }).data();
    for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) {
      const inside = i >= oy[k]! - 2 && i < oy[k]! + 2 && j >= ox[k]! - 2 && j < ox[k]! + 2;
      expect(cut[(k * h + i) * w + j]).toBe(inside ? 0 : xd[(k * h + i) * w + j]);
    }
  });

  it('adaAugment with p = 0 is the identity; every op with p = 1 changes the image; shapes preserved', async () => {
    const x = img([2, 3, 16, 12]);
    await close(adaAugment(x, { p: 0, generator: new Generator(1) }), x, { rtol: 0, atol: 2e-6 }, 'ada p=0');
    for (const op of ADA_OPS) {
      const out = adaAugment(x, { p: 1, ops: [op], generator: new Generator(3) });
      expect(out.shape).toEqual([2, 3, 16, 12]);
      const d = await out.sub(x).abs().amax().item();
      expect(d, op).toBeGreaterThan(1e-3);
    }
    const gray = adaAugment(img([2, 1, 4, 4]), { p: 1, generator: new Generator(3) });
    expect(gray.shape).toEqual([2, 1, 4, 4]);
  });

  it('adaAugment xflip and rot90 alone are exact pixel permutations', async () => {
    const x = img([1, 1, 4, 4]);
    // With p = 1 the flip index is floor(2u); whichever branch was drawn, the output is x or its mirror.
    const f = await adaAugment(x, { p: 1, ops: ['xflip'], generator: new Generator(8) }).data();
    const cands = [await x.data(), await x.flip(3).data()];
    expect(cands.some((c) => c.every((v, i) => Math.abs(v - f[i]!) < 1e-6))).toBe(true);
    const r = await adaAugment(x, { p: 1, ops: ['rotate90'], generator: new Generator(8) }).data();
    const rots = [x, x.transpose(2, 3).flip(3), x.flip([2, 3]), x.transpose(2, 3).flip(2)];
    const rd = await Promise.all(rots.map((t) => t.data()));
    expect(rd.some((c) => c.every((v, i) => Math.abs(v - r[i]!) < 1e-5))).toBe(true);
  });

  it('is deterministic by seed and different across seeds', async () => {
    const x = img([2, 3, 6, 6]);
    for (const f of [
      (s: number) => diffAugment(x, 'color,translation,cutout', { generator: new Generator(s) }),
      (s: number) => adaAugment(x, { p: 0.8, generator: new Generator(s) }),
    ]) {
      const [a, b, c] = await Promise.all([f(1).data(), f(1).data(), f(2).data()]);
      expect(Array.from(a)).toEqual(Array.from(b));
      expect(Array.from(a)).not.toEqual(Array.from(c));
    }
  });

  it('rejects bad input', () => {
    const x = img([1, 3, 4, 4]);
    expect(() => diffAugment(tensor([1, 2, 3], { backend }), 'color')).toThrow(/diffAugment: expected an NCHW batch/);
    expect(() => diffAugment(x, 'color,blur')).toThrow(/diffAugment: unknown policy 'blur'/);
    expect(() => adaAugment(x, { p: 1.5 })).toThrow(/adaAugment: p must be a probability/);
    expect(() => adaAugment(img([1, 2, 4, 4]), { p: 0.5 })).toThrow(/adaAugment: colour ops need 1 or 3 channels/);
  });

  const policies: [string, (x: Tensor) => Tensor][] = [
    ['diffAugment color', (x) => diffAugment(x, 'color', { generator: new Generator(21) })],
    ['diffAugment translation', (x) => diffAugment(x, 'translation', { generator: new Generator(22) })],
    ['diffAugment cutout', (x) => diffAugment(x, 'cutout', { generator: new Generator(23) })],
    ['adaAugment geometric', (x) => adaAugment(x, { p: 1, ops: ADA_OPS.slice(0, 7), generator: new Generator(24) })],
    ['adaAugment colour', (x) => adaAugment(x, { p: 1, ops: ADA_OPS.slice(7), generator: new Generator(25) })],
  ];
  it.each(policies)('gradcheck of %s w.r.t. the image', async (label, f) => {
    const x = img([2, 3, 4, 4], 31);
    const r = await gradcheck(f, [x], { eps: 1e-2, atol: 5e-3, rtol: 5e-3 });
    console.log(`gradcheck ${label} on ${backend.name}: max abs ${r.errors[0]!.maxAbs.toExponential(2)}`);
    expect(r.ok, JSON.stringify(r.errors)).toBe(true);
  }, 120_000);
});

describe.runIf(backends.length > 1)('CPU and WebGPU agree', () => {
  it('for the full DiffAugment policy and ADA at p = 0.8 with one seed', async () => {
    const [cpu, gpu] = backends as [Backend, Backend];
    const data = await rand([2, 3, 8, 8], { backend: cpu, generator: new Generator(40) }).data();
    const run = (b: Backend) => {
      const x = tensor(data, { shape: [2, 3, 8, 8], backend: b });
      return [
        diffAugment(x, 'color,translation,cutout', { generator: new Generator(41) }),
        adaAugment(x, { p: 0.8, generator: new Generator(42) }),
      ];
    };
    const [a, b] = [run(cpu), run(gpu)];
    for (let k = 0; k < 2; k++) await close(b[k]!, a[k]!, { rtol: 1e-4, atol: 2e-5 }, k === 0 ? 'diffAugment cpu↔webgpu' : 'adaAugment cpu↔webgpu');
  });
});
