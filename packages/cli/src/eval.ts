// `radix eval` as a library call: reads two image folders, runs the requested metrics in batches and returns (and
// optionally writes as JSON) every number with every setting used. No process.exit here; bin.ts maps errors to codes.
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute, basename } from 'node:path';
import { init } from '@radix/tensor-webgpu';
import { FEATURE_EXTRACTORS, INCEPTION_RESIZES, type FeatureExtractor, type FidInceptionV3, type InceptionResize, type Lpips, type TorchvisionResNet50 } from '@radix/metrics';
import { loadEvalNetworks, type EvalNetworks } from './eval-networks.js';
import { FEATURE_METRICS, featureMetrics, folderExtract, folderFeatures, type FeatureMetricSettings, type IntervalSummary } from './feature-metrics.js';
import { compareWithReference, formatReference, readReference, type ReferenceFile, type ReferenceRow } from './eval-reference.js';
import { describeResolutions, resolutions, type EvalProvenance } from './eval-report.js';
import { memorisationCheck, type MemorisationReport } from './eval-memorisation.js';
import { pairedMetricBatch, pairedMetricSettings } from './eval-paired.js';
import { folderWarnings, imagesToTensor, listImageFolder, readImage, type DecodedImage } from './images.js';
import { matchPairs, reconcilePair, SIZE_POLICIES, type SizePolicy } from './pairs.js';
import { createProgress, silentProgress, type Progress, type ProgressStream } from './progress.js';
import { formatTable, formatValue } from './table.js';
import { UsageError } from './kit/errors.js';
import { toJsonText, writeFileAtomic } from './kit/output.js';

export { UsageError } from './kit/errors.js';
export { writeFileAtomic } from './kit/output.js';

/** Full-reference metrics (need `paired`). */
export const PAIRED_METRICS = ['psnr', 'ssim', 'ms-ssim', 'lpips', 'phv'] as const;
/** Every metric name `runEval` accepts. */
export const METRIC_NAMES: readonly string[] = [...PAIRED_METRICS, ...FEATURE_METRICS];
/** SSIM conventions accepted by `ssimMode`. */
export const SSIM_MODES = ['skimage', 'wang', 'torchmetrics', 'torchmetrics-legacy'] as const;
/** The metric name type. */
export type MetricName = (typeof PAIRED_METRICS)[number] | (typeof FEATURE_METRICS)[number];

