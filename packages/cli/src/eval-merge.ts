// `radix merge DIR` for a sharded `radix eval`: checks that the partials DIR/shards/i-of-n form one complete job and
// combines them exactly — FID from merged float64 statistics, the other feature metrics from the concatenated
// features (the unsharded order), per-image scores concatenated — into the report the unsharded run would give.
import { mergeFeatureStats, type FeatureStats } from '@radix/metrics';
import { init } from '@radix/tensor-webgpu';
import { pickShardCount, shardsPresent } from './augment-shard.js';
import { checkJsonTarget, mean, resultToJson, EvalOutputError, type EvalResult, type MetricResult } from './eval.js';
import { readPartialHeader, readPartialNumbers, type EvalPartial, type PartialNumbers } from './eval-partial.js';
import { compareWithReference, readReference } from './eval-reference.js';
import { FEATURE_METRICS, featureMetrics, type FeatureMetricSettings, type FolderFeatures } from './feature-metrics.js';
import { folderWarnings, noteWarnings } from './images.js';
import { writeFileAtomic } from './kit/output.js';
import { shardDir, shardName } from './shard.js';

/** Options of {@link mergeEvalShards}. */
export interface MergeEvalOptions {
  /** The shard count when several are present. */
  count?: number;
  /** Merge partials of different versions or backends (default false: refused). */
  allowMixed?: boolean;
  /** Write the merged report here (never inside an input folder). */
  json?: string;
  /** Published numbers to compare with (as `radix eval --reference`). */
  reference?: string;
  /**
   * Backend of the merge's own computations (KID, precision/recall and density/coverage use float32 Gram matrices on
   * the device). Default: the shards' backend, so the numbers equal the unsharded run's on that backend.
   */
  backend?: 'auto' | 'webgpu' | 'cpu';
}

interface Loaded {
  header: EvalPartial;
  nums: PartialNumbers;
}

