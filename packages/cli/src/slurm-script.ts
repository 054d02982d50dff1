// The sbatch scripts `radix slurm` writes: a job array whose task i runs the sharded command with --shard i/n (and
// requeues itself a bounded number of times when it fails), and a merge job meant to run after the array (afterok).
import { UsageError } from './kit/errors.js';

/** Resources and placement of the jobs, passed through to `#SBATCH` lines. */
export interface SlurmResources {
  jobName: string;
  partition?: string;
  /** `--time` of each array task, e.g. `02:00:00`. */
  time?: string;
  /** `--mem` of each array task, e.g. `16G`. */
  mem?: string;
  cpusPerTask?: number;
  /** GPUs per task as `--gres=gpu:N` (0: none). */
  gpus: number;
  /** A `--gres` value used instead of `gpu:N` (e.g. `gpu:a100:1`). */
  gres?: string;
  account?: string;
  qos?: string;
  constraint?: string;
  /** Extra `#SBATCH` options, each a whole option such as `--exclusive` or `--nice=10`. */
  extra: string[];
  /** `--time` / `--mem` of the merge job (default: the tasks'). */
  mergeTime?: string;
  mergeMem?: string;
}

/** What one array script runs. */
export interface ArrayScriptSpec {
  resources: SlurmResources;
  /** Shard count n. */
  count: number;
  /** The indices to run, as an --array list (`0-3` or `1,5-6`). */
  array: string;
  /** The radix invocation (`node /path/bin/radix.js`), as argv words. */
  radix: readonly string[];
  /** The command and its arguments without --shard (`eval --real … --out job`). */
  command: readonly string[];
  /** Working directory of the jobs (absolute). */
  chdir: string;
  /** Folder of the task logs (absolute). */
  logs: string;
  /** Times a failed task requeues itself before it is left failed. */
  retries: number;
  /** Line saying what wrote the script. */
  provenance: string;
}

const SAFE = /^[A-Za-z0-9_\/.,:=@%+-]+$/;

/**
 * Quotes a word for bash (single quotes unless it is made only of safe characters).
 *
 * @example
 * shellQuote("it's"); // 'it'\''s'
 */
