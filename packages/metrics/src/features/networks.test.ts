// torchvision VGG16 and ResNet-50 against torchvision 0.14's own forward under the hash-formula weights
// (tools/reference/gen_metrics_networks.py), their state-dict keys against torchvision's, and the extractor plumbing.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Backend, type Tensor, nn, saveSafetensors, tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import {
  IMAGENET_MEAN, IMAGENET_STD, TorchvisionResNet50, TorchvisionVGG16, extractFeatures, hashFormulaWeights, loadFeatureExtractor,
  loadTorchvisionResNet50, moduleExtractor, resnet50Extractor, shapesOf,
} from './index.js';

interface Summary { shape: number[]; mean: number; std: number; dot: number; sampleIndex: number[]; samples: number[] }
const fx = JSON.parse(readFileSync(new URL('../../fixtures/networks/torchvision.json', import.meta.url), 'utf8')) as {
  inputShape: number[];
  vggInputShape: number[];
  nets: { vgg16: Record<'fc2' | 'fc2_relu' | 'logits', Summary>; resnet50: Record<string, Summary> };
  keys: Record<'vgg16' | 'resnet50', [string, number[]][]>;
};
const backends = await testBackends();
// The full-width VGG16 holds 138 M parameters (553 MB, fc1's weight alone 411 MB): its forward is checked on one
// backend — WebGPU when the adapter can bind 411 MB (lavapipe cannot: 128 MiB), else the CPU.
const vggBackend = backends.find((b) => b.name === 'webgpu' && b.info.maxBindingBytes >= 4096 * 25088 * 4) ?? backends[0]!;

/** The generator's FORMULA images, ImageNet-normalised in float32 as numpy does it. */
export function formulaInput(shape: number[], backend: Backend): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const [, c, h, w] = shape as [number, number, number, number];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = Math.fround(0.5 + 0.45 * Math.sin(0.37 * i + 0.3) * Math.cos(0.011 * i));
    const ch = Math.floor(i / (h * w)) % c;
    out[i] = Math.fround(Math.fround(x - Math.fround(IMAGENET_MEAN[ch]!)) / Math.fround(IMAGENET_STD[ch]!));
  }
  return tensor(out, { shape, backend });
}

/** Checks a tensor against a generator summary: sampled values, mean, std and a dot product with sin(0.1 i). */
export async function expectSummary(t: Tensor, s: Summary, label: string, rtol = 2e-4): Promise<void> {
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
  const scale = s.std || 1;
  expect(Math.abs(mean - s.mean), `${label} mean`).toBeLessThan(rtol * scale);
  expect(Math.abs(std - s.std), `${label} std`).toBeLessThan(rtol * scale);
  expect(Math.abs(dot - s.dot), `${label} dot`).toBeLessThan(rtol * scale * Math.sqrt(a.length));
  s.sampleIndex.forEach((idx, j) => expect(Math.abs(a[idx]! - s.samples[j]!), `${label}[${idx}]`).toBeLessThan(rtol * scale));
}

function withHashWeights<M extends nn.AnyModule>(net: M, backend: Backend): M {
  const sd = hashFormulaWeights(shapesOf(net), { backend });
  net.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return net;
}

