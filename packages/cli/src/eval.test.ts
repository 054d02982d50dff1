// End-to-end `runEval` on temporary PNG/JPEG folders, on every backend: PSNR against a float64 formula, SSIM and
// MS-SSIM against @radix/metrics called directly, size policies, bad input, and the atomic JSON output.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { msSsim, ssim } from '@radix/metrics';
import { runEval, UsageError, formatReport } from './eval.js';
import { readImage, readImageFolder } from './images.js';
import { resizeImage } from './pairs.js';
import { pattern, tempDir, writeJpeg, writePng } from './test-images.js';

const backends = await testBackends();

/** float64 PSNR of two [0, 1] planar images, as scikit-image computes it with data_range 1. */
function psnr64(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return 10 * Math.log10(1 / (s / a.length));
}

function noisy(px: Uint8Array, seed: number): Uint8Array {
  return px.map((v, i) => Math.min(255, Math.max(0, v + ((i * 7919 + seed * 104729) % 41) - 20)));
}

const W = 16;
const H = 12;
const NAMES = ['a.png', 'b.png', 'c.png'];
function pairFolders(): { real: string; fake: string } {
  const real = tempDir('real');
  const fake = tempDir('fake');
  NAMES.forEach((n, i) => {
    const px = pattern(W, H, i + 1);
    writePng(join(real, n), W, H, px);
    writePng(join(fake, n), W, H, noisy(px, i));
  });
  writeFileSync(join(fake, 'README.txt'), 'not an image');
  return { real, fake };
}

describe.each(backends.map((b) => [b.name] as const))('runEval on %s', (backend) => {
  it('paired psnr, ssim (three modes) end to end, streamed in batches of 2', async () => {
    const { real, fake } = pairFolders();
    const out = join(tempDir('out'), 'eval.json');
    const progress: string[] = [];
    const r = await runEval({ real, fake, paired: true, metrics: ['psnr', 'ssim'], backend, batchSize: 2, json: out, progress: { write: (s: string) => progress.push(s) } });
    expect(r.counts).toEqual({ real: 3, fake: 3, pairs: 3 });
    expect(r.names).toEqual(NAMES);
    const want = NAMES.map((n) => psnr64(readImage(join(real, n)).data, readImage(join(fake, n)).data));
    const got = r.metrics.find((m) => m.metric === 'psnr')!;
    const err = Math.max(...want.map((v, i) => Math.abs(v - got.perImage![i]!)));
    expect(err).toBeLessThan(1e-4);
    expect(got.value).toBeCloseTo(want.reduce((a, b) => a + b) / 3, 4);
    const A = readImageFolder(real).images;
    const B = readImageFolder(fake).images;
    const ref = await ssim(A, B, { dataRange: 1, mode: 'skimage' });
    const s = r.metrics.find((m) => m.metric === 'ssim')!;
    expect(Math.max(...ref.perImage.map((v, i) => Math.abs(v - s.perImage![i]!)))).toBeLessThan(1e-6);
    expect(s.value).toBeGreaterThan(0.2);
    expect(s.value).toBeLessThan(0.99);
    for (const mode of ['wang', 'torchmetrics'] as const) {
      const rm = await runEval({ real, fake, paired: true, metrics: ['ssim'], ssimMode: mode, backend });
      const refm = await ssim(A, B, { dataRange: 1, mode });
      expect(rm.metrics[0]!.value).toBeCloseTo(refm.mean, 6);
      expect(rm.metrics[0]!.settings.mode).toBe(mode);
    }
    A.dispose();
    B.dispose();
    // JSON: every number and setting, written atomically (no temporary file left behind).
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.settings).toMatchObject({ paired: true, metrics: ['psnr', 'ssim'], ssimMode: 'skimage', dataRange: 1, sizePolicy: 'refuse', batchSize: 2, backend });
    expect(j.metrics[0].perImage).toEqual(got.perImage);
    expect(readdirSync(join(out, '..'))).toEqual(['eval.json']);
    expect(r.warnings.join('\n')).toMatch(/ignored 1 non-image entry: README\.txt/);
    expect(progress.at(-1)).toBe('pairs: 3/3 (100%)\n');
    const report = formatReport(r);
    expect(report).toMatch(/metric\s+value\s+n\s+settings/);
    expect(report).toMatch(new RegExp(`psnr\\s+${got.value.toFixed(2)}\\s+3\\s+dataRange=1`));
  });

  it('identical folders: psnr inf (JSON "Infinity"), ssim 1; ms-ssim on 176×176 JPEGs', async () => {
    const dir = tempDir('same');
    const big = 176;
    writeJpeg(join(dir, 'x.jpg'), big, big, pattern(big, big, 9), 90);
    const fake = tempDir('same-fake');
    writeJpeg(join(fake, 'x.jpg'), big, big, noisy(pattern(big, big, 9), 3), 90);
    const out = join(tempDir('o'), 'r.json');
    const same = await runEval({ real: dir, fake: dir, paired: true, metrics: ['psnr', 'ssim'], backend, json: out });
    expect(same.metrics[0]!.value).toBe(Infinity);
    expect(same.metrics[1]!.value).toBeCloseTo(1, 6);
    expect(JSON.parse(readFileSync(out, 'utf8')).metrics[0].value).toBe('Infinity');
    const r = await runEval({ real: dir, fake, paired: true, metrics: ['ms-ssim'], backend });
    const ref = await msSsim(readImageFolder(dir).images, readImageFolder(fake).images, { dataRange: 1 });
    expect(r.metrics[0]!.value).toBeCloseTo(ref.mean, 6);
    expect(r.metrics[0]!.value).toBeGreaterThan(0.5);
    expect(r.metrics[0]!.value).toBeLessThan(1);
  });

  it('size mismatch: refuse, center-crop and resize', async () => {
    const real = tempDir('sz-real');
    const fake = tempDir('sz-fake');
    const rp = pattern(12, 12, 4);
    const fp = pattern(10, 8, 5);
    writePng(join(real, 'p.png'), 12, 12, rp);
    writePng(join(fake, 'p.png'), 10, 8, fp);
    await expect(runEval({ real, fake, paired: true, metrics: ['psnr'], backend })).rejects.toThrow(
      /size mismatch in paired mode: real '.*p\.png' is 12×12 but fake '.*p\.png' is 10×8 \(choose --size-policy resize or center-crop/,
    );
    const crop = await runEval({ real, fake, paired: true, metrics: ['psnr'], backend, sizePolicy: 'center-crop' });
    // real cropped to rows 2..9, columns 1..10
    const R = readImage(join(real, 'p.png')).data;
    const rc = new Float32Array(3 * 8 * 10);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 8; y++) for (let x = 0; x < 10; x++) rc[c * 80 + y * 10 + x] = R[c * 144 + (y + 2) * 12 + x + 1]!;
    expect(crop.metrics[0]!.value).toBeCloseTo(psnr64(rc, readImage(join(fake, 'p.png')).data), 4);
    const rs = await runEval({ real, fake, paired: true, metrics: ['psnr'], backend, sizePolicy: 'resize' });
    const resized = await resizeImage(readImage(join(fake, 'p.png')), 12, 12);
    expect(resized.width).toBe(12);
    expect(rs.metrics[0]!.value).toBeCloseTo(psnr64(R, resized.data), 4);
    expect(rs.warnings.join('\n')).toMatch(/resized from 10×8 in 1 image/);
  });
});

