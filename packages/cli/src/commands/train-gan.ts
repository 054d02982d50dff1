// `radix train gan DATA OUT`: flags and help of conditional StyleGAN2 training on a small image set; the work is
// runTrainGan in ../train-gan.ts, loaded only when the command runs (so other commands never load @radix/gan).
import { resolve } from 'node:path';
import { BACKEND_OPTION, QUIET_OPTION, SEED_OPTION, UsageError, readBackend, readSeed, type Command, type ParsedArgs } from '../kit/index.js';
import type { TrainGanOptions } from '../train-gan.js';

/**
 * Turns parsed `radix train gan` arguments into {@link TrainGanOptions} (without streams).
 *
 * @example
 * const o = trainGanOptionsFromArgs(parseCommandArgs(trainGanCommand, ['data', 'out', '--cond', '--ada'])!, {});
 */
export function trainGanOptionsFromArgs(args: ParsedArgs, env: Record<string, string | undefined>): TrainGanOptions {
  const [data, out] = args.expectPositionals('train gan', ['DATA', 'OUT']);
  if (args.flag('ada') && args.string('diffaug') !== undefined) throw new UsageError('--ada and --diffaug are alternatives; pass one of them');
  const condLoss = args.string('cond-loss') ?? 'projection';
  if (condLoss !== 'projection' && condLoss !== 'd2dce') throw new UsageError(`--cond-loss expects projection|d2dce, got '${condLoss}'`);
  const loss = args.string('loss') ?? 'logistic';
  if (loss !== 'logistic' && loss !== 'hinge') throw new UsageError(`--loss expects logistic|hinge, got '${loss}'`);
  return {
    data: data!, out: out!, resolution: args.integer('resolution', { min: 8 }) ?? 32, cond: args.flag('cond'),
    condLoss, loss, ada: args.flag('ada'), diffaug: args.string('diffaug'), adaTarget: args.number('ada-target'), adaKimg: args.number('ada-kimg'),
    freezeG: args.integer('freeze-g', { min: 0 }) ?? 0, freezeD: args.integer('freeze-d', { min: 0 }) ?? 0, resumeFrom: args.string('resume-from'),
    kimg: args.number('kimg') ?? 25, gamma: args.number('gamma'), batch: args.integer('batch', { min: 2 }) ?? 32, lr: args.number('lr'),
    seed: readSeed(args, 0), backend: readBackend(args, env), balanced: args.flag('balanced'), mirror: args.flag('mirror'),
    snapshotKimg: args.number('snapshot-kimg'), gridKimg: args.number('grid-kimg'), gridPerClass: args.integer('grid-per-class', { min: 1 }),
    metricsKimg: args.number('metrics-kimg'), metricsReal: args.string('metrics-real'), inceptionWeights: args.string('inception-weights'),
    features: args.string('features'), featureWeights: args.string('feature-weights'),
    channelBase: args.integer('channel-base', { min: 1 }), channelMax: args.integer('channel-max', { min: 1 }),
    zDim: args.integer('z-dim', { min: 1 }), wDim: args.integer('w-dim', { min: 1 }), mapLayers: args.integer('map-layers', { min: 1 }),
    mbstdGroup: args.integer('mbstd-group', { min: 1 }), plWeight: args.number('pl-weight'), styleMixing: args.number('style-mixing'),
    emaKimg: args.number('ema-kimg'),
  };
}

