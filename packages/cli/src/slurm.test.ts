// `radix slurm`: the scripts it writes (array over the missing shards only, resources passed through, self-requeue
// bounded by --retries, merge after the array with afterok), and the submissions it makes, through a stand-in sbatch
// that records its arguments. The real cluster run is slurm-cluster.test.ts.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAugment } from './augment.js';
import { runCli } from './dispatch.js';
import { arrayScript, shellQuote } from './slurm-script.js';
import { pattern, tempDir, writePng } from './test-images.js';

function fakeSbatch(dir: string): { bin: string; calls: () => string[][] } {
  const log = join(dir, 'sbatch.log');
  const bin = join(dir, 'sbatch');
  writeFileSync(bin, `#!/bin/bash\nprintf '%s\\n' "$*" >> ${shellQuote(log)}\nn=$(wc -l < ${shellQuote(log)})\necho "$((1000 + n));cluster"\n`);
  chmodSync(bin, 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')) : []) };
}

async function cli(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, cwd });
  return { code, out: out.join(''), err: err.join('') };
}

describe('radix slurm', () => {
  it('writes an array of the missing augment shards and a merge after it; submits both; reruns only missing shards', async () => {
    const root = tempDir('slurm-aug');
    const input = join(root, 'in');
    mkdirSync(input);
    for (let i = 0; i < 4; i++) writePng(join(input, `s${i}.png`), 10, 10, pattern(10, 10, i));
    const sb = fakeSbatch(root);
    const args = ['slurm', '--shards', '4', '--partition', 'gpu', '--time', '00:30:00', '--mem', '4G', '--cpus-per-task', '2', '--sbatch=--exclusive', '--retries', '2', '--submit', '--radix', 'radix', '--', 'augment', 'in', 'out', '--preset', 'rudi', '--variants', '2', '--backend', 'cpu'];
    const r = await cli(args, root, { RADIX_SBATCH: sb.bin });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/shards to run: 0-3 \(4 of 4\)/);
    expect(r.out).toMatch(/submitted: array job 1001, merge job 1002 \(afterok:1001\)/);
    const array = readFileSync(join(root, 'out', 'slurm', 'array.sbatch'), 'utf8');
    for (const line of ['#SBATCH --array=0-3', '#SBATCH --requeue', '#SBATCH --partition=gpu', '#SBATCH --time=00:30:00', '#SBATCH --mem=4G', '#SBATCH --cpus-per-task=2', '#SBATCH --gres=gpu:1', '#SBATCH --exclusive', `#SBATCH --chdir=${root}`]) {
      expect(array).toContain(line);
    }
    expect(array).toContain('radix augment in out --preset rudi --variants 2 --backend cpu --shard "$I/4"');
    expect(array).toContain('-lt 2 ]; then');
    expect(array).toContain('scontrol requeue "$SLURM_JOB_ID"');
    const merge = readFileSync(join(root, 'out', 'slurm', 'merge.sbatch'), 'utf8');
    expect(merge).toContain(`exec radix merge ${join(root, 'out')} --shards 4`);
    expect(merge).not.toContain('--gres');
    expect(sb.calls()).toEqual([
      ['--parsable', join(root, 'out', 'slurm', 'array.sbatch')],
      ['--parsable', '--dependency=afterok:1001', '--kill-on-invalid-dep=yes', join(root, 'out', 'slurm', 'merge.sbatch')],
    ]);
    // Shards 0 and 2 finish; 2 is then damaged: a rerun submits only 1, 2 and 3.
    const common = { input, output: join(root, 'out'), preset: 'rudi' as const, variants: 2, backend: 'cpu' as const };
    await runAugment({ ...common, shard: { index: 0, count: 4 } });
    await runAugment({ ...common, shard: { index: 2, count: 4 } });
    rmSync(join(root, 'out', 'shards', '2-of-4', 's2_png_1.png'));
    const again = await cli(args, root, { RADIX_SBATCH: sb.bin });
    expect(again.out).toMatch(/shards to run: 1-3 \(3 of 4\)/);
    expect(again.out).toMatch(/2\/4: .*s2_png_1\.png is missing/);
    expect(readFileSync(join(root, 'out', 'slurm', 'array.sbatch'), 'utf8')).toContain('#SBATCH --array=1-3');
    for (const i of [1, 2, 3]) await runAugment({ ...common, shard: { index: i, count: 4 } });
    const done = await cli(args, root, { RADIX_SBATCH: sb.bin });
    expect(done.out).toMatch(/every shard is complete and verified; only the merge remains/);
    expect(sb.calls().at(-1)).toEqual(['--parsable', join(root, 'out', 'slurm', 'merge.sbatch')]);
    expect(readFileSync(join(root, 'out', 'slurm', 'submissions.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    expect(readFileSync(join(root, 'out', 'slurm', 'submit.sh'), 'utf8')).toContain('only the merge remains');
  });

  it('eval: --out is the job folder, --json and --reference move to the merge; bad invocations are refused', async () => {
    const root = tempDir('slurm-eval');
    const real = join(root, 'r');
    const fake = join(root, 'f');
    mkdirSync(real);
    mkdirSync(fake);
    writePng(join(real, 'a.png'), 8, 8, pattern(8, 8, 1));
    writePng(join(fake, 'a.png'), 8, 8, pattern(8, 8, 2));
    const r = await cli(['slurm', '--shards', '2', '--gpus', '0', '--radix', 'radix', '--', 'eval', '--real', 'r', '--fake', 'f', '--paired', '--metrics', 'psnr', '--out', 'job', '--json', 'job/psnr.json'], root);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/shards to run: 0-1 \(2 of 2\)[\s\S]*0\/2: not finished \(no partial\.json/);
    const array = readFileSync(join(root, 'job', 'slurm', 'array.sbatch'), 'utf8');
    expect(array).toContain('radix eval --real r --fake f --paired --metrics psnr --out job --shard "$I/2"');
    expect(array).not.toContain('--gres');
    expect(array).not.toContain('psnr.json');
    expect(readFileSync(join(root, 'job', 'slurm', 'merge.sbatch'), 'utf8')).toContain(`merge ${join(root, 'job')} --shards 2 --json ${join(root, 'job', 'psnr.json')}`);
    expect((await cli(['slurm', '--shards', '2', '--', 'eval', '--real', 'r', '--fake', 'f'], root)).err).toMatch(/radix eval needs --out DIR/);
    expect((await cli(['slurm', '--shards', '2', '--', 'eval', '--real', 'r', '--fake', 'f', '--out', 'j', '--shard', '0/2'], root)).err).toMatch(/leave out --shard/);
    expect((await cli(['slurm', '--shards', '2', '--', 'train'], root)).err).toMatch(/one of eval, augment/);
    expect((await cli(['slurm', '--', 'eval'], root)).err).toMatch(/--shards N is required/);
    expect((await cli(['slurm', '--shards', '2', '--time', '1 day', '--', 'eval', '--real', 'r', '--fake', 'f', '--out', 'j'], root)).err).toMatch(/--time value '1 day' must be one word/);
  });

  it('quotes arguments for bash', () => {
    const text = arrayScript({
      resources: { jobName: 'j', gpus: 0, extra: [] }, count: 2, array: '0-1', radix: ['/opt/node bin/node', 'radix.js'],
      command: ['eval', '--real', "it's here", '--metrics', 'fid,kid'], chdir: '/w', logs: '/w/logs', retries: 0, provenance: 'test',
    });
    expect(text).toContain(`'/opt/node bin/node' radix.js eval --real 'it'\\''s here' --metrics fid,kid --shard "$I/2"`);
    expect(text).toContain('-lt 0 ]; then');
  });
});
