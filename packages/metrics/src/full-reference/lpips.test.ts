// LPIPS (v0.1 formula) with small deterministic weights against tools/reference/gen_metrics_fullref.py, and its gradients
// against the lpips package's own module (tools/reference/gen_metrics_networks.py), on every backend.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Backend, type Tensor, cat, grad, saveSafetensors, tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { loadLpips, lpips, lpipsDistance } from './lpips.js';
import { readPlanar, toTensor } from './test-images.js';

const ref = JSON.parse(readFileSync(new URL('../../fixtures/fullref-lpips.json', import.meta.url), 'utf8')) as {
  crops: { a: number[]; b: number[] };
  gamma: number;
  values: Record<'alex' | 'vgg', number[]>;
};
const linPath = (net: string): string => new URL(`../../fixtures/fullref-lpips-lin-${net}.pth`, import.meta.url).pathname;
const backends = await testBackends();
const RTOL = 1e-4;

/** The generator's closed-form weights (deterministic_weight in gen_metrics_fullref.py), rounded to float32. */
function detWeight(shape: number[], layer: number, kind: 'weight' | 'bias'): Float32Array {
  const n = shape.reduce((p, q) => p * q, 1);
  const out = new Float32Array(n);
  const fanIn = n / shape[0]!;
  for (let i = 0; i < n; i++) {
    out[i] = kind === 'weight'
      ? (2 / Math.sqrt(fanIn)) * Math.sin(0.7 * i + 1.3 * layer + 0.1) * Math.sin(0.0123 * i + 0.5)
      : 0.01 * Math.cos(0.9 * i + layer);
  }
  return out;
}

function backboneDict(net: 'alex' | 'vgg', backend: Backend): Record<string, Tensor> {
  const convs: Array<[number, number, number, number]> = net === 'alex'
    ? [[0, 64, 3, 11], [3, 192, 64, 5], [6, 384, 192, 3], [8, 256, 384, 3], [10, 256, 256, 3]]
    : (() => {
      const cfg = [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512];
      const out: Array<[number, number, number, number]> = [];
      let idx = 0;
      let cin = 3;
      for (const v of cfg) {
        if (v === 0) { idx += 1; continue; }
        out.push([idx, v, cin, 3]);
        cin = v;
        idx += 2;
      }
      return out;
    })();
  const sd: Record<string, Tensor> = {};
  convs.forEach(([idx, cout, cin, k], layer) => {
    sd[`features.${idx}.weight`] = tensor(detWeight([cout, cin, k, k], layer, 'weight'), { shape: [cout, cin, k, k], backend });
    sd[`features.${idx}.bias`] = tensor(detWeight([cout], layer, 'bias'), { shape: [cout], backend });
  });
  return sd;
}

function images(backend: Backend): [Tensor, Tensor] {
  const ihc = readPlanar('ihc.png');
  const toPm1 = (v: number): number => v / 127.5 - 1;
  const x0 = toTensor([[ihc, ref.crops.a], [ihc, ref.crops.a]], backend, toPm1);
  const b = toTensor([[ihc, ref.crops.b]], backend, toPm1);
  const g = toTensor([[ihc, ref.crops.a]], backend, (v) => ((v / 255) ** ref.gamma) * 2 - 1);
  const x1 = cat([b, g], 0);
  b.dispose();
  g.dispose();
  return [x0, x1];
}

