// `radix slurm … -- COMMAND ARGS`: finds which shards of a sharded radix command are still missing (complete and
// verified shards are left alone), writes the sbatch scripts into the job folder, and with `submit` submits the
// array and the merge that depends on it. Rerunning after a partial failure therefore redoes only missing shards.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { augmentShardStatus } from './augment-shard.js';
import { augmentCommand, augmentOptionsFromArgs } from './commands/augment.js';
import { evalCommand, evalOptionsFromArgs } from './commands/eval.js';
import { sampleCommand, sampleOptionsFromArgs } from './commands/sample.js';
import { cliVersion } from './dispatch.js';
import { UsageError } from './kit/errors.js';
import { parseCommandArgs } from './kit/command.js';
import { writeFileAtomic } from './kit/output.js';
import { arrayList, inputDigest } from './shard.js';
import { arrayScript, mergeScript, submitScript, type SlurmResources } from './slurm-script.js';

/** Commands `radix slurm` can shard (experiment: one array per stage, see slurm-experiment.ts). */
export const SLURM_COMMANDS = ['eval', 'augment', 'sample', 'experiment'] as const;

/** Options of {@link runSlurm}. */
export interface SlurmOptions {
  /** The radix command and its arguments (`['eval', '--real', 'r', …, '--out', 'job']`), without --shard. */
  command: string[];
  /** Shard count n. */
  shards: number;
  resources: Omit<SlurmResources, 'jobName'> & { jobName?: string };
  /** Failed-task self-requeues (default 1). */
  retries?: number;
  /** Submit with sbatch (default: only write the scripts). */
  submit?: boolean;
  /** How the jobs start radix (default: this node binary and this installation's bin/radix.js). */
  radix?: string[];
  /** The sbatch executable (default `sbatch` on PATH). */
  sbatch?: string;
  cwd: string;
  env: Record<string, string | undefined>;
}

/** What {@link runSlurm} wrote and submitted. */
export interface SlurmPlan {
  command: string;
  jobDir: string;
  count: number;
  /** Shards still to run, with why each is not complete. */
  missing: { index: number; reason: string }[];
  arrayScript?: string;
  mergeScript: string;
  submitScript: string;
  submitted?: { array?: string; merge: string };
}

/** This installation's radix, as the jobs should start it. */
export function defaultRadixInvocation(): string[] {
  return [process.execPath, fileURLToPath(new URL('../bin/radix.js', import.meta.url))];
}

function take(args: string[], flag: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length;) {
    const a = args[i]!;
    if (a === `--${flag}`) {
      value = args[i + 1];
      args.splice(i, 2);
    } else if (a.startsWith(`--${flag}=`)) {
      value = a.slice(flag.length + 3);
      args.splice(i, 1);
    } else i++;
  }
  return value;
}

/** Parses the sub-command, returning its job folder, the shard status function and the argument lists. */
async function inspect(o: SlurmOptions): Promise<{ name: string; jobDir: string; status: (i: number) => string | null; shardArgs: string[]; mergeArgs: string[] }> {
  const [name, ...rest] = o.command;
  if (!name || !(SLURM_COMMANDS as readonly string[]).includes(name)) {
    throw new UsageError(`radix slurm: give the command to shard after --, one of ${SLURM_COMMANDS.join(', ')} (e.g. radix slurm --shards 4 -- eval --real r --fake f --out job)${name ? `; got '${name}'` : ''}`);
  }
  if (rest.some((a) => a === '--shard' || a.startsWith('--shard='))) throw new UsageError('radix slurm: leave out --shard; each array task adds --shard $SLURM_ARRAY_TASK_ID/N');
  const n = o.shards;
  if (name === 'eval') {
    const shardArgs = [...rest];
    const json = take(shardArgs, 'json');
    const reference = take(shardArgs, 'reference');
    const parsed = parseCommandArgs(evalCommand, shardArgs);
    if (!parsed) throw new UsageError('radix slurm: --help is not a job');
    const out = parsed.string('out');
    if (out === undefined) throw new UsageError('radix slurm: radix eval needs --out DIR (the job folder the shards and the merge share)');
    const jobDir = resolve(o.cwd, out);
    const options = evalOptionsFromArgs(parsed, o.env);
    const abs = { ...options, real: resolve(o.cwd, options.real), fake: resolve(o.cwd, options.fake) };
    const mergeArgs = ['merge', jobDir, '--shards', String(n), ...(json !== undefined ? ['--json', resolve(o.cwd, json)] : []), ...(reference !== undefined ? ['--reference', resolve(o.cwd, reference)] : [])];
    const { evalShardStatus } = await import('./eval-shard.js');
    return { name, jobDir, shardArgs: ['eval', ...shardArgs], mergeArgs, status: (i) => evalShardStatus(abs, { index: i, count: n }, jobDir) };
  }
  if (name === 'sample') {
    const parsed = parseCommandArgs(sampleCommand, rest);
    if (!parsed) throw new UsageError('radix slurm: --help is not a job');
    const { planSample, sampleShardStatus } = await import('./sample.js');
    const job = await planSample({ ...sampleOptionsFromArgs(parsed, o.env), cwd: o.cwd });
    return { name, jobDir: job.out, shardArgs: ['sample', ...rest], mergeArgs: ['merge', job.out, '--shards', String(n)], status: (i) => sampleShardStatus(job, { index: i, count: n }) };
  }
  const parsed = parseCommandArgs(augmentCommand, rest);
  if (!parsed) throw new UsageError('radix slurm: --help is not a job');
  const options = augmentOptionsFromArgs(parsed, o.env);
  const jobDir = resolve(o.cwd, options.output);
  const input = resolve(o.cwd, options.input);
  const { buildAugmentSettings } = await import('./augment.js');
  const { listImageFolder } = await import('./images.js');
  const { settings } = buildAugmentSettings(options);
  const names = listImageFolder(input).names;
  const digest = inputDigest(input, names);
  return {
    name, jobDir, shardArgs: ['augment', ...rest], mergeArgs: ['merge', jobDir, '--shards', String(n)],
    status: (i) => augmentShardStatus(jobDir, { index: i, count: n }, settings, names, digest),
  };
}

