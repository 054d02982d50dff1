// End-to-end tests of `radix augment` (runAugment / the augment command): outputs and manifest, refusal to write into the
// input folder, and resuming after an output was deleted.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAugment, type AugmentManifest } from './augment.js';
import { augmentCommand, augmentOptionsFromArgs } from './commands/augment.js';
import { runCli } from './dispatch.js';
import { parseCommandArgs } from './kit/index.js';
import { readImage } from './images.js';
import { pattern, tempDir, writePng } from './test-images.js';

function inputs(): string {
  const dir = tempDir('aug-in');
  writePng(join(dir, 'a.png'), 16, 16, pattern(16, 16, 3));
  writePng(join(dir, 'b.png'), 20, 12, pattern(20, 12, 9));
  return dir;
}

describe.each(['cpu', 'webgpu'] as const)('radix augment on %s', (backend) => {
  it('writes 3 variants per image plus a manifest, then resumes after one output is deleted', async () => {
    const input = inputs();
    const out = join(tempDir('aug-out'), 'variants');
    const chunks: string[] = [];
    const r = await runAugment({ input, output: out, variants: 3, preset: 'rudi', seed: 1, backend, progress: { write: (c: string) => chunks.push(c) } });
    expect(r.written).toBe(6);
    expect(r.skipped).toBe(0);
    const pngs = readdirSync(out).filter((f) => f.endsWith('.png')).sort();
    expect(pngs).toEqual(['a_png_0.png', 'a_png_1.png', 'a_png_2.png', 'b_png_0.png', 'b_png_1.png', 'b_png_2.png']);
    expect(chunks.join('')).toMatch(/augment: 6\/6 \(100%\)/);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as AugmentManifest;
    expect(Object.keys(m.sources)).toEqual(['a.png', 'b.png']);
    expect(m.settings).toMatchObject({ preset: 'rudi', variants: 3, p: 0.7, rotate: 15, zoom: [1, 1.2], magnitude: 5, seed: 1 });
    for (const e of m.sources['a.png']!) expect(e.operations.map((o) => o.op)).toEqual(['rotate', 'zoom', 'randomDistortion']);
    const b1 = readImage(join(out, 'b_png_1.png'));
    expect([b1.width, b1.height]).toEqual([20, 12]);
    // Resume: delete one output; only it is redrawn, with the same parameters and the same pixels.
    const before = readFileSync(join(out, 'b_png_1.png'));
    const mtimeA = statSync(join(out, 'a_png_0.png')).mtimeMs;
    rmSync(join(out, 'b_png_1.png'));
    const again = await runAugment({ input, output: out, variants: 3, preset: 'rudi', seed: 1, backend });
    expect(again.written).toBe(1);
    expect(again.repaired).toBe(1);
    expect(again.skipped).toBe(5);
    expect(readFileSync(join(out, 'b_png_1.png')).equals(before)).toBe(true);
    expect(statSync(join(out, 'a_png_0.png')).mtimeMs).toBe(mtimeA);
    const noRun = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === 'run' ? undefined : x)));
    expect(noRun(again.manifest.sources)).toEqual(noRun(m.sources));
    expect(again.manifest.sources['b.png']!.map((e) => e.run)).toEqual([0, 1, 0]);
    expect(again.manifest.runs).toHaveLength(2);
    expect(again.manifest.runs[1]).toMatchObject({ backend, radix: m.runs[0]!.radix });
    for (const e of m.sources['b.png']!) expect(e.sha256).toMatch(/^[0-9a-f]{64}$/);
    // Inputs untouched.
    expect(readdirSync(input).sort()).toEqual(['a.png', 'b.png']);
  });
});

describe('radix augment refusals', () => {
  it('refuses OUT equal to or inside IN, other settings in an existing OUT, and no operation', async () => {
    const input = inputs();
    await expect(runAugment({ input, output: input, preset: 'rudi', variants: 1, backend: 'cpu' })).rejects.toThrow(/is the input folder or inside it/);
    mkdirSync(join(input, 'sub'));
    await expect(runAugment({ input, output: join(input, 'sub'), preset: 'rudi', variants: 1, backend: 'cpu' })).rejects.toThrow(/inside it/);
    expect(readdirSync(input).sort()).toEqual(['a.png', 'b.png', 'sub']);
    const out = tempDir('aug-out2');
    await runAugment({ input: inputs(), output: out, rotate: 10, variants: 1, backend: 'cpu' });
    await expect(runAugment({ input: inputs(), output: out, rotate: 11, variants: 1, backend: 'cpu' })).rejects.toThrow(/other settings/);
    await expect(runAugment({ input, output: tempDir('x'), variants: 1, backend: 'cpu' })).rejects.toThrow(/no operation chosen/);
    expect(existsSync(join(input, 'manifest.json'))).toBe(false);
  });

  it('parses the issue command line and maps usage errors to exit code 2', async () => {
    const parse = (argv: string[]) => {
      const args = parseCommandArgs(augmentCommand, argv);
      return args && augmentOptionsFromArgs(args, {});
    };
    const p = parse(['IN', 'OUT', '--variants', '125', '--rotate', '15', '--zoom', '1,1.2', '--p', '0.7', '--magnitude', '5', '--seed', '1']);
    expect(p).toMatchObject({ input: 'IN', output: 'OUT', variants: 125, rotate: 15, zoom: [1, 1.2], p: 0.7, magnitude: 5, seed: 1, backend: 'auto' });
    expect(parse(['--help'])).toBeUndefined();
    expect(() => parse(['IN', 'OUT', '--zoom', '1'])).toThrow(/--zoom expects two numbers/);
    expect(() => parse(['IN'])).toThrow(/radix augment needs IN OUT, got 'IN'/);
    const input = inputs();
    const err: string[] = [];
    const ctx = { stdout: { write: () => true }, stderr: { write: (c: string) => err.push(String(c)) }, env: {}, cwd: process.cwd() };
    expect(await runCli(['augment', input, input, '--preset', 'rudi', '--quiet'], ctx)).toBe(2);
    expect(err.join('')).toMatch(/radix: runAugment: output folder .* is the input folder or inside it/);
  });
});
