// The experiment configuration's refusals (unknown keys, wrong types, missing paths, generator variants this build
// cannot run) and the job plan it produces, plus `radix experiment` flag handling through the dispatcher.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../dispatch.js';
import { parseExperimentConfig, readExperimentConfig } from './experiment-config.js';
import { experimentJobs } from './experiment-jobs.js';
import { generatorAvailability } from './generators.js';

const tmp = mkdtempSync(join(tmpdir(), 'radix-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const parse = (raw: unknown) => parseExperimentConfig(raw, tmp);
const diffusionAvailable = (await generatorAvailability('diffusion')) === null;

describe('experiment config', () => {
  it('fills defaults and plans data, generate, classify (variants × seeds) and report jobs', async () => {
    const c = await parse({ variants: [{ kind: 'real' }, { kind: 'rudi', perClass: 10 }, { name: 'rudi-only', kind: 'synthetic-only', from: 'rudi' }], seeds: [1, 2] });
    expect(c.data).toEqual({ kind: 'ihc', path: null, size: 32, block: 64, labelledPerClass: 20, seed: 7 });
    expect(c.classifier.depth).toBe(18);
    const jobs = experimentJobs(c);
    expect(jobs.map((j) => j.id)).toEqual([
      'data', 'generate-rudi', 'classify-real-seed1', 'classify-real-seed2', 'classify-rudi-seed1', 'classify-rudi-seed2',
      'classify-rudi-only-seed1', 'classify-rudi-only-seed2', 'report',
    ]);
    expect(jobs.find((j) => j.id === 'classify-rudi-only-seed2')!.needs).toEqual(['data', 'generate-rudi']);
  });

  it('refuses unknown keys and bad values, naming the key', async () => {
    await expect(parse({ variants: [{ kind: 'real' }], seed: 3 })).rejects.toThrow(/config: unknown key 'seed' \(allowed: .*seeds/);
    await expect(parse({ variants: [{ kind: 'rudi', perclass: 3 }] })).rejects.toThrow(/config\.variants\[0\]: unknown key 'perclass'/);
    await expect(parse({ variants: [{ kind: 'real' }], classifier: { widht: 8 } })).rejects.toThrow(/config\.classifier: unknown key 'widht'/);
    await expect(parse({ variants: [{ kind: 'real' }], classifier: { depth: 50 } })).rejects.toThrow(/config\.classifier\.depth must be 18 or 34/);
    await expect(parse({ variants: [{ kind: 'cgan' }] })).rejects.toThrow(/config\.variants\[0\]\.kind must be one of real, rudi, gan, diffusion, synthetic-only, got "cgan"/);
    await expect(parse({ variants: [{ kind: 'real' }, { kind: 'real' }] })).rejects.toThrow(/the name 'real' is used twice/);
    await expect(parse({ variants: [{ kind: 'real' }, { kind: 'synthetic-only', from: 'real' }] })).rejects.toThrow(/takes its images from 'real', which is not a rudi, gan or diffusion variant/);
    await expect(parse({ variants: [{ kind: 'real', perClass: 5 }] })).rejects.toThrow(/perClass: only rudi, gan and diffusion variants take it/);
    await expect(parse({ variants: [] })).rejects.toThrow(/config\.variants must be a non-empty list/);
    await expect(parse({ variants: [{ kind: 'real' }], seeds: [1, 1] })).rejects.toThrow(/config\.seeds must be a non-empty list of distinct/);
  });

  it('refuses missing paths, naming them', async () => {
    await expect(parse({ data: { kind: 'folder', path: 'nope' }, variants: [{ kind: 'real' }] })).rejects.toThrow(/config\.data\.path: '.*nope' does not exist/);
    await expect(parse({ variants: [{ kind: 'real' }], inceptionWeights: 'missing.pth' })).rejects.toThrow(/config\.inceptionWeights: '.*missing\.pth' does not exist/);
    await expect(parse({ variants: [{ kind: 'real' }], classifier: { pretrained: 'r18.pth' } })).rejects.toThrow(/config\.classifier\.pretrained: '.*r18\.pth' does not exist/);
    const file = join(tmp, 'broken.json');
    writeFileSync(file, '{ "variants": [');
    await expect(readExperimentConfig(file)).rejects.toThrow(/cannot read the experiment config '.*broken\.json'/);
  });

  it('refuses generator variants this build cannot run with "not available in this build"', async () => {
    for (const kind of ['gan', 'diffusion'] as const) {
      const why = await generatorAvailability(kind);
      if (why === null) continue;
      await expect(parse({ variants: [{ kind: 'real' }, { name: 'g', kind }] })).rejects.toThrow(new RegExp(`'g' \\(kind '${kind}'\\) is not available in this build`));
    }
  });

  it.runIf(diffusionAvailable)("checks a diffusion variant's predictionType", async () => {
    await expect(parse({ variants: [{ kind: 'diffusion', train: { predictionType: 'x0' } }] })).rejects.toThrow(/config\.variants\[0\]\.train\.predictionType must be 'epsilon', 'sample' or 'v_prediction', got "x0"/);
    const c = await parse({ variants: [{ kind: 'diffusion', train: { predictionType: 'sample' } }] });
    expect(c.variants[0]!.train).toEqual({ predictionType: 'sample' });
  });
});

describe('radix experiment', () => {
  const ctx = () => {
    const out = { stdout: '', stderr: '' };
    return { out, ctx: { stdout: { write: (s: string) => { out.stdout += s; } }, stderr: { write: (s: string) => { out.stderr += s; } }, env: {}, cwd: tmp } };
  };
  it('lists its jobs per stage, and refuses --task without --stage or outside the stage', async () => {
    writeFileSync(join(tmp, 'e.json'), JSON.stringify({ name: 'e', variants: [{ kind: 'real' }, { kind: 'rudi', perClass: 4 }], seeds: [1] }));
    const a = ctx();
    expect(await runCli(['experiment', 'e.json', '--list'], a.ctx)).toBe(0);
    expect(a.out.stdout).toContain('classify (2 tasks):\n  0  classify-real-seed1  not started\n  1  classify-rudi-seed1  not started\n');
    const b = ctx();
    expect(await runCli(['experiment', 'e.json', '--task', '1'], b.ctx)).toBe(2);
    expect(b.out.stderr).toMatch(/--task needs --stage/);
    const c = ctx();
    expect(await runCli(['experiment', 'e.json', '--stage', 'classify', '--task', '0'], c.ctx)).toBe(1);
    expect(c.out.stderr).toMatch(/job 'classify-real-seed1' needs 'data', which has not finished/);
    const d = ctx();
    expect(await runCli(['experiment', 'e.json', '--stage', 'generate', '--task', '5'], d.ctx)).toBe(1);
    expect(d.out.stderr).toMatch(/--task 5 is outside stage 'generate', which has 1 task/);
    writeFileSync(join(tmp, 'e.json'), JSON.stringify({ name: 'e', variants: [{ kind: 'real' }], seeds: [2] }));
    const e = ctx();
    expect(await runCli(['experiment', 'e.json', '--list'], e.ctx)).toBe(1);
    expect(e.out.stderr).toMatch(/holds a run of another configuration/);
  });
});
