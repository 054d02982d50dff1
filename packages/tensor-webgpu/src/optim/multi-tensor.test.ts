// The multi-tensor optimizer updates give the same float32 bits as the per-tensor fused path (and so as the op-by-op
// path), on every backend, for every switch, over many tensors of odd sizes — more than one dispatch holds — with
// parameters that miss a step (mixed step counts and first/later steps in one call); they take a few kernels; and
// what they cannot fuse still goes through the per-tensor path.
import { describe, expect, it } from 'vitest';
import { Generator, dispose, noGrad, profile, randn, tidy, type Tensor } from '../index.js';
import { testBackends } from '../testing/index.js';
import { Module, Parameter } from '../nn/index.js';
import { Adam, EMA, type Optimizer } from './index.js';
import type { Backend } from '../backend/backend.js';
import { OPTIMIZER_CASES, bits } from './optim-test-helpers.js';
import { MULTI_MAX_TENSORS, adamUpdateMultiWgsl, emaUpdateMultiWgsl, sgdUpdateMultiWgsl } from '../kernels/optim.js';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.js';

const backends = await testBackends();

/** Sizes around the workgroup size and odd ones: 45 tensors, more than one multi-tensor dispatch binds. */
const SIZES = [1, 3, 7, 255, 256, 257, 511, 1000, 13, 2, 129, 31, 600, 5, 17];
const COUNT = 45;

function params(b: Backend, seed: number): Tensor[] {
  const g = new Generator(seed);
  return Array.from({ length: COUNT }, (_, i) => {
    const n = SIZES[i % SIZES.length]!;
    const shape = i % 3 === 0 && n % 3 === 0 ? [3, n / 3] : [n];
    const t = randn(shape, { backend: b, generator: g, std: i % 4 === 1 ? 3 : 1 });
    // A few with awkward values: signed zeros and tiny values.
    return (i % 11 === 4 ? t.mul(0).add(t.mul(1e-30)) : t).requiresGrad_();
  });
}

type Make = (ps: Tensor[], multiTensor: boolean) => Optimizer<{ lr: number }>;

const configs: [string, Make][] = [
  ...OPTIMIZER_CASES.map(([name, make]): [string, Make] => [name, (ps, multiTensor) => make(ps, { multiTensor })]),
  [
    'Adam, two groups',
    (ps, multiTensor) => new Adam([{ params: ps.slice(0, 20), lr: 2e-2 }, { params: ps.slice(20), betas: [0.8, 0.99], weightDecay: 0.01 }], { multiTensor }),
  ],
];

/** Runs 5 steps; in step 1 every third parameter has no gradient (so it lags a step behind afterwards). */
async function run(b: Backend, make: Make, multiTensor: boolean): Promise<number[][]> {
  const ps = params(b, 11);
  const opt = make(ps, multiTensor);
  const gen = new Generator(5);
  for (let step = 0; step < 5; step++) {
    ps.forEach((p, i) => {
      if (step === 1 && i % 3 === 2) return;
      p.grad = randn(p.shape, { backend: b, generator: gen, std: step === 2 ? 1e3 : 1 });
    });
    opt.step();
    opt.zeroGrad();
  }
  const state = [...opt.state.values()].flatMap((s) => Object.values(s).filter((v): v is Tensor => typeof v !== 'number'));
  const steps = [...opt.state.values()].map((s) => (typeof s.step === 'number' ? s.step : -1));
  const out = [steps, ...(await bits(ps)), ...(await bits(state))];
  opt.dispose();
  dispose(ps);
  return out;
}

/** Tensors one multi-tensor dispatch holds on `b` when each needs `binds` storage bindings (1: none, per tensor). */
function perDispatch(b: Backend, binds: number): number {
  if (b.name === 'cpu') return Infinity;
  const l = b.info.limits;
  const slots = Math.min(l.maxStorageBuffersPerShaderStage ?? 8, (l.maxBindingsPerBindGroup ?? 1000) - 1);
  return Math.max(1, Math.min(MULTI_MAX_TENSORS, Math.floor(slots / binds)));
}