/** Options of {@link runEval}; the CLI flags map one to one. */
export interface EvalOptions {
  /** Folder of reference images. */
  real: string;
  /** Folder of generated / translated images. */
  fake: string;
  /** Match files by name and run full-reference metrics (default false). */
  paired?: boolean;
  /** Metric names (default: psnr and ssim when paired, fid otherwise). */
  metrics?: readonly string[];
  /** SSIM convention (default 'skimage'). */
  ssimMode?: (typeof SSIM_MODES)[number];
  /** Data range of the [0, 1] pixels handed to PSNR/SSIM (default 1). */
  dataRange?: number;
  /** Policy for real/fake pairs of different sizes (default 'refuse'). */
  sizePolicy?: SizePolicy;
  /** Write the result as JSON here (atomically; never inside an input folder). */
  json?: string;
  /** Compute backend (default 'auto'). */
  backend?: 'auto' | 'webgpu' | 'cpu';
  /** Images per batch sent to the device (default 16). */
  batchSize?: number;
  /** Refuse folders that hold non-image files (default false: ignore and warn). */
  strict?: boolean;
  /** Largest image accepted in pixels, read from each header before decoding (default 64,000,000). */
  maxPixels?: number;
  /** Resize convention to 299² for the Inception metrics (default 'pytorch-bilinear', as pytorch-fid). */
  resize?: InceptionResize;
  /** Path of pt_inception-2015-12-05-6726825d.pth (default: RADIX_INCEPTION_WEIGHTS, then the PyTorch hub cache). */
  inceptionWeights?: string;
  /** A ready network instead of loading weights (programmatic use and tests; not disposed by runEval). */
  inceptionNet?: FidInceptionV3;
  /** KID subsets (default 100) and samples per subset (default 1000), torch-fidelity's defaults. */
  kidSubsets?: number;
  kidSubsetSize?: number;
  /** Inception Score splits (default 10). */
  isSplits?: number;
  /** Neighbours for precision/recall (default 3) and density/coverage (default 5). */
  prK?: number;
  dcK?: number;
  /** Bootstrap confidence level of every feature metric, e.g. 0.95 (default: no intervals). */
  ci?: number;
  /** Bootstrap replicates (default 200 when `ci` is set). */
  bootstrap?: number;
  /** Seed of the bootstrap and FID∞ draws (default 1). */
  seed?: number;
  /** Also report FID∞ (Chong & Forsyth 2020). */
  fidInf?: boolean;
  /** Feature extractor of the feature metrics: inception (default), vgg16, resnet50, or the path of a .js/.mjs module. */
  features?: string;
  /** Weights of the vgg16 / resnet50 extractor (torchvision .pth). */
  featureWeights?: string;
  /** A ready extractor instead of `features` (programmatic use and tests; not disposed by runEval). */
  featureExtractor?: FeatureExtractor;
  /** LPIPS backbone (default 'alex') and its two weight files. */
  lpipsNet?: 'alex' | 'vgg';
  lpipsBackbone?: string;
  lpipsLinear?: string;
  /** A ready LPIPS network (not disposed by runEval). */
  lpipsModel?: Lpips;
  /** torchvision ResNet-50 weights for PHV (resnet50-0676ba61.pth, as ASP used) and its thresholds (default [0.01]). */
  phvWeights?: string;
  phvThresholds?: number[];
  /** A ready ResNet-50 for PHV (not disposed by runEval). */
  phvNetwork?: TorchvisionResNet50;
  /** A JSON file of published numbers to print next to the measured ones. */
  reference?: string;
  /** Folder of training images: report generated images that are near-copies of them. */
  memorisation?: string;
  /** Space of the memorisation check (default 'pixel'). */
  memorisationSpace?: 'pixel' | 'features';
  /** Flag generated images closer than this × the training set's median nearest-neighbour distance (default 1/3). */
  memorisationThreshold?: number;
  /** Where the progress bar goes (default none). */
  progress?: ProgressStream;
}

/** One metric's outcome. */
export interface MetricResult {
  metric: string;
  /** Mean over images (or the set-level value). */
  value: number;
  /** Standard deviation where the metric defines one. */
  std?: number;
  /** Bootstrap interval (with `ci`). */
  ci?: IntervalSummary;
  /** Per-image values in `names` order (full-reference metrics). */
  perImage?: number[];
  /** The settings this number depends on, in words. */
  settings: Record<string, string | number | boolean>;
}

/** What {@link runEval} returns and writes as JSON. */
export interface EvalResult {
  /** Every option after defaults were applied, plus the backend and the time. */
  settings: Record<string, unknown>;
  counts: { real: number; fake: number; pairs?: number };
  /** Image names in per-image order (paired mode). */
  names?: string[];
  metrics: MetricResult[];
  warnings: string[];
  /** N, resolutions, resize convention and feature extractor: what the numbers are comparable under. */
  provenance: EvalProvenance;
  /** The measured-vs-published comparison (with `reference`). */
  reference?: { source?: string; rows: ReferenceRow[] };
  /** The memorisation check (with `memorisation`). */
  memorisation?: MemorisationReport;
  /** Path of the JSON file written, if any. */
  jsonPath?: string;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const x = v ?? dflt;
  if (!Number.isInteger(x) || x < 1) throw new UsageError(`runEval: ${name} must be a positive integer, got ${String(v)}`);
  return x;
}

