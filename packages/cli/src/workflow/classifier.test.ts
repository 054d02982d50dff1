// The downstream classifier: per-image augmentation symmetries and colour factors, test-set scores with bootstrap
// intervals, and a tiny training run (class-balanced batches, early stopping, determinism) on the CPU backend.
import { HostRandom, adjustBrightness, hflip, rot90 } from '@radix/augment';
import { init, tensor } from '@radix/tensor-webgpu';
import { expectClose } from '@radix/tensor-webgpu/testing';
import { describe, expect, it } from 'vitest';
import { applyClassifierAugment, drawClassifierAugment } from './classifier-augment.js';
import { confusionMatrix, meanSd, scorePredictions } from './classifier-metrics.js';
import { DEFAULT_CLASSIFIER, predictClasses, trainClassifier } from './classifier-train.js';

const cpu = await init({ backend: 'cpu' });

describe('classifier augmentation', () => {
  it('gives each image its own symmetry and colour factors in [0.8, 1.2]', async () => {
    const n = 16;
    const x = tensor(Float32Array.from({ length: n * 3 * 5 * 5 }, (_, i) => ((i * 37) % 101) / 101), { shape: [n, 3, 5, 5], backend: cpu });
    const draw = drawClassifierAugment(n, new HostRandom(3));
    expect(new Set(draw.symmetry).size).toBeGreaterThan(3);
    for (const f of [...draw.brightness, ...draw.contrast, ...draw.saturation]) expect(f >= 0.8 && f <= 1.2).toBe(true);
    const geo = { ...draw, brightness: draw.brightness.map(() => 1), contrast: draw.contrast.map(() => 1), saturation: draw.saturation.map(() => 1) };
    const y = await applyClassifierAugment(x, geo).data();
    for (let i = 0; i < n; i++) {
      const s = draw.symmetry[i]!;
      let one = x.slice(0, i, i + 1);
      one = rot90(one, s % 4).images;
      if (s >= 4) one = hflip(one).images;
      expectClose(y.subarray(i * 75, (i + 1) * 75), await one.data(), { atol: 0 }, `image ${i} symmetry ${s}`);
    }
    const b = { ...geo, symmetry: geo.symmetry.map(() => 0), brightness: draw.brightness };
    expectClose(await applyClassifierAugment(x, b).data(), await adjustBrightness(x, draw.brightness).data(), { atol: 0 }, 'brightness');
  });
});

describe('classifier scores', () => {
  it('computes accuracy, balanced accuracy, the confusion matrix and bootstrap intervals', () => {
    const target = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2];
    const pred = [0, 0, 0, 1, 1, 0, 2, 2, 2, 1];
    expect(confusionMatrix(pred, target, 3)).toEqual([[3, 1, 0], [1, 1, 0], [0, 1, 3]]);
    const s = scorePredictions(pred, target, 3, { reps: 500, seed: 1 });
    expect(s.accuracy).toBeCloseTo(0.7, 12);
    expect(s.balancedAccuracy).toBeCloseTo((0.75 + 0.5 + 0.75) / 3, 12);
    const [lo, hi] = s.interval.accuracy;
    expect(lo).toBeLessThan(0.7);
    expect(hi).toBeGreaterThan(0.7);
    expect(scorePredictions(pred, target, 3, { reps: 500, seed: 1 }).interval).toEqual(s.interval);
    expect(meanSd([0.8, 0.9]).sd).toBeCloseTo(Math.SQRT1_2 * 0.1, 12);
  });
});

describe('trainClassifier', () => {
  // Red, green and blue 16×16 patches with noise: a ResNet-18 of width 4 separates them in a few steps.
  const make = (n: number, seed: number) => {
    const rng = new HostRandom(seed);
    const images = new Float32Array(n * 3 * 256);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 3;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 256; p++) images[i * 768 + c * 256 + p] = (c === labels[i] ? 0.7 : 0.2) + 0.2 * rng.random();
    }
    return { images, labels, origins: [] };
  };
  const settings = { ...DEFAULT_CLASSIFIER, width: 4, batchSize: 12, lr: 3e-3, maxSteps: 40, evalEvery: 5, patience: 3 };

  it('learns a separable task, keeps the best validation weights and is deterministic for a seed', async () => {
    const train = make(9, 1);
    const val = make(9, 2);
    const a = await trainClassifier({ train, val, size: 16, numClasses: 3, settings, seed: 5, backend: cpu });
    const best = Math.max(...a.history.map((h) => h.valBalancedAccuracy));
    expect(best).toBe(1);
    expect(a.history.find((h) => h.step === a.bestStep)!.valBalancedAccuracy).toBe(best);
    const { pred } = await predictClasses(a.net, val.images, 16, cpu);
    expect([...pred]).toEqual([...val.labels]);
    const b = await trainClassifier({ train, val, size: 16, numClasses: 3, settings, seed: 5, backend: cpu });
    expect(b.history).toEqual(a.history);
    if (a.stoppedEarly) expect(a.steps).toBeLessThan(settings.maxSteps);
    a.net.dispose();
    b.net.dispose();
  });

  it('refuses a training set with one class and an empty validation set', async () => {
    const one = { images: new Float32Array(2 * 768), labels: new Int32Array([1, 1]), origins: [] };
    await expect(trainClassifier({ train: one, val: one, size: 16, numClasses: 3, settings, seed: 1, backend: cpu })).rejects.toThrow(/patches of 1 class\(es\); at least 2/);
    const empty = { images: new Float32Array(0), labels: new Int32Array(0), origins: [] };
    await expect(trainClassifier({ train: make(6, 1), val: empty, size: 16, numClasses: 3, settings, seed: 1, backend: cpu })).rejects.toThrow(/validation set is empty/);
  });
});
