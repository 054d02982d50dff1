// `radix merge DIR` as a library call: finds which command wrote DIR/shards (augment and sample: shard.json and
// manifest.json, told apart by their tool; eval: partial.json) and runs that command's exact merge, returning the
// text the command prints.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AUGMENT_SHARD_RECORD, mergeAugmentShards, pickShardCount, shardsPresent } from './augment-shard.js';
import { UsageError } from './kit/errors.js';
import { shardDir } from './shard.js';

/** Options of {@link runMerge}. */
export interface MergeOptions {
  dir: string;
  /** Resolve `dir` against this (default process.cwd()). */
  cwd?: string;
  /** The shard count when several are present. */
  count?: number;
  allowMixed?: boolean;
  /** eval: where the merged JSON goes (default DIR/eval.json). */
  json?: string;
  /** eval: published numbers to compare with. */
  reference?: string;
  /** eval: backend of the merge (default: the shards'). */
  backend?: 'auto' | 'webgpu' | 'cpu';
}

function toolOf(path: string): string | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { tool?: unknown };
    return typeof v?.tool === 'string' ? v.tool : undefined;
  } catch {
    return undefined;
  }
}

/** Which command's shards a job folder holds (augment and sample both write shard.json and manifest.json: their `tool` tells). */
export function shardKind(dir: string, count: number): 'augment' | 'sample' | 'eval' | undefined {
  for (const i of shardsPresent(dir).get(count) ?? []) {
    const d = shardDir(dir, { index: i, count });
    for (const f of [AUGMENT_SHARD_RECORD, 'manifest.json']) {
      if (!existsSync(join(d, f))) continue;
      return toolOf(join(d, f)) === 'radix sample' ? 'sample' : 'augment';
    }
    if (existsSync(join(d, 'partial.json')) || existsSync(join(d, 'partial.safetensors'))) return 'eval';
  }
  return undefined;
}

/**
 * Merges the shards of DIR and returns the summary (augment) or the report (eval) that `radix merge` prints.
 *
 * @example
 * console.log(await runMerge({ dir: 'aug' }));
 */
export async function runMerge(o: MergeOptions): Promise<string> {
  const dir = resolve(o.cwd ?? process.cwd(), o.dir);
  if (!existsSync(dir)) throw new UsageError(`radix merge: '${o.dir}' does not exist`);
  const count = pickShardCount(dir, o.count);
  const kind = shardKind(dir, count);
  if (kind === 'augment') {
    const r = await mergeAugmentShards(dir, { count, allowMixed: o.allowMixed ?? false });
    const lines = [...r.warnings.map((w) => `warning: ${w}`), `merge: ${r.count} augment shards, ${r.sources} sources, ${r.files} files (${r.kept} already in place), manifest ${r.manifest}`];
    return lines.join('\n');
  }
  if (kind === 'sample') {
    const { mergeSampleShards } = await import('./sample-merge.js');
    const r = await mergeSampleShards(dir, { count, allowMixed: o.allowMixed ?? false });
    const lines = [...r.warnings.map((w) => `warning: ${w}`), `merge: ${r.count} sample shards, ${r.files} images${r.classes ? ` in ${r.classes} class folders` : ''} (${r.kept} already in place), manifest ${r.manifest}`];
    return lines.join('\n');
  }
  if (kind === 'eval') {
    const { mergeEvalShards } = await import('./eval-merge.js');
    const { formatReport } = await import('./eval.js');
    const result = await mergeEvalShards(dir, { count, allowMixed: o.allowMixed ?? false, json: o.json === undefined ? join(dir, 'eval.json') : resolve(o.cwd ?? process.cwd(), o.json), reference: o.reference, ...(o.backend ? { backend: o.backend } : {}) });
    return formatReport(result);
  }
  throw new UsageError(`radix merge: '${join(dir, 'shards')}' holds no finished shard of radix augment, radix sample or radix eval (count ${count})`);
}
