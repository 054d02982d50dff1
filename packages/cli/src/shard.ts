// `--shard i/n`: which part of a bulk job one process does (a Slurm array task, one of n), where it writes, and the
// digest that lets `radix merge` check every shard saw the same inputs. Assignment depends only on i, n and the inputs.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './kit/errors.js';

/** One shard of n: `index` in [0, count). */
export interface Shard {
  index: number;
  count: number;
}

/**
 * Parses `i/n` (0 ≤ i < n); the index may be `$SLURM_ARRAY_TASK_ID` already expanded by the shell.
 *
 * @example
 * parseShard('2/4'); // { index: 2, count: 4 }
 */
export function parseShard(text: string | undefined, flag = 'shard'): Shard | undefined {
  if (text === undefined) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`--${flag} expects i/n with 0 ≤ i < n (e.g. 0/4, or $SLURM_ARRAY_TASK_ID/4), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`--${flag}: the shard count must be ≥ 1, got '${text}'`);
  if (!Number.isSafeInteger(index) || index >= count) throw new UsageError(`--${flag}: the shard index must be in [0, ${count - 1}], got '${text}'`);
  return { index, count };
}

/**
 * The folder name of a shard's own area, `i-of-n`.
 *
 * @example
 * shardName({ index: 2, count: 4 }); // '2-of-4'
 */
export function shardName(s: Shard): string {
  return `${s.index}-of-${s.count}`;
}

/**
 * Where shard `s` of a job writing into `out` keeps everything it writes: `out/shards/i-of-n`.
 *
 * @example
 * shardDir('results', { index: 0, count: 4 }); // 'results/shards/0-of-4'
 */
export function shardDir(out: string, s: Shard): string {
  return join(out, 'shards', shardName(s));
}

/**
 * Contiguous block `[start, end)` of `total` items for shard `s`, in whole blocks of `block` items (block 1: single
 * items). Concatenating the shards in index order gives the items in their original order; with `block` equal to a
 * batch size every shard's batches are exactly the unsharded run's batches, so per-image results are bit-identical.
 *
 * @example
 * shardRange(10, { index: 1, count: 3 }, 2); // [4, 6]: batches [0,2) [2,4) | [4,6) | [6,8) [8,10)
 */
export function shardRange(total: number, s: Shard, block = 1): [number, number] {
  const blocks = Math.ceil(total / block);
  const b0 = Math.floor((s.index * blocks) / s.count);
  const b1 = Math.floor(((s.index + 1) * blocks) / s.count);
  return [Math.min(total, b0 * block), Math.min(total, b1 * block)];
}

/**
 * SHA-256 over the names and byte sizes of the files of a folder (in the given order): two shards that saw different
 * folder contents (a file added, removed, renamed or rewritten with another size) get different digests.
 *
 * @example
 * const d = inputDigest('/data/real', listImageFolder('/data/real').names);
 */
export function inputDigest(dir: string, names: readonly string[]): string {
  const h = createHash('sha256');
  for (const n of names) {
    let size = -1;
    try {
      size = statSync(join(dir, n)).size;
    } catch {
      // an unreadable file digests as size -1; the command reading it fails on its own
    }
    h.update(`${n}\0${size}\n`);
  }
  return h.digest('hex');
}

/**
 * The indices in [0, count) that `done` does not accept, as Slurm's `--array` list (`0-3,7,9-10`), or '' when none.
 *
 * @example
 * arrayList([0, 1, 2, 5]); // '0-2,5'
 */
export function arrayList(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(j === i ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}
