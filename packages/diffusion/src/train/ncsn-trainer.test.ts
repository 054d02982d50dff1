// NCSN training in DiffusionTrainer (CPU backend): the logged loss is ncsnDsmLoss on the step's own batch, levels and
// noise; 5 + 5 steps with a resume equal 10 straight bit for bit; the checkpoint records the NCSN scheduler and a resume
// with other σ's or another objective is refused; the NaN stop; NCSNv2 Technique 1 ('auto' σ_max) and Langevin grids.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Backend, getBackend, manualSeed } from '@radix/tensor-webgpu';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DDPMScheduler, type DiffusionDataset, DiffusionTrainer, NCSNScheduler, type TrainerState, UNet2DModel, findLatestCheckpoint, gridSampler,
  ncsnDsmLoss, ncsnSchedulerForData, suggestSigmaMax,
} from '../index.js';

const cpu = (): Backend => getBackend('cpu');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'radix-ncsn-')); dirs.push(d); return d; };

function tinyUnet(classes = 0, dropout = 0): UNet2DModel {
  manualSeed(42);
  return UNet2DModel.fromConfig({
    sampleSize: 8, inChannels: 1, outChannels: 1, blockOutChannels: [4, 8], layersPerBlock: 1, normNumGroups: 2, attentionHeadDim: 4,
    downBlockTypes: ['DownBlock2D', 'AttnDownBlock2D'], upBlockTypes: ['AttnUpBlock2D', 'UpBlock2D'], dropout,
    ...(classes ? { numClassEmbeds: classes } : {}),
  }, { backend: cpu() });
}

function tinyData(n = 6, labels?: number[]): DiffusionDataset {
  const images = Array.from({ length: n }, (_, i) => Float32Array.from({ length: 64 }, (_, j) => 0.5 + 0.4 * Math.sin(0.3 * j * (i + 1) + i)));
  return { channels: 1, height: 8, width: 8, images, ...(labels ? { labels, classNames: [...new Set(labels)].map(String) } : {}) };
}

const ncsn = (extra: ConstructorParameters<typeof NCSNScheduler>[0] = {}) => new NCSNScheduler({ sigmaMax: 3, sigmaMin: 0.05, numScales: 6, ...extra });

async function flat(ts: Iterable<{ data(): Promise<unknown> }>): Promise<Float32Array[]> {
  return Promise.all([...ts].map(async (t) => Float32Array.from((await t.data()) as Float32Array)));
}

