// The hostile-image corpus of `radix augment` and `radix eval` (Radix issue 12): each case runs the bundled CLI in a
// child process, which must finish within 20 s and 1.5 GB peak RSS, never by a signal, naming the file; refusals
// happen before anything is written.
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { runBoundedChild } from '@radix/tensor-webgpu/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePng, pattern, pngChunk, tempDir, writeJpeg, writePng } from '../test-images.js';
import { bundleCli } from './cli-bundle.js';

const MAX_SECONDS = 20;
const MAX_RSS_BYTES = 1.5e9;
const SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(w: number, h: number): Buffer {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(w, 0);
  b.writeUInt32BE(h, 4);
  b[8] = 8;
  b[9] = 2;
  return pngChunk('IHDR', b);
}
/** The first folder above `path` that other users cannot search (mode without o+x), or null. */
function firstUnsearchableAncestor(path: string): string | null {
  for (let d = dirname(path); ; d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) return d;
    if (dirname(d) === d) return null;
  }
}
const iend = (): Buffer => pngChunk('IEND', Buffer.alloc(0));
const goodPng = (): Buffer => encodePng({ width: 64, height: 64, colorType: 2, bitDepth: 8, sample: (x, y, c) => (x * 3 + y * 5 + c * 7) % 256 }).png;

interface CliCase {
  name: string;
  /** Fills the input folder. */
  fill(dir: string): void;
  /** 'augment' (IN OUT) or 'eval' (--real IN --fake IN). */
  command: 'augment' | 'eval';
  code: number;
  stderr: RegExp;
  /** Whether OUT may exist afterwards (refusals write nothing). */
  writes?: boolean;
}

