// What `radix sample CHECKPOINT` was given: a diffusion run folder, one of its checkpoints, a diffusers model or pipeline
// folder, or a GAN checkpoint — decided from the files present, so `radix sample` can hand it to the right sampler.
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
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

/** A GAN checkpoint: a `radix train gan` checkpoint file (safetensors) or a stylegan2-ada-pytorch network pickle. */
export interface GanCheckpointRef {
  kind: 'gan';
  /** The checkpoint file. */
  path: string;
  /** 'radix': checkpoint.safetensors of radix train gan; 'pkl': a stylegan2-ada-pytorch `network-snapshot-*.pkl`. */
  format: 'radix' | 'pkl';
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

/** The `radix train gan` checkpoint file's name in its run folder. */
const GAN_CHECKPOINT_FILE = 'checkpoint.safetensors';

/**
 * The JSON header of a safetensors file (8-byte little-endian length, then JSON), read without the tensors; throws
 * naming the file when it is not one.
 */
function safetensorsHeader(path: string): Record<string, unknown> {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(8);
    if (size < 8 || readSync(fd, head, 0, 8, 0) !== 8) throw new Error(`it has ${size} bytes, fewer than a safetensors header`);
    const n = Number(head.readBigUInt64LE(0));
    if (!Number.isSafeInteger(n) || n < 2 || 8 + n > size) throw new Error(`its header claims ${n} bytes but the file has ${size} (truncated or not safetensors)`);
    const json = Buffer.alloc(n);
    readSync(fd, json, 0, n, 8);
    const v = JSON.parse(json.toString('utf8')) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('its header is not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new Error(`radix sample: '${path}' is not a readable safetensors file: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function ganFromSafetensors(path: string): GanCheckpointRef {
  const meta = safetensorsHeader(path).__metadata__ as Record<string, unknown> | undefined;
  if (meta && typeof meta['radix.gan'] === 'string') return { kind: 'gan', path, format: 'radix' };
  throw new Error(
    `radix sample: '${path}' is a safetensors file but not a radix train gan checkpoint (no 'radix.gan' metadata); for a diffusers ` +
      'UNet pass its model folder (config.json + diffusion_pytorch_model.safetensors), for a radix diffusion run its run or step folder',
  );
}

function fromCheckpointDir(dir: string, source: 'run' | 'checkpoint', skipped: string[]): DiffusionCheckpointRef {
  const ema = isDir(join(dir, 'ema')) ? join(dir, 'ema') : null;
  return {
    kind: 'diffusion', source, dir, unetDir: ema ?? join(dir, 'unet'), emaDir: ema,
    schedulerConfig: readJson(join(dir, 'scheduler', 'scheduler_config.json')), trainerState: readJson(join(dir, 'trainer_state.json')), skipped,
  };
}

/**
 * Decides what CHECKPOINT is. A `radix train gan` run folder (checkpoint.safetensors), its checkpoint file (a
 * safetensors file with `radix.gan` metadata; only the header is read) or a stylegan2-ada `.pkl` is a GAN
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
    if (abs.endsWith('.pkl')) return { kind: 'gan', path: abs, format: 'pkl' };
    if (abs.endsWith('.safetensors')) return ganFromSafetensors(abs);
    throw new Error(`radix sample: CHECKPOINT '${path}' is a file; expected a run folder of radix train, a checkpoint folder, a diffusers model/pipeline folder, a radix GAN checkpoint (.safetensors) or a stylegan2-ada .pkl`);
  }
  const manifest = readJson(join(abs, 'manifest.json'));
  const format = typeof manifest?.format === 'string' ? manifest.format : '';
  if (existsSync(join(abs, GAN_CHECKPOINT_FILE)) && !isDir(join(abs, 'checkpoints'))) return ganFromSafetensors(join(abs, GAN_CHECKPOINT_FILE));
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
      const problem = verify(dir);
      if (problem === null) return fromCheckpointDir(dir, 'run', skipped);
      skipped.push(`${dir}: ${problem}`);
    }
    throw new Error(`radix sample: '${path}' has no intact checkpoint${skipped.length ? ` (${skipped.join('; ')})` : ' (checkpoints/ is empty)'}`);
  }
  if (existsSync(join(abs, 'trainer_state.json'))) {
    // A step folder whose manifest is missing or not a checkpoint manifest: an unfinished or damaged write.
    throw new Error(`radix sample: checkpoint '${path}' is unusable: ${verify(abs) ?? 'manifest.json does not describe a radix diffusion checkpoint'}`);
  }
  const config = readJson(join(abs, 'config.json'));
  if (config?._class_name === 'UNet2DModel') {
    const sched = readJson(join(dirname(abs), 'scheduler', 'scheduler_config.json')) ?? readJson(join(abs, 'scheduler_config.json'));
    return { kind: 'diffusion', source: 'diffusers-model', dir: abs, unetDir: abs, emaDir: null, schedulerConfig: sched, trainerState: null, skipped: [] };
  }
  const index = readJson(join(abs, 'model_index.json'));
  if (index && isDir(join(abs, 'unet'))) {
    return { kind: 'diffusion', source: 'diffusers-pipeline', dir: abs, unetDir: join(abs, 'unet'), emaDir: null, schedulerConfig: readJson(join(abs, 'scheduler', 'scheduler_config.json')), trainerState: null, skipped: [] };
  }
  throw new Error(
    `radix sample: '${path}' (${basename(abs)}) is not a checkpoint: expected checkpoints/ (a radix train diffusion run), manifest.json (one ` +
      `of its step folders), ${GAN_CHECKPOINT_FILE} (a radix train gan run), config.json of a UNet2DModel, model_index.json with unet/ ` +
      '(a diffusers pipeline), or a GAN .safetensors / stylegan2-ada .pkl file',
  );
}
