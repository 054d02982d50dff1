// Public exports of the full-reference metrics: PSNR, SSIM (four named conventions), MS-SSIM, LPIPS and PHV, each as an
// awaited number form and (SSIM, MS-SSIM, LPIPS) as a differentiable tensor core.
export { psnr, type PsnrOptions } from './psnr.js';
export { ssim, ssimValues, ssimLoss, type SsimOptions, type SsimLossOptions, type SsimResult, type SsimMode } from './ssim.js';
export { SSIM_MODES } from './ssim-core.js';
export { msSsim, msSsimValues, msSsimLoss, MS_SSIM_WEIGHTS, type MsSsimOptions, type MsSsimLossOptions } from './ms-ssim.js';
export type { PerImageResult } from './validate.js';
export { lpips, lpipsDistance, loadLpips, Lpips, type LpipsOptions, type StateDict, type WeightSource } from './lpips.js';
export { phv, PHV_LAYERS, type PhvLayer, type PhvOptions, type PhvResult } from './phv.js';
