// Public entry point of @radix/tensor-webgpu: tensors, ops, backends, memory scopes and random streams.
export { Tensor, type TensorLike } from './tensor.js';
export * from './ops/index.js';
export * as F from './functional.js';
export { init, getBackend, setBackend, throttle, type InitOptions } from './backend/registry.js';
export type {
  Backend, BackendName, DeviceInfo, UnaryOp, BinaryOp, ReduceOp, PadMode, Conv2dParams, Pool2dParams, ResizeParams,
  GridSampleParams, MatmulParams,
} from './backend/backend.js';
export { WebGpuBackend, type WebGpuInitOptions } from './backend/webgpu/webgpu-backend.js';
export { CpuBackend } from './backend/cpu/cpu-backend.js';
export { tidy, keep, dispose, memory, type MemoryInfo } from './memory.js';
export { noGrad, enableGrad, isGradEnabled, grad, type BackwardOptions, type GradOptions } from './autograd/index.js';
export { Generator, manualSeed, defaultGenerator } from './random.js';
export { RadixError } from './errors.js';
export { profile, type ProfileResult, type ProfileOptions, type ProfileTiming, type KernelStat } from './profiler.js';
export type { DType, DataArray } from './dtype.js';
export { broadcastShapes, sizeOf, stridesOf, type Shape } from './shape.js';
export * from './io/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
