// The diffusion trainer: exact resume (10 + 10 steps = 20 straight: bit-identical on the CPU, ≤ 1e-6 on WebGPU),
// with the package's DDPMScheduler; fallback past a corrupt checkpoint, NaN stop, sample grids with metrics, class-balanced batches, lr and min-SNR.
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Backend, type Tensor, getBackend, manualSeed, tensor, tidy } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DDPMScheduler, type DiffusionDataset, DiffusionTrainer, type GridSampler, type TimestepsLike, UNet2DModel, drawBatch, findLatestCheckpoint,
  lrFactor, minSnrWeights,
} from '../index.js';

const backends = await testBackends();
const cpu = () => getBackend('cpu');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'radix-dtrain-')); dirs.push(d); return d; };

/** The package's DDPMScheduler whose n-th addNoise call (1-based) returns NaN, to exercise the NaN stop. */
class PoisonedDdpm extends DDPMScheduler {
  calls = 0;
  constructor(readonly poisonAt = 0) {
    super({ numTrainTimesteps: 1000 });
  }
  override addNoise(x0: Tensor, noise: Tensor, timesteps: TimestepsLike): Tensor {
    this.calls++;
    const out = super.addNoise(x0, noise, timesteps);
    if (!this.poisonAt || this.calls !== this.poisonAt) return out;
    const bad = tidy(() => out.mul(Number.NaN));
    out.dispose();
    return bad;
  }
}

function tinyUnet(backend: Backend, classes = 0): UNet2DModel {
  manualSeed(42);
  return UNet2DModel.fromConfig({
    sampleSize: 8, inChannels: 1, outChannels: 1, blockOutChannels: [4, 8], layersPerBlock: 1, normNumGroups: 2, attentionHeadDim: 4,
    downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'], dropout: 0.1,
    ...(classes ? { numClassEmbeds: classes } : {}),
  }, { backend });
}

function tinyData(n = 6, labels?: number[]): DiffusionDataset {
  const images = Array.from({ length: n }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => 0.5 + 0.4 * Math.sin(0.3 * j * (i + 1) + i)));
  return { channels: 1, height: 8, width: 8, images, ...(labels ? { labels, classNames: [...new Set(labels)].map(String) } : {}) };
}

async function weights(m: UNet2DModel): Promise<Float32Array[]> {
  return Promise.all(m.parameters().map(async (p) => Float32Array.from((await p.data()) as Float32Array)));
}