/** Checks the set and lists every problem; returns the partials in index order. */
function loadSet(dir: string, n: number, allowMixed: boolean, warnings: string[]): Loaded[] {
  const present = new Set(shardsPresent(dir).get(n) ?? []);
  const problems: string[] = [];
  const loaded: Loaded[] = [];
  for (let i = 0; i < n; i++) {
    const shard = { index: i, count: n };
    const d = shardDir(dir, shard);
    if (!present.has(i)) {
      problems.push(`${shardName(shard)}: missing (no folder ${d})`);
      continue;
    }
    try {
      const header = readPartialHeader(d, 'size');
      if (header.shard.index !== i || header.shard.count !== n) throw new Error(`its header says shard ${header.shard.index}/${header.shard.count}`);
      loaded.push({ header, nums: readPartialNumbers(d, header) });
    } catch (e) {
      problems.push(`${shardName(shard)}: ${(e as Error).message}`);
    }
  }
  const first = loaded[0]?.header;
  if (first) {
    const ref = `shard ${first.shard.index}`;
    for (const { header: h } of loaded.slice(1)) {
      const name = shardName(h.shard);
      if (JSON.stringify(h.request) !== JSON.stringify(first.request)) problems.push(`${name}: other options than ${ref} (${JSON.stringify(h.request)} vs ${JSON.stringify(first.request)})`);
      for (const set of ['real', 'fake'] as const) {
        if (h.inputs[set].digest !== first.inputs[set].digest) problems.push(`${name}: saw other ${set} images than ${ref} (${h.inputs[set].count} vs ${first.inputs[set].count} files, or other names or sizes)`);
      }
      const mixed: string[] = [];
      if (JSON.stringify(h.versions) !== JSON.stringify(first.versions)) mixed.push(`versions ${JSON.stringify(h.versions)} vs ${JSON.stringify(first.versions)}`);
      if (h.backend.name !== first.backend.name) mixed.push(`backend ${h.backend.name} vs ${first.backend.name}`);
      if (mixed.length > 0) {
        if (allowMixed) warnings.push(`${name}: ${mixed.join(', ')} (merged because of --allow-mixed)`);
        else problems.push(`${name}: ${mixed.join(', ')} (pass --allow-mixed to merge results of different implementations)`);
      }
      if (h.backend.device !== first.backend.device) warnings.push(`${name} ran on '${h.backend.device}', ${ref} on '${first.backend.device}'`);
    }
    // The shards' ranges must tile every index range.
    for (const key of ['pairs', 'real', 'fake'] as const) {
      if (!first.ranges[key]) continue;
      const total = key === 'pairs' ? first.inputs.pairs! : first.inputs[key].count;
      let at = 0;
      for (const { header: h } of loaded) {
        const r = h.ranges[key];
        if (!r || r[0] !== at) {
          problems.push(`${shardName(h.shard)}: its ${key} range ${r ? `[${r[0]}, ${r[1]})` : 'is absent'}, expected to start at ${at}`);
          break;
        }
        at = r[1];
      }
      if (loaded.length === n && at !== total) problems.push(`the ${key} ranges end at ${at} of ${total}`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`radix merge: cannot merge the ${n} eval shards of '${dir}' (${loaded.length} readable); nothing was written:\n  ${problems.slice(0, 30).join('\n  ')}${problems.length > 30 ? `\n  … and ${problems.length - 30} more` : ''}`);
  }
  return loaded;
}

function concat(parts: readonly (Float32Array | undefined)[]): Float32Array {
  const total = parts.reduce((a, p) => a + (p?.length ?? 0), 0);
  const out = new Float32Array(total);
  let at = 0;
  for (const p of parts) {
    if (!p) continue;
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function mergedFeatures(loaded: readonly Loaded[], set: 'real' | 'fake'): FolderFeatures {
  const first = loaded[0]!.header.features![set];
  let stats: FeatureStats | undefined;
  for (const l of loaded) {
    const s = l.nums.stats[set];
    if (s) stats = stats ? mergeFeatureStats(stats, s) : s;
  }
  const n = loaded.reduce((a, l) => a + l.header.features![set].n, 0);
  const raw = loaded.some((l) => l.header.features![set].raw);
  const f: FolderFeatures = { features: { data: raw ? concat(loaded.map((l) => l.nums.features[set])) : new Float32Array(0), n, d: first.d }, decoded: [], ...(stats ? { stats } : {}) };
  if (set === 'fake' && loaded.some((l) => l.header.features!.fake.logits)) f.logitsUnbiased = { data: concat(loaded.map((l) => l.nums.logits)), n, d: 1008 };
  return f;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/**
 * Merges the partials of a sharded `radix eval` in DIR into the report (and JSON) the unsharded run would give:
 * per-image scores and their means bit-identical, KID/IS/precision/recall/density/coverage and intervals computed by
 * @radix/metrics on the concatenated features (bit-identical), FID from the float64 statistics merged with Chan et
 * al.'s pairwise update (equal to the unsharded value to float64 rounding). Refuses, listing every problem, a set with
 * missing, unfinished or damaged partials, or partials of different options, inputs, versions or backends.
 *
 * @example
 * const result = await mergeEvalShards('job', { json: 'job/eval.json' });
 */
export async function mergeEvalShards(dir: string, o: MergeEvalOptions = {}): Promise<EvalResult> {
  const n = pickShardCount(dir, o.count);
  const warnings: string[] = [];
  const loaded = loadSet(dir, n, o.allowMixed ?? false, warnings);
  const h0 = loaded[0]!.header;
  const req = h0.request as { metrics: string[]; features: FeatureMetricSettings; real: string; fake: string };
  const jsonTarget = o.json !== undefined ? checkJsonTarget(o.json, [req.real, req.fake]) : undefined;
  const backend = await init({ backend: o.backend ?? (h0.backend.name as 'webgpu' | 'cpu') });
  if (backend.name !== h0.backend.name) warnings.push(`the shards ran on ${h0.backend.name} but the merge computes on ${backend.name} (--backend): KID, precision/recall and density/coverage use float32 Gram matrices and can differ from a ${h0.backend.name} run in the last digits`);
  const settings: Record<string, unknown> = { ...h0.settings, date: new Date().toISOString(), shards: n, mergeBackend: backend.name };
  const devices = [...new Set(loaded.map((l) => l.header.backend.device))];
  if (devices.length > 1) settings.device = devices.join(' | ');
  const result: EvalResult = {
    settings, counts: { real: h0.inputs.real.count, fake: h0.inputs.fake.count }, metrics: [], warnings: [],
    provenance: { n: { real: h0.inputs.real.count, fake: h0.inputs.fake.count }, resolution: { real: {}, fake: {} } },
  };
  if (h0.paired) {
    result.counts.pairs = h0.inputs.pairs!;
    result.names = loaded.flatMap((l) => l.header.paired!.names);
    const withRows = loaded.find((l) => l.header.paired!.names.length > 0) ?? loaded[0]!;
    for (const row of withRows.header.paired!.rows) {
      const values: number[] = [];
      for (const l of loaded) values.push(...(l.nums.paired.get(row.metric) ?? []));
      if (values.length === 0) continue;
      const r: MetricResult = { metric: row.metric, value: mean(values), perImage: values, settings: row.settings };
      result.metrics.push(r);
    }
    result.provenance.n.pairs = h0.inputs.pairs!;
  }
  const wantFeatures = req.metrics.filter((m) => (FEATURE_METRICS as readonly string[]).includes(m));
  if (wantFeatures.length > 0 && h0.features && h0.extractor) {
    const real = mergedFeatures(loaded, 'real');
    const fake = mergedFeatures(loaded, 'fake');
    const ext = h0.extractor;
    const { rows, warnings: w } = await featureMetrics(wantFeatures, real, fake, { ...req.features, extractor: ext });
    result.metrics.push(...rows);
    result.warnings.push(...w);
    result.provenance.featureExtractor = ext;
    result.provenance.resize = String(ext.description.resize ?? req.features.resize);
  }
  for (const set of ['real', 'fake'] as const) for (const l of loaded) addCounts(result.provenance.resolution[set], l.header.decoded[set].resolutions);
  if (o.reference !== undefined) {
    const ref = readReference(o.reference);
    result.reference = { ...(ref.source ? { source: ref.source } : {}), rows: compareWithReference(result.metrics, ref) };
  }
  for (const set of ['real', 'fake'] as const) {
    const input = h0.inputs[set];
    const notes: Record<string, number> = {};
    for (const l of loaded) addCounts(notes, l.header.decoded[set].notes);
    result.warnings.push(...folderWarnings({ dir: input.dir, names: [], ignored: input.ignored, unreadable: input.unreadable }, []), ...noteWarnings(input.dir, new Map(Object.entries(notes))));
  }
  result.warnings.unshift(...warnings);
  if (jsonTarget !== undefined) {
    result.jsonPath = jsonTarget;
    try {
      await writeFileAtomic(jsonTarget, resultToJson(result));
    } catch (e) {
      delete result.jsonPath;
      throw new EvalOutputError(`radix merge: the results were merged but the JSON could not be written: ${(e as Error).message}`, result);
    }
  }
  return result;
}
