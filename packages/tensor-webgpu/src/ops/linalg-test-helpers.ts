// Test-only helpers shared by linalg.test.ts and conv.test.ts: the hashed fixture inputs of
// tools/reference/gen_linalg.py, per-variant backend configs, the fixture suite and error bookkeeping.
import type { Backend } from '../backend/backend.js';
import { type LinalgVariant, setLinalgVariant } from '../backend/webgpu/linalg.js';
import { describe, expect, it } from 'vitest';
import type { FixtureCase, FixtureFile, FixtureTensor } from '../testing/index.js';
import { expectClose } from '../testing/index.js';
import { memory } from '../memory.js';
import { decode, fixtureTensor } from '../testing/index.js';
import { tensor } from './creation.js';
import type { Tensor } from '../tensor.js';

/**
 * Values in [-0.5, 0.5) from an integer hash, bit-identical to `hashed()` in gen_linalg.py.
 *
 * @example
 * hashedValues(4, 7); // Float32Array of 4 values
 */
export function hashedValues(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const s = Math.imul(seed, 40503);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 2654435761 | 0) + s + 12345) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
    h = Math.imul(h, 2246822519 | 0) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
    out[i] = (h >>> 8) / 16777216 - 0.5;
  }
  return out;
}

/** The input tensors of a fixture case (stored data or hashed specs). @example caseInputs(c, backend) */
export function caseInputs(c: FixtureCase, backend: Backend): Tensor[] {
  const specs = c.args.hashed as { shape: number[]; seed: number }[] | undefined;
  if (!specs) return c.inputs.map((t) => fixtureTensor(t, backend));
  return specs.map((s) => tensor(hashedValues(s.shape.reduce((a, b) => a * b, 1), s.seed), { shape: s.shape, backend }));
}

/** Expected shape and values, and the values of `data` to compare (all, or the sampled indices). @example caseCompare(c, data) */
export function caseCompare(c: FixtureCase, data: ArrayLike<number>): { shape: number[]; actual: number[]; expected: number[] } {
  const exp = c.expected as FixtureTensor;
  const sample = c.args.sample as number[] | undefined;
  if (!sample) return { shape: exp.shape, actual: Array.from(data), expected: decode(exp.data) };
  return { shape: c.args.outShape as number[], actual: sample.map((i) => data[i]!), expected: decode(exp.data) };
}

/** One backend with one forced kernel variant. */
export interface VariantConfig {
  label: string;
  backend: Backend;
  variant: LinalgVariant;
}

/** Every backend, and on WebGPU every kernel variant. @example variantConfigs(backends) */
export function variantConfigs(backends: Backend[]): VariantConfig[] {
  const out: VariantConfig[] = [];
  for (const b of backends) {
    if (b.name === 'cpu') out.push({ label: 'cpu', backend: b, variant: 'auto' });
    else for (const v of ['auto', 'tiled', 'direct', 'direct-nosg'] as const) out.push({ label: `webgpu/${v}`, backend: b, variant: v });
  }
  return out;
}

/** Runs `fn` with the given variant forced. @example await withVariant('tiled', async () => ...) */
export async function withVariant<T>(v: LinalgVariant, fn: () => Promise<T>): Promise<T> {
  const prev = setLinalgVariant(v);
  try {
    return await fn();
  } finally {
    setLinalgVariant(prev);
  }
}

/** Worst errors per label, printed by the suites after all cases. */
export class ErrorLog {
  readonly worst = new Map<string, { cases: number; maxAbs: number; maxRel: number }>();
  /** Records one compared case. */
  add(key: string, r: { maxAbs: number; maxRel: number }): void {
    const w = this.worst.get(key) ?? { cases: 0, maxAbs: 0, maxRel: 0 };
    this.worst.set(key, { cases: w.cases + 1, maxAbs: Math.max(w.maxAbs, r.maxAbs), maxRel: Math.max(w.maxRel, r.maxRel) });
  }
  /** One line per key. */
  report(): string {
    return [...this.worst].sort().map(([k, w]) => `${k}: ${w.cases} cases, max abs ${w.maxAbs.toExponential(2)}, max rel ${w.maxRel.toExponential(2)}`).join('\n');
  }
}

/**
 * Runs every fixture case on the CPU and on every WebGPU kernel variant: output shape, values within `tol` (logged
 * per op), and no leaked intermediates.
 *
 * @example
 * describeFixtureCases('conv fixtures', fixtures, backends, apply, log, { rtol: 1e-4, atol: 1e-5 });
 */
export function describeFixtureCases(
  title: string,
  fixtures: FixtureFile,
  backends: Backend[],
  apply: (op: string, args: Record<string, unknown>, ins: Tensor[]) => Tensor,
  log: ErrorLog,
  tol: { rtol: number; atol: number },
): void {
  describe.each(variantConfigs(backends).map((c) => [c.label, c] as const))(`${title} (%s)`, (label, cfg) => {
    it.each(fixtures.cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
      await withVariant(cfg.variant, async () => {
        const before = memory().liveTensors;
        const ins = caseInputs(c, cfg.backend);
        const out = apply(c.op, c.args, ins);
        const { shape, actual, expected } = caseCompare(c, await out.data());
        expect([...out.shape]).toEqual(shape);
        log.add(`${label} ${c.op}`, expectClose(actual, expected, tol, `${c.name} (${label})`));
        out.dispose();
        for (const t of ins) t.dispose();
        expect(memory().liveTensors, 'no leaked intermediates').toBe(before);
      });
    });
  });
}
