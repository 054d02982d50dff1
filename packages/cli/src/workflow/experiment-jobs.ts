// The jobs of an experiment and the run directory's bookkeeping: every job has its own folder and writes its
// manifest before any work, so a killed run resumes and a finished job is recognised and skipped.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJsonText, writeFileAtomic } from '../kit/output.js';
import type { ExperimentConfig } from './experiment-config.js';

/** Stages in the order they run; a Slurm array runs one stage's tasks in parallel. */
export const STAGES = ['data', 'generate', 'classify', 'report'] as const;
/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];

/** One unit of work. */
export interface JobSpec {
  /** Folder name under RUN_DIR/jobs/ (`data`, `generate-rudi`, `classify-real-seed1`). */
  id: string;
  stage: Stage;
  /** The variant it belongs to (generate, classify). */
  variant?: string;
  seed?: number;
  /** Jobs that must have finished first. */
  needs: string[];
}

/** What a job's manifest.json says. */
export interface JobManifest {
  format: 'radix-experiment-job/1';
  job: string;
  stage: Stage;
  status: 'running' | 'done';
  configHash: string;
  /** One entry per start (a resumed job has several). */
  attempts: { started: string; pid: number }[];
  finished?: string;
  seconds?: number;
  /** Short results (for `radix experiment` output and the report's job table). */
  summary?: Record<string, unknown>;
  /** The compute backend and adapter the job ran on. */
  backend?: string;
}

/**
 * The hash that ties a run directory and its jobs to one configuration (SHA-256 of its canonical JSON, minus the
 * `baseDir` so a moved checkout keeps its runs).
 *
 * @example
 * configHash(config); // '3f1c…'
 */
export function configHash(config: ExperimentConfig): string {
  const { baseDir: _ignored, ...rest } = config;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex');
}

/** A generator variant's job id. */
export function generateJobId(variant: string): string {
  return `generate-${variant}`;
}

/** A classifier job id. */
export function classifyJobId(variant: string, seed: number): string {
  return `classify-${variant}-seed${seed}`;
}

/**
 * Every job of a configuration, stage by stage: `data`; one `generate-<variant>` per rudi/gan/diffusion variant;
 * one `classify-<variant>-seed<s>` per variant and seed; `report`.
 *
 * @example
 * experimentJobs(config).filter((j) => j.stage === 'classify').length; // variants × seeds
 */
export function experimentJobs(config: ExperimentConfig): JobSpec[] {
  const jobs: JobSpec[] = [{ id: 'data', stage: 'data', needs: [] }];
  for (const v of config.variants) {
    if (v.kind === 'rudi' || v.kind === 'gan' || v.kind === 'diffusion') jobs.push({ id: generateJobId(v.name), stage: 'generate', variant: v.name, needs: ['data'] });
  }
  for (const v of config.variants) {
    const source = v.kind === 'synthetic-only' ? v.from! : v.kind === 'real' ? null : v.name;
    for (const seed of config.seeds) {
      jobs.push({ id: classifyJobId(v.name, seed), stage: 'classify', variant: v.name, seed, needs: ['data', ...(source ? [generateJobId(source)] : [])] });
    }
  }
  jobs.push({ id: 'report', stage: 'report', needs: jobs.map((j) => j.id) });
  return jobs;
}

/** The folder of a job. */
export function jobDir(runDir: string, id: string): string {
  return join(runDir, 'jobs', id);
}

/**
 * A job's manifest, or null when the job never started.
 *
 * @example
 * readJobManifest('run', 'data')?.status; // 'done'
 */
export function readJobManifest(runDir: string, id: string): JobManifest | null {
  const p = join(jobDir(runDir, id), 'manifest.json');
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as JobManifest;
  } catch (e) {
    throw new Error(`the job manifest '${p}' is unreadable (${(e as Error).message}); delete the job's folder to run it again`);
  }
}

/**
 * Writes a job's manifest atomically.
 *
 * @example
 * await writeJobManifest('run', manifest);
 */
export async function writeJobManifest(runDir: string, m: JobManifest): Promise<void> {
  await writeFileAtomic(join(jobDir(runDir, m.job), 'manifest.json'), toJsonText(m));
}
