// `radix eval --shard i/n` + `radix merge`: the merged report equals the unsharded run (per-image scores, their means,
// KID, precision/recall, density/coverage, bootstrap intervals and FID∞ bit for bit; FID to float64 rounding), a shard
// writes only into DIR/shards/i-of-n and skips itself when complete, and merge refuses incomplete or mismatched sets.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { F, init, nn } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { FidInceptionV3, formulaWeights, moduleExtractor } from '@radix/metrics';
import { runEval, type EvalOptions, type EvalResult } from './eval.js';
import { mergeEvalShards } from './eval-merge.js';
import { evalShardStatus, runEvalShard } from './eval-shard.js';
import { runCli } from './dispatch.js';
import { pattern, tempDir, writePng } from './test-images.js';

const backends = await testBackends();

/** A 12-d extractor: the 2×2 average pool of each channel (cheap, deterministic, batch-independent). */
const poolExtractor = () => moduleExtractor(new nn.Flatten(), { name: 'pool2x2', dim: 12, prepare: (x) => F.adaptiveAvgPool2d(x, 2) });

function folders(n: number, prefix = 'e'): { real: string; fake: string } {
  const real = tempDir(`${prefix}-real`);
  const fake = tempDir(`${prefix}-fake`);
  for (let i = 0; i < n; i++) {
    const name = `im${String(i).padStart(2, '0')}`;
    writePng(join(real, `${name}.png`), 16, 16, pattern(16, 16, i));
    writePng(join(fake, `${name}.png`), 16, 16, pattern(16, 16, 40 + i * 3));
  }
  return { real, fake };
}

function byMetric(r: EvalResult): Record<string, EvalResult['metrics'][number]> {
  return Object.fromEntries(r.metrics.map((m) => [m.metric, m]));
}

function expectSame(merged: EvalResult, plain: EvalResult, fidTol = 1e-12): void {
  const a = byMetric(merged);
  const b = byMetric(plain);
  expect(Object.keys(a)).toEqual(Object.keys(b));
  for (const [k, row] of Object.entries(b)) {
    if (k === 'fid') {
      expect(Math.abs(a.fid!.value - row.value)).toBeLessThanOrEqual(fidTol * Math.max(1, Math.abs(row.value)));
      if (row.ci) expect(a.fid!.ci).toEqual(row.ci);
    } else {
      expect(a[k]).toEqual(row);
    }
  }
  const { date: _d1, ...sa } = merged.settings;
  const { date: _d2, ...sb } = plain.settings;
  expect(sa).toMatchObject(sb);
  expect(merged.counts).toEqual(plain.counts);
  expect(merged.provenance).toEqual(plain.provenance);
  expect(merged.warnings).toEqual(plain.warnings);
  expect(merged.names).toEqual(plain.names);
}