describe('torchvision state-dict keys', () => {
  it.runIf(backends.some((b) => b.info.maxBindingBytes < 4096 * 25088 * 4))('VGG16 is refused clearly where fc1 cannot be bound', () => {
    const small = backends.find((b) => b.info.maxBindingBytes < 4096 * 25088 * 4)!;
    expect(() => new TorchvisionVGG16({ backend: small })).toThrow(/TorchvisionVGG16: classifier\.0\.weight \[4096, 25088\] takes 411041792 bytes, more than this device's largest storage binding/);
  });
  it('VGG16 and ResNet-50 have exactly torchvision\'s keys and shapes, in its order', () => {
    for (const [name, net] of [['vgg16', new TorchvisionVGG16({ backend: 'cpu' })], ['resnet50', new TorchvisionResNet50({ backend: 'cpu' })]] as const) {
      const sd = net.stateDict();
      const ours = Object.entries(sd).map(([k, t]) => [k, [...t.shape]]);
      expect(ours, name).toEqual(fx.keys[name]);
      for (const t of Object.values(sd)) t.dispose();
      net.dispose();
    }
  });
});

// The CPU backend needs ~30 s for this; with WebGPU present it is checked there (and the CPU when there is none).
const resnetBackends = backends.length > 1 ? backends.filter((b) => b.name !== 'cpu') : backends;
describe.each(resnetBackends.map((b) => [b.name, b] as const))('torchvision ResNet-50 vs torchvision on %s', (name, backend) => {
  it('layer1..layer4 channel means, pool and logits under the hash weights', async () => {
    const net = withHashWeights(new TorchvisionResNet50({ backend }), backend);
    const x = formulaInput(fx.inputShape, backend);
    const st = net.stages(x);
    for (const k of ['layer1', 'layer2', 'layer3', 'layer4'] as const) {
      const m = st[k].mean([2, 3]);
      await expectSummary(m, fx.nets.resnet50[k]!, `${name} resnet50 ${k}`);
      m.dispose();
    }
    await expectSummary(st.pool, fx.nets.resnet50.pool!, `${name} resnet50 pool`);
    const logitsNet = new TorchvisionResNet50({ backend, output: 'logits' });
    const sd = net.stateDict();
    logitsNet.loadStateDict(sd);
    const logits = logitsNet.call(x);
    await expectSummary(logits, fx.nets.resnet50.logits!, `${name} resnet50 logits`);
    for (const t of [...Object.values(st), ...Object.values(sd), logits, x]) t.dispose();
    net.dispose();
    logitsNet.dispose();
  });
});

describe(`torchvision VGG16 vs torchvision on ${vggBackend.name}`, () => {
  it('fc2, fc2 after ReLU and logits under the hash weights', async () => {
    const net = withHashWeights(new TorchvisionVGG16({ backend: vggBackend }), vggBackend);
    const x = formulaInput(fx.vggInputShape, vggBackend);
    const out = net.outputs(x);
    for (const k of ['fc2', 'fc2_relu', 'logits'] as const) await expectSummary(out[k], fx.nets.vgg16[k], `vgg16 ${k}`);
    const f = net.call(x);
    expect(Array.from((await f.data()) as Float32Array)).toEqual(Array.from((await out.fc2_relu.data()) as Float32Array));
    for (const t of [...Object.values(out), f, x]) t.dispose();
    net.dispose();
  });
});

describe('feature extractors', () => {
  const backend = backends[0]!;
  it('extractFeatures batches a module extractor and checks its output', async () => {
    const lin = new nn.Linear(3, 4, { backend });
    const module = new (class extends nn.Module {
      l = lin;
      forward(x: Tensor): Tensor {
        return this.l.call(x.mean([2, 3]));
      }
    })();
    const ext = moduleExtractor(module, { name: 'mean-linear', dim: 4, description: { test: 1 } });
    const imgs = tensor(Float32Array.from({ length: 5 * 3 * 4 * 4 }, (_, i) => (i % 7) / 7), { shape: [5, 3, 4, 4], backend });
    const all = await extractFeatures(ext, imgs, { batchSize: 5 });
    const split = await extractFeatures(ext, imgs, { batchSize: 2 });
    expect(all.n).toBe(5);
    expect(all.d).toBe(4);
    expect(Array.from(split.data)).toEqual(Array.from(all.data));
    expect(ext.description).toEqual({ network: 'mean-linear', dim: 4, test: 1 });
    const bad = moduleExtractor(module, { name: 'wrong-dim', dim: 3 });
    await expect(extractFeatures(bad, imgs)).rejects.toThrow(/extractFeatures: extractor 'wrong-dim' returned shape \[5, 4\], expected \[5, 3\]/);
    const nan = tensor(new Float32Array(3 * 4 * 4).fill(Number.NaN), { shape: [1, 3, 4, 4], backend });
    await expect(extractFeatures(ext, nan)).rejects.toThrow(/non-finite feature for image 0/);
    await expect(extractFeatures(ext, imgs, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    for (const t of [imgs, nan]) t.dispose();
    lin.dispose();
  });

  it('loads a torchvision checkpoint from .safetensors and names what is wrong with a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'radix-tv-'));
    try {
      const src = withHashWeights(new TorchvisionResNet50({ backend }), backend);
      const sd = src.stateDict();
      const good = join(dir, 'resnet50.safetensors');
      await saveSafetensors(good, sd);
      const loaded = await loadTorchvisionResNet50(good, { backend });
      const ext = resnet50Extractor(loaded, { weights: 'resnet50.safetensors', size: 32 });
      expect(ext.description).toMatchObject({ network: 'torchvision ResNet-50', layer: 'pool (2048)', input: '32×32', resize: 'pytorch-bilinear' });
      const img = tensor(Float32Array.from({ length: 3 * 40 * 40 }, (_, i) => (i % 13) / 13), { shape: [1, 3, 40, 40], backend });
      const f = await extractFeatures(ext, img);
      expect(f.d).toBe(2048);
      ext.dispose();
      const partial = { ...sd };
      delete partial['layer3.2.bn2.running_var'];
      const bad = join(dir, 'partial.safetensors');
      await saveSafetensors(bad, partial);
      await expect(loadTorchvisionResNet50(bad, { backend })).rejects.toThrow(/loadTorchvisionResNet50: cannot load '.*partial\.safetensors' \(expected torchvision resnet50-0676ba61\.pth [\s\S]*missing keys: "layer3\.2\.bn2\.running_var"/);
      await expect(loadTorchvisionResNet50(join(dir, 'none.pth'))).rejects.toThrow(/the weights file '.*none\.pth' does not exist \(expected torchvision resnet50-0676ba61\.pth \(https:\/\/download\.pytorch\.org\/models\/resnet50-0676ba61\.pth\)/);
      await expect(loadFeatureExtractor('vgg16')).rejects.toThrow(/the vgg16 extractor needs torchvision's weights: pass the path of vgg16-397923af\.pth/);
      await expect(loadFeatureExtractor('swav')).rejects.toThrow(/unknown feature extractor 'swav' \(expected inception, vgg16, resnet50 or the path of a \.js\/\.mjs module\)/);
      // A user module given as a path: its default export is called with the options.
      const modPath = join(dir, 'extractor.mjs');
      writeFileSync(modPath, `export default (o) => ({ name: 'user', dim: 2, description: { weights: String(o.weights) }, module: { call: (x) => x }, prepare: async (x) => x, dispose() {} });\n`);
      const user = await loadFeatureExtractor(modPath, { weights: 'w.bin' });
      expect(user.name).toBe('user');
      expect(user.description).toEqual({ weights: 'w.bin' });
      writeFileSync(join(dir, 'bad.mjs'), 'export default 42;\n');
      await expect(loadFeatureExtractor(join(dir, 'bad.mjs'))).rejects.toThrow(/must default-export a FeatureExtractor/);
      for (const t of [...Object.values(sd), img]) t.dispose();
      src.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
