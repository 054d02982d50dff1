// The three resize conventions against fixtures made by PyTorch (F.interpolate), the TF1 legacy bilinear formula
// (torch-fidelity's, in torch) and the real PIL (clean-fid's per-channel 'F' bicubic): small cases and 512→299.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor } from '@radix/tensor-webgpu';
import { expectClose, testBackends } from '@radix/tensor-webgpu/testing';
import { INCEPTION_RESIZES, inceptionInput, pilBicubicResize, resizeImages, tf1BilinearResize, type InceptionResize } from './index.js';
import { FIXTURES, referenceInput } from './test-images.js';

interface SmallCase { input_shape: number[]; input_u8: number[]; out_size: [number, number]; outputs: Record<InceptionResize, number[]> }
const fx = JSON.parse(readFileSync(new URL('resize.json', FIXTURES), 'utf8')) as {
  small: SmallCase[];
  ihc_512_to_299: { sample_index: number[]; outputs: Record<InceptionResize, { mean: number; std: number; samples: number[] }> };
};
const TOL = { rtol: 0, atol: 2e-6 };
const backends = await testBackends();

describe.each(backends.map((b) => [b.name, b] as const))('resizeImages on %s', (_, b) => {
  it.each(INCEPTION_RESIZES)('%s matches the Python reference on small images (up and down)', async (mode) => {
    for (const c of fx.small) {
      const x = tensor(Float32Array.from(c.input_u8, (v) => v / 255), { shape: c.input_shape, backend: b });
      // resizeImages makes squares; the non-square sizes go through the CPU functions below.
      if (c.out_size[0] === c.out_size[1]) {
        const y = await resizeImages(x, mode, c.out_size[0]);
        expectClose((await y.data()) as Float32Array, c.outputs[mode], TOL, `${mode} ${c.out_size}`);
        y.dispose();
      }
      x.dispose();
    }
  });

  it.each(INCEPTION_RESIZES)('%s resizes ihc.png 512→299 like the Python reference', async (mode) => {
    const { data, shape } = referenceInput('ihc_full_512');
    const x = tensor(data, { shape, backend: b });
    const y = (await (await resizeImages(x, mode, 299)).data()) as Float32Array;
    const e = fx.ihc_512_to_299.outputs[mode];
    let s = 0;
    for (const v of y) s += v;
    const mean = s / y.length;
    let q = 0;
    for (const v of y) q += (v - mean) ** 2;
    expectClose([mean, Math.sqrt(q / y.length)], [e.mean, e.std], { rtol: 1e-6, atol: 1e-7 }, `${mode} mean/std`);
    const r = expectClose(fx.ihc_512_to_299.sample_index.map((i) => y[i]!), e.samples, TOL, `${mode} samples`);
    console.log(`${mode} 512→299 max abs err ${r.maxAbs.toExponential(2)}`);
    x.dispose();
  });
});

describe('CPU resize functions', () => {
  it('tf1BilinearResize and pilBicubicResize match on non-square sizes', () => {
    for (const c of fx.small) {
      const x = Float32Array.from(c.input_u8, (v) => v / 255);
      const [oh, ow] = c.out_size;
      const r1 = expectClose(tf1BilinearResize(x, c.input_shape, oh, ow), c.outputs['tf1-bilinear'], TOL, `tf1 ${oh}x${ow}`);
      const r2 = expectClose(pilBicubicResize(x, c.input_shape, oh, ow), c.outputs['pil-bicubic'], TOL, `pil ${oh}x${ow}`);
      console.log(`${oh}x${ow}: tf1 max abs ${r1.maxAbs.toExponential(2)}, pil max abs ${r2.maxAbs.toExponential(2)}`);
    }
  });

  it('rejects bad shapes and sizes', () => {
    expect(() => tf1BilinearResize(new Float32Array(4), [1, 1, 2, 3], 4, 4)).toThrow(/tf1BilinearResize: data has 4 values, shape \[1, 1, 2, 3\] needs 6/);
    expect(() => pilBicubicResize(new Float32Array(4), [1, 1, 2, 2], 0, 4)).toThrow(/pilBicubicResize: output size must be positive integers/);
    expect(() => pilBicubicResize(new Float32Array(4), [2, 2], 2, 2)).toThrow(/pilBicubicResize: expected an NCHW shape/);
  });
});

describe.each(backends.map((b) => [b.name, b] as const))('inceptionInput scaling on %s', (_, b) => {
  // pytorch-fid: 2x − 1 on [0, 1]. torch-fidelity and clean-fid feed (v − 128) / 128 for v in [0, 255]
  // (torch_fidelity/feature_extractor_inceptionv3.py forward; cleanfid/inception_torchscript.py forward).
  const cases: [InceptionResize, number, number][] = [
    ['pytorch-bilinear', 128, 2 * (128 / 255) - 1],
    ['tf1-bilinear', 128, 0],
    ['pil-bicubic', 128, 0],
    ['tf1-bilinear', 255, 127 / 128],
    ['pil-bicubic', 0, -1],
  ];
  for (const [resize, v, want] of cases) {
    it(`${resize}: a constant image of value ${v}/255 becomes ${want.toFixed(6)}`, async () => {
      const img = tensor(new Float32Array(3 * 40 * 30).fill(v / 255), { shape: [1, 3, 40, 30], backend: b });
      const x = await inceptionInput(img, resize);
      expect([...x.shape]).toEqual([1, 3, 299, 299]);
      const d = (await x.data()) as Float32Array;
      expectClose(Array.from(d.subarray(0, 50)).concat(Array.from(d.subarray(d.length - 50))), new Array(100).fill(want), { rtol: 0, atol: 2e-6 }, resize);
      img.dispose();
      x.dispose();
    });
  }
});