/** @internal Applies defaults and validates options; throws {@link UsageError} naming the bad option. */
export function normalise(o: EvalOptions) {
  if (!o.real || !o.fake) throw new UsageError('runEval: both real and fake folders are required (--real DIR --fake DIR)');
  const paired = o.paired ?? false;
  const metrics = [...new Set((o.metrics ?? (paired ? ['psnr', 'ssim'] : ['fid'])).map((m) => m.trim().toLowerCase()).filter(Boolean))];
  if (metrics.length === 0) throw new UsageError(`runEval: no metrics requested (available: ${METRIC_NAMES.join(', ')})`);
  for (const m of metrics) {
    if (!METRIC_NAMES.includes(m)) throw new UsageError(`runEval: unknown metric '${m}' (available: ${METRIC_NAMES.join(', ')})`);
    if ((PAIRED_METRICS as readonly string[]).includes(m) && !paired) throw new UsageError(`runEval: metric '${m}' compares image pairs and needs --paired`);
  }
  const ssimMode = o.ssimMode ?? 'skimage';
  if (!SSIM_MODES.includes(ssimMode)) throw new UsageError(`runEval: unknown SSIM mode '${String(ssimMode)}' (expected ${SSIM_MODES.join(', ')})`);
  const dataRange = o.dataRange ?? 1;
  if (!Number.isFinite(dataRange) || dataRange <= 0) throw new UsageError(`runEval: data range must be a positive number, got ${String(o.dataRange)}`);
  const sizePolicy = o.sizePolicy ?? 'refuse';
  if (!SIZE_POLICIES.includes(sizePolicy)) throw new UsageError(`runEval: unknown size policy '${String(sizePolicy)}' (expected ${SIZE_POLICIES.join(', ')})`);
  const backend = o.backend ?? 'auto';
  if (!['auto', 'webgpu', 'cpu'].includes(backend)) throw new UsageError(`runEval: unknown backend '${String(backend)}' (expected auto, webgpu, cpu)`);
  const batchSize = positiveInt('batch size', o.batchSize, 16);
  const resize = o.resize ?? 'pytorch-bilinear';
  if (!INCEPTION_RESIZES.includes(resize)) throw new UsageError(`runEval: unknown resize '${String(resize)}' (expected ${INCEPTION_RESIZES.join(', ')})`);
  const seed = o.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UsageError(`runEval: seed must be a non-negative integer, got ${String(o.seed)}`);
  if (o.ci !== undefined && !(o.ci > 0 && o.ci < 1)) throw new UsageError(`runEval: --ci must be a confidence level in (0, 1), e.g. 0.95, got ${String(o.ci)}`);
  if (o.bootstrap !== undefined && (!Number.isInteger(o.bootstrap) || o.bootstrap < 2)) throw new UsageError(`runEval: --bootstrap must be an integer ≥ 2, got ${String(o.bootstrap)}`);
  const ci = o.ci !== undefined || o.bootstrap !== undefined ? { level: o.ci ?? 0.95, reps: o.bootstrap ?? 200, seed: seed % 2 ** 32 } : undefined;
  const featuresName = o.featureExtractor ? o.featureExtractor.name : (o.features ?? 'inception');
  if (!o.featureExtractor && !(FEATURE_EXTRACTORS as readonly string[]).includes(featuresName) && !/\.m?js$/.test(featuresName)) {
    throw new UsageError(`runEval: unknown --features '${featuresName}' (expected ${FEATURE_EXTRACTORS.join(', ')} or the path of a .js/.mjs module)`);
  }
  const inceptionFeaturesUsed = !o.featureExtractor && featuresName === 'inception';
  if (metrics.includes('is') && !inceptionFeaturesUsed) throw new UsageError('runEval: the Inception Score needs the FID Inception (--features inception)');
  const phvThresholds = o.phvThresholds ?? [0.01];
  if (phvThresholds.length === 0 || phvThresholds.some((t) => !Number.isFinite(t) || t < 0)) throw new UsageError(`runEval: --phv-thresholds must be finite numbers ≥ 0, got ${phvThresholds.join(',')}`);
  const lpipsNet = o.lpipsNet ?? 'alex';
  if (lpipsNet !== 'alex' && lpipsNet !== 'vgg') throw new UsageError(`runEval: --lpips-net must be alex or vgg, got '${String(lpipsNet)}'`);
  const memSpace = o.memorisationSpace ?? 'pixel';
  if (memSpace !== 'pixel' && memSpace !== 'features') throw new UsageError(`runEval: --memorisation-space must be pixel or features, got '${String(memSpace)}'`);
  const memThreshold = o.memorisationThreshold ?? 1 / 3;
  if (!(memThreshold > 0) || !Number.isFinite(memThreshold)) throw new UsageError(`runEval: --memorisation-threshold must be a positive number, got ${String(o.memorisationThreshold)}`);
  if (o.memorisation !== undefined && !existsSync(o.memorisation)) throw new UsageError(`runEval: the --memorisation folder '${o.memorisation}' does not exist`);
  const reference: ReferenceFile | undefined = o.reference !== undefined ? readReference(o.reference) : undefined;
  const features: FeatureMetricSettings = {
    resize, batchSize, kidSubsets: positiveInt('KID subsets', o.kidSubsets, 100), kidSubsetSize: positiveInt('KID subset size', o.kidSubsetSize, 1000),
    isSplits: positiveInt('IS splits', o.isSplits, 10), prK: positiveInt('precision/recall k', o.prK, 3), dcK: positiveInt('density/coverage k', o.dcK, 5),
    ...(ci ? { ci } : {}), fidInf: o.fidInf ?? false, seed: seed % 2 ** 32,
  };
  return {
    real: resolve(o.real), fake: resolve(o.fake), paired, metrics, ssimMode, dataRange, sizePolicy, backend, batchSize, strict: o.strict ?? false, json: o.json,
    features, maxPixels: o.maxPixels, featuresName, inceptionFeaturesUsed, phvThresholds, lpipsNet, reference,
    memorisation: o.memorisation === undefined ? undefined : resolve(o.memorisation), memSpace, memThreshold,
  };
}

