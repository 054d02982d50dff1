// End-to-end tests of `radix train diffusion` with a tiny UNet and a few steps: outputs (checkpoints, log, summary),
// class folders, resume, and the refusals (empty data, images below the resolution with --no-upscale, bad model config);
// --objective ncsn trained and sampled natively with radix sample --scheduler ncsn, and its refusals.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './dispatch.js';
import { encodeSamplePng } from './sample.js';
import { pattern, tempDir, writePng } from './test-images.js';

const TINY = JSON.stringify({
  blockOutChannels: [8, 16], layersPerBlock: 1, normNumGroups: 4, attentionHeadDim: 8,
  downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'],
});

function ctx() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, c: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env: {}, cwd: process.cwd() } };
}

function images(dir: string, n: number, w = 12, h = 10): void {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) writePng(join(dir, `img${i}.png`), w, h, pattern(w, h, i + 1));
}

describe('radix train diffusion', () => {
  it('trains a tiny UNet on class folders, writes checkpoints and the log, and resumes to more steps', async () => {
    const data = tempDir('dtrain-data');
    images(join(data, 'benign'), 3);
    images(join(data, 'malignant'), 2, 16, 16);
    const out = join(tempDir('dtrain-out'), 'run');
    const args = ['train', 'diffusion', data, out, '--resolution', '8', '--steps', '4', '--batch', '2', '--model-config', TINY,
      '--checkpoint-every', '2', '--sample-every', '0', '--eval-every', '0', '--backend', 'cpu', '--ema', '--seed', '3'];
    const a = ctx();
    expect(await runCli(args, a.c)).toBe(0);
    expect(a.out.join('')).toMatch(/train diffusion: completed at step 4 on cpu \(5 images, 2 classes\), [\d.]+ steps\/s/);
    expect(a.err.join('')).toMatch(/train diffusion: 4\/4 \(100%\) .*steps\/s/);
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['step-00000002', 'step-00000004']);
    const ck = join(out, 'checkpoints', 'step-00000004');
    for (const f of ['unet/config.json', 'unet/diffusion_pytorch_model.safetensors', 'ema/diffusion_pytorch_model.safetensors', 'optimizer.safetensors',
      'scheduler/scheduler_config.json', 'model_index.json', 'trainer_state.json', 'manifest.json']) expect(existsSync(join(ck, f)), f).toBe(true);
    const state = JSON.parse(readFileSync(join(ck, 'trainer_state.json'), 'utf8')) as { classes: { names: string[] }; step: number };
    expect(state.classes.names).toEqual(['benign', 'malignant']);
    const unetCfg = JSON.parse(readFileSync(join(ck, 'unet', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(unetCfg).toMatchObject({ _class_name: 'UNet2DModel', num_class_embeds: 2, sample_size: 8, block_out_channels: [8, 16] });
    const sched = JSON.parse(readFileSync(join(ck, 'scheduler', 'scheduler_config.json'), 'utf8')) as Record<string, unknown>;
    expect(sched).toMatchObject({ _class_name: 'DDPMScheduler', num_train_timesteps: 1000, prediction_type: 'epsilon' });
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; loss: number; lr: number });
    expect(log.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(log.every((r) => Number.isFinite(r.loss))).toBe(true);
    expect(log[0]!.lr).toBe(0); // diffusers' warm-up starts at lr 0
    // Without --resume the run is not overwritten.
    const b = ctx();
    expect(await runCli(args, b.c)).not.toBe(0);
    expect(b.err.join('')).toMatch(/already holds a training run/);
    // --resume continues to 6 steps.
    const c = ctx();
    // … and writes a DDIM sample grid (fixed noise, one row per class) at step 6.
    const more = args.map((v, i) => (v === '4' ? '6' : args[i - 1] === '--sample-every' ? '6' : v));
    expect(await runCli([...more, '--resume', '--sampler-steps', '2', '--eval-samples', '2'], c.c)).toBe(0);
    expect(c.err.join('')).toMatch(/resumed from .*step-00000004 \(step 4\)/);
    expect(c.out.join('')).toMatch(/completed at step 6/);
    const grid = readFileSync(join(out, 'samples', 'step-00000006.png'));
    expect(grid.subarray(1, 4).toString()).toBe('PNG');
  }, 300_000);

  it('refuses an empty DATA, images below --resolution with --no-upscale, OUT inside DATA and a bad --model-config', async () => {
    const empty = tempDir('dtrain-empty');
    writeFileSync(join(empty, 'notes.txt'), 'x');
    const out = join(tempDir('dtrain-out2'), 'run');
    const a = ctx();
    expect(await runCli(['train', 'diffusion', empty, out, '--backend', 'cpu'], a.c)).not.toBe(0);
    expect(a.err.join('')).toMatch(/holds no PNG or JPEG images, neither directly nor in class subfolders \(the dataset is empty\)/);
    const small = tempDir('dtrain-small');
    images(small, 2, 6, 6);
    const b = ctx();
    expect(await runCli(['train', 'diffusion', small, out, '--resolution', '8', '--no-upscale', '--backend', 'cpu'], b.c)).not.toBe(0);
    expect(b.err.join('')).toMatch(/2 images are smaller than --resolution 8 and --no-upscale refuses them: .*img0\.png \(6×6\)/);
    const c = ctx();
    expect(await runCli(['train', 'diffusion', small, join(small, 'run'), '--backend', 'cpu'], c.c)).not.toBe(0);
    expect(c.err.join('')).toMatch(/must not be DATA or inside it/);
    const d = ctx();
    expect(await runCli(['train', 'diffusion', small, out, '--resolution', '8', '--model-config', '{"downBlockTypes":["CrossAttnDownBlock2D","DownBlock2D"],"upBlockTypes":["UpBlock2D","UpBlock2D"],"blockOutChannels":[32,64]}', '--backend', 'cpu'], d.c)).not.toBe(0);
    expect(d.err.join('')).toMatch(/downBlockTypes\[0\] 'CrossAttnDownBlock2D' is not supported/);
  }, 120_000);

  it('--objective ncsn: trains a score network with its NCSN scheduler checkpointed, and radix sample uses that scheduler natively', async () => {
    const data = tempDir('dtrain-ncsn-data');
    images(data, 3);
    const out = join(tempDir('dtrain-ncsn-out'), 'run');
    const args = ['train', 'diffusion', data, out, '--objective', 'ncsn', '--sigma-min', '0.05', '--num-scales', '4', '--resolution', '8', '--steps', '3',
      '--batch', '2', '--model-config', TINY, '--checkpoint-every', '3', '--sample-every', '3', '--eval-every', '0', '--sampler-steps', '1',
      '--eval-samples', '2', '--backend', 'cpu', '--seed', '5'];
    const a = ctx();
    expect(await runCli(args, a.c), a.err.join('')).toBe(0);
    expect(a.err.join('')).toMatch(/--sigma-max auto: measuring the largest distance between two of the 3 training images/);
    expect(a.out.join('')).toMatch(/train diffusion: completed at step 3 on cpu \(3 images\)/);
    const ck = join(out, 'checkpoints', 'step-00000003');
    const sched = JSON.parse(readFileSync(join(ck, 'scheduler', 'scheduler_config.json'), 'utf8')) as Record<string, unknown>;
    expect(sched).toMatchObject({ _class_name: 'NCSNScheduler', sigmaMin: 0.05, numScales: 4, modelInput: 'index', scoreScaling: 'divide-by-sigma', finalDenoise: true });
    expect(sched.sigmaMax as number).toBeGreaterThan(0.05);
    expect(existsSync(join(ck, 'model_index.json'))).toBe(false);
    expect(readFileSync(join(out, 'samples', 'step-00000003.png')).subarray(1, 4).toString()).toBe('PNG');
    const log = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number });
    expect(log.filter((r) => r.loss !== undefined).every((r) => Number.isFinite(r.loss))).toBe(true);
    // Sampling: --scheduler ncsn (also the default for this checkpoint) runs the trained scheduler, with 2 Langevin steps per level.
    const samples = join(tempDir('dtrain-ncsn-samples'), 's');
    const b = ctx();
    expect(await runCli(['sample', out, samples, '--n', '2', '--scheduler', 'ncsn', '--langevin-steps', '2', '--seed', '4', '--backend', 'cpu', '--quiet'], b.c), b.err.join('')).toBe(0);
    const m = JSON.parse(readFileSync(join(samples, 'manifest.json'), 'utf8')) as { settings: { sampler: Record<string, unknown> } };
    expect(m.settings.sampler).toMatchObject({ scheduler: 'ncsn', steps: 4, eta: null, guidance: null, ncsn: { ...sched, stepsPerScale: 2 } });
    const { NCSNScheduler, UNet2DModel, sample } = await import('@radix/diffusion');
    const unet = await UNet2DModel.fromPretrained(join(ck, 'unet'), { backend: 'cpu' });
    unet.eval();
    const imgs = await sample({ model: unet, scheduler: NCSNScheduler.fromConfig({ ...sched, stepsPerScale: 2 }), n: 2, seed: 4 });
    const px = (await imgs.data()) as Float32Array;
    for (let k = 0; k < 2; k++) expect(Buffer.from(encodeSamplePng(px, imgs.shape as [number, number, number, number], k)).equals(readFileSync(join(samples, `sample_0000${k}.png`))), `image ${k}`).toBe(true);
    imgs.dispose();
    unet.dispose();
    // ddim / ddpm on an NCSN checkpoint, and --steps (its levels are trained), are refused.
    for (const [flags, msg] of [
      [['--scheduler', 'ddim'], /is an NCSN score network \(trained with --objective ncsn; .*\), not a DDPM denoiser; it samples only with --scheduler ncsn .*, not ddim/],
      [['--scheduler', 'ddpm'], /samples only with --scheduler ncsn .*, not ddpm/],
      [['--steps', '10'], /--steps does not apply to an NCSN checkpoint: its 4 noise levels are fixed by training/],
    ] as const) {
      const c = ctx();
      expect(await runCli(['sample', out, join(tempDir('dtrain-ncsn-bad'), 'x'), '--n', '1', ...flags, '--backend', 'cpu'], c.c)).toBe(2);
      expect(c.err.join('')).toMatch(msg);
    }
  }, 300_000);

  it('--objective ncsn refuses sigma-min ≥ sigma-max, num-scales < 1 and DDPM-only flags; DDPM refuses the NCSN flags', async () => {
    const data = tempDir('dtrain-ncsn-bad-data');
    images(data, 2);
    const out = join(tempDir('dtrain-ncsn-bad-out'), 'run');
    const base = ['train', 'diffusion', data, out, '--resolution', '8', '--steps', '1', '--model-config', TINY, '--backend', 'cpu'];
    for (const [flags, msg] of [
      [['--objective', 'ncsn', '--sigma-max', '0.5', '--sigma-min', '0.5'], /--sigma-min \(0\.5\) must be below --sigma-max \(0\.5\)/],
      [['--objective', 'ncsn', '--sigma-min', '1000'], /sigmaMin \(1000\) must be below sigmaMax \(.*the largest distance between two training images/],
      [['--objective', 'ncsn', '--num-scales', '0'], /--num-scales/],
      [['--objective', 'ncsn', '--sigma-max', 'big'], /--sigma-max must be 'auto' or a number > 0, got 'big'/],
      [['--objective', 'ncsn', '--prediction', 'v_prediction', '--min-snr', '5'], /--prediction, --min-snr are settings of the DDPM objective; leave them out with --objective ncsn/],
      [['--sigma-min', '0.1'], /--sigma-min is a setting of --objective ncsn/],
      [['--objective', 'score'], /--objective/],
    ] as const) {
      const c = ctx();
      expect(await runCli([...base, ...flags], c.c)).toBe(2);
      expect(c.err.join('')).toMatch(msg);
    }
    expect(existsSync(join(out, 'checkpoints'))).toBe(false);
  }, 120_000);
});