/** `radix train gan`. */
export const trainGanCommand: Command = {
  name: 'train gan',
  summary: 'train a (conditional) StyleGAN2 on a small image set: ADA or DiffAugment, R1, G EMA, frozen-block transfer, D2D-CE',
  usage: 'radix train gan DATA OUT [options]',
  positionals: [
    { name: 'DATA', description: 'image folder (PNG/JPEG); with --cond one subfolder per class, named by the class' },
    { name: 'OUT', description: 'run folder: checkpoint.safetensors, log.jsonl, grids/ (rerunning continues the run in it)' },
  ],
  options: [
    { name: 'resolution', type: 'string', arg: 'R', description: 'image side, a power of two (default 32); other sizes are resized (bilinear, antialiased)' },
    { name: 'cond', type: 'boolean', description: 'class-conditional: classes are the subfolders of DATA, in name order' },
    { name: 'cond-loss', type: 'string', arg: 'L', description: "projection (stylegan2-ada's conditional D, default) or d2dce (ReACGAN's Data-to-Data Cross-Entropy, StudioGAN's head)" },
    { name: 'loss', type: 'string', arg: 'L', description: 'logistic (non-saturating, default) or hinge' },
    { name: 'ada', type: 'boolean', description: "adaptive augmentation: the 'bgc' pipe with p tuned towards E[sign D(real)] = 0.6 every 4 minibatches" },
    { name: 'diffaug', type: 'string', arg: 'LIST', description: 'DiffAugment policy instead of ADA, e.g. color,translation,cutout' },
    { name: 'ada-target', type: 'string', arg: 'T', description: 'ADA target (default 0.6)' },
    { name: 'ada-kimg', type: 'string', arg: 'K', description: 'ADA speed: kimg for p to move by 1 (default 500; 100 with --resume-from)' },
    { name: 'freeze-g', type: 'string', arg: 'K', description: 'freeze the mapping network and the first K synthesis blocks (lowest resolutions); default 0' },
    { name: 'freeze-d', type: 'string', arg: 'K', description: 'freeze the first K discriminator blocks from the input side; default 0' },
    { name: 'resume-from', type: 'string', arg: 'CKPT', description: 'start from pretrained weights: a radix checkpoint.safetensors or a stylegan2-ada network-snapshot .pkl (label embeddings are re-initialised when the classes differ)' },
    { name: 'kimg', type: 'string', arg: 'K', description: 'training length in thousands of real images shown (default 25)' },
    { name: 'batch', type: 'string', arg: 'N', description: 'minibatch size (default 32)' },
    { name: 'gamma', type: 'string', arg: 'G', description: 'R1 weight (default 0.0002·R²/batch); 0 disables R1' },
    { name: 'lr', type: 'string', arg: 'LR', description: 'Adam learning rate of G and D (default 0.0025; betas 0, 0.99)' },
    { name: 'balanced', type: 'boolean', description: 'class-balanced sampling of real images and generated labels' },
    { name: 'mirror', type: 'boolean', description: 'add x-flipped copies of the training images' },
    { name: 'snapshot-kimg', type: 'string', arg: 'K', description: 'checkpoint every K kimg (default 4; always at the end)' },
    { name: 'grid-kimg', type: 'string', arg: 'K', description: 'per-class grid of fixed latents every K kimg (default: like snapshots)' },
    { name: 'grid-per-class', type: 'string', arg: 'N', description: 'grid columns (default 8)' },
    { name: 'metrics-kimg', type: 'string', arg: 'K', description: 'metrics every K kimg against --metrics-real (default: like snapshots)' },
    { name: 'metrics-real', type: 'string', arg: 'DIR', description: 'real images for metrics (same layout as DATA); enables FID/KID/PR/DC with --inception-weights, PR/DC with --features' },
    { name: 'inception-weights', type: 'string', arg: 'FILE', description: 'pt_inception-2015-12-05 weights for FID/KID/PR/DC' },
    { name: 'features', type: 'string', arg: 'NAME', description: 'vgg16|resnet50 feature extractor for PR/DC (with --feature-weights FILE)' },
    { name: 'feature-weights', type: 'string', arg: 'FILE', description: 'weights of --features' },
    { name: 'channel-base', type: 'string', arg: 'N', description: 'channels = min(N/res, channel-max) (default 16384, stylegan2-ada auto at R ≤ 256)' },
    { name: 'channel-max', type: 'string', arg: 'N', description: 'largest layer width (default 512)' },
    { name: 'z-dim', type: 'string', arg: 'N', description: 'latent size (default 512)' },
    { name: 'w-dim', type: 'string', arg: 'N', description: 'style size (default 512)' },
    { name: 'map-layers', type: 'string', arg: 'N', description: 'mapping network depth (default 2, stylegan2-ada auto)' },
    { name: 'mbstd-group', type: 'string', arg: 'N', description: 'minibatch-std group size (default min(batch, 4))' },
    { name: 'pl-weight', type: 'string', arg: 'W', description: 'path-length regularisation weight (default 0 = off; StyleGAN2 uses 2)' },
    { name: 'style-mixing', type: 'string', arg: 'P', description: 'style-mixing probability (default 0.9)' },
    { name: 'ema-kimg', type: 'string', arg: 'K', description: 'G EMA half-life in kimg (default batch·10/32, stylegan2-ada auto)' },
    SEED_OPTION,
    BACKEND_OPTION,
    QUIET_OPTION,
  ],
  details: [
    'Each minibatch runs the generator step, path length every 4 (with --pl-weight), the discriminator step and lazy R1',
    'every 16 (weighted by 16), each with its own Adam step, then updates the EMA generator and ADA\'s p (kept in [0, 1]).',
    'OUT/checkpoint.safetensors is replaced atomically at every snapshot; rerunning the same command continues from it',
    'exactly (same minibatches, same numbers on the CPU). A non-finite loss stops the run before the step that would',
    'apply it, keeping the last checkpoint (exit code 3). OUT/log.jsonl has one line per minibatch (losses, p, R1, kimg/s)',
    'and per metric evaluation. Sample from the result with `radix sample OUT/checkpoint.safetensors DIR --per-class N`.',
    'Transfer as in the histology protocol: --resume-from pretrained.pkl --freeze-d 1 --freeze-g 2.',
  ].join('\n'),
  async run(args, ctx) {
    const options = trainGanOptionsFromArgs(args, ctx.env);
    const { runTrainGan } = await import('../train-gan.js');
    const r = await runTrainGan({ ...options, data: resolve(ctx.cwd, options.data), out: resolve(ctx.cwd, options.out), resumeFrom: options.resumeFrom && resolve(ctx.cwd, options.resumeFrom) }, {
      progress: args.flag('quiet') ? undefined : ctx.stderr,
      log: (line) => ctx.stderr.write(`${line}\n`),
    });
    ctx.stdout.write(`train gan: ${r.status} after ${r.steps} minibatches (${r.kimg.toFixed(3)} kimg) in ${r.seconds.toFixed(1)} s; checkpoint ${r.checkpoint ?? 'none'}\n`);
    if (r.status === 'nan') {
      ctx.stderr.write(`error: ${r.message}\n`);
      return 3;
    }
    return 0;
  },
};
