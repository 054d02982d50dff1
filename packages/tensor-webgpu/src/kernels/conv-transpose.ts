// WGSL for convTranspose2d's sub-pixel phases: the weight repacking that turns one output phase (oy mod stride,
// ox mod stride) into a plain convolution over only the taps that reach it, in the layouts the conv kernels read.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

/**
 * Uniform words of {@link packConvTransposePhaseWgsl}: groups, cinG, coutG, tapsH, tapsW, kh, kw, ky0, kyStep, kx0,
 * kxStep (the steps signed: the taps are gathered in descending kernel order), coutPad, total.
 */
export const CONVT_PACK_WORDS = 13;

/** Invocations per workgroup of the phase packing kernel. */
export const CONVT_PACK_WG = 256;

/**
 * Gathers the taps of one convTranspose2d phase from IOHW weights [cin][coutG][kh][kw]: tap (jy, jx) is kernel
 * element (ky0 + jy·kyStep, kx0 + jx·kxStep). `kMajor` writes [g][k][coutPad] (k = (ci, jy, jx), output channels
 * padded to a multiple of 4 with zeros: the direct conv kernel's layout); otherwise [g][co][k] (OIHW: the tiled and
 * gather kernels' layout).
 *
 * @example
 * ctx.dispatch('convT_pack_1', () => packConvTransposePhaseWgsl(true), [{ buf: w }, { buf: packed, write: true }], params, ctx.grid(total, CONVT_PACK_WG));
 */
export function packConvTransposePhaseWgsl(kMajor: boolean): string {
  return `${paramsWgsl(CONVT_PACK_WORDS)}
@group(0) @binding(1) var<storage, read> Wsrc: array<f32>;
@group(0) @binding(2) var<storage, read_write> Wt: array<f32>;
${entry1d(CONVT_PACK_WG)} {
  let groups = pu(0u); let CinG = pu(1u); let CoutG = pu(2u); let TH = pu(3u); let TW = pu(4u);
  let KH = pu(5u); let KW = pu(6u); let ky0 = pi(7u); let kyStep = pi(8u); let kx0 = pi(9u); let kxStep = pi(10u);
  let coutPad = pu(11u); let total = pu(12u);
  let i = ${linearIndex(CONVT_PACK_WG)};
  if (i >= total) { return; }
  let Kc = CinG * TH * TW;
  ${kMajor
    ? 'let co = i % coutPad; let k = (i / coutPad) % Kc; let g = i / coutPad / Kc;'
    : 'let k = i % Kc; let co = (i / Kc) % CoutG; let g = i / Kc / CoutG;'}
  let jx = k % TW; let jy = (k / TW) % TH; let ci = k / TW / TH;
  let src = ((g * CinG + ci) * CoutG + min(co, CoutG - 1u)) * KH * KW + u32(ky0 + i32(jy) * kyStep) * KW + u32(kx0 + i32(jx) * kxStep);
  Wt[i] = select(0.0, Wsrc[src], co < CoutG);
}`;
}
