// Gradients against PyTorch (tools/reference/gen_grad.py): image ops, norms, pools, convolutions, and the R1 penalty's double backward.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as T from '../index.js';
import { dispose, grad } from '../index.js';
import { type FixtureFile, type FixtureTensor, decode, expectClose, fixtureTensor, testBackends } from '../testing/index.js';
import type { Tensor } from '../tensor.js';

const fixtures: FixtureFile = JSON.parse(readFileSync(new URL('../../fixtures/grad.json', import.meta.url), 'utf8'));
const backends = await testBackends();

type Args = Record<string, any>;
const OPS: Record<string, (a: Args, ...x: Tensor[]) => Tensor> = {
  gridSample: (a, x, g) => T.F.gridSample(x!, g!, { mode: a.mode, paddingMode: a.paddingMode, alignCorners: a.alignCorners }),
  batchNorm: (_a, x, w, b) => T.F.batchNorm(x!, null, null, w, b, { training: true }),
  batchNormEval: (_a, x, rm, rv, w, b) => T.F.batchNorm(x!, rm!, rv!, w, b, { training: false }),
  groupNorm: (a, x, w, b) => T.F.groupNorm(x!, a.groups, w, b),
  layerNorm: (a, x, w, b) => T.F.layerNorm(x!, a.shape, w, b),
  instanceNorm: (_a, x, w, b) => T.F.instanceNorm(x!, { weight: w, bias: b }),
  maxPool2d: (a, x) => T.F.maxPool2d(x!, a.k, { stride: a.stride, padding: a.padding, dilation: a.dilation, ceilMode: a.ceil }),
  avgPool2d: (a, x) => T.F.avgPool2d(x!, a.k, { stride: a.stride, padding: a.padding, ceilMode: a.ceil, countIncludePad: a.countIncludePad }),
  adaptiveAvgPool2d: (a, x) => T.F.adaptiveAvgPool2d(x!, a.size),
  interpolate: (a, x) => T.F.interpolate(x!, { size: a.size, mode: a.mode, alignCorners: a.alignCorners ?? undefined, antialias: a.antialias }),
  conv2d: (a, x, w, b) => T.F.conv2d(x!, w!, b, { stride: a.stride, padding: a.padding, dilation: a.dilation, groups: a.groups }),
  convTranspose2d: (a, x, w, b) => T.F.convTranspose2d(x!, w!, b, { stride: a.stride, padding: a.padding, outputPadding: a.outputPadding, dilation: a.dilation, groups: a.groups }),
  matmul: (_a, x, y) => T.matmul(x!, y!),
  softmax: (a, x) => x!.softmax(a.dim),
  logSoftmax: (a, x) => x!.logSoftmax(a.dim),
  logsumexp: (a, x) => x!.logsumexp(a.dim),
  pad: (a, x) => T.F.pad(x!, a.pad, a.mode),
  gelu: (_a, x) => T.F.gelu(x!),
  geluTanh: (_a, x) => T.F.gelu(x!, { approximate: 'tanh' }),
  geluTanhD1: (_a, x) => grad(T.F.gelu(x!, { approximate: 'tanh' }).sum(), [x!], { createGraph: true })[0]!,
  tanh: (_a, x) => x!.tanh(),
  sigmoid: (_a, x) => T.sigmoid(x!),
  silu: (_a, x) => T.F.silu(x!),
  mish: (_a, x) => T.F.mish(x!),
  erfc: (_a, x) => T.erfc(x!),
  expm1: (_a, x) => T.expm1(x!),
  softplus: (_a, x) => T.F.softplus(x!),
  log1p: (_a, x) => T.log1p(x!),
  var: (a, x) => x!.var(a.dim),
};

// Sums over many products (conv weight gradients, pooled windows) in float32: PyTorch's own float32 results
// differ from float64 by up to ~1e-5 relative; the tolerance leaves room for a different summation order.
const TOL = { rtol: 2e-4, atol: 2e-5 };

describe.each(backends.map((b) => [b.name, b] as const))('gradients vs PyTorch on %s', (_n, backend) => {
  for (const c of fixtures.cases.filter((k) => k.op !== 'r1')) {
    it(c.name, async () => {
      const all = c.inputs.map((t) => fixtureTensor(t, backend));
      const g = all.pop()!;
      const nograd: number[] = (c.args.nograd as number[]) ?? [];
      const xs = all.map((t, i) => (nograd.includes(i) ? t : t.requiresGrad_()));
      const y = OPS[c.op]!(c.args, ...xs);
      const wrt = xs.filter((_, i) => !nograd.includes(i));
      const gs = grad(y, wrt, { gradOutputs: [g] });
      const expected = c.expected as FixtureTensor[];
      for (const [i, e] of expected.entries()) {
        expect([...gs[i]!.shape]).toEqual(e.shape);
        expectClose(Array.from((await gs[i]!.data()) as Float32Array), decode(e.data), TOL, `${c.name}: grad ${i}`);
      }
      dispose([all, g, y, gs]);
    });
  }

  it('R1 penalty of a conv discriminator, differentiated w.r.t. its weights (double backward)', async () => {
    const c = fixtures.cases.find((k) => k.op === 'r1')!;
    const [x, w1, b1, w2, b2] = c.inputs.map((t) => fixtureTensor(t, backend));
    const params = [w1!, b1!, w2!, b2!].map((p) => p.requiresGrad_());
    const xg = x!.requiresGrad_();
    const d = T.F.conv2d(T.F.leakyRelu(T.F.conv2d(xg, params[0]!, params[1], { stride: 2, padding: 1 }), 0.2), params[2]!, params[3]).sum();
    const [gx] = grad(d, [xg], { createGraph: true });
    const r1 = gx!.square().sum();
    const gw = grad(r1, params, { allowUnused: true });
    const [er1, ...ew] = c.expected as FixtureTensor[];
    expectClose([await r1.item()], decode(er1!.data), TOL, 'R1 value');
    for (const [i, e] of ew.entries()) {
      const got = gw[i] ? Array.from((await gw[i]!.data()) as Float32Array) : new Array(e.data.length).fill(0);
      expectClose(got, decode(e.data), TOL, `dR1/dparam ${i}`);
    }
    dispose([x, params, d, gx, r1, gw]);
  });
});
