// `radix augment --shard i/n` bookkeeping: the completion record a shard writes into its own area, the check that a
// shard is complete and verified (so reruns redo only missing shards), and the merge of OUT/shards/* into OUT.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, linkSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifest, MANIFEST_VERSION, verifyOutput, type AugmentManifest, type ManifestOutput, type ManifestRun } from './augment-manifest.js';
import { UsageError } from './kit/errors.js';
import { writeFileAtomic } from './kit/output.js';
import { acquireOutputLock, LOCK_FILE } from './output-lock.js';
import { shardDir, shardName, shardRange, type Shard } from './shard.js';

/** File name of a shard's completion record, in OUT/shards/i-of-n. */
export const AUGMENT_SHARD_RECORD = 'shard.json';

/** What an augment shard records when it has written and verified all its outputs. */
export interface AugmentShardRecord {
  tool: 'radix augment';
  format: 'radix-augment-shard';
  version: 1;
  shard: Shard;
  /** This shard's sources, in order. */
  sources: string[];
  /** Every source of the job: count, SHA-256 of the names, SHA-256 of names and sizes (see inputDigest). */
  inputs: { count: number; names: string; digest: string };
  settings: Record<string, unknown>;
  /** The run that finished the shard (versions, backend, device, host). */
  run: ManifestRun;
  finished: string;
}

const namesHash = (names: readonly string[]): string => createHash('sha256').update(names.join('\n')).digest('hex');

/**
 * Writes a finished shard's record (atomically, last, so it marks completion).
 *
 * @example
 * await writeAugmentShardRecord('out/shards/0-of-4', { shard, sources, all, allDigest, settings, run });
 */
export async function writeAugmentShardRecord(dir: string, r: { shard: Shard; sources: string[]; all: readonly string[]; allDigest: string; settings: Record<string, unknown>; run: ManifestRun }): Promise<void> {
  const record: AugmentShardRecord = {
    tool: 'radix augment', format: 'radix-augment-shard', version: 1, shard: r.shard, sources: r.sources,
    inputs: { count: r.all.length, names: namesHash(r.all), digest: r.allDigest }, settings: r.settings, run: r.run, finished: new Date().toISOString(),
  };
  await writeFileAtomic(join(dir, AUGMENT_SHARD_RECORD), `${JSON.stringify(record, null, 1)}\n`);
}

function readRecord(dir: string): AugmentShardRecord {
  const path = join(dir, AUGMENT_SHARD_RECORD);
  let r: Partial<AugmentShardRecord>;
  try {
    r = JSON.parse(readFileSync(path, 'utf8')) as Partial<AugmentShardRecord>;
  } catch (e) {
    throw new Error(`'${path}' cannot be read (${(e as Error).message})`);
  }
  if (r.format !== 'radix-augment-shard' || r.version !== 1 || !r.shard || !Array.isArray(r.sources) || !r.inputs || !r.settings || !r.run) {
    throw new Error(`'${path}' is not a radix augment shard record (version 1)`);
  }
  return r as AugmentShardRecord;
}

/** Every output of a shard listed in its manifest and verified (size and SHA-256); problems as sentences. */
function verifyShard(dir: string, record: AugmentShardRecord): { manifest: AugmentManifest; problems: string[] } {
  const manifest = loadManifest(join(dir, 'manifest.json'));
  if (!manifest) return { manifest: null as unknown as AugmentManifest, problems: [`${dir}: manifest.json is missing`] };
  const problems: string[] = [];
  if (JSON.stringify(manifest.settings) !== JSON.stringify(record.settings)) problems.push(`${dir}: manifest settings differ from shard.json`);
  const variants = record.settings.variants as number;
  for (const s of record.sources) {
    const entries = manifest.sources[s];
    if (!entries || entries.length !== variants) {
      problems.push(`${dir}: source '${s}' has ${entries?.length ?? 0} of ${variants} outputs`);
      continue;
    }
    for (const e of entries) {
      const v = verifyOutput(join(dir, e.file), e);
      if (v !== 'ok') problems.push(`${dir}: ${e.file} is ${v === 'missing' ? 'missing' : 'truncated, modified or unfinished'}`);
    }
  }
  return { manifest, problems };
}

/**
 * Whether shard `shard` of an augment job into `out` is complete for these settings and sources: its record exists,
 * matches, and every output verifies. Returns null when complete, else the reason (for `radix slurm`'s listing).
 *
 * @example
 * augmentShardStatus('aug', { index: 1, count: 4 }, settings, listing.names, digest); // null or 'no shard.json'
 */