describe('runEval refuses bad input', () => {
  it('missing partners are listed', async () => {
    const real = tempDir('mp-real');
    const fake = tempDir('mp-fake');
    for (const n of ['a.png', 'b.png']) writePng(join(real, n), 4, 4, pattern(4, 4, 1));
    for (const n of ['a.png', 'c.png']) writePng(join(fake, n), 4, 4, pattern(4, 4, 1));
    await expect(runEval({ real, fake, paired: true, backend: 'cpu' })).rejects.toThrow(
      'paired mode matches files by name; 1 real image(s) have no fake partner: b.png; 1 fake image(s) have no real partner: c.png',
    );
  });

  it('usage errors: unknown metric, psnr unpaired, bad values', async () => {
    const { real, fake } = pairFolders();
    await expect(runEval({ real, fake, paired: true, metrics: ['psnr', 'bogus'] })).rejects.toThrow(/unknown metric 'bogus' \(available: psnr, ssim, ms-ssim/);
    await expect(runEval({ real, fake, metrics: ['ssim'] })).rejects.toThrow(/metric 'ssim' compares image pairs and needs --paired/);
    await expect(runEval({ real, fake, metrics: [] })).rejects.toBeInstanceOf(UsageError);
    await expect(runEval({ real, fake, metrics: [] })).rejects.toThrow(/no metrics requested/);
    await expect(runEval({ real, fake, paired: true, dataRange: -1 })).rejects.toThrow(/data range must be a positive number/);
    await expect(runEval({ real, fake, paired: true, sizePolicy: 'stretch' as never })).rejects.toThrow(/unknown size policy 'stretch'/);
    await expect(runEval({ real, fake, paired: true, ssimMode: 'x' as never })).rejects.toThrow(/unknown SSIM mode 'x'/);
  });

  it('empty folder, corrupt PNG, strict mode', async () => {
    const { real, fake } = pairFolders();
    const empty = tempDir('empty');
    await expect(runEval({ real: empty, fake, paired: true, backend: 'cpu' })).rejects.toThrow(/folder '.*' holds no PNG or JPEG images/);
    await expect(runEval({ real, fake, paired: true, backend: 'cpu', strict: true })).rejects.toThrow(/non-image entry \(strict mode\): README\.txt/);
    writeFileSync(join(fake, 'b.png'), readFileSync(join(fake, 'b.png')).subarray(0, 50));
    await expect(runEval({ real, fake, paired: true, backend: 'cpu' })).rejects.toThrow(/'.*b\.png' is not a readable PNG file/);
  });

  it('never writes the JSON inside an input folder', async () => {
    const { real, fake } = pairFolders();
    const target = join(real, 'a.png');
    const before = readFileSync(target);
    await expect(runEval({ real, fake, paired: true, backend: 'cpu', json: target })).rejects.toThrow(/refusing to write JSON '.*a\.png' inside input folder/);
    await expect(runEval({ real, fake, paired: true, backend: 'cpu', json: join(fake, 'new.json') })).rejects.toThrow(/inside input folder/);
    expect(readFileSync(target).equals(before)).toBe(true);
    expect(existsSync(join(fake, 'new.json'))).toBe(false);
    rmSync(real, { recursive: true });
  });
});
