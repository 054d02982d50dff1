// Image folder reading: every PNG flavour and JPEG decode to the expected [0, 1] RGB planes; bad folders and files
// are refused with messages naming them.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init } from '@radix/tensor-webgpu';
import { folderWarnings, listImageFolder, readImage, readImageFolder } from './images.js';
import { pattern, tempDir, writeJpeg, writePalettePng, writePng } from './test-images.js';

await init({ backend: 'cpu' });

function planes(rgb: Uint8Array, w: number, h: number, gray = false): number[] {
  const out: number[] = [];
  for (let c = 0; c < 3; c++) for (let p = 0; p < w * h; p++) out.push(rgb[p * 3 + (gray ? 0 : c)]! / 255);
  return out;
}

describe('readImage', () => {
  const dir = tempDir('img');
  const w = 5;
  const h = 3;
  const px = pattern(w, h, 2);

  it.each([
    [2, 8, false, []],
    [6, 8, false, ['alpha channel dropped']],
    [0, 8, true, ['grayscale replicated to RGB']],
    [4, 8, true, ['grayscale replicated to RGB', 'alpha channel dropped']],
    [2, 16, false, ['16-bit samples scaled by 1/65535']],
  ] as const)('PNG colour type %i, %i-bit', (colorType, depth, gray, notes) => {
    const path = join(dir, `t${colorType}-${depth}.png`);
    writePng(path, w, h, px, colorType, depth);
    const img = readImage(path);
    expect([img.width, img.height]).toEqual([w, h]);
    expect(img.notes).toEqual(notes);
    const want = planes(px, w, h, gray);
    const err = Math.max(...want.map((v, i) => Math.abs(v - img.data[i]!)));
    expect(err).toBeLessThan(1e-6);
  });

  it('palette PNG', () => {
    const path = join(dir, 'pal.png');
    writePalettePng(path, 2, 2, [[255, 0, 0], [0, 128, 255]], [0, 1, 1, 0]);
    const img = readImage(path);
    expect(Array.from(img.data)).toEqual([1, 0, 0, 1, 0, 128 / 255, 128 / 255, 0, 0, 1, 1, 0].map(Math.fround));
  });

  it('JPEG (quality 100) is close to its source pixels', () => {
    const path = join(dir, 'a.jpg');
    const big = pattern(16, 16, 5);
    writeJpeg(path, 16, 16, big, 100);
    const img = readImage(path);
    const want = planes(big, 16, 16);
    const meanErr = want.reduce((s, v, i) => s + Math.abs(v - img.data[i]!), 0) / want.length;
    expect(meanErr).toBeLessThan(0.02);
    expect(img.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('refuses a truncated PNG, naming the file', () => {
    const path = join(dir, 'bad.png');
    writePng(path, w, h, px);
    const good = readImage(path);
    expect(good.width).toBe(w);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, 40));
    expect(() => readImage(path)).toThrow(/readImage: '.*bad\.png' is not a readable PNG file/);
  });

  it('refuses a file that is neither PNG nor JPEG', () => {
    const path = join(dir, 'fake.png');
    writeFileSync(path, 'hello');
    expect(() => readImage(path)).toThrow(/fake\.png' is neither a PNG nor a JPEG/);
  });
});

describe('listImageFolder / readImageFolder', () => {
  it('refuses an empty folder and a missing one', () => {
    const empty = tempDir('empty');
    expect(() => listImageFolder(empty)).toThrow(/holds no PNG or JPEG images/);
    expect(() => listImageFolder(join(empty, 'nope'))).toThrow(/cannot read folder/);
  });

  it('ignores non-image entries with a warning, or refuses them with strict', () => {
    const dir = tempDir('mixed');
    writePng(join(dir, 'b.png'), 4, 4, pattern(4, 4, 1));
    writeJpeg(join(dir, 'a.JPG'), 4, 4, pattern(4, 4, 2));
    writeFileSync(join(dir, 'notes.txt'), 'x');
    mkdirSync(join(dir, 'sub'));
    const l = listImageFolder(dir);
    expect(l.names).toEqual(['a.JPG', 'b.png']);
    expect(l.ignored).toEqual(['notes.txt', 'sub/']);
    expect(() => listImageFolder(dir, { strict: true })).toThrow(/2 non-image entries \(strict mode\): notes\.txt, sub\//);
    const { images, names, warnings } = readImageFolder(dir);
    expect(images.shape).toEqual([2, 3, 4, 4]);
    expect(names).toEqual(['a.JPG', 'b.png']);
    expect(warnings[0]).toMatch(/ignored 2 non-image entries: notes\.txt, sub\//);
    images.dispose();
  });

  it('skips unreadable entries (dangling link, link loop, no read permission) and lists them in a warning', () => {
    const dir = tempDir('unreadable');
    writePng(join(dir, 'ok.png'), 4, 4, pattern(4, 4, 1));
    symlinkSync(join(dir, 'missing.png'), join(dir, 'gone.png'));
    symlinkSync(join(dir, 'loop.png'), join(dir, 'loop.png'));
    // Root reads any file, so the permission case is only observable as another user.
    const asRoot = process.getuid?.() === 0;
    writePng(join(dir, 'secret.png'), 4, 4, pattern(4, 4, 2));
    chmodSync(join(dir, 'secret.png'), 0);
    const l = listImageFolder(dir);
    const expected = [{ name: 'gone.png', reason: `dangling symbolic link to ${join(dir, 'missing.png')}` }, { name: 'loop.png', reason: 'symbolic link loop' }];
    if (!asRoot) expected.push({ name: 'secret.png', reason: 'permission denied' });
    expect(l.unreadable).toEqual(expected);
    expect(l.names).toEqual(asRoot ? ['ok.png', 'secret.png'] : ['ok.png']);
    expect(folderWarnings(l, [])[0]).toBe(`${dir}: skipped ${expected.length} unreadable entries: ${expected.map((e) => `${e.name} (${e.reason})`).join(', ')}`);
    expect(() => listImageFolder(dir, { strict: true })).toThrow(/non-image or unreadable entries \(strict mode\): gone\.png \(dangling symbolic link/);
    chmodSync(join(dir, 'secret.png'), 0o644);
  });

  it('refuses a folder of mixed sizes as one tensor', () => {
    const dir = tempDir('sizes');
    writePng(join(dir, 'a.png'), 4, 4, pattern(4, 4, 1));
    writePng(join(dir, 'b.png'), 5, 4, pattern(5, 4, 1));
    expect(() => readImageFolder(dir)).toThrow(/imagesToTensor: '.*b\.png' is 5×4 but '.*a\.png' is 4×4/);
  });
});