describe.each(backends.map((b) => [b.name, b] as const))('multi-tensor optimizer updates on %s', (_name, b) => {
  it.each(configs)('%s: same bits as the per-tensor fused update, 45 tensors over 5 steps', async (_n, make) => {
    const multi = await run(b, make, true);
    const single = await run(b, make, false);
    expect(multi.length).toBeGreaterThan(COUNT);
    if (!_n.startsWith('SGD')) expect(multi[0]).toContain(4); // the lagging parameters took 4 steps, the others 5
    expect(multi).toEqual(single);
  });

  it('few kernels: ceil(45 / tensors per dispatch) for Adam, one primitive call on the CPU', async () => {
    const counts: number[] = [];
    for (const multiTensor of [true, false]) {
      const ps = params(b, 2);
      const opt = new Adam(ps, { lr: 1e-3, multiTensor });
      const setGrads = () => ps.forEach((p) => (p.grad = randn(p.shape, { backend: b, generator: new Generator(1) })));
      setGrads();
      opt.step(); // first step (no moments yet)
      setGrads();
      const p = await profile(() => opt.step(), { backend: b });
      counts.push(p.calls);
      opt.zeroGrad();
      opt.dispose();
      dispose(ps);
    }
    const per = perDispatch(b, 7);
    expect(counts[0]).toBe(per === Infinity ? 1 : per < 2 ? COUNT : Math.ceil(COUNT / per));
    expect(counts[1]).toBe(COUNT);
  });

  it('a parameter whose state cannot be fused (a one-element moment) takes the per-tensor path, same bits', async () => {
    const out: number[][][] = [];
    for (const multiTensor of [true, false]) {
      const ps = params(b, 4);
      const opt = new Adam(ps, { lr: 1e-2, multiTensor });
      const gen = new Generator(8);
      const setGrads = () => ps.forEach((p) => (p.grad = randn(p.shape, { backend: b, generator: gen })));
      setGrads();
      opt.step();
      opt.zeroGrad();
      // Loaded state may hold a one-element tensor where a moment of the parameter's shape is expected (torch allows
      // it; it broadcasts): the fused primitives do not take it.
      const sd = opt.stateDict();
      const odd = sd.state[5]!;
      (odd.exp_avg as Tensor).dispose();
      odd.exp_avg = randn([1], { backend: b, generator: new Generator(3) });
      opt.loadStateDict(sd);
      dispose(sd.state);
      for (let i = 0; i < 2; i++) {
        setGrads();
        opt.step();
        opt.zeroGrad();
      }
      out.push(await bits(ps));
      opt.dispose();
      dispose(ps);
    }
    expect(out[0]).toEqual(out[1]);
  });

  it('EMA: same bits with and without the multi-tensor primitive, 45 tensors, in few kernels', async () => {
    class Many extends Module {
      constructor(seed: number) {
        super();
        params(b, seed).forEach((t, i) => this.registerParameter(`p${i}`, new Parameter(t)));
      }
      forward(x: Tensor) {
        return x;
      }
    }
    const out: number[][][] = [];
    const calls: number[] = [];
    for (const multiTensor of [true, false]) {
      const net = new Many(6);
      const ema = new EMA(net, { decay: 0.9, warmup: true, multiTensor });
      const gen = new Generator(3);
      for (let i = 0; i < 4; i++) {
        noGrad(() => tidy(() => {
          for (const p of net.parameters()) p._replaceStorage(p.add(randn(p.shape, { backend: b, generator: gen })));
        }));
        if (i === 3) calls.push((await profile(() => ema.update(net), { backend: b })).calls);
        else ema.update(net);
      }
      out.push(await bits([...ema.shadow.values()]));
      ema.dispose();
      net.dispose();
    }
    expect(out[0]).toEqual(out[1]);
    const per = perDispatch(b, 3);
    expect(calls[0]).toBe(per === Infinity ? 1 : per < 2 ? COUNT : Math.ceil(COUNT / per));
    expect(calls[1]).toBe(COUNT);
  });
});

describe.runIf(backends.some((b) => b.name === 'webgpu'))('multi-tensor kernels at the largest chunk', () => {
  // This device may bind too few buffers to run 32 tensors a dispatch; the shaders must still compile for devices that do.
  it(`the ${MULTI_MAX_TENSORS}-tensor Adam, SGD and EMA kernels compile for every switch`, async () => {
    const device = (backends.find((b) => b.name === 'webgpu') as WebGpuBackend).ctx.device;
    const sources: string[] = [emaUpdateMultiWgsl(MULTI_MAX_TENSORS)];
    const flags = (n: number) => Array.from({ length: 1 << n }, (_, k) => Array.from({ length: n }, (_, i) => ((k >> i) & 1) === 1));
    for (const [hasM, hasV, amsgrad, hasMax, maximize] of flags(5)) {
      const q = { numel: 1, maximize, hasL2: !maximize, l2: 0, hasDecay: maximize, decay: 1, b1: 0, oneMinusB1: 1, b2: 0, oneMinusB2: 1, bc2Sqrt: 1, eps: 0, negStepSize: 0, hasM, hasV, amsgrad, hasMax };
      sources.push(adamUpdateMultiWgsl(q, MULTI_MAX_TENSORS));
    }
    for (const [useMomentum, nesterov, hasBuf, maximize] of flags(4)) {
      const q = { numel: 1, maximize, hasL2: maximize, l2: 0, useMomentum, momentum: 0, oneMinusDampening: 1, nesterov, hasBuf, negLr: 0 };
      sources.push(sgdUpdateMultiWgsl(q, MULTI_MAX_TENSORS));
    }
    const errors: string[] = [];
    for (const code of sources) {
      const info = await device.createShaderModule({ code }).getCompilationInfo();
      errors.push(...info.messages.filter((m) => m.type === 'error').map((m) => m.message));
    }
    expect(errors).toEqual([]);
  });
});
