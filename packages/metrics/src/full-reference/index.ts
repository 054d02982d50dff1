// Public exports of the full-reference metrics: PSNR, SSIM (three named conventions), MS-SSIM and LPIPS.
export { psnr, type PsnrOptions } from './psnr.js';
export { ssim, type SsimOptions, type SsimResult, type SsimMode } from './ssim.js';
export { msSsim, MS_SSIM_WEIGHTS, type MsSsimOptions } from './ms-ssim.js';
export type { PerImageResult } from './validate.js';
export { lpips, type LpipsOptions, type StateDict, type WeightSource } from './lpips.js';