describe.each(backends.map((b) => [b.name, b] as [string, Backend]))('DiffusionTrainer on %s', (name, backend) => {
  it('10 steps, stop, resume for 10 more equals 20 straight', async () => {
    const base = { steps: 20, batchSize: 3, warmupSteps: 4, checkpointEvery: 5, seed: 7, logEvery: 1, ema: true };
    const a = tmp();
    const m1 = tinyUnet(backend);
    const t1 = new DiffusionTrainer(m1, new PoisonedDdpm(), tinyData(), { ...base, out: a });
    const r1 = await t1.train({ untilStep: 10 });
    expect(r1).toMatchObject({ step: 10, status: 'stopped' });
    t1.dispose();
    m1.dispose();
    const m2 = tinyUnet(backend);
    const notices: string[] = [];
    const t2 = new DiffusionTrainer(m2, new PoisonedDdpm(), tinyData(), { ...base, out: a, resume: true, onNotice: (s) => notices.push(s) });
    const r2 = await t2.train();
    expect(r2).toMatchObject({ step: 20, status: 'completed' });
    expect(notices.join('\n')).toMatch(/resumed from .*step-00000010 \(step 10\)/);
    const straight = tmp();
    const m3 = tinyUnet(backend);
    const t3 = new DiffusionTrainer(m3, new PoisonedDdpm(), tinyData(), { ...base, out: straight });
    const r3 = await t3.train();
    expect(r2.losses).toEqual(r3.losses.slice(10));
    const [w2, w3] = [await weights(m2), await weights(m3)];
    const e2 = await Promise.all([...t2.ema!.shadow.values()].map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
    const e3 = await Promise.all([...t3.ema!.shadow.values()].map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
    let worst = 0;
    for (const [x, y] of [[w2, w3], [e2, e3]] as const) {
      for (let i = 0; i < x.length; i++) for (let j = 0; j < x[i]!.length; j++) worst = Math.max(worst, Math.abs(x[i]![j]! - y[i]![j]!));
    }
    console.log(`resume vs straight on ${name}: worst |Δ| of weights and EMA ${worst}`);
    if (name === 'cpu') expect(worst).toBe(0);
    else expect(worst).toBeLessThanOrEqual(1e-6);
    // The log holds each step once, the resumed part included.
    const steps = readFileSync(join(a, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
    expect(steps).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const t of [t2, t3]) t.dispose();
    for (const m of [m2, m3]) m.dispose();
  });
});

describe('DiffusionTrainer safety', () => {
  it('falls back past a truncated checkpoint and says so', async () => {
    const out = tmp();
    const base = { steps: 6, batchSize: 2, warmupSteps: 2, checkpointEvery: 2, seed: 3 };
    const m = tinyUnet(cpu());
    const t = new DiffusionTrainer(m, new PoisonedDdpm(), tinyData(), { ...base, out });
    await t.train();
    t.dispose();
    const latest = findLatestCheckpoint(join(out, 'checkpoints')).entry!;
    expect(latest.step).toBe(6);
    const weightsFile = join(latest.dir, 'unet', 'diffusion_pytorch_model.safetensors');
    truncateSync(weightsFile, 100);
    const notices: string[] = [];
    const t2 = new DiffusionTrainer(tinyUnet(cpu()), new PoisonedDdpm(), tinyData(), { ...base, out, resume: true, onNotice: (s) => notices.push(s) });
    expect(await t2.resume()).toBe(4);
    expect(notices[0]).toMatch(/step-00000006 is unusable \(unet\/diffusion_pytorch_model\.safetensors has 100 bytes, the manifest says \d+ \(truncated\?\)\); falling back/);
    t2.dispose();
    m.dispose();
  });

  it('stops at a NaN loss before applying it, keeps the last good checkpoint and names the step', async () => {
    const out = tmp();
    const m = tinyUnet(cpu());
    const notices: string[] = [];
    const t = new DiffusionTrainer(m, new PoisonedDdpm(8), tinyData(), { out, steps: 10, batchSize: 2, checkpointEvery: 3, seed: 5, onNotice: (s) => notices.push(s) });
    const r = await t.train();
    expect(r).toMatchObject({ status: 'nan', nanStep: 8, step: 7 });
    expect(r.lastCheckpoint).toMatch(/step-00000006$/);
    expect(notices.join('\n')).toMatch(/the loss became NaN at step 8; training stopped before applying that step\. The last good checkpoint is .*step-00000006/);
    expect(findLatestCheckpoint(join(out, 'checkpoints')).entry!.step).toBe(6);
    const finite = (await weights(m)).every((w) => w.every(Number.isFinite));
    expect(finite).toBe(true);
    t.dispose();
    m.dispose();
  });

  it('refuses to start over an existing run without resume', async () => {
    const out = tmp();
    const m = tinyUnet(cpu());
    const t = new DiffusionTrainer(m, new PoisonedDdpm(), tinyData(), { out, steps: 1, batchSize: 1 });
    await t.train();
    const again = new DiffusionTrainer(m, new PoisonedDdpm(), tinyData(), { out, steps: 1, batchSize: 1 });
    await expect(again.train()).rejects.toThrow(/already holds a training run .* resume it \(--resume\) or choose a new output folder/);
    t.dispose();
    again.dispose();
    m.dispose();
  });

  it('writes a sample grid with MS-SSIM diversity and nearest-training distances every K steps', async () => {
    const out = tmp();
    const m = tinyUnet(cpu(), 2);
    // A one-step test sampler (not a diffusion sampler): the model's prediction at t = 999 on fixed noise, squashed to [0, 1].
    const sampler: GridSampler = async (model, { n, generator, classLabels }) => tidy(() => {
      const x = tensor(Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i + generator.take(0).key[0])), { shape: [n, 1, 8, 8], backend: 'cpu' });
      return model.call(x, 999, { classLabels }).sigmoid();
    });
    const data = tinyData(6, [0, 0, 0, 0, 1, 1]);
    const t = new DiffusionTrainer(m, new PoisonedDdpm(), data, { out, steps: 4, batchSize: 2, sampleEvery: 2, evalEvery: 2, sampler, eval: { numSamples: 4 } });
    await t.train();
    expect(existsSync(join(out, 'samples', 'step-00000002.png'))).toBe(true);
    expect(existsSync(join(out, 'samples', 'step-00000004.png'))).toBe(true);
    const evals = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.event === 'eval');
    expect(evals.map((e) => e.step)).toEqual([2, 4]);
    for (const e of evals) {
      expect(e.msSsimScales).toBe(0);
      expect(e.msSsimDiversity).toBeNull();
      expect(e.nearestTrainMean as number).toBeGreaterThan(0);
      expect(e.fid).toBeNull();
    }
    t.dispose();
    m.dispose();
  });
});

