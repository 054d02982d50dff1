// `radix demo`: flags and help of the compact IHC experiment; the work is runDemo in ../workflow/demo.ts.
import { BACKEND_OPTION, QUIET_OPTION, readBackend, type Command } from '../kit/index.js';

/** `radix demo`. */
export const demoCommand: Command = {
  name: 'demo',
  summary: 'the main job end to end on the bundled IHC image: real vs + rudi vs + generators, classifier table, report.html',
  usage: 'radix demo [--quick] [--out DIR] [options]',
  options: [
    { name: 'quick', type: 'boolean', description: 'a ~2-minute smoke run (width-4 classifier, 20 steps, 2 seeds, 20 synthetic per class)' },
    { name: 'out', type: 'string', arg: 'DIR', description: 'run directory (default ./radix-demo, or ./radix-demo-quick with --quick); rerunning resumes it' },
    BACKEND_OPTION,
    QUIET_OPTION,
  ],
  details: [
    'Cuts the bundled 512×512 IHC image into 256 non-overlapping 32×32 patches labelled by stain composition (low-stain,',
    'mixed haematoxylin + DAB, DAB-dominant), splits them by 64-pixel region into train/validation/test, keeps 20 labelled patches per class and',
    'the rest of the training region as an unlabelled pool, then runs the variants: real; real + rudi augmentation; real +',
    'GAN (pretrained on the pool, fine-tuned with G blocks frozen) and real + DDPM when this build has those trainers (they',
    'are left out, and said so, otherwise). Each variant trains ResNet-18 classifiers with several seeds; the report holds',
    'accuracy and balanced accuracy (mean ± sd, bootstrap intervals). A killed demo resumes where it stopped.',
    'The full run is sized for a 2-core machine without a GPU (about 1,500 CPU-seconds on Mesa lavapipe): GAN batch 8,',
    '16 channels, DiffAugment, 240 + 3×80 minibatches; DDPM (x₀-prediction) 200 minibatches of 8, 10 DDIM steps;',
    'classifiers at most 100 steps.',
  ].join('\n'),
  async run(args, ctx) {
    args.expectPositionals('demo', []);
    const { runDemo } = await import('../workflow/demo.js');
    const quiet = args.flag('quiet');
    const r = await runDemo({
      quick: args.flag('quick'), ...(args.string('out') !== undefined ? { out: args.string('out')! } : {}), backend: readBackend(args, ctx.env), cwd: ctx.cwd,
      log: (l) => { if (!quiet) ctx.stderr.write(`${l}\n`); },
    });
    const { formatClassifierRows } = await import('../workflow/report-text.js');
    ctx.stdout.write(`${formatClassifierRows(r.rows)}\n`);
    for (const l of r.leftOut) ctx.stdout.write(`left out: ${l}\n`);
    ctx.stdout.write(`demo finished in ${r.seconds.toFixed(0)} s; report: ${r.report}\n`);
    return 0;
  },
};
