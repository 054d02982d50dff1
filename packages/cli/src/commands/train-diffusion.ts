// `radix train diffusion DATA OUT`: flags and help of diffusion training; the work is runTrainDiffusion in
// ../train-diffusion.ts, loaded (with @radix/diffusion) only when the command runs.
import { resolve } from 'node:path';
import { BACKEND_OPTION, MAX_PIXELS_OPTION, QUIET_OPTION, SEED_OPTION, UsageError, readBackend, readSeed, type Command, type ParsedArgs } from '../kit/index.js';
import type { TrainDiffusionOptions } from '../train-diffusion.js';

/**
 * Turns parsed `radix train diffusion` arguments into {@link TrainDiffusionOptions} (without progress).
 *
 * @example
 * const o = trainDiffusionOptionsFromArgs(parseCommandArgs(trainDiffusionCommand, ['data', 'run', '--steps', '500'])!, {});
 */
export function trainDiffusionOptionsFromArgs(args: ParsedArgs, env: Record<string, string | undefined>): TrainDiffusionOptions {
  const [data, out] = args.expectPositionals('train diffusion', ['DATA', 'OUT']);
  const sigmaMaxText = args.string('sigma-max');
  let sigmaMax: number | 'auto' | undefined;
  if (sigmaMaxText !== undefined) {
    sigmaMax = sigmaMaxText === 'auto' ? 'auto' : Number(sigmaMaxText);
    if (sigmaMax !== 'auto' && (sigmaMaxText.trim() === '' || !Number.isFinite(sigmaMax) || sigmaMax <= 0)) throw new UsageError(`--sigma-max must be 'auto' or a number > 0, got '${sigmaMaxText}'`);
  }
  return {
    objective: args.choice('objective', ['ddpm', 'ncsn'] as const), sigmaMax, sigmaMin: args.number('sigma-min'), numScales: args.integer('num-scales', { min: 1 }),
    data: data!, out: out!,
    resolution: args.integer('resolution', { min: 8, max: 1024 }), steps: args.integer('steps', { min: 1 }), batch: args.integer('batch', { min: 1 }),
    lr: args.number('lr'), warmup: args.integer('warmup', { min: 0 }), ema: args.flag('ema'),
    sampleEvery: args.integer('sample-every', { min: 0 }), evalEvery: args.integer('eval-every', { min: 0 }),
    checkpointEvery: args.integer('checkpoint-every', { min: 1 }), keepCheckpoints: args.integer('keep', { min: 1 }),
    resume: args.flag('resume'), augment: args.choice('augment', ['rudi'] as const), modelConfig: args.string('model-config'),
    prediction: args.choice('prediction', ['epsilon', 'v_prediction', 'sample'] as const),
    betaSchedule: args.choice('beta-schedule', ['linear', 'scaled_linear', 'squaredcos_cap_v2', 'sigmoid'] as const),
    trainTimesteps: args.integer('train-timesteps', { min: 2 }), minSnr: args.number('min-snr'), labelDropout: args.number('label-dropout'),
    inception: args.string('inception'), evalSamples: args.integer('eval-samples', { min: 2 }), samplerSteps: args.integer('sampler-steps', { min: 1 }),
    noUpscale: args.flag('no-upscale'), seed: args.string('seed') === undefined ? undefined : readSeed(args), backend: readBackend(args, env),
    maxPixels: args.integer('max-pixels', { min: 1 }),
  };
}

