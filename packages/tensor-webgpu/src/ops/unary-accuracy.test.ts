// Accuracy audit of every float unary op and its gradient against float64 on each backend, over the whole domain
// (subnormal, tiny, ordinary and huge inputs, ±0, ±inf, NaN); the measured worst errors are pinned in UNARY_ACCURACY.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../backend/backend.js';
import { erf64, erfc64 } from '../backend/cpu/erf.js';
import { testBackends } from '../testing/index.js';
import { tensor } from './creation.js';
import { type Region, UNARY_REFERENCES, errorOf, regionOf, rootOf, unaryGrid } from './unary-accuracy-reference.js';
import { type AccuracyBounds, type RegionBounds, UNARY_ACCURACY } from './unary-accuracy-table.js';

const backends = await testBackends();
/** `RADIX_UPDATE_ACCURACY=1` rewrites unary-accuracy-table.ts and the table in docs/numerics.md from this run. */
const UPDATE = process.env.RADIX_UPDATE_ACCURACY === '1';
const scipy = JSON.parse(readFileSync(new URL('../../fixtures/erf-reference.json', import.meta.url), 'utf8')) as {
  x: number[]; erf: number[]; erfc: number[];
};

/** Worst error per region of one op on one backend, and the input where it occurred. */
interface Measured {
  worst: Record<Region, number>;
  at: Record<Region, number>;
  /** Inputs ±0, ±inf, NaN whose result differs in kind or value from float64. */
  specials: string[];
}

function measure(xs: Float32Array, ys: ArrayLike<number>, ref: (x: number) => number, root = NaN): Measured {
  const worst = { subnormal: 0, tiny: 0, ordinary: 0, huge: 0 };
  const at = { subnormal: NaN, tiny: NaN, ordinary: NaN, huge: NaN };
  const specials: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const r = ref(x);
    const y = ys[i]!;
    let e = errorOf(y, r);
    if (Math.abs(x - root) < 0.25 && Number.isFinite(e) && Math.abs(r) < 2 ** -8) e = Math.abs(y - r) * 2 ** 8;
    if (!Number.isFinite(x)) {
      if (e > 2 ** -22) specials.push(`f(${x}) = ${y} (float64: ${r})`);
      continue;
    }
    const reg = x === 0 ? 'tiny' : regionOf(x);
    if (e > worst[reg] || Number.isNaN(at[reg])) {
      if (e >= worst[reg]) at[reg] = x;
      worst[reg] = Math.max(worst[reg], e);
    }
  }
  return { worst, at, specials };
}

const REGIONS: Region[] = ['subnormal', 'tiny', 'ordinary', 'huge'];
const measured: Record<string, { cpu?: AccuracyBounds; webgpu?: AccuracyBounds }> = {};
const report: string[] = [];
const fmt = (v: number): string => (v === 0 ? '0' : v === Infinity ? '∞' : v.toExponential(1));
/** Rounded up to two significant digits (a pin is an upper bound of what was measured). */
const up2 = (v: number): number => {
  if (v === 0 || !Number.isFinite(v)) return v;
  const p = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Number((Math.ceil(v / p - 1e-9) * p).toPrecision(2));
};
const bounds = (m: Measured): RegionBounds => REGIONS.map((r) => up2(m.worst[r])) as RegionBounds;

