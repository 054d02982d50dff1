// Dawn's two limit warnings are filtered out of stderr (terminal or pipe) unless RADIX_VERBOSE=1; everything else
// printed during the filtered call still reaches stderr. Each case runs in a child process with stderr on a pipe.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { testBackends } from '../../testing/index.js';

/** Runs `node script`, its stderr on a shell pipe (a FIFO, as in a terminal pipeline; Node's own pipes are sockets). */
function viaShellPipe(script: string, env: Record<string, string> = {}): { code: number | null; stderr: string } {
  const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" 2>&1 >/dev/null | cat', process.execPath, script], {
    encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: '/tmp', ...env },
  });
  return { code: r.status, stderr: r.stdout };
}

const NOISE = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.';
let dir = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'radix-dawn-'));
  const entry = join(dir, 'entry.ts');
  const src = fileURLToPath(new URL('./dawn-stderr.ts', import.meta.url));
  writeFileSync(entry, [
    `import { writeSync } from 'node:fs';`,
    `import { loadStderrTools, withQuietDawn } from ${JSON.stringify(src)};`,
    `const tools = await loadStderrTools();`,
    `process.stderr.write('before\\n');`,
    `const v = withQuietDawn(tools, () => { writeSync(2, ${JSON.stringify(`${NOISE}\n`)} + 'a real driver error\\n'); return 42; });`,
    `process.stderr.write('after ' + v + '\\n');`,
  ].join('\n'));
  await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(dir, 'quiet.mjs'), logLevel: 'error' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Dawn stderr filter', () => {
  it('drops the two limit warnings, keeps every other line, and restores stderr', async () => {
    const r = viaShellPipe(join(dir, 'quiet.mjs'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('before\na real driver error\nafter 42\n');
  });

  it('leaves stderr alone with RADIX_VERBOSE=1', async () => {
    const r = viaShellPipe(join(dir, 'quiet.mjs'), { RADIX_VERBOSE: '1' });
    expect(r.stderr).toBe(`before\n${NOISE}\na real driver error\nafter 42\n`);
  });

  it('init on WebGPU prints no Dawn limit warning', async () => {
    if (!(await testBackends()).some((b) => b.name === 'webgpu')) return;
    // Inside the repository, so the bundle resolves the external 'webgpu' package (a native addon) from node_modules.
    const cache = fileURLToPath(new URL('../../../../../node_modules/.cache/', import.meta.url));
    mkdirSync(cache, { recursive: true });
    const script = join(mkdtempSync(join(cache, 'radix-dawn-')), 'init.mjs');
    const core = fileURLToPath(new URL('../../index.ts', import.meta.url));
    await build({ stdin: { contents: `import { init } from ${JSON.stringify(core)}; const b = await init({ backend: 'webgpu' }); process.stderr.write('backend ' + b.name + '\\n');`, resolveDir: dir, loader: 'ts' }, bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: script, external: ['webgpu'], logLevel: 'error' });
    const r = viaShellPipe(script);
    rmSync(dirname(script), { recursive: true, force: true });
    expect(r.stderr).toMatch(/^backend webgpu$/m);
    expect(r.stderr).not.toMatch(/artificially reduced/);
  });
});