function inside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function realish(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    try { return join(realpathSync(dirname(p)), basename(p)); } catch { return resolve(p); }
  }
}

/**
 * Refuses `path` when it is (or lies inside) one of the input folders, symbolic links resolved.
 *
 * @example
 * refuseInsideInputs('/r/out', ['/r'], '--out'); // throws UsageError
 */
export function refuseInsideInputs(path: string, inputs: readonly string[], what: string): void {
  const target = realish(resolve(path));
  for (const dir of inputs) {
    if (inside(target, realish(dir))) throw new UsageError(`runEval: refusing to write ${what} '${path}' inside input folder '${dir}' (it would add to or overwrite an input)`);
  }
}

/** @internal Refuses a JSON path that would land inside (or on) an input folder; returns its physical path. */
export function checkJsonTarget(json: string, inputs: readonly string[]): string {
  const target = realish(resolve(json));
  for (const dir of inputs) {
    if (inside(target, realish(dir))) throw new UsageError(`runEval: refusing to write JSON '${json}' inside input folder '${dir}' (it would add to or overwrite an input)`);
  }
  if (!existsSync(dirname(target))) throw new UsageError(`runEval: folder of JSON output '${json}' does not exist`);
  return target;
}

/**
 * JSON with non-finite numbers (PSNR of identical images) written as the strings "Infinity", "-Infinity", "NaN".
 *
 * @example
 * await writeFileAtomic('eval.json', resultToJson(await runEval(opts)));
 */
export function resultToJson(result: EvalResult): string {
  return toJsonText(result);
}

/**
 * The mean `radix eval` reports for per-image scores (a left-to-right float64 sum divided by the count), shared with
 * `radix merge` so a merged mean is bit-identical.
 *
 * @example
 * mean([1, 2, 3]); // 2
 */
export const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * Full-reference per-image scores of the named pairs, `batchSize` pairs at a time (consecutive pairs of one size go
 * to the device together), with the decoder notes of every image read. Rows come in the order the metrics give them.
 *
 * @example
 * const { perImage } = await pairedScores(['psnr'], ['a.png'], o, nets, silentProgress);
 */
