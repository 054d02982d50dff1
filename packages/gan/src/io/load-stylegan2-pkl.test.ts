// loadStyleGAN2Pkl on a snapshot pickled by stylegan2-ada-pytorch's own training-loop code
// (tools/reference/gen_gan_snapshot.py) and on hostile or broken variants, which must be refused naming the file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dispose, loadSafetensors } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { loadStyleGAN2Pkl } from './load-stylegan2-pkl.js';
import { readStyleGAN2Snapshot } from './snapshot-pickle.js';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'snapshot');
const TINY = join(FIX, 'network-snapshot-tiny.pkl');
const meta = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8'));
const backends = await testBackends();
const dir = mkdtempSync(join(tmpdir(), 'radix-gan-pkl-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}
const enc = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const u32 = (n: number) => String.fromCharCode(n & 255, (n >> 8) & 255, (n >> 16) & 255, (n >>> 24) & 255);

describe('loadStyleGAN2Pkl', () => {
  it.each(backends.map((b) => [b.name, b] as const))('loads G, G_ema, D and p from a snapshot written by the original and reproduces its outputs (%s)', async (_, backend) => {
    const snap = await loadStyleGAN2Pkl(TINY, { backend });
    expect(snap.augmentPipe?.p).toBe(meta.p);
    expect(snap.augmentPipe?.initKwargs.xflip).toBe(1);
    expect(snap.trainingSetKwargs).toEqual(meta.training_set_kwargs);
    expect(snap.G_ema!.config.synthesisKwargs).toEqual({ channelBase: 64, channelMax: 8, numFp16Res: 2, convClamp: 256 });
    const ex = await loadSafetensors(join(FIX, 'expected.safetensors'), { backend });
    const z = ex['in.z']!;
    const c = ex['in.c']!;
    const opts = { truncationPsi: 0.7, noiseMode: 'const' as const };
    const imgEma = snap.G_ema!.call(z, c, opts);
    const imgG = snap.G!.call(z, c, opts);
    const logits = snap.D!.call(ex['out.G_ema.img']!, c);
    const tol = { rtol: 1e-4, atol: 1e-4 };
    expectClose(await imgEma.data(), await ex['out.G_ema.img']!.data(), tol, 'G_ema');
    expectClose(await imgG.data(), await ex['out.G.img']!.data(), tol, 'G');
    expectClose(await logits.data(), await ex['out.D.logits']!.data(), tol, 'D');
    // G and G_ema are different weights (an EMA step apart).
    expect(Array.from(await imgEma.data())).not.toEqual(Array.from(await imgG.data()));
    dispose([imgEma, imgG, logits, ex]);
    snap.G!.dispose();
    snap.G_ema!.dispose();
    snap.D!.dispose();
  });

  it('never executes the source code a snapshot embeds', async () => {
    for (const m of meta.evil_markers as string[]) rmSync(m, { force: true });
    const { modules } = await readStyleGAN2Snapshot(join(FIX, 'network-snapshot-evil-src.pkl'));
    expect(Object.keys(modules).sort()).toEqual(['D', 'G', 'G_ema', 'augment_pipe']);
    expect(modules.G!.initKwargs.z_dim).toBe(8);
    for (const m of meta.evil_markers as string[]) expect(existsSync(m)).toBe(false);
  });

  it('refuses a GLOBAL of os.system before calling anything, naming the file', async () => {
    const p = file('os-system.pkl', enc(`\x80\x02cos\nsystem\nX\x02\x00\x00\x00lsq\x00\x85R.`));
    await expect(loadStyleGAN2Pkl(p)).rejects.toThrow(new RegExp(`${p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*refusing to load global 'os.system'`));
  });

  it('refuses a REDUCE of builtins.eval hidden inside a snapshot dict', async () => {
    const body = `\x80\x04}\x8c\x01G\x8c\x08builtins\x8c\x04eval\x93\x8c\x0fprint('pwned')\x85Rs.`;
    await expect(loadStyleGAN2Pkl(file('eval.pkl', enc(body)))).rejects.toThrow(/eval\.pkl: .*refusing to load global 'builtins\.eval'/);
  });

  it('refuses a hostile storage blob (its inner pickle names posix.system)', async () => {
    const inner = `\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.`;
    const body = `\x80\x04\x8c\rtorch.storage\x8c\x10_load_from_bytes\x93B${u32(inner.length)}${inner}\x85R.`;
    await expect(readStyleGAN2Snapshot(file('storage.pkl', enc(body)))).rejects.toThrow(/storage\.pkl: .*refusing to load global 'posix\.system'/);
  });

  it('refuses truncated, oversized and non-snapshot files, and a renamed network class', async () => {
    const bytes = new Uint8Array(readFileSync(TINY));
    await expect(loadStyleGAN2Pkl(file('truncated.pkl', bytes.subarray(0, Math.floor(bytes.length / 2))))).rejects.toThrow(/truncated\.pkl: .*(unexpected end of data|truncated)/);
    await expect(loadStyleGAN2Pkl(TINY, { maxFileBytes: 1000 })).rejects.toThrow(/network-snapshot-tiny\.pkl: the file has \d+ bytes, more than the 1000-byte limit/);
    await expect(loadStyleGAN2Pkl(TINY, { maxPickleOps: 500 })).rejects.toThrow(/more than 500 opcodes/);
    await expect(loadStyleGAN2Pkl(TINY, { maxBytes: 1000 })).rejects.toThrow(/exceeds the byte budget/);
    await expect(loadStyleGAN2Pkl(file('list.pkl', enc('\x80\x04]\x94.')))).rejects.toThrow(/list\.pkl: the pickle is not a dict/);
    // 'Generator' → 'Generatoz' (same length): a class Radix does not implement is refused by name.
    const text = Buffer.from(bytes).toString('latin1').replaceAll('\x8c\x09Generator', '\x8c\x09Generatoz');
    await expect(loadStyleGAN2Pkl(file('renamed.pkl', Buffer.from(text, 'latin1')))).rejects.toThrow(/renamed\.pkl: G is a 'Generatoz', expected stylegan2-ada's 'Generator'/);
  });

  it('refuses init kwargs Radix does not implement instead of dropping them', async () => {
    const bytes = Buffer.from(readFileSync(TINY)).toString('latin1');
    // 'num_layers' → 'num_lazers' in every mapping_kwargs.
    const text = bytes.replaceAll('\x8c\x0anum_layers', '\x8c\x0anum_lazers');
    expect(text).not.toEqual(bytes);
    await expect(loadStyleGAN2Pkl(file('kwargs.pkl', Buffer.from(text, 'latin1')))).rejects.toThrow(/kwargs\.pkl: G: .*unsupported argument 'num_lazers'/);
  });
});
