// Test helper: a real one-node Slurm cluster on localhost (Debian's slurm-wlm and munge) with everything — munge key,
// slurm.conf, state, spool, logs — in one temporary folder, started as child processes and stopped by their PIDs.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, hostname, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

/** A running cluster: its folder, the environment clients need (SLURM_CONF), and stop(). */
export interface LocalSlurm {
  dir: string;
  env: Record<string, string>;
  /** Runs a Slurm client (squeue, scontrol, …) against the cluster; returns stdout. */
  client(cmd: string, args: string[]): string;
  /** Daemon logs, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

const BINARIES = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'squeue', 'scontrol', 'sinfo', 'scancel'];

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Starts munged, slurmctld and slurmd on localhost, or returns why it cannot (not root, binaries missing, daemons not
 * coming up within `timeoutMs`). `credExpire` (seconds) also sets how long a requeued job waits before it restarts.
 *
 * @example
 * const c = await startLocalSlurm(); if (typeof c === 'string') console.warn(c); else await c.stop();
 */
export async function startLocalSlurm(options: { timeoutMs?: number; credExpire?: number } = {}): Promise<LocalSlurm | string> {
  if (process.platform !== 'linux') return 'Slurm test: not Linux';
  if (process.getuid?.() !== 0) return 'Slurm test: needs root (slurmd runs jobs as their submitter)';
  const missing = BINARIES.filter((b) => !which(b));
  if (missing.length > 0) return `Slurm test: ${missing.join(', ')} not installed (apt-get install slurm-wlm munge)`;
  const dir = mkdtempSync(join(tmpdir(), 'radix-slurm-'));
  chmodSync(dir, 0o700);
  for (const d of ['state', 'spool', 'log']) mkdirSync(join(dir, d));
  const key = join(dir, 'munge.key');
  writeFileSync(key, randomBytes(1024), { mode: 0o600 });
  const sock = join(dir, 'munge.sock');
  const children: ChildProcess[] = [];
  const out = (name: string) => openSync(join(dir, 'log', `${name}.out`), 'a');
  const start = (cmd: string, args: string[], name: string) => {
    const fd = out(name);
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.on('error', () => undefined);
    children.push(child);
    return child;
  };
  const node = hostname().split('.')[0]!;
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  const mem = Math.max(512, Math.floor((totalmem() / 2 ** 20) * 0.5));
  writeFileSync(conf, [
    'ClusterName=radixtest', `SlurmctldHost=${node}(127.0.0.1)`, `SlurmctldPort=${ctldPort}`, `SlurmdPort=${dPort}`,
    'SlurmUser=root', 'SlurmdUser=root', 'AuthType=auth/munge', 'CredType=cred/munge', `AuthInfo=socket=${sock},cred_expire=${options.credExpire ?? 10}`,
    `StateSaveLocation=${join(dir, 'state')}`, `SlurmdSpoolDir=${join(dir, 'spool')}`,
    `SlurmctldPidFile=${join(dir, 'slurmctld.pid')}`, `SlurmdPidFile=${join(dir, 'slurmd.pid')}`,
    `SlurmctldLogFile=${join(dir, 'log', 'slurmctld.log')}`, `SlurmdLogFile=${join(dir, 'log', 'slurmd.log')}`,
    'ProctrackType=proctrack/linuxproc', 'TaskPlugin=task/none', 'SelectType=select/cons_tres', 'SelectTypeParameters=CR_CPU',
    'JobAcctGatherType=jobacct_gather/none', 'AccountingStorageType=accounting_storage/none', 'MpiDefault=none', 'SwitchType=switch/none',
    'ReturnToService=2', 'SchedulerType=sched/backfill', 'MinJobAge=600', 'SlurmctldDebug=info', 'SlurmdDebug=info',
    `NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus().length} RealMemory=${mem} State=UNKNOWN`,
    'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP', '',
  ].join('\n'));
  const env = { SLURM_CONF: conf };
  const logs = () => ['munged.out', 'slurmctld.log', 'slurmd.log', 'slurmctld.out', 'slurmd.out'].map((f) => {
    const p = join(dir, 'log', f);
    return existsSync(p) ? `--- ${f}\n${readFileSync(p, 'utf8').split('\n').slice(-15).join('\n')}` : '';
  }).join('\n');
  const client = (cmd: string, args: string[]): string => {
    const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 20_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}`);
    return r.stdout;
  };
  const stop = async (): Promise<void> => {
    try {
      client('scancel', ['--full', '--user=root']);
    } catch {
      // nothing queued, or the controller is already down
    }
    for (const c of children.reverse()) await stopChild(c);
    rmSync(dir, { recursive: true, force: true });
  };
  start('munged', ['-F', '-f', `--key-file=${key}`, `--socket=${sock}`, `--pid-file=${join(dir, 'munged.pid')}`, `--log-file=${join(dir, 'log', 'munged.log')}`, `--seed-file=${join(dir, 'munge.seed')}`], 'munged');
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!existsSync(sock) && Date.now() < deadline) await sleep(100);
  if (!existsSync(sock)) {
    const why = logs();
    await stop();
    return `Slurm test: munged did not start\n${why}`;
  }
  start('slurmctld', ['-D', '-c', '-f', conf], 'slurmctld');
  start('slurmd', ['-D', '-f', conf, '-N', node], 'slurmd');
  while (Date.now() < deadline) {
    try {
      if (/idle/.test(client('sinfo', ['-h', '-o', '%T']))) return { dir, env, client, logs, stop };
    } catch {
      // controller not answering yet
    }
    if (children.some((c) => c.exitCode !== null)) break;
    await sleep(300);
  }
  const why = logs();
  await stop();
  return `Slurm test: the daemons did not bring the node up within ${(options.timeoutMs ?? 30_000) / 1000} s\n${why}`;
}
