// The Philox generator: known-answer vectors, bit-identical CPU/WebGPU streams, and distribution sanity.
import { describe, expect, it } from 'vitest';
import { philox4x32 } from './random.js';
import { Generator, rand, randint, randn, randomBits, uniform, dispose } from './index.js';
import { expectClose, testBackends } from './testing/index.js';

const backends = await testBackends();

describe('Philox4x32-10', () => {
  it('reproduces the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, 0, 0, out);
    expect(Array.from(out, (v) => v.toString(16).padStart(8, '0'))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out);
    expect(Array.from(out, (v) => v.toString(16).padStart(8, '0'))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, out);
    expect(Array.from(out, (v) => v.toString(16).padStart(8, '0'))).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });
});

describe('random streams', () => {
  const gpu = backends.find((b) => b.name === 'webgpu');
  const cpu = backends[0]!;

  it.runIf(gpu !== undefined)('are bit-identical on CPU and WebGPU (bits, uniform, randint) for the same seed', async () => {
    for (const [seed, n] of [[0, 1], [1, 7], [42, 1001], [2 ** 40 + 3, 4099]] as const) {
      const draw = async (backend: typeof cpu) => {
        const g = new Generator(seed);
        const ts = [randomBits([n], { backend, generator: g }), rand([n], { backend, generator: g }), randint(-5, 1000, [n], { backend, generator: g }), uniform([n], -2, 3, { backend, generator: g })];
        const d = await Promise.all(ts.map((t) => t.data()));
        dispose(ts);
        return d.map((x) => Array.from(x));
      };
      const [a, b] = [await draw(cpu), await draw(gpu!)];
      expect(b[0]).toEqual(a[0]);
      expect(b[1]).toEqual(a[1]);
      expect(b[2]).toEqual(a[2]);
      // uniform(low, high) = low + (high-low)·u: one rounding in float32 on each side; a device may fuse it into an FMA.
      expectClose(b[3]!, a[3]!, { rtol: 0, atol: 5e-7 }, 'uniform(-2, 3)');
    }
  });

  it.runIf(gpu !== undefined)('normal samples agree between CPU and WebGPU within float32 rounding of log/cos', async () => {
    const a = randn([999], { backend: cpu, generator: new Generator(9) });
    const b = randn([999], { backend: gpu!, generator: new Generator(9) });
    expectClose(Array.from(await b.data()), Array.from(await a.data()), { rtol: 1e-5, atol: 2e-6 }, 'randn');
    dispose([a, b]);
  });

  for (const backend of backends) {
    it(`has the right moments and range on ${backend.name}`, async () => {
      const n = 200_000;
      const g = new Generator(123);
      const u = Array.from(await rand([n], { backend, generator: g }).data());
      const z = Array.from(await randn([n], { backend, generator: g }).data());
      const k = Array.from(await randint(0, 10, [n], { backend, generator: g }).data());
      const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
      const vr = (v: number[]) => { const m = mean(v); return v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length; };
      expect(u.reduce((m, x) => Math.min(m, x), 1)).toBeGreaterThanOrEqual(0);
      expect(u.reduce((m, x) => Math.max(m, x), 0)).toBeLessThan(1);
      expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.005);
      expect(Math.abs(vr(u) - 1 / 12)).toBeLessThan(0.002);
      expect(Math.abs(mean(z))).toBeLessThan(0.01);
      expect(Math.abs(vr(z) - 1)).toBeLessThan(0.02);
      const counts = new Array(10).fill(0);
      for (const v of k) counts[v]++;
      for (const c of counts) expect(Math.abs(c / n - 0.1)).toBeLessThan(0.005);
    });
  }

  it('successive draws continue the stream; the same seed restarts it', async () => {
    const g = new Generator(5);
    const a = Array.from(await rand([6], { backend: cpu, generator: g }).data());
    const b = Array.from(await rand([6], { backend: cpu, generator: g }).data());
    expect(a).not.toEqual(b);
    g.manualSeed(5);
    expect(Array.from(await rand([6], { backend: cpu, generator: g }).data())).toEqual(a);
  });
});
