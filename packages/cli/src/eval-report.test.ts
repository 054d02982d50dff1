// `radix eval` round two end to end (injected hash-weight networks, CPU backend): the stain-transfer report's columns
// (psnr, ssim, lpips, phv, fid, kid) in one paired run with bootstrap intervals and FID∞, the measured-vs-published
// table, provenance, the memorisation check with its grid PNG, and the new flags through the command.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { init, type Tensor } from '@radix/tensor-webgpu';
import { nn } from '@radix/tensor-webgpu';
import {
  Lpips, TorchvisionResNet50, hashFormulaWeights, lpipsDistance, moduleExtractor, phv, shapesOf,
} from '@radix/metrics';
import { PNG } from 'pngjs';
import { runCli } from './dispatch.js';
import { formatReport, runEval } from './eval.js';
import { readImageFolder } from './images.js';
import { pattern, tempDir, writePng } from './test-images.js';

function withHash<M extends { stateDict(): Record<string, Tensor>; loadStateDict(d: Record<string, Tensor>): unknown }>(m: M): M {
  const sd = hashFormulaWeights(shapesOf(m));
  m.loadStateDict(sd);
  for (const t of Object.values(sd)) t.dispose();
  return m;
}

const S = 32;
function folders(): { real: string; fake: string; train: string; ref: string; out: string } {
  const real = tempDir('r2-real');
  const fake = tempDir('r2-fake');
  const train = tempDir('r2-train');
  const out = tempDir('r2-out');
  for (let i = 0; i < 8; i++) {
    const px = pattern(S, S, i + 1);
    writePng(join(real, `img${String(i).padStart(2, '0')}.png`), S, S, px);
    writePng(join(fake, `img${String(i).padStart(2, '0')}.png`), S, S, px.map((v, k) => Math.min(255, Math.max(0, v + ((k * 31 + i) % 23) - 11))));
  }
  for (let i = 0; i < 10; i++) writePng(join(train, `t${i}.png`), S, S, pattern(S, S, 100 + i * 7));
  // Two planted copies: training images identical to generated ones.
  writePng(join(train, 'copy-a.png'), S, S, readPng(join(fake, 'img03.png')));
  writePng(join(train, 'copy-b.png'), S, S, readPng(join(fake, 'img07.png')));
  const ref = join(out, 'paper.json');
  writeFileSync(ref, JSON.stringify({ source: 'test report, table 1', values: { psnr: 30, ssim: 0.9, fid: 12.5, kid: 0.01, 'phv-layer1': 0.5 } }));
  return { real, fake, train, ref, out };
}

