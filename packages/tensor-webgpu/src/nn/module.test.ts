// Module mechanics: registration and PyTorch key names, train/eval, freezing, state dict round trips and errors,
// containers, Parameter identity, initialisers and memory ownership, on every backend.
import { describe, expect, it } from 'vitest';
import { dispose, Generator, memory, randn, tensor, tidy, zeros } from '../index.js';
import type { Tensor } from '../tensor.js';
import { expectClose, testBackends } from '../testing/index.js';
import type { Backend } from '../backend/backend.js';
import {
  BatchNorm2d, Conv2d, Dropout, Flatten, Identity, Linear, Module, ModuleDict, ModuleList, Parameter, ReLU, Sequential, init, mseLoss,
} from './index.js';

const backends = await testBackends();

class Net extends Module {
  features: Sequential;
  head: Linear;
  drop = new Dropout(0.5);
  constructor(backend: Backend) {
    super();
    this.features = new Sequential(new Conv2d(3, 4, 3, { backend }), new BatchNorm2d(4, { backend }), new ReLU());
    this.head = new Linear(4 * 4 * 4, 2, { backend });
  }
  forward(x: Tensor): Tensor {
    return tidy(() => this.head.call(this.drop.call(this.features.call(x).flatten(1))));
  }
}

const KEYS = [
  'features.0.weight', 'features.0.bias', 'features.1.weight', 'features.1.bias', 'features.1.running_mean', 'features.1.running_var',
  'features.1.num_batches_tracked', 'head.weight', 'head.bias',
];

async function values(ts: Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(await t.data())));
}

