// PHV against the Adaptive Supervised PatchNCE repository's own util/perceptual.py (tools/reference/gen_metrics_networks.py)
// with a hash-weight torchvision ResNet-50, on every backend.
import { readFileSync } from 'node:fs';
import { type Backend, type Tensor, cat, tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { TorchvisionResNet50, hashFormulaWeights, shapesOf } from '../features/index.js';
import { phv } from './phv.js';
import { readPlanar } from './test-images.js';

interface PhvCase { real: number[]; fake: number[]; gamma: number; phv: Record<string, number[]>; near: Record<string, number[]> }
const fx = JSON.parse(readFileSync(new URL('../../fixtures/networks/phv.json', import.meta.url), 'utf8')) as { thresholds: number[]; cases: PhvCase[] };
const backends = await testBackends();
const CHANNELS = [256, 512, 1024, 2048];

/** An ihc.png crop [y, x, h, w] as to_tensor gives it (uint8 / 255 in float32), optionally raised to a gamma. */
function crop(backend: Backend, [y0, x0, h, w]: number[], gamma = 1): Tensor {
  const img = readPlanar('ihc.png');
  const out = new Float32Array(3 * h! * w!);
  let o = 0;
  for (let k = 0; k < 3; k++) {
    for (let y = 0; y < h!; y++) {
      for (let x = 0; x < w!; x++) {
        const v = Math.fround(img.data[k * img.h * img.w + (y0! + y) * img.w + x0! + x]! / 255);
        out[o++] = gamma === 1 ? v : Math.fround(v ** gamma);
      }
    }
  }
  return tensor(out, { shape: [1, 3, h!, w!], backend });
}

describe.each(backends.map((b) => [b.name, b] as const))('phv vs ASP util/perceptual.py on %s', (name, backend) => {
  it('every pair, threshold and layer; batched pairs give the same per-image values', async () => {
    const net = new TorchvisionResNet50({ backend });
    const sd = hashFormulaWeights(shapesOf(net), { backend });
    net.loadStateDict(sd);
    for (const t of Object.values(sd)) t.dispose();
    // ResNet-50 is slow on the CPU reference backend: with WebGPU present, the CPU checks the first pair only.
    const cases = name === 'cpu' && backends.length > 1 ? fx.cases.slice(0, 1) : fx.cases;
    for (const c of cases) {
      const real = crop(backend, c.real);
      const fake = crop(backend, c.fake, c.gamma);
      const r = await phv(real, fake, { network: net, thresholds: fx.thresholds });
      fx.thresholds.forEach((t, ti) => {
        r.values[ti]!.forEach((v, li) => {
          // A channel whose |Δ mean| is within float32 noise of T may fall on either side.
          const slack = (c.near[String(t)]![li]! + 0.5) / CHANNELS[li]!;
          expect(Math.abs(v - c.phv[String(t)]![li]!), `${name} ${c.real} T=${t} layer${li + 1}: ${v} vs ${c.phv[String(t)]![li]}`).toBeLessThan(slack);
        });
        expect(r.mean[ti]).toBeCloseTo(r.values[ti]!.reduce((a, b) => a + b, 0) / 4, 12);
      });
      real.dispose();
      fake.dispose();
    }
    // The two 64×64 pairs in one batch (a different batch may round a near-threshold channel the other way).
    const reals = cat([crop(backend, fx.cases[0]!.real), crop(backend, fx.cases[1]!.real)], 0);
    const fakes = cat([crop(backend, fx.cases[0]!.fake, fx.cases[0]!.gamma), crop(backend, fx.cases[1]!.fake, fx.cases[1]!.gamma)], 0);
    const both = await phv(reals, fakes, { network: net, thresholds: fx.thresholds, batchSize: 2 });
    fx.thresholds.forEach((t, ti) => {
      for (let li = 0; li < 4; li++) {
        for (let i = 0; i < 2; i++) {
          const slack = (fx.cases[i]!.near[String(t)]![li]! + 1.5) / CHANNELS[li]!;
          expect(Math.abs(both.perImage[ti]![li]![i]! - fx.cases[i]!.phv[String(t)]![li]!)).toBeLessThan(slack);
        }
        expect(both.values[ti]![li]).toBeCloseTo((both.perImage[ti]![li]![0]! + both.perImage[ti]![li]![1]!) / 2, 12);
      }
    });
    // 'imagenet' input differs from ASP's [0, 1] → (x + 1)/2 mapping; identical images score 0 either way.
    const same = await phv(reals, reals, { network: net, input: 'imagenet', layers: ['layer1', 'layer4'] });
    expect(same.values).toEqual([[0, 0]]);
    await expect(phv(reals, fakes, { network: net, thresholds: [] })).rejects.toThrow(/phv: thresholds must be a non-empty list/);
    await expect(phv(reals, fakes, { network: net, layers: ['layer5' as 'layer1'] })).rejects.toThrow(/phv: unknown layer 'layer5'/);
    await expect(phv(reals, fakes, { network: {} as TorchvisionResNet50 })).rejects.toThrow(/options.network must be a TorchvisionResNet50/);
    for (const t of [reals, fakes]) t.dispose();
    net.dispose();
  });
});
