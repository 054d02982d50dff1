// One writer per output folder: a lock file created exclusively in OUT names its owner (pid, host, start time); a
// second process is refused, and a lock left by a process that no longer exists is taken over with a message.
import { hostname } from 'node:os';
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** The lock file's name inside the output folder. */
export const LOCK_FILE = '.radix-augment.lock';

/** What the lock file records. */
export interface LockOwner {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The process's start time in clock ticks since boot (Linux /proc), to tell a reused pid apart; null elsewhere. */
  startTicks: number | null;
  token: string;
}

/** A held lock. */
export interface OutputLock {
  path: string;
  owner: LockOwner;
  /** Set when a stale lock was taken over: what happened, for the user. */
  tookOver: string | null;
  /** Throws when the lock file is no longer ours (another process broke it); call before each write. */
  check(): void;
  /** Removes the lock if it is still ours. */
  release(): void;
}

/** Start time (clock ticks since boot) of a process, from /proc; null when unknown. */
function startTicks(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = Number(fields[19]);
    return Number.isFinite(v) ? v : null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `owner` is still running (same host only; another host's lock counts as alive). */
function alive(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists; if it started at another time it is a different process that reused the number.
  const now = startTicks(owner.pid);
  return owner.startTicks === null || now === null || now === owner.startTicks;
}

function readOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

function tryCreate(path: string, owner: LockOwner): boolean {
  try {
    writeFileSync(path, `${JSON.stringify(owner)}\n`, { flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new Error(`cannot create the lock file '${path}': ${(e as Error).message}`);
  }
}

/**
 * Takes the lock of output folder `dir` for this process, or throws naming the process that holds it. A lock whose
 * process is gone (no such pid on this host, or the pid now belongs to a process started later) is taken over;
 * `tookOver` then says so. Only one of several processes racing for a stale lock wins (the takeover renames the stale
 * file away first, which only one rename can do).
 *
 * @example
 * const lock = acquireOutputLock('aug');
 * try { … } finally { lock.release(); }
 */
export function acquireOutputLock(dir: string, what = 'radix augment'): OutputLock {
  const path = join(dir, LOCK_FILE);
  const owner: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString(), startTicks: startTicks(process.pid), token: randomBytes(8).toString('hex') };
  let tookOver: string | null = null;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(path, owner)) {
      return {
        path, owner, tookOver,
        check() {
          const now = readOwner(path);
          if (now?.token !== owner.token) {
            throw new Error(`lost the lock of output folder '${dir}'${now ? ` to pid ${now.pid} on ${now.host}` : ' (its lock file was removed)'}; stopping so two processes never write one folder`);
          }
        },
        release() {
          if (readOwner(path)?.token === owner.token) rmSync(path, { force: true });
        },
      };
    }
    const held = readOwner(path);
    if (held && alive(held)) {
      throw new Error(`output folder '${dir}' is in use by another ${what} (pid ${held.pid} on ${held.host}, since ${held.since}); ` +
        `wait for it to finish, or delete '${path}' if that process is gone`);
    }
    // Stale (or unreadable): move it aside — only one racing process can rename this file — then retry the create.
    const aside = `${path}.stale-${owner.token}`;
    try {
      renameSync(path, aside);
    } catch {
      continue; // another process moved it first; look again
    }
    const moved = readOwner(aside);
    if (moved && held && moved.token !== held.token && alive(moved)) {
      // We moved a lock taken between our read and our rename: put it back (never over a newer one; if that fails its
      // owner finds its lock gone at its next check() and stops) and report the folder as busy.
      try {
        linkSync(aside, path);
      } catch {
        // another lock is there now
      }
      rmSync(aside, { force: true });
      throw new Error(`output folder '${dir}' is in use by another ${what} (pid ${moved.pid} on ${moved.host}, since ${moved.since})`);
    }
    rmSync(aside, { force: true });
    tookOver = held
      ? `took over the lock of pid ${held.pid} on ${held.host} (since ${held.since}), which is no longer running`
      : `replaced an unreadable lock file '${path}'`;
  }
  throw new Error(`cannot take the lock '${path}' (it keeps changing: several processes are starting in '${dir}')`);
}