export function shellQuote(word: string): string {
  if (word !== '' && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Refuses values that would break out of an `#SBATCH` line. */
function directive(name: string, value: string | number | undefined): string[] {
  if (value === undefined) return [];
  const v = String(value);
  if (/[\s\n'"]/.test(v) || v === '') throw new UsageError(`radix slurm: --${name} value '${v}' must be one word without quotes or spaces`);
  return [`#SBATCH --${name}=${v}`];
}

function resourceLines(r: SlurmResources, merge: boolean, mergeGpu = false): string[] {
  const lines = [
    ...directive('job-name', merge ? `${r.jobName}-merge` : r.jobName),
    ...directive('partition', r.partition),
    ...directive('time', merge ? (r.mergeTime ?? r.time) : r.time),
    ...directive('mem', merge ? (r.mergeMem ?? r.mem) : r.mem),
    ...directive('account', r.account),
    ...directive('qos', r.qos),
  ];
  const gres = r.gres ?? (r.gpus > 0 ? `gpu:${r.gpus}` : undefined);
  if (merge && mergeGpu) lines.push(...directive('gres', gres), ...directive('constraint', r.constraint));
  if (!merge) {
    lines.push(...directive('cpus-per-task', r.cpusPerTask), ...directive('constraint', r.constraint));
    lines.push(...directive('gres', gres));
    for (const e of r.extra) {
      if (!/^--[a-z][a-z0-9-]*(=\S+)?$/.test(e)) throw new UsageError(`radix slurm: --sbatch '${e}' must be one sbatch option such as --exclusive or --nice=10`);
      lines.push(`#SBATCH ${e}`);
    }
  }
  return lines;
}

/**
 * The job-array script: task `$SLURM_ARRAY_TASK_ID` runs the command with `--shard $SLURM_ARRAY_TASK_ID/n`; the
 * command itself skips a shard that is already complete and verified. `--requeue` lets Slurm requeue tasks after a
 * node failure or preemption; a task that exits non-zero requeues itself (`scontrol requeue`) while
 * `SLURM_RESTART_COUNT` is below `retries`, then is left failed (and the merge, afterok, does not run).
 *
 * @example
 * const text = arrayScript({ resources, count: 4, array: '0-3', radix: ['radix'], command: ['eval', '--real', 'r'], chdir: '/w', logs: '/w/job/slurm/logs', retries: 1, provenance: 'radix slurm 0.1.0' });
 */
export function arrayScript(s: ArrayScriptSpec): string {
  if (s.array === '') throw new Error('arrayScript: no shard to run');
  const cmd = [...s.radix, ...s.command].map(shellQuote).join(' ');
  return [
    '#!/bin/bash',
    ...resourceLines(s.resources, false),
    `#SBATCH --array=${s.array}`,
    '#SBATCH --requeue',
    `#SBATCH --chdir=${shellQuote(s.chdir)}`,
    `#SBATCH --output=${shellQuote(`${s.logs}/shard-%A_%a.out`)}`,
    `# ${s.provenance}`,
    `# One task per shard of ${s.count}; a shard already complete and verified is skipped by the command itself.`,
    '# Rerun the same `radix slurm` command after a failure: it submits only the shards still missing.',
    'set -u',
    'I="${SLURM_ARRAY_TASK_ID:?submit this script with sbatch: it is a job array}"',
    `echo "radix slurm: shard $I/${s.count} on $(hostname), attempt $((\${SLURM_RESTART_COUNT:-0} + 1))"`,
    `${cmd} --shard "$I/${s.count}"`,
    'rc=$?',
    `if [ "$rc" -ne 0 ] && [ "\${SLURM_RESTART_COUNT:-0}" -lt ${s.retries} ]; then`,
    `  echo "radix slurm: shard $I/${s.count} failed with exit code $rc; requeueing it (retry $((\${SLURM_RESTART_COUNT:-0} + 1)) of ${s.retries})" >&2`,
    '  scontrol requeue "$SLURM_JOB_ID"',
    'fi',
    'exit "$rc"',
    '',
  ].join('\n');
}

/**
 * The merge job's script (submitted with `--dependency=afterok:<array job>`; `--kill-on-invalid-dep=yes` removes it
 * when a task is left failed). With `gpu` it gets the tasks' --gres and --constraint: an eval merge computes KID and
 * precision/recall Gram matrices on the backend the shards used, so that its numbers equal the unsharded run's.
 *
 * @example
 * const text = mergeScript(resources, ['radix'], ['merge', '/w/job', '--shards', '4'], '/w', '/w/job/slurm/logs', 'radix slurm', true);
 */
export function mergeScript(r: SlurmResources, radix: readonly string[], command: readonly string[], chdir: string, logs: string, provenance: string, gpu = false): string {
  return [
    '#!/bin/bash',
    ...resourceLines(r, true, gpu),
    `#SBATCH --chdir=${shellQuote(chdir)}`,
    `#SBATCH --output=${shellQuote(`${logs}/merge-%j.out`)}`,
    `# ${provenance}`,
    'set -eu',
    `exec ${[...radix, ...command].map(shellQuote).join(' ')}`,
    '',
  ].join('\n');
}

/**
 * A submit script for users who submit by hand: the array (when shards are missing), then the merge after it.
 *
 * @example
 * submitScript('/w/job/slurm/array.sbatch', '/w/job/slurm/merge.sbatch');
 */
export function submitScript(array: string | undefined, merge: string): string {
  const lines = ['#!/bin/bash', '# Submits the shard array and the merge that waits for it (what `radix slurm --submit` does).', 'set -eu'];
  if (array) {
    lines.push(`ARRAY=$(sbatch --parsable ${shellQuote(array)})`, 'ARRAY="${ARRAY%%;*}"', 'echo "array job $ARRAY"');
    lines.push(`sbatch --parsable --dependency="afterok:$ARRAY" --kill-on-invalid-dep=yes ${shellQuote(merge)}`);
  } else {
    lines.push('# every shard is complete and verified: only the merge remains', `sbatch --parsable ${shellQuote(merge)}`);
  }
  return `${lines.join('\n')}\n`;
}
