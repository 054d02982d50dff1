// Test helper: bundles the `radix` executable from the TypeScript sources (workspace packages stay external, so they
// resolve to their builds), into a folder inside the repository where node_modules can be found.
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Builds `src/bin.ts` into a fresh folder and returns the script path and a cleanup function.
 *
 * @example
 * const { script, cleanup } = await bundleCli();
 */
export async function bundleCli(): Promise<{ script: string; cleanup: () => void }> {
  const cache = fileURLToPath(new URL('../../../../node_modules/.cache/', import.meta.url));
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'radix-cli-'));
  chmodSync(dir, 0o755); // readable by the unprivileged user of the permission test
  const script = join(dir, 'radix.mjs');
  await build({
    entryPoints: [fileURLToPath(new URL('../bin.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, packages: 'external', logLevel: 'error',
  });
  return { script, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
