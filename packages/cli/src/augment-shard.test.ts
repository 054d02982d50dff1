// `radix augment --shard i/n` + `radix merge`: every shard writes only into OUT/shards/i-of-n, the merged OUT holds
// byte-identical files and the same manifest entries as the unsharded run, and merge refuses missing, unfinished,
// damaged or mismatched shards, naming them.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAugment, type AugmentManifest } from './augment.js';
import { augmentShardStatus, mergeAugmentShards } from './augment-shard.js';
import { buildAugmentSettings } from './augment.js';
import { runCli } from './dispatch.js';
import { listImageFolder } from './images.js';
import { inputDigest } from './shard.js';
import { pattern, tempDir, writePng } from './test-images.js';

function inputs(count: number): string {
  const dir = tempDir('augs-in');
  for (let i = 0; i < count; i++) writePng(join(dir, `s${i}.png`), 12 + i, 10 + (i % 3), pattern(12 + i, 10 + (i % 3), i));
  return dir;
}

const pngs = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.png')).sort();
const withoutRuns = (m: AugmentManifest) => Object.fromEntries(Object.entries(m.sources).map(([k, v]) => [k, v.map(({ run: _r, ...e }) => e)]));

describe('radix augment --shard + radix merge', () => {
  it('3 shards of 5 sources merge into files identical to the unsharded run', async () => {
    const input = inputs(5);
    const root = tempDir('augs-out');
    const plain = join(root, 'plain');
    const sharded = join(root, 'sharded');
    const common = { input, variants: 2, preset: 'rudi' as const, seed: 7, backend: 'cpu' as const };
    await runAugment({ ...common, output: plain });
    const written: number[] = [];
    for (let i = 0; i < 3; i++) written.push((await runAugment({ ...common, output: sharded, shard: { index: i, count: 3 } })).written);
    expect(written).toEqual([2, 4, 4]); // sources [0,1) [1,3) [3,5), 2 variants each
    // Each shard wrote only into its own folder.
    expect(readdirSync(sharded)).toEqual(['shards']);
    expect(readdirSync(join(sharded, 'shards')).sort()).toEqual(['0-of-3', '1-of-3', '2-of-3']);
    expect(pngs(join(sharded, 'shards', '1-of-3'))).toEqual(['s1_png_0.png', 's1_png_1.png', 's2_png_0.png', 's2_png_1.png']);
    // Status: complete for every shard.
    const { settings } = buildAugmentSettings(common as never);
    const names = listImageFolder(input).names;
    for (let i = 0; i < 3; i++) expect(augmentShardStatus(sharded, { index: i, count: 3 }, settings, names, inputDigest(input, names))).toBeNull();
    const out: string[] = [];
    expect(await runCli(['merge', sharded], { stdout: { write: (s: string) => out.push(s) }, stderr: { write: () => true }, env: {}, cwd: root })).toBe(0);
    expect(out.join('')).toMatch(/merge: 3 augment shards, 5 sources, 10 files/);
    expect(pngs(sharded)).toEqual(pngs(plain));
    for (const f of pngs(plain)) expect(readFileSync(join(sharded, f)).equals(readFileSync(join(plain, f)))).toBe(true);
    const a = JSON.parse(readFileSync(join(plain, 'manifest.json'), 'utf8')) as AugmentManifest;
    const b = JSON.parse(readFileSync(join(sharded, 'manifest.json'), 'utf8')) as AugmentManifest;
    expect(b.settings).toEqual(a.settings);
    expect(Object.keys(b.sources)).toEqual(Object.keys(a.sources));
    expect(withoutRuns(b)).toEqual(withoutRuns(a));
    expect(b.runs).toHaveLength(3);
    expect(b.sources['s4.png']![0]!.run).toBe(2);
    // The merged OUT resumes as an ordinary augment folder: nothing to redo.
    const again = await runAugment({ ...common, output: sharded });
    expect([again.written, again.skipped]).toEqual([0, 10]);
    // Merging again is a no-op that keeps every file.
    const m2 = await mergeAugmentShards(sharded);
    expect([m2.files, m2.kept]).toEqual([10, 10]);
  });

  it('refuses missing, unfinished, damaged and mismatched shards, listing them', async () => {
    const input = inputs(4);
    const out = join(tempDir('augs-bad'), 'o');
    const common = { input, output: out, variants: 2, preset: 'rudi' as const, seed: 1, backend: 'cpu' as const };
    await runAugment({ ...common, shard: { index: 0, count: 4 } });
    await runAugment({ ...common, shard: { index: 2, count: 4 } });
    await runAugment({ ...common, shard: { index: 3, count: 4 } });
    await expect(mergeAugmentShards(out)).rejects.toThrow(/cannot merge the 4 shards .* \(3 complete\)[\s\S]*1-of-4: missing/);
    await runAugment({ ...common, shard: { index: 1, count: 4 } });
    // A damaged output of shard 2 and an unfinished shard 3.
    writeFileSync(join(out, 'shards', '2-of-4', 's2_png_1.png'), 'x');
    rmSync(join(out, 'shards', '3-of-4', 'shard.json'));
    const err = await mergeAugmentShards(out).catch((e: Error) => e.message);
    expect(err).toMatch(/2-of-4: .*s2_png_1\.png is truncated, modified or unfinished/);
    expect(err).toMatch(/3-of-4: not finished \(no shard\.json\)/);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    // Rerunning the two shards repairs them; a shard with another seed is a mismatch.
    await runAugment({ ...common, shard: { index: 2, count: 4 } });
    await runAugment({ ...common, shard: { index: 3, count: 4 } });
    rmSync(join(out, 'shards', '1-of-4'), { recursive: true });
    await runAugment({ ...common, seed: 2, shard: { index: 1, count: 4 } });
    await expect(mergeAugmentShards(out)).rejects.toThrow(/1-of-4: other settings than shard 0/);
    // Shards of two counts: merge asks which.
    await runAugment({ ...common, shard: { index: 0, count: 2 } });
    await expect(mergeAugmentShards(out)).rejects.toThrow(/several counts \(4, 2\)|several counts \(2, 4\)/);
    await expect(mergeAugmentShards(out, { count: 2 })).rejects.toThrow(/1-of-2: missing/);
  });
});
