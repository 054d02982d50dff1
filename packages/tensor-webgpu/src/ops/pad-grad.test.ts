// pad is differentiable twice in every mode (constant mode used to fail in the second backward: its padded cells
// were marked with an out-of-range index that the scatter's gather gradient could not read).
import { describe, expect, it } from 'vitest';
import { type PadMode, grad, pad, tensor } from '../index.js';
import { testBackends } from '../testing/index.js';

const backends = await testBackends();

describe.each(backends.map((b) => [b.name, b] as const))('pad double backward (%s)', (_, backend) => {
  it.each(['constant', 'reflect', 'replicate', 'circular'] as PadMode[])('%s', async (mode) => {
    const xs = [0.5, -1, 2, 1.5, -0.25, 3];
    const x = tensor(xs, { shape: [1, 1, 2, 3], backend }).requiresGrad_();
    const padding = mode === 'constant' ? [2, -1, 1, 1] : [1, 1, 1, 0];
    const [g] = grad(pad(x, padding, mode).square().sum(), [x], { createGraph: true });
    // g = 2·x·count (count: how many output cells read each input), so d/dx Σ g² = 8·x·count².
    const [gg] = grad(g!.square().sum(), [x]);
    const gv = Array.from(await g!.data());
    const count = gv.map((v, i) => v / (2 * xs[i]!));
    expect(count.every((c) => Number.isInteger(Math.round(c)) && Math.abs(c - Math.round(c)) < 1e-5)).toBe(true);
    const want = xs.map((v, i) => 8 * v * Math.round(count[i]!) ** 2);
    const got = Array.from(await gg!.data());
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 4));
    if (mode === 'constant') expect(count.map(Math.round)).toEqual([1, 1, 0, 1, 1, 0]); // the last column is cropped
  });
});
