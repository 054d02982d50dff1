// `radix slurm … -- COMMAND ARGS`: flags and help of the command that runs a sharded radix command as a Slurm job
// array plus a dependent merge; the work is runSlurm in ../slurm.ts.
import { UsageError } from '../kit/errors.js';
import type { Command } from '../kit/index.js';

/** `radix slurm`. */
export const slurmCommand: Command = {
  name: 'slurm',
  summary: 'write (and --submit) sbatch scripts: a job array of a sharded radix eval/augment/sample and the merge after it',
  usage: 'radix slurm --shards N [options] -- eval|augment|sample ARGS…   |   radix slurm [options] -- experiment CONFIG.json --out DIR',
  positionals: [{ name: 'COMMAND…', description: 'after --: the radix command to shard, with its arguments but without --shard (eval needs --out DIR; its --json and --reference go to the merge; augment and sample shard into their OUT). experiment: one array per stage — data, generate (one task per variant), classify (one task per variant × seed), report — each after the one before; no --shards' }],
  options: [
    { name: 'shards', type: 'string', arg: 'N', description: 'number of shards = array tasks (required for eval, augment and sample)' },
    { name: 'submit', type: 'boolean', description: 'submit with sbatch: the array (only the shards still missing), then the merge with --dependency=afterok:<array>' },
    { name: 'partition', type: 'string', arg: 'P', description: 'sbatch --partition of every job' },
    { name: 'time', type: 'string', arg: 'T', description: 'sbatch --time of each array task (e.g. 02:00:00)' },
    { name: 'mem', type: 'string', arg: 'M', description: 'sbatch --mem of each array task (e.g. 16G)' },
    { name: 'cpus-per-task', type: 'string', arg: 'N', description: 'sbatch --cpus-per-task of each array task' },
    { name: 'gpus', type: 'string', arg: 'N', description: 'GPUs per array task as --gres=gpu:N (default 1; 0 for CPU-only tasks)' },
    { name: 'gres', type: 'string', arg: 'G', description: 'sbatch --gres value instead of gpu:N (e.g. gpu:a100:1)' },
    { name: 'account', type: 'string', arg: 'A', description: 'sbatch --account' },
    { name: 'qos', type: 'string', arg: 'Q', description: 'sbatch --qos' },
    { name: 'constraint', type: 'string', arg: 'C', description: 'sbatch --constraint of each array task' },
    { name: 'job-name', type: 'string', arg: 'NAME', description: 'job name (default radix-<command>; the merge adds -merge)' },
    { name: 'sbatch', type: 'string', arg: 'OPT', multiple: true, description: 'any other sbatch option for the array tasks, whole (--sbatch=--exclusive); repeatable' },
    { name: 'merge-time', type: 'string', arg: 'T', description: 'sbatch --time of the merge job (default --time)' },
    { name: 'merge-mem', type: 'string', arg: 'M', description: 'sbatch --mem of the merge job (default --mem)' },
    { name: 'retries', type: 'string', arg: 'R', description: 'times a task that exits non-zero requeues itself (scontrol requeue) before it is left failed (default 1)' },
    { name: 'radix', type: 'string', arg: 'CMD', description: "how the jobs start radix, split on spaces (default: this node and this installation's bin/radix.js)" },
  ],
  details: [
    'Files: JOB/slurm/array.sbatch (only the missing shards in --array), merge.sbatch, submit.sh (what --submit runs),',
    'logs/shard-<array>_<task>.out, merge-<job>.out and submissions.jsonl; JOB is eval\'s --out or augment\'s/sample\'s OUT.',
    'Idempotent: a shard whose results are complete and verified (checksums) for the same options, inputs and versions',
    'is neither resubmitted nor recomputed, so rerunning the same radix slurm command after a failure redoes only the',
    'missing shards. Example:',
    '  radix slurm --shards 8 --partition gpu --time 01:00:00 --mem 16G --cpus-per-task 4 --submit -- \\',
    '    eval --real data/real --fake out/fake --metrics fid,kid --out jobs/fid --json jobs/fid/eval.json',
  ].join('\n'),
  async run(args, ctx) {
    const shards = args.integer('shards', { min: 1 });
    const { runSlurm, formatSlurmPlan, defaultRadixInvocation } = await import('../slurm.js');
    const radixText = args.string('radix');
    const radix = radixText !== undefined ? radixText.split(' ').filter(Boolean) : defaultRadixInvocation();
    const resources = {
      partition: args.string('partition'), time: args.string('time'), mem: args.string('mem'), cpusPerTask: args.integer('cpus-per-task', { min: 1 }),
      gpus: args.integer('gpus', { min: 0 }) ?? 1, gres: args.string('gres'), account: args.string('account'), qos: args.string('qos'),
      constraint: args.string('constraint'), jobName: args.string('job-name'), extra: args.strings('sbatch'),
      mergeTime: args.string('merge-time'), mergeMem: args.string('merge-mem'),
    };
    const retries = args.integer('retries', { min: 0 }) ?? 1;
    const sbatch = ctx.env.RADIX_SBATCH ? { sbatch: ctx.env.RADIX_SBATCH } : {};
    if (args.positionals[0] === 'experiment') {
      if (shards !== undefined) throw new UsageError('radix slurm: an experiment runs one task per job of each stage; leave out --shards');
      const { planExperimentSlurm, formatExperimentPlan } = await import('../slurm-experiment.js');
      const { cliVersion } = await import('../dispatch.js');
      const plan = await planExperimentSlurm({
        args: args.positionals.slice(1), resources: { ...resources, jobName: resources.jobName ?? 'radix-experiment' }, radix, cwd: ctx.cwd, env: ctx.env, retries,
        provenance: `written by radix slurm ${cliVersion()} on ${new Date().toISOString()}`, submit: args.flag('submit'), ...sbatch,
      });
      ctx.stdout.write(`${formatExperimentPlan(plan)}\n`);
      return 0;
    }
    if (shards === undefined) throw new UsageError('radix slurm: --shards N is required');
    const plan = await runSlurm({ command: [...args.positionals], shards, submit: args.flag('submit'), retries, resources, radix, ...sbatch, cwd: ctx.cwd, env: ctx.env });
    ctx.stdout.write(`${formatSlurmPlan(plan)}\n`);
    return 0;
  },
};
