// `radix demo`: the compact experiment on the bundled IHC image — real patches; + rudi augmentation; + a GAN
// pretrained on the unlabelled pool and fine-tuned with G blocks frozen; + DDPM — sized for a 2-core machine.
import { resolve } from 'node:path';
import { parseExperimentConfig, type ExperimentConfig } from './experiment-config.js';
import { prepareRun, runExperiment, type JobOutcome } from './experiment-run.js';
import { generatorAvailability } from './generators.js';
import { classifierTable, type ClassifierRow } from './report-table.js';
import { readRunManifest } from './experiment-run.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** The ~2-minute smoke run (fewer steps, two seeds, a width-4 classifier). */
  quick?: boolean;
  /** Run directory (default `radix-demo` or `radix-demo-quick` in the working directory). */
  out?: string;
  backend?: 'auto' | 'webgpu' | 'cpu';
  log?: (line: string) => void;
  /** Working directory for a relative `out`. */
  cwd?: string;
}

/** What {@link runDemo} did. */
export interface DemoResult {
  runDir: string;
  report: string;
  rows: ClassifierRow[];
  jobs: JobOutcome[];
  /** Variants of the full design left out of this build, with the reason. */
  leftOut: string[];
  seconds: number;
}

/**
 * The full demo's GAN settings, sized for a 2-core machine without a GPU. Batch 8 and 16 channels (the defaults are 16
 * and 32) cut a minibatch's cost about fourfold; DiffAugment (the augmentation meant for tiny sets and short runs,
 * active from the first step) replaces ADA, whose p cannot leave ≈ 0 in a few kimg (it moves by batch·4/(100·1000) per
 * 4 minibatches) yet costs ≈ 11 % of a step; 180 pretraining minibatches on the pool, then 60 per class with G2 frozen
 * (measured on lavapipe on a quiet 2-core machine: 318 s for this variant with sampling, ≈ 0.9 s per minibatch).
 */
const FULL_GAN = Object.freeze({ pretrainSteps: 180, steps: 60, batch: 8, channels: 16, latent: 64, mappingLayers: 2, augment: 'diffaugment' });
/**
 * The full demo's DDPM settings (measured on lavapipe on a quiet 2-core machine: 178 s for training and sampling
 * 3 × 100 images; so 8 DDIM sampling steps instead of 25). The UNet predicts x₀ ('sample'): after
 * 150 minibatches an ε-predicting one still returns noise (it has learnt little beyond ε ≈ x_t), while an x₀-predicting
 * one already gives each class its colours and blob structure.
 */
const FULL_DDPM = Object.freeze({ steps: 150, batchSize: 8, warmupSteps: 15, channels: [16, 32], samplingSteps: 8, predictionType: 'sample' });
/** `--quick`'s GAN settings: a smoke run of every stage (pretraining, fine-tuning with G2 frozen, sampling), not a useful GAN. */
const QUICK_GAN = Object.freeze({ pretrainSteps: 8, steps: 6, batch: 8, channels: 16, latent: 32, mappingLayers: 1 });
/** `--quick`'s DDPM settings: a smoke run (training, checkpoints, DDIM sampling), not a useful model. */
const QUICK_DDPM = Object.freeze({ steps: 10, batchSize: 8, warmupSteps: 2, channels: [8, 16], samplingSteps: 4, predictionType: 'sample' });

/**
 * The demo's configuration (the raw JSON `radix experiment` would read), with the generator variants this build can
 * run; `leftOut` lists the others and why.
 *
 * @example
 * const { raw } = await demoConfig({ quick: true });
 */
export async function demoConfig(options: { quick?: boolean; backend?: DemoOptions['backend'] } = {}): Promise<{ raw: Record<string, unknown>; leftOut: string[] }> {
  const q = options.quick === true;
  const variants: Record<string, unknown>[] = [{ name: 'real', kind: 'real' }, { name: 'real+rudi', kind: 'rudi', perClass: q ? 20 : 100 }];
  const leftOut: string[] = [];
  const gan = await generatorAvailability('gan');
  if (gan === null) variants.push({ name: 'real+gan-ft', kind: 'gan', init: 'finetune', freezeG: 2, freezeD: 0, perClass: q ? 20 : 100, train: q ? QUICK_GAN : FULL_GAN });
  else leftOut.push(`real+gan-ft (GAN pretrained on the pool, fine-tuned with G2 frozen): ${gan}`);
  const ddpm = await generatorAvailability('diffusion');
  if (ddpm === null) variants.push({ name: 'real+ddpm', kind: 'diffusion', perClass: q ? 20 : 100, train: q ? QUICK_DDPM : FULL_DDPM });
  else leftOut.push(`real+ddpm: ${ddpm}`);
  const raw = {
    name: q ? 'demo-quick' : 'demo',
    data: { kind: 'ihc', size: 32, block: 64, labelledPerClass: 20, seed: 7 },
    classifier: q
      ? { depth: 18, width: 4, stem: 'imagenet', maxSteps: 20, batchSize: 16, lr: 3e-3, evalEvery: 10, patience: 2 }
      : { depth: 18, width: 8, stem: 'imagenet', maxSteps: 80, batchSize: 32, lr: 2e-3, evalEvery: 20, patience: 3 },
    seeds: q ? [1, 2] : [1, 2, 3],
    variants,
    backend: options.backend ?? 'auto',
    bootstrap: q ? 200 : 1000,
  };
  return { raw, leftOut };
}

/**
 * Runs the demo (resuming a killed one in the same folder) and returns where the report is.
 *
 * @example
 * const r = await runDemo({ quick: true, log: console.error });
 * console.log(r.report);
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const log = options.log ?? (() => {});
  const { raw, leftOut } = await demoConfig(options);
  const config: ExperimentConfig = await parseExperimentConfig(raw, options.cwd ?? process.cwd());
  const runDir = resolve(options.cwd ?? process.cwd(), options.out ?? (options.quick ? 'radix-demo-quick' : 'radix-demo'));
  for (const l of leftOut) log(`left out: ${l}`);
  await prepareRun(config, runDir, `radix demo${options.quick ? ' --quick' : ''}`);
  const jobs = await runExperiment(runDir, { log });
  const rows = classifierTable(runDir, readRunManifest(runDir));
  return { runDir, report: resolve(runDir, 'report.html'), rows, jobs, leftOut, seconds: (performance.now() - t0) / 1000 };
}
