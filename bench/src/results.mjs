// Where and how every bench script writes its results: bench/results/<name>-<device slug>-<date>, atomically.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The device's distinct lowercase description tokens, cut at a token boundary (e.g. mesa-software-llvmpipe-llvm-15-0-6-256-bits). */
export function deviceSlug(description) {
  const tokens = [...new Set(description.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean))];
  let slug = '';
  for (const t of tokens) {
    if (slug.length + t.length + 1 > 44) break;
    slug = slug ? `${slug}-${t}` : t;
  }
  return slug || 'device';
}

/** Path prefix (without extension) for a result file: `bench/results/[prefix-]<slug>-<date>[suffix]`. */
export function resultsBase(description, { prefix = '', suffix = '' } = {}) {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results'); // created by writeAtomic
  const date = new Date().toISOString().slice(0, 10);
  return join(dir, `${prefix ? `${prefix}-` : ''}${deviceSlug(description)}-${date}${suffix}`);
}

/** Writes `text` to `path` through a temporary file and a rename, so a result is never half-written. */
export function writeAtomic(path, text) {
  mkdirSync(dirname(path), { recursive: true }); // an --out folder that does not exist yet
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
