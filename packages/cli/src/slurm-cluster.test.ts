// The real thing: a one-node Slurm cluster on localhost runs `radix slurm --submit` of a 4-task `radix eval --shard`
// array plus the dependent merge; one task fails on its first attempt and requeues itself; the merged metrics equal
// the unsharded run; deleting one partial and rerunning resubmits only that shard. Skipped (with the reason) when
// Slurm cannot start here; RADIX_REQUIRE_SLURM=1 (CI) turns that into a failure.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote } from './slurm-script.js';
import { pattern, tempDir, writePng } from './test-images.js';
import { startLocalSlurm, type LocalSlurm } from './test-slurm-cluster.js';

const REQUIRE = process.env.RADIX_REQUIRE_SLURM === '1';
const BIN = fileURLToPath(new URL('../bin/radix.js', import.meta.url));
const DIST = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
let cluster: LocalSlurm | undefined;
let why = '';

beforeAll(async () => {
  if (!existsSync(DIST)) why = `Slurm test: ${DIST} is not built (npx turbo run build)`;
  else {
    const c = await startLocalSlurm({ timeoutMs: 40_000, credExpire: 10 });
    if (typeof c === 'string') why = c;
    else cluster = c;
  }
  if (!cluster) {
    if (REQUIRE) throw new Error(`RADIX_REQUIRE_SLURM=1 but ${why}`);
    console.warn(`${why}\n(skipping the Slurm cluster test; install slurm-wlm and munge and run as root to run it)`);
  }
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
}, 30_000);

/** An ES module exporting a 12-d feature extractor (2×2 average pool per channel), importing the built packages. */
function extractorModule(dir: string): string {
  const req = createRequire(import.meta.url);
  const esm = (pkg: string) => pathToFileURL(join(realpathSync(dirname(req.resolve(pkg))), 'index.js')).href;
  const path = join(dir, 'pool-extractor.mjs');
  writeFileSync(path, [
    `import { F, nn } from ${JSON.stringify(esm('@radix/tensor-webgpu'))};`,
    `import { moduleExtractor } from ${JSON.stringify(esm('@radix/metrics'))};`,
    "export default () => moduleExtractor(new nn.Flatten(), { name: 'pool2x2', dim: 12, prepare: (x) => F.adaptiveAvgPool2d(x, 2) });",
    '',
  ].join('\n'));
  return path;
}

function radix(args: string[], env: Record<string, string> = {}, cwd?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, cwd, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function waitFor(c: LocalSlurm, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (c.client('squeue', ['-h', '-j', ids.join(','), '-o', '%i %T %r']).trim() === '') return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`jobs ${ids.join(', ')} still queued after ${timeoutMs / 1000} s:\n${c.client('squeue', ['-o', '%i %T %r'])}\n${c.logs()}`);
}

function submittedIds(stdout: string): { array?: string; merge: string } {
  const m = /submitted: (?:array job (\d+), )?merge job (\d+)/.exec(stdout);
  if (!m) throw new Error(`no job ids in:\n${stdout}`);
  return { ...(m[1] ? { array: m[1] } : {}), merge: m[2]! };
}

type Report = { metrics: { metric: string; value: number; std?: number }[] };
const values = (r: Report) => Object.fromEntries(r.metrics.map((m) => [m.metric, m.value]));