const CASES: CliCase[] = [
  {
    name: 'huge.png: a 70-byte PNG whose header claims 30000×30000',
    fill: (d) => writeFileSync(join(d, 'huge.png'), Buffer.concat([SIG, ihdr(30000, 30000), pngChunk('IDAT', deflateSync(Buffer.alloc(100))), iend()])),
    command: 'augment', code: 1,
    stderr: /'.*huge\.png' is 30000×30000 = 900\.0 megapixels by its PNG header, over the pixel budget of 64000000 \(maxPixels\); refused before decoding/,
  },
  {
    name: 'huge.png in radix eval',
    fill: (d) => writeFileSync(join(d, 'huge.png'), Buffer.concat([SIG, ihdr(30000, 30000), pngChunk('IDAT', deflateSync(Buffer.alloc(100))), iend()])),
    command: 'eval', code: 1,
    stderr: /'.*huge\.png' is 30000×30000 = 900\.0 megapixels by its PNG header, over the pixel budget/,
  },
  {
    name: 'huge.jpg: a JPEG frame header claiming 60000×60000',
    fill: (d) => writeFileSync(join(d, 'huge.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xea, 0x60, 0xea, 0x60, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1, 0xff, 0xd9])),
    command: 'augment', code: 1,
    stderr: /'.*huge\.jpg' is 60000×60000 = 3600\.0 megapixels by its JPEG header, over the pixel budget/,
  },
  {
    name: 'two-rows.png: a 1000×1000 PNG holding 2 rows',
    fill: (d) => {
      const raw = Buffer.alloc(2 * 3001, 120);
      raw[0] = 0;
      raw[3001] = 0;
      writeFileSync(join(d, 'two-rows.png'), Buffer.concat([SIG, ihdr(1000, 1000), pngChunk('IDAT', deflateSync(raw)), iend()]));
    },
    command: 'augment', code: 1,
    stderr: /'.*two-rows\.png' is not a readable PNG file: the image data holds 2 of 1000 rows \(the compressed stream ends early\): the file is truncated/,
  },
  {
    name: 'cut.png: a PNG cut inside its image data',
    fill: (d) => writeFileSync(join(d, 'cut.png'), goodPng().subarray(0, 100)),
    command: 'augment', code: 1,
    stderr: /'.*cut\.png' is not a readable PNG file: the file ends inside chunk 'IDAT' at byte 33 .*: the file is truncated/,
  },
  {
    name: 'crc.png: a PNG with one flipped byte in its image data',
    fill: (d) => {
      const b = goodPng();
      b[60] ^= 0x55;
      writeFileSync(join(d, 'crc.png'), b);
    },
    command: 'eval', code: 1,
    stderr: /'.*crc\.png' is not a readable PNG file: chunk 'IDAT' at byte 33 has a bad CRC \(stored 0x[0-9a-f]+, computed 0x[0-9a-f]+\): the file is corrupt/,
  },
  {
    name: 'cut.jpg: a JPEG cut in half',
    fill: (d) => {
      writeJpeg(join(d, 'whole.jpg'), 48, 48, pattern(48, 48, 5));
      const b = readFileSync(join(d, 'whole.jpg'));
      writeFileSync(join(d, 'whole.jpg'), b.subarray(0, b.length >> 1));
    },
    command: 'augment', code: 1,
    stderr: /'.*whole\.jpg' is not a readable JPEG file: no end-of-image marker \(FF D9\) after the scan data in \d+ bytes: the file is truncated/,
  },
  {
    name: '1×1, 2×2 and 3×3 images with a 4×4 distortion grid',
    fill: (d) => {
      for (const s of [1, 2, 3]) writePng(join(d, `t${s}.png`), s, s, pattern(s, s, s));
      writePng(join(d, 'ok.png'), 16, 16, pattern(16, 16, 0));
    },
    command: 'augment', code: 1,
    stderr: /3 source images cannot be augmented, so nothing was written:\n {2}'.*t1\.png' is 1×1, smaller than the 4×4 distortion grid.*\n {2}'.*t2\.png' is 2×2.*\n {2}'.*t3\.png' is 3×3/,
  },
  {
    name: 'a dangling symbolic link and a link loop next to a good image',
    fill: (d) => {
      writePng(join(d, 'ok.png'), 16, 16, pattern(16, 16, 1));
      symlinkSync('/nonexistent/gone.png', join(d, 'gone.png'));
      symlinkSync(join(d, 'loop.png'), join(d, 'loop.png'));
    },
    command: 'augment', code: 0, writes: true,
    stderr: /warning: .*: skipped 2 unreadable entries: gone\.png \(dangling symbolic link to \/nonexistent\/gone\.png\), loop\.png \(symbolic link loop\)/,
  },
];

let cli: Awaited<ReturnType<typeof bundleCli>>;
beforeAll(async () => {
  cli = await bundleCli();
});
afterAll(() => cli?.cleanup());

describe('hostile images through the radix CLI, each in a child process', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const input = tempDir('hostile-in');
    c.fill(input);
    const out = join(tempDir('hostile-out'), 'out');
    const args = c.command === 'augment'
      ? ['augment', input, out, '--preset', 'rudi', '--variants', '2', '--backend', 'cpu', '--quiet']
      : ['eval', '--real', input, '--fake', input, '--paired', '--metrics', 'psnr', '--backend', 'cpu', '--quiet'];
    const r = await runBoundedChild(cli.script, args, { killAfterSeconds: 2 * MAX_SECONDS, killAboveRss: 2 * MAX_RSS_BYTES });
    expect(r.killed).toBeNull();
    expect(r.signal, r.stderr).toBeNull();
    expect(r.code, r.stderr).toBe(c.code);
    expect(r.stderr).toMatch(c.stderr);
    expect(r.wallSeconds).toBeLessThan(MAX_SECONDS);
    expect(r.polledRss).toBeLessThan(MAX_RSS_BYTES);
    if (!c.writes) expect(existsSync(out), 'a refused run writes nothing').toBe(false);
    else expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toEqual(['ok_png_0.png', 'ok_png_1.png']);
  });

  it('skips a file without read permission with a warning (as an unprivileged user)', async (ctx) => {
    const asRoot = process.getuid?.() === 0;
    if (asRoot && !existsSync('/usr/bin/setpriv')) return ctx.skip('running as root without /usr/bin/setpriv: root reads every file, so there is nothing to observe');
    // As root the CLI runs as `nobody`, which must be able to reach the bundled script inside this clone.
    const closed = asRoot ? firstUnsearchableAncestor(cli.script) : null;
    if (closed !== null) return ctx.skip(`${closed} is not searchable by other users, so the unprivileged child cannot run the CLI bundled inside this clone (clone into a world-searchable folder to run this test)`);
    const input = tempDir('perm-in');
    writePng(join(input, 'ok.png'), 16, 16, pattern(16, 16, 1));
    writePng(join(input, 'secret.png'), 16, 16, pattern(16, 16, 2));
    chmodSync(join(input, 'secret.png'), 0);
    const parent = tempDir('perm-out');
    for (const d of [input, parent]) chmodSync(d, 0o777);
    const prefix = asRoot ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const r = await runBoundedChild(cli.script, ['augment', input, join(parent, 'out'), '--rotate', '5', '--variants', '1', '--backend', 'cpu', '--quiet'], { prefix });
    chmodSync(join(input, 'secret.png'), 0o644);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: .*: skipped 1 unreadable entry: secret\.png \(permission denied\)/);
    expect(readdirSync(join(parent, 'out')).filter((f) => f.endsWith('.png'))).toEqual(['ok_png_0.png']);
  });

  it('radix eval --json to an unwritable path prints the results, then fails', async () => {
    const real = tempDir('json-real');
    const fake = tempDir('json-fake');
    writePng(join(real, 'a.png'), 16, 16, pattern(16, 16, 1));
    writePng(join(fake, 'a.png'), 16, 16, pattern(16, 16, 2));
    const r = await runBoundedChild(cli.script, ['eval', '--real', real, '--fake', fake, '--paired', '--metrics', 'psnr', '--backend', 'cpu', '--quiet', '--json', '/proc/radix-eval.json']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^psnr\s+\d+\.\d+\s+1\s/m);
    expect(r.stderr).toMatch(/the results were computed but the JSON could not be written: cannot write '\/proc\/radix-eval\.json'/);
  });
});
