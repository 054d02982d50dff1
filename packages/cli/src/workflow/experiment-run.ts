// Running an experiment: the run directory is created from a checked config (experiment.json, written first), and
// every job is a callable unit, runJob(runDir, jobId), that a whole run, one `--stage/--task` call or a Slurm array
// task can execute; finished jobs are skipped, killed ones start again from their seed.
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeSafetensors, encodeSafetensors, init, type Backend } from '@radix/tensor-webgpu';
import { toJsonText, writeFileAtomic } from '../kit/output.js';
import { scorePredictions } from './classifier-metrics.js';
import { predictClasses, trainClassifier } from './classifier-train.js';
import { buildFolderDataset } from './dataset-folder.js';
import { buildIhcDataset } from './dataset-ihc.js';
import { loadDataset, saveDataset } from './dataset-store.js';
import type { ExperimentConfig } from './experiment-config.js';
import { STAGES, configHash, experimentJobs, generateJobId, jobDir, readJobManifest, writeJobManifest, type JobManifest, type JobSpec, type Stage } from './experiment-jobs.js';
import { generatorFor } from './generators.js';
import { concatPatches, patchCount, type PatchDataset, type PatchSet } from './patch-set.js';
import { gridToPng } from './png-grid.js';
import { syntheticMetrics } from './synthetic-metrics.js';

/** experiment.json: the run's configuration and provenance, written before any job runs. */
export interface RunManifest {
  format: 'radix-experiment/1';
  name: string;
  configHash: string;
  config: ExperimentConfig;
  /** The command line that created the run. */
  command: string;
  created: string;
  versions: { radix: string; node: string; platform: string };
  jobs: JobSpec[];
}

/** Options of {@link runJob} and {@link runExperiment}. */
export interface RunOptions {
  /** Progress lines. */
  log?: (line: string) => void;
}

/** What happened to one job. */
export interface JobOutcome {
  id: string;
  /** `done`: it ran now; `skipped`: it had finished before. */
  result: 'done' | 'skipped';
  seconds: number;
  summary?: Record<string, unknown>;
}