describe('float64 erf reference', () => {
  it('agrees with mpmath erf/erfc to 1e-12', () => {
    for (let i = 0; i < scipy.x.length; i++) {
      const x = scipy.x[i]!;
      expect(Math.abs(erf64(x) - scipy.erf[i]!), `erf(${x})`).toBeLessThanOrEqual(1e-12 * Math.abs(scipy.erf[i]!) + 1e-300);
      expect(Math.abs(erfc64(x) - scipy.erfc[i]!), `erfc(${x})`).toBeLessThanOrEqual(1e-12 * Math.abs(scipy.erfc[i]!) + 1e-300);
    }
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('unary accuracy vs float64 on %s', (name, backend: Backend) => {
  const grid = unaryGrid();
  // The pins were measured on Mesa's lavapipe; other adapters may round division and sqrt differently (WGSL allows
  // 2.5 ULP), so there the pins are checked with 4× slack.
  const slack = name === 'webgpu' && !/llvmpipe/i.test(backend.info.description) ? 4 : 1;
  for (const spec of UNARY_REFERENCES) {
    it(spec.name, async () => {
      const xs = Float32Array.from([...grid, ...(spec.extra ?? [])]);
      const x = tensor(xs, { backend });
      const y = spec.call(x);
      const fwd = measure(xs, (await y.data()) as Float32Array, spec.f);
      y.dispose();
      let bwd: Measured | null = null;
      if (spec.df) {
        // Gradients at finite non-zero inputs inside the domain (where f is not NaN).
        const fin = xs.filter((v) => Number.isFinite(v) && v !== 0 && !Number.isNaN(spec.f(v)));
        const xg = tensor(fin, { backend }).requiresGrad_();
        const out = spec.call(xg);
        out.sum().backward();
        bwd = measure(fin, (await xg.grad!.data()) as Float32Array, spec.df, spec.gradRoot ? rootOf(spec.df, spec.gradRoot) : NaN);
        out.dispose();
        xg.grad!.dispose();
        xg.dispose();
      }
      x.dispose();
      const got: AccuracyBounds = bwd ? { fwd: bounds(fwd), grad: bounds(bwd) } : { fwd: bounds(fwd) };
      (measured[spec.name] ??= {})[name as 'cpu' | 'webgpu'] = got;
      for (const [kind, m] of [['fwd', fwd], ['grad', bwd]] as const) {
        if (m) report.push(`${name} ${spec.name.padEnd(16)} ${kind.padEnd(4)} ${REGIONS.map((r) => `${r} ${fmt(m.worst[r])} at ${m.at[r]}`).join(', ')}`);
      }
      // ±inf and NaN inputs give what float64 gives (NaN, the right infinity, the limit value).
      expect(fwd.specials, `${spec.name}: special values`).toEqual([]);
      if (UPDATE) return;
      const pinned = UNARY_ACCURACY[spec.name]?.[name as 'cpu' | 'webgpu'];
      expect(pinned, `no pinned accuracy for ${spec.name} on ${name} (run with RADIX_UPDATE_ACCURACY=1)`).toBeDefined();
      for (const [kind, m] of [['fwd', fwd], ['grad', bwd]] as const) {
        if (!m) continue;
        const pin = pinned![kind]!;
        REGIONS.forEach((r, i) => {
          expect(m.worst[r], `${name} ${spec.name} ${kind} ${r}: worst error ${m.worst[r]} at x = ${m.at[r]} (pinned ${pin[i]})`)
            .toBeLessThanOrEqual(pin[i]! * slack);
        });
      }
    });
  }
});

function tableSource(): string {
  const num = (v: number): string => (v === 0 ? '0' : v.toExponential(1).replace('.0e', 'e'));
  const list = (b: RegionBounds): string => `[${b.map(num).join(', ')}]`;
  const row = (b: AccuracyBounds | undefined): string =>
    (b ? `{ fwd: ${list(b.fwd)}${b.grad ? `, grad: ${list(b.grad)}` : ''} }` : 'undefined');
  const lines = UNARY_REFERENCES.map((r) => {
    const m = { ...UNARY_ACCURACY[r.name], ...measured[r.name] };
    return `  '${r.name}': {\n    cpu: ${row(m.cpu)},\n    webgpu: ${row(m.webgpu)},\n  },`;
  });
  return `// Pinned worst errors of the unary accuracy audit (ops/unary-accuracy.test.ts), written by the test itself:
// RADIX_UPDATE_ACCURACY=1 RADIX_REQUIRE_WEBGPU=1 npx vitest run packages/tensor-webgpu/src/ops/unary-accuracy.test.ts

/**
 * Worst error per input region [subnormal (< 2⁻¹²⁶), tiny (< 2⁻¹⁰), ordinary (≤ 2¹⁰), huge]: relative error, or
 * the absolute error in units of 2⁻¹²⁶ where the float64 result is subnormal.
 */
export type RegionBounds = [number, number, number, number];
/** Forward and gradient bounds of one op on one backend. */
export interface AccuracyBounds {
  fwd: RegionBounds;
  grad?: RegionBounds;
}

/** Measured on the CPU backend and on WebGPU (Mesa lavapipe), rounded up to two significant digits. */
export const UNARY_ACCURACY: Record<string, { cpu?: AccuracyBounds; webgpu?: AccuracyBounds }> = {
${lines.join('\n')}
};
`;
}

function markdownTable(): string {
  const cell = (v: number | undefined): string => (v === undefined ? '–' : v === 0 ? '0' : v.toExponential(1).replace('e-', 'e−'));
  const three = (b: RegionBounds | undefined): string => (b ? b.slice(1).map(cell).join(' / ') : '–');
  const out = [
    '| op | CPU forward | CPU gradient | WebGPU forward | WebGPU gradient | subnormal inputs, forward (CPU / WebGPU) |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of UNARY_REFERENCES) {
    const m = { ...UNARY_ACCURACY[r.name], ...measured[r.name] };
    out.push(`| \`${r.name}\` | ${three(m.cpu?.fwd)} | ${three(m.cpu?.grad)} | ${three(m.webgpu?.fwd)} | ${three(m.webgpu?.grad)} | ${cell(m.cpu?.fwd[0])} / ${cell(m.webgpu?.fwd[0])} |`);
  }
  return out.join('\n');
}

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

describe('unary accuracy report', () => {
  it('prints the measured worst errors (and rewrites the pins with RADIX_UPDATE_ACCURACY=1)', () => {
    console.log(report.join('\n'));
    if (!UPDATE) return;
    writeAtomic(new URL('./unary-accuracy-table.ts', import.meta.url).pathname, tableSource());
    const docs = new URL('../../../../docs/numerics.md', import.meta.url).pathname;
    const text = readFileSync(docs, 'utf8');
    const [start, end] = ['<!-- unary-accuracy:start -->', '<!-- unary-accuracy:end -->'];
    const a = text.indexOf(start);
    const b = text.indexOf(end);
    expect(a >= 0 && b > a, 'docs/numerics.md lacks the table markers').toBe(true);
    writeAtomic(docs, `${text.slice(0, a + start.length)}\n${markdownTable()}\n${text.slice(b)}`);
  });
});
