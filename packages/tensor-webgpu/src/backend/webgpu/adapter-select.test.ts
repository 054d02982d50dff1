// RADIX_WEBGPU_ADAPTER picks the WebGPU adapter by device name (Dawn's adapter= flag), in child processes against the
// built package (the Dawn instance is created once per process): a matching name selects it, another name fails
// listing the adapters Dawn found.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testBackends } from '../../testing/index.js';

const backends = await testBackends();
const gpu = backends.find((b) => b.name === 'webgpu');
const dist = fileURLToPath(new URL('../../../dist/index.js', import.meta.url));

function initWith(adapter: string): { status: number | null; stdout: string; stderr: string } {
  const code = `import { init } from ${JSON.stringify(pathToFileURL(dist).href)};
try { const b = await init({ backend: 'webgpu' }); console.log('OK ' + b.info.description); }
catch (e) { console.log('ERR ' + e.message.replace(/\\n/g, ' | ')); }`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, RADIX_WEBGPU_ADAPTER: adapter } });
}

describe.skipIf(!gpu)('RADIX_WEBGPU_ADAPTER', () => {
  it('selects the adapter whose name contains it, and lists the adapters when none does', () => {
    expect(existsSync(dist), `build the package first (npm run build): ${dist} is missing`).toBe(true);
    const none = initWith('no-such-adapter-4f1c');
    expect(none.stdout).toMatch(/^ERR .*Available adapters: \|\s+\* backend: '\w+', name: '/);
    // The listed name of the first adapter, as Dawn reports it, selects that adapter.
    const name = /name: '([^']+)'/.exec(none.stdout)![1]!;
    const word = name.split(/[\s(]/)[0]!;
    const ok = initWith(word);
    expect(ok.stdout, ok.stderr).toMatch(/^OK /);
    expect(ok.stdout.toLowerCase()).toContain(word.toLowerCase());
  }, 120_000);
});
