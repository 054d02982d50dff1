// Runs a Node script in a child process and measures it (exit, signal, wall time, peak RSS), killing it past a hard
// time or memory cap, so regression suites can assert "refused within N s and M bytes" without risking the host.

/** What {@link runBoundedChild} observed. */
export interface BoundedChildResult {
  code: number | null;
  signal: string | null;
  stdout: string;
  /** The last 4,000 characters of stderr. */
  stderr: string;
  wallSeconds: number;
  /** Highest VmRSS seen by polling /proc (Linux), in bytes; 0 where /proc is unavailable. */
  polledRss: number;
  /** Whether the child was killed for passing `killAfterSeconds` or `killAboveRss`. */
  killed: 'time' | 'memory' | null;
}

/** Options of {@link runBoundedChild}. */
export interface BoundedChildOptions {
  /** Kill the child after this many seconds (default 60). */
  killAfterSeconds?: number;
  /** Kill the child when its RSS passes this many bytes (default 3e9). */
  killAboveRss?: number;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Working directory. */
  cwd?: string;
  /** Text written to the child's stdin (default none). */
  input?: string;
  /** A command the node invocation runs under, e.g. `['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']`. */
  prefix?: readonly string[];
}

/**
 * Runs `node script ...args` and resolves when it exits, with its outputs, wall time and polled peak RSS.
 * Node only (the child_process module is imported lazily, so importing this file is browser-safe).
 *
 * @example
 * const r = await runBoundedChild('case.mjs', ['bomb.pth'], { killAfterSeconds: 40 });
 * expect(r.signal).toBeNull();
 */
export async function runBoundedChild(script: string, args: readonly string[], options: BoundedChildOptions = {}): Promise<BoundedChildResult> {
  const { spawn } = await import('node:child_process');
  const { readFileSync } = await import('node:fs');
  const killAfter = options.killAfterSeconds ?? 60;
  const killAbove = options.killAboveRss ?? 3e9;
  return new Promise((resolve) => {
    const t0 = performance.now();
    const argv = [...(options.prefix ?? []), process.execPath, script, ...args];
    const child = spawn(argv[0]!, argv.slice(1), {
      stdio: ['pipe', 'pipe', 'pipe'], cwd: options.cwd, env: { ...process.env, XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? '/tmp', ...options.env },
    });
    child.stdin.end(options.input ?? '');
    let stdout = '';
    let stderr = '';
    let polledRss = 0;
    let killed: BoundedChildResult['killed'] = null;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const poll = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) polledRss = Math.max(polledRss, Number(m[1]) * 1024);
        if (polledRss > killAbove && !killed) {
          killed = 'memory';
          child.kill('SIGKILL');
        }
      } catch {
        // exited, or no /proc
      }
    }, 25);
    const timer = setTimeout(() => {
      killed = 'time';
      child.kill('SIGKILL');
    }, killAfter * 1000);
    // 'close' comes after the exit, once stdout and stderr are drained.
    child.on('close', (code, signal) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr: stderr.slice(-4000), wallSeconds: (performance.now() - t0) / 1000, polledRss, killed });
    });
  });
}
