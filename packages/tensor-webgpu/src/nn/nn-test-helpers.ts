// Test helpers for the nn/optim suites: load the named-tensor fixtures of tools/reference/gen_nn.py, compare
// tensors with them, and collect the worst errors per family and backend for the final report.
import { readFileSync } from 'node:fs';
import type { Backend } from '../backend/backend.js';
import { type CompareResult, expectClose } from '../testing/compare.js';
import { type FixtureTensor, decode, fixtureTensor } from '../testing/fixtures.js';
import type { Tensor } from '../tensor.js';

/** One case of fixtures/nn/*.json: named input tensors and named expected outputs. */
export interface NnCase {
  name: string;
  op: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  args: Record<string, any>;
  tensors: Record<string, FixtureTensor>;
  expected: Record<string, FixtureTensor | unknown>;
}

/**
 * The cases of `fixtures/nn/<file>.json`.
 *
 * @example
 * const cases = loadNnFixture('modules');
 */
export function loadNnFixture(file: 'modules' | 'losses' | 'optim'): NnCase[] {
  return JSON.parse(readFileSync(new URL(`../../fixtures/nn/${file}.json`, import.meta.url), 'utf8')).cases as NnCase[];
}

/** Tensor `name` of a case on `backend`. @example input(c, 'x', backend) */
export function input(c: NnCase, name: string, backend: Backend): Tensor {
  const f = c.tensors[name];
  if (!f) throw new Error(`${c.name}: no tensor '${name}'`);
  return fixtureTensor(f, backend);
}

/** Expected tensor `name` of a case. @example expected(c, 'y') */
export function expected(c: NnCase, name: string): FixtureTensor {
  const f = c.expected[name] as FixtureTensor | undefined;
  if (!f || !Array.isArray(f.shape)) throw new Error(`${c.name}: no expected tensor '${name}'`);
  return f;
}

const worst = new Map<string, { maxAbs: number; maxRel: number; n: number }>();

/** Records a comparison under `family` (reported by {@link reportErrors}). @example note('adam cpu', r) */
export function note(family: string, r: CompareResult): void {
  const w = worst.get(family) ?? { maxAbs: 0, maxRel: 0, n: 0 };
  w.maxAbs = Math.max(w.maxAbs, r.maxAbs);
  w.maxRel = Math.max(w.maxRel, r.maxRel);
  w.n++;
  worst.set(family, w);
}

/**
 * Reads `actual` and checks shape and values against the fixture tensor; records the errors under `family`.
 *
 * @example
 * await expectTensor(y, expected(c, 'y'), 'conv2d cpu');
 */
export async function expectTensor(actual: Tensor, exp: FixtureTensor, family: string, label: string, tol: { rtol?: number; atol?: number } = {}): Promise<CompareResult> {
  if (actual.shape.length !== exp.shape.length || actual.shape.some((d, i) => d !== exp.shape[i])) {
    throw new Error(`${label}: shape [${actual.shape.join(', ')}] differs from expected [${exp.shape.join(', ')}]`);
  }
  const r = expectClose(Array.from(await actual.data()), decode(exp.data), { rtol: 1e-4, atol: 1e-5, ...tol }, label);
  note(family, r);
  return r;
}

/** Prints the worst errors per family (shown in the vitest output). @example afterAll(reportErrors) */
export function reportErrors(): void {
  const lines = [...worst].sort(([a], [b]) => a.localeCompare(b)).map(([k, w]) => `  ${k}: ${w.n} comparisons, max abs ${w.maxAbs.toExponential(2)}, max rel ${w.maxRel.toExponential(2)}`);
  if (lines.length) console.log(`worst errors vs PyTorch:\n${lines.join('\n')}`);
  worst.clear();
}
