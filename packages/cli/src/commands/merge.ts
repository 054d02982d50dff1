// `radix merge DIR`: flags and help of the command that combines the shards of a sharded `radix augment`,
// `radix sample` or `radix eval` (DIR/shards/i-of-n); the work is runMerge in ../merge.ts.
import { JSON_OPTION, QUIET_OPTION, type Command } from '../kit/index.js';

/** `radix merge`. */
export const mergeCommand: Command = {
  name: 'merge',
  summary: 'combine the shards of a sharded radix augment, radix sample or radix eval (DIR/shards/i-of-n) exactly',
  usage: 'radix merge DIR [options]',
  positionals: [{ name: 'DIR', description: 'the OUT of radix augment --shard or radix sample --shard, or the --out of radix eval --shard' }],
  options: [
    { name: 'shards', type: 'string', arg: 'N', description: 'the shard count to merge when DIR/shards holds shards of several counts' },
    { name: 'allow-mixed', type: 'boolean', description: 'merge shards written by different radix versions or backends (refused by default)' },
    { name: 'reference', type: 'string', arg: 'FILE', description: 'eval: JSON of published numbers to print next to the merged ones (as radix eval --reference)' },
    { name: 'backend', type: 'string', arg: 'B', description: "eval: auto|webgpu|cpu for the merge's Gram matrices (KID, P/R, D/C; default: the backend the shards ran on, so the numbers equal the unsharded run's)" },
    { ...JSON_OPTION, description: 'eval: write the merged results here (default DIR/eval.json)' },
    QUIET_OPTION,
  ],
  details: [
    'augment: checks that every shard finished and verifies (size and SHA-256 of every output), then places the outputs',
    'in DIR (hard links, else copies) with DIR/manifest.json, byte-identical to the unsharded run.',
    'sample: checks every shard\'s images (size and SHA-256), settings and checkpoint digest, then places the images in DIR',
    '(class folders) with DIR/manifest.json in the unsharded order: the PNGs are byte-identical to the unsharded run\'s.',
    'eval: FID from the merged float64 feature statistics, KID, IS, precision/recall, density/coverage and intervals from',
    'the concatenated features (in the unsharded order), per-image scores concatenated and their means recomputed.',
    'Refuses, listing what is wrong, a set with missing, unfinished or damaged shards, or shards of different settings,',
    'inputs, versions or backends. exit codes: 0 success, 1 failure, 2 usage error',
  ].join('\n'),
  async run(args, ctx) {
    const [dir] = args.expectPositionals('merge', ['DIR']);
    const { runMerge } = await import('../merge.js');
    const text = await runMerge({
      dir: dir!, cwd: ctx.cwd, count: args.integer('shards', { min: 1 }), allowMixed: args.flag('allow-mixed'),
      json: args.string('json'), reference: args.string('reference'), backend: args.choice('backend', ['auto', 'webgpu', 'cpu'] as const),
    });
    ctx.stdout.write(`${text}\n`);
    return 0;
  },
};
