// The trainer with the real StyleGAN2 networks at a tiny size (8×8, ≤ 8 channels): exact resume with ADA, R1, path
// length and D2D-CE through StyleGAN2Discriminator's epilogue features; transfer to another number of classes;
// the block names freezeG/freezeD pick on these networks.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, init, nn, rand, setBackend } from '@radix/tensor-webgpu';
import { AdaPipe } from '../augment/ada-pipe.js';
import { freezeD, freezeG } from '../freeze.js';
import { D2DCEHead } from '../losses/d2d-ce-head.js';
import { StyleGAN2Discriminator } from '../networks/discriminator.js';
import { StyleGAN2Generator } from '../networks/generator.js';
import { GAN_OUT, trainGan } from './trainer.js';
import { loadPretrained, loadPretrainedInto, readPretrained } from './pretrained.js';
import { ganMetrics } from './metrics.js';

await init({ backend: 'cpu' });
setBackend('cpu');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'radix-gan-sg2-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const gConfig = (cDim: number) => ({ zDim: 8, cDim, wDim: 8, imgResolution: 8, imgChannels: 3, mappingKwargs: { numLayers: 2 }, synthesisKwargs: { channelBase: 64, channelMax: 8 } });
const dConfig = (cDim: number) => ({ cDim, imgResolution: 8, imgChannels: 3, channelBase: 64, channelMax: 8, epilogueKwargs: { mbstdGroupSize: 2 } });
function nets(classes: number, d2dce: boolean, seed = 3) {
  const g = new Generator(seed);
  return {
    G: new StyleGAN2Generator(gConfig(classes), { generator: g }),
    D: new StyleGAN2Discriminator(dConfig(d2dce ? 0 : classes), { generator: g }),
    gEma: new StyleGAN2Generator(gConfig(classes), { generator: g }),
    head: d2dce ? new D2DCEHead(8, classes, { embedDim: 8, generator: g }) : null,
  };
}
const images = rand([8, 3, 8, 8], { generator: new Generator(5) });
const labels = [0, 0, 0, 0, 1, 1, 2, 2];
const base = { images, labels, batch: 4, r1Interval: 2, plWeight: 2, plInterval: 2, gridSteps: 0, emaKimg: 0.01, ada: { kimg: 0.02 } };

async function stateOf(m: nn.AnyModule): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = Array.from(await t.data());
  return out;
}

