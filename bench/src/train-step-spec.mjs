// The workloads of bench/train-step.mjs, as plain data shared by our side (train-step-ours.mjs) and the PyTorch
// child (train-step-torch.py, which receives this object as JSON), so both time exactly the same shapes.

/** Convolution shapes timed forward and backward (both gradients): the UNet step's layers. */
export const convRows = [
  { name: 'conv2d 16×64×32×32 → 64, k3 p1', n: 16, cin: 64, h: 32, w: 32, cout: 64, k: 3, stride: 1, pad: 1, groups: 1 },
  { name: 'conv2d 16×3×32×32 → 64, k3 p1', n: 16, cin: 3, h: 32, w: 32, cout: 64, k: 3, stride: 1, pad: 1, groups: 1 },
  { name: 'conv2d 16×64×32×32 → 128, k3 s2 p1', n: 16, cin: 64, h: 32, w: 32, cout: 128, k: 3, stride: 2, pad: 1, groups: 1 },
  { name: 'conv2d 16×128×16×16 → 128, k3 p1', n: 16, cin: 128, h: 16, w: 16, cout: 128, k: 3, stride: 1, pad: 1, groups: 1 },
  { name: 'conv2d depthwise 16×64×32×32, k3 p1', n: 16, cin: 64, h: 32, w: 32, cout: 64, k: 3, stride: 1, pad: 1, groups: 64 },
];

/** The transposed convolution of the UNet's up path. */
export const convTransposeRow = { name: 'convTranspose2d 16×128×16×16 → 64, k4 s2 p1 (→ 32×32)', n: 16, cin: 128, h: 16, w: 16, cout: 64, k: 4, stride: 2, pad: 1 };

/** GroupNorm(8) over this tensor, compared with one elementwise pass (x + g) over it. */
export const groupNormRow = { n: 16, c: 64, h: 32, w: 32, groups: 8 };

/** SiLU backward over this many elements. */
export const siluNumel = 1 << 20;

/**
 * The UNet-like network of the training step: conv3×3 3→64 → 64→64 → stride-2 64→128 → 128→128 →
 * ConvTranspose 4×4/2 128→64 → concat with the 64-channel skip → 128→64 → output conv 64→3; GroupNorm(8) + SiLU
 * after every conv but the last; MSE loss; Adam (lr 1e-3).
 */
export const unet = { batch: 16, size: 32, groups: 8, lr: 1e-3 };

/** The modulated-conv + R1 stand-in: StyleGAN2's per-sample modulated 3×3 conv as one grouped conv, R1 by double backward. */
export const modconv = { n: 8, cin: 3, c: 64, size: 32, gamma: 10 };

/** Per-op overhead: this many `x + 1` on a tensor of this many elements, one after the other. */
export const tinyOps = { count: 1000, numel: 16 };

/** Everything, as one JSON-serialisable object. */
export const spec = { convRows, convTransposeRow, groupNormRow, siluNumel, unet, modconv, tinyOps };

/** FLOPs of a conv2d row (multiply-adds counted as 2). */
export function convFlops(r) {
  const oh = Math.floor((r.h + 2 * r.pad - r.k) / r.stride) + 1;
  const ow = Math.floor((r.w + 2 * r.pad - r.k) / r.stride) + 1;
  return 2 * r.n * r.cout * oh * ow * (r.cin / r.groups) * r.k * r.k;
}

/** FLOPs of the transposed conv row (every input pixel × its k×k footprint × output channels). */
export function convTransposeFlops(r) {
  return 2 * r.n * r.cin * r.h * r.w * r.cout * r.k * r.k;
}