export async function pairedScores(
  paired: readonly string[], names: readonly string[], o: ReturnType<typeof normalise>, nets: EvalNetworks, progress: Progress,
): Promise<{ perImage: Map<string, number[]>; decoded: { real: DecodedImage[]; fake: DecodedImage[] } }> {
  const perImage = new Map<string, number[]>(paired.map((m) => [m, []]));
  const decoded: { real: DecodedImage[]; fake: DecodedImage[] } = { real: [], fake: [] };
  for (let start = 0; start < names.length; start += o.batchSize) {
    const reals: DecodedImage[] = [];
    const fakes: DecodedImage[] = [];
    for (const n of names.slice(start, start + o.batchSize)) {
      const [r, f] = await reconcilePair(readImage(join(o.real, n), { maxPixels: o.maxPixels }), readImage(join(o.fake, n), { maxPixels: o.maxPixels }), o.sizePolicy);
      reals.push(r);
      fakes.push(f);
      decoded.real.push({ ...r, data: new Float32Array(0) });
      decoded.fake.push({ ...f, data: new Float32Array(0) });
    }
    for (let i = 0; i < reals.length;) {
      let j = i + 1;
      while (j < reals.length && reals[j]!.width === reals[i]!.width && reals[j]!.height === reals[i]!.height) j++;
      const a = imagesToTensor(reals.slice(i, j));
      const b = imagesToTensor(fakes.slice(i, j));
      try {
        for (const [row, values] of await pairedMetricBatch(paired, a, b, o, nets)) {
          if (!perImage.has(row)) perImage.set(row, []);
          perImage.get(row)!.push(...values);
        }
      } finally {
        a.dispose();
        b.dispose();
      }
      progress.tick(j - i);
      i = j;
    }
  }
  progress.done();
  return { perImage, decoded };
}

/**
 * Evaluates a fake image folder against a real one. Paired full-reference metrics (psnr, ssim, ms-ssim) match
 * files by name, reconcile size mismatches by `sizePolicy`, and stream the pairs to the device in batches.
 *
 * @example
 * const r = await runEval({ real: 'data/real', fake: 'out/fake', paired: true, metrics: ['psnr', 'ssim'], json: 'eval.json' });
 * console.log(formatReport(r));
 */
export async function runEval(options: EvalOptions): Promise<EvalResult> {
  const o = normalise(options);
  const jsonTarget = o.json !== undefined ? checkJsonTarget(o.json, [o.real, o.fake]) : undefined;
  const backend = await init({ backend: o.backend });
  const wantFeatures = o.metrics.filter((m) => (FEATURE_METRICS as readonly string[]).includes(m));
  // Load every network before reading any image, so missing weights fail at once.
  const owned: { dispose(): void }[] = [];
  try {
    const needExtractor = wantFeatures.length > 0 || (o.memorisation !== undefined && o.memSpace === 'features');
    const nets = await loadEvalNetworks(o, options, needExtractor, owned);
    return await evaluate(o, options, backend, nets, wantFeatures, jsonTarget);
  } finally {
    for (const m of owned) m.dispose();
  }
}


/**
 * The settings block of a report: every option after defaults, the backend and device, the time.
 *
 * @example
 * const settings = reportSettings(o, options, backend, nets, ['fid']);
 */
export function reportSettings(
  o: ReturnType<typeof normalise>, options: EvalOptions, backend: Awaited<ReturnType<typeof init>>, nets: EvalNetworks, wantFeatures: readonly string[],
): Record<string, unknown> {
  return {
    real: o.real, fake: o.fake, paired: o.paired, metrics: o.metrics, ssimMode: o.ssimMode, dataRange: o.dataRange,
    sizePolicy: o.sizePolicy, batchSize: o.batchSize, strict: o.strict, backend: backend.name,
    device: backend.info.description, pixelScale: '[0, 1] (8-bit / 255, 16-bit / 65535), RGB, gray replicated, alpha dropped',
    date: new Date().toISOString(),
    ...(wantFeatures.length > 0 ? { ...o.features, features: nets.extractor?.name, inceptionWeights: options.inceptionNet ? 'injected network' : (options.inceptionWeights ?? 'RADIX_INCEPTION_WEIGHTS or PyTorch hub cache') } : {}),
  };
}

