// The dataset builders: the demo's IHC patches (labels, region split, labelled subset and pool), a class-folder set
// split by source image with its refusals and warnings, and the on-disk round trip.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFolderDataset } from './dataset-folder.js';
import { buildIhcDataset } from './dataset-ihc.js';
import { loadDataset, saveDataset } from './dataset-store.js';
import { hedComposition, hedLabel } from './hed-label.js';
import { classCounts, patchCount } from './patch-set.js';

const tmp = mkdtempSync(join(tmpdir(), 'radix-dataset-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function png(path: string, w: number, h: number, colorType: 0 | 2 | 6, fill: (x: number, y: number) => [number, number, number]): void {
  const p = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const [r, g, b] = fill(x, y);
    p.data.set([r, g, b, 200], (y * w + x) * 4);
  }
  writeFileSync(path, PNG.sync.write(p, { colorType, inputHasAlpha: true }));
}

describe('HED labels', () => {
  it('reads white as unstained and a DAB-brown pixel as DAB-dominant', () => {
    const white = new Float32Array(3 * 4).fill(1);
    expect(hedComposition(white, 2)).toEqual({ haematoxylin: 0, eosin: 0, dab: 0 });
    expect(hedLabel(white, 2)).toBe(0);
    const brown = new Float32Array([0.45, 0.45, 0.45, 0.45, 0.25, 0.25, 0.25, 0.25, 0.1, 0.1, 0.1, 0.1]);
    expect(hedLabel(brown, 2)).toBe(2);
    const blue = new Float32Array([0.3, 0.3, 0.3, 0.3, 0.35, 0.35, 0.35, 0.35, 0.6, 0.6, 0.6, 0.6]);
    expect(hedLabel(blue, 2)).toBe(1);
  });
});

describe('the IHC dataset', () => {
  const ds = buildIhcDataset();
  it('cuts 256 non-overlapping 32×32 patches, 20 labelled per class, the rest of the training region as the pool', () => {
    const n = (s: typeof ds.train) => patchCount(s, 32);
    expect(ds.classes).toEqual(['low-stain', 'mixed', 'DAB']);
    expect(n(ds.train) + n(ds.val) + n(ds.test) + n(ds.pool)).toBe(256);
    expect(classCounts(ds.train, 3)).toEqual([20, 20, 20]);
    expect([...ds.pool.labels].every((l) => l === -1)).toBe(true);
    for (const s of [ds.val, ds.test]) expect(Math.min(...classCounts(s, 3))).toBeGreaterThanOrEqual(3);
    const all = [ds.train, ds.val, ds.test, ds.pool].flatMap((s) => s.origins.map((o) => `${o.x},${o.y}`));
    expect(new Set(all).size).toBe(256);
  });

  it('keeps whole 64-pixel regions in one split (no test pixel in any training or pool patch)', () => {
    const region = (o: { x: number; y: number }) => `${Math.floor(o.x / 64)},${Math.floor(o.y / 64)}`;
    const held = new Set([...ds.val.origins, ...ds.test.origins].map(region));
    for (const o of [...ds.train.origins, ...ds.pool.origins]) expect(held.has(region(o))).toBe(false);
    const test = new Set(ds.test.origins.map(region));
    for (const o of ds.val.origins) expect(test.has(region(o))).toBe(false);
  });

  it('is the same for a seed and differs for another', () => {
    const again = buildIhcDataset();
    expect(again.test.origins).toEqual(ds.test.origins);
    expect(buildIhcDataset({ seed: 8 }).test.origins).not.toEqual(ds.test.origins);
  });

  it('round-trips through the run directory', async () => {
    await saveDataset(join(tmp, 'ihc'), ds);
    const back = loadDataset(join(tmp, 'ihc'));
    expect(back.classes).toEqual(ds.classes);
    expect(back.test.images).toEqual(ds.test.images);
    expect(back.pool.labels).toEqual(ds.pool.labels);
    expect(back.train.origins).toEqual(ds.train.origins);
  });
});

describe('a class-folder dataset', () => {
  const root = join(tmp, 'folders');
  const red = (): [number, number, number] => [200, 30, 30];
  mkdirSync(join(root, 'a'), { recursive: true });
  mkdirSync(join(root, 'b'), { recursive: true });
  for (let i = 0; i < 3; i++) png(join(root, 'a', `a${i}.png`), 64, 32, 2, red);
  for (let i = 0; i < 5; i++) png(join(root, 'b', `b${i}.png`), 32, 32, i === 0 ? 0 : i === 1 ? 6 : 2, () => [20, 20, 180]);

  it('splits by source image, cuts patches, and warns about unequal classes and grayscale/RGBA files by name', () => {
    const ds = buildFolderDataset({ root, size: 32 });
    expect(ds.classes).toEqual(['a', 'b']);
    const sources = (s: typeof ds.train) => new Set(s.origins.map((o) => o.source));
    const [tr, va, te] = [sources(ds.train), sources(ds.val), sources(ds.test)];
    for (const s of tr) expect(va.has(s) || te.has(s)).toBe(false);
    for (const s of va) expect(te.has(s)).toBe(false);
    expect(classCounts(ds.test, 2)).toEqual([2, 1]); // one 64×32 image of a = two patches; one image of b
    expect(ds.warnings.join('\n')).toMatch(/classes are unequal \(a: 3 images, b: 5 images\)/);
    expect(ds.warnings.join('\n')).toMatch(/grayscale replicated to RGB in 1 image\(s\): .*b0\.png/);
    expect(ds.warnings.join('\n')).toMatch(/alpha channel dropped in 1 image\(s\): .*b1\.png/);
  });

  it('refuses a class with one image, a single class, images smaller than a patch, and mixed sizes without --size', () => {
    const one = join(tmp, 'one');
    mkdirSync(join(one, 'x'), { recursive: true });
    mkdirSync(join(one, 'y'), { recursive: true });
    png(join(one, 'x', 'only.png'), 32, 32, 2, red);
    for (let i = 0; i < 3; i++) png(join(one, 'y', `${i}.png`), 32, 32, 2, red);
    expect(() => buildFolderDataset({ root: one })).toThrow(/class 'x' \(.*\) has 1 image; splitting by source image into train, validation and test needs at least 3 per class/);
    expect(() => buildFolderDataset({ root: join(one, 'y') })).toThrow(/one subfolder per class \(at least 2\), found none/);
    expect(() => buildFolderDataset({ root, size: 48 })).toThrow(/\.png' is \d+×32, smaller than the 48×48 patches/);
    expect(() => buildFolderDataset({ root })).toThrow(/images differ in size .* set the patch size/);
    expect(() => buildFolderDataset({ root: join(tmp, 'missing') })).toThrow(/cannot read the class folder/);
  });
});