function radixVersion(): string {
  for (const p of ['../../package.json', '../package.json']) {
    try {
      const j = JSON.parse(readFileSync(new URL(p, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (j.name === '@radix/cli') return j.version ?? 'unknown';
    } catch {
      // try the next layout (sources or dist)
    }
  }
  return 'unknown';
}

/**
 * Creates RUN_DIR/experiment.json for `config` — or checks that an existing run was made by the same configuration
 * (refusing another one, so results never mix) — and returns the run manifest.
 *
 * @example
 * const run = await prepareRun(config, 'runs/demo', 'radix demo');
 */
export async function prepareRun(config: ExperimentConfig, runDir: string, command: string): Promise<RunManifest> {
  const dir = resolve(runDir);
  const path = join(dir, 'experiment.json');
  const hash = configHash(config);
  if (existsSync(path)) {
    const old = readRunManifest(dir);
    if (old.configHash !== hash) throw new Error(`'${dir}' holds a run of another configuration (experiment.json has config hash ${old.configHash.slice(0, 12)}…, this config ${hash.slice(0, 12)}…); choose another output folder or delete that run`);
    return old;
  }
  mkdirSync(dir, { recursive: true });
  const m: RunManifest = {
    format: 'radix-experiment/1', name: config.name, configHash: hash, config, command, created: new Date().toISOString(),
    versions: { radix: radixVersion(), node: process.version, platform: `${process.platform} ${process.arch}` }, jobs: experimentJobs(config),
  };
  await writeFileAtomic(path, toJsonText(m));
  return m;
}

/**
 * Reads RUN_DIR/experiment.json.
 *
 * @example
 * readRunManifest('runs/demo').jobs.length;
 */
export function readRunManifest(runDir: string): RunManifest {
  const path = join(resolve(runDir), 'experiment.json');
  let m: RunManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as RunManifest;
  } catch (e) {
    throw new Error(`'${resolve(runDir)}' is not an experiment run directory (cannot read ${path}: ${(e as Error).message})`);
  }
  if (m.format !== 'radix-experiment/1') throw new Error(`'${path}' is not a radix experiment manifest (format ${String(m.format)})`);
  return m;
}

/** The synthetic images of a finished generate job. */
export function loadSynthetic(runDir: string, variant: string): PatchSet {
  const file = join(jobDir(runDir, generateJobId(variant)), 'synthetic.safetensors');
  const st = decodeSafetensors(new Uint8Array(readFileSync(file)), { name: file });
  const labels = Int32Array.from(st.tensors.labels!.data as Int32Array);
  return { images: Float32Array.from(st.tensors.images!.data as Float32Array), labels, origins: Array.from(labels, () => ({ source: variant, x: 0, y: 0 })) };
}

async function buildDataset(config: ExperimentConfig): Promise<PatchDataset> {
  const d = config.data;
  if (d.kind === 'ihc') return buildIhcDataset({ ...(d.path ? { path: d.path } : {}), size: d.size, block: d.block, labelledPerClass: d.labelledPerClass, seed: d.seed });
  return buildFolderDataset({
    root: d.path, ...(d.size !== null ? { size: d.size } : {}), ...(d.pool ? { pool: d.pool } : {}), ...(d.labelledPerClass !== null ? { labelledPerClass: d.labelledPerClass } : {}),
    valFraction: d.valFraction, testFraction: d.testFraction, seed: d.seed,
  });
}

async function backendOf(config: ExperimentConfig): Promise<Backend> {
  return init({ backend: config.backend });
}

async function dataJob(run: RunManifest, dir: string): Promise<Record<string, unknown>> {
  const ds = await buildDataset(run.config);
  await saveDataset(dir, ds);
  return { classes: ds.classes, size: ds.size, train: patchCount(ds.train, ds.size), val: patchCount(ds.val, ds.size), test: patchCount(ds.test, ds.size), pool: patchCount(ds.pool, ds.size), warnings: ds.warnings };
}

async function generateJob(run: RunManifest, runDir: string, spec: JobSpec, dir: string, log: (l: string) => void): Promise<Record<string, unknown>> {
  const variant = run.config.variants.find((v) => v.name === spec.variant)!;
  const ds = loadDataset(jobDir(runDir, 'data'));
  const backend = await backendOf(run.config);
  const seed = run.config.seeds[0]!;
  const adapter = await generatorFor(variant.kind);
  const t0 = performance.now();
  const g = await adapter.generate({ dataset: ds, variant, jobDir: dir, backend, seed, log });
  const n = g.set.labels.length;
  await writeFileAtomic(join(dir, 'synthetic.safetensors'), encodeSafetensors({
    images: { dtype: 'F32', shape: [n, 3, ds.size, ds.size], data: g.set.images }, labels: { dtype: 'I32', shape: [n], data: g.set.labels },
  }, { variant: variant.name, kind: variant.kind }));
  const per = 3 * ds.size * ds.size;
  for (let c = 0; c < ds.classes.length; c++) {
    const ids = [...g.set.labels.keys()].filter((i) => g.set.labels[i] === c).slice(0, 32);
    if (ids.length) await writeFileAtomic(join(dir, `grid-class${c}.png`), gridToPng(ids.map((i) => g.set.images.subarray(i * per, (i + 1) * per)), ds.size, { cols: 8, scale: 2 }));
  }
  const seconds = (performance.now() - t0) / 1000;
  log(`${spec.id}: ${n} images in ${seconds.toFixed(1)} s; computing metrics`);
  const metrics = await syntheticMetrics(ds.train, g.set, ds.size, backend, { inceptionWeights: run.config.inceptionWeights, seed });
  await writeFileAtomic(join(dir, 'generated.json'), toJsonText({ variant: variant.name, kind: variant.kind, curves: g.curves, details: g.details, metrics }));
  return { images: n, precision: metrics.precision, recall: metrics.recall, density: metrics.density, coverage: metrics.coverage, fid: metrics.fid };
}

async function classifyJob(run: RunManifest, runDir: string, spec: JobSpec, dir: string, log: (l: string) => void): Promise<Record<string, unknown>> {
  const config = run.config;
  const variant = config.variants.find((v) => v.name === spec.variant)!;
  const ds = loadDataset(jobDir(runDir, 'data'));
  const backend = await backendOf(config);
  let train: PatchSet;
  if (variant.kind === 'real') train = ds.train;
  else if (variant.kind === 'synthetic-only') train = loadSynthetic(runDir, variant.from!);
  else train = concatPatches([ds.train, loadSynthetic(runDir, variant.name)]);
  const r = await trainClassifier({
    train, val: ds.val, size: ds.size, numClasses: ds.classes.length, settings: config.classifier, seed: spec.seed!, backend,
    log: (l) => log(`${spec.id}: ${l}`),
  });
  const test = await predictClasses(r.net, ds.test.images, ds.size, backend);
  const val = await predictClasses(r.net, ds.val.images, ds.size, backend);
  r.net.dispose();
  const scores = scorePredictions(test.pred, ds.test.labels, ds.classes.length, { reps: config.bootstrap, seed: spec.seed! });
  await writeFileAtomic(join(dir, 'predictions.json'), toJsonText({
    classes: ds.classes, test: { labels: [...ds.test.labels], pred: [...test.pred], probs: [...test.probs].map((p) => Math.round(p * 1e6) / 1e6) },
    val: { labels: [...ds.val.labels], pred: [...val.pred] },
  }));
  await writeFileAtomic(join(dir, 'classifier.json'), toJsonText({
    variant: variant.name, seed: spec.seed, trainPatches: patchCount(train, ds.size), history: r.history, bestStep: r.bestStep, steps: r.steps,
    stoppedEarly: r.stoppedEarly, scores,
  }));
  return { accuracy: scores.accuracy, balancedAccuracy: scores.balancedAccuracy, bestStep: r.bestStep, steps: r.steps, trainPatches: patchCount(train, ds.size) };
}

/**
 * Runs one job of a prepared run directory: skipped (and said so) when its manifest says done; otherwise its
 * manifest is written first (status running, one more attempt), the work is done from the job's seed, the outputs are
 * written atomically and the manifest is marked done. Refuses to start before the jobs it needs have finished.
 *
 * @example
 * await runJob('runs/demo', 'classify-real-seed1');
 */
export async function runJob(runDir: string, jobId: string, options: RunOptions = {}): Promise<JobOutcome> {
  const log = options.log ?? (() => {});
  const dir0 = resolve(runDir);
  const run = readRunManifest(dir0);
  const spec = run.jobs.find((j) => j.id === jobId);
  if (!spec) throw new Error(`no job '${jobId}' in '${dir0}' (jobs: ${run.jobs.map((j) => j.id).join(', ')})`);
  const old = readJobManifest(dir0, jobId);
  if (old?.status === 'done') {
    if (old.configHash !== run.configHash) throw new Error(`job '${jobId}' in '${dir0}' finished under another configuration (hash ${old.configHash.slice(0, 12)}…); delete its folder to run it again`);
    log(`${jobId}: already finished (${old.finished}); nothing to do`);
    return { id: jobId, result: 'skipped', seconds: 0, ...(old.summary ? { summary: old.summary } : {}) };
  }
  for (const need of spec.needs) {
    if (readJobManifest(dir0, need)?.status !== 'done') throw new Error(`job '${jobId}' needs '${need}', which has not finished in '${dir0}' (run its stage first)`);
  }
  const dir = jobDir(dir0, jobId);
  mkdirSync(dir, { recursive: true });
  const manifest: JobManifest = {
    format: 'radix-experiment-job/1', job: jobId, stage: spec.stage, status: 'running', configHash: run.configHash,
    attempts: [...(old?.attempts ?? []), { started: new Date().toISOString(), pid: process.pid }],
  };
  if (spec.stage === 'generate' || spec.stage === 'classify') {
    const b = await backendOf(run.config);
    manifest.backend = `${b.name}: ${b.info.description}`;
  }
  await writeJobManifest(dir0, manifest);
  if (old) log(`${jobId}: resuming (attempt ${manifest.attempts.length}; the job starts again from its seed)`);
  const t0 = performance.now();
  let summary: Record<string, unknown>;
  if (spec.stage === 'data') summary = await dataJob(run, dir);
  else if (spec.stage === 'generate') summary = await generateJob(run, dir0, spec, dir, log);
  else if (spec.stage === 'classify') summary = await classifyJob(run, dir0, spec, dir, log);
  else {
    const { writeReport } = await import('./report.js');
    summary = { report: await writeReport(dir0) };
  }
  const seconds = (performance.now() - t0) / 1000;
  await writeJobManifest(dir0, { ...manifest, status: 'done', finished: new Date().toISOString(), seconds, summary });
  log(`${jobId}: done in ${seconds.toFixed(1)} s`);
  return { id: jobId, result: 'done', seconds, summary };
}

/**
 * The jobs of one stage (`task` picks one of them, 0-based, as a Slurm array index does), or of every stage.
 *
 * @example
 * selectJobs(run, 'classify', 3); // [the fourth classifier job]
 */
export function selectJobs(run: RunManifest, stage?: Stage, task?: number): JobSpec[] {
  if (stage !== undefined && !STAGES.includes(stage)) throw new Error(`unknown stage '${String(stage)}' (stages: ${STAGES.join(', ')})`);
  const jobs = stage === undefined ? run.jobs : run.jobs.filter((j) => j.stage === stage);
  if (task === undefined) return jobs;
  if (!Number.isInteger(task) || task < 0 || task >= jobs.length) throw new Error(`--task ${task} is outside stage '${stage}', which has ${jobs.length} task(s) (0..${jobs.length - 1})`);
  return [jobs[task]!];
}

/**
 * Runs every job (or one stage, or one task of a stage) of a prepared run, in order.
 *
 * @example
 * const run = await prepareRun(config, 'runs/x', 'radix experiment x.json');
 * await runExperiment('runs/x', { log: console.error });
 */
export async function runExperiment(runDir: string, options: RunOptions & { stage?: Stage; task?: number } = {}): Promise<JobOutcome[]> {
  const run = readRunManifest(runDir);
  const out: JobOutcome[] = [];
  for (const j of selectJobs(run, options.stage, options.task)) out.push(await runJob(runDir, j.id, options));
  return out;
}
