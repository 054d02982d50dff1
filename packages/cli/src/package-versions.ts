// Versions of the workspace packages a result depends on, recorded by sharded runs so `radix merge` can refuse
// partial results produced by different code.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { cliVersion } from './dispatch.js';

/**
 * Version of an installed package, from the package.json next to its entry point ('unknown' when not found).
 *
 * @example
 * packageVersion('@radix/metrics'); // '0.1.0'
 */
export function packageVersion(name: string): string {
  try {
    const main = createRequire(import.meta.url).resolve(name);
    return (JSON.parse(readFileSync(join(dirname(main), '..', 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * The versions of @radix/cli and the given packages, e.g. `{ radix: '0.1.0', '@radix/metrics': '0.1.0' }`.
 *
 * @example
 * const v = radixVersions(['@radix/metrics', '@radix/tensor-webgpu']);
 */
export function radixVersions(packages: readonly string[]): Record<string, string> {
  return { radix: cliVersion(), ...Object.fromEntries(packages.map((p) => [p, packageVersion(p)])) };
}