function logRecords(out: string): Record<string, unknown>[] {
  return readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('DiffusionTrainer with an NCSNScheduler', () => {
  it('logs ncsnDsmLoss of the step\'s own batch, levels and noise (class labels, flips, label dropout)', async () => {
    const out = tmp();
    const data = tinyData(6, [0, 0, 0, 0, 1, 1]);
    const m = tinyUnet(3);
    const ref = tinyUnet(3);
    const sched = ncsn();
    const t = new DiffusionTrainer(m, sched, data, { out, steps: 3, batchSize: 4, warmupSteps: 1, seed: 9, labelDropout: 0.3 });
    expect(t.objective).toBe('ncsn');
    await t.train();
    // Replay steps 0 and 2 on models holding the weights before each step: step 0 on a fresh copy of the initial
    // weights, step 2 on a second run of the same training stopped after 2 steps.
    const losses = logRecords(out).filter((r) => r.loss !== undefined).map((r) => r.loss as number);
    expect(losses).toHaveLength(3);
    const expectAt = async (step: number, weightsOf: UNet2DModel) => {
      const inputs = t.stepInputs(step);
      expect(inputs.timesteps.every((l) => Number.isInteger(l) && l >= 0 && l < 6)).toBe(true);
      weightsOf.train();
      const loss = ncsnDsmLoss(weightsOf, sched, inputs.images, { levels: inputs.timesteps, noise: inputs.noise, classLabels: inputs.labels! });
      const v = await loss.item();
      loss.dispose();
      inputs.images.dispose();
      inputs.noise.dispose();
      return v;
    };
    expect(await expectAt(0, ref)).toBe(losses[0]);
    const m2 = tinyUnet(3);
    const t2 = new DiffusionTrainer(m2, sched, data, { out: tmp(), steps: 3, batchSize: 4, warmupSteps: 1, seed: 9, labelDropout: 0.3 });
    await t2.train({ untilStep: 2 });
    expect(await expectAt(2, m2)).toBe(losses[2]);
    // The levels are the step's own: another step draws others.
    const [s0, s1] = [t.stepInputs(0), t.stepInputs(1)];
    expect(s1.timesteps).not.toEqual(s0.timesteps);
    for (const x of [s0, s1]) { x.images.dispose(); x.noise.dispose(); }
    for (const x of [t, t2]) x.dispose();
    for (const x of [m, m2, ref]) x.dispose();
  });

  it('5 steps, resume, 5 more equals 10 straight bit for bit (EMA, clipping, cosine, grids by annealed Langevin)', async () => {
    const sched = ncsn({ finalDenoise: true });
    const sampler = gridSampler({ scheduler: new NCSNScheduler({ ...sched.config, stepsPerScale: 1 }), batchSize: 4 });
    const base = { steps: 10, batchSize: 3, warmupSteps: 3, checkpointEvery: 5, seed: 7, ema: true, sampleEvery: 5, sampler, eval: { numSamples: 4 } };
    const a = tmp();
    const m1 = tinyUnet(0, 0.1);
    const t1 = new DiffusionTrainer(m1, sched, tinyData(), { ...base, out: a });
    expect(await t1.train({ untilStep: 5 })).toMatchObject({ step: 5, status: 'stopped' });
    t1.dispose();
    m1.dispose();
    const m2 = tinyUnet(0, 0.1);
    const notices: string[] = [];
    const t2 = new DiffusionTrainer(m2, ncsn({ finalDenoise: true }), tinyData(), { ...base, out: a, resume: true, onNotice: (s) => notices.push(s) });
    const r2 = await t2.train();
    expect(r2).toMatchObject({ step: 10, status: 'completed' });
    expect(notices.join('\n')).toMatch(/resumed from .*step-00000005 \(step 5\)/);
    const b = tmp();
    const m3 = tinyUnet(0, 0.1);
    const t3 = new DiffusionTrainer(m3, sched, tinyData(), { ...base, out: b });
    const r3 = await t3.train();
    expect(r2.losses).toEqual(r3.losses.slice(5));
    expect(r3.losses.every(Number.isFinite)).toBe(true);
    const [w2, w3] = [await flat(m2.parameters()), await flat(m3.parameters())];
    const [e2, e3] = [await flat(t2.ema!.shadow.values()), await flat(t3.ema!.shadow.values())];
    expect(w2).toEqual(w3);
    expect(e2).toEqual(e3);
    for (const out of [a, b]) {
      expect(existsSync(join(out, 'samples', 'step-00000005.png'))).toBe(true);
      expect(existsSync(join(out, 'samples', 'step-00000010.png'))).toBe(true);
    }
    expect(readFileSync(join(a, 'samples', 'step-00000010.png'))).toEqual(readFileSync(join(b, 'samples', 'step-00000010.png')));
    for (const t of [t2, t3]) t.dispose();
    for (const m of [m2, m3]) m.dispose();
  });

  it('checkpoints the NCSN scheduler (round trip to the same σ\'s) and refuses a resume with other levels or objective', async () => {
    const out = tmp();
    const sched = ncsn({ sigmaSpacing: 'geometric', modelInput: 'sigma', stepsPerScale: 3, epsilon: 1e-4 });
    const m = tinyUnet();
    const t = new DiffusionTrainer(m, sched, tinyData(), { out, steps: 2, batchSize: 2, checkpointEvery: 2 });
    await t.train();
    t.dispose();
    const dir = findLatestCheckpoint(join(out, 'checkpoints')).entry!.dir;
    const json = JSON.parse(readFileSync(join(dir, 'scheduler', 'scheduler_config.json'), 'utf8')) as Record<string, unknown>;
    expect(json._class_name).toBe('NCSNScheduler');
    const back = NCSNScheduler.fromConfig(json);
    expect(back.config).toEqual(sched.config);
    expect(back.sigmas).toEqual(sched.sigmas);
    expect(existsSync(join(dir, 'model_index.json'))).toBe(false);
    const state = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
    expect(state.objective).toBe('ncsn');
    expect(() => NCSNScheduler.fromConfig({ ...json, _class_name: 'DDPMScheduler' })).toThrow(/describes a DDPMScheduler, not an NCSNScheduler/);
    const other = new DiffusionTrainer(m, ncsn({ sigmaSpacing: 'geometric', modelInput: 'sigma', stepsPerScale: 3, epsilon: 1e-4, sigmaMin: 0.1 }), tinyData(), { out, steps: 4, batchSize: 2, resume: true });
    await expect(other.train()).rejects.toThrow(/NCSN scheduler of .* differs from this run's in sigmaMin \(0\.05 vs 0\.1\)/);
    other.dispose();
    const ddpm = new DiffusionTrainer(m, new DDPMScheduler(), tinyData(), { out, steps: 4, batchSize: 2, resume: true });
    await expect(ddpm.train()).rejects.toThrow(/was trained with the NCSN objective, this run uses DDPM/);
    ddpm.dispose();
    expect(() => new DiffusionTrainer(m, sched, tinyData(), { out: tmp(), minSnrGamma: 5 })).toThrow(/minSnrGamma weights the DDPM objective/);
    m.dispose();
  });

  it('stops at a non-finite NCSN loss before applying it', async () => {
    const sched = ncsn();
    sched.sigmas[2] = Number.NaN; // a poisoned level: the first step drawing it has a NaN loss
    const m = tinyUnet();
    const before = await flat(m.parameters());
    const t = new DiffusionTrainer(m, sched, tinyData(), { out: tmp(), steps: 20, batchSize: 3, checkpointEvery: 100, seed: 2 });
    const r = await t.train();
    expect(r.status).toBe('nan');
    expect(r.nanStep).toBe(r.step + 1);
    const levels = Array.from({ length: r.step + 1 }, (_, i) => {
      const x = t.stepInputs(i);
      x.images.dispose();
      x.noise.dispose();
      return x.timesteps;
    });
    expect(levels.findIndex((l) => l.includes(2))).toBe(r.step);
    const after = await flat(m.parameters());
    expect(after.every((w) => w.every(Number.isFinite))).toBe(true);
    if (r.step === 0) expect(after).toEqual(before);
    t.dispose();
    m.dispose();
  });

  it('ncsnSchedulerForData: σ_max \'auto\' is the largest distance of the [−1, 1] training images (NCSNv2 Technique 1)', async () => {
    const data = tinyData();
    const s = await ncsnSchedulerForData(data, { sigmaMax: 'auto', sigmaMin: 0.01, numScales: 4 });
    const mapped = data.images.map((img) => Float32Array.from(img, (v) => 2 * v - 1));
    expect(s.config.sigmaMax).toBeCloseTo(await suggestSigmaMax(mapped), 5);
    expect(s.config.numScales).toBe(4);
    expect((await ncsnSchedulerForData(data, { sigmaMax: 5, numScales: 3 })).config).toMatchObject({ sigmaMax: 5, sigmaMin: 0.01 });
    await expect(ncsnSchedulerForData(data, { sigmaMax: 'auto', sigmaMin: 100 })).rejects.toThrow(/sigmaMin \(100\) must be below sigmaMax \(.*largest distance between two training images/);
    await expect(ncsnSchedulerForData(data, { sigmaMax: 1, sigmaMin: 1 })).rejects.toThrow(/sigmaMin \(1\) must be below sigmaMax \(1\)/);
    expect(() => new NCSNScheduler({ sigmaMax: 1, sigmaMin: 0.1, numScales: 0 })).toThrow(/numScales must be an integer ≥ 1/);
  });
});
