// profile(): per-kernel counts on every backend (exact), times present and consistent, the table's shape, the
// wall-clock replay on WebGPU, and RADIX_PROFILE=1 printing the table at exit in a child process.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testBackends } from './testing/index.js';
import { RadixError, profile, tensor, tidy, type Backend, type ProfileResult } from './index.js';

const backends = await testBackends();

/** 3 adds, 2 scalar multiplies and 1 sum: the kernel names each backend gives them. */
function work(b: Backend): number {
  return tidy(() => {
    const x = tensor([1, 2, 3, 4, 5, 6], { shape: [2, 3], backend: b });
    const y = tensor([6, 5, 4, 3, 2, 1], { shape: [2, 3], backend: b });
    let z = x.add(y).add(y).add(x);
    z = z.mul(2).mul(0.5);
    return z.sum().dispose(), 6;
  });
}

function expectConsistent(p: ProfileResult): void {
  let sum = 0;
  for (const k of p.kernels) {
    expect(k.timed).toBe(k.count);
    expect(k.totalMs).toBeGreaterThanOrEqual(0);
    expect(k.minMs).toBeLessThanOrEqual(k.meanMs + 1e-9);
    expect(k.meanMs).toBeLessThanOrEqual(k.maxMs + 1e-9);
    expect(k.meanMs * k.timed).toBeCloseTo(k.totalMs, 6);
    sum += k.totalMs;
  }
  expect(p.kernelMs).toBeCloseTo(sum, 6);
  if (sum > 0) expect(p.kernels.reduce((s, k) => s + k.percent, 0)).toBeCloseTo(100, 6);
  for (let i = 1; i < p.kernels.length; i++) expect(p.kernels[i - 1]!.totalMs).toBeGreaterThanOrEqual(p.kernels[i]!.totalMs);
  expect(p.calls).toBe(p.kernels.reduce((s, k) => s + k.count, 0));
  expect(p.wallMs).toBeGreaterThan(0);
}

describe.each(backends.map((b) => [b.name, b] as const))('profile on %s', (name, b) => {
  it('counts every kernel call and returns fn’s result', async () => {
    const p = await profile(() => work(b), { backend: b });
    expect(p.result).toBe(6);
    expect(p.backend).toBe(name);
    expect(p.device).toBe(b.info.description);
    const count = (k: string) => p.kernels.find((s) => s.name === k)?.count ?? 0;
    if (name === 'cpu') {
      expect(p.timing).toBe('cpu-wall');
      expect(count('binary_add')).toBe(3);
      expect(count('unary_mulScalar')).toBe(2);
      expect(count('reduce_sum')).toBe(1);
      expect(p.calls).toBe(6);
    } else {
      expect(p.timing).toBe(b.info.features.includes('timestamp-query') ? 'gpu-timestamps' : 'wall-replay');
      expect(count('binary_add_f32_f32_1_flatflat')).toBe(3);
      expect(count('unary_mulScalar_f32')).toBe(2);
      expect(p.kernels.filter((k) => k.name.startsWith('reduce_')).reduce((s, k) => s + k.count, 0)).toBeGreaterThanOrEqual(1);
    }
    expectConsistent(p);
  });

  it('formats a top-N table', async () => {
    const p = await profile(() => work(b), { backend: b });
    const lines = p.table(2).split('\n');
    expect(lines[0]).toBe(`${name} · ${b.info.description}`);
    expect(lines[1]).toContain(p.timingNote);
    expect(lines[1]).toContain(`${p.calls} calls`);
    expect(lines[2]!.split(/\s{2,}/)).toEqual(['Name', 'Calls', 'Total ms', 'Total %', 'Mean ms', 'Min ms', 'Max ms']);
    expect(lines[3]).toMatch(/^-+( +-+){6}$/);
    expect(lines[4]!.startsWith(p.kernels[0]!.name)).toBe(true);
    expect(lines[5]!.startsWith(p.kernels[1]!.name)).toBe(true);
    expect(lines[6]).toBe(`… ${p.kernels.length - 2} more kernels: ${p.kernels.slice(2).reduce((s, k) => s + k.count, 0)} calls, ${lines[6]!.split(', ')[1]}`);
    expect(lines).toHaveLength(7);
  });

  it('refuses to nest and leaves the backend unprofiled afterwards', async () => {
    await expect(profile(() => profile(() => 0, { backend: b }), { backend: b })).rejects.toThrow(RadixError);
    const p = await profile(() => work(b), { backend: b });
    const q = await profile(() => 0, { backend: b });
    expect(p.calls).toBeGreaterThan(0);
    expect(q.calls).toBe(0);
    expect(q.kernels).toEqual([]);
  });
});

const gpu = backends.find((b) => b.name === 'webgpu');

describe.skipIf(!gpu)('profile on webgpu, wall-clock replay', () => {
  it('times each distinct dispatch once and counts it per call', async () => {
    const p = await profile(() => work(gpu!), { backend: gpu!, timing: 'wall', replays: 2 });
    expect(p.timing).toBe('wall-replay');
    const add = p.kernels.find((k) => k.name === 'binary_add_f32_f32_1_flatflat')!;
    expect(add.count).toBe(3);
    // All three adds have the same sizes, parameters and grid: one replay, its time counted three times.
    expect(add.minMs).toBe(add.maxMs);
    expectConsistent(p);
  });

  it('does not change the tensors the profiled work computes', async () => {
    const x = tensor([1, 2, 3], { backend: gpu! });
    const p = await profile(() => x.mul(3), { backend: gpu!, timing: 'wall' });
    expect(Array.from(await p.result.data())).toEqual([3, 6, 9]);
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    p.result.dispose();
    x.dispose();
  });
});

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

describe('RADIX_PROFILE=1', () => {
  it('prints the kernel table to stderr when the process exits', () => {
    expect(existsSync(dist), `build the package first (npm run build): ${dist} is missing`).toBe(true);
    const script = `import { init, tensor } from ${JSON.stringify(dist)};
await init({ backend: 'cpu' });
const x = tensor([1, 2, 3]);
x.add(x).add(x);
process.exit(0);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { ...process.env, RADIX_PROFILE: '1' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const at = r.stderr.indexOf('[RADIX_PROFILE] kernels of this process');
    expect(at, r.stderr).toBeGreaterThanOrEqual(0);
    const lines = r.stderr.slice(at).trim().split('\n');
    expect(lines[1]).toMatch(/^cpu · CPU/);
    expect(lines[2]).toContain('CPU backend: wall time per primitive call; 2 calls');
    expect(lines[5]).toMatch(/^binary_add +2 /);
  });

  it('is off without the variable', () => {
    const script = `import { init, tensor } from ${JSON.stringify(dist)};
await init({ backend: 'cpu' });
tensor([1]).add(1);`;
    const env = { ...process.env };
    delete env.RADIX_PROFILE;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env, timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('RADIX_PROFILE');
  });
});
