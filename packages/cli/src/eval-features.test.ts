// `radix eval` distribution metrics end to end: missing Inception weights fail clearly; with an injected network
// (formula weights) KID/IS/PR/DC equal @radix/metrics applied to the same folders' features. (FID on 2048-d features
// is left out here: frechetDistance's float64 eigen-decomposition of 2048×2048 takes minutes in JS on this machine.)
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import {
  densityCoverage, featureStats, frechetDistance, FidInceptionV3, formulaWeights, inceptionFeatures, inceptionScore, kid, precisionRecall,
} from '@radix/metrics';
import { runEval } from './eval.js';
import { featureMetrics } from './feature-metrics.js';
import { readImageFolder } from './images.js';
import { pattern, tempDir, writeJpeg, writePng } from './test-images.js';

const backends = await testBackends();
// One 299² forward pass takes ~3 s on lavapipe and ~16 s on the CPU reference backend: run the end-to-end feature
// test on WebGPU when it exists, else on the CPU.
const featureBackend = backends.some((b) => b.name === 'webgpu') ? 'webgpu' : 'cpu';

describe('runEval feature metrics', () => {
  it('fid without weights fails with the weights error', async () => {
    const real = tempDir('fw-real');
    writePng(join(real, 'a.png'), 8, 8, pattern(8, 8, 1));
    await expect(runEval({ real, fake: real, metrics: ['fid'], backend: 'cpu', inceptionWeights: '/nonexistent/pt.pth' })).rejects.toThrow(
      /loadFidInceptionWeights: pt_inception-2015-12-05-6726825d\.pth not found \(looked at: .*\/nonexistent\/pt\.pth.*Download it from the pytorch-fid releases/,
    );
  });

  it(`fid, kid, is, pr, dc with an injected network on ${featureBackend}`, async () => {
    await init({ backend: featureBackend });
    const net = new FidInceptionV3(formulaWeights());
    const real = tempDir('f-real');
    const fake = tempDir('f-fake');
    for (let i = 0; i < 4; i++) {
      writePng(join(real, `r${i}.png`), 16, 16, pattern(16, 16, i));
      writeJpeg(join(fake, `f${i}.jpg`), 16, 16, pattern(16, 16, 10 + i * 3), 90);
    }
    const progress: string[] = [];
    const r = await runEval({
      real, fake, metrics: ['fid', 'kid', 'is', 'pr', 'dc'], backend: featureBackend, inceptionNet: net, batchSize: 3,
      kidSubsets: 3, kidSubsetSize: 3, isSplits: 2, prK: 2, dcK: 2, progress: { write: (s: string) => progress.push(s) },
    });
    const A = readImageFolder(real).images;
    const B = readImageFolder(fake).images;
    const fa = await inceptionFeatures(net, A, { batchSize: 4 });
    const fb = await inceptionFeatures(net, B, { batchSize: 4 });
    A.dispose();
    B.dispose();
    const ra = { data: fa.pool3, n: 4, d: 2048 };
    const rb = { data: fb.pool3, n: 4, d: 2048 };
    const fid = frechetDistance(await featureStats(ra), await featureStats(rb));
    const k = await kid(ra, rb, { subsets: 3, subsetSize: 3 });
    const is = await inceptionScore({ data: fb.logitsUnbiased, n: 4, d: 1008 }, { splits: 2 });
    const pr = await precisionRecall(ra, rb, { k: 2 });
    const dc = await densityCoverage(ra, rb, { k: 2 });
    const got = Object.fromEntries(r.metrics.map((m) => [m.metric, m]));
    expect(Object.keys(got)).toEqual(['fid', 'kid', 'is', 'precision', 'recall', 'density', 'coverage']);
    expect(got.fid!.value).toBeCloseTo(fid, 6);
    expect(got.kid!.value).toBeCloseTo(k.mean, 8);
    expect(got.kid!.std).toBeCloseTo(k.std, 8);
    expect(got.is!.value).toBeCloseTo(is.mean, 8);
    expect(got.is!.std).toBeCloseTo(is.std, 8);
    expect([got.precision!.value, got.recall!.value]).toEqual([pr.precision, pr.recall]);
    expect([got.density!.value, got.coverage!.value]).toEqual([dc.density, dc.coverage]);
    expect(r.settings).toMatchObject({ resize: 'pytorch-bilinear', kidSubsets: 3, kidSubsetSize: 3, isSplits: 2, prK: 2, dcK: 2, inceptionWeights: 'injected network' });
    expect(progress).toContain('features real: 4/4 (100%)\n');
    expect(progress).toContain('features fake: 4/4 (100%)\n');
    net.dispose();
  });

  it('fid row of featureMetrics equals frechetDistance (8-d synthetic features), with the small-N warning', async () => {
    const mk = (n: number, seed: number) => {
      const data = new Float32Array(n * 8);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + seed) + 0.1 * Math.cos(i * 1.3 * seed);
      return { features: { data, n, d: 8 }, logitsUnbiased: { data, n, d: 8 }, decoded: [] };
    };
    const real = mk(20, 1);
    const fake = mk(6, 2);
    const s = { resize: 'tf1-bilinear' as const, batchSize: 4, kidSubsets: 2, kidSubsetSize: 5, isSplits: 2, prK: 3, dcK: 5 };
    const { rows, warnings } = await featureMetrics(['fid'], real, fake, s);
    const want = frechetDistance(await featureStats(real.features), await featureStats(fake.features));
    expect(rows).toEqual([{ metric: 'fid', value: want, settings: expect.objectContaining({ resize: 'tf1-bilinear' }) }]);
    expect(want).toBeGreaterThan(0);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^FID: 6 generated images for 8-d inception-v3-fid features: the covariance has rank at most 5 < 8, so FID is dominated by estimation bias/);
    expect(warnings[1]).toMatch(/the real and generated sets differ in size \(20 vs 6\)/);
    // With a bootstrap interval and FID∞.
    const withCi = await featureMetrics(['fid', 'kid'], mk(30, 1), mk(30, 2), { ...s, kidSubsetSize: 10, ci: { level: 0.9, reps: 20, seed: 4 }, fidInf: true, seed: 2 });
    expect(withCi.rows.map((r) => r.metric)).toEqual(['fid', 'fid-inf', 'kid']);
    const fid = withCi.rows[0]!;
    expect(fid.ci).toMatchObject({ level: 0.9, reps: 20, seed: 4, method: 'basic' });
    expect(fid.ci!.low).toBeLessThan(fid.ci!.high);
    expect(withCi.rows[2]!.ci).toMatchObject({ method: 'percentile', reps: 20 });
  });
});
