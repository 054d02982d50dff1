// What `radix sample CHECKPOINT` was given: a diffusion run folder, one of its checkpoints, a diffusers model or pipeline
// folder, or a GAN checkpoint — decided from the files present, so `radix sample` can hand it to the right sampler.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A diffusion checkpoint `radix sample` can read. */
export interface DiffusionCheckpointRef {
  kind: 'diffusion';
  /** 'run': OUT of radix train diffusion; 'checkpoint': one of its step folders; 'diffusers-model' / 'diffusers-pipeline': folders of diffusers. */
  source: 'run' | 'checkpoint' | 'diffusers-model' | 'diffusers-pipeline';
  /** The folder holding unet/ (and ema/, scheduler/, trainer_state.json) — or the model folder itself for diffusers-model. */
  dir: string;
  /** Folder of the UNet weights to use (ema/ when present unless raw weights were asked for). */
  unetDir: string;
  /** The EMA weights' folder, when the checkpoint has one. */
  emaDir: string | null;
  /** diffusers scheduler_config.json, when present. */
  schedulerConfig: Record<string, unknown> | null;
  /** trainer_state.json of radix checkpoints. */
  trainerState: Record<string, unknown> | null;
  /** Checkpoints that were skipped (corrupt, truncated) before this one was chosen, with the reason. */
  skipped: string[];
}

/** A GAN checkpoint (sampled by @radix/gan's sampler). */
export interface GanCheckpointRef {
  kind: 'gan';
  path: string;
}

/** What {@link detectCheckpointKind} found. */
export type CheckpointRef = DiffusionCheckpointRef | GanCheckpointRef;

function readJson(path: string): Record<string, unknown> | null {
  if (!existsSync(path)) return null;
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch (e) {
    throw new Error(`radix sample: '${path}' is not valid JSON: ${(e as Error).message}`);
  }
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

function fromCheckpointDir(dir: string, source: 'run' | 'checkpoint', skipped: string[]): DiffusionCheckpointRef {
  const ema = isDir(join(dir, 'ema')) ? join(dir, 'ema') : null;
  return {
    kind: 'diffusion', source, dir, unetDir: ema ?? join(dir, 'unet'), emaDir: ema,
    schedulerConfig: readJson(join(dir, 'scheduler', 'scheduler_config.json')), trainerState: readJson(join(dir, 'trainer_state.json')), skipped,
  };
}

/**
 * Decides what CHECKPOINT is. A file ending in `.pkl` or a folder whose manifest names a GAN format is a GAN
 * checkpoint; a `radix train diffusion` OUT folder resolves to its newest intact checkpoint (`verify` reports why newer
 * ones were skipped); a step folder, a diffusers UNet2DModel folder (config.json) or DDPMPipeline folder
 * (model_index.json + unet/) are diffusion checkpoints. Anything else is refused, naming what was looked for.
 *
 * @example
 * const ref = detectCheckpointKind('runs/ihc', (dir) => verifyCheckpoint(dir));
 * if (ref.kind === 'diffusion') console.log(ref.unetDir);
 */
export function detectCheckpointKind(path: string, verify: (dir: string) => string | null): CheckpointRef {
  const abs = resolve(path);
  if (!existsSync(abs)) throw new Error(`radix sample: CHECKPOINT '${path}' does not exist`);
  if (!statSync(abs).isDirectory()) {
    if (abs.endsWith('.pkl')) return { kind: 'gan', path: abs };
    throw new Error(`radix sample: CHECKPOINT '${path}' is a file; expected a run folder of radix train, a checkpoint folder, a diffusers model/pipeline folder, or a GAN .pkl`);
  }
  const manifest = readJson(join(abs, 'manifest.json'));
  const format = typeof manifest?.format === 'string' ? manifest.format : '';
  if (/gan/i.test(format)) return { kind: 'gan', path: abs };
  if (format === 'radix-diffusion-checkpoint') {
    const problem = verify(abs);
    if (problem) throw new Error(`radix sample: checkpoint '${path}' is unusable: ${problem}`);
    return fromCheckpointDir(abs, 'checkpoint', []);
  }
  if (isDir(join(abs, 'checkpoints'))) {
    const steps = readdirSync(join(abs, 'checkpoints')).filter((n) => /^step-\d{8}$/.test(n)).sort().reverse();
    const skipped: string[] = [];
    for (const s of steps) {
      const dir = join(abs, 'checkpoints', s);
      const m = readJson(join(dir, 'manifest.json'));
      if (m && typeof m.format === 'string' && /gan/i.test(m.format)) return { kind: 'gan', path: dir };
      const problem = verify(dir);
      if (problem === null) return fromCheckpointDir(dir, 'run', skipped);
      skipped.push(`${dir}: ${problem}`);
    }
    throw new Error(`radix sample: '${path}' has no intact checkpoint${skipped.length ? ` (${skipped.join('; ')})` : ' (checkpoints/ is empty)'}`);
  }
  const config = readJson(join(abs, 'config.json'));
  if (config?._class_name === 'UNet2DModel') {
    const sched = readJson(join(dirname(abs), 'scheduler', 'scheduler_config.json')) ?? readJson(join(abs, 'scheduler_config.json'));
    return { kind: 'diffusion', source: 'diffusers-model', dir: abs, unetDir: abs, emaDir: null, schedulerConfig: sched, trainerState: null, skipped: [] };
  }
  const index = readJson(join(abs, 'model_index.json'));
  if (index && isDir(join(abs, 'unet'))) {
    if (manifest === null && !existsSync(join(abs, 'trainer_state.json'))) {
      return { kind: 'diffusion', source: 'diffusers-pipeline', dir: abs, unetDir: join(abs, 'unet'), emaDir: null, schedulerConfig: readJson(join(abs, 'scheduler', 'scheduler_config.json')), trainerState: null, skipped: [] };
    }
  }
  throw new Error(
    `radix sample: '${path}' (${basename(abs)}) is not a checkpoint: expected checkpoints/ (a radix train run), manifest.json (a radix ` +
      'checkpoint), config.json of a UNet2DModel, model_index.json with unet/ (a diffusers pipeline), or a GAN .pkl',
  );
}