describe.each(backends.map((b) => b.name))('radix eval --shard + radix merge on %s', (backend) => {
  it('paired (psnr, ssim) and unpaired features (fid, kid, pr, dc, CI, FID∞): 4 shards equal the unsharded run', async () => {
    await init({ backend });
    const ext = poolExtractor();
    const { real, fake } = folders(11);
    const job = join(tempDir('e-job'), 'job');
    const options: EvalOptions = { real, fake, paired: true, metrics: ['psnr', 'ssim', 'fid', 'kid', 'pr', 'dc'], backend, featureExtractor: ext, batchSize: 2, kidSubsets: 4, kidSubsetSize: 5, prK: 2, dcK: 3, ci: 0.9, bootstrap: 12, fidInf: true, seed: 3 };
    const plain = await runEval(options);
    for (let i = 0; i < 4; i++) {
      const r = await runEvalShard(options, { index: i, count: 4 }, job);
      expect(r.skipped).toBe(false);
    }
    // Ranges of whole batches of 2: 6 batches over 4 shards → [0,2) [2,6) [6,8) [8,11).
    const h = JSON.parse(readFileSync(join(job, 'shards', '1-of-4', 'partial.json'), 'utf8')) as { ranges: Record<string, number[]>; features: { real: { raw: boolean } } };
    expect(h.ranges).toEqual({ pairs: [2, 6], real: [2, 6], fake: [2, 6] });
    expect(h.features.real.raw).toBe(true);
    expect(readdirSync(job)).toEqual(['shards']);
    // Complete shards are skipped.
    expect(evalShardStatus(options, { index: 2, count: 4 }, job)).toBeNull();
    expect((await runEvalShard(options, { index: 2, count: 4 }, job)).skipped).toBe(true);
    const merged = await mergeEvalShards(job, { json: join(job, 'eval.json') });
    expectSame(merged, plain);
    expect(merged.settings.shards).toBe(4);
    expect(byMetric(merged).psnr!.perImage).toHaveLength(11);
    expect(JSON.parse(readFileSync(join(job, 'eval.json'), 'utf8')).metrics).toHaveLength(merged.metrics.length);
    ext.dispose();
  });

  it('fid only: the partials carry float64 statistics, not features; FID equals the unsharded value to rounding', async () => {
    await init({ backend });
    const ext = poolExtractor();
    const { real, fake } = folders(9, 'fo');
    const job = tempDir('fo-job');
    const options: EvalOptions = { real, fake, metrics: ['fid'], backend, featureExtractor: ext, batchSize: 2 };
    const plain = await runEval(options);
    for (let i = 0; i < 3; i++) await runEvalShard(options, { index: i, count: 3 }, job);
    const h = JSON.parse(readFileSync(join(job, 'shards', '0-of-3', 'partial.json'), 'utf8')) as { features: { real: { raw: boolean; stats: boolean } } };
    expect(h.features.real).toMatchObject({ raw: false, stats: true });
    const merged = await mergeEvalShards(job);
    expectSame(merged, plain);
    const fid = byMetric(merged).fid!.value;
    expect(fid).toBeGreaterThan(0);
    // More shards than batches: empty shards are fine.
    const job2 = tempDir('fo-job2');
    for (let i = 0; i < 7; i++) await runEvalShard(options, { index: i, count: 7 }, job2);
    expectSame(await mergeEvalShards(job2), plain);
    ext.dispose();
  });

  it('merge refuses missing, damaged and mismatched shards, listing them; the CLI runs shards and merge', async () => {
    await init({ backend });
    const ext = poolExtractor();
    const { real, fake } = folders(6, 'mm');
    const job = tempDir('mm-job');
    const options: EvalOptions = { real, fake, metrics: ['fid', 'kid'], backend, featureExtractor: ext, batchSize: 2, kidSubsets: 2, kidSubsetSize: 3 };
    await runEvalShard(options, { index: 0, count: 3 }, job);
    await runEvalShard(options, { index: 2, count: 3 }, job);
    await expect(mergeEvalShards(job)).rejects.toThrow(/cannot merge the 3 eval shards .*\(2 readable\)[\s\S]*1-of-3: missing/);
    await runEvalShard({ ...options, kidSubsetSize: 2 }, { index: 1, count: 3 }, job);
    await expect(mergeEvalShards(job)).rejects.toThrow(/1-of-3: other options than shard 0/);
    await runEvalShard(options, { index: 1, count: 3 }, job); // the status check sees other options and recomputes
    const data = join(job, 'shards', '2-of-3', 'partial.safetensors');
    const bytes = readFileSync(data);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(data, bytes);
    await expect(mergeEvalShards(job)).rejects.toThrow(/2-of-3: .*does not match the SHA-256/);
    expect(evalShardStatus(options, { index: 2, count: 3 }, job)).toMatch(/SHA-256/);
    rmSync(join(job, 'shards', '2-of-3', 'partial.json'));
    await expect(mergeEvalShards(job)).rejects.toThrow(/2-of-3: not finished \(no partial\.json/);
    await runEvalShard(options, { index: 2, count: 3 }, job);
    expect(byMetric(await mergeEvalShards(job)).kid!.value).toBe(byMetric(await runEval(options)).kid!.value);
    // Refusals of options a shard cannot honour.
    await expect(runEvalShard({ ...options, json: join(job, 'x.json') }, { index: 0, count: 3 }, job)).rejects.toThrow(/--json is written by `radix merge DIR`/);
    await expect(runEvalShard(options, { index: 0, count: 3 }, join(real, 'job'))).rejects.toThrow(/refusing to write --out .* inside input folder/);
    ext.dispose();
    // Through the CLI (paired psnr only, no extractor needed).
    const cjob = tempDir('mm-cli');
    const io = () => { const out: string[] = []; return { out, ctx: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, env: {}, cwd: cjob } }; };
    for (let i = 0; i < 2; i++) {
      const c = io();
      expect(await runCli(['eval', '--real', real, '--fake', fake, '--paired', '--metrics', 'psnr', '--backend', backend, '--shard', `${i}/2`, '--out', '.', '--quiet'], c.ctx)).toBe(0);
      expect(c.out.join('')).toMatch(new RegExp(`eval shard ${i}/2: wrote .*shards/${i}-of-2/partial.json`));
    }
    const m = io();
    expect(await runCli(['merge', '.'], m.ctx)).toBe(0);
    expect(m.out.join('')).toMatch(/psnr/);
    expect(existsSync(join(cjob, 'eval.json'))).toBe(true);
    const plain = await runEval({ real, fake, paired: true, metrics: ['psnr'], backend });
    expect((JSON.parse(readFileSync(join(cjob, 'eval.json'), 'utf8')) as EvalResult).metrics[0]!.value).toBe(plain.metrics[0]!.value);
  });
});

describe('radix eval --shard with the FID Inception (IS logits)', () => {
  // One 299² Inception pass takes seconds even on lavapipe: WebGPU only, 2 + 2 images, one per batch.
  const gpu = backends.some((b) => b.name === 'webgpu');
  it.skipIf(!gpu)('is and fid from 2 shards equal the unsharded run', async () => {
    await init({ backend: 'webgpu' });
    const net = new FidInceptionV3(formulaWeights());
    const { real, fake } = folders(2, 'is');
    const job = tempDir('is-job');
    const options: EvalOptions = { real, fake, metrics: ['fid', 'is'], backend: 'webgpu', inceptionNet: net, batchSize: 1, isSplits: 2 };
    const plain = await runEval(options);
    for (let i = 0; i < 2; i++) await runEvalShard(options, { index: i, count: 2 }, job);
    expectSame(await mergeEvalShards(job), plain, 1e-9);
    net.dispose();
  }, 400_000);
});
