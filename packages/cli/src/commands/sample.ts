// `radix sample CHECKPOINT OUT`: flags and help of sampling a diffusion or GAN checkpoint to PNGs; the work is
// runSample in ../sample.ts, loaded (with @radix/diffusion or @radix/gan) only when the command runs.
import { join } from 'node:path';
import { BACKEND_OPTION, QUIET_OPTION, readBackend, type Command, type ParsedArgs } from '../kit/index.js';
import { UsageError } from '../kit/errors.js';
import type { SampleOptions } from '../sample.js';
import { parseShard } from '../shard.js';

/**
 * Turns parsed `radix sample` arguments into {@link SampleOptions} (without progress and cwd).
 *
 * @example
 * const o = sampleOptionsFromArgs(parseCommandArgs(sampleCommand, ['run', 'out', '--n', '100'])!, {});
 */
export function sampleOptionsFromArgs(args: ParsedArgs, env: Record<string, string | undefined>): SampleOptions {
  const [checkpoint, out] = args.expectPositionals('sample', ['CHECKPOINT', 'OUT']);
  const n = args.integer('n', { min: 1 });
  const perClass = args.integer('per-class', { min: 1 });
  if (n !== undefined && perClass !== undefined && n !== perClass) throw new UsageError(`radix sample: --n ${n} and --per-class ${perClass} disagree (they are the same setting: images per class)`);
  const count = n ?? perClass;
  if (count === undefined) throw new UsageError('radix sample: give --n N (images per class; in total for an unconditional model)');
  return {
    checkpoint: checkpoint!, out: out!, n: count, classes: args.strings('class'),
    seed: args.integer('seed', { min: 0 }), batch: args.integer('batch', { min: 1 }),
    scheduler: args.choice('scheduler', ['ddim', 'ddpm', 'ncsn'] as const), steps: args.integer('steps', { min: 1 }), eta: args.number('eta'),
    langevinSteps: args.integer('langevin-steps', { min: 1 }), langevinEpsilon: args.number('langevin-epsilon'),
    guidance: args.number('guidance'), truncation: args.number('truncation'), raw: args.flag('raw'),
    backend: readBackend(args, env), allowMixed: args.flag('allow-mixed'),
    ...(args.string('shard') !== undefined ? { shard: parseShard(args.string('shard')) } : {}),
  };
}

