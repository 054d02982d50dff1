// Backends for parametrised test suites: the CPU always, WebGPU when an adapter exists (required with RADIX_REQUIRE_WEBGPU=1).
import type { Backend } from '../backend/backend.js';
import { init } from '../backend/registry.js';
import { getBackend } from '../backend/registry.js';

let cached: Promise<Backend[]> | null = null;

/**
 * The backends a test suite should run on. With `RADIX_REQUIRE_WEBGPU=1` a missing WebGPU adapter
 * throws instead of silently testing the CPU only.
 *
 * @example
 * const backends = await testBackends();
 * describe.each(backends.map((b) => [b.name, b]))('%s', (_, b) => { ... });
 */
export function testBackends(): Promise<Backend[]> {
  cached ??= (async () => {
    const list: Backend[] = [await init({ backend: 'cpu' })];
    const require = typeof process !== 'undefined' && process.env?.RADIX_REQUIRE_WEBGPU === '1';
    const skip = typeof process !== 'undefined' && process.env?.RADIX_SKIP_WEBGPU === '1';
    if (!skip) {
      try {
        list.push(await init({ backend: 'webgpu' }));
      } catch (e) {
        if (require) throw new Error(`RADIX_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${(e as Error).message}`);
      }
    }
    await init({ backend: 'cpu' });
    return list;
  })();
  return cached;
}

/** The CPU reference backend. @example const cpu = cpuBackend(); */
export function cpuBackend(): Backend {
  return getBackend('cpu');
}
