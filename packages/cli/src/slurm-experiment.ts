// `radix slurm … -- experiment CONFIG.json --out DIR`: one job array per stage of the experiment (data, generate:
// one task per variant, classify: one task per variant × seed, report), each depending (afterok) on the one before,
// listing only the jobs not finished yet. Tasks run `radix experiment … --stage S --shard $SLURM_ARRAY_TASK_ID/N`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from './kit/errors.js';
import { writeFileAtomic } from './kit/output.js';
import { arrayList } from './shard.js';
import { arrayScript, shellQuote, type SlurmResources } from './slurm-script.js';

/** One stage's array as planned. */
export interface ExperimentStagePlan {
  stage: string;
  /** Jobs of the stage in task order, with whether each is finished. */
  jobs: { id: string; done: boolean }[];
  /** The script (absent when every job of the stage is finished). */
  script?: string;
  /** Submitted array job id. */
  jobId?: string;
}

/** What `radix slurm -- experiment` wrote and submitted. */
export interface ExperimentSlurmPlan {
  runDir: string;
  stages: ExperimentStagePlan[];
  submitScript: string;
}

function take(args: string[], flag: string): string | undefined {
  const i = args.indexOf(`--${flag}`);
  if (i >= 0) return args.splice(i, 2)[1];
  const j = args.findIndex((a) => a.startsWith(`--${flag}=`));
  return j >= 0 ? args.splice(j, 1)[0]!.slice(flag.length + 3) : undefined;
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
 * Prepares the run directory (as `radix experiment` does), then writes DIR/slurm/experiment-<stage>.sbatch for every
 * stage with unfinished jobs and DIR/slurm/submit.sh; with `submit`, submits them in order, each with
 * `--dependency=afterok:<previous array>`. Data and report tasks get no GPU; generate and classify tasks get the GPU
 * resources.
 *
 * @example
 * await planExperimentSlurm({ args: ['cfg.json', '--out', 'runs/x'], resources, radix: ['radix'], cwd, env, retries: 1, provenance: 'radix slurm' });
 */
export async function planExperimentSlurm(o: {
  args: string[]; resources: SlurmResources; radix: string[]; cwd: string; env: Record<string, string | undefined>; retries: number;
  provenance: string; submit?: boolean; sbatch?: string;
}): Promise<ExperimentSlurmPlan> {
  const args = [...o.args];
  if (args.some((a) => a === '--stage' || a.startsWith('--stage=') || a === '--task' || a.startsWith('--task=') || a === '--shard' || a.startsWith('--shard=') || a === '--list')) {
    throw new UsageError('radix slurm: leave out --stage, --task, --shard and --list; radix slurm runs every stage as its own array');
  }
  const out = take(args, 'out');
  const positional = args.filter((a) => !a.startsWith('-'));
  if (positional.length !== 1) throw new UsageError(`radix slurm: radix experiment needs CONFIG.json, got '${positional.join(' ')}'`);
  const { readExperimentConfig } = await import('./workflow/experiment-config.js');
  const { prepareRun } = await import('./workflow/experiment-run.js');
  const { readJobManifest } = await import('./workflow/experiment-jobs.js');
  const configPath = resolve(o.cwd, positional[0]!);
  const config = await readExperimentConfig(configPath);
  const runDir = resolve(o.cwd, out ?? `runs/${config.name}`);
  const run = await prepareRun(config, runDir, ['radix experiment', configPath, '--out', runDir].join(' '));
  const rest = args.filter((a) => a !== positional[0]);
  const slurmDir = join(runDir, 'slurm');
  const logs = join(slurmDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const stages: ExperimentStagePlan[] = [];
  for (const stage of ['data', 'generate', 'classify', 'report'] as const) {
    const jobs = run.jobs.filter((j) => j.stage === stage).map((j) => {
      const m = readJobManifest(runDir, j.id);
      return { id: j.id, done: m?.status === 'done' && m.configHash === run.configHash };
    });
    const plan: ExperimentStagePlan = { stage, jobs };
    const todo = jobs.map((j, i) => (j.done ? -1 : i)).filter((i) => i >= 0);
    if (jobs.length > 0 && todo.length > 0) {
      const gpu = stage === 'generate' || stage === 'classify';
      const resources: SlurmResources = { ...o.resources, jobName: `${o.resources.jobName}-${stage}`, ...(gpu ? {} : { gpus: 0, gres: undefined }) };
      plan.script = join(slurmDir, `experiment-${stage}.sbatch`);
      await writeFileAtomic(plan.script, arrayScript({
        resources, count: jobs.length, array: arrayList(todo), radix: o.radix,
        command: ['experiment', configPath, '--out', runDir, '--stage', stage, ...rest], chdir: resolve(o.cwd), logs, retries: o.retries,
        provenance: `${o.provenance}; stage ${stage}: ${jobs.length} job(s) (${jobs.map((j) => j.id).join(', ')})`,
      }));
    }
    stages.push(plan);
  }
  const submitScript = join(slurmDir, 'submit.sh');
  const lines = ['#!/bin/bash', '# Submits the stages of the experiment in order, each after the one before (what `radix slurm --submit` does).', 'set -eu', 'DEP=""'];
  for (const s of stages.filter((p) => p.script)) {
    lines.push(`J=$(sbatch --parsable $DEP ${shellQuote(s.script!)})`, 'J="${J%%;*}"', `echo "${s.stage}: job $J"`, 'DEP="--dependency=afterok:$J --kill-on-invalid-dep=yes"');
  }
  await writeFileAtomic(submitScript, `${lines.join('\n')}\n`);
  if (o.submit) {
    let prev: string | undefined;
    const bin = o.sbatch ?? 'sbatch';
    for (const s of stages.filter((p) => p.script)) {
      s.jobId = sbatch(bin, [...(prev ? [`--dependency=afterok:${prev}`, '--kill-on-invalid-dep=yes'] : []), s.script!], o.env);
      prev = s.jobId;
    }
    const log = join(slurmDir, 'submissions.jsonl');
    let before = '';
    try {
      before = readFileSync(log, 'utf8');
    } catch {
      // first submission
    }
    writeFileSync(log, `${before}${JSON.stringify({ date: new Date().toISOString(), stages: stages.filter((s) => s.jobId).map((s) => ({ stage: s.stage, job: s.jobId, tasks: arrayList(s.jobs.map((j, i) => (j.done ? -1 : i)).filter((i) => i >= 0)) })) })}\n`);
  }
  return { runDir, stages, submitScript };
}

/**
 * The lines `radix slurm` prints about an experiment plan.
 *
 * @example
 * console.log(formatExperimentPlan(plan));
 */
export function formatExperimentPlan(p: ExperimentSlurmPlan): string {
  const lines = [`radix slurm: experiment in ${p.runDir}`];
  for (const s of p.stages) {
    const todo = s.jobs.map((j, i) => (j.done ? -1 : i)).filter((i) => i >= 0);
    lines.push(`  ${s.stage}: ${s.jobs.length} job(s), ${todo.length === 0 ? 'all finished' : `to run: ${arrayList(todo)} (${todo.map((i) => s.jobs[i]!.id).join(', ')})`}${s.jobId ? `; submitted as job ${s.jobId}` : ''}`);
  }
  if (p.stages.every((s) => !s.script)) lines.push('  every job is finished; nothing to submit');
  lines.push(`  submit by hand: bash ${p.submitScript}`);
  return lines.join('\n');
}