async function evaluate(
  o: ReturnType<typeof normalise>, options: EvalOptions, backend: Awaited<ReturnType<typeof init>>, nets: EvalNetworks,
  wantFeatures: string[], jsonTarget: string | undefined,
): Promise<EvalResult> {
  const realList = listImageFolder(o.real, { strict: o.strict });
  const fakeList = listImageFolder(o.fake, { strict: o.strict });
  const settings = reportSettings(o, options, backend, nets, wantFeatures);
  const result: EvalResult = {
    settings, counts: { real: realList.names.length, fake: fakeList.names.length }, metrics: [], warnings: [],
    provenance: { n: { real: realList.names.length, fake: fakeList.names.length }, resolution: { real: {}, fake: {} } },
  };
  const decodedNotes: { real: DecodedImage[]; fake: DecodedImage[] } = { real: [], fake: [] };
  const paired = o.metrics.filter((m) => (PAIRED_METRICS as readonly string[]).includes(m));
  if (paired.length > 0) {
    const names = matchPairs(realList.names, fakeList.names);
    result.counts.pairs = names.length;
    result.names = names;
    const progress: Progress = options.progress ? createProgress('pairs', names.length, options.progress) : silentProgress;
    const scores = await pairedScores(paired, names, o, nets, progress);
    decodedNotes.real.push(...scores.decoded.real);
    decodedNotes.fake.push(...scores.decoded.fake);
    for (const [m, values] of scores.perImage) {
      if (values.length === 0) continue;
      result.metrics.push({ metric: m, value: mean(values), perImage: values, settings: pairedMetricSettings(m, o) });
    }
    result.provenance.n.pairs = names.length;
  }
  const mk = (label: string, n: number) => (options.progress ? createProgress(label, n, options.progress) : silentProgress);
  if (wantFeatures.length > 0 && nets.extractor) {
    const read = { maxPixels: o.maxPixels };
    const real = nets.net ? await folderFeatures(nets.net, realList, o.features, mk('features real', realList.names.length), read)
      : await folderExtract(nets.extractor, realList, o.batchSize, mk('features real', realList.names.length), read);
    const fake = nets.net ? await folderFeatures(nets.net, fakeList, o.features, mk('features fake', fakeList.names.length), read)
      : await folderExtract(nets.extractor, fakeList, o.batchSize, mk('features fake', fakeList.names.length), read);
    if (!o.metrics.some((m) => (PAIRED_METRICS as readonly string[]).includes(m))) {
      decodedNotes.real.push(...real.decoded);
      decodedNotes.fake.push(...fake.decoded);
    }
    const ext = { name: nets.extractor.name, dim: nets.extractor.dim, description: nets.extractor.description };
    const { rows, warnings } = await featureMetrics(wantFeatures, real, fake, { ...o.features, extractor: ext });
    result.metrics.push(...rows);
    result.warnings.push(...warnings);
    result.provenance.featureExtractor = ext;
    result.provenance.resize = String(ext.description.resize ?? o.features.resize);
  }
  result.provenance.resolution = { real: resolutions(decodedNotes.real), fake: resolutions(decodedNotes.fake) };
  if (o.memorisation !== undefined) {
    const trainList = listImageFolder(o.memorisation, { strict: o.strict });
    const grid = jsonTarget === undefined ? undefined : jsonTarget.replace(/\.json$/i, '') + '.memorisation.png';
    result.memorisation = await memorisationCheck(
      fakeList, trainList, { space: o.memSpace, k: 3, threshold: o.memThreshold, pixelSize: 64, batchSize: o.batchSize, gridPairs: 8 },
      nets.extractor, grid, { maxPixels: o.maxPixels }, mk,
    );
    if (!grid) result.warnings.push('memorisation: no --json given, so the grid of the closest pairs was not written (it goes next to the JSON)');
    if (result.memorisation.flagged.length > 0) {
      result.warnings.push(`memorisation: ${result.memorisation.flagged.length} of ${fakeList.names.length} generated images are closer to a training image than ${o.memThreshold.toFixed(3)} × the training set's median nearest-neighbour distance (possible copies: ${result.memorisation.flagged.slice(0, 5).map((f) => `${f.fake} ≈ ${f.training}`).join(', ')}${result.memorisation.flagged.length > 5 ? ', …' : ''})`);
    }
  }
  if (o.reference) result.reference = { ...(o.reference.source ? { source: o.reference.source } : {}), rows: compareWithReference(result.metrics, o.reference) };
  result.warnings.push(...folderWarnings(realList, decodedNotes.real), ...folderWarnings(fakeList, decodedNotes.fake));
  if (jsonTarget !== undefined) {
    result.jsonPath = jsonTarget;
    try {
      await writeFileAtomic(jsonTarget, resultToJson(result));
    } catch (e) {
      delete result.jsonPath;
      throw new EvalOutputError(`runEval: the results were computed but the JSON could not be written: ${(e as Error).message}`, result);
    }
  }
  return result;
}