function readPng(path: string): Uint8Array {
  const p = PNG.sync.read(readFileSync(path));
  const rgb = new Uint8Array(p.width * p.height * 3);
  for (let i = 0; i < p.width * p.height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = p.data[4 * i + c]!;
  return rgb;
}

describe('radix eval: the benchmark report in one run', () => {
  it('paired psnr, ssim, lpips, phv + fid, kid with intervals, FID∞, reference table and memorisation', async () => {
    await init({ backend: 'cpu' });
    const { real, fake, train, ref, out } = folders();
    const lp = withHash(new Lpips('alex', (await init({ backend: 'cpu' }))));
    const res = withHash(new TorchvisionResNet50());
    // A cheap extractor (4×4 grid of channel means, 48-d): the torchvision extractors are tested in @radix/metrics.
    const pool = new (class extends nn.Module {
      forward(x: Tensor): Tensor {
        return x.reshape([x.shape[0]!, 3, 4, S / 4, 4, S / 4]).mean([3, 5]).reshape([x.shape[0]!, 48]);
      }
    })();
    const extractor = moduleExtractor(pool, { name: 'grid-means', dim: 48, description: { layer: '4×4 channel means', resize: 'none' } });
    const json = join(out, 'eval.json');
    const r = await runEval({
      real, fake, paired: true, metrics: ['psnr', 'ssim', 'lpips', 'phv', 'fid', 'kid'], backend: 'cpu', json,
      lpipsModel: lp, phvNetwork: res, featureExtractor: extractor, kidSubsetSize: 5, kidSubsets: 3,
      ci: 0.9, bootstrap: 30, seed: 7, fidInf: true, reference: ref, memorisation: train,
    });
    const names = r.metrics.map((m) => m.metric);
    expect(names).toEqual(['psnr', 'ssim', 'lpips', 'phv', 'phv-layer1', 'phv-layer2', 'phv-layer3', 'phv-layer4', 'fid', 'fid-inf', 'kid']);
    // lpips and phv rows equal the library on the same tensors.
    const A = readImageFolder(real).images;
    const B = readImageFolder(fake).images;
    const d = lpipsDistance(lp, A.mul(2).sub(1), B.mul(2).sub(1));
    const lpipsRow = r.metrics.find((m) => m.metric === 'lpips')!;
    expect(lpipsRow.value).toBeCloseTo(Array.from((await d.data()) as Float32Array).reduce((x, y) => x + y, 0) / 8, 6);
    const p = await phv(A.narrow(0, 0, 2), B.narrow(0, 0, 2), { network: res });
    const phvRow = r.metrics.find((m) => m.metric === 'phv-layer1')!;
    expect(phvRow.perImage!.slice(0, 2)).toEqual(p.perImage[0]![0]);
    expect(r.metrics.find((m) => m.metric === 'phv')!.perImage![1]).toBeCloseTo(p.perImage[0]!.reduce((x, l) => x + l[1]!, 0) / 4, 12);
    const fid = r.metrics.find((m) => m.metric === 'fid')!;
    expect(fid.ci).toMatchObject({ level: 0.9, reps: 30, seed: 7, method: 'basic' });
    expect(r.metrics.find((m) => m.metric === 'kid')!.ci).toMatchObject({ method: 'percentile' });
    // Provenance: N, resolution, resize, extractor.
    expect(r.provenance.n).toEqual({ real: 8, fake: 8, pairs: 8 });
    expect(r.provenance.resolution).toEqual({ real: { '32×32': 8 }, fake: { '32×32': 8 } });
    expect(r.provenance.featureExtractor).toMatchObject({ name: 'grid-means', dim: 48 });
    expect(r.provenance.resize).toBe('none');
    expect(r.warnings.some((w) => /FID: 8 real images for 48-d grid-means features: the covariance has rank at most 7/.test(w))).toBe(true);
    // Measured vs published.
    expect(r.reference!.rows.map((x) => x.metric)).toEqual(['psnr', 'ssim', 'fid', 'kid', 'phv-layer1']);
    expect(r.reference!.rows[2]!.difference).toBeCloseTo(fid.value - 12.5, 10);
    expect(typeof r.reference!.rows[2]!.insideInterval).toBe('boolean');
    // Memorisation: the planted copies are flagged, the grid is next to the JSON.
    expect(r.memorisation!.flagged.map((f) => [f.fake, f.training]).sort()).toEqual([['img03.png', 'copy-a.png'], ['img07.png', 'copy-b.png']]);
    expect(r.memorisation!.grid).toBe(join(out, 'eval.memorisation.png'));
    const grid = PNG.sync.read(readFileSync(r.memorisation!.grid!));
    expect(grid.width).toBe(2 * 96 + 12);
    const text = formatReport(r);
    expect(text).toMatch(/resolution: real 32×32, fake 32×32 {2}features: grid-means \(48-d/);
    expect(text).toMatch(/measured vs published \(test report, table 1\)/);
    expect(text).toMatch(/fid\s+\S+ \[\S+, \S+\] \(90 % CI\)/);
    expect(text).toMatch(/memorisation \(pixel, vs .*\): 25\.0 % of the generated images flagged/);
    const saved = JSON.parse(readFileSync(json, 'utf8'));
    expect(saved.provenance.n.pairs).toBe(8);
    expect(saved.memorisation.flagged).toHaveLength(2);
    for (const t of [A, B, d]) t.dispose();
    lp.dispose();
    res.dispose();
  });

  it('the flags reach runEval, and bad values are usage errors', async () => {
    const { real, fake, out } = folders();
    const err: string[] = [];
    const ctx = { stdout: { write: () => true }, stderr: { write: (s: string) => { err.push(s); return true; } }, env: {} };
    const run = (argv: string[]): Promise<number> => runCli(argv, ctx as never);
    expect(await run(['eval', '--real', real, '--fake', fake, '--ci', '1.5', '--metrics', 'fid', '--quiet'])).toBe(2);
    expect(err.join('')).toMatch(/--ci must be a confidence level in \(0, 1\)/);
    expect(await run(['eval', '--real', real, '--fake', fake, '--features', 'swav', '--quiet'])).toBe(2);
    expect(err.join('')).toMatch(/unknown --features 'swav'/);
    expect(await run(['eval', '--real', real, '--fake', fake, '--features', 'resnet50', '--metrics', 'is', '--quiet'])).toBe(2);
    expect(err.join('')).toMatch(/the Inception Score needs the FID Inception/);
    expect(await run(['eval', '--real', real, '--fake', fake, '--paired', '--metrics', 'phv', '--quiet', '--backend', 'cpu'])).toBe(2);
    expect(err.join('')).toMatch(/phv needs torchvision ResNet-50 weights: --phv-weights resnet50-0676ba61\.pth/);
    expect(await run(['eval', '--real', real, '--fake', fake, '--memorisation', join(out, 'nope'), '--quiet'])).toBe(2);
    expect(err.join('')).toMatch(/the --memorisation folder '.*nope' does not exist/);
    writeFileSync(join(out, 'bad.json'), '{"values": {"fid": "x"}}');
    expect(await run(['eval', '--real', real, '--fake', fake, '--reference', join(out, 'bad.json'), '--quiet'])).toBe(2);
    expect(err.join('')).toMatch(/the value of 'fid' must be a finite number/);
    expect(await run(['eval', '--real', real, '--fake', fake, '--features', 'vgg16', '--quiet', '--backend', 'cpu'])).toBe(1);
    expect(err.join('')).toMatch(/the vgg16 extractor needs torchvision's weights: pass the path of vgg16-397923af\.pth/);
    expect(existsSync(join(out, 'eval.memorisation.png'))).toBe(false);
  });
});
