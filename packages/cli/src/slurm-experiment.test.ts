// `radix slurm -- experiment`: one array per stage (data, generate per variant, classify per variant × seed, report),
// each submitted after the one before with afterok, listing only unfinished jobs; and `radix experiment --stage S
// --shard i/n`, which the array tasks run. sbatch is a stand-in that records its arguments.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './dispatch.js';
import { shellQuote } from './slurm-script.js';
import { tempDir } from './test-images.js';
import { readJobManifest } from './workflow/experiment-jobs.js';

async function cli(argv: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) }, env, cwd });
  return { code, out: out.join(''), err: err.join('') };
}

describe('radix slurm -- experiment', () => {
  it('chains data → generate → classify (variant × seed) → report arrays; reruns submit only unfinished jobs', async () => {
    const root = tempDir('slurm-exp');
    writeFileSync(join(root, 'e.json'), JSON.stringify({ name: 'e', variants: [{ kind: 'real' }, { kind: 'rudi', perClass: 2 }], seeds: [1, 2] }));
    const log = join(root, 'sbatch.log');
    const bin = join(root, 'sbatch');
    writeFileSync(bin, `#!/bin/bash\nprintf '%s\\n' "$*" >> ${shellQuote(log)}\necho "$((500 + $(wc -l < ${shellQuote(log)})))"\n`);
    chmodSync(bin, 0o755);
    const calls = () => readFileSync(log, 'utf8').trim().split('\n');
    const args = ['slurm', '--partition', 'gpu', '--time', '02:00:00', '--radix', 'radix', '--submit', '--', 'experiment', 'e.json', '--out', 'run'];
    const r = await cli(args, root, { RADIX_SBATCH: bin });
    expect(r.err).toBe('');
    expect(r.out).toMatch(/classify: 4 job\(s\), to run: 0-3 \(classify-real-seed1, classify-real-seed2, classify-rudi-seed1, classify-rudi-seed2\); submitted as job 503/);
    const run = join(root, 'run');
    const s = (stage: string) => join(run, 'slurm', `experiment-${stage}.sbatch`);
    expect(calls()).toEqual([
      `--parsable ${s('data')}`,
      `--parsable --dependency=afterok:501 --kill-on-invalid-dep=yes ${s('generate')}`,
      `--parsable --dependency=afterok:502 --kill-on-invalid-dep=yes ${s('classify')}`,
      `--parsable --dependency=afterok:503 --kill-on-invalid-dep=yes ${s('report')}`,
    ]);
    const classify = readFileSync(s('classify'), 'utf8');
    expect(classify).toContain('#SBATCH --array=0-3');
    expect(classify).toContain('#SBATCH --gres=gpu:1');
    expect(classify).toContain(`radix experiment ${join(root, 'e.json')} --out ${run} --stage classify --shard "$I/4"`);
    expect(readFileSync(s('data'), 'utf8')).not.toContain('--gres');
    expect(readFileSync(s('report'), 'utf8')).toContain('--stage report --shard "$I/1"');
    // What an array task of the data stage runs.
    const d = await cli(['experiment', 'e.json', '--out', 'run', '--stage', 'data', '--shard', '0/1', '--quiet'], root);
    expect(d.err).toBe('');
    expect(d.out).toMatch(/experiment e: 1 job\(s\) run/);
    expect(readJobManifest(run, 'data')?.status).toBe('done');
    expect((await cli(['experiment', 'e.json', '--out', 'run', '--shard', '0/1'], root)).err).toMatch(/--shard needs --stage/);
    // Rerun: data is finished, so generate is the first array and has no dependency.
    const again = await cli(args, root, { RADIX_SBATCH: bin });
    expect(again.out).toMatch(/data: 1 job\(s\), all finished/);
    expect(calls().slice(4)).toEqual([
      `--parsable ${s('generate')}`,
      `--parsable --dependency=afterok:505 --kill-on-invalid-dep=yes ${s('classify')}`,
      `--parsable --dependency=afterok:506 --kill-on-invalid-dep=yes ${s('report')}`,
    ]);
    expect(existsSync(join(run, 'slurm', 'submit.sh'))).toBe(true);
    expect((await cli(['slurm', '--shards', '2', '--', 'experiment', 'e.json'], root)).err).toMatch(/leave out --shards/);
    expect((await cli(['slurm', '--', 'experiment', 'e.json', '--stage', 'data'], root)).err).toMatch(/leave out --stage/);
  }, 120_000);
});