describe('trainGan with StyleGAN2 networks', () => {
  it('3 + 3 minibatches equal 6 bit for bit (ADA, R1, path length, style mixing, D2D-CE, random noise)', async () => {
    const a = nets(3, true);
    const outA = tmp();
    expect((await trainGan(a, { ...base, steps: 6, snapshotSteps: 3, outDir: outA, augment: new AdaPipe(), d2dce: {} })).status).toBe('done');
    const outB = tmp();
    await trainGan(nets(3, true), { ...base, steps: 3, snapshotSteps: 3, outDir: outB, augment: new AdaPipe(), d2dce: {} });
    const b = nets(3, true, 99);
    const r = await trainGan(b, { ...base, steps: 6, snapshotSteps: 3, outDir: outB, augment: new AdaPipe(), d2dce: {}, resume: true });
    expect(r.steps).toBe(6);
    for (const k of ['G', 'D', 'gEma', 'head'] as const) expect(await stateOf(b[k]!)).toEqual(await stateOf(a[k]!));
  });

  it('starts from a checkpoint with another number of classes: label embeddings re-initialised and reported', async () => {
    const out = tmp();
    const src = nets(3, false);
    await trainGan(src, { ...base, steps: 2, outDir: out });
    const dst = nets(2, false, 11);
    const fresh = await stateOf(dst.G);
    const notes = await loadPretrained(join(out, GAN_OUT.checkpoint), dst);
    expect(notes[0]).toMatch(/^started from .*checkpoint\.safetensors \(radix checkpoint \(step 2 of its run\)\)$/);
    expect(notes.some((n) => /^G: re-initialised mapping\.embed\.weight \(checkpoint \[8, 3\], model \[8, 2\]\)/.test(n))).toBe(true);
    expect(notes.some((n) => /^D: re-initialised mapping\.embed\.weight/.test(n))).toBe(true);
    const loaded = await stateOf(dst.G);
    const srcG = await stateOf(src.G);
    expect(loaded['mapping.embed.weight']).toEqual(fresh['mapping.embed.weight']);
    expect(loaded['synthesis.b8.conv0.weight']).toEqual(srcG['synthesis.b8.conv0.weight']);
    // A different architecture is refused with the keys listed.
    const wide = new StyleGAN2Generator({ ...gConfig(2), synthesisKwargs: { channelBase: 128, channelMax: 16 } });
    await expect(loadPretrained(join(out, GAN_OUT.checkpoint), { G: wide, D: dst.D, gEma: dst.gEma })).rejects.toThrow(/the G checkpoint does not fit the network .*synthesis\.b4\.const: checkpoint \[8, 4, 4\], model \[16, 4, 4\]/);
    // Transfer then trains with D1 + G1 frozen (a paper variant) from the loaded weights.
    const r = await trainGan(dst, { ...base, labels: labels.map((l) => l % 2), steps: 2, outDir: tmp(), freezeG: 1, freezeD: 1, pretrained: true, notes });
    expect(r.notes).toContain('frozen G blocks: mapping, synthesis.b4');
    expect(r.notes).toContain('frozen D blocks: b8');
  });

  it('transfers from a stylegan2-ada network-snapshot .pkl (written by the original) to 3 classes with D2D-CE', async () => {
    const src = await readPretrained(fileURLToPath(new URL('../../fixtures/snapshot/network-snapshot-tiny.pkl', import.meta.url)));
    try {
      expect(src.kind).toBe('stylegan2-ada snapshot');
      const g = new Generator(4);
      const gCfg = { ...src.configs!.G!, cDim: 3 };
      const dCfg = { ...src.configs!.D!, cDim: 0 };
      const dst = { G: new StyleGAN2Generator(gCfg, { generator: g }), D: new StyleGAN2Discriminator(dCfg, { generator: g }), gEma: new StyleGAN2Generator(gCfg, { generator: g }), head: new D2DCEHead(8, 3, { embedDim: 8, generator: g }) };
      const notes = loadPretrainedInto(src, dst);
      expect(notes.some((n) => /^G: re-initialised mapping\.embed\.weight \(checkpoint \[8, 2\], model \[8, 3\]\)/.test(n))).toBe(true);
      expect(notes.some((n) => /^D: dropped the checkpoint's mapping\./.test(n))).toBe(true);
      expect(notes).toContain('head: the D2D-CE head starts fresh (the checkpoint has none)');
      const want = await src.modules.G_ema!['synthesis.b8.torgb.weight']!.data();
      expect(Array.from(await dst.gEma.stateDict()['synthesis.b8.torgb.weight']!.data())).toEqual(Array.from(want));
      const r = await trainGan(dst, { ...base, steps: 2, outDir: tmp(), freezeD: 1, freezeG: 1, pretrained: true, d2dce: {}, augment: new AdaPipe(), notes });
      expect(r.status).toBe('done');
    } finally {
      src.dispose();
    }
  });

  it('PR/DC with a user feature extractor every few minibatches, into the log', async () => {
    const { moduleExtractor } = await import('@radix/metrics');
    const encoder = new nn.Sequential(new nn.Conv2d(3, 4, 3, { stride: 2, generator: new Generator(8) }), new nn.Flatten());
    const metrics = ganMetrics({ real: images, realLabels: labels, extractor: moduleExtractor(encoder, { name: 'tiny-encoder', dim: 36 }), prK: 2, dcK: 2 });
    const out = tmp();
    await trainGan(nets(3, false), { ...base, steps: 4, outDir: out, metrics, metricsSteps: 2 });
    const rows = readFileSync(join(out, GAN_OUT.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.event === 'metrics');
    expect(rows.map((r) => r.step)).toEqual([2, 4]);
    for (const r of rows) for (const k of ['precision', 'recall', 'density', 'coverage']) expect(Number.isFinite(r[k])).toBe(true);
    expect(rows[0].fid).toBeUndefined();
  });

  it('freezeG / freezeD on StyleGAN2 blocks', () => {
    const { G, D } = nets(3, false);
    expect(freezeG(G, 2).blocks).toEqual(['mapping', 'synthesis.b4', 'synthesis.b8']);
    const d = freezeD(D, 1);
    expect(d.blocks).toEqual(['b8']);
    expect(d.frozen.every((k) => k.startsWith('b8.'))).toBe(true);
    expect(d.trainable.length).toBe(D.parameters().length - d.frozen.length);
  });
});
