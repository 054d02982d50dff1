// Test helper: loads the fixture PNGs (camera, IHC) into NCHW float tensors with pngjs, with optional crops.
import { readFileSync } from 'node:fs';
import type { Backend, Tensor } from '@radix/tensor-webgpu';
import { tensor } from '@radix/tensor-webgpu';
import { PNG } from 'pngjs';

/** A decoded image as planar float32 values 0..255, [C, H, W]. */
export interface Planar {
  c: number;
  h: number;
  w: number;
  data: Float32Array;
}

const cache = new Map<string, Planar>();

/**
 * Reads fixtures/images/<name> as planar float32 (grey PNGs give 1 channel, RGB(A) gives 3).
 *
 * @example
 * const cam = readPlanar('camera.png'); // { c: 1, h: 512, w: 512 }
 */
export function readPlanar(name: string): Planar {
  const hit = cache.get(name);
  if (hit) return hit;
  const png = PNG.sync.read(readFileSync(new URL(`../../fixtures/images/${name}`, import.meta.url)));
  const { width: w, height: h, data } = png;
  let grey = true;
  for (let i = 0; i < w * h && grey; i++) grey = data[4 * i] === data[4 * i + 1] && data[4 * i] === data[4 * i + 2];
  const c = grey ? 1 : 3;
  const out = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[k * h * w + i] = data[4 * i + k]!;
  const p = { c, h, w, data: out };
  cache.set(name, p);
  return p;
}

/**
 * Crops [y, x, h, w] (or the whole image) of planar images and stacks them into one [N, C, h, w] tensor.
 *
 * @example
 * const t = toTensor([[readPlanar('ihc.png'), [0, 0, 64, 64]]], backend);
 */
export function toTensor(items: Array<[Planar, number[] | null]>, backend: Backend, map: (v: number) => number = (v) => v): Tensor {
  const [first, crop0] = items[0]!;
  const [ch, cw] = crop0 ? [crop0[2]!, crop0[3]!] : [first.h, first.w];
  const c = first.c;
  const out = new Float32Array(items.length * c * ch * cw);
  let o = 0;
  for (const [img, crop] of items) {
    const [y0, x0] = crop ? [crop[0]!, crop[1]!] : [0, 0];
    for (let k = 0; k < c; k++) {
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) out[o++] = map(img.data[k * img.h * img.w + (y0 + y) * img.w + x0 + x]!);
      }
    }
  }
  return tensor(out, { shape: [items.length, c, ch, cw], backend });
}
