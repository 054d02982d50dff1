// Data safety of `radix augment` (Radix issue 12): names that cannot collide, files the manifest does not own left
// alone, resume that verifies every output, one process per OUT, the OUT-inside-IN guard through symbolic links,
// backend/version recorded and checked, and distinct draws for every 53-bit seed. Each case checks nothing is lost.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { runBoundedChild, testBackends } from '@radix/tensor-webgpu/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAugment, type AugmentManifest, type AugmentOptions } from './augment.js';
import { digest } from './augment-manifest.js';
import { LOCK_FILE } from './output-lock.js';
import { pattern, tempDir, writeJpeg, writePng } from './test-images.js';
import { bundleCli } from './hostile/cli-bundle.js';

const opts = (input: string, output: string, extra: Partial<AugmentOptions> = {}): AugmentOptions => ({ input, output, preset: 'rudi', variants: 3, seed: 1, backend: 'cpu', ...extra });
const manifestOf = (out: string): AugmentManifest => JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as AugmentManifest;
const pngs = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
/** Every output the manifest lists exists with its recorded size and SHA-256. */
function expectSound(out: string): void {
  for (const list of Object.values(manifestOf(out).sources)) {
    for (const e of list) {
      const d = digest(readFileSync(join(out, e.file)));
      expect(d, e.file).toEqual({ bytes: e.bytes, sha256: e.sha256 });
    }
  }
}
function twoImages(): string {
  const dir = tempDir('safe-in');
  writePng(join(dir, 'a.png'), 16, 16, pattern(16, 16, 3));
  writePng(join(dir, 'b.png'), 20, 12, pattern(20, 12, 9));
  return dir;
}