describe.each(backends.map((b) => [b.name, b] as const))('lpips vs the v0.1 formula on %s', (name, backend) => {
  for (const net of ['alex', 'vgg'] as const) {
    it(`${net}: state-dict backbone + .pth linear heads`, async () => {
      const [x0, x1] = images(backend);
      const bb = backboneDict(net, backend);
      const r = await lpips(x0, x1, { net, weights: { backbone: bb, linear: linPath(net) } });
      const rel = r.perImage.map((v, i) => Math.abs(v - ref.values[net][i]!) / Math.abs(ref.values[net][i]!));
      console.log(`[lpips] ${name} ${net}: ours ${r.perImage.join(', ')} ref ${ref.values[net].join(', ')} max rel err ${Math.max(...rel)}`);
      for (const e of rel) expect(e).toBeLessThan(RTOL);
      expect(r.mean).toBeCloseTo((r.perImage[0]! + r.perImage[1]!) / 2, 10);
      if (net === 'alex') {
        // Paths: the backbone round-trips through a .safetensors file; [0, 1] inputs with normalize give the same values.
        const dir = mkdtempSync(join(tmpdir(), 'radix-lpips-'));
        try {
          const file = join(dir, 'alex-backbone.safetensors');
          await saveSafetensors(file, bb);
          const same = await lpips(x0.add(1).div(2), x1.add(1).div(2), { net, normalize: true, weights: { backbone: file, linear: linPath(net) } });
          for (let i = 0; i < 2; i++) expect(Math.abs(same.perImage[i]! - r.perImage[i]!)).toBeLessThan(1e-6);
          const self = await lpips(x0, x0, { net, weights: { backbone: bb, linear: linPath(net) } });
          for (const v of self.perImage) expect(v).toBe(0);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      for (const t of Object.values(bb)) t.dispose();
      x0.dispose();
      x1.dispose();
    });
  }

  it('names the missing or wrong weights clearly', async () => {
    const [x0, x1] = images(backend);
    await expect(lpips(x0, x1, { net: 'alex', weights: {} })).rejects.toThrow(/lpips: missing the alex backbone weights: torchvision alexnet-owt-7be5be79\.pth \(https:\/\/download\.pytorch\.org\/models\/alexnet-owt-7be5be79\.pth\); pass options\.weights\.backbone/);
    const bb = backboneDict('alex', backend);
    await expect(lpips(x0, x1, { net: 'alex', weights: { backbone: bb } })).rejects.toThrow(/lpips: missing the LPIPS v0\.1 linear-head weights: alex\.pth from lpips\/weights\/v0\.1\/ in https:\/\/github\.com\/richzhang\/PerceptualSimilarity; pass options\.weights\.linear/);
    await expect(lpips(x0, x1, { net: 'alex', weights: { backbone: bb, linear: '/nonexistent/alex.pth' } })).rejects.toThrow(/lpips: the file '\/nonexistent\/alex\.pth' for the LPIPS v0\.1 linear-head weights.* does not exist/);
    await expect(lpips(x0, x1, { net: 'alex', weights: { backbone: bb, linear: linPath('vgg') } })).rejects.toThrow(/lpips: 'lin1\.model\.1\.weight' has shape \[1, 128, 1, 1\], expected \[1, 192, 1, 1\]/);
    const partial = { ...bb };
    delete partial['features.3.weight'];
    await expect(lpips(x0, x1, { net: 'alex', weights: { backbone: partial, linear: linPath('alex') } })).rejects.toThrow(/lpips: the weights lack 'features\.3\.weight'/);
    await expect(lpips(x0, x1, { net: 'resnet' as 'alex', weights: {} })).rejects.toThrow(/lpips: unknown net 'resnet'/);
    for (const t of Object.values(bb)) t.dispose();
    x0.dispose();
    x1.dispose();
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('lpips gradients vs the lpips package on %s', (name, backend) => {
  const g = JSON.parse(readFileSync(new URL('../../fixtures/networks/lpips-grad.json', import.meta.url), 'utf8')) as {
    nets: Record<'alex' | 'vgg', { values: number[]; grad0: GradSummary; grad1: GradSummary }>;
  };
  // VGG's backward takes minutes on the CPU reference backend: checked there only when no WebGPU adapter exists.
  const nets = name === 'cpu' && backends.length > 1 ? (['alex'] as const) : (['alex', 'vgg'] as const);
  for (const net of nets) {
    it(`${net}: distance and d/dx of both inputs (lpips.LPIPS under the committed test weights)`, async () => {
      const bb = backboneDict(net, backend);
      const model = await loadLpips({ net, weights: { backbone: bb, linear: linPath(net) }, backend });
      const shape = [2, 3, 48, 40];
      const n = shape.reduce((p, q) => p * q, 1);
      const base = Float32Array.from({ length: n }, (_, i) => 0.5 + 0.45 * Math.sin(0.37 * i + 0.3) * Math.cos(0.011 * i));
      const flipped = new Float32Array(n);
      const [, c, h, w] = shape as [number, number, number, number];
      for (let i = 0; i < n; i++) {
        const x = i % w;
        const y = Math.floor(i / w) % h;
        const rest = Math.floor(i / (w * h));
        flipped[i] = base[rest * h * w + (h - 1 - y) * w + x]!;
      }
      void c;
      const x0 = tensor(base.map((v) => v * 2 - 1), { shape, backend }).requiresGrad_();
      const x1 = tensor(flipped.map((v) => v * 2 - 1), { shape, backend }).requiresGrad_();
      const d = lpipsDistance(model, x0, x1);
      const vals = Array.from((await d.data()) as Float32Array);
      vals.forEach((v, i) => expect(Math.abs(v - g.nets[net].values[i]!) / g.nets[net].values[i]!, `${name} ${net} value ${i}`).toBeLessThan(1e-4));
      const [g0, g1] = grad(d.sum(), [x0, x1]);
      // VGG's 13 layers under these test weights leave 5-57 pre-activations per layer within 1e-5 of 0 (max |z| ≈ 0.03
      // in layers 6-13): float32 rounding in another summation order flips a few ReLUs, which moves single input
      // gradients by up to 3 % of their spread (measured on both backends); the aggregates stay within 0.2 %.
      const entryTol = net === 'vgg' ? 25 : 5;
      await expectGradSummary(g0!, g.nets[net].grad0, `${name} ${net} d/dx0`, 2e-3, entryTol);
      await expectGradSummary(g1!, g.nets[net].grad1, `${name} ${net} d/dx1`, 2e-3, entryTol);
      for (const t of [...Object.values(bb), x0, x1, d, g0!, g1!]) t.dispose();
      model.dispose();
    });
  }
});

interface GradSummary { shape: number[]; mean: number; std: number; dot: number; sampleIndex: number[]; samples: number[] }

/**
 * Compares a gradient with the generator's summary (sampled entries, mean, std, dot with sin(0.1 i)) relative to its
 * spread; single entries get `entryTol`× more room (a ReLU whose input is within float32 noise of 0 can flip).
 */
async function expectGradSummary(t: Tensor, s: GradSummary, label: string, rtol: number, entryTol: number): Promise<void> {
  expect([...t.shape], label).toEqual(s.shape);
  const a = Float64Array.from((await t.data()) as Float32Array);
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
  console.log(`[lpips-grad] ${label}: std ${std.toExponential(4)} vs ${s.std.toExponential(4)}`);
  expect(Math.abs(std - s.std) / s.std, `${label} std`).toBeLessThan(rtol);
  expect(Math.abs(mean - s.mean), `${label} mean`).toBeLessThan(rtol * s.std);
  expect(Math.abs(dot - s.dot), `${label} dot`).toBeLessThan(rtol * s.std * Math.sqrt(a.length));
  s.sampleIndex.forEach((idx, j) => expect(Math.abs(a[idx]! - s.samples[j]!), `${label}[${idx}]`).toBeLessThan(entryTol * rtol * s.std));
}
