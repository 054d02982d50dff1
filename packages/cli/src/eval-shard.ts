// `radix eval --shard i/n --out DIR`: one shard computes per-image scores and features of its block of images (whole
// batches, so its batches are the unsharded run's batches) and writes a partial into DIR/shards/i-of-n only.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { featureStats, type FeatureStats } from '@radix/metrics';
import { init } from '@radix/tensor-webgpu';
import { normalise, pairedScores, PAIRED_METRICS, refuseInsideInputs, reportSettings, type EvalOptions } from './eval.js';
import { loadEvalNetworks } from './eval-networks.js';
import { pairedMetricSettings } from './eval-paired.js';
import { readPartialHeader, writePartial, type DecodedSummary, type EvalPartial, type PartialFeatureSet, type PartialInput } from './eval-partial.js';
import { resolutions } from './eval-report.js';
import { FEATURE_METRICS, folderExtract, folderFeatures, type FolderFeatures } from './feature-metrics.js';
import { listImageFolder, type DecodedImage, type ImageFolderListing } from './images.js';
import { UsageError } from './kit/errors.js';
import { radixVersions } from './package-versions.js';
import { matchPairs } from './pairs.js';
import { createProgress, silentProgress } from './progress.js';
import { inputDigest, shardDir, shardRange, type Shard } from './shard.js';

/** The packages whose versions decide an evaluation's numbers. */
export const EVAL_PACKAGES = ['@radix/metrics', '@radix/tensor-webgpu'] as const;

/** What {@link runEvalShard} did. */
export interface EvalShardResult {
  dir: string;
  /** The partial was already complete and verified for these options and inputs, so nothing was computed. */
  skipped: boolean;
  partial: EvalPartial;
}

/** Whether the features themselves must travel to the merge (not only their float64 statistics). */
export function needsRawFeatures(metrics: readonly string[], o: ReturnType<typeof normalise>): boolean {
  return metrics.some((m) => m === 'kid' || m === 'pr' || m === 'dc') || (metrics.includes('fid') && (o.features.ci !== undefined || o.features.fidInf === true));
}

function refuseUnsharded(options: EvalOptions): void {
  if (options.json !== undefined) throw new UsageError('radix eval --shard: --json is written by `radix merge DIR` (a shard writes its partial into --out DIR)');
  if (options.memorisation !== undefined) throw new UsageError('radix eval --shard: --memorisation compares every generated image with every training image and is not sharded; run it unsharded');
  if (options.reference !== undefined) throw new UsageError('radix eval --shard: give --reference to `radix merge DIR` instead');
}

function describeInput(listing: ImageFolderListing): PartialInput {
  return { dir: listing.dir, count: listing.names.length, digest: inputDigest(listing.dir, listing.names), ignored: listing.ignored, unreadable: listing.unreadable.map((u) => ({ name: u.name, reason: u.reason })) };
}

/** Every option of an evaluation that decides its numbers, after defaults (what two shards of one job share). */
export function evalRequest(options: EvalOptions): Record<string, unknown> {
  const o = normalise(options);
  const path = (p: string | undefined): string | null => (p === undefined ? null : resolve(p));
  return {
    real: o.real, fake: o.fake, paired: o.paired, metrics: o.metrics, ssimMode: o.ssimMode, dataRange: o.dataRange, sizePolicy: o.sizePolicy,
    batchSize: o.batchSize, strict: o.strict, maxPixels: o.maxPixels ?? null, features: o.features, featuresName: o.featuresName,
    phvThresholds: o.phvThresholds, lpipsNet: o.lpipsNet, backend: o.backend,
    weights: {
      inception: options.inceptionNet ? 'injected network' : path(options.inceptionWeights), feature: path(options.featureWeights),
      lpipsBackbone: path(options.lpipsBackbone), lpipsLinear: path(options.lpipsLinear), phv: path(options.phvWeights),
    },
  };
}

/**
 * Whether shard `shard` of an evaluation into `out` is finished for exactly these options, inputs and versions, with
 * its data verified (SHA-256). Returns null when it is, else why not.
 *
 * @example
 * evalShardStatus({ real: 'r', fake: 'f', metrics: ['fid'] }, { index: 0, count: 4 }, 'job'); // null or a reason
 */
export function evalShardStatus(options: EvalOptions, shard: Shard, out: string): string | null {
  const o = normalise(options);
  let h: EvalPartial;
  try {
    h = readPartialHeader(shardDir(resolve(out), shard), 'full');
  } catch (e) {
    return (e as Error).message;
  }
  if (JSON.stringify(h.request) !== JSON.stringify(evalRequest(options))) return 'written with other options';
  const real = listImageFolder(o.real, { strict: o.strict });
  const fake = listImageFolder(o.fake, { strict: o.strict });
  if (h.inputs.real.digest !== inputDigest(real.dir, real.names) || h.inputs.fake.digest !== inputDigest(fake.dir, fake.names)) return 'written for other input files';
  if (JSON.stringify(h.versions) !== JSON.stringify(radixVersions(EVAL_PACKAGES))) return `written by other versions (${JSON.stringify(h.versions)})`;
  return null;
}

function summarise(decoded: readonly DecodedImage[]): DecodedSummary {
  const notes: Record<string, number> = {};
  for (const d of decoded) for (const n of d.notes) notes[n] = (notes[n] ?? 0) + 1;
  return { resolutions: resolutions(decoded), notes };
}