describe('radix slurm on a real one-node Slurm cluster', () => {
  it('4-task eval array + dependent merge equals the unsharded run; a failed task requeues; reruns redo only missing shards', async (ctx) => {
    if (!cluster) {
      ctx.skip(why);
      return;
    }
    const root = tempDir('slurm-real');
    const real = join(root, 'real');
    const fake = join(root, 'fake');
    mkdirSync(real);
    mkdirSync(fake);
    for (let i = 0; i < 8; i++) {
      writePng(join(real, `r${i}.png`), 16, 16, pattern(16, 16, i));
      writePng(join(fake, `f${i}.png`), 16, 16, pattern(16, 16, 30 + 2 * i));
    }
    const ext = extractorModule(root);
    const evalArgs = ['--real', real, '--fake', fake, '--metrics', 'fid,kid,pr', '--features', ext, '--kid-subsets', '3', '--kid-subset-size', '4', '--pr-k', '2', '--batch-size', '2', '--backend', 'cpu', '--quiet'];
    const plain = radix(['eval', ...evalArgs, '--json', join(root, 'plain.json')]);
    expect(plain.status, plain.stderr).toBe(0);
    // A radix that fails the first attempt of task 2 (as a crashed node would), then behaves.
    const flaky = join(root, 'flaky-radix.sh');
    writeFileSync(flaky, [
      '#!/bin/bash',
      `if [ "\${SLURM_ARRAY_TASK_ID:-}" = 2 ] && [ ! -e ${shellQuote(join(root, 'failed-once'))} ]; then touch ${shellQuote(join(root, 'failed-once'))}; echo "simulated failure" >&2; exit 7; fi`,
      `exec ${shellQuote(process.execPath)} ${shellQuote(BIN)} "$@"`, '',
    ].join('\n'));
    chmodSync(flaky, 0o755);
    const job = join(root, 'job');
    const slurmArgs = ['slurm', '--shards', '4', '--gpus', '0', '--mem', '300M', '--time', '00:10:00', '--cpus-per-task', '1', '--retries', '1', '--radix', flaky, '--submit', '--', 'eval', ...evalArgs, '--out', job, '--json', join(job, 'eval.json')];
    const t0 = Date.now();
    const sub = radix(slurmArgs, cluster.env, root);
    expect(sub.stderr).toBe('');
    expect(sub.status).toBe(0);
    expect(sub.stdout).toMatch(/shards to run: 0-3 \(4 of 4\)/);
    const ids = submittedIds(sub.stdout);
    expect(ids.array).toBeDefined();
    await waitFor(cluster, [ids.array!, ids.merge], 240_000);
    const seconds = (Date.now() - t0) / 1000;
    const logs = join(job, 'slurm', 'logs');
    const log2 = readFileSync(join(logs, `shard-${ids.array}_2.out`), 'utf8');
    expect(existsSync(join(root, 'failed-once'))).toBe(true);
    expect(log2).toMatch(/shard 2\/4 on .*, attempt 2/);
    expect(log2).toMatch(/eval shard 2\/4: wrote/);
    const mergeLog = readFileSync(join(logs, `merge-${ids.merge}.out`), 'utf8');
    expect(existsSync(join(job, 'eval.json')), `merge log:\n${mergeLog}\n${cluster.logs()}`).toBe(true);
    const a = values(JSON.parse(readFileSync(join(root, 'plain.json'), 'utf8')) as Report);
    const b = values(JSON.parse(readFileSync(join(job, 'eval.json'), 'utf8')) as Report);
    expect(Object.keys(b)).toEqual(['fid', 'kid', 'precision', 'recall']);
    expect(Math.abs(b.fid! - a.fid!)).toBeLessThanOrEqual(1e-12 * Math.max(1, a.fid!));
    expect([b.kid, b.precision, b.recall]).toEqual([a.kid, a.precision, a.recall]);
    console.info(`Slurm: 4 shards (one requeued) + merge in ${seconds.toFixed(1)} s; fid ${b.fid} vs ${a.fid} unsharded, kid ${b.kid}`);
    // Idempotent rerun: only the shard whose partial is gone is submitted again.
    rmSync(join(job, 'shards', '1-of-4', 'partial.json'));
    rmSync(join(job, 'eval.json'));
    const again = radix(slurmArgs, cluster.env, root);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/shards to run: 1 \(1 of 4\)/);
    expect(readFileSync(join(job, 'slurm', 'array.sbatch'), 'utf8')).toContain('#SBATCH --array=1\n');
    const ids2 = submittedIds(again.stdout);
    await waitFor(cluster, [ids2.array!, ids2.merge], 120_000);
    expect(readdirSync(logs).filter((f) => f.startsWith(`shard-${ids2.array}_`))).toEqual([`shard-${ids2.array}_1.out`]);
    expect(values(JSON.parse(readFileSync(join(job, 'eval.json'), 'utf8')) as Report)).toEqual(b);
  }, 420_000);
});