/**
 * Thrown by {@link runEval} when every metric was computed but the `json` file could not be written; `result` holds
 * the numbers, so callers can still report them (`radix eval` prints the table before failing with exit code 1).
 *
 * @example
 * try { await runEval(o); } catch (e) { if (e instanceof EvalOutputError) console.log(formatReport(e.result)); throw e; }
 */
export class EvalOutputError extends Error {
  override name = 'EvalOutputError';
  constructor(message: string, readonly result: EvalResult) {
    super(message);
  }
}

/**
 * Renders a result as the benchmark-style table printed by `radix eval` (metric, value, n, settings) followed by
 * any warnings.
 *
 * @example
 * console.log(formatReport(await runEval({ real: 'r', fake: 'f', paired: true })));
 */
export function formatReport(result: EvalResult): string {
  const rows = result.metrics.map((m) => [
    m.metric,
    `${formatValue(m.value, m.std, m.metric === 'psnr' || m.metric.startsWith('fid') ? 2 : 4)}${m.ci ? ` [${formatValue(m.ci.low, undefined, m.metric.startsWith('fid') ? 2 : 4)}, ${formatValue(m.ci.high, undefined, m.metric.startsWith('fid') ? 2 : 4)}] (${Math.round(m.ci.level * 100)} % CI)` : ''}`,
    String(m.perImage?.length ?? result.counts.fake),
    Object.entries(m.settings).map(([k, v]) => `${k}=${String(v)}`).join(' '),
  ]);
  const head = `real: ${String(result.settings.real)} (${result.counts.real})  fake: ${String(result.settings.fake)} (${result.counts.fake})  backend: ${String(result.settings.backend)}`;
  const p = result.provenance;
  const prov = `resolution: real ${describeResolutions(p.resolution.real)}, fake ${describeResolutions(p.resolution.fake)}` +
    (p.featureExtractor ? `  features: ${p.featureExtractor.name} (${p.featureExtractor.dim}-d, ${Object.entries(p.featureExtractor.description).map(([k, v]) => `${k} ${String(v)}`).join(', ')})` : '');
  const lines = [head, prov, '', formatTable(['metric', 'value', 'n', 'settings'], rows)];
  if (result.reference) lines.push('', formatReference(result.reference.rows, result.reference.source));
  if (result.memorisation) {
    const mm = result.memorisation;
    lines.push('', `memorisation (${mm.space}, vs ${mm.training}): ${(100 * mm.fractionFlagged).toFixed(1)} % of the generated images flagged (closer than ${mm.threshold.toFixed(3)} × median training NN distance ${mm.reference.toPrecision(4)})${mm.grid ? `; closest pairs: ${mm.grid}` : ''}`);
  }
  if (result.warnings.length) lines.push('', ...result.warnings.map((w) => `warning: ${w}`));
  if (result.jsonPath) lines.push('', `wrote ${result.jsonPath}`);
  return lines.join('\n');
}
