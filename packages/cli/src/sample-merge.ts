// `radix merge OUT` for a sharded `radix sample`: checks that the shards OUT/shards/i-of-n are complete, verified
// and of one job (settings, checkpoint, versions, backend), then places their images in OUT and writes the manifest
// the unsharded run would have written, so OUT holds byte-identical images.
import { copyFileSync, linkSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { collectShards, pickShardCount } from './augment-shard.js';
import { UsageError } from './kit/errors.js';
import { writeFileAtomic } from './kit/output.js';
import { acquireOutputLock } from './output-lock.js';
import { refuseForeignFolder } from './sample.js';
import {
  incompatibility, loadSampleManifest, readSampleShardRecord, planSampleBatches, verifySample, verifySampleShard, SAMPLE_MANIFEST,
  SAMPLE_MANIFEST_VERSION, SAMPLE_SHARD_RECORD, type SampleEntry, type SampleManifest, type SampleShardRecord,
} from './sample-manifest.js';
import { shardName } from './shard.js';

/** Summary of a sample merge. */
export interface MergeSampleResult {
  count: number;
  files: number;
  /** Images already in OUT with the right content, kept. */
  kept: number;
  classes: number;
  warnings: string[];
  manifest: string;
}

/**
 * Merges the shards of a sharded `radix sample` job in `out` (every one of the n shards complete and verified, one
 * job's settings and checkpoint, one radix version and backend unless `allowMixed`); images are hard-linked (else
 * copied) into OUT atomically and OUT/manifest.json lists them in the unsharded order. Refuses, listing them,
 * missing or mismatched shards and files in OUT that hold other content and are not OUT's own.
 *
 * @example
 * const r = await mergeSampleShards('samples'); // r.files === n × classes
 */
export async function mergeSampleShards(out: string, o: { count?: number; allowMixed?: boolean } = {}): Promise<MergeSampleResult> {
  const n = pickShardCount(out, o.count);
  const warnings: string[] = [];
  const { shards, problems } = collectShards<SampleShardRecord, SampleManifest>(out, n, SAMPLE_SHARD_RECORD, (dir, shard) => {
    const record = readSampleShardRecord(dir);
    if (record.shard.index !== shard.index || record.shard.count !== n) throw new Error(`its ${SAMPLE_SHARD_RECORD} is for shard ${record.shard.index}/${record.shard.count}`);
    const v = verifySampleShard(dir, record);
    const expected = planSampleBatches(record.settings, shard).flatMap((b) => b.files);
    if (JSON.stringify(expected) !== JSON.stringify(record.files)) v.problems.push(`${dir}: holds other images than shard ${shard.index}/${n} of its settings`);
    return { record, manifest: v.manifest, problems: v.problems };
  });
  const first = shards[0];
  if (first) {
    for (const s of shards.slice(1)) {
      const why = incompatibility(first.record.settings, first.record.checkpointDigest, s.record.settings, s.record.checkpointDigest);
      if (why) problems.push(`${shardName(s.shard)}: not the job of shard ${first.shard.index}: ${why}`);
      const a = first.record.run;
      const b = s.record.run;
      if (a.radix !== b.radix || a.model !== b.model || a.backend !== b.backend) {
        const msg = `${shardName(s.shard)}: radix ${b.radix}, ${b.model}, ${b.backend} vs radix ${a.radix}, ${a.model}, ${a.backend}`;
        if (o.allowMixed) warnings.push(`${msg} (merged because of --allow-mixed)`);
        else problems.push(`${msg} (pass --allow-mixed to merge images of different implementations)`);
      } else if (a.device !== b.device) {
        warnings.push(`${shardName(s.shard)} ran on '${b.device}', shard ${first.shard.index} on '${a.device}': the images are byte-identical to an unsharded run only on one device model`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`radix merge: cannot merge the ${n} sample shards of '${out}' (${shards.length} complete); nothing was written:\n  ${problems.slice(0, 30).join('\n  ')}${problems.length > 30 ? `\n  … and ${problems.length - 30} more` : ''}`);
  }
  const settings = first!.record.settings;
  // The job's own class folders (or image files) may already be there: an interrupted merge places images before it
  // writes the manifest. Each one is then kept only if it holds the shard's bytes (below).
  const tops = [...new Set(planSampleBatches(settings).flatMap((b) => b.files.map((f) => f.split('/')[0]!)))];
  refuseForeignFolder(out, out, ['shards', 'slurm', ...tops]);
  const lock = acquireOutputLock(out, 'radix merge');
  if (lock.tookOver) warnings.push(`${out}: ${lock.tookOver}`);
  try {
    const manifestPath = join(out, SAMPLE_MANIFEST);
    const old = loadSampleManifest(manifestPath);
    if (old) {
      const why = incompatibility(old.settings, old.checkpoint.digest, settings, first!.record.checkpointDigest);
      if (why) throw new UsageError(`radix merge: '${manifestPath}' cannot take these shards: ${why}; merge into a fresh folder`);
    }
    const owned = new Set((old?.files ?? []).map((e) => e.file));
    const merged: SampleManifest = {
      tool: 'radix sample', format: 'radix-sample', version: SAMPLE_MANIFEST_VERSION, settings, checkpoint: first!.manifest.checkpoint, shard: null, runs: [], files: [],
    };
    const place: { from: string; to: string; entry: SampleEntry }[] = [];
    const foreign: string[] = [];
    const entries = new Map<string, SampleEntry>();
    let kept = 0;
    for (const s of shards) {
      const offset = merged.runs.length;
      merged.runs.push(...s.manifest.runs);
      const byFile = new Map(s.manifest.files.map((e) => [e.file, e]));
      for (const f of s.record.files) {
        const e = byFile.get(f)!;
        const entry = { ...e, run: e.run + offset };
        entries.set(f, entry);
        const to = join(out, f);
        const state = verifySample(to, e);
        if (state === 'ok') kept++;
        else if (state !== 'missing' && !owned.has(f)) foreign.push(f);
        else place.push({ from: join(s.dir, f), to, entry });
      }
    }
    // The unsharded order: class by class, by index.
    for (const f of planSampleBatches(settings).flatMap((b) => b.files)) {
      const e = entries.get(f);
      if (!e) throw new Error(`radix merge: no shard of '${out}' holds ${f}; the shards do not cover the job`);
      merged.files.push(e);
    }
    if (foreign.length > 0) {
      throw new Error(`radix merge: ${foreign.length} file${foreign.length === 1 ? '' : 's'} in '${out}' hold other content and ${old ? 'its manifest does not list them' : 'the folder has no manifest'}: ${foreign.slice(0, 10).join(', ')}${foreign.length > 10 ? ', …' : ''}. Nothing was written; move them or merge into another folder`);
    }
    for (const p of place) {
      lock.check();
      mkdirSync(dirname(p.to), { recursive: true });
      const tmp = `${p.to}.merge-${process.pid}.tmp`;
      rmSync(tmp, { force: true });
      try {
        linkSync(p.from, tmp);
      } catch {
        copyFileSync(p.from, tmp);
      }
      renameSync(tmp, p.to);
      if (verifySample(p.to, p.entry) !== 'ok') throw new Error(`radix merge: '${p.to}' does not verify after placing it from '${p.from}'`);
    }
    lock.check();
    await writeFileAtomic(manifestPath, `${JSON.stringify(merged, null, 1)}\n`);
    return { count: shards.length, files: merged.files.length, kept, classes: settings.classes?.length ?? 0, warnings, manifest: manifestPath };
  } finally {
    lock.release();
  }
}
