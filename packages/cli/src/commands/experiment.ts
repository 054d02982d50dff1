// `radix experiment CONFIG.json`: flags and help; the work is prepareRun/runExperiment in ../workflow/experiment-run.ts.
import { resolve } from 'node:path';
import { QUIET_OPTION, UsageError, type Command } from '../kit/index.js';

/** `radix experiment`. */
export const experimentCommand: Command = {
  name: 'experiment',
  summary: 'run a generative-augmentation experiment from a JSON config (variants × seeds, resumable jobs, report)',
  usage: 'radix experiment CONFIG.json [--out DIR] [--stage S [--task I | --shard I/N]] [--list]',
  positionals: [{ name: 'CONFIG.json', description: 'the experiment configuration (see the CLI README: data, classifier, seeds, variants, backend, inceptionWeights, bootstrap)' }],
  options: [
    { name: 'out', type: 'string', arg: 'DIR', description: 'run directory (default ./runs/<config name>); rerunning resumes it, another config is refused' },
    { name: 'stage', type: 'string', arg: 'S', description: 'run one stage only: data, generate, classify or report (for a cluster: one array per stage)' },
    { name: 'task', type: 'string', arg: 'I', description: 'with --stage: run only its I-th job (0-based; a Slurm array index)' },
    { name: 'shard', type: 'string', arg: 'I/N', description: "with --stage: run shard I of N of the stage's jobs (a contiguous block; N = the stage's job count gives one job per task, as radix slurm does)" },
    { name: 'list', type: 'boolean', description: 'print the jobs of every stage with their status and exit' },
    QUIET_OPTION,
  ],
  details: [
    'Jobs: data (build and split the patches) → generate-<variant> (rudi, gan, diffusion) → classify-<variant>-seed<s> →',
    'report. Each job has its own folder under DIR/jobs/ and writes manifest.json before any work; a finished job is skipped',
    '("already finished; nothing to do"), a killed one starts again from its seed, so a resumed run gives the same numbers.',
    'Outputs: DIR/experiment.json (config, versions, command), DIR/report.html, DIR/report.json.',
  ].join('\n'),
  async run(args, ctx) {
    const [file] = args.expectPositionals('experiment', ['CONFIG.json']);
    const stage = args.choice('stage', ['data', 'generate', 'classify', 'report'] as const);
    const task = args.integer('task', { min: 0 });
    if (task !== undefined && stage === undefined) throw new UsageError('--task needs --stage (the task is an index within one stage)');
    const { parseShard } = await import('../shard.js');
    const shard = parseShard(args.string('shard'));
    if (shard !== undefined && (stage === undefined || task !== undefined)) throw new UsageError('--shard needs --stage and replaces --task (it selects a block of the stage\'s jobs)');
    const { readExperimentConfig } = await import('../workflow/experiment-config.js');
    const { prepareRun, runExperiment, readRunManifest } = await import('../workflow/experiment-run.js');
    const { readJobManifest } = await import('../workflow/experiment-jobs.js');
    const config = await readExperimentConfig(resolve(ctx.cwd, file!));
    const runDir = resolve(ctx.cwd, args.string('out') ?? `runs/${config.name}`);
    await prepareRun(config, runDir, ['radix experiment', file, ...(args.string('out') ? ['--out', args.string('out')] : [])].join(' '));
    if (args.flag('list')) {
      const run = readRunManifest(runDir);
      for (const s of ['data', 'generate', 'classify', 'report']) {
        const jobs = run.jobs.filter((j) => j.stage === s);
        ctx.stdout.write(`${s} (${jobs.length} task${jobs.length === 1 ? '' : 's'}):\n`);
        jobs.forEach((j, i) => ctx.stdout.write(`  ${i}  ${j.id}  ${readJobManifest(runDir, j.id)?.status ?? 'not started'}\n`));
      }
      return 0;
    }
    const quiet = args.flag('quiet');
    const log = (l: string) => { if (!quiet) ctx.stderr.write(`${l}\n`); };
    let tasks: (number | undefined)[] = [task];
    if (shard !== undefined) {
      const { shardRange } = await import('../shard.js');
      const [a, b] = shardRange(readRunManifest(runDir).jobs.filter((j) => j.stage === stage).length, shard);
      tasks = Array.from({ length: b - a }, (_, k) => a + k);
    }
    const outcomes = [];
    for (const t of tasks) outcomes.push(...(await runExperiment(runDir, { ...(stage ? { stage } : {}), ...(t !== undefined ? { task: t } : {}), log })));
    const ran = outcomes.filter((o) => o.result === 'done').length;
    ctx.stdout.write(`experiment ${config.name}: ${ran} job(s) run, ${outcomes.length - ran} already finished; run directory ${runDir}\n`);
    if (outcomes.some((o) => o.id === 'report')) ctx.stdout.write(`report: ${resolve(runDir, 'report.html')}\n`);
    return 0;
  },
};
