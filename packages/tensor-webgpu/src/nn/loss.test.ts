// Losses against PyTorch fixtures (values and gradients) on every backend, argument errors, and properties.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { dispose, Generator, randn, randint, tensor, noGrad, F } from '../index.js';
import type { Tensor } from '../tensor.js';
import { expectClose, testBackends } from '../testing/index.js';
import {
  binaryCrossEntropy, binaryCrossEntropyWithLogits, crossEntropy, huberLoss, l1Loss, mseLoss, nllLoss, smoothL1Loss, type Reduction,
} from './index.js';
import { type NnCase, expectTensor, expected, input, loadNnFixture, reportErrors } from './nn-test-helpers.js';

const backends = await testBackends();
const cases = loadNnFixture('losses');
afterAll(reportErrors);

type Inputs = Record<string, Tensor>;
/** Calls the loss a fixture case names, with its options. */
function run(c: NnCase, t: Inputs): Tensor {
  const a = c.args;
  const reduction = (a.reduction ?? 'mean') as Reduction;
  const weight = a.weight ? t.weight! : null;
  switch (a.fn) {
    case 'mse': return mseLoss(t.input!, t.target!, { reduction });
    case 'l1': return l1Loss(t.input!, t.target!, { reduction });
    case 'smoothL1': return smoothL1Loss(t.input!, t.target!, { beta: a.beta });
    case 'huber': return huberLoss(t.input!, t.target!, { delta: a.delta });
    case 'crossEntropy': return crossEntropy(t.input!, t.target!, { weight, reduction, ignoreIndex: a.ignore_index, labelSmoothing: a.label_smoothing });
    case 'nll': return nllLoss(t.input!, t.target!, { weight, reduction });
    case 'bceWithLogits': return binaryCrossEntropyWithLogits(t.input!, t.target!, { weight, posWeight: a.pos_weight ? t.pos_weight! : null, reduction });
    case 'bce': return binaryCrossEntropy(t.input!, t.target!, { weight });
    default: throw new Error(`unknown loss ${a.fn}`);
  }
}

describe.each(backends.map((b) => [b.name, b] as const))('losses on %s', (name, backend) => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: value and gradients match torch', async (_n, c) => {
    const t: Inputs = Object.fromEntries(Object.keys(c.tensors).map((k) => [k, input(c, k, backend)]));
    const grads = Object.keys(c.expected).filter((k) => k.startsWith('g')).map((k) => k.slice(1));
    for (const k of grads) t[k]!.requiresGrad_();
    const loss = run(c, t);
    (t.gout ? loss.mul(t.gout).sum() : loss).backward();
    const fam = `${c.args.fn} ${name}`;
    await expectTensor(loss, expected(c, 'loss'), fam, `${c.name} value`);
    for (const k of grads) await expectTensor(t[k]!.grad!, expected(c, `g${k}`), fam, `${c.name} grad ${k}`);
    dispose([t, loss, grads.map((k) => t[k]!.grad)]);
  });

  it('refuses bad arguments synchronously with the op and shapes in the message', () => {
    const x = randn([4, 3], { backend });
    const y = tensor(new Int32Array([0, 1, 2, 1]), { backend });
    expect(() => crossEntropy(x, tensor(new Int32Array([0, 1]), { backend }))).toThrow(/crossEntropy: target of shape \[2\] does not match input \[4, 3\]/);
    expect(() => crossEntropy(x, y, { weight: tensor([1, 2], { backend }) })).toThrow(/weight must be a float32 tensor of shape \[3\]/);
    expect(() => crossEntropy(x, y, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing/);
    expect(() => crossEntropy(x, y, { reduction: 'avg' as never })).toThrow(/reduction/);
    expect(() => nllLoss(x, x)).toThrow(/int32 class-index targets/);
    expect(() => binaryCrossEntropyWithLogits(x, randn([4, 1], { backend }))).toThrow(/target size \[4, 1\] must be the same as input size \[4, 3\]/);
    expect(() => mseLoss(x, randn([5], { backend }))).toThrow(/mseLoss/);
    expect(() => smoothL1Loss(x, x, { beta: -1 })).toThrow(/beta/);
    dispose([x, y]);
  });

  it('every target ignored gives NaN for the mean (like torch), 0 for the sum', async () => {
    const x = randn([2, 3], { backend });
    const y = tensor(new Int32Array([-100, -100]), { backend });
    const m = crossEntropy(x, y);
    const s = crossEntropy(x, y, { reduction: 'sum' });
    expect(Number.isNaN(await m.item())).toBe(true);
    expect(await s.item()).toBe(0);
    dispose([x, y, m, s]);
  });

  it('property: crossEntropy = nllLoss(logSoftmax) and is ≥ 0; BCE-with-logits is stable for huge logits', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 2, max: 17 }), fc.integer({ min: 0, max: 1000 }), async (n, c, seed) => {
        const g = new Generator(seed);
        const x = randn([n, c], { backend, generator: g, std: 3 });
        const y = randint(0, c, [n], { backend, generator: g });
        const [ce, nll] = noGrad(() => [crossEntropy(x, y), nllLoss(F.logSoftmax(x, 1), y)]);
        const [a, b] = [await ce.item(), await nll.item()];
        expect(a).toBeGreaterThanOrEqual(0);
        expectClose([a], [b], { rtol: 1e-5, atol: 1e-6 });
        const z = x.mul(1e4);
        const t = randint(0, 2, [n, c], { backend, generator: g }).to('float32');
        const bce = binaryCrossEntropyWithLogits(z, t, { reduction: 'none' });
        for (const v of await bce.data()) expect(Number.isFinite(v) && v >= 0).toBe(true);
        dispose([x, y, ce, nll, z, t, bce]);
      }),
      { numRuns: 15, seed: 3 },
    );
  });
});

describe('CPU and WebGPU agree', () => {
  const [cpu, gpu] = backends;
  it.skipIf(!gpu)('crossEntropy with weights, ignoreIndex and label smoothing on random (N, C, H, W)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ n: fc.integer({ min: 1, max: 3 }), c: fc.integer({ min: 2, max: 9 }), h: fc.integer({ min: 1, max: 7 }), w: fc.integer({ min: 1, max: 9 }), ls: fc.constantFrom(0, 0.1, 0.3) }),
        async (p) => {
          const out = [];
          for (const backend of [cpu!, gpu!]) {
            const g = new Generator(9);
            const x = randn([p.n, p.c, p.h, p.w], { backend, generator: g }).requiresGrad_();
            const y = randint(-1, p.c, [p.n, p.h, p.w], { backend, generator: g });
            const wt = randn([p.c], { backend, generator: g }).abs().add(0.1);
            const loss = crossEntropy(x, y, { weight: wt, ignoreIndex: -1, labelSmoothing: p.ls });
            loss.backward();
            out.push([await loss.item(), Array.from(await x.grad!.data())] as const);
            dispose([x, x.grad, y, wt, loss]);
          }
          expectClose([out[1]![0]], [out[0]![0]], { rtol: 1e-4, atol: 1e-5 }, 'loss');
          expectClose(out[1]![1], out[0]![1], { rtol: 1e-4, atol: 1e-6 }, 'grad');
        },
      ),
      { numRuns: 10, seed: 5 },
    );
  });
});
