// Macenko et al. (2009) stain estimation and normalisation: the statistics (eigenvectors, angle percentiles,
// 99th-percentile concentrations) are computed on the host; the per-pixel mapping runs as tensor ops.
import { type Tensor, matmul, stack, tensor } from '@radix/tensor-webgpu';
import { asRgbBatch } from './hed.js';
import { type Mat3, eigSym3, percentile } from './host-math.js';

/** Options of {@link macenkoStainMatrix}. */
export interface MacenkoOptions {
  /** Transmitted (background) light intensity on the 0–255 scale (default 240). */
  Io?: number;
  /** Angle percentile (default 1: the 1st and 99th percentiles give the two stain vectors). */
  alpha?: number;
  /** OD threshold below which a pixel counts as transparent (default 0.15). */
  beta?: number;
}

/** A stain reference: unit OD vectors (columns of the 3×2 `stainMatrix`, haematoxylin first) and the 99th-percentile concentrations. */
export interface StainReference {
  /** 3×2, row-major: `stainMatrix[rgb][stain]`; column 0 is haematoxylin. */
  stainMatrix: number[][];
  /** 99th percentile of each stain's concentration. */
  maxC: [number, number];
}

/** Optical density of one image given as [3, H·W] floats in [0, 1]: OD = −log((255·I + 1) / Io), pixel-major. */
function opticalDensity(fn: string, data: Float32Array, pixels: number, Io: number): Float64Array {
  const od = new Float64Array(pixels * 3);
  for (let c = 0; c < 3; c++) {
    for (let p = 0; p < pixels; p++) {
      const v = data[c * pixels + p]!;
      if (!Number.isFinite(v)) throw new Error(`${fn}: image contains a non-finite value (${v}) at channel ${c}, pixel ${p}`);
      od[p * 3 + c] = -Math.log((255 * v + 1) / Io);
    }
  }
  return od;
}

/** The Macenko estimate for one image's OD values (pixel-major, 3 per pixel). */
function estimate(fn: string, od: Float64Array, alpha: number, beta: number): StainReference {
  const n = od.length / 3;
  const keep: number[] = [];
  for (let p = 0; p < n; p++) if (od[p * 3]! >= beta && od[p * 3 + 1]! >= beta && od[p * 3 + 2]! >= beta) keep.push(p);
  if (keep.length < 3) throw new Error(`${fn}: only ${keep.length} non-transparent pixels (OD ≥ beta in every channel); need at least 3`);
  const mean = [0, 0, 0];
  for (const p of keep) for (let c = 0; c < 3; c++) mean[c]! += od[p * 3 + c]! / keep.length;
  const cov: Mat3 = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
  for (const p of keep) {
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) cov[i]![j]! += (od[p * 3 + i]! - mean[i]!) * (od[p * 3 + j]! - mean[j]!);
  }
  for (const r of cov) for (let j = 0; j < 3; j++) r[j]! /= keep.length - 1;
  const { vectors } = eigSym3(cov);
  // Plane of the two largest eigenvectors; orient both towards positive OD so the angles are well defined.
  const e1 = [0, 1, 2].map((r) => vectors[r]![2]!);
  const e2 = [0, 1, 2].map((r) => vectors[r]![1]!);
  for (const e of [e1, e2]) if (e[0]! + e[1]! + e[2]! < 0) for (let r = 0; r < 3; r++) e[r] = -e[r]!;
  const phi = new Float64Array(keep.length);
  keep.forEach((p, k) => {
    const o = [od[p * 3]!, od[p * 3 + 1]!, od[p * 3 + 2]!];
    phi[k] = Math.atan2(o[0]! * e2[0]! + o[1]! * e2[1]! + o[2]! * e2[2]!, o[0]! * e1[0]! + o[1]! * e1[1]! + o[2]! * e1[2]!);
  });
  const lo = percentile(phi, alpha);
  const hi = percentile(phi, 100 - alpha);
  const vec = (a: number) => {
    const v = [0, 1, 2].map((r) => e1[r]! * Math.cos(a) + e2[r]! * Math.sin(a));
    const s = Math.sign(v[0]! + v[1]! + v[2]!) || 1;
    const norm = Math.hypot(v[0]!, v[1]!, v[2]!);
    return v.map((x) => (s * x) / norm);
  };
  const vLo = vec(lo);
  const vHi = vec(hi);
  // Haematoxylin absorbs more red light than eosin or DAB: the vector with the larger red OD goes first.
  const [h, e] = vLo[0]! > vHi[0]! ? [vLo, vHi] : [vHi, vLo];
  const stainMatrix = [0, 1, 2].map((r) => [h[r]!, e[r]!]);
  const pinv = pseudoInverse(stainMatrix);
  const c0 = new Float64Array(n);
  const c1 = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) {
      c0[p]! += pinv[0]![c]! * od[p * 3 + c]!;
      c1[p]! += pinv[1]![c]! * od[p * 3 + c]!;
    }
  }
  return { stainMatrix, maxC: [percentile(c0, 99), percentile(c1, 99)] };
}

