// `radix augment IN OUT`: flags and help of the rudi/Augmentor augmentation command; the work is runAugment in
// ../augment.ts, loaded only when the command runs.
import { join, resolve } from 'node:path';
import { BACKEND_OPTION, MAX_PIXELS_OPTION, QUIET_OPTION, SEED_OPTION, readBackend, readSeed, type Command, type ParsedArgs } from '../kit/index.js';
import type { AugmentOptions } from '../augment.js';
import { parseShard } from '../shard.js';

/**
 * Turns parsed `radix augment` arguments into {@link AugmentOptions} (without progress).
 *
 * @example
 * const options = augmentOptionsFromArgs(parseCommandArgs(augmentCommand, ['in', 'out', '--preset', 'rudi'])!, {});
 */
export function augmentOptionsFromArgs(args: ParsedArgs, env: Record<string, string | undefined>): AugmentOptions {
  const [input, output] = args.expectPositionals('augment', ['IN', 'OUT']);
  return {
    input: input!, output: output!, preset: args.choice('preset', ['rudi'] as const),
    variants: args.integer('variants', { min: 1 }), rotate: args.number('rotate'), zoom: args.pair('zoom'),
    magnitude: args.number('magnitude'), grid: args.pair('grid'), p: args.number('p'),
    seed: args.string('seed') === undefined ? undefined : readSeed(args), backend: readBackend(args, env),
    maxPixels: args.integer('max-pixels', { min: 1 }), allowMixed: args.flag('allow-mixed'),
    ...(args.string('shard') !== undefined ? { shard: parseShard(args.string('shard')) } : {}),
  };
}

/** `radix augment`. */
export const augmentCommand: Command = {
  name: 'augment',
  summary: 'rudi/Augmentor-style augmentation of an image folder (N variants per image + manifest)',
  usage: 'radix augment IN OUT [options]',
  positionals: [
    { name: 'IN', description: 'folder of source images (PNG/JPEG); never written to' },
    { name: 'OUT', description: 'output folder (created; must not be IN or inside it)' },
  ],
  options: [
    { name: 'preset', type: 'string', arg: 'rudi', description: 'rudi augment -p 0.7 -mlr 15 -mrr 15 -minf 1 -maxf 1.2 -mg 5 (flags below override it)' },
    { name: 'variants', type: 'string', arg: 'N', description: 'outputs per source image (default 125)' },
    { name: 'rotate', type: 'string', arg: 'DEG', description: 'maximum rotation left and right, whole degrees (Augmentor rotate)' },
    { name: 'zoom', type: 'string', arg: 'MIN,MAX', description: 'zoom factor range (Augmentor zoom, centre crop)' },
    { name: 'magnitude', type: 'string', arg: 'M', description: 'random grid distortion, maximum vertex shift in pixels' },
    { name: 'grid', type: 'string', arg: 'W,H', description: 'distortion grid (default 4,4)' },
    { name: 'p', type: 'string', arg: 'P', description: "probability of every operation (default 0.7; Augmentor's gate round(u, 1) <= p)" },
    SEED_OPTION,
    BACKEND_OPTION,
    MAX_PIXELS_OPTION,
    { name: 'allow-mixed', type: 'boolean', description: 'resume an OUT written by another radix version or backend (refused by default; each output records its run)' },
    { name: 'shard', type: 'string', arg: 'I/N', description: 'do only shard I of N (0-based; a contiguous block of the sorted sources) into OUT/shards/I-of-N; `radix merge OUT` then assembles OUT, bit-identical to the unsharded run' },
    QUIET_OPTION,
  ],
  details: [
    'writes OUT/<stem>_<ext>_<k>.png (a.png -> a_png_000.png, a.jpg -> a_jpg_000.png) and OUT/manifest.json (every drawn',
    'parameter, each output\'s size and SHA-256, the runs that wrote OUT). Refuses OUT equal to or inside IN (also via',
    'symbolic links), a second process on one OUT (lock file OUT/.radix-augment.lock; a stale one is taken over), and',
    'overwriting any file in OUT the manifest does not list. Every source is checked from its header first (pixel budget,',
    'at least the distortion grid in size). Rerunning with the same settings resumes: outputs are verified by size and',
    'SHA-256, and missing, truncated or modified ones are written again. Unreadable entries of IN are skipped with a warning.',
  ].join('\n'),
  async run(args, ctx) {
    const options = augmentOptionsFromArgs(args, ctx.env);
    const { runAugment } = await import('../augment.js');
    const r = await runAugment({ ...options, progress: args.flag('quiet') ? undefined : ctx.stderr });
    for (const w of r.warnings) ctx.stderr.write(`warning: ${w}\n`);
    const again = r.repaired > 0 ? ` (${r.repaired} replacing missing, truncated or modified outputs)` : '';
    const where = options.shard ? join(resolve(ctx.cwd, options.output), 'shards', `${options.shard.index}-of-${options.shard.count}`) : resolve(ctx.cwd, options.output);
    ctx.stdout.write(`augment${options.shard ? ` shard ${options.shard.index}/${options.shard.count}` : ''}: ${r.written} written${again}, ${r.skipped} already present and verified, manifest ${join(where, 'manifest.json')}\n`);
    return 0;
  },
};