function sbatch(bin: string, args: string[], env: Record<string, string | undefined>): string {
  const r = spawnSync(bin, ['--parsable', ...args], { encoding: 'utf8', env: env as NodeJS.ProcessEnv });
  if (r.error) throw new Error(`radix slurm: cannot run '${bin}' (${r.error.message}); is Slurm installed here? Without --submit the scripts are only written`);
  if (r.status !== 0) throw new Error(`radix slurm: '${bin} ${args.join(' ')}' failed (exit ${r.status}): ${(r.stderr || r.stdout).trim()}`);
  const id = r.stdout.trim().split(/[;\s]/)[0]!;
  if (!/^\d+$/.test(id)) throw new Error(`radix slurm: '${bin}' printed '${r.stdout.trim()}', not a job id`);
  return id;
}

/**
 * Plans, writes and optionally submits a sharded radix job on Slurm. Files go to JOB/slurm/: array.sbatch (only the
 * missing shards in --array), merge.sbatch, submit.sh, logs/, and submissions.jsonl (one line per submission).
 *
 * @example
 * const plan = await runSlurm({ command: ['eval', '--real', 'r', '--fake', 'f', '--out', 'job'], shards: 4, resources: { gpus: 1, extra: [] }, submit: true, cwd: process.cwd(), env: process.env });
 */
export async function runSlurm(o: SlurmOptions): Promise<SlurmPlan> {
  if (o.command[0] === 'experiment') throw new UsageError('runSlurm: use planExperimentSlurm for radix experiment (one array per stage)');
  if (!Number.isSafeInteger(o.shards) || o.shards < 1) throw new UsageError(`radix slurm: --shards must be a positive integer, got ${o.shards}`);
  const retries = o.retries ?? 1;
  const job = await inspect(o);
  const missing: SlurmPlan['missing'] = [];
  for (let i = 0; i < o.shards; i++) {
    const reason = job.status(i);
    if (reason !== null) missing.push({ index: i, reason });
  }
  const slurmDir = join(job.jobDir, 'slurm');
  const logs = join(slurmDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const resources: SlurmResources = { ...o.resources, jobName: o.resources.jobName ?? `radix-${job.name}` };
  const radix = o.radix ?? defaultRadixInvocation();
  const provenance = `written by radix slurm ${cliVersion()} on ${new Date().toISOString()} for ${o.shards} shards`;
  const plan: SlurmPlan = { command: job.name, jobDir: job.jobDir, count: o.shards, missing, mergeScript: join(slurmDir, 'merge.sbatch'), submitScript: join(slurmDir, 'submit.sh') };
  if (missing.length > 0) {
    plan.arrayScript = join(slurmDir, 'array.sbatch');
    const text = arrayScript({ resources, count: o.shards, array: arrayList(missing.map((m) => m.index)), radix, command: job.shardArgs, chdir: resolve(o.cwd), logs, retries, provenance });
    await writeFileAtomic(plan.arrayScript, text);
  }
  await writeFileAtomic(plan.mergeScript, mergeScript(resources, radix, job.mergeArgs, resolve(o.cwd), logs, provenance, job.name === 'eval'));
  await writeFileAtomic(plan.submitScript, submitScript(plan.arrayScript, plan.mergeScript));
  if (o.submit) {
    const bin = o.sbatch ?? 'sbatch';
    const array = plan.arrayScript ? sbatch(bin, [plan.arrayScript], o.env) : undefined;
    const merge = sbatch(bin, array ? [`--dependency=afterok:${array}`, '--kill-on-invalid-dep=yes', plan.mergeScript] : [plan.mergeScript], o.env);
    plan.submitted = { ...(array ? { array } : {}), merge };
    const log = join(slurmDir, 'submissions.jsonl');
    let before = '';
    try {
      before = readFileSync(log, 'utf8');
    } catch {
      // first submission
    }
    writeFileSync(log, `${before}${JSON.stringify({ date: new Date().toISOString(), shards: o.shards, array: array ?? null, tasks: arrayList(missing.map((m) => m.index)), merge })}\n`);
  }
  return plan;
}

/**
 * The lines `radix slurm` prints about a plan.
 *
 * @example
 * console.log(formatSlurmPlan(plan));
 */
export function formatSlurmPlan(p: SlurmPlan): string {
  const lines = [`radix slurm: ${p.command} in ${p.count} shards, job folder ${p.jobDir}`];
  if (p.missing.length === 0) lines.push('  every shard is complete and verified; only the merge remains');
  else {
    lines.push(`  shards to run: ${arrayList(p.missing.map((m) => m.index))} (${p.missing.length} of ${p.count})`);
    for (const m of p.missing.slice(0, 10)) lines.push(`    ${m.index}/${p.count}: ${m.reason}`);
    if (p.missing.length > 10) lines.push(`    … and ${p.missing.length - 10} more`);
    lines.push(`  array script: ${p.arrayScript}`);
  }
  lines.push(`  merge script: ${p.mergeScript}`, `  submit by hand: bash ${p.submitScript}`);
  if (p.submitted) lines.push(`  submitted: ${p.submitted.array ? `array job ${p.submitted.array}, ` : ''}merge job ${p.submitted.merge}${p.submitted.array ? ` (afterok:${p.submitted.array})` : ''}`);
  return lines.join('\n');
}
