// The trainer on tiny stand-in networks (built here from the core's nn, shaped like stylegan2-ada's: mapping,
// synthesis.b4/b8, D b8/b4): exact resume (5 + 5 = 10 minibatches, bit-identical on the CPU), frozen blocks untouched
// after 100 minibatches with no optimizer state, NaN stop keeping the last checkpoint, ADA p in [0, 1], D2D-CE, grids.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Generator, type Tensor, cat, init, interpolate, nn, randn, setBackend, tensor } from '@radix/tensor-webgpu';
import { PNG } from 'pngjs';
import { AdaPipe } from '../augment/ada-pipe.js';
import { DiffAugmentPipe } from '../augment/diff-augment-pipe.js';
import { freezeD, freezeG } from '../freeze.js';
import { loadGanCheckpoint } from './checkpoint.js';
import type { MappingCallOptions } from '../networks/mapping.js';
import type { NoiseMode } from '../networks/synthesis-layer.js';
import { GAN_OUT, trainGan } from './trainer.js';

await init({ backend: 'cpu' });
setBackend('cpu');
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'radix-gan-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const Z = 8;
const W = 8;
const C = 6;

class Mapping extends nn.Module<[Tensor, Tensor | null, MappingCallOptions?]> {
  fc: nn.Linear;
  constructor(cDim: number, g: Generator) {
    super();
    this.fc = new nn.Linear(Z + cDim, W, { generator: g });
  }
  forward(z: Tensor, c: Tensor | null): Tensor {
    const w = this.fc.call(c ? cat([z, c], 1) : z).relu();
    return w.unsqueeze(1).expand(z.shape[0]!, 3, W);
  }
}
class SynthesisB4 extends nn.Module<[Tensor]> {
  const_: nn.Parameter;
  affine: nn.Linear;
  conv: nn.Conv2d;
  constructor(g: Generator) {
    super();
    this.const_ = new nn.Parameter(randn([1, C, 4, 4], { generator: g }));
    this.affine = new nn.Linear(W, C, { generator: g });
    this.conv = new nn.Conv2d(C, C, 3, { padding: 1, generator: g });
  }
  forward(w: Tensor): Tensor {
    const s = this.affine.call(w).add(1).reshape(w.shape[0]!, C, 1, 1);
    return this.conv.call(this.const_.mul(s)).relu();
  }
}
class SynthesisB8 extends nn.Module<[Tensor, Tensor, Tensor, NoiseMode]> {
  affine: nn.Linear;
  conv: nn.Conv2d;
  torgb: nn.Conv2d;
  noiseStrength: nn.Parameter;
  constructor(g: Generator) {
    super();
    this.affine = new nn.Linear(W, C, { generator: g });
    this.conv = new nn.Conv2d(C, C, 3, { padding: 1, generator: g });
    this.torgb = new nn.Conv2d(C, 3, 1, { generator: g });
    this.noiseStrength = new nn.Parameter(tensor([0.1]));
  }
  forward(x: Tensor, w1: Tensor, w2: Tensor, noiseMode: NoiseMode): Tensor {
    let h = interpolate(x, { scaleFactor: 2, mode: 'nearest' });
    h = this.conv.call(h.mul(this.affine.call(w1).add(1).reshape(x.shape[0]!, C, 1, 1)));
    if (noiseMode === 'random') h = h.add(randn([x.shape[0]!, 1, 8, 8]).mul(this.noiseStrength));
    return this.torgb.call(h.relu().add(w2.mean(1).reshape(x.shape[0]!, 1, 1, 1))).tanh();
  }
}
class Synthesis extends nn.Module<[Tensor, NoiseMode]> {
  b4: SynthesisB4;
  b8: SynthesisB8;
  constructor(g: Generator) {
    super();
    this.b4 = new SynthesisB4(g);
    this.b8 = new SynthesisB8(g);
  }
  forward(ws: Tensor, noiseMode: NoiseMode): Tensor {
    const w = (i: number) => ws.slice(1, i, i + 1).squeeze(1);
    return this.b8.call(this.b4.call(w(0)), w(1), w(2), noiseMode);
  }
}
/** Stand-in generator with stylegan2-ada's call shapes and parameter names. */
class TinyG extends nn.Module<[Tensor, Tensor]> {
  readonly zDim = Z;
  readonly imgResolution = 8;
  readonly imgChannels = 3;
  readonly #mapping: Mapping;
  readonly #synthesis: Synthesis;
  constructor(readonly cDim: number, seed = 1) {
    super();
    const g = new Generator(seed);
    this.#mapping = this.registerModule('mapping', new Mapping(cDim, g));
    this.#synthesis = this.registerModule('synthesis', new Synthesis(g));
  }
  mapping(z: Tensor, c: Tensor | null): Tensor {
    return this.#mapping.call(z, c);
  }
  synthesis(ws: Tensor, options: { noiseMode?: NoiseMode } = {}): Tensor {
    return this.#synthesis.call(ws, options.noiseMode ?? 'random');
  }
  forward(z: Tensor, c: Tensor): Tensor {
    return this.synthesis(this.mapping(z, c));
  }
}
class DB8 extends nn.Module<[Tensor]> {
  fromrgb: nn.Conv2d;
  conv: nn.Conv2d;
  constructor(g: Generator) {
    super();
    this.fromrgb = new nn.Conv2d(3, C, 1, { generator: g });
    this.conv = new nn.Conv2d(C, C, 3, { padding: 1, stride: 2, generator: g });
  }
  forward(x: Tensor): Tensor {
    return this.conv.call(this.fromrgb.call(x).relu()).relu();
  }
}
class DB4 extends nn.Module<[Tensor]> {
  fc: nn.Linear;
  out: nn.Linear;
  constructor(g: Generator) {
    super();
    this.fc = new nn.Linear(C * 16, C, { generator: g });
    this.out = new nn.Linear(C, 1, { generator: g });
  }
  forward(x: Tensor): Tensor {
    return this.fc.call(x.flatten(1)).relu();
  }
}
/** Stand-in discriminator with projection conditioning and the features D2D-CE reads. */
class TinyD extends nn.Module<[Tensor, Tensor | null]> {
  b8: DB8;
  b4: DB4;
  cmap: nn.Linear | null;
  constructor(readonly cDim: number, seed = 2) {
    super();
    const g = new Generator(seed);
    this.b8 = new DB8(g);
    this.b4 = new DB4(g);
    this.cmap = cDim > 0 ? new nn.Linear(cDim, C, { generator: g }) : null;
  }
  forwardWithFeatures(img: Tensor, c: Tensor | null): { logits: Tensor; features: Tensor } {
    const h = this.b4.call(this.b8.call(img));
    let logits = this.b4.out.call(h);
    if (this.cmap) logits = logits.add(h.mul(this.cmap.call(c!)).sum(1, true).div(Math.sqrt(C)));
    return { logits, features: h };
  }
  forward(img: Tensor, c: Tensor | null): Tensor {
    return this.forwardWithFeatures(img, c).logits;
  }
}
class TinyHead extends nn.Module<[Tensor]> {
  lin: nn.Linear;
  emb: nn.Linear;
  constructor(readonly numClasses: number) {
    super();
    const g = new Generator(5);
    this.lin = new nn.Linear(C, 4, { generator: g });
    this.emb = new nn.Linear(numClasses, 4, { generator: g });
  }
  embed(f: Tensor): Tensor {
    return this.lin.call(f);
  }
  proxy(c: Tensor): Tensor {
    return this.emb.call(c);
  }
  forward(f: Tensor): Tensor {
    return this.embed(f);
  }
}