export function augmentShardStatus(out: string, shard: Shard, settings: Record<string, unknown>, all: readonly string[], allDigest: string): string | null {
  const dir = shardDir(out, shard);
  if (!existsSync(join(dir, AUGMENT_SHARD_RECORD))) return 'not finished (no shard.json)';
  try {
    const r = readRecord(dir);
    if (JSON.stringify(r.settings) !== JSON.stringify(settings)) return 'written with other settings';
    if (r.inputs.digest !== allDigest) return 'written for other input files';
    const [a, b] = shardRange(all.length, shard);
    if (JSON.stringify(r.sources) !== JSON.stringify(all.slice(a, b))) return 'written for other sources';
    const { problems } = verifyShard(dir, r);
    return problems.length === 0 ? null : problems[0]!;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Options of {@link mergeAugmentShards}. */
export interface MergeAugmentOptions {
  /** Shard count to merge when OUT/shards holds shards of several counts. */
  count?: number;
  /** Accept shards written by different radix/augment versions or backends (default false). */
  allowMixed?: boolean;
}

/** Summary of an augment merge. */
export interface MergeAugmentResult {
  count: number;
  sources: number;
  files: number;
  /** Files already in OUT with the right content, kept. */
  kept: number;
  warnings: string[];
  manifest: string;
}

/**
 * Shard counts found under `out/shards` (folders named i-of-n), and the indices present for each.
 *
 * @example
 * shardsPresent('aug'); // Map { 4 => [0, 1, 3] }
 */
export function shardsPresent(out: string): Map<number, number[]> {
  const found = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync(join(out, 'shards'));
  } catch {
    return found;
  }
  for (const e of entries) {
    const m = /^(\d+)-of-(\d+)$/.exec(e);
    if (!m) continue;
    const [i, n] = [Number(m[1]), Number(m[2])];
    if (i >= n) continue;
    if (!found.has(n)) found.set(n, []);
    found.get(n)!.push(i);
  }
  for (const v of found.values()) v.sort((a, b) => a - b);
  return found;
}

/**
 * Picks the shard count of a job folder: `count` when given, else the only count present; throws naming what is there.
 *
 * @example
 * pickShardCount('aug'); // 4
 */
export function pickShardCount(out: string, count?: number): number {
  const present = shardsPresent(out);
  if (count !== undefined) return count;
  if (present.size === 0) throw new UsageError(`radix merge: '${join(out, 'shards')}' holds no shard folders (i-of-n); run the command with --shard i/n first`);
  if (present.size > 1) throw new UsageError(`radix merge: '${join(out, 'shards')}' holds shards of several counts (${[...present.keys()].join(', ')}); pass --shards N to pick one`);
  return [...present.keys()][0]!;
}

/** One shard that {@link collectShards} found complete and verified. */
export interface CollectedShard<R, M> {
  shard: Shard;
  dir: string;
  record: R;
  manifest: M;
}

/**
 * Walks shards 0 … n−1 of `out` for a merge: a shard folder that is missing or lacks its completion record
 * (`recordName`) is a problem; otherwise `load` reads and verifies it (throwing, or returning problems, of which the
 * first five are kept, each prefixed with the shard's name).
 *
 * @example
 * const { shards, problems } = collectShards('aug', 4, 'shard.json', (dir) => ({ record: read(dir), ...verify(dir) }));
 */
export function collectShards<R, M>(
  out: string,
  n: number,
  recordName: string,
  load: (dir: string, shard: Shard) => { record: R; manifest: M | null | undefined; problems: string[] },
): { shards: CollectedShard<R, M>[]; problems: string[] } {
  const present = new Set(shardsPresent(out).get(n) ?? []);
  const problems: string[] = [];
  const shards: CollectedShard<R, M>[] = [];
  for (let i = 0; i < n; i++) {
    const shard = { index: i, count: n };
    const dir = shardDir(out, shard);
    if (!present.has(i)) {
      problems.push(`${shardName(shard)}: missing (no folder ${dir})`);
      continue;
    }
    if (!existsSync(join(dir, recordName))) {
      problems.push(`${shardName(shard)}: not finished (no ${recordName})`);
      continue;
    }
    try {
      const v = load(dir, shard);
      if (v.problems.length > 0) problems.push(...v.problems.slice(0, 5).map((p) => `${shardName(shard)}: ${p}`));
      else shards.push({ shard, dir, record: v.record, manifest: v.manifest! });
    } catch (e) {
      problems.push(`${shardName(shard)}: ${(e as Error).message}`);
    }
  }
  return { shards, problems };
}

/**
 * Merges the shards OUT/shards/i-of-n (i = 0 … n−1) of a sharded `radix augment` into OUT: checks that every shard is
 * present, finished, verified and of one job (settings, inputs, versions, backend), then places each output in OUT
 * (a hard link, else a copy; atomically) and writes OUT/manifest.json listing every source in order, exactly as the
 * unsharded run would (the runs are the shards' runs). Refuses, listing them, missing or mismatched shards; never
 * overwrites a file of OUT the existing manifest does not own unless it already holds the same bytes.
 *
 * @example
 * const r = await mergeAugmentShards('aug'); // r.files === sources × variants
 */
export async function mergeAugmentShards(out: string, o: MergeAugmentOptions = {}): Promise<MergeAugmentResult> {
  const n = pickShardCount(out, o.count);
  const warnings: string[] = [];
  const { shards, problems } = collectShards<AugmentShardRecord, AugmentManifest>(out, n, AUGMENT_SHARD_RECORD, (dir) => {
    const record = readRecord(dir);
    return { record, ...verifyShard(dir, record) };
  });
  const first = shards[0]?.record;
  if (first) {
    for (const s of shards.slice(1)) {
      const r = s.record;
      if (JSON.stringify(r.settings) !== JSON.stringify(first.settings)) problems.push(`${shardName(s.shard)}: other settings than shard ${shards[0]!.shard.index} (${JSON.stringify(r.settings)} vs ${JSON.stringify(first.settings)})`);
      if (r.inputs.digest !== first.inputs.digest) problems.push(`${shardName(s.shard)}: saw other input files than shard ${shards[0]!.shard.index} (names or sizes differ)`);
      const mixed = r.run.radix !== first.run.radix || r.run.augment !== first.run.augment || r.run.backend !== first.run.backend;
      if (mixed) {
        const msg = `${shardName(s.shard)}: radix ${r.run.radix}, augment ${r.run.augment}, ${r.run.backend} vs radix ${first.run.radix}, augment ${first.run.augment}, ${first.run.backend}`;
        if (o.allowMixed) warnings.push(`${msg} (merged because of --allow-mixed)`);
        else problems.push(`${msg} (pass --allow-mixed to merge outputs of different implementations)`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`radix merge: cannot merge the ${n} shards of '${out}' (${shards.length} complete); nothing was written:\n  ${problems.slice(0, 30).join('\n  ')}${problems.length > 30 ? `\n  … and ${problems.length - 30} more` : ''}`);
  }
  const all = shards.flatMap((s) => s.record.sources);
  if (all.length !== first!.inputs.count || namesHash(all) !== first!.inputs.names) {
    throw new Error(`radix merge: the shards of '${out}' cover ${all.length} sources but the job had ${first!.inputs.count} (or other names); the shards do not belong to one job`);
  }
  return assemble(out, shards, first!.settings, warnings);
}

async function assemble(out: string, shards: { dir: string; manifest: AugmentManifest; record: AugmentShardRecord }[], settings: Record<string, unknown>, warnings: string[]): Promise<MergeAugmentResult> {
  const lock = acquireOutputLock(out);
  if (lock.tookOver) warnings.push(`${out}: ${lock.tookOver}`);
  try {
    const manifestPath = join(out, 'manifest.json');
    const old = loadManifest(manifestPath);
    if (old && JSON.stringify(old.settings) !== JSON.stringify(settings)) throw new UsageError(`radix merge: '${manifestPath}' was written with other settings (${JSON.stringify(old.settings)}); merge into a fresh folder`);
    const owned = new Set<string>([LOCK_FILE, 'manifest.json']);
    for (const list of Object.values(old?.sources ?? {})) for (const e of list) owned.add(e.file);
    const merged: AugmentManifest = { tool: 'radix augment', version: MANIFEST_VERSION, settings, runs: [], sources: {} };
    const foreign: string[] = [];
    const place: { from: string; to: string; entry: ManifestOutput }[] = [];
    let kept = 0;
    for (const s of shards) {
      const offset = merged.runs.length;
      merged.runs.push(...s.manifest.runs);
      for (const source of s.record.sources) {
        merged.sources[source] = s.manifest.sources[source]!.map((e) => ({ ...e, run: e.run + offset }));
        for (const e of s.manifest.sources[source]!) {
          const to = join(out, e.file);
          const state = verifyOutput(to, e);
          if (state === 'ok') kept++;
          else if (state !== 'missing' && !owned.has(e.file)) foreign.push(e.file);
          else place.push({ from: join(s.dir, e.file), to, entry: e });
        }
      }
    }
    if (foreign.length > 0) {
      throw new Error(`radix merge: ${foreign.length} file${foreign.length === 1 ? '' : 's'} in '${out}' hold other content and ${old ? 'its manifest does not list them' : 'the folder has no manifest'}: ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? ', …' : ''}. Nothing was written; move them or merge into another folder`);
    }
    for (const p of place) {
      lock.check();
      const tmp = `${p.to}.merge-${process.pid}.tmp`;
      rmSync(tmp, { force: true });
      try {
        linkSync(p.from, tmp);
      } catch {
        copyFileSync(p.from, tmp);
      }
      renameSync(tmp, p.to);
      if (verifyOutput(p.to, p.entry) !== 'ok') throw new Error(`radix merge: '${p.to}' does not verify after placing it from '${p.from}'`);
    }
    lock.check();
    await writeFileAtomic(manifestPath, `${JSON.stringify(merged, null, 1)}\n`);
    return { count: shards.length, sources: Object.keys(merged.sources).length, files: place.length + kept, kept, warnings, manifest: manifestPath };
  } finally {
    lock.release();
  }
}