describe.each(backends.map((b) => [b.name, b] as const))('Module on %s', (_name, backend) => {
  it('registers attributes and explicit buffers under PyTorch key names, in order', () => {
    const net = new Net(backend);
    const sd = net.stateDict();
    expect(Object.keys(sd)).toEqual(KEYS);
    expect(sd['features.1.num_batches_tracked']!.dtype).toBe('int32');
    expect(sd['features.1.num_batches_tracked']!.shape).toEqual([]);
    expect(net.namedParameters().map(([k]) => k)).toEqual(KEYS.filter((k) => !/running|num_batches/.test(k)));
    expect(net.namedBuffers().map(([k]) => k)).toEqual(['features.1.running_mean', 'features.1.running_var', 'features.1.num_batches_tracked']);
    // Attributes register in definition order: declared class fields first (ES2022 [[Define]] semantics).
    expect(net.namedChildren().map(([k]) => k)).toEqual(['features', 'head', 'drop']);
    expect(net.namedModules().map(([k]) => k)).toEqual(['', 'features', 'features.0', 'features.1', 'features.2', 'head', 'drop']);
    expect(net.getSubmodule('features.1')).toBeInstanceOf(BatchNorm2d);
    expect(() => net.getSubmodule('features.7')).toThrow(/no submodule '7'/);
    expect(String(net)).toContain('(0): Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))');
    for (const p of net.parameters()) expect(p).toBeInstanceOf(Parameter);
    dispose(sd);
    net.dispose();
  });

  it('follows attribute reassignment; shared parameters are listed once; registration names are checked', () => {
    class Tied extends Module {
      a = new Linear(3, 3, { backend });
      b = new Linear(3, 3, { backend, bias: false });
      extra: Parameter | null = null;
      forward(x: Tensor): Tensor {
        return this.b.call(this.a.call(x));
      }
    }
    const m = new Tied();
    const oldB = m.b;
    m.b = new Linear(3, 3, { backend });
    m.b.weight = m.a.weight;
    expect(m.parameters().length).toBe(3);
    expect(Object.keys(m.stateDict())).toEqual(['a.weight', 'a.bias', 'b.weight', 'b.bias']);
    m.extra = new Parameter(zeros([2], { backend }));
    expect(m.namedParameters().map(([k]) => k)).toEqual(['extra', 'a.weight', 'a.bias', 'b.bias']);
    m.extra.dispose();
    m.extra = null;
    expect(m.namedParameters().map(([k]) => k)).toEqual(['a.weight', 'a.bias', 'b.bias']);
    expect(() => m.registerBuffer('x.y', null)).toThrow(/without '\.'/);
    expect(() => m.registerBuffer('a', null)).toThrow(/already registered as a module/);
    dispose(m.stateDict());
    oldB.dispose();
    m.dispose();
  });

  it('train()/eval() reach every submodule; Dropout and BatchNorm switch behaviour', async () => {
    const net = new Net(backend);
    net.eval();
    expect(net.modules().every((m) => !m.training)).toBe(true);
    const x = randn([2, 3, 6, 6], { backend, generator: new Generator(1) });
    const [y1, y2] = [net.call(x), net.call(x)];
    expect(await values([y1])).toEqual(await values([y2]));
    const bn = net.features.at(1) as BatchNorm2d;
    expect(await bn.numBatchesTracked!.item()).toBe(0);
    net.train();
    expect(net.modules().every((m) => m.training)).toBe(true);
    net.call(x).dispose();
    expect(await bn.numBatchesTracked!.item()).toBe(1);
    dispose([x, y1, y2]);
    net.dispose();
  });

  it('stateDict round trip: same outputs, parameters keep their identity, handles share storage', async () => {
    const a = new Net(backend).eval();
    const b = new Net(backend).eval();
    const x = randn([1, 3, 6, 6], { backend, generator: new Generator(2) });
    const params = b.parameters();
    const sd = a.stateDict();
    const res = b.loadStateDict(sd);
    expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
    dispose(sd);
    expect(b.parameters()).toEqual(params);
    for (const p of b.parameters()) expect(p.requiresGrad && p.isLeaf).toBe(true);
    const [ya, yb] = [a.call(x), b.call(x)];
    expect(await values([yb])).toEqual(await values([ya]));
    // A float32 count (as some checkpoints store it) loads into the int32 buffer.
    const sd2 = b.stateDict();
    sd2['features.1.num_batches_tracked'] = tensor(7, { backend });
    b.loadStateDict(sd2);
    expect((b.features.at(1) as BatchNorm2d).numBatchesTracked!.dtype).toBe('int32');
    expect(await (b.features.at(1) as BatchNorm2d).numBatchesTracked!.item()).toBe(7);
    dispose([sd2, x, ya, yb]);
    a.dispose();
    b.dispose();
  });

  it('loadStateDict reports missing, unexpected and mismatched keys and loads nothing on error', async () => {
    const net = new Net(backend);
    const before = await values(net.parameters());
    const sd = net.stateDict();
    const w = sd['head.weight']!;
    sd['head.weight'] = randn([3, 64], { backend });
    delete sd['features.0.bias'];
    sd['features.9.weight'] = zeros([1], { backend });
    const other = randn([2, 64], { backend });
    sd['head.bias'] = other.sum(1);
    expect(() => net.loadStateDict(sd)).toThrow(/unexpected keys: "features\.9\.weight"[\s\S]*missing keys: "features\.0\.bias"[\s\S]*size mismatch for head\.weight: copying a param with shape \[3, 64\] from checkpoint, the shape in current model is \[2, 64\]/);
    expect(await values(net.parameters())).toEqual(before);
    sd['head.weight'].dispose();
    sd['head.weight'] = w;
    const r = net.loadStateDict(sd, { strict: false });
    expect(r).toEqual({ missingKeys: ['features.0.bias'], unexpectedKeys: ['features.9.weight'] });
    dispose([sd, other]);
    net.dispose();
  });

  it('requiresGrad_(false) freezes a block: no gradients reach it; zeroGrad clears the rest', () => {
    const net = new Net(backend);
    net.features.requiresGrad_(false);
    const x = randn([2, 3, 6, 6], { backend });
    const loss = mseLoss(net.call(x), zeros([2, 2], { backend }));
    loss.backward();
    for (const p of net.features.parameters()) expect(p.grad).toBeNull();
    for (const p of net.head.parameters()) expect(p.grad).not.toBeNull();
    net.zeroGrad();
    for (const p of net.parameters()) expect(p.grad).toBeNull();
    dispose([x, loss]);
    net.dispose();
  });

  it('modules built inside tidy keep their parameters; dispose() frees everything', () => {
    const live = memory().liveTensors;
    const net = tidy(() => new Net(backend));
    expect(net.parameters().every((p) => !p.isDisposed)).toBe(true);
    expect(memory().liveTensors).toBe(live + KEYS.length);
    net.dispose();
    expect(memory().liveTensors).toBe(live);
  });

  it('Parameter identity survives _replaceStorage, which drops the graph and keeps requiresGrad', async () => {
    const p = new Parameter(tensor([1, 2, 3], { backend }));
    expect(p.requiresGrad && p.isLeaf).toBe(true);
    const y = p.mul(2);
    const t = tensor([4, 5, 6], { backend });
    y._replaceStorage(t);
    expect(y.isLeaf).toBe(true);
    p._replaceStorage(t);
    t.dispose();
    expect(Array.from(await p.data())).toEqual([4, 5, 6]);
    expect(p.requiresGrad).toBe(true);
    expect(() => p._replaceStorage(tensor([1, 2], { backend }))).toThrow(/cannot replace a float32 tensor of shape \[3\]/);
    dispose([p, y]);
  });

  it('containers: Sequential (names, at, append, record form), ModuleList, ModuleDict', async () => {
    const seq = new Sequential({ inp: new Linear(3, 4, { backend }), act: new ReLU() });
    seq.append(new Linear(4, 2, { backend })).append(new Identity());
    expect(Object.keys(seq.stateDict())).toEqual(['inp.weight', 'inp.bias', '2.weight', '2.bias']);
    expect(seq.length).toBe(4);
    expect(seq.at(-2)).toBeInstanceOf(Linear);
    expect(() => seq.at(4)).toThrow(/out of range/);
    const x = randn([5, 3], { backend }).requiresGrad_();
    const y = seq.call(x);
    y.sum().backward();
    expect(x.grad!.shape).toEqual([5, 3]);
    const list = new ModuleList([new Linear(2, 2, { backend })]).extend([new Linear(2, 2, { backend })]);
    expect(Object.keys(list.stateDict())).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect([...list].length).toBe(2);
    expect(() => list.forward()).toThrow(/no forward/);
    const dict = new ModuleDict<Module>({ cls: new Linear(2, 3, { backend }) });
    dict.set('flat', new Flatten());
    expect(dict.keys()).toEqual(['cls', 'flat']);
    expect(dict.get('cls')).toBeInstanceOf(Linear);
    expect(() => dict.get('box')).toThrow(/no module under key 'box'/);
    dispose([list.stateDict(), seq.stateDict(), x, x.grad, y]);
    for (const m of [seq, list, dict]) m.dispose();
  });
});

