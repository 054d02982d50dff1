// `radix eval`: flags and help of the metric evaluation command; the work is runEval in ../eval.ts, loaded only
// when the command runs (so `radix --help` does not load the metrics).
import { BACKEND_OPTION, JSON_OPTION, MAX_PIXELS_OPTION, QUIET_OPTION, SEED_OPTION, readBackend, readSeed, type Command, type ParsedArgs } from '../kit/index.js';
import { join, resolve } from 'node:path';
import { UsageError } from '../kit/errors.js';
import { parseList, parseNumber } from '../kit/parsers.js';
import type { EvalOptions } from '../eval.js';
import { parseShard } from '../shard.js';

const METRIC_LIST = 'psnr,ssim,ms-ssim,lpips,phv,fid,kid,is,pr,dc';
const SSIM_MODE_LIST = 'skimage|wang|torchmetrics|torchmetrics-legacy';
const RESIZE_LIST = 'pytorch-bilinear|tf1-bilinear|pil-bicubic';

/**
 * Turns parsed `radix eval` arguments into {@link EvalOptions} (value checks beyond numbers happen in runEval).
 *
 * @example
 * const options = evalOptionsFromArgs(parseCommandArgs(evalCommand, ['--real', 'r', '--fake', 'f'])!, {});
 */
export function evalOptionsFromArgs(args: ParsedArgs, env: Record<string, string | undefined>): EvalOptions {
  args.expectPositionals('eval', []);
  return {
    real: args.string('real') ?? '',
    fake: args.string('fake') ?? '',
    paired: args.flag('paired'),
    metrics: args.string('metrics')?.split(','),
    ssimMode: args.string('ssim-mode') as EvalOptions['ssimMode'],
    dataRange: args.number('data-range'),
    sizePolicy: args.string('size-policy') as EvalOptions['sizePolicy'],
    json: args.string('json'),
    backend: readBackend(args, env),
    batchSize: args.number('batch-size'),
    strict: args.flag('strict'),
    resize: args.string('resize') as EvalOptions['resize'],
    inceptionWeights: args.string('inception-weights'),
    kidSubsets: args.number('kid-subsets'),
    kidSubsetSize: args.number('kid-subset-size'),
    isSplits: args.number('is-splits'),
    prK: args.number('pr-k'),
    dcK: args.number('dc-k'),
    maxPixels: args.integer('max-pixels', { min: 1 }),
    ci: args.number('ci'),
    bootstrap: args.integer('bootstrap', { min: 2 }),
    seed: readSeed(args),
    fidInf: args.flag('fid-inf'),
    features: args.string('features'),
    featureWeights: args.string('feature-weights'),
    lpipsNet: args.string('lpips-net') as EvalOptions['lpipsNet'],
    lpipsBackbone: args.string('lpips-backbone'),
    lpipsLinear: args.string('lpips-linear'),
    phvWeights: args.string('phv-weights'),
    phvThresholds: parseList('--phv-thresholds', args.string('phv-thresholds'))?.map((t) => parseNumber('--phv-thresholds', t)!),
    reference: args.string('reference'),
    memorisation: args.string('memorisation'),
    memorisationSpace: args.string('memorisation-space') as EvalOptions['memorisationSpace'],
    memorisationThreshold: args.number('memorisation-threshold'),
  };
}