/** Least-squares inverse (AᵀA)⁻¹Aᵀ of a 3×2 matrix, as a 2×3 row-major matrix. */
function pseudoInverse(a: number[][]): number[][] {
  let s00 = 0;
  let s01 = 0;
  let s11 = 0;
  for (const r of a) {
    s00 += r[0]! * r[0]!;
    s01 += r[0]! * r[1]!;
    s11 += r[1]! * r[1]!;
  }
  const det = s00 * s11 - s01 * s01;
  if (!(Math.abs(det) > 1e-12)) throw new Error('macenko: the two stain vectors are parallel; cannot separate stains');
  const inv = [[s11 / det, -s01 / det], [-s01 / det, s00 / det]];
  return [0, 1].map((i) => a.map((r) => inv[i]![0]! * r[0]! + inv[i]![1]! * r[1]!));
}

function resolveOptions(fn: string, options: MacenkoOptions): Required<MacenkoOptions> {
  const o = { Io: options.Io ?? 240, alpha: options.alpha ?? 1, beta: options.beta ?? 0.15 };
  if (!(o.Io > 0 && Number.isFinite(o.Io))) throw new Error(`${fn}: Io must be a positive number, got ${o.Io}`);
  if (!(o.alpha >= 0 && o.alpha < 50)) throw new Error(`${fn}: alpha must be a percentile in [0, 50), got ${o.alpha}`);
  if (!Number.isFinite(o.beta)) throw new Error(`${fn}: beta must be finite, got ${o.beta}`);
  return o;
}

/**
 * Estimates the Macenko stain matrix of one RGB image (float32 [3, H, W] or [1, 3, H, W], values in [0, 1]):
 * optical density, transparent pixels removed, the plane of the two largest OD-covariance eigenvectors,
 * extreme angles at the `alpha`/`100 − alpha` percentiles, haematoxylin first.
 *
 * @example
 * const ref = await macenkoStainMatrix(img); // ref.stainMatrix[r][0] is the H vector, ref.maxC its scale
 */
export async function macenkoStainMatrix(img: Tensor, options: MacenkoOptions = {}): Promise<StainReference> {
  const fn = 'macenkoStainMatrix';
  const o = resolveOptions(fn, options);
  const { flat } = asRgbBatch(fn, img);
  if (flat.shape[0] !== 1) throw new Error(`${fn}: expects one image, got a batch of ${flat.shape[0]}`);
  const pixels = flat.shape[2]!;
  const od = opticalDensity(fn, (await flat.data()) as Float32Array, pixels, o.Io);
  return estimate(fn, od, o.alpha, o.beta);
}

/**
 * Macenko stain normalisation: maps each image of `img` ([3, H, W] or [N, 3, H, W], floats in [0, 1]) to the
 * stain vectors and 99th-percentile concentrations of `target` (an image or a {@link StainReference}).
 * Per pixel: C = pinv(HE_src)·OD, C ← C · maxC_target / maxC_src, OD' = HE_target·C, I' = (Io·e^(−OD') − 1) / 255,
 * clamped to [0, 1] (the −1 inverts the +1 of the OD definition).
 *
 * @example
 * const normed = await macenkoNormalize(batch, await macenkoStainMatrix(reference));
 */
export async function macenkoNormalize(img: Tensor, target: Tensor | StainReference, options: MacenkoOptions = {}): Promise<Tensor> {
  const fn = 'macenkoNormalize';
  const o = resolveOptions(fn, options);
  const ref = 'stainMatrix' in target ? target : await macenkoStainMatrix(target, options);
  if (ref.stainMatrix.length !== 3 || ref.stainMatrix.some((r) => r.length !== 2 || r.some((v) => !Number.isFinite(v)))) {
    throw new Error(`${fn}: target.stainMatrix must be a finite 3×2 matrix`);
  }
  if (!ref.maxC.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`${fn}: target.maxC must be two positive numbers, got [${ref.maxC}]`);
  const { flat, shape } = asRgbBatch(fn, img);
  const [n, , pixels] = flat.shape as [number, number, number];
  const data = (await flat.data()) as Float32Array;
  const maps: number[][][] = [];
  for (let b = 0; b < n; b++) {
    const od = opticalDensity(fn, data.subarray(b * 3 * pixels, (b + 1) * 3 * pixels), pixels, o.Io);
    const src = estimate(fn, od, o.alpha, o.beta);
    const pinv = pseudoInverse(src.stainMatrix);
    const scale = [ref.maxC[0] / src.maxC[0], ref.maxC[1] / src.maxC[1]];
    // M = HE_target · diag(scale) · pinv(HE_src), one 3×3 map of OD per image.
    maps.push([0, 1, 2].map((r) => [0, 1, 2].map((c) => [0, 1].reduce((s, k) => s + ref.stainMatrix[r]![k]! * scale[k]! * pinv[k]![c]!, 0))));
  }
  const m = stack(maps.map((mm) => tensor(mm, { backend: img.backend })));
  const od = flat.mul(255).add(1).div(o.Io).log().neg();
  const out = matmul(m, od).neg().exp().mul(o.Io).sub(1).div(255).clamp(0, 1);
  return out.reshape(shape);
}