/** `radix train diffusion`. */
export const trainDiffusionCommand: Command = {
  name: 'train diffusion',
  summary: 'train a DDPM or an NCSN score network (diffusers-compatible UNet2DModel) on an image folder, with checkpoints, sample grids and metrics',
  usage: 'radix train diffusion DATA OUT [options]',
  positionals: [
    { name: 'DATA', description: 'folder of images (unconditional), or one subfolder of images per class (class-conditional); never written to' },
    { name: 'OUT', description: 'run folder: checkpoints/, samples/, log.jsonl, train_summary.json (created; not inside DATA)' },
  ],
  options: [
    { name: 'resolution', type: 'string', arg: 'PX', description: 'side of the square training images (default 32); each image is resized (shorter side) and centre-cropped' },
    { name: 'steps', type: 'string', arg: 'N', description: 'optimisation steps (default 20000)' },
    { name: 'batch', type: 'string', arg: 'N', description: 'images per step (default 16)' },
    { name: 'lr', type: 'string', arg: 'LR', description: 'peak AdamW learning rate (default 1e-4; betas 0.95, 0.999, weight decay 1e-6)' },
    { name: 'warmup', type: 'string', arg: 'N', description: 'linear warm-up steps before the cosine decay (default 500)' },
    { name: 'ema', type: 'boolean', description: 'keep an EMA of the weights (warm-up 1 − (1 + t)^−3/4, max 0.9999); samples and grids use it' },
    { name: 'objective', type: 'string', arg: 'ddpm|ncsn', description: 'ddpm (default): the denoising objective on a DDPM noise schedule; ncsn: a noise-conditional score network (NCSNv2: denoising score matching, λ(σ) = σ², the UNet gets the level index and its output is divided by σ)' },
    { name: 'sigma-max', type: 'string', arg: 'auto|S', description: "ncsn: the largest noise level σ_1 (default auto: the largest distance between two training images in [−1, 1], NCSNv2's Technique 1)" },
    { name: 'sigma-min', type: 'string', arg: 'S', description: 'ncsn: the smallest noise level σ_L (default 0.01); must be below --sigma-max' },
    { name: 'num-scales', type: 'string', arg: 'L', description: 'ncsn: number of noise levels, geometric from σ_1 to σ_L (default 10)' },
    { name: 'sample-every', type: 'string', arg: 'N', description: 'write OUT/samples/step-N.png (fixed noise; DDIM, or annealed Langevin dynamics for ncsn) every N steps (default 5000; 0 = never)' },
    { name: 'eval-every', type: 'string', arg: 'N', description: 'log MS-SSIM diversity, nearest-training-image distance (and FID/KID with --inception) every N steps (default 5000)' },
    { name: 'eval-samples', type: 'string', arg: 'N', description: 'images sampled for grids and metrics (default 16)' },
    { name: 'sampler-steps', type: 'string', arg: 'N', description: 'DDIM steps of the periodic samples (default 50); ncsn: Langevin steps per noise level of the grids (default 5)' },
    { name: 'inception', type: 'string', arg: 'FILE', description: "pytorch-fid's pt_inception-2015-12-05-6726825d.pth: adds FID and KID (against the training images) to the metrics" },
    { name: 'checkpoint-every', type: 'string', arg: 'N', description: 'checkpoint every N steps (default 1000) and at the end' },
    { name: 'keep', type: 'string', arg: 'N', description: 'checkpoints kept (default 3, the newest)' },
    { name: 'resume', type: 'boolean', description: 'continue OUT from its newest intact checkpoint (exactly: same batches and noise as an uninterrupted run)' },
    { name: 'augment', type: 'string', arg: 'rudi', description: 'augment every drawn image on the fly with the rudi preset (rotate 15°, zoom 1–1.2, distortion 5 px, p 0.7)' },
    { name: 'model-config', type: 'string', arg: 'JSON|FILE', description: "UNet2DModel config overriding the default (camelCase or diffusers' snake_case keys)" },
    { name: 'prediction', type: 'string', arg: 'TYPE', description: 'ddpm: epsilon (default), v_prediction or sample' },
    { name: 'beta-schedule', type: 'string', arg: 'NAME', description: 'ddpm: linear (default), scaled_linear, squaredcos_cap_v2 or sigmoid' },
    { name: 'train-timesteps', type: 'string', arg: 'T', description: 'ddpm: diffusion steps of the noise schedule (default 1000)' },
    { name: 'min-snr', type: 'string', arg: 'GAMMA', description: 'ddpm: min-SNR-γ loss weighting (5 in the paper; default off)' },
    { name: 'label-dropout', type: 'string', arg: 'P', description: 'with classes: train a null class by dropping labels with probability P, for classifier-free guidance' },
    { name: 'no-upscale', type: 'boolean', description: 'refuse images smaller than --resolution instead of upscaling them' },
    SEED_OPTION,
    BACKEND_OPTION,
    MAX_PIXELS_OPTION,
    QUIET_OPTION,
  ],
  details: [
    'The UNet defaults to three levels [64, 128, 256] (four from 64 px) with attention at the second; DDPM noise schedule',
    '(1000 steps, linear betas). Checkpoints (OUT/checkpoints/step-N/: unet/ and ema/ as diffusers model folders, optimizer,',
    'scheduler/, trainer state, a SHA-256 manifest) are written atomically; --resume skips corrupt or truncated ones with a',
    'notice. Ctrl-C stops after the current step and writes a checkpoint. A NaN loss stops training before that step is',
    'applied (exit code 3), keeping the last good checkpoint. Sample with: radix sample OUT SAMPLES --n 100',
    '--objective ncsn trains a score network on --num-scales geometric levels (NCSN Langevin settings recorded: 100 steps',
    'per level, ε 2e-5, final denoising); its scheduler/scheduler_config.json is an NCSNScheduler, and radix sample uses',
    'it with --scheduler ncsn (the default for such a checkpoint; ddim and ddpm are refused).',
  ].join('\n'),
  async run(args, ctx) {
    const options = trainDiffusionOptionsFromArgs(args, ctx.env);
    const { runTrainDiffusion } = await import('../train-diffusion.js');
    const r = await runTrainDiffusion({ ...options, data: resolve(ctx.cwd, options.data), out: resolve(ctx.cwd, options.out), progress: args.flag('quiet') ? undefined : ctx.stderr });
    const last = r.losses.length ? r.losses.slice(-Math.min(50, r.losses.length)) : [];
    const mean = last.length ? last.reduce((a, b) => a + b, 0) / last.length : Number.NaN;
    ctx.stdout.write(
      `train diffusion: ${r.status} at step ${r.step} on ${r.backend} (${r.images} images${r.classNames.length ? `, ${r.classNames.length} classes` : ''}), ` +
        `${r.stepsPerSecond.toFixed(2)} steps/s, ${r.seconds.toFixed(0)} s, mean loss of the last ${last.length} steps ${mean.toFixed(4)}; ` +
        `checkpoint ${r.lastCheckpoint ?? 'none'}\n`,
    );
    if (r.status === 'nan') return 3;
    return 0;
  },
};