/** `radix sample`. */
export const sampleCommand: Command = {
  name: 'sample',
  summary: 'sample N images per class from a diffusion or GAN checkpoint as PNGs (+ manifest; resumable, shardable)',
  usage: 'radix sample CHECKPOINT OUT --n N [options]',
  positionals: [
    {
      name: 'CHECKPOINT',
      description: 'a radix train diffusion run folder (its newest intact checkpoint) or one of its checkpoints/step-N folders; a diffusers ' +
        'UNet2DModel folder or DDPMPipeline folder (model_index.json + unet/ + scheduler/); a radix train gan run folder or its ' +
        'checkpoint.safetensors; a stylegan2-ada-pytorch network-snapshot-*.pkl (read without executing it). Never written to',
    },
    { name: 'OUT', description: 'output folder: created, or one an earlier radix sample with the same settings wrote (then resumed); never a folder holding other files' },
  ],
  options: [
    { name: 'n', type: 'string', arg: 'N', description: 'images per class for a class-conditional model, in total for an unconditional one (required)' },
    { name: 'per-class', type: 'string', arg: 'N', description: 'the same as --n (the GAN trainer\'s name for it)' },
    { name: 'class', type: 'string', arg: 'C', multiple: true, description: 'sample only these classes, by name or index (repeatable, or comma-separated; default every class)' },
    { name: 'scheduler', type: 'string', arg: 'S', description: 'diffusion: ddim (default), ddpm, or ncsn (annealed Langevin dynamics with the model as score network at its own noise levels σ_t = √((1 − ᾱ_t)/ᾱ_t), geometric, with the final denoising step). A checkpoint of radix train diffusion --objective ncsn samples with ncsn only (its default): its own trained NCSN scheduler (levels, Langevin steps, ε, final denoising); ddim and ddpm are refused' },
    { name: 'steps', type: 'string', arg: 'N', description: 'diffusion: inference steps (default 50 for ddim, all training timesteps — usually 1000 — for ddpm); ncsn on a DDPM model: noise levels (default 100); not for an NCSN checkpoint (its levels are trained)' },
    { name: 'langevin-steps', type: 'string', arg: 'T', description: 'ncsn: Langevin steps per noise level (default 5; an NCSN checkpoint: its recorded stepsPerScale)' },
    { name: 'langevin-epsilon', type: 'string', arg: 'E', description: 'ncsn: step-size constant ε, α_i = ε·σ_i²/σ_L² (default 2e-4; an NCSN checkpoint: its recorded ε; Algorithm 1 of Song & Ermon 2019)' },
    { name: 'eta', type: 'string', arg: 'ETA', description: 'diffusion, ddim: weight of the added noise (default 0 = deterministic DDIM; 1 = DDPM\'s posterior variance)' },
    { name: 'guidance', type: 'string', arg: 'G', description: 'diffusion: classifier-free guidance scale, ε = ε_null + G·(ε_class − ε_null) (needs a model trained with --label-dropout; default none)' },
    { name: 'truncation', type: 'string', arg: 'PSI', description: 'GAN: truncation ψ towards the mean w (default 1 = none; 0.7 is common)' },
    { name: 'raw', type: 'boolean', description: 'sample the raw weights (diffusion unet/, GAN G) instead of the EMA ones (ema/, G_ema; the default where present)' },
    { name: 'seed', type: 'string', arg: 'S', description: 'seed of the noise, a non-negative integer < 2^53 (default 1): image k of class c draws all its noise from its own stream (S, c, k)' },
    { name: 'batch', type: 'string', arg: 'N', description: 'images per forward pass (default 16); part of the settings: a resume, a shard and a merge must use the same' },
    { name: 'shard', type: 'string', arg: 'I/N', description: 'do only shard I of N (0-based; whole batches of every class) into OUT/shards/I-of-N; `radix merge OUT` then assembles OUT, byte-identical to the unsharded run' },
    BACKEND_OPTION,
    { name: 'allow-mixed', type: 'boolean', description: 'continue an OUT written by another radix version or backend (refused by default; each image records its run)' },
    QUIET_OPTION,
  ],
  details: [
    'writes OUT/<class>/<class>_00000.png … (one folder per class; OUT/sample_00000.png … for unconditional models) and',
    'OUT/manifest.json (the checkpoint\'s files with sizes and SHA-256, every setting, the runs, each image\'s size and',
    'SHA-256), atomically. Rerunning with the same checkpoint and settings verifies the images and writes only missing,',
    'truncated or modified ones (so it resumes an interrupted run, and does nothing when all are there); other settings or',
    'another checkpoint into the same OUT are refused, as is an OUT holding files radix sample did not write. A run folder',
    'skips damaged checkpoints with a notice. Diffusion: DDPM, DDIM or NCSN from the checkpoint\'s noise schedule (or its NCSN scheduler); GAN: const',
    'noise inputs. On Slurm: radix slurm --shards 8 --submit -- sample runs/ihc samples --n 1000 (the merge job follows the array).',
    'exit codes: 0 success, 1 failure (a missing, unreadable or corrupt checkpoint), 2 usage error (bad flags, an OUT it must not write)',
  ].join('\n'),
  async run(args, ctx) {
    const options = sampleOptionsFromArgs(args, ctx.env);
    const { runSample } = await import('../sample.js');
    const r = await runSample({ ...options, cwd: ctx.cwd, progress: args.flag('quiet') ? undefined : ctx.stderr });
    for (const n of r.notes) ctx.stderr.write(`note: ${n}\n`);
    for (const w of r.warnings) ctx.stderr.write(`warning: ${w}\n`);
    const what = options.shard ? `sample shard ${options.shard.index}/${options.shard.count}` : 'sample';
    const classes = r.job.settings.classes ? ` of ${r.job.settings.classes.length} class${r.job.settings.classes.length === 1 ? '' : 'es'}` : '';
    if (r.total === 0) {
      ctx.stdout.write(`${what}: no images fall into this shard (each class has fewer batches of --batch than there are shards); marked complete in ${join(r.job.workDir, 'shard.json')}\n`);
    } else if (r.written === 0) {
      ctx.stdout.write(`${what}: nothing to do, all ${r.total} images${classes} already present and verified (${join(r.job.workDir, 'manifest.json')})\n`);
    } else {
      const again = r.repaired > 0 ? ` (${r.repaired} replacing missing, truncated or modified images)` : '';
      ctx.stdout.write(`${what}: ${r.written} images${classes} written${again}, ${r.skipped} already present and verified, from ${r.job.checkpoint.resolved}; manifest ${r.manifest}\n`);
    }
    return 0;
  },
};
