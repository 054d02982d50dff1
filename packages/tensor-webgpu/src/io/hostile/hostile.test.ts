// The hostile-checkpoint corpus (Radix issue 12): every case runs in its own Node process, which must finish within
// 20 s and 1.5 GB peak RSS, by signal never, with a RadixError naming the file, the key and the limit (or load cleanly).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBoundedChild } from '../../testing/index.js';
import { HOSTILE_CASES } from './corpus.js';
import type { CaseOutcome } from './run-case.js';

/** The acceptance bounds of the issue: seconds and peak resident bytes per case. */
const MAX_SECONDS = 20;
const MAX_RSS_BYTES = 1.5e9;

let dir = '';
let runner = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'radix-hostile-'));
  runner = join(dir, 'run-case.mjs');
  // Bundle the child entry from the TypeScript sources (not dist/), so the corpus tests the code under test.
  await build({
    entryPoints: [fileURLToPath(new URL('./run-case.ts', import.meta.url))],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: runner, external: ['webgpu'], logLevel: 'error',
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('hostile checkpoints, each in a child process', () => {
  it.each(HOSTILE_CASES.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const path = c.build(dir);
    const r = await runBoundedChild(runner, [c.api, path, JSON.stringify(c.options ?? {})], { killAfterSeconds: 2 * MAX_SECONDS, killAboveRss: 2 * MAX_RSS_BYTES });
    try {
      expect(r.killed, `killed for ${r.killed}`).toBeNull();
      expect(r.signal, `killed by a signal; stderr: ${r.stderr}`).toBeNull();
      expect(r.code, r.stderr).toBe(0);
      const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as CaseOutcome;
      if ('error' in c.expect) {
        expect(o.ok, `expected a refusal, got ${o.summary}`).toBe(false);
        expect(o.errorName).toBe('RadixError');
        expect(o.message).toContain(path);
        expect(o.message).toMatch(c.expect.error);
      } else {
        expect(o.ok, o.message).toBe(true);
        expect(o.summary).toMatch(c.expect.ok);
      }
      expect(r.wallSeconds).toBeLessThan(MAX_SECONDS);
      expect(Math.max(o.maxRss, r.polledRss)).toBeLessThan(MAX_RSS_BYTES);
    } finally {
      rmSync(path, { force: true });
    }
  });
});
