// Smoke test of the StyleGAN2 networks on the CPU: the state-dict keys and shapes equal the original's for every
// reference configuration, forward passes have the right shapes, and bad arguments are refused with named errors.
import { describe, expect, it } from 'vitest';
import { dispose, init, manualSeed, randn, tensor } from '@radix/tensor-webgpu';
import { StyleGAN2Discriminator } from './discriminator.js';
import { networkFixtureCases } from './fixture-cases.js';
import { StyleGAN2Generator } from './generator.js';

const { cases } = networkFixtureCases();

describe('StyleGAN2 networks (cpu smoke)', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: state-dict keys and shapes equal stylegan2-ada-pytorch', async (_, c) => {
    await init({ backend: 'cpu' });
    const G = new StyleGAN2Generator(c.G_config);
    const D = new StyleGAN2Discriminator(c.D_config);
    const shapes = (sd: Record<string, { shape: readonly number[] }>) => Object.entries(sd).map(([k, t]) => [k, [...t.shape]]);
    const sdG = G.stateDict();
    const sdD = D.stateDict();
    expect(new Map(shapes(sdG) as [string, number[]][])).toEqual(new Map(c.G_keys));
    expect(new Map(shapes(sdD) as [string, number[]][])).toEqual(new Map(c.D_keys));
    expect(G.numWs).toBe(c.G_num_ws);
    dispose([sdG, sdD]);
    G.dispose();
    D.dispose();
  });

  it('generates and discriminates with the documented shapes', async () => {
    await init({ backend: 'cpu' });
    manualSeed(1);
    const G = new StyleGAN2Generator({ zDim: 8, cDim: 2, wDim: 8, imgResolution: 8, imgChannels: 3, mappingKwargs: { numLayers: 2 }, synthesisKwargs: { channelBase: 64, channelMax: 8 } });
    const D = new StyleGAN2Discriminator({ cDim: 2, imgResolution: 8, imgChannels: 3, channelBase: 64, channelMax: 8, mappingKwargs: { numLayers: 1 } });
    const z = randn([4, 8]);
    const c = tensor([1, 0, 0, 1, 1, 0, 0, 1], { shape: [4, 2] });
    const ws = G.mapping(z, c, { truncationPsi: 0.7 });
    expect(ws.shape).toEqual([4, G.numWs, 8]);
    const img = G.synthesis(ws, { noiseMode: 'random' });
    expect(img.shape).toEqual([4, 3, 8, 8]);
    const logits = D.call(img, c);
    expect(logits.shape).toEqual([4, 1]);
    expect(Array.from(await logits.data()).every(Number.isFinite)).toBe(true);
    // Gradients reach the generator's first layer through D.
    const loss = logits.neg().sum();
    loss.backward();
    expect(G.mappingNetwork.fc(0).weight.grad?.shape).toEqual([8, 16]);
    dispose([z, c, ws, img, logits, loss]);
    G.dispose();
    D.dispose();
  });

  it('updates w_avg only in training mode unless skipWAvgUpdate / updateEmas: false', async () => {
    await init({ backend: 'cpu' });
    const G = new StyleGAN2Generator({ zDim: 4, cDim: 0, wDim: 4, imgResolution: 4, imgChannels: 1, mappingKwargs: { numLayers: 1 }, synthesisKwargs: { channelBase: 16, channelMax: 4 } });
    const z = randn([3, 4]);
    const wAvg = async () => Array.from(await G.mappingNetwork.wAvg!.data());
    const start = await wAvg();
    G.eval();
    dispose(G.mapping(z, null));
    expect(await wAvg()).toEqual(start);
    G.train();
    dispose(G.mapping(z, null, { skipWAvgUpdate: true }));
    dispose(G.mapping(z, null, { updateEmas: false }));
    expect(await wAvg()).toEqual(start);
    dispose(G.mapping(z, null));
    expect(await wAvg()).not.toEqual(start);
    expect(() => G.mapping(z, null, { skipWAvgUpdate: true, updateEmas: true })).toThrow(/contradict/);
    z.dispose();
    G.dispose();
  });

  it('forwardWithFeatures returns the logits of call() and the features the output layer reads', async () => {
    await init({ backend: 'cpu' });
    const D = new StyleGAN2Discriminator({ cDim: 0, imgResolution: 8, imgChannels: 3, channelBase: 64, channelMax: 8, epilogueKwargs: { mbstdGroupSize: 2 } });
    const img = randn([4, 3, 8, 8]);
    const { logits, features } = D.forwardWithFeatures(img, null);
    expect(features.shape).toEqual([4, 8]);
    const direct = D.call(img, null);
    expect(Array.from(await logits.data())).toEqual(Array.from(await direct.data()));
    const fromFeatures = (D.block(4) as unknown as { out: { call(x: typeof features): typeof features } }).out.call(features);
    expect(Array.from(await fromFeatures.data())).toEqual(Array.from(await logits.data()));
    dispose([img, logits, features, direct, fromFeatures]);
    D.dispose();
  });

  it('loadStateDict lists mis-shaped, missing and unexpected keys and loads nothing then', async () => {
    await init({ backend: 'cpu' });
    const cfg = { zDim: 4, cDim: 0, wDim: 4, imgResolution: 8, imgChannels: 1, mappingKwargs: { numLayers: 1 }, synthesisKwargs: { channelBase: 32, channelMax: 4 } };
    const G = new StyleGAN2Generator(cfg);
    const sd = new StyleGAN2Generator({ ...cfg, wDim: 5 }).stateDict();
    delete sd['synthesis.b8.conv1.noise_const'];
    sd['synthesis.b8.extra'] = sd['mapping.fc0.bias']!;
    const before = Array.from(await G.mappingNetwork.fc(0).weight.data());
    let msg = '';
    try {
      G.loadStateDict(sd);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/size mismatch for mapping\.fc0\.weight: copying a param with shape \[5, 4\] from checkpoint, the shape in current model is \[4, 4\]/);
    expect(msg).toMatch(/size mismatch for synthesis\.b4\.conv1\.affine\.weight/);
    expect(msg).toMatch(/missing keys: "synthesis\.b8\.conv1\.noise_const"/);
    expect(msg).toMatch(/unexpected keys: "synthesis\.b8\.extra"/);
    expect(Array.from(await G.mappingNetwork.fc(0).weight.data())).toEqual(before);
    G.dispose();
  });

  it('refuses bad configurations and inputs with named errors', async () => {
    await init({ backend: 'cpu' });
    expect(() => new StyleGAN2Generator({ zDim: 8, cDim: 0, wDim: 8, imgResolution: 12, imgChannels: 3 })).toThrow(/imgResolution must be a power of two/);
    expect(() => new StyleGAN2Discriminator({ cDim: 0, imgResolution: 16, imgChannels: 3, architecture: 'dense' as 'skip' })).toThrow(/architecture must be/);
    const G = new StyleGAN2Generator({ zDim: 4, cDim: 0, wDim: 4, imgResolution: 4, imgChannels: 1, mappingKwargs: { numLayers: 1 }, synthesisKwargs: { channelBase: 16, channelMax: 4 } });
    const z = randn([2, 5]);
    expect(() => G.mapping(z, null)).toThrow(/z must have shape \[N, 4\]/);
    const ws = randn([2, 1, 4]);
    expect(() => G.synthesis(ws)).toThrow(/ws must have shape \[N, 2, 4\]/);
    const D = new StyleGAN2Discriminator({ cDim: 0, imgResolution: 8, imgChannels: 1, channelBase: 32, channelMax: 4 });
    const img = randn([6, 1, 8, 8]);
    expect(() => D.call(img, null)).toThrow(/batch size 6 is not divisible by the group size 4/);
    dispose([z, ws, img]);
    G.dispose();
    D.dispose();
  });
});