describe('init', () => {
  const [cpu, gpu] = backends;
  it('calculateGain and fans follow torch', () => {
    expect(init.calculateGain('relu')).toBeCloseTo(Math.SQRT2, 12);
    expect(init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    expect(init.calculateGain('leaky_relu')).toBeCloseTo(Math.sqrt(2 / (1 + 0.01 ** 2)), 12);
    expect(init.calculateGain('leaky_relu', 0.2)).toBeCloseTo(Math.sqrt(2 / 1.04), 12);
    expect(init.calculateGain('selu')).toBe(0.75);
    expect(init.calculateGain('conv2d')).toBe(1);
    expect(init.calculateFans([16, 3, 3, 3])).toEqual([27, 144]);
    expect(() => init.calculateFans([5])).toThrow(/fewer than 2 dims/);
  });

  it('default Linear/Conv init draws U(±1/√fan_in); Kaiming/Xavier/normal have the right spread', async () => {
    const stats = (v: ArrayLike<number>) => {
      const a = Array.from(v);
      const m = a.reduce((s, x) => s + x, 0) / a.length;
      return { min: Math.min(...a), max: Math.max(...a), mean: m, std: Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / a.length) };
    };
    const conv = new Conv2d(8, 16, 3, { generator: new Generator(1) });
    const bound = 1 / Math.sqrt(8 * 9);
    const s = stats(await conv.weight.data());
    expect(s.max).toBeLessThanOrEqual(bound);
    expect(s.min).toBeGreaterThanOrEqual(-bound);
    expect(s.std).toBeCloseTo(bound / Math.sqrt(3), 2);
    const sb = stats(await conv.bias!.data());
    expect(Math.max(Math.abs(sb.min), sb.max)).toBeLessThanOrEqual(bound);
    const w = zeros([64, 128]);
    init.kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu', generator: new Generator(2) });
    expect(stats(await w.data()).std).toBeCloseTo(Math.SQRT2 / Math.sqrt(64), 2);
    init.xavierUniform_(w, { gain: 2, generator: new Generator(3) });
    expect(stats(await w.data()).max).toBeLessThanOrEqual(2 * Math.sqrt(6 / 192));
    init.normal_(w, 3, 0.5, { generator: new Generator(4) });
    const sn = stats(await w.data());
    expect(sn.mean).toBeCloseTo(3, 1);
    expect(sn.std).toBeCloseTo(0.5, 1);
    init.constant_(w, 0.25);
    expect(new Set(await w.data())).toEqual(new Set([0.25]));
    dispose([w]);
    conv.dispose();
  });

  it.skipIf(!gpu)('one generator seed gives the same initial weights on CPU and WebGPU (up to float rounding)', async () => {
    const a = new Linear(7, 5, { backend: cpu, generator: new Generator(9) });
    const b = new Linear(7, 5, { backend: gpu, generator: new Generator(9) });
    // Same Philox words; the affine map to [low, high) may round differently (FMA) on the GPU.
    expectClose(Array.from(await b.weight.data()), Array.from(await a.weight.data()), { rtol: 1e-6, atol: 1e-7 });
    a.dispose();
    b.dispose();
  });
});
