// Augmentor geometry against Pillow fixtures (tools/reference/gen_augment_rudi.py): rotate crop boxes exactly, and
// the resampled pixels of rotate, zoom, skew and random distortion within the bicubic-kernel difference, on every backend.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tensor, type Backend, type Tensor } from '@radix/tensor-webgpu';
import { testBackends } from '@radix/tensor-webgpu/testing';
import { distortImage, perspectiveCoefficients, rotateCrop, rotateImage, skewImage, skewPlane, zoomImage } from './index.js';

interface Case { op: string; kind?: 'TILT' | 'CORNER'; direction?: number; amount?: number; coefficients?: number[]; degrees?: number; factor?: number; canvas?: number[]; box?: number[]; gridWidth?: number; gridHeight?: number; shifts?: [number, number][]; output: number[] }
const fx = JSON.parse(readFileSync(new URL('../../fixtures/rudi.json', import.meta.url), 'utf8')) as { width: number; height: number; input: number[]; cases: Case[] };
const backends = await testBackends();
const { width: W, height: H } = fx;

function toChw(hwc: readonly number[]): Float32Array {
  const out = new Float32Array(3 * H * W);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) out[c * H * W + p] = hwc[p * 3 + c]! / 255;
  return out;
}

/** Max and mean |ours·255 − Pillow| over pixels at least `margin` from the border. */
async function errors(t: Tensor, ref: readonly number[], margin: number): Promise<{ max: number; mean: number }> {
  const ours = (await t.data()) as Float32Array;
  const want = toChw(ref);
  let max = 0;
  let sum = 0;
  let n = 0;
  for (let c = 0; c < 3; c++) {
    for (let y = margin; y < H - margin; y++) {
      for (let x = margin; x < W - margin; x++) {
        const i = c * H * W + y * W + x;
        const d = Math.abs(Math.round(Math.min(1, Math.max(0, ours[i]!)) * 255) - want[i]! * 255);
        max = Math.max(max, d);
        sum += d;
        n++;
      }
    }
  }
  return { max, mean: sum / n };
}

it('rotateCrop reproduces Pillow expand=True canvases and Augmentor crop boxes exactly', () => {
  for (const c of fx.cases.filter((k) => k.op === 'rotate')) {
    expect(rotateCrop(W, H, c.degrees!), `angle ${c.degrees}`).toEqual({ canvas: c.canvas, box: c.box });
  }
});

it('skew planes give the PERSPECTIVE coefficients numpy pinv gives', () => {
  for (const c of fx.cases.filter((k) => k.op === 'skew')) {
    const k = perspectiveCoefficients(skewPlane(W, H, c.kind!, c.direction!, c.amount!), [[0, 0], [W, 0], [W, H], [0, H]]);
    k.forEach((v, i) => expect(Math.abs(v - c.coefficients![i]!), `${c.kind} ${c.direction} #${i}`).toBeLessThan(1e-9 * Math.max(1, Math.abs(v))));
  }
});

describe.each(backends.map((b) => [b.name, b] as const))('rudi geometry vs Pillow on %s', (_name, backend: Backend) => {
  const img = () => tensor(toChw(fx.input), { backend, shape: [1, 3, H, W] });

  it.each(fx.cases.map((c) => [`${c.op} ${c.degrees ?? c.factor ?? (c.kind ? `${c.kind} ${c.direction} ${c.amount}` : '')}`, c] as const))('%s', async (_label, c) => {
    const out = c.op === 'rotate' ? rotateImage(img(), c.degrees!) : c.op === 'zoom' ? zoomImage(img(), c.factor!)
      : c.op === 'skew' ? skewImage(img(), c.kind!, c.direction!, c.amount!) : distortImage(img(), c.gridWidth!, c.gridHeight!, c.shifts!);
    const e = await errors(out, c.output, 3);
    const all = await errors(out, c.output, 0);
    console.log(`[${_name}] ${_label}: interior max |Δ| ${e.max.toFixed(2)}/255 mean ${e.mean.toFixed(3)}/255; whole image max ${all.max.toFixed(2)} mean ${all.mean.toFixed(3)}`);
    // Pillow's bicubic (a = -0.5, two passes for rotate: rotate then resize) vs one torch-style bicubic pass (a = -0.75);
    // the whole-image numbers also hold the edges of the black fill, where the two kernels differ most.
    const limits = c.op === 'rotate' ? { max: 4.5, mean: 0.9 } : c.op === 'zoom' ? { max: 2.5, mean: 0.45 } : c.op === 'skew' ? { max: 2.5, mean: 0.55 } : { max: 2.5, mean: 0.55 };
    expect(e.max).toBeLessThanOrEqual(limits.max);
    expect(e.mean).toBeLessThanOrEqual(limits.mean);
    if (c.factor === 1) expect(all.max).toBeLessThan(1e-3);
  });
});
