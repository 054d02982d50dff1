// Benchmark shape lists shared by our kernels and the tfjs peer (sized for lavapipe on 2 cores:
// the biggest op, matmul 2048^3, takes ~5 s there). Conv shapes are NCHW-style descriptions.

/** Matmul shapes: C[M,N] = A[M,K] @ B[K,N]. */
export const matmulShapes = [
  ...[256, 512, 1024, 2048].map((s) => ({ name: `square ${s}`, M: s, K: s, N: s })),
  { name: 'tall-skinny out (K=4096, N=64)', M: 1024, K: 4096, N: 64 },
  { name: 'wide out, small M', M: 64, K: 1024, N: 4096 },
  { name: 'tall, small K/N', M: 4096, K: 256, N: 64 },
  { name: 'GEMV-like', M: 1, K: 4096, N: 4096 },
  { name: 'small batch linear', M: 8, K: 1024, N: 1024 },
];

const conv = (name, n, cin, h, w, cout, kh, kw, stride = 1, pad = [0, 0], dilation = 1, groups = 1) =>
  ({ name, n, cin, h, w, cout, kh, kw, stride, pad, dilation, groups });

/** Convs from a small diffusion UNet at 64x64 latent/image resolution, batch 4. */
export const unetConvShapes = [
  conv('unet in 3->64 k3 @64', 4, 3, 64, 64, 64, 3, 3, 1, [1, 1]),
  conv('unet 64->64 k3 @64', 4, 64, 64, 64, 64, 3, 3, 1, [1, 1]),
  conv('unet down 64->64 k3 s2 @64', 4, 64, 64, 64, 64, 3, 3, 2, [1, 1]),
  conv('unet 128->128 k3 @32', 4, 128, 32, 32, 128, 3, 3, 1, [1, 1]),
  conv('unet skip 1x1 128->256 @32', 4, 128, 32, 32, 256, 1, 1),
  conv('unet 256->256 k3 @16', 4, 256, 16, 16, 256, 3, 3, 1, [1, 1]),
];

/** Convs from Inception-v3 (299x299 input), batch 1. */
export const inceptionConvShapes = [
  conv('incv3 Conv2d_1a 3->32 k3 s2 @299', 1, 3, 299, 299, 32, 3, 3, 2),
  conv('incv3 Conv2d_2b 32->64 k3 p1 @147', 1, 32, 147, 147, 64, 3, 3, 1, [1, 1]),
  conv('incv3 Conv2d_4a 80->192 k3 @73', 1, 80, 73, 73, 192, 3, 3),
  conv('incv3 Mixed_5d 1x1 288->64 @35', 1, 288, 35, 35, 64, 1, 1),
  conv('incv3 Mixed_6b 1x1 768->192 @17', 1, 768, 17, 17, 192, 1, 1),
  conv('incv3 Mixed_6b 1x7 128->128 @17', 1, 128, 17, 17, 128, 1, 7, 1, [0, 3]),
  conv('incv3 Mixed_6b 7x1 128->192 @17', 1, 128, 17, 17, 192, 7, 1, 1, [3, 0]),
];

export const convShapes = [...unetConvShapes, ...inceptionConvShapes];

export const matmulFlops = ({ M, K, N }) => 2 * M * K * N;

export function convOutSize({ h, w, kh, kw, stride, pad, dilation }) {
  const [sh, sw] = Array.isArray(stride) ? stride : [stride, stride];
  const [dh, dw] = Array.isArray(dilation) ? dilation : [dilation, dilation];
  return [
    Math.floor((h + 2 * pad[0] - dh * (kh - 1) - 1) / sh) + 1,
    Math.floor((w + 2 * pad[1] - dw * (kw - 1) - 1) / sw) + 1,
  ];
}

export function convFlops(s) {
  const [oh, ow] = convOutSize(s);
  return 2 * s.n * s.cout * oh * ow * (s.cin / s.groups) * s.kh * s.kw;
}

/**
 * Iteration counts keeping each shape to roughly `budgetMs` of timed work, assuming
 * `gflopsGuess` GFLOP/s (lavapipe on 2 cores does ~3-5). 1 warmup, 3..20 iters.
 */
export function itersFor(flops, { budgetMs = 1500, gflopsGuess = 4 } = {}) {
  const estMs = flops / (gflopsGuess * 1e6);
  return { warmup: 1, iters: Math.max(3, Math.min(20, Math.round(budgetMs / Math.max(estMs, 1)))) };
}