/** `radix eval`. */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'compare a folder of generated images with a folder of real ones (PSNR, SSIM, LPIPS, PHV, FID, KID, IS, P/R, D/C)',
  usage: 'radix eval --real DIR --fake DIR [options]',
  options: [
    { name: 'real', type: 'string', arg: 'DIR', description: 'reference images (PNG/JPEG)' },
    { name: 'fake', type: 'string', arg: 'DIR', description: 'generated / translated images (PNG/JPEG)' },
    { name: 'paired', type: 'boolean', description: 'match files by name; needed by psnr, ssim, ms-ssim, lpips, phv' },
    { name: 'metrics', type: 'string', arg: 'LIST', description: `comma-separated: ${METRIC_LIST} (default psnr,ssim with --paired, fid without; pr = precision+recall, dc = density+coverage)` },
    { name: 'ssim-mode', type: 'string', arg: 'MODE', description: `${SSIM_MODE_LIST} (default skimage)` },
    { name: 'data-range', type: 'string', arg: 'N', description: 'data range of the [0,1] pixels (default 1)' },
    { name: 'size-policy', type: 'string', arg: 'P', description: 'refuse|resize|center-crop: pairs of different sizes (default refuse)' },
    { name: 'resize', type: 'string', arg: 'R', description: `${RESIZE_LIST}: resize to 299 for the Inception metrics (default pytorch-bilinear = pytorch-fid; tf1-bilinear = torch-fidelity; pil-bicubic = clean-fid)` },
    { name: 'inception-weights', type: 'string', arg: 'P', description: 'pt_inception-2015-12-05-6726825d.pth (default: $RADIX_INCEPTION_WEIGHTS, then ~/.cache/torch/hub/checkpoints/)' },
    { name: 'kid-subsets', type: 'string', arg: 'N', description: 'KID subsets (default 100)' },
    { name: 'kid-subset-size', type: 'string', arg: 'N', description: "KID samples per subset (default 1000; at most the smaller set's size)" },
    { name: 'is-splits', type: 'string', arg: 'N', description: 'Inception Score splits (default 10)' },
    { name: 'pr-k', type: 'string', arg: 'N', description: 'neighbours for precision/recall (default 3)' },
    { name: 'dc-k', type: 'string', arg: 'N', description: 'neighbours for density/coverage (default 5)' },
    { name: 'features', type: 'string', arg: 'F', description: 'feature extractor of fid/kid/pr/dc: inception (default) | vgg16 (torchvision fc2 after ReLU) | resnet50 (torchvision pool) | PATH of a .js/.mjs module exporting a FeatureExtractor' },
    { name: 'feature-weights', type: 'string', arg: 'P', description: 'torchvision weights of --features vgg16 (vgg16-397923af.pth) or resnet50 (resnet50-0676ba61.pth)' },
    { name: 'ci', type: 'string', arg: 'LEVEL', description: 'bootstrap confidence intervals of the feature metrics at this level, e.g. 0.95 (FID: basic; others: percentile)' },
    { name: 'bootstrap', type: 'string', arg: 'N', description: 'bootstrap replicates (default 200 with --ci)' },
    SEED_OPTION,
    { name: 'fid-inf', type: 'boolean', description: 'also report FID∞, FID extrapolated to infinitely many generated images (Chong & Forsyth 2020)' },
    { name: 'lpips-net', type: 'string', arg: 'N', description: 'alex (default) | vgg: the LPIPS v0.1 backbone' },
    { name: 'lpips-backbone', type: 'string', arg: 'P', description: 'torchvision alexnet-owt-7be5be79.pth or vgg16-397923af.pth' },
    { name: 'lpips-linear', type: 'string', arg: 'P', description: 'the LPIPS v0.1 heads alex.pth / vgg.pth (lpips/weights/v0.1/ of github.com/richzhang/PerceptualSimilarity)' },
    { name: 'phv-weights', type: 'string', arg: 'P', description: 'torchvision resnet50-0676ba61.pth for phv (the perceptual hash value of the ASP paper)' },
    { name: 'phv-thresholds', type: 'string', arg: 'LIST', description: 'comma-separated PHV thresholds (default 0.01, as ASP evaluate.py)' },
    { name: 'reference', type: 'string', arg: 'FILE', description: 'JSON { "source": "...", "values": { "fid": 43.7, ... } }: print measured vs published' },
    { name: 'memorisation', type: 'string', arg: 'TRAIN_DIR', description: 'flag generated images that are near-copies of these training images; the grid of the closest pairs goes next to --json' },
    { name: 'memorisation-space', type: 'string', arg: 'S', description: 'pixel (default; images pooled to 64×64) | features (the --features extractor)' },
    { name: 'memorisation-threshold', type: 'string', arg: 'T', description: "flag when closer than T × the training set's median nearest-neighbour distance (default 0.333)" },
    JSON_OPTION,
    { name: 'shard', type: 'string', arg: 'I/N', description: 'do only shard I of N (0-based; whole batches of the pairs and of each folder) and write its partial results to --out DIR/shards/I-of-N; `radix merge DIR` computes the metrics, equal to the unsharded run' },
    { name: 'out', type: 'string', arg: 'DIR', description: 'job folder of --shard (created; never inside an input folder)' },
    BACKEND_OPTION,
    { name: 'batch-size', type: 'string', arg: 'N', description: 'images per device batch (default 16)' },
    { name: 'strict', type: 'boolean', description: 'refuse folders that hold non-image or unreadable entries (default: skip them with a warning)' },
    MAX_PIXELS_OPTION,
    QUIET_OPTION,
  ],
  details: 'exit codes: 0 success, 1 failure (unreadable image, size mismatch, ...), 2 usage error',
  async run(args, ctx) {
    const options = evalOptionsFromArgs(args, ctx.env);
    const shard = parseShard(args.string('shard'));
    const out = args.string('out');
    if (shard !== undefined || out !== undefined) {
      if (shard === undefined || out === undefined) throw new UsageError('radix eval: --shard I/N and --out DIR go together');
      const { runEvalShard } = await import('../eval-shard.js');
      const r = await runEvalShard({ ...options, progress: args.flag('quiet') ? undefined : ctx.stderr }, shard, resolve(ctx.cwd, out));
      ctx.stdout.write(`eval shard ${shard.index}/${shard.count}: ${r.skipped ? 'already complete and verified, skipped' : 'wrote'} ${join(r.dir, 'partial.json')}\n`);
      return 0;
    }
    const { runEval, formatReport, EvalOutputError } = await import('../eval.js');
    try {
      const result = await runEval({ ...options, progress: args.flag('quiet') ? undefined : ctx.stderr });
      ctx.stdout.write(`${formatReport(result)}\n`);
    } catch (e) {
      // The numbers were computed: print them before failing, so an unwritable --json path loses nothing.
      if (e instanceof EvalOutputError) ctx.stdout.write(`${formatReport(e.result)}\n`);
      throw e;
    }
    return 0;
  },
};
