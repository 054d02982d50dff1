// The FID Inception-v3 module's input gradient against torch autograd through pytorch-fid's own fid_inception_v3()
// under the formula weights (tools/reference/gen_metrics_networks.py).
import { readFileSync } from 'node:fs';
import { grad, tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { FidInceptionV3, formulaWeights } from './index.js';

const fx = JSON.parse(readFileSync(new URL('../../fixtures/networks/inception-grad.json', import.meta.url), 'utf8')) as {
  value: number;
  grad: { shape: number[]; mean: number; std: number; dot: number; sampleIndex: number[]; samples: number[] };
};
const backends = await testBackends();

// ~30 s on the CPU backend: with WebGPU present the gradient is checked there (network.test.ts covers the CPU forward).
const gradBackends = backends.length > 1 ? backends.filter((b) => b.name !== 'cpu') : backends;
describe.each(gradBackends.map((b) => [b.name, b] as const))('FID Inception-v3 input gradient vs pytorch-fid on %s', (name, backend) => {
  it('d/dx of sum(pool3 · w) for a 75×75 input', async () => {
    const net = new FidInceptionV3(formulaWeights({ backend }));
    const shape = fx.grad.shape;
    const n = shape.reduce((a, b) => a * b, 1);
    const xs = Float32Array.from({ length: n }, (_, i) => Math.fround(0.5 + 0.45 * Math.sin(0.37 * i + 0.3) * Math.cos(0.011 * i)) * 2 - 1);
    const x = tensor(xs, { shape, backend }).requiresGrad_();
    const w = tensor(Float32Array.from({ length: 2048 }, (_, j) => Math.sin(0.37 * j + 0.1)), { shape: [2048], backend });
    const loss = net.pool3(x).mul(w).sum();
    expect(Math.abs((await loss.item()) - fx.value) / Math.abs(fx.value)).toBeLessThan(1e-4);
    const [g] = grad(loss, [x]);
    const a = Float64Array.from((await g!.data()) as Float32Array);
    let mean = 0;
    for (const v of a) mean += v;
    mean /= a.length;
    let sq = 0;
    let dot = 0;
    for (let i = 0; i < a.length; i++) {
      sq += (a[i]! - mean) ** 2;
      dot += a[i]! * Math.sin(0.1 * i);
    }
    const std = Math.sqrt(sq / a.length);
    console.log(`[inception-grad] ${name}: std ${std.toExponential(5)} vs ${fx.grad.std.toExponential(5)}, dot ${dot} vs ${fx.grad.dot}`);
    expect(Math.abs(std - fx.grad.std) / fx.grad.std).toBeLessThan(2e-3);
    expect(Math.abs(mean - fx.grad.mean)).toBeLessThan(2e-3 * fx.grad.std);
    expect(Math.abs(dot - fx.grad.dot)).toBeLessThan(2e-3 * fx.grad.std * Math.sqrt(a.length));
    fx.grad.sampleIndex.forEach((idx, j) => expect(Math.abs(a[idx]! - fx.grad.samples[j]!), `[${idx}]`).toBeLessThan(1e-2 * fx.grad.std));
    // The number-only path builds no graph.
    const out = net.infer(x);
    expect(out.pool3.gradFn).toBeNull();
    for (const t of [x, w, loss, g!, ...Object.values(out)]) t.dispose();
    net.dispose();
  });
});
