// Gradients of ssimLoss / msSsimLoss against torch autograd through torchmetrics' own source (current and v1.4.1) and
// through the scikit-image / Wang formulas (tools/reference/gen_metrics_ssim_torchmetrics.py), on every backend.
import { readFileSync } from 'node:fs';
import { type Backend, type Tensor, grad, tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { msSsim, msSsimLoss, msSsimValues, ssim, ssimLoss, ssimValues } from './index.js';
import type { SsimMode } from './ssim-core.js';

interface GradCase { value: number; grad: number[] }
const fx = JSON.parse(readFileSync(new URL('../../fixtures/ssim-torchmetrics.json', import.meta.url), 'utf8')) as {
  ssimShape: number[];
  msShape: number[];
  msBetas: number[];
  gradients: Record<string, { ssim: GradCase; msSsim?: GradCase }>;
};
const backends = await testBackends();

/** The generator's closed-form inputs (FORMULA in the fixture), as float32. */
function formulaPair(shape: number[], backend: Backend): [Tensor, Tensor] {
  const n = shape.reduce((p, q) => p * q, 1);
  const a = new Float32Array(n);
  const b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = 0.5 + 0.35 * Math.sin(0.61 * i + 0.2) * Math.cos(0.037 * i);
    b[i] = a[i]! + 0.15 * Math.sin(1.7 * i + 0.4);
  }
  return [tensor(a, { shape, backend }), tensor(b, { shape, backend })];
}

/** Max |ours − reference| relative to the largest reference component, and the worst relative error above 1 % of it. */
function gradError(got: ArrayLike<number>, want: readonly number[]): { scaled: number } {
  let mx = 0;
  for (const v of want) mx = Math.max(mx, Math.abs(v));
  let scaled = 0;
  for (let i = 0; i < want.length; i++) scaled = Math.max(scaled, Math.abs(got[i]! - want[i]!) / mx);
  return { scaled };
}

describe.each(backends.map((b) => [b.name, b] as const))('SSIM / MS-SSIM losses vs torch autograd on %s', (name, backend) => {
  for (const mode of ['torchmetrics', 'torchmetrics-legacy', 'skimage', 'wang'] as const satisfies readonly SsimMode[]) {
    it(`ssimLoss '${mode}': value and gradient`, async () => {
      const ref = fx.gradients[mode]!.ssim;
      const [a, b] = formulaPair(fx.ssimShape, backend);
      a.requiresGrad_();
      const loss = ssimLoss(a, b, { dataRange: 1, mode });
      expect(loss.shape).toEqual([]);
      expect(Math.abs(1 - (await loss.item()) - ref.value)).toBeLessThan(2e-6);
      const [g] = grad(loss, [a]);
      const e = gradError((await g!.data()) as Float32Array, ref.grad);
      console.log(`[ssim-grad] ${name} ${mode}: max |Δ| / max |grad| = ${e.scaled.toExponential(2)}`);
      expect(e.scaled).toBeLessThan(1e-4);
      // The number form and the per-image tensor agree with the loss.
      expect(Math.abs((await ssim(a, b, { dataRange: 1, mode })).mean - ref.value)).toBeLessThan(2e-6);
      const v = ssimValues(a, b, { dataRange: 1, mode });
      expect(v.shape).toEqual([1]);
      const perImage = ssimLoss(a, b, { dataRange: 1, mode, reduction: 'none' });
      expect(Math.abs((await perImage.item()) - (1 - (await v.item())))).toBeLessThan(1e-7);
      for (const t of [a, b, loss, g!, v, perImage]) t.dispose();
    });
  }
  for (const mode of ['torchmetrics', 'torchmetrics-legacy'] as const) {
    it(`msSsimLoss '${mode}' (3 scales): value and gradient`, async () => {
      const ref = fx.gradients[mode === 'torchmetrics' ? 'torchmetrics' : 'torchmetrics-legacy']!.msSsim!;
      const [a, b] = formulaPair(fx.msShape, backend);
      a.requiresGrad_();
      const opts = { dataRange: 1, mode, weights: fx.msBetas };
      const loss = msSsimLoss(a, b, opts);
      expect(Math.abs(1 - (await loss.item()) - ref.value)).toBeLessThan(2e-6);
      const [g] = grad(loss, [a]);
      const e = gradError((await g!.data()) as Float32Array, ref.grad);
      console.log(`[ms-ssim-grad] ${name} ${mode}: max |Δ| / max |grad| = ${e.scaled.toExponential(2)}`);
      expect(e.scaled).toBeLessThan(1e-4);
      expect(Math.abs((await msSsim(a, b, opts)).mean - ref.value)).toBeLessThan(2e-6);
      const v = msSsimValues(a, b, opts);
      expect(v.shape).toEqual([1]);
      for (const t of [a, b, loss, g!, v]) t.dispose();
    });
  }
  it('gradients reach both images, and the number forms build no graph', async () => {
    const [a, b] = formulaPair([2, 1, 16, 16], backend);
    a.requiresGrad_();
    b.requiresGrad_();
    const loss = ssimLoss(a, b, { dataRange: 1, mode: 'torchmetrics' });
    const [ga, gb] = grad(loss, [a, b]);
    // SSIM is symmetric: d/db L(a, b) = d/da L(b, a).
    const swapped = ssimLoss(b, a, { dataRange: 1, mode: 'torchmetrics' });
    const [gaSwapped] = grad(swapped, [b]);
    const x = (await gb!.data()) as Float32Array;
    const y = (await gaSwapped!.data()) as Float32Array;
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i]! - y[i]!)).toBeLessThan(1e-9);
    expect(ga!.shape).toEqual([2, 1, 16, 16]);
    const r = await ssim(a, b, { dataRange: 1, mode: 'torchmetrics', returnMap: true });
    expect(r.map!.gradFn ?? null).toBeNull();
    for (const t of [a, b, loss, ga!, gb!, swapped, gaSwapped!, r.map!]) t.dispose();
  });
  it('rejects bad options clearly', () => {
    const [a, b] = formulaPair([1, 1, 16, 16], backend);
    expect(() => ssimLoss(a, b, { dataRange: 1, mode: 'wang', reduction: 'sum' as 'mean' })).toThrow(/ssimLoss: reduction must be 'mean' or 'none'/);
    expect(() => ssimLoss(a, b, { dataRange: -1, mode: 'wang' })).toThrow(/ssimLoss: dataRange must be a positive/);
    expect(() => msSsimLoss(a, b, { dataRange: 1 })).toThrow(/msSsimLoss: images of 16×16 are too small/);
    expect(() => msSsimValues(a, b, { dataRange: 1, mode: 'wang' as 'torchmetrics' })).toThrow(/msSsimValues: unknown mode 'wang'/);
    a.dispose();
    b.dispose();
  });
});
