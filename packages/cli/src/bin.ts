#!/usr/bin/env node
// The `radix` executable: parses `radix eval` flags with node:util parseArgs, runs runEval, prints the report and maps
// failures to exit codes (0 ok, 1 failure, 2 usage error).
import { parseArgs } from 'node:util';
import { formatReport, METRIC_NAMES, runEval, SSIM_MODES, UsageError, type EvalOptions } from './eval.js';
import { SIZE_POLICIES, type SizePolicy } from './pairs.js';
import { augmentMain } from './augment.js';
import { INCEPTION_RESIZES, type InceptionResize } from '@radix/metrics';

const HELP = `radix — generative augmentation tools for biomedical images

commands:
  radix eval      compare a folder of generated images with a folder of real ones (below)
  radix augment   rudi/Augmentor-style augmentation of a folder (see 'radix augment --help')

usage: radix eval --real DIR --fake DIR [options]

  --real DIR            reference images (PNG/JPEG)
  --fake DIR            generated / translated images (PNG/JPEG)
  --paired              match files by name; needed by psnr, ssim, ms-ssim
  --metrics LIST        comma-separated: ${METRIC_NAMES.join(',')}
                        (default psnr,ssim with --paired, fid without; pr = precision+recall, dc = density+coverage)
  --ssim-mode MODE      ${SSIM_MODES.join('|')} (default skimage)
  --data-range N        data range of the [0,1] pixels (default 1)
  --size-policy P       ${SIZE_POLICIES.join('|')}: pairs of different sizes (default refuse)
  --resize R            ${INCEPTION_RESIZES.join('|')}: resize to 299 for the
                        Inception metrics (default pytorch-bilinear = pytorch-fid; tf1-bilinear = torch-fidelity;
                        pil-bicubic = clean-fid)
  --inception-weights P pt_inception-2015-12-05-6726825d.pth (default: $RADIX_INCEPTION_WEIGHTS, then
                        ~/.cache/torch/hub/checkpoints/)
  --kid-subsets N       KID subsets (default 100)
  --kid-subset-size N   KID samples per subset (default 1000; at most the smaller set's size)
  --is-splits N         Inception Score splits (default 10)
  --pr-k N              neighbours for precision/recall (default 3)
  --dc-k N              neighbours for density/coverage (default 5)
  --json FILE           also write every number and setting as JSON (atomic; never inside an input folder)
  --backend B           auto|webgpu|cpu (default auto)
  --batch-size N        images per device batch (default 16)
  --strict              refuse folders that hold non-image files (default: ignore them with a warning)
  --quiet               no progress bar
  -h, --help            this text

exit codes: 0 success, 1 failure (unreadable image, size mismatch, ...), 2 usage error`;

function parse(argv: string[]): { help: true } | { help: false; options: EvalOptions; quiet: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        real: { type: 'string' }, fake: { type: 'string' }, paired: { type: 'boolean' }, metrics: { type: 'string' },
        'ssim-mode': { type: 'string' }, 'data-range': { type: 'string' }, 'size-policy': { type: 'string' },
        json: { type: 'string' }, backend: { type: 'string' }, 'batch-size': { type: 'string' },
        resize: { type: 'string' }, 'inception-weights': { type: 'string' }, 'kid-subsets': { type: 'string' },
        'kid-subset-size': { type: 'string' }, 'is-splits': { type: 'string' }, 'pr-k': { type: 'string' }, 'dc-k': { type: 'string' },
        strict: { type: 'boolean' }, quiet: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values: v, positionals } = parsed;
  if (v.help || positionals.length === 0 || (positionals.length === 1 && positionals[0] === 'help')) return { help: true };
  if (positionals[0] !== 'eval' || positionals.length > 1) throw new UsageError(`unknown command '${positionals.join(' ')}' (commands: eval, augment)`);
  const num = (name: string, s: string | undefined): number | undefined => {
    if (s === undefined) return undefined;
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} expects a number, got '${s}'`);
    return n;
  };
  const options: EvalOptions = {
    real: v.real ?? '',
    fake: v.fake ?? '',
    paired: v.paired ?? false,
    metrics: v.metrics?.split(','),
    ssimMode: v['ssim-mode'] as EvalOptions['ssimMode'],
    dataRange: num('data-range', v['data-range']),
    sizePolicy: v['size-policy'] as SizePolicy | undefined,
    json: v.json,
    backend: v.backend as EvalOptions['backend'],
    batchSize: num('batch-size', v['batch-size']),
    strict: v.strict ?? false,
    resize: v.resize as InceptionResize | undefined,
    inceptionWeights: v['inception-weights'],
    kidSubsets: num('kid-subsets', v['kid-subsets']),
    kidSubsetSize: num('kid-subset-size', v['kid-subset-size']),
    isSplits: num('is-splits', v['is-splits']),
    prK: num('pr-k', v['pr-k']),
    dcK: num('dc-k', v['dc-k']),
  };
  return { help: false, options, quiet: v.quiet ?? false };
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'augment') return augmentMain(argv.slice(1));
  try {
    const p = parse(argv);
    if (p.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    const result = await runEval({ ...p.options, progress: p.quiet ? undefined : process.stderr });
    process.stdout.write(`${formatReport(result)}\n`);
    return 0;
  } catch (e) {
    const usage = e instanceof UsageError;
    process.stderr.write(`radix: ${(e as Error).message}${usage ? "\n(see 'radix --help')" : ''}\n`);
    return usage ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
