// `radix report RUN_DIR`: flags and help; the work is writeReport in ../workflow/report.ts.
import { resolve } from 'node:path';
import type { Command } from '../kit/index.js';

/** `radix report`. */
export const reportCommand: Command = {
  name: 'report',
  summary: 'assemble report.html (self-contained) and report.json from an experiment run directory',
  usage: 'radix report RUN_DIR',
  positionals: [{ name: 'RUN_DIR', description: 'a folder made by radix experiment or radix demo (holds experiment.json)' }],
  options: [],
  details: [
    'report.html has no script and loads nothing from the network: patch grids per class, augmentation examples, sample',
    'grids per generator and class, training curves as inline SVG, generator metrics (precision/recall, density/coverage,',
    'MS-SSIM diversity, memorisation closest pairs, FID/KID with inceptionWeights), the classifier table recomputed from the',
    "saved predictions (mean ± sd over seeds, bootstrap intervals) and the run manifest. Jobs that have not finished are shown as such.",
  ].join('\n'),
  async run(args, ctx) {
    const [dir] = args.expectPositionals('report', ['RUN_DIR']);
    const { writeReport } = await import('../workflow/report.js');
    const { classifierTable } = await import('../workflow/report-table.js');
    const { readRunManifest } = await import('../workflow/experiment-run.js');
    const { formatClassifierRows } = await import('../workflow/report-text.js');
    const runDir = resolve(ctx.cwd, dir!);
    const path = await writeReport(runDir);
    ctx.stdout.write(`${formatClassifierRows(classifierTable(runDir, readRunManifest(runDir)))}\nreport: ${path}\n`);
    return 0;
  },
};
