// `radix train gan` end to end on a tiny configuration (8×8 images, 3 classes, a few minibatches on the CPU): the run
// folder, a rerun that continues from the checkpoint, per-class sampling from it, and the usage errors.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './dispatch.js';
import { pattern, tempDir, writePng } from './test-images.js';

const root = tempDir('train-gan');
afterAll(() => rmSync(root, { recursive: true, force: true }));
const data = join(root, 'data');
['background', 'dab', 'haematoxylin'].forEach((cls, c) => {
  mkdirSync(join(data, cls), { recursive: true });
  for (let i = 0; i < 4; i++) writePng(join(data, cls, `p${i}.png`), 8, 8, pattern(8, 8, 10 * c + i));
});
const tiny = ['--resolution', '8', '--cond', '--batch', '4', '--channel-base', '64', '--channel-max', '8', '--z-dim', '8', '--w-dim', '8', '--backend', 'cpu', '--quiet'];

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, ctx: { stdout: { write: (c: string) => out.push(String(c)) }, stderr: { write: (c: string) => err.push(String(c)) }, env: {}, cwd: root } };
}

describe('radix train gan', () => {
  it('trains, continues from its checkpoint on rerun, and samples per-class PNGs', async () => {
    const run = join(root, 'run');
    const a = io();
    const code = await runCli(['train', 'gan', data, run, ...tiny, '--ada', '--kimg', '0.016', '--snapshot-kimg', '0.008', '--cond-loss', 'd2dce', '--balanced'], a.ctx);
    expect(a.err.join('')).not.toMatch(/error/);
    expect(code).toBe(0);
    expect(a.out.join('')).toMatch(/train gan: done after 4 minibatches \(0\.016 kimg\)/);
    expect(existsSync(join(run, 'checkpoint.safetensors'))).toBe(true);
    expect(readdirSync(join(run, 'grids')).filter((f) => f.endsWith('.png')).length).toBeGreaterThanOrEqual(1);
    const lines = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => typeof l.sec === 'number').map((l) => l.step)).toEqual([1, 2, 3, 4]);
    for (const l of lines.filter((x) => typeof x.sec === 'number')) {
      expect(l.p).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(l['G/loss']) && Number.isFinite(l['D/loss']) && Number.isFinite(l['D/cond'])).toBe(true);
    }
    // Rerunning with a longer --kimg continues the same run.
    const b = io();
    expect(await runCli(['train', 'gan', data, run, ...tiny, '--ada', '--kimg', '0.024', '--snapshot-kimg', '0.008', '--cond-loss', 'd2dce', '--balanced'], b.ctx)).toBe(0);
    expect(b.out.join('')).toMatch(/done after 6 minibatches/);
    const steps = readFileSync(join(run, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => typeof l.sec === 'number').map((l) => l.step);
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    const { sampleGanCheckpoint } = await import('@radix/gan');
    const r = await sampleGanCheckpoint(join(run, 'checkpoint.safetensors'), join(root, 'samples'), { perClass: 3, truncation: 0.7 });
    expect(r.classNames).toEqual(['background', 'dab', 'haematoxylin']);
    for (const c of r.classNames) expect(readdirSync(join(root, 'samples', c)).filter((f) => f.endsWith('.png')).length).toBe(3);
    await expect(sampleGanCheckpoint(join(run, 'checkpoint.safetensors'), join(root, 'samples'), { perClass: 3 })).rejects.toThrow(/already holds PNG files/);
  });

  it('--resume-from a stylegan2-ada .pkl: its architecture, new classes re-initialised and said so, D1 + G2 frozen', async () => {
    const pkl = fileURLToPath(new URL('../../gan/fixtures/snapshot/network-snapshot-tiny.pkl', import.meta.url));
    const a = io();
    const run = join(root, 'transfer');
    const code = await runCli(['train', 'gan', data, run, '--resolution', '8', '--cond', '--batch', '4', '--backend', 'cpu', '--quiet', '--kimg', '0.008', '--resume-from', pkl, '--freeze-d', '1', '--freeze-g', '2', '--cond-loss', 'd2dce'], a.ctx);
    const err = a.err.join('');
    expect(code).toBe(0);
    expect(err).toMatch(/note: network sizes taken from .*network-snapshot-tiny\.pkl/);
    expect(err).toMatch(/note: G: re-initialised mapping\.embed\.weight \(checkpoint \[8, 2\], model \[8, 3\]\)/);
    expect(err).toMatch(/note: frozen G blocks: mapping, synthesis\.b4, synthesis\.b8/);
    expect(err).toMatch(/note: frozen D blocks: b8/);
    expect(err).toMatch(/note: every generator parameter is frozen: only D trains/); // G2 of an 8² network is all of it
  });

  it('refuses --ada with --diffaug and a bad --cond-loss', async () => {
    const a = io();
    expect(await runCli(['train', 'gan', data, join(root, 'x'), ...tiny, '--ada', '--diffaug', 'color'], a.ctx)).toBe(2);
    expect(a.err.join('')).toMatch(/--ada and --diffaug are alternatives/);
    const b = io();
    expect(await runCli(['train', 'gan', data, join(root, 'y'), ...tiny, '--cond-loss', 'ac'], b.ctx)).toBe(2);
    expect(b.err.join('')).toMatch(/--cond-loss expects projection\|d2dce/);
  });
});
