// The built `radix` executable (dist/bin.js, rebuilt here with tsup) and its installed entry bin/radix.js: help,
// exit codes 0/1/2, the printed table, the JSON file and plain progress lines when stderr is not a TTY.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { pattern, tempDir, writePng } from './test-images.js';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const bin = join(pkg, 'dist', 'bin.js');

function radix(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  execFileSync('npx', ['tsup'], { cwd: pkg, stdio: 'ignore' });
});

describe('radix bin', () => {
  it('--help lists every command with exit 0; no command at all, or flags without one, is a usage error (exit 2)', () => {
    let r = radix('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: radix <command> \[options\]/);
    expect(r.stdout).toMatch(/\n  eval +compare a folder of generated images/);
    expect(r.stdout).toMatch(/\n  augment +rudi\/Augmentor-style augmentation/);
    r = radix();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/radix: no command given/);
    r = radix('--real', 'a', '--fake', 'b');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/radix: no command given before '--real'/);
    r = radix('evaluate');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'evaluate' \(commands: demo, experiment, report, eval, augment/);
    r = radix('eval', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: radix eval --real DIR --fake DIR/);
    expect(r.stdout).toMatch(/--size-policy P\s+refuse\|resize\|center-crop/);
    expect(radix('help', 'augment').stdout).toMatch(/usage: radix augment IN OUT \[options\]/);
  });

  it('the installed entry (bin/radix.js) runs the built CLI', () => {
    const r = spawnSync(process.execPath, [join(pkg, 'bin', 'radix.js'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')).version);
  });

  it('usage errors exit 2, failures exit 1, success exits 0 with a table and JSON', () => {
    const real = tempDir('bin-real');
    const fake = tempDir('bin-fake');
    for (const n of ['a.png', 'b.png']) {
      writePng(join(real, n), 16, 16, pattern(16, 16, n.charCodeAt(0)));
      writePng(join(fake, n), 16, 16, pattern(16, 16, n.charCodeAt(0) + 1));
    }
    let r = radix('eval', '--real', real, '--fake', fake, '--paired', '--metrics', 'psnr,bogus');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/radix: runEval: unknown metric 'bogus'.*\n\(see 'radix eval --help'\)/);
    r = radix('eval', '--nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/radix eval: Unknown option '--nope'/);
    r = radix('eval', '--real', real, '--fake', fake, '--paired', '--data-range', 'x');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--data-range expects a number, got 'x'/);
    r = radix('eval', '--real', tempDir('bin-empty'), '--fake', fake, '--paired', '--backend', 'cpu');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/holds no PNG or JPEG images/);
    r = radix('eval', '--real', real, '--fake', fake, '--metrics', 'fid', '--backend', 'cpu', '--inception-weights', '/nonexistent/w.pth');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pt_inception-2015-12-05-6726825d\.pth not found/);
    const out = join(tempDir('bin-out'), 'eval.json');
    r = radix('eval', '--real', real, '--fake', fake, '--paired', '--metrics', 'psnr,ssim', '--backend', 'cpu', '--json', out);
    expect(r.stderr).toBe('pairs: 2/2 (100%)\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/metric\s+value\s+n\s+settings\n-+\s+-+\s+-+\s+-+\npsnr\s+\d+\.\d\d\s+2\s+dataRange=1/);
    expect(r.stdout).toMatch(/ssim\s+0\.\d{4}\s+2\s+dataRange=1 mode=skimage/);
    expect(existsSync(out)).toBe(true);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.names).toEqual(['a.png', 'b.png']);
    expect(j.metrics.map((m: { metric: string }) => m.metric)).toEqual(['psnr', 'ssim']);
    expect(j.settings.backend).toBe('cpu');
  });
});