const images = randn([12, 3, 8, 8], { generator: new Generator(9) }).mul(0.3).add(0.5).clamp(0, 1);
const labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
const nets = (cond = 3, withHead = false) => ({
  G: new TinyG(cond),
  D: new TinyD(withHead ? 0 : cond),
  gEma: new TinyG(cond, 77),
  head: withHead ? new TinyHead(cond) : null,
});
const base = { images, labels, batch: 4, r1Interval: 4, plWeight: 2, plInterval: 4, gamma: 0.5, gridPerClass: 2, emaKimg: 0.01 };

async function stateOf(m: nn.AnyModule): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const [k, t] of Object.entries(m.stateDict())) out[k] = Array.from(await t.data());
  return out;
}

describe('trainGan', () => {
  it('resuming after 5 minibatches ends bit-identical to 10 uninterrupted (ADA, R1, path length, mixing, noise)', async () => {
    const opts = { ...base, steps: 10, snapshotSteps: 5, gridSteps: 0, ada: { kimg: 0.05 }, balanced: true };
    const a = nets();
    const outA = tmp();
    const resA = await trainGan(a, { ...opts, outDir: outA, augment: new AdaPipe() });
    expect(resA.status).toBe('done');
    const b = nets();
    const outB = tmp();
    const stop = await trainGan(b, { ...opts, steps: 5, outDir: outB, augment: new AdaPipe() });
    expect(stop.steps).toBe(5);
    const c = nets(); // fresh modules: everything comes from the checkpoint
    const resB = await trainGan(c, { ...opts, outDir: outB, augment: new AdaPipe(), resume: true });
    expect(resB.steps).toBe(10);
    for (const key of ['G', 'D', 'gEma'] as const) expect(await stateOf(c[key])).toEqual(await stateOf(a[key]));
    const logA = readFileSync(join(outA, GAN_OUT.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const logB = readFileSync(join(outB, GAN_OUT.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const strip = (l: Record<string, unknown>) => ({ ...l, sec: 0, kimgPerSec: 0 });
    expect(logB.filter((l) => l.step > 0).map(strip)).toEqual(logA.filter((l) => l.step > 0).map(strip));
    const ps = logA.filter((l) => l.p !== undefined).map((l) => l.p as number);
    expect(ps.some((p) => p > 0)).toBe(true);
    for (const p of ps) expect(p >= 0 && p <= 1).toBe(true);
    expect(logA.some((l) => typeof l['D/r1'] === 'number' && typeof l['G/pl'] === 'number')).toBe(true);
    const ck = await loadGanCheckpoint(join(outA, GAN_OUT.checkpoint));
    expect(ck.meta.step).toBe(10);
    expect(ck.meta.ada!.p).toBe(ps.at(-1));
    ck.dispose();
    await expect(trainGan(nets(), { ...opts, outDir: outA })).rejects.toThrow(/exists; resume it/);
  });

  it('freezeG(1) + freezeD(1): frozen tensors bit-identical after 100 minibatches and absent from the optimizer state', async () => {
    const n = nets();
    const before = { G: await stateOf(n.G), D: await stateOf(n.D) };
    const out = tmp();
    const res = await trainGan(n, { ...base, outDir: out, steps: 100, snapshotSteps: 100, gridSteps: 0, freezeG: 1, freezeD: 1, augment: new DiffAugmentPipe() });
    expect(res.notes).toEqual(['frozen G blocks: mapping, synthesis.b4', 'frozen D blocks: b8']);
    const after = { G: await stateOf(n.G), D: await stateOf(n.D) };
    const frozenG = Object.keys(before.G).filter((k) => k.startsWith('mapping.') || k.startsWith('synthesis.b4.'));
    const frozenD = Object.keys(before.D).filter((k) => k.startsWith('b8.'));
    for (const k of frozenG) expect(after.G[k]).toEqual(before.G[k]);
    for (const k of frozenD) expect(after.D[k]).toEqual(before.D[k]);
    expect(after.G['synthesis.b8.conv.weight']).not.toEqual(before.G['synthesis.b8.conv.weight']);
    expect(after.D['b4.fc.weight']).not.toEqual(before.D['b4.fc.weight']);
    const ck = await loadGanCheckpoint(join(out, GAN_OUT.checkpoint));
    const trainableG = n.G.namedParameters().filter(([k]) => !frozenG.includes(k)).length;
    const trainableD = n.D.namedParameters().filter(([k]) => !frozenD.includes(k)).length;
    expect(Object.keys(ck.optimizers.optG!.state).length).toBe(trainableG);
    expect(Object.keys(ck.optimizers.optD!.state).length).toBe(trainableD);
    expect(ck.optimizers.optG!.param_groups[0]!.params.length).toBe(trainableG);
    ck.dispose();
  });

  it('freezeG / freezeD pick blocks by resolution and refuse impossible k', () => {
    const { G, D } = nets();
    expect(freezeG(G, 2).blocks).toEqual(['mapping', 'synthesis.b4', 'synthesis.b8']);
    expect(freezeG(G, 0).frozen).toEqual([]);
    expect(freezeD(D, 2).blocks).toEqual(['b8', 'b4']);
    expect(() => freezeD(D, 3)).toThrow(/k must be an integer in \[0, 2\]/);
  });

  it('a NaN loss stops training before the bad step and keeps the last good checkpoint', async () => {
    const n = nets();
    const out = tmp();
    let saved: Buffer | null = null;
    const res = await trainGan(n, {
      ...base, steps: 8, snapshotSteps: 2, gridSteps: 0, outDir: out,
      onStep: async (info) => {
        if (info.step === 3) {
          saved = readFileSync(join(out, GAN_OUT.checkpoint));
          const w = n.D.b4.fc.weight;
          w._replaceStorage(w.mul(Number.NaN));
        }
      },
    });
    expect(res.status).toBe('nan');
    expect(res.steps).toBe(3);
    expect(res.message).toMatch(/non-finite loss at minibatch 3 \(Gmain: G\/loss = NaN\)/);
    expect(readFileSync(join(out, GAN_OUT.checkpoint)).equals(saved!)).toBe(true);
    const ck = await loadGanCheckpoint(join(out, GAN_OUT.checkpoint));
    expect(ck.meta.step).toBe(2);
    ck.dispose();
    const log = readFileSync(join(out, GAN_OUT.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.at(-1).event).toBe('nan');
  });

  it('D2D-CE conditioning trains the head with D and writes a per-class grid', async () => {
    const n = nets(3, true);
    const out = tmp();
    const headBefore = await stateOf(n.head!);
    const res = await trainGan(n, { ...base, steps: 3, gridSteps: 3, outDir: out, d2dce: { lambda: 0.5 } });
    expect(res.status).toBe('done');
    const log = readFileSync(join(out, GAN_OUT.log), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(log.filter((l) => typeof l['D/cond'] === 'number' && typeof l['G/cond'] === 'number').length).toBe(3);
    expect(await stateOf(n.head!)).not.toEqual(headBefore);
    const png = PNG.sync.read(readFileSync(join(out, GAN_OUT.grids, 'grid-000003.png')));
    expect([png.width, png.height]).toEqual([2 * 8 + 3 * 2, 3 * 8 + 4 * 2]);
  });
});