describe('batches, lr schedule and min-SNR weights', () => {
  it('class-balanced sampling draws each class about equally however imbalanced the set', () => {
    const labels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    const data = tinyData(10, labels);
    const counts = [0, 0];
    for (let s = 0; s < 200; s++) {
      const b = drawBatch(data, { batchSize: 8 }, 11, s, cpu());
      for (const l of b.labels!) counts[l]!++;
      b.images.dispose();
    }
    // 1600 draws: the minority class (1 image in 10) gets about half of them (±4 standard deviations), not a tenth.
    expect(Math.abs(counts[1]! / 1600 - 0.5)).toBeLessThan(0.05);
    const uniform = [0, 0];
    for (let s = 0; s < 50; s++) {
      const b = drawBatch(data, { batchSize: 8, classBalanced: false }, 11, s, cpu());
      for (const l of b.labels!) uniform[l]!++;
      b.images.dispose();
    }
    expect(uniform[1]! / 400).toBeLessThan(0.2);
  });

  it('flips left-right and maps [0, 1] to [−1, 1]', async () => {
    const data: DiffusionDataset = { channels: 1, height: 1, width: 3, images: [Float32Array.from([0, 0.5, 1])] };
    const seen = new Set<string>();
    for (let s = 0; s < 20; s++) {
      const b = drawBatch(data, { batchSize: 1 }, 1, s, cpu());
      seen.add(Array.from((await b.images.data()) as Float32Array).join(','));
      b.images.dispose();
    }
    expect([...seen].sort()).toEqual(['-1,0,1', '1,0,-1']);
  });

  it('lr: linear warm-up from 0, then diffusers\' cosine to 0', () => {
    expect(lrFactor(0, 500, 20000, 'cosine')).toBe(0);
    expect(lrFactor(250, 500, 20000, 'cosine')).toBe(0.5);
    expect(lrFactor(500, 500, 20000, 'cosine')).toBe(1);
    expect(lrFactor(10250, 500, 20000, 'cosine')).toBeCloseTo(0.5, 12);
    expect(lrFactor(20000, 500, 20000, 'cosine')).toBeCloseTo(0, 12);
    expect(lrFactor(9000, 500, 20000, 'constant')).toBe(1);
  });

  it('min-SNR-γ weights per prediction type', () => {
    const ac = Float64Array.from([0.99, 0.5, 0.01]);
    const snr = Array.from(ac, (a) => a / (1 - a)); // 99, 1, 1/99
    const eps = minSnrWeights(ac, [0, 1, 2], 5, 'epsilon');
    expect(Array.from(eps)).toEqual(snr.map((s) => Math.min(s, 5) / s));
    expect(eps[0]).toBeCloseTo(5 / 99, 12);
    const v = minSnrWeights(ac, [0, 1, 2], 5, 'v_prediction');
    expect(Array.from(v)).toEqual(snr.map((s) => Math.min(s, 5) / (s + 1)));
    expect(v[0]).toBeCloseTo(0.05, 12);
    expect(() => minSnrWeights(ac, [3], 5, 'epsilon')).toThrow(/timestep 3 is outside/);
  });
});

