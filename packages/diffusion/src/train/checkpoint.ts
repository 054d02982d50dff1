// Training checkpoints of a diffusion model: one folder per step (the UNet and its EMA as diffusers model folders, the
// optimizer's tensors, the noise scheduler's config, the trainer state), built under a temporary name and renamed into
// place, with a manifest of sizes and SHA-256 sums written last so a truncated or corrupt checkpoint is recognised.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { type Backend, type Tensor, atomicWriteFile, loadSafetensors, saveSafetensors } from '@radix/tensor-webgpu';

/** The checkpoint format written by {@link writeCheckpoint}. */
export const CHECKPOINT_FORMAT = 'radix-diffusion-checkpoint';
/** Its version. */
export const CHECKPOINT_VERSION = 1;
/** Name of the manifest file, written last. */
export const MANIFEST_NAME = 'manifest.json';

/** A checkpoint folder found on disk. */
export interface CheckpointEntry {
  step: number;
  dir: string;
}

/** The manifest of a checkpoint: format, step, and each file's size and SHA-256. */
export interface CheckpointManifest {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/** What goes into a checkpoint folder: JSON documents and safetensors files, each under a relative path. */
export interface CheckpointContents {
  json: Record<string, unknown>;
  tensors: Record<string, Record<string, Tensor>>;
  /** Extra writers for folders with their own layout (e.g. a diffusers model folder), called with the folder path. */
  folders?: Record<string, (dir: string) => Promise<void>>;
}

/**
 * The folder name of a step's checkpoint (`step-00000100`).
 *
 * @example
 * checkpointName(100); // 'step-00000100'
 */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/**
 * Checkpoint folders under `root`, newest first (temporary folders of interrupted writes are ignored).
 *
 * @example
 * const [latest] = listCheckpoints('out/checkpoints');
 */
export function listCheckpoints(root: string): CheckpointEntry[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .map((name) => /^step-(\d{8})$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: join(root, m[0]) }))
    .sort((a, b) => b.step - a.step);
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p, base));
    else out.push(relative(base, p));
  }
  return out.sort();
}

/**
 * Writes a checkpoint folder `root/step-XXXXXXXX` atomically: everything goes into a temporary sibling folder, the
 * manifest (sizes, SHA-256) is written last, then the folder is renamed into place (an older folder of the same step
 * is replaced only after the new one is complete).
 *
 * @example
 * await writeCheckpoint('out/checkpoints', 100, { json: { 'trainer_state.json': state }, tensors: { 'optimizer.safetensors': opt } });
 */
export async function writeCheckpoint(root: string, step: number, contents: CheckpointContents): Promise<string> {
  mkdirSync(root, { recursive: true });
  const final = join(root, checkpointName(step));
  const tmp = join(root, `.${checkpointName(step)}.partial-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    for (const [name, writer] of Object.entries(contents.folders ?? {})) await writer(join(tmp, name));
    for (const [name, tensors] of Object.entries(contents.tensors)) await saveSafetensors(join(tmp, name), tensors);
    for (const [name, value] of Object.entries(contents.json)) {
      mkdirSync(dirname(join(tmp, name)), { recursive: true });
      await atomicWriteFile(join(tmp, name), [new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`)]);
    }
    const files: CheckpointManifest['files'] = {};
    for (const rel of walk(tmp)) files[rel] = { bytes: statSync(join(tmp, rel)).size, sha256: sha256(join(tmp, rel)) };
    const manifest: CheckpointManifest = { format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, step, files };
    writeFileSync(join(tmp, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    if (existsSync(final)) {
      const old = `${tmp}.replaced`;
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(tmp, final);
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return final;
}

/**
 * Checks a checkpoint folder against its manifest; returns null when it is complete and intact, else the reason.
 *
 * @example
 * const problem = verifyCheckpoint('out/checkpoints/step-00000100'); // null or 'unet/…: 120 bytes, the manifest says 4096'
 */
export function verifyCheckpoint(dir: string): string | null {
  const mpath = join(dir, MANIFEST_NAME);
  if (!existsSync(mpath)) return `${MANIFEST_NAME} is missing (the write did not finish)`;
  let m: CheckpointManifest;
  try {
    m = JSON.parse(readFileSync(mpath, 'utf8')) as CheckpointManifest;
  } catch (e) {
    return `${MANIFEST_NAME} is not valid JSON (${(e as Error).message})`;
  }
  if (m.format !== CHECKPOINT_FORMAT) return `${MANIFEST_NAME} is not a ${CHECKPOINT_FORMAT} manifest`;
  if (m.version !== CHECKPOINT_VERSION) return `format version ${m.version} is not supported (this build reads ${CHECKPOINT_VERSION})`;
  for (const [rel, info] of Object.entries(m.files ?? {})) {
    const p = join(dir, rel);
    if (!existsSync(p)) return `${rel} is missing`;
    const size = statSync(p).size;
    if (size !== info.bytes) return `${rel} has ${size} bytes, the manifest says ${info.bytes} (truncated?)`;
    if (sha256(p) !== info.sha256) return `${rel} does not match its SHA-256 in the manifest (corrupt)`;
  }
  return null;
}

/** Result of {@link findLatestCheckpoint}. */
export interface LatestCheckpoint {
  /** The newest intact checkpoint, or null. */
  entry: CheckpointEntry | null;
  /** Newer checkpoints that were skipped, with the reason. */
  skipped: { entry: CheckpointEntry; reason: string }[];
}

/**
 * The newest intact checkpoint under `root`, skipping (and reporting) corrupt or truncated ones.
 *
 * @example
 * const { entry, skipped } = findLatestCheckpoint('out/checkpoints');
 * for (const s of skipped) console.warn(`${s.entry.dir}: ${s.reason}; falling back`);
 */
export function findLatestCheckpoint(root: string): LatestCheckpoint {
  const skipped: LatestCheckpoint['skipped'] = [];
  for (const entry of listCheckpoints(root)) {
    const reason = verifyCheckpoint(entry.dir);
    if (reason === null) return { entry, skipped };
    skipped.push({ entry, reason });
  }
  return { entry: null, skipped };
}

/**
 * Reads a JSON document of a checkpoint.
 *
 * @example
 * const state = readCheckpointJson<TrainerState>(dir, 'trainer_state.json');
 */
export function readCheckpointJson<T>(dir: string, name: string): T {
  return JSON.parse(readFileSync(join(dir, name), 'utf8')) as T;
}

/**
 * Reads a safetensors file of a checkpoint onto a backend.
 *
 * @example
 * const opt = await readCheckpointTensors(dir, 'optimizer.safetensors', backend);
 */
export async function readCheckpointTensors(dir: string, name: string, backend: Backend): Promise<Record<string, Tensor>> {
  return loadSafetensors(join(dir, name), { backend });
}

/**
 * Deletes all but the newest `keep` checkpoints (never the one at `protectStep`).
 *
 * @example
 * pruneCheckpoints('out/checkpoints', 3);
 */
export function pruneCheckpoints(root: string, keep: number, protectStep?: number): void {
  const all = listCheckpoints(root);
  for (const e of all.slice(keep)) if (e.step !== protectStep) rmSync(e.dir, { recursive: true, force: true });
}
