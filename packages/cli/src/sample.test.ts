// `radix sample` end to end on tiny checkpoints made by the trainers (a 2-level UNet trained 2 steps on 8×8 class
// folders; a StyleGAN2 at 8×8 trained 2 minibatches): per-class PNGs and the manifest, a rerun that does nothing,
// resume after damage, shards 0/2 + 1/2 merged = the unsharded run byte for byte, refusals.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { runCli } from './dispatch.js';
import { classSeed, latentSeed, planSampleBatches } from './sample-manifest.js';
import { encodeSamplePng } from './sample.js';
import { pattern, tempDir, writePng } from './test-images.js';

const root = tempDir('sample');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function io() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out, err, text: () => out.join(''), errors: () => err.join(''),
    ctx: { stdout: { write: (c: string) => out.push(String(c)) }, stderr: { write: (c: string) => err.push(String(c)) }, env: {}, cwd: root },
  };
}

/** Every file under dir (relative, sorted) with its bytes. */
function tree(dir: string, skip: (rel: string) => boolean = () => false): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${name.name}` : name.name;
      if (skip(r)) continue;
      if (name.isDirectory()) walk(join(d, name.name), r);
      else out.set(r, readFileSync(join(d, name.name)));
    }
  };
  walk(dir, '');
  return out;
}

const pngs = (m: Map<string, Buffer>) => [...m.keys()].filter((k) => k.endsWith('.png')).sort();
const data = join(root, 'data');
const diffusionRun = join(root, 'drun');
const ganRun = join(root, 'grun');
const plainRun = join(root, 'urun');

beforeAll(async () => {
  ['benign', 'malignant'].forEach((cls, c) => {
    mkdirSync(join(data, cls), { recursive: true });
    for (let i = 0; i < 3; i++) writePng(join(data, cls, `p${i}.png`), 8, 8, pattern(8, 8, 10 * c + i));
  });
  const tiny = JSON.stringify({ blockOutChannels: [8, 16], layersPerBlock: 1, normNumGroups: 4, downBlockTypes: ['DownBlock2D', 'DownBlock2D'], upBlockTypes: ['UpBlock2D', 'UpBlock2D'] });
  const a = io();
  expect(await runCli(['train', 'diffusion', data, diffusionRun, '--resolution', '8', '--steps', '2', '--batch', '2', '--model-config', tiny, '--label-dropout', '0.2',
    '--checkpoint-every', '2', '--sample-every', '0', '--eval-every', '0', '--backend', 'cpu', '--ema', '--quiet', '--train-timesteps', '20'], a.ctx), a.errors()).toBe(0);
  const u = io();
  expect(await runCli(['train', 'diffusion', join(data, 'benign'), plainRun, '--resolution', '8', '--steps', '1', '--batch', '2', '--model-config', tiny,
    '--checkpoint-every', '1', '--sample-every', '0', '--eval-every', '0', '--backend', 'cpu', '--quiet', '--train-timesteps', '20'], u.ctx), u.errors()).toBe(0);
  const b = io();
  expect(await runCli(['train', 'gan', data, ganRun, '--resolution', '8', '--cond', '--batch', '4', '--channel-base', '64', '--channel-max', '8', '--z-dim', '8', '--w-dim', '8',
    '--backend', 'cpu', '--quiet', '--kimg', '0.008', '--snapshot-kimg', '0.008'], b.ctx), b.errors()).toBe(0);
}, 300_000);

describe('per-image noise streams', () => {
  it('seeds differ per seed, class and index, and batches are cut per class in whole batches of a shard', () => {
    const seeds = new Set<number>();
    for (const s of [1, 2]) for (const c of [null, 0, 1]) for (let k = 0; k < 50; k++) seeds.add(latentSeed(s, c, k));
    expect(seeds.size).toBe(300);
    expect(latentSeed(1, 0, 7)).toBe(latentSeed(1, 0, 7));
    expect(Number.isSafeInteger(latentSeed(2 ** 52, 3, 10 ** 6))).toBe(true);
    expect(classSeed(7, null)).toBe(7);
    expect(new Set([classSeed(7, 0), classSeed(7, 1), classSeed(8, 0), 7]).size).toBe(4);
    const settings = { n: 5, batch: 2, classes: [{ index: 0, name: 'a', folder: 'a' }, { index: 2, name: 'c', folder: 'c' }] };
    expect(planSampleBatches(settings).map((b) => [b.cls, b.indices])).toEqual([[0, [0, 1]], [0, [2, 3]], [0, [4]], [2, [0, 1]], [2, [2, 3]], [2, [4]]]);
    expect(planSampleBatches(settings, { index: 0, count: 2 }).map((b) => [b.cls, b.indices])).toEqual([[0, [0, 1]], [2, [0, 1]]]);
    expect(planSampleBatches(settings, { index: 1, count: 2 }).map((b) => [b.cls, b.indices])).toEqual([[0, [2, 3]], [0, [4]], [2, [2, 3]], [2, [4]]]);
    expect(planSampleBatches({ n: 3, batch: 2, classes: null })[1]!.files).toEqual(['sample_00002.png']);
  });
});

describe('radix sample, diffusion', () => {
  const out = join(root, 'dsamples');
  const args = ['sample', diffusionRun, out, '--n', '3', '--batch', '2', '--steps', '4', '--backend', 'cpu', '--quiet', '--seed', '5'];

  it('writes n PNGs per class and a manifest; a rerun does nothing and says so; damage is repaired identically', async () => {
    const a = io();
    expect(await runCli(args, a.ctx), a.errors()).toBe(0);
    expect(a.text()).toMatch(/sample: 6 images of 2 classes written, 0 already present and verified, from .*step-00000002/);
    const first = tree(out);
    expect(pngs(first)).toEqual(['benign/benign_00000.png', 'benign/benign_00001.png', 'benign/benign_00002.png', 'malignant/malignant_00000.png', 'malignant/malignant_00001.png', 'malignant/malignant_00002.png']);
    const img = PNG.sync.read(first.get('benign/benign_00000.png')!);
    expect([img.width, img.height]).toEqual([8, 8]);
    const m = JSON.parse(first.get('manifest.json')!.toString());
    expect(m).toMatchObject({ tool: 'radix sample', format: 'radix-sample', version: 1, shard: null });
    expect(m.settings).toMatchObject({ kind: 'diffusion', n: 3, seed: 5, batch: 2, weights: 'ema', sampler: { scheduler: 'ddim', steps: 4, eta: 0, guidance: null } });
    expect(m.settings.classes).toEqual([{ index: 0, name: 'benign', folder: 'benign' }, { index: 1, name: 'malignant', folder: 'malignant' }]);
    expect(m.checkpoint.files.map((f: { file: string }) => f.file)).toEqual(['ema/config.json', 'ema/diffusion_pytorch_model.safetensors', 'scheduler/scheduler_config.json', 'trainer_state.json']);
    expect(m.checkpoint.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(m.files).toHaveLength(6);
    expect(m.files[4]).toMatchObject({ file: 'malignant/malignant_00001.png', class: 1, index: 1, run: 0, bytes: first.get('malignant/malignant_00001.png')!.length });
    // Different images from one another (their own noise streams).
    expect(first.get('benign/benign_00000.png')!.equals(first.get('benign/benign_00001.png')!)).toBe(false);

    const b = io();
    expect(await runCli(args, b.ctx)).toBe(0);
    expect(b.text()).toMatch(/sample: nothing to do, all 6 images of 2 classes already present and verified/);
    expect(readFileSync(join(out, 'manifest.json')).equals(first.get('manifest.json')!)).toBe(true);

    // A deleted and a truncated image are written again, byte-identical (their whole batch is recomputed).
    rmSync(join(out, 'benign', 'benign_00002.png'));
    truncateSync(join(out, 'malignant', 'malignant_00000.png'), 10);
    const c = io();
    expect(await runCli(args, c.ctx)).toBe(0);
    expect(c.text()).toMatch(/sample: 2 images of 2 classes written \(2 replacing missing, truncated or modified images\), 4 already present/);
    const again = tree(out);
    for (const f of pngs(first)) expect(again.get(f)!.equals(first.get(f)!), f).toBe(true);
  }, 300_000);

  it('shards 0/2 and 1/2 merged equal the unsharded run byte for byte; other settings into the same OUT are refused', async () => {
    const sharded = join(root, 'dsharded');
    for (const s of ['0/2', '1/2']) {
      const a = io();
      expect(await runCli([...args.map((v) => (v === out ? sharded : v)), '--shard', s], a.ctx), a.errors()).toBe(0);
      expect(a.text()).toMatch(new RegExp(`sample shard ${s}: ${s === '0/2' ? 4 : 2} images`));
    }
    expect(existsSync(join(sharded, 'shards', '0-of-2', 'shard.json'))).toBe(true);
    const m = io();
    expect(await runCli(['merge', sharded], m.ctx), m.errors()).toBe(0);
    expect(m.text()).toMatch(/merge: 2 sample shards, 6 images in 2 class folders \(0 already in place\)/);
    const whole = tree(out);
    const merged = tree(sharded, (r) => r === 'shards');
    expect(pngs(merged)).toEqual(pngs(whole));
    for (const f of pngs(whole)) expect(merged.get(f)!.equals(whole.get(f)!), f).toBe(true);
    // An interrupted merge (images placed, no manifest yet; one image not yet placed) is completed by a rerun.
    rmSync(join(sharded, 'manifest.json'));
    rmSync(join(sharded, 'benign', 'benign_00001.png'));
    const m2 = io();
    expect(await runCli(['merge', sharded], m2.ctx), m2.errors()).toBe(0);
    expect(m2.text()).toMatch(/6 images in 2 class folders \(5 already in place\)/);
    expect(readFileSync(join(sharded, 'manifest.json')).equals(merged.get('manifest.json')!)).toBe(true);
    const mm = JSON.parse(merged.get('manifest.json')!.toString());
    const wm = JSON.parse(whole.get('manifest.json')!.toString());
    expect(mm.settings).toEqual(wm.settings);
    expect(mm.checkpoint.digest).toBe(wm.checkpoint.digest);
    expect(mm.files.map((e: { file: string; sha256: string }) => [e.file, e.sha256])).toEqual(wm.files.map((e: { file: string; sha256: string }) => [e.file, e.sha256]));
    // The merged OUT resumes as an unsharded run: nothing to do.
    const r = io();
    expect(await runCli([...args.map((v) => (v === out ? sharded : v))], r.ctx)).toBe(0);
    expect(r.text()).toMatch(/nothing to do/);
    // Another seed into the same OUT is refused, naming the difference.
    const d = io();
    expect(await runCli([...args.slice(0, -1), '6'], d.ctx)).toBe(2);
    expect(d.errors()).toMatch(/cannot be continued by this run: it was written with other settings \(seed: 5 then, 6 now\)/);
  }, 300_000);

  it('an unconditional model: images in OUT, equal to @radix/diffusion sample() with the same seed', async () => {
    const plain = join(root, 'usamples');
    const a = io();
    expect(await runCli(['sample', plainRun, plain, '--n', '3', '--batch', '2', '--steps', '3', '--seed', '9', '--backend', 'cpu', '--quiet'], a.ctx), a.errors()).toBe(0);
    expect(readdirSync(plain).sort()).toEqual(['manifest.json', 'sample_00000.png', 'sample_00001.png', 'sample_00002.png']);
    expect(JSON.parse(readFileSync(join(plain, 'manifest.json'), 'utf8')).settings).toMatchObject({ classes: null, weights: 'raw' });
    const { UNet2DModel, DDIMScheduler, sample } = await import('@radix/diffusion');
    const ck = join(plainRun, 'checkpoints', 'step-00000001');
    const unet = await UNet2DModel.fromPretrained(join(ck, 'unet'), { backend: 'cpu' });
    const scheduler = DDIMScheduler.fromConfig(JSON.parse(readFileSync(join(ck, 'scheduler', 'scheduler_config.json'), 'utf8')));
    const images = await sample({ model: unet, scheduler, numInferenceSteps: 3, n: 3, seed: 9, batchSize: 2 });
    const px = (await images.data()) as Float32Array;
    for (let k = 0; k < 3; k++) expect(Buffer.from(encodeSamplePng(px, images.shape as [number, number, number, number], k)).equals(readFileSync(join(plain, `sample_0000${k}.png`))), `image ${k}`).toBe(true);
    images.dispose();
    unet.dispose();
    // The step folder as a diffusers DDPMPipeline folder (model_index.json + unet/ + scheduler/): the same images.
    const pipeline = join(root, 'pipeline');
    for (const [rel, buf] of tree(ck, (r) => !['unet', 'scheduler', 'model_index.json'].some((k) => r === k || r.startsWith(`${k}/`)))) {
      mkdirSync(join(pipeline, rel, '..'), { recursive: true });
      writeFileSync(join(pipeline, rel), buf);
    }
    const fromPipeline = join(root, 'psamples');
    expect(await runCli(['sample', pipeline, fromPipeline, '--n', '3', '--batch', '2', '--steps', '3', '--seed', '9', '--backend', 'cpu', '--quiet'], io().ctx)).toBe(0);
    expect(JSON.parse(readFileSync(join(fromPipeline, 'manifest.json'), 'utf8')).checkpoint.source).toBe('diffusers-pipeline');
    for (let k = 0; k < 3; k++) expect(readFileSync(join(fromPipeline, `sample_0000${k}.png`)).equals(readFileSync(join(plain, `sample_0000${k}.png`)))).toBe(true);
  }, 300_000);

  it('--scheduler ncsn: annealed Langevin with the model as score network, equal to sample() on ncsnFromDiffusion', async () => {
    const out = join(root, 'nsamples');
    const a = io();
    expect(await runCli(['sample', plainRun, out, '--n', '2', '--scheduler', 'ncsn', '--steps', '4', '--langevin-steps', '2', '--seed', '3', '--backend', 'cpu', '--quiet'], a.ctx), a.errors()).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m.settings.sampler).toEqual({
      scheduler: 'ncsn', steps: 4, eta: null, guidance: null,
      langevin: { stepsPerScale: 2, epsilon: 2e-4, stepRule: 'paper', levelSpacing: 'geometric-sigma', finalDenoise: true, initialNoise: 'gaussian' },
    });
    const { UNet2DModel, DDPMScheduler, ncsnFromDiffusion, sample } = await import('@radix/diffusion');
    const ck = join(plainRun, 'checkpoints', 'step-00000001');
    const unet = await UNet2DModel.fromPretrained(join(ck, 'unet'), { backend: 'cpu' });
    unet.eval();
    const ddpm = DDPMScheduler.fromConfig(JSON.parse(readFileSync(join(ck, 'scheduler', 'scheduler_config.json'), 'utf8')));
    const langevin = ncsnFromDiffusion(unet, ddpm, { numScales: 4, levelSpacing: 'geometric-sigma', stepsPerScale: 2, epsilon: 2e-4, finalDenoise: true });
    const images = await sample({ ...langevin, n: 2, seed: 3 });
    const px = (await images.data()) as Float32Array;
    for (let k = 0; k < 2; k++) expect(Buffer.from(encodeSamplePng(px, images.shape as [number, number, number, number], k)).equals(readFileSync(join(out, `sample_0000${k}.png`))), `image ${k}`).toBe(true);
    images.dispose();
    unet.dispose();
    const b = io();
    expect(await runCli(['sample', plainRun, join(root, 'n2'), '--n', '1', '--scheduler', 'ncsn', '--eta', '1', '--backend', 'cpu'], b.ctx)).toBe(2);
    expect(b.errors()).toMatch(/--eta is DDIM's noise weight; leave it out with --scheduler ncsn/);
  }, 300_000);

  it('guidance with the null class, DDPM, and the refusals of flags the checkpoint cannot take', async () => {
    const a = io();
    expect(await runCli(['sample', diffusionRun, join(root, 'dguided'), '--n', '1', '--class', 'malignant', '--guidance', '2', '--scheduler', 'ddpm', '--steps', '3', '--backend', 'cpu', '--quiet'], a.ctx), a.errors()).toBe(0);
    expect(readdirSync(join(root, 'dguided')).sort()).toEqual(['malignant', 'manifest.json']);
    const b = io();
    expect(await runCli(['sample', diffusionRun, join(root, 'x1'), '--n', '1', '--truncation', '0.7', '--backend', 'cpu'], b.ctx)).toBe(2);
    expect(b.errors()).toMatch(/--truncation is for GAN checkpoints/);
    const c = io();
    expect(await runCli(['sample', diffusionRun, join(root, 'x2'), '--n', '1', '--class', 'normal', '--backend', 'cpu'], c.ctx)).toBe(2);
    expect(c.errors()).toMatch(/--class 'normal' is not a class of .* \(its classes: 0 benign, 1 malignant\)/);
    const d = io();
    expect(await runCli(['sample', diffusionRun, join(root, 'x3'), '--n', '1', '--langevin-steps', '3', '--backend', 'cpu'], d.ctx)).toBe(2);
    expect(d.errors()).toMatch(/--langevin-steps and --langevin-epsilon are settings of --scheduler ncsn/);
    const e = io();
    expect(await runCli(['sample', diffusionRun, join(root, 'x4'), '--backend', 'cpu'], e.ctx)).toBe(2);
    expect(e.errors()).toMatch(/give --n N/);
  }, 300_000);
});

describe('radix sample, GAN', () => {
  const out = join(root, 'gsamples');
  const args = ['sample', ganRun, out, '--per-class', '3', '--batch', '2', '--truncation', '0.7', '--backend', 'cpu', '--quiet'];

  it('writes per-class PNGs from the run folder; shards merged equal the unsharded run; a rerun does nothing', async () => {
    const a = io();
    expect(await runCli(args, a.ctx), a.errors()).toBe(0);
    expect(a.text()).toMatch(/sample: 6 images of 2 classes written/);
    const whole = tree(out);
    expect(pngs(whole)).toEqual(['benign/benign_00000.png', 'benign/benign_00001.png', 'benign/benign_00002.png', 'malignant/malignant_00000.png', 'malignant/malignant_00001.png', 'malignant/malignant_00002.png']);
    const m = JSON.parse(whole.get('manifest.json')!.toString());
    expect(m.settings).toMatchObject({ kind: 'gan', n: 3, weights: 'ema', sampler: { truncation: 0.7, noiseMode: 'const', network: 'G_ema' } });
    expect(m.checkpoint).toMatchObject({ kind: 'gan', source: 'radix', files: [{ file: 'checkpoint.safetensors' }] });
    const b = io();
    expect(await runCli(args, b.ctx)).toBe(0);
    expect(b.text()).toMatch(/nothing to do, all 6 images/);

    const sharded = join(root, 'gsharded');
    for (const s of ['1/2', '0/2']) expect(await runCli([...args.map((v) => (v === out ? sharded : v)), '--shard', s], io().ctx)).toBe(0);
    const mg = io();
    expect(await runCli(['merge', sharded], mg.ctx), mg.errors()).toBe(0);
    const merged = tree(sharded, (r) => r === 'shards');
    expect(pngs(merged)).toEqual(pngs(whole));
    for (const f of pngs(whole)) expect(merged.get(f)!.equals(whole.get(f)!), f).toBe(true);
    // 3 shards of 2 batches per class: shard 0 is empty, and the merge still equals the unsharded run.
    const three = join(root, 'gthree');
    const e = io();
    expect(await runCli([...args.map((v) => (v === out ? three : v)), '--shard', '0/3'], e.ctx)).toBe(0);
    expect(e.text()).toMatch(/sample shard 0\/3: no images fall into this shard/);
    for (const s of ['1/3', '2/3']) expect(await runCli([...args.map((v) => (v === out ? three : v)), '--shard', s], io().ctx)).toBe(0);
    expect(await runCli(['merge', three], io().ctx)).toBe(0);
    for (const f of pngs(whole)) expect(readFileSync(join(three, f)).equals(whole.get(f)!), f).toBe(true);
    // The checkpoint file given directly is the same checkpoint: same digest, same images.
    const direct = join(root, 'gdirect');
    expect(await runCli(['sample', join(ganRun, 'checkpoint.safetensors'), direct, '--n', '3', '--batch', '2', '--truncation', '0.7', '--class', '1', '--backend', 'cpu', '--quiet'], io().ctx)).toBe(0);
    for (const f of pngs(tree(direct))) expect(readFileSync(join(direct, f)).equals(whole.get(f)!), f).toBe(true);
    // A batch size other than the earlier run's is another job for that OUT.
    const c = io();
    expect(await runCli(args.map((v, i) => (args[i - 1] === '--batch' ? '3' : v)), c.ctx)).toBe(2);
    expect(c.errors()).toMatch(/batch: 2 then, 3 now/);
  }, 300_000);

  it('radix slurm -- sample: an array of the missing shards, then only the merge remains', async () => {
    const job = join(root, 'gslurm');
    const slurm = ['slurm', '--shards', '2', '--gpus', '0', '--radix', 'radix', '--', ...args.map((v) => (v === out ? job : v))];
    const a = io();
    expect(await runCli(slurm, a.ctx), a.errors()).toBe(0);
    expect(a.text()).toMatch(/radix slurm: sample in 2 shards, job folder .*gslurm\n  shards to run: 0-1 \(2 of 2\)\n    0\/2: not finished \(no shard\.json\)/);
    const array = readFileSync(join(job, 'slurm', 'array.sbatch'), 'utf8');
    expect(array).toContain(`radix sample ${ganRun} ${job} --per-class 3 --batch 2 --truncation 0.7 --backend cpu --quiet --shard "$I/2"`);
    expect(readFileSync(join(job, 'slurm', 'merge.sbatch'), 'utf8')).toContain(`exec radix merge ${job} --shards 2`);
    // The tasks run into the folder radix slurm created (it holds only slurm/).
    expect(await runCli([...slurm.slice(slurm.indexOf('--') + 1), '--shard', '1/2'], io().ctx)).toBe(0);
    const b = io();
    expect(await runCli(slurm, b.ctx)).toBe(0);
    expect(b.text()).toMatch(/shards to run: 0 \(1 of 2\)/);
    expect(await runCli([...slurm.slice(slurm.indexOf('--') + 1), '--shard', '0/2'], io().ctx)).toBe(0);
    const c = io();
    expect(await runCli(slurm, c.ctx)).toBe(0);
    expect(c.text()).toMatch(/every shard is complete and verified; only the merge remains/);
    expect(await runCli(['merge', job, '--shards', '2'], io().ctx)).toBe(0);
    for (const f of pngs(tree(out))) expect(readFileSync(join(job, f)).equals(readFileSync(join(out, f))), f).toBe(true);
  }, 300_000);

  it('a stylegan2-ada .pkl: its classes by index, G_ema or with --raw G', async () => {
    const pkl = fileURLToPath(new URL('../../gan/fixtures/snapshot/network-snapshot-tiny.pkl', import.meta.url));
    const out2 = join(root, 'pkl');
    const a = io();
    expect(await runCli(['sample', pkl, out2, '--n', '2', '--backend', 'cpu', '--quiet'], a.ctx), a.errors()).toBe(0);
    const m = JSON.parse(readFileSync(join(out2, 'manifest.json'), 'utf8'));
    expect(m.checkpoint).toMatchObject({ kind: 'gan', source: 'pkl', files: [{ file: 'network-snapshot-tiny.pkl' }] });
    expect(m.settings.sampler.network).toBe('G_ema');
    expect(pngs(tree(out2))).toEqual(['class0/class0_00000.png', 'class0/class0_00001.png', 'class1/class1_00000.png', 'class1/class1_00001.png']);
    const raw = join(root, 'pkl-raw');
    expect(await runCli(['sample', pkl, raw, '--n', '2', '--raw', '--backend', 'cpu', '--quiet'], io().ctx)).toBe(0);
    expect(JSON.parse(readFileSync(join(raw, 'manifest.json'), 'utf8')).settings).toMatchObject({ weights: 'raw', sampler: { network: 'G' } });
  }, 300_000);
});

describe('radix sample refusals', () => {
  it('a missing or corrupt checkpoint names the file; foreign files in OUT are never overwritten', async () => {
    const a = io();
    expect(await runCli(['sample', join(root, 'nope'), join(root, 'o1'), '--n', '1'], a.ctx)).toBe(1);
    expect(a.errors()).toMatch(/CHECKPOINT '.*nope' does not exist/);

    const bad = join(root, 'bad-gan.safetensors');
    writeFileSync(bad, Buffer.from([200, 0, 0, 0, 0, 0, 0, 0, 123]));
    const b = io();
    expect(await runCli(['sample', bad, join(root, 'o2'), '--n', '1'], b.ctx)).toBe(1);
    expect(b.errors()).toMatch(/'.*bad-gan\.safetensors' is not a readable safetensors file: its header claims 200 bytes but the file has 9/);

    // A diffusion run whose only checkpoint has a corrupted weights file.
    const broken = join(root, 'broken');
    mkdirSync(join(broken, 'checkpoints'), { recursive: true });
    const src = join(diffusionRun, 'checkpoints', 'step-00000002');
    const dst = join(broken, 'checkpoints', 'step-00000002');
    for (const [rel, buf] of tree(src)) {
      mkdirSync(join(dst, rel, '..'), { recursive: true });
      writeFileSync(join(dst, rel), buf);
    }
    const w = join(dst, 'ema', 'diffusion_pytorch_model.safetensors');
    const bytes = readFileSync(w);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(w, bytes);
    const c = io();
    expect(await runCli(['sample', broken, join(root, 'o3'), '--n', '1'], c.ctx)).toBe(1);
    expect(c.errors()).toMatch(/has no intact checkpoint \(.*step-00000002: ema\/diffusion_pytorch_model\.safetensors does not match its SHA-256 in the manifest \(corrupt\)\)/);

    // OUT holding someone else's files: refused, untouched.
    const foreign = join(root, 'foreign');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'mine');
    const d = io();
    expect(await runCli(['sample', ganRun, foreign, '--n', '1', '--backend', 'cpu'], d.ctx)).toBe(2);
    expect(d.errors()).toMatch(/OUT '.*foreign' is not empty \(notes\.txt\) and has no radix sample manifest\.json; refusing/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
    // An OUT whose manifest.json is another tool's, also for a shard.
    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'manifest.json'), JSON.stringify({ tool: 'radix augment' }));
    const g = io();
    expect(await runCli(['sample', ganRun, other, '--n', '1', '--shard', '0/2', '--backend', 'cpu'], g.ctx)).toBe(2);
    expect(g.errors()).toMatch(/'.*other\/manifest\.json' exists but was not written by radix sample/);
    expect(existsSync(join(other, 'shards'))).toBe(false);
    // A file at an image's path that the manifest does not own (an entry dropped from it): refused, left as it is.
    const owned = join(root, 'owned');
    const ownedArgs = ['sample', ganRun, owned, '--n', '1', '--backend', 'cpu', '--quiet'];
    expect(await runCli(ownedArgs, io().ctx)).toBe(0);
    const manifest = JSON.parse(readFileSync(join(owned, 'manifest.json'), 'utf8'));
    manifest.files = manifest.files.filter((x: { file: string }) => x.file !== 'malignant/malignant_00000.png');
    writeFileSync(join(owned, 'manifest.json'), JSON.stringify(manifest));
    writeFileSync(join(owned, 'malignant', 'malignant_00000.png'), 'not ours');
    const e = io();
    expect(await runCli(ownedArgs, e.ctx)).toBe(2);
    expect(e.errors()).toMatch(/1 file in '.*owned' would be overwritten but its manifest does not list them: malignant\/malignant_00000\.png/);
    expect(readFileSync(join(owned, 'malignant', 'malignant_00000.png'), 'utf8')).toBe('not ours');
    // OUT inside the checkpoint folder is refused.
    const f = io();
    expect(await runCli(['sample', ganRun, join(ganRun, 'samples'), '--n', '1', '--backend', 'cpu'], f.ctx)).toBe(2);
    expect(f.errors()).toMatch(/is the checkpoint's folder or inside it/);
  }, 300_000);
});
