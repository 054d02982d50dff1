// Architecture check of FidInceptionV3 against the PyTorch reference (torchvision Inception3 patched as pytorch-fid)
// under the formula weights: block summaries, pool3, logits and unbiased logits within rtol 1e-3 on both backends.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { add, mul, tensor, type Backend } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { FidInceptionV3, fidInceptionParameterShapes, formulaWeights, inceptionFeatures, resizeImages } from './index.js';
import { FIXTURES, referenceInput } from './test-images.js';

interface Summary { shape: number[]; mean: number; std: number; first8: number[] }
interface Expected { pool3: number[]; logits: number[]; logits_unbiased: number[]; block0: Summary; block1: Summary; block2: Summary }
const expected = JSON.parse(readFileSync(new URL('expected.json', FIXTURES), 'utf8')) as { images: Record<string, Expected> };
type Name = 'ihc_299_crop' | 'ihc_full_512' | 'camera_64_gray';
const TOL = { rtol: 1e-3, atol: 1e-5 };

function summarize(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / (v.length - 1)) };
}

const backends = await testBackends();
const nets = new Map<string, FidInceptionV3>();
const netFor = (b: Backend): FidInceptionV3 => {
  if (!nets.has(b.name)) nets.set(b.name, new FidInceptionV3(formulaWeights({ backend: b })));
  return nets.get(b.name)!;
};

describe('formulaWeights', () => {
  it('builds the 472 parameters in the order of the reference key list', () => {
    const keys = JSON.parse(readFileSync(new URL('state_dict_keys.json', FIXTURES), 'utf8')) as string[];
    expect([...fidInceptionParameterShapes().keys()]).toEqual(keys);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('FidInceptionV3 on %s', (name, b) => {
  // The CPU backend needs ~12 s per 299² image, so it checks one input; WebGPU checks all three.
  const inputs: Name[] = name === 'cpu' ? ['ihc_299_crop'] : ['ihc_299_crop', 'ihc_full_512', 'camera_64_gray'];

  it.each(inputs)('%s: blocks, pool3, logits and unbiased logits match PyTorch', async (input) => {
    const e = expected.images[input]!;
    const { data, shape } = referenceInput(input);
    const x0 = tensor(data, { shape, backend: b });
    const resized = await resizeImages(x0, 'pytorch-bilinear', 299);
    const x = add(mul(resized, 2), -1);
    const t0 = performance.now();
    const out = netFor(b).forward(x, { blocks: true });
    const pool3 = (await out.pool3.data()) as Float32Array;
    console.log(`FidInceptionV3 ${name} ${input}: forward ${(performance.now() - t0).toFixed(0)} ms`);
    for (const k of ['block0', 'block1', 'block2'] as const) {
      const t = out[k]!;
      expect(t.shape, k).toEqual(e[k].shape);
      const v = (await t.data()) as Float32Array;
      const s = summarize(v);
      expectClose([s.mean, s.std], [e[k].mean, e[k].std], TOL, `${input} ${k} mean/std`);
      expectClose(v.subarray(0, 8), e[k].first8, TOL, `${input} ${k} first8`);
    }
    const r1 = expectClose(pool3, e.pool3, TOL, `${input} pool3`);
    const r2 = expectClose((await out.logits.data()) as Float32Array, e.logits, TOL, `${input} logits`);
    const r3 = expectClose((await out.logitsUnbiased.data()) as Float32Array, e.logits_unbiased, TOL, `${input} logitsUnbiased`);
    console.log(`  max abs err pool3 ${r1.maxAbs.toExponential(2)}, logits ${r2.maxAbs.toExponential(2)}, unbiased ${r3.maxAbs.toExponential(2)}`);
    for (const t of [x0, resized, x, ...Object.values(out)]) t?.dispose();
  }, 120_000);

  it.runIf(name !== 'cpu')('inceptionFeatures splits a batch and returns every image\'s features', async () => {
    const { data } = referenceInput('camera_64_gray');
    const two = new Float32Array(data.length * 2);
    two.set(data);
    two.set(data, data.length);
    const x = tensor(two, { shape: [2, 3, 64, 64], backend: b });
    const f = await inceptionFeatures(netFor(b), x, { resize: 'pytorch-bilinear', batchSize: 1 });
    const e = expected.images.camera_64_gray!;
    expect(f.count).toBe(2);
    for (let i = 0; i < 2; i++) {
      expectClose(f.pool3.subarray(i * 2048, (i + 1) * 2048), e.pool3, TOL, `pool3[${i}]`);
      expectClose(f.logits.subarray(i * 1008, (i + 1) * 1008), e.logits, TOL, `logits[${i}]`);
      expectClose(f.logitsUnbiased.subarray(i * 1008, (i + 1) * 1008), e.logits_unbiased, TOL, `logitsUnbiased[${i}]`);
    }
    x.dispose();
  }, 120_000);

  it('rejects bad input clearly', async () => {
    const net = netFor(b);
    const gray = tensor(new Float32Array(2 * 8 * 8), { shape: [2, 1, 8, 8], backend: b });
    await expect(inceptionFeatures(net, gray)).rejects.toThrow(/inceptionFeatures: expected images of shape \[N, 3, H, W\], got \[2, 1, 8, 8\]/);
    const empty = tensor(new Float32Array(0), { shape: [0, 3, 8, 8], backend: b });
    await expect(inceptionFeatures(net, empty)).rejects.toThrow(/inceptionFeatures: no images/);
    const one = tensor(new Float32Array(3 * 8 * 8), { shape: [1, 3, 8, 8], backend: b });
    await expect(inceptionFeatures(net, one, { resize: 'lanczos' as never })).rejects.toThrow(/unknown resize 'lanczos'/);
    await expect(inceptionFeatures(net, one, { batchSize: 0 })).rejects.toThrow(/batchSize must be a positive integer/);
    expect(() => net.forward(one)).toThrow(/FidInceptionV3.forward: input 8×8 is too small/);
    const nan = tensor(new Float32Array(3 * 8 * 8).fill(Number.NaN), { shape: [1, 3, 8, 8], backend: b });
    await expect(inceptionFeatures(net, nan)).rejects.toThrow(/inceptionFeatures: image 0 contains NaN or Inf/);
    for (const t of [gray, empty, one, nan]) t.dispose();
  }, 120_000);
});