describe('output names', () => {
  it('a.png and a.jpg write distinct outputs, and both survive', async () => {
    const input = tempDir('stem-in');
    writePng(join(input, 'a.png'), 16, 16, pattern(16, 16, 1));
    writeJpeg(join(input, 'a.jpg'), 16, 16, pattern(16, 16, 7), 90);
    const out = join(tempDir('stem-out'), 'o');
    const r = await runAugment(opts(input, out));
    expect(r.written).toBe(6);
    expect(pngs(out)).toEqual(['a_jpg_0.png', 'a_jpg_1.png', 'a_jpg_2.png', 'a_png_0.png', 'a_png_1.png', 'a_png_2.png']);
    expect(Object.keys(manifestOf(out).sources).sort()).toEqual(['a.jpg', 'a.png']);
    expect(readFileSync(join(out, 'a_jpg_0.png')).equals(readFileSync(join(out, 'a_png_0.png')))).toBe(false);
    expectSound(out);
  });

  it('refuses sources whose outputs differ only in letter case, before writing anything', async () => {
    const input = tempDir('case-in');
    writePng(join(input, 'A.png'), 16, 16, pattern(16, 16, 1));
    writePng(join(input, 'a.png'), 16, 16, pattern(16, 16, 2));
    const out = join(tempDir('case-out'), 'o');
    await expect(runAugment(opts(input, out))).rejects.toThrow(/output names would collide, so nothing was written: 'A\.png' and 'a\.png' would both write 'a_png_0\.png' \(names differing only in letter case/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('files OUT does not own', () => {
  it('never overwrites a file in OUT that no manifest lists, and leaves other files alone', async () => {
    const input = twoImages();
    const out = tempDir('own-out');
    writeFileSync(join(out, 'a_png_1.png'), 'my own file');
    writeFileSync(join(out, 'notes.txt'), 'keep');
    await expect(runAugment(opts(input, out))).rejects.toThrow(/1 file in '.*' would be overwritten but the folder has no manifest, so radix augment did not write them: a_png_1\.png\. Nothing was written/);
    expect(readFileSync(join(out, 'a_png_1.png'), 'utf8')).toBe('my own file');
    expect(readdirSync(out).sort()).toEqual(['a_png_1.png', 'notes.txt']);
    rmSync(join(out, 'a_png_1.png'));
    await runAugment(opts(input, out));
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('keep');
    expectSound(out);
  });

  it('refuses a manifest.json another tool wrote, and one of the old format', async () => {
    const input = twoImages();
    const out = tempDir('foreign-out');
    writeFileSync(join(out, 'manifest.json'), '{"name": "my dataset"}');
    await expect(runAugment(opts(input, out))).rejects.toThrow(/manifest\.json' exists but was not written by radix augment; refusing to overwrite it/);
    writeFileSync(join(out, 'manifest.json'), '{"tool": "radix augment", "version": 1, "settings": {}, "sources": {}}');
    await expect(runAugment(opts(input, out))).rejects.toThrow(/is a version 1 manifest \(this radix writes version 2/);
    expect(readdirSync(out)).toEqual(['manifest.json']);
  });
});

describe('resume', () => {
  it('verifies every output by size and SHA-256 and regenerates truncated, modified, missing and unfinished ones identically', async () => {
    const input = twoImages();
    const out = join(tempDir('resume-out'), 'o');
    await runAugment(opts(input, out));
    const original = new Map(pngs(out).map((f) => [f, readFileSync(join(out, f))]));
    truncateSync(join(out, 'a_png_0.png'), 40); // truncated
    const mod = readFileSync(join(out, 'a_png_1.png'));
    mod[mod.length - 20] ^= 1;
    writeFileSync(join(out, 'a_png_1.png'), mod); // same size, one bit changed
    rmSync(join(out, 'b_png_0.png')); // missing
    const m = manifestOf(out);
    m.sources['b.png']![2]!.sha256 = null; // an output a crash left unfinished
    m.sources['b.png']![2]!.bytes = null;
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(m));
    const r = await runAugment(opts(input, out));
    expect(r).toMatchObject({ written: 4, repaired: 4, skipped: 2 });
    for (const [f, bytes] of original) expect(readFileSync(join(out, f)).equals(bytes), f).toBe(true);
    expectSound(out);
    const again = await runAugment(opts(input, out));
    expect(again).toMatchObject({ written: 0, repaired: 0, skipped: 6 });
  });
});

describe('one process per OUT', () => {
  let cli: Awaited<ReturnType<typeof bundleCli>>;
  beforeAll(async () => {
    cli = await bundleCli();
  });
  afterAll(() => cli?.cleanup());

  it('refuses a second concurrent process (other seed), so OUT holds one seed only', async () => {
    const input = tempDir('lock-in');
    for (let i = 0; i < 4; i++) writePng(join(input, `img${i}.png`), 48, 48, pattern(48, 48, i));
    const out = join(tempDir('lock-out'), 'o');
    const first = runBoundedChild(cli.script, ['augment', input, out, '--preset', 'rudi', '--variants', '30', '--seed', '7', '--backend', 'cpu', '--quiet']);
    // Start the second once the first holds the lock.
    const t0 = Date.now();
    while (!existsSync(join(out, LOCK_FILE)) && Date.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 20));
    expect(existsSync(join(out, LOCK_FILE))).toBe(true);
    const second = await runBoundedChild(cli.script, ['augment', input, out, '--preset', 'rudi', '--variants', '30', '--seed', '8', '--backend', 'cpu', '--quiet']);
    const a = await first;
    expect(a.code, a.stderr).toBe(0);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(/output folder '.*' is in use by another radix augment \(pid \d+ on .*, since .*\); wait for it to finish/);
    const m = manifestOf(out);
    expect(m.settings.seed).toBe(7);
    expect(Object.values(m.sources).flat()).toHaveLength(120);
    expectSound(out);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('takes over the stale lock of a process that no longer exists, with a warning', async () => {
    const input = twoImages();
    const out = tempDir('stale-out');
    // The pid of a process that has exited (and a start time no live process has, should the pid be reused).
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    const host = (await import('node:os')).hostname();
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: deadPid, host, since: '2020-01-01T00:00:00.000Z', startTicks: 1, token: 'old' }));
    const r = await runAugment(opts(input, out));
    expect(r.warnings.join('\n')).toMatch(new RegExp(`took over the lock of pid ${deadPid} on .* \\(since 2020-01-01T00:00:00\\.000Z\\), which is no longer running`));
    expect(r.written).toBe(6);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('refuses a lock held by a live process', async () => {
    const input = twoImages();
    const out = tempDir('live-out');
    const host = (await import('node:os')).hostname();
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: process.pid, host, since: 'now', startTicks: null, token: 'x' }));
    await expect(runAugment(opts(input, out))).rejects.toThrow(new RegExp(`is in use by another radix augment \\(pid ${process.pid} on`));
    expect(readdirSync(out)).toEqual([LOCK_FILE]);
  });
});

describe('OUT inside IN', () => {
  it('is refused through a symbolic link to a subfolder of IN that does not exist yet', async () => {
    const input = twoImages();
    const link = join(tempDir('link'), 'out-link');
    symlinkSync(join(input, 'new-sub'), link);
    await expect(runAugment(opts(input, link))).rejects.toThrow(/output folder '.*out-link' is the input folder or inside it \(it resolves to '.*new-sub'\)/);
    await expect(runAugment(opts(input, join(link, 'deeper')))).rejects.toThrow(/is the input folder or inside it/);
    expect(readdirSync(input).sort()).toEqual(['a.png', 'b.png']);
  });
});

describe('backend and version', () => {
  it('records them per run and refuses to resume with another version unless allowed', async () => {
    const input = twoImages();
    const out = join(tempDir('ver-out'), 'o');
    await runAugment(opts(input, out, { variants: 2 }));
    const m = manifestOf(out);
    expect(m.runs).toHaveLength(1);
    expect(m.runs[0]).toMatchObject({ backend: 'cpu', pid: process.pid });
    expect(m.runs[0]!.radix).toMatch(/^\d+\.\d+\.\d+/);
    expect(m.runs[0]!.augment).toMatch(/^\d+\.\d+\.\d+/);
    m.runs[0]!.radix = '0.0.1';
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(m));
    rmSync(join(out, 'a_png_0.png'));
    await expect(runAugment(opts(input, out, { variants: 2 }))).rejects.toThrow(/was written by radix 0\.0\.1, augment .*, cpu; this run is radix .*\. Resuming would mix outputs of two implementations.*--allow-mixed/);
    expect(existsSync(join(out, 'a_png_0.png'))).toBe(false);
    const r = await runAugment(opts(input, out, { variants: 2, allowMixed: true }));
    expect(r.warnings.join('\n')).toMatch(/continuing because of --allow-mixed/);
    expect(manifestOf(out).runs).toHaveLength(2);
    expect(manifestOf(out).sources['a.png']![0]!.run).toBe(1);
  });

  it('refuses to resume on another backend unless allowed', async () => {
    if (!(await testBackends()).some((b) => b.name === 'webgpu')) return;
    const input = twoImages();
    const out = join(tempDir('be-out'), 'o');
    await runAugment(opts(input, out, { variants: 2, backend: 'cpu' }));
    rmSync(join(out, 'b_png_1.png'));
    await expect(runAugment(opts(input, out, { variants: 2, backend: 'webgpu' }))).rejects.toThrow(/was written by radix .*, cpu; this run is radix .*, webgpu\. .*rerun with --backend cpu/);
    const r = await runAugment(opts(input, out, { variants: 2, backend: 'webgpu', allowMixed: true }));
    expect(r.written).toBe(1);
    expect(manifestOf(out).runs.map((x) => x.backend)).toEqual(['cpu', 'webgpu']);
  });
});

describe('seeds', () => {
  it('2^52 − 1 and 2^53 − 1 draw different parameters; so do two sources under one seed', async () => {
    const input = twoImages();
    const ops = async (seed: number) => {
      const out = join(tempDir('seed-out'), 'o');
      await runAugment(opts(input, out, { seed, variants: 4 }));
      return manifestOf(out).sources;
    };
    const a = await ops(2 ** 52 - 1);
    const b = await ops(2 ** 53 - 1);
    expect(JSON.stringify(a['a.png']!.map((e) => e.operations))).not.toBe(JSON.stringify(b['a.png']!.map((e) => e.operations)));
    expect(JSON.stringify(a['a.png']!.map((e) => e.operations))).not.toBe(JSON.stringify(a['b.png']!.map((e) => e.operations)));
  });
});

describe('sources checked first', () => {
  it('refuses tiny and oversized sources, listing each, before creating OUT', async () => {
    const input = twoImages();
    writePng(join(input, 'dot.png'), 1, 1, pattern(1, 1, 0));
    const out = join(tempDir('pre-out'), 'o');
    await expect(runAugment(opts(input, out))).rejects.toThrow(/1 source image cannot be augmented, so nothing was written:\n {2}'.*dot\.png' is 1×1, smaller than the 4×4 distortion grid/);
    await expect(runAugment(opts(input, out, { preset: undefined, rotate: 10, maxPixels: 250 }))).rejects.toThrow(/^runAugment: 1 source image cannot be augmented, so nothing was written:\n {2}'.*a\.png' is 16×16 = 256 pixels by its PNG header, over the pixel budget of 250 \(maxPixels\); refused before decoding$/);
    expect(existsSync(out)).toBe(false);
    mkdirSync(out);
    expect(readdirSync(out)).toEqual([]);
  });
});