/**
 * Runs shard `shard` of an evaluation: paired scores of its block of matched pairs and features of its block of real
 * and fake images (blocks of whole batches), written with float64 statistics (and the features or logits where a
 * metric needs them) to `out/shards/i-of-n/partial.{safetensors,json}`. A shard already complete and verified for the
 * same options, inputs and versions is skipped. `radix merge out` computes the metrics.
 *
 * @example
 * await runEvalShard({ real: 'r', fake: 'f', metrics: ['fid', 'kid'] }, { index: 0, count: 4 }, 'job');
 */
export async function runEvalShard(options: EvalOptions, shard: Shard, out: string): Promise<EvalShardResult> {
  refuseUnsharded(options);
  const o = normalise(options);
  const outDir = resolve(out);
  refuseInsideInputs(outDir, [o.real, o.fake], '--out');
  const dir = shardDir(outDir, shard);
  if (evalShardStatus(options, shard, outDir) === null) return { dir, skipped: true, partial: readPartialHeader(dir, 'size') };
  const realList = listImageFolder(o.real, { strict: o.strict });
  const fakeList = listImageFolder(o.fake, { strict: o.strict });
  const backend = await init({ backend: o.backend });
  const wantFeatures = o.metrics.filter((m) => (FEATURE_METRICS as readonly string[]).includes(m));
  const paired = o.metrics.filter((m) => (PAIRED_METRICS as readonly string[]).includes(m));
  const owned: { dispose(): void }[] = [];
  try {
    const nets = await loadEvalNetworks(o, options, wantFeatures.length > 0, owned);
    const mk = (label: string, n: number) => (options.progress ? createProgress(label, n, options.progress) : silentProgress);
    const settings = reportSettings(o, options, backend, nets, wantFeatures);
    delete settings.date;
    const header: Omit<EvalPartial, 'data' | 'finished'> = {
      tool: 'radix eval', format: 'radix-eval-partial', version: 1, shard, request: evalRequest(options),
      inputs: { real: describeInput(realList), fake: describeInput(fakeList) }, versions: radixVersions(EVAL_PACKAGES),
      backend: { name: backend.name, device: backend.info.description }, settings, ranges: {},
      decoded: { real: { resolutions: {}, notes: {} }, fake: { resolutions: {}, notes: {} } },
    };
    const nums = { paired: new Map<string, Float64Array>(), stats: {} as { real?: FeatureStats; fake?: FeatureStats }, features: {} as { real?: Float32Array; fake?: Float32Array }, logits: undefined as Float32Array | undefined };
    const decodedNotes: { real: DecodedImage[]; fake: DecodedImage[] } = { real: [], fake: [] };
    if (paired.length > 0) {
      const names = matchPairs(realList.names, fakeList.names);
      const [a, b] = shardRange(names.length, shard, o.batchSize);
      header.inputs.pairs = names.length;
      header.ranges.pairs = [a, b];
      const scores = await pairedScores(paired, names.slice(a, b), o, nets, mk(`pairs ${shard.index}/${shard.count}`, b - a));
      decodedNotes.real.push(...scores.decoded.real);
      decodedNotes.fake.push(...scores.decoded.fake);
      header.paired = { rows: [...scores.perImage.keys()].map((m) => ({ metric: m, settings: pairedMetricSettings(m, o) })), names: names.slice(a, b) };
      for (const [m, v] of scores.perImage) nums.paired.set(m, Float64Array.from(v));
    }
    if (wantFeatures.length > 0 && nets.extractor) {
      const raw = needsRawFeatures(wantFeatures, o);
      const read = { maxPixels: o.maxPixels };
      const sets: Partial<Record<'real' | 'fake', PartialFeatureSet>> = {};
      for (const [set, listing] of [['real', realList], ['fake', fakeList]] as const) {
        const [a, b] = shardRange(listing.names.length, shard, o.batchSize);
        header.ranges[set] = [a, b];
        const part: ImageFolderListing = { ...listing, names: listing.names.slice(a, b) };
        let f: FolderFeatures = { features: { data: new Float32Array(0), n: 0, d: nets.extractor.dim }, decoded: [] };
        if (b > a) {
          const progress = mk(`features ${set} ${shard.index}/${shard.count}`, b - a);
          f = nets.net ? await folderFeatures(nets.net, part, o.features, progress, read) : await folderExtract(nets.extractor, part, o.batchSize, progress, read);
          nums.stats[set] = await featureStats(f.features);
          if (raw) nums.features[set] = f.features.data as Float32Array;
          if (set === 'fake' && wantFeatures.includes('is') && f.logitsUnbiased) nums.logits = f.logitsUnbiased.data as Float32Array;
        }
        if (paired.length === 0) decodedNotes[set].push(...f.decoded);
        sets[set] = { n: b - a, d: nets.extractor.dim, stats: b > a, raw: raw && b > a, logits: set === 'fake' && wantFeatures.includes('is') && b > a };
      }
      header.features = { real: sets.real!, fake: sets.fake! };
      header.extractor = { name: nets.extractor.name, dim: nets.extractor.dim, description: nets.extractor.description };
    }
    header.decoded = { real: summarise(decodedNotes.real), fake: summarise(decodedNotes.fake) };
    mkdirSync(dir, { recursive: true });
    const partial = await writePartial(dir, header, nums);
    return { dir, skipped: false, partial };
  } finally {
    for (const m of owned) m.dispose();
  }
}
