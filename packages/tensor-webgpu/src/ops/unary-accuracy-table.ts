// Pinned worst errors of the unary accuracy audit (ops/unary-accuracy.test.ts), written by the test itself:
// RADIX_UPDATE_ACCURACY=1 RADIX_REQUIRE_WEBGPU=1 npx vitest run packages/tensor-webgpu/src/ops/unary-accuracy.test.ts

/**
 * Worst error per input region [subnormal (< 2⁻¹²⁶), tiny (< 2⁻¹⁰), ordinary (≤ 2¹⁰), huge]: relative error, or
 * the absolute error in units of 2⁻¹²⁶ where the float64 result is subnormal.
 */
export type RegionBounds = [number, number, number, number];
/** Forward and gradient bounds of one op on one backend. */
export interface AccuracyBounds {
  fwd: RegionBounds;
  grad?: RegionBounds;
}

/** Measured on the CPU backend and on WebGPU (Mesa lavapipe), rounded up to two significant digits. */
export const UNARY_ACCURACY: Record<string, { cpu?: AccuracyBounds; webgpu?: AccuracyBounds }> = {
  'neg': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'abs': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'sign': {
    cpu: { fwd: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0] },
  },
  'exp': {
    cpu: { fwd: [0, 5.9e-8, 5.9e-8, 0], grad: [0, 5.9e-8, 5.9e-8, 0] },
    webgpu: { fwd: [0, 5.9e-8, 7.2e-8, 0], grad: [0, 5.9e-8, 7.2e-8, 0] },
  },
  'exp2': {
    cpu: { fwd: [0, 5.8e-8, 5.9e-8, 0], grad: [2.8e-9, 9.2e-8, 9.5e-8, 0] },
    webgpu: { fwd: [0, 7.3e-8, 1.2e-7, 0], grad: [2.8e-9, 1.2e-7, 1.4e-7, 0] },
  },
  'log': {
    cpu: { fwd: [4.2e-8, 5.4e-8, 6e-8, 5.6e-8], grad: [2.6e-8, 5.7e-8, 6e-8, 5.7e-8] },
    webgpu: { fwd: [4.2e-8, 5.4e-8, 7.7e-8, 5.6e-8], grad: [2.6e-8, 5.7e-8, 6e-8, 5.7e-8] },
  },
  'log2': {
    cpu: { fwd: [5.5e-8, 5.3e-8, 5.9e-8, 5.3e-8], grad: [1.7e-7, 8.3e-8, 8.7e-8, 8.5e-8] },
    webgpu: { fwd: [5.5e-8, 5.3e-8, 1.2e-7, 5.3e-8], grad: [1.7e-7, 8.3e-8, 8.7e-8, 8.5e-8] },
  },
  'log1p': {
    cpu: { fwd: [0, 5.1e-8, 5.9e-8, 5.4e-8], grad: [0, 8.8e-8, 8.9e-8, 8.5e-8] },
    webgpu: { fwd: [0, 5.1e-8, 1.2e-7, 9.8e-8], grad: [0, 8.8e-8, 8.9e-8, 8.5e-8] },
  },
  'expm1': {
    cpu: { fwd: [0, 5.1e-8, 5.9e-8, 0], grad: [0, 5.9e-8, 5.9e-8, 0] },
    webgpu: { fwd: [0, 5.1e-8, 8e-8, 0], grad: [0, 5.9e-8, 7.2e-8, 0] },
  },
  'sqrt': {
    cpu: { fwd: [4.4e-8, 5.8e-8, 5.8e-8, 5.7e-8], grad: [8.9e-8, 8.1e-8, 8.9e-8, 9e-8] },
    webgpu: { fwd: [4.4e-8, 5.8e-8, 5.8e-8, 5.7e-8], grad: [8.9e-8, 8.1e-8, 8.9e-8, 9e-8] },
  },
  'rsqrt': {
    cpu: { fwd: [6e-8, 6e-8, 5.8e-8, 5.7e-8], grad: [0, 2.2e-7, 2.5e-7, 2.3e-7] },
    webgpu: { fwd: [8.9e-8, 8.1e-8, 8.9e-8, 9e-8], grad: [0, 3e-7, 3.8e-7, 2.7e-7] },
  },
  'reciprocal': {
    cpu: { fwd: [2.6e-8, 5.7e-8, 5.9e-8, 5.7e-8], grad: [0, 1.4e-7, 1.8e-7, 1.5e-7] },
    webgpu: { fwd: [2.6e-8, 5.7e-8, 5.9e-8, 5.7e-8], grad: [0, 1.4e-7, 1.8e-7, 1.5e-7] },
  },
  'square': {
    cpu: { fwd: [1.2e-38, 5.5e-8, 5.8e-8, 5.5e-8], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [1.2e-38, 5.5e-8, 5.8e-8, 5.5e-8], grad: [0, 0, 0, 0] },
  },
  'sin': {
    cpu: { fwd: [0, 5.1e-8, 5.9e-8, 5.5e-8], grad: [0, 3e-8, 5.7e-8, 5.6e-8] },
    webgpu: { fwd: [0, 5.1e-8, 1.4e-7, 1.6e-7], grad: [0, 3e-8, 1.3e-7, 1.2e-7] },
  },
  'cos': {
    cpu: { fwd: [0, 3e-8, 6e-8, 5.6e-8], grad: [0, 5.1e-8, 5.9e-8, 5.5e-8] },
    webgpu: { fwd: [0, 3e-8, 1.3e-7, 1.2e-7], grad: [0, 5.1e-8, 1.4e-7, 1.6e-7] },
  },
  'tan': {
    cpu: { fwd: [0, 3.8e-8, 5.9e-8, 5.8e-8], grad: [0, 5.9e-8, 1.5e-7, 1.3e-7] },
    webgpu: { fwd: [0, 5.9e-8, 2.4e-7, 1.8e-7], grad: [0, 5.9e-8, 3.5e-7, 3.1e-7] },
  },
  'asin': {
    cpu: { fwd: [0, 5.1e-8, 6e-8, 0], grad: [0, 9.2e-8, 9e-8, 0] },
    webgpu: { fwd: [0, 7.6e-8, 1.7e-7, 0], grad: [0, 1.2e-7, 1.2e-7, 0] },
  },
  'acos': {
    cpu: { fwd: [2.8e-8, 3.8e-8, 5.8e-8, 0], grad: [0, 9.2e-8, 9e-8, 0] },
    webgpu: { fwd: [2.8e-8, 8.4e-8, 1.8e-7, 0], grad: [0, 1.2e-7, 1.2e-7, 0] },
  },
  'atan': {
    cpu: { fwd: [0, 3.8e-8, 6e-8, 3.7e-8], grad: [0, 5.9e-8, 1.1e-7, 1.6e-1] },
    webgpu: { fwd: [0, 3.8e-8, 1.4e-7, 6.6e-8], grad: [0, 5.9e-8, 1.1e-7, 1.6e-1] },
  },
  'sinh': {
    cpu: { fwd: [0, 5.1e-8, 6e-8, 0], grad: [0, 5.6e-8, 6e-8, 0] },
    webgpu: { fwd: [0, 1.1e-7, 1.5e-7, 0], grad: [0, 5.6e-8, 1.2e-7, 0] },
  },
  'cosh': {
    cpu: { fwd: [0, 5.6e-8, 6e-8, 0], grad: [0, 5.1e-8, 6e-8, 0] },
    webgpu: { fwd: [0, 5.6e-8, 1.2e-7, 0], grad: [0, 1.1e-7, 1.5e-7, 0] },
  },
  'tanh': {
    cpu: { fwd: [0, 3.8e-8, 5.9e-8, 0], grad: [0, 1.2e-7, 2.1e-7, 0] },
    webgpu: { fwd: [0, 6.1e-8, 1.4e-7, 0], grad: [0, 1.2e-7, 2.8e-7, 0] },
  },
  'asinh': {
    cpu: { fwd: [0, 5.1e-8, 5.9e-8, 5.7e-8], grad: [0, 3e-8, 6.8e-8, 6.2e-8] },
    webgpu: { fwd: [0, 6.2e-8, 1.4e-7, 9.5e-8], grad: [0, 8.9e-8, 1.1e-7, 5.7e-8] },
  },
  'acosh': {
    cpu: { fwd: [0, 0, 5.9e-8, 5.7e-8], grad: [0, 0, 9.7e-8, 6.2e-8] },
    webgpu: { fwd: [0, 0, 8.8e-8, 9.5e-8], grad: [0, 0, 1.1e-7, 5.7e-8] },
  },
  'atanh': {
    cpu: { fwd: [0, 3.8e-8, 5.9e-8, 0], grad: [0, 1.2e-7, 1.5e-7, 0] },
    webgpu: { fwd: [0, 3.8e-8, 1.4e-7, 0], grad: [0, 1.2e-7, 1.5e-7, 0] },
  },
  'erf': {
    cpu: { fwd: [5.8e-8, 5.9e-8, 5.8e-8, 0], grad: [5.2e-8, 8.7e-8, 3.9e-6, 0] },
    webgpu: { fwd: [8.5e-8, 1.1e-7, 1.7e-7, 0], grad: [5.2e-8, 8.7e-8, 3.9e-6, 0] },
  },
  'erfc': {
    cpu: { fwd: [0, 5.6e-8, 6e-8, 0], grad: [5.2e-8, 8.7e-8, 3.9e-6, 0] },
    webgpu: { fwd: [0, 3e-7, 3.5e-7, 0], grad: [5.2e-8, 8.7e-8, 3.9e-6, 0] },
  },
  'floor': {
    cpu: { fwd: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0] },
  },
  'ceil': {
    cpu: { fwd: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0] },
  },
  'round': {
    cpu: { fwd: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0] },
  },
  'trunc': {
    cpu: { fwd: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0] },
  },
  'frac': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'sigmoid': {
    cpu: { fwd: [0, 5.7e-8, 5.7e-8, 0], grad: [0, 8e-8, 1.2e-7, 0] },
    webgpu: { fwd: [0, 8.7e-8, 1.5e-7, 0], grad: [0, 1.4e-7, 2.5e-7, 0] },
  },
  'relu': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'relu6': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'leakyRelu(0.2)': {
    cpu: { fwd: [4.8e-8, 7.2e-8, 7.1e-8, 7.2e-8], grad: [1.5e-8, 1.5e-8, 1.5e-8, 1.5e-8] },
    webgpu: { fwd: [4.8e-8, 7.2e-8, 7.1e-8, 7.2e-8], grad: [1.5e-8, 1.5e-8, 1.5e-8, 1.5e-8] },
  },
  'elu(0.7)': {
    cpu: { fwd: [6e-8, 7.1e-8, 7.6e-8, 1.8e-8], grad: [1.8e-8, 7.3e-8, 1.1e-7, 0] },
    webgpu: { fwd: [6e-8, 9.5e-8, 1.2e-7, 1.8e-8], grad: [1.8e-8, 7.3e-8, 1.3e-7, 0] },
  },
  'selu': {
    cpu: { fwd: [6e-8, 5.6e-8, 5.9e-8, 5.7e-8], grad: [3.4e-8, 5.7e-8, 1.2e-7, 3.4e-8] },
    webgpu: { fwd: [1.2e-7, 1.1e-7, 1.5e-7, 8.7e-8], grad: [3.4e-8, 5.7e-8, 1.2e-7, 3.4e-8] },
  },
  'silu': {
    cpu: { fwd: [6e-8, 6e-8, 5.9e-8, 0], grad: [0, 1.2e-7, 5.4e-6, 0] },
    webgpu: { fwd: [6e-8, 9.7e-8, 1.9e-7, 0], grad: [0, 1.8e-7, 5.4e-6, 0] },
  },
  'mish': {
    cpu: { fwd: [4.8e-8, 5.4e-8, 5.9e-8, 0], grad: [4e-8, 1.2e-7, 5.4e-6, 0] },
    webgpu: { fwd: [7.2e-8, 1.2e-7, 2.2e-7, 0], grad: [4e-8, 1.2e-7, 5.4e-6, 0] },
  },
  'gelu': {
    cpu: { fwd: [6e-8, 6e-8, 6e-8, 0], grad: [0, 1.2e-7, 6.6e-6, 0] },
    webgpu: { fwd: [6e-8, 2.3e-7, 3.8e-7, 0], grad: [0, 2.2e-7, 1.7e-5, 0] },
  },
  'gelu(tanh)': {
    cpu: { fwd: [6e-8, 6e-8, 6e-8, 0], grad: [0, 1.2e-7, 1.6e-5, 0] },
    webgpu: { fwd: [6e-8, 9.8e-8, 1.1e-5, 0], grad: [0, 1.2e-7, 1.6e-5, 0] },
  },
  'softplus': {
    cpu: { fwd: [2.8e-9, 4.3e-8, 5.9e-8, 0], grad: [0, 5.7e-8, 5.7e-8, 0] },
    webgpu: { fwd: [2.8e-9, 9.6e-8, 1.3e-7, 0], grad: [0, 8.7e-8, 1.5e-7, 0] },
  },
  'softplus(2, 5)': {
    cpu: { fwd: [2.8e-9, 4.3e-8, 5.9e-8, 0], grad: [0, 5.9e-8, 5.9e-8, 0] },
    webgpu: { fwd: [2.8e-9, 7.7e-8, 1.4e-7, 0], grad: [0, 7.3e-8, 1.5e-7, 0] },
  },
  'hardtanh': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'hardsigmoid': {
    cpu: { fwd: [0, 6e-8, 6e-8, 0], grad: [3e-8, 3e-8, 3e-8, 0] },
    webgpu: { fwd: [0, 7.5e-8, 9e-8, 0], grad: [3e-8, 3e-8, 3e-8, 0] },
  },
  'hardswish': {
    cpu: { fwd: [6e-8, 6e-8, 5.9e-8, 0], grad: [0, 5.8e-8, 8e-7, 0] },
    webgpu: { fwd: [6e-8, 1.2e-7, 1.3e-7, 0], grad: [0, 5.8e-8, 8e-7, 0] },
  },
  'clamp(-1, 0.5)': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'nanToNum': {
    cpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 0, 0, 0], grad: [0, 0, 0, 0] },
  },
  'pow(x, 2)': {
    cpu: { fwd: [1.2e-38, 5.5e-8, 5.8e-8, 5.5e-8], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [1.2e-38, 5.5e-8, 5.8e-8, 5.5e-8], grad: [0, 0, 0, 0] },
  },
  'pow(x, 3)': {
    cpu: { fwd: [1.4e-76, 5.8e-8, 5.8e-8, 5.1e-8], grad: [3.6e-38, 1.6e-7, 9.6e-8, 8.6e-8] },
    webgpu: { fwd: [1.4e-76, 8.4e-8, 1.1e-7, 8.8e-8], grad: [3.6e-38, 1.6e-7, 9.6e-8, 8.6e-8] },
  },
  'pow(x, 0.5)': {
    cpu: { fwd: [4.4e-8, 5.8e-8, 5.8e-8, 5.7e-8], grad: [7.6e-8, 8.3e-8, 8.3e-8, 8.2e-8] },
    webgpu: { fwd: [4.4e-8, 5.8e-8, 5.8e-8, 5.7e-8], grad: [7.6e-8, 8.3e-8, 8.3e-8, 8.2e-8] },
  },
  'pow(x, -1)': {
    cpu: { fwd: [2.6e-8, 5.7e-8, 5.9e-8, 5.7e-8], grad: [0, 8.2e-8, 1.1e-7, 9.5e-8] },
    webgpu: { fwd: [2.6e-8, 5.7e-8, 5.9e-8, 5.7e-8], grad: [0, 8.2e-8, 1.1e-7, 9.5e-8] },
  },
  'pow(x, -2)': {
    cpu: { fwd: [0, 5.2e-8, 5.9e-8, 5.9e-8], grad: [0, 8.9e-8, 1.1e-7, 9.2e-8] },
    webgpu: { fwd: [0, 9.6e-8, 8.5e-8, 7.8e-8], grad: [0, 1.1e-7, 1.2e-7, 1.1e-7] },
  },
  'pow(x, -0.5)': {
    cpu: { fwd: [6e-8, 6e-8, 5.8e-8, 5.7e-8], grad: [0, 9.7e-8, 1.1e-7, 1.2e-7] },
    webgpu: { fwd: [8.9e-8, 8.1e-8, 8.9e-8, 9e-8], grad: [0, 1.3e-7, 1.4e-7, 1.1e-7] },
  },
  'pow(x, 2.5)': {
    cpu: { fwd: [1.3e-57, 5.8e-8, 5.9e-8, 5.5e-8], grad: [2.8e-19, 1.9e-7, 1.1e-7, 9.5e-8] },
    webgpu: { fwd: [1.3e-57, 1.7e-7, 1.4e-7, 1.3e-7], grad: [2.8e-19, 1.9e-7, 1.6e-7, 1.3e-7] },
  },
  'pow(x, 1/3)': {
    cpu: { fwd: [4e-8, 5.7e-8, 5.9e-8, 5.9e-8], grad: [9.8e-8, 1.2e-7, 1.3e-7, 1.3e-7] },
    webgpu: { fwd: [8.7e-8, 1.1e-7, 1.1e-7, 1e-7], grad: [1.1e-7, 1.7e-7, 1.7e-7, 1.5e-7] },
  },
  'add(x, 0.3)': {
    cpu: { fwd: [0, 5e-8, 6e-8, 4.8e-8], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [0, 5e-8, 6e-8, 4.8e-8], grad: [0, 0, 0, 0] },
  },
  'mul(x, 0.3)': {
    cpu: { fwd: [6e-8, 6e-8, 5.6e-8, 5.5e-8], grad: [0, 0, 0, 0] },
    webgpu: { fwd: [6e-8, 6e-8, 5.6e-8, 5.5e-8], grad: [0, 0, 0, 0] },
  },
};
