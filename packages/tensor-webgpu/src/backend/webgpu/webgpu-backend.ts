// The WebGPU backend: finds an adapter (Dawn in Node, navigator.gpu in browsers), requests its maximum limits, and routes primitives to kernels.
import type {
  AdamUpdateArgs, AdamUpdateParams, Backend, EmaUpdateArgs, SgdUpdateArgs, BackendBuffer, BatchNormParams, Epilogue, GroupNormParams, SgdUpdateParams, UnaryBackwardOp, BinaryOp, Conv2dParams, DeviceInfo, GridSampleParams, MatmulParams, PadMode,
  Pool2dParams, RandomSpec, ReduceOp, ResizeParams, Strided, UnaryOp,
} from '../backend.js';
import type { DType, StorageArray } from '../../dtype.js';
import { storageView } from '../../dtype.js';
import { loadStderrTools, withQuietDawn } from './dawn-stderr.js';
import { GpuBuffer, GpuContext } from './gpu-context.js';
import { gpuArange, gpuBinary, gpuCast, gpuCopy, gpuCopyInto, gpuFill, gpuRandom, gpuUnary, gpuUnaryBackward, gpuWhere } from './core.js';
import { gpuArgReduce, gpuCumsum, gpuReduce } from './reduce.js';
import { gpuGather, gpuIndexSelect, gpuPad } from './movement.js';
import { gpuScatterAdd } from './scatter.js';
import { gpuMatmul } from './linalg.js';
import { gpuConv2d, gpuConvTranspose2d } from './conv.js';
import { gpuConv2dWeightGrad } from './conv-weight-grad.js';
import { gpuAdaptiveAvgPool2d, gpuGridSample, gpuPool2d, gpuResize } from './image.js';
import { GpuProfiler } from './gpu-profiler.js';
import { gpuAdamUpdate, gpuAdamUpdateMulti, gpuEmaUpdate, gpuEmaUpdateMulti, gpuSgdUpdate, gpuSgdUpdateMulti } from './optim.js';
import { gpuBatchNormBackward, gpuBatchNormForward, gpuGroupNormBackward, gpuGroupNormForward } from './norm.js';

/** Options for creating the WebGPU backend. */
export interface WebGpuInitOptions {
  /** Adapter power preference (default `'high-performance'`). */
  powerPreference?: GPUPowerPreference;
  /** Use this GPUDevice instead of requesting one (e.g. to share it with another library). */
  device?: GPUDevice;
  /** Dawn instance flags in Node (default enables f16 on NVIDIA through Vulkan). */
  dawnFlags?: string[];
}

const OPTIONAL_FEATURES: GPUFeatureName[] = ['shader-f16', 'subgroups', 'timestamp-query'] as GPUFeatureName[];

async function getGpu(flags: string[]): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const name = 'webgpu';
  let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
  try {
    mod = await import(/* @vite-ignore */ name);
  } catch (e) {
    throw new Error(`the 'webgpu' package (Dawn for Node) could not be loaded: ${(e as Error).message}`);
  }
  for (const [k, v] of Object.entries(mod.globals)) {
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }
  // Keep the Dawn instance referenced for the life of the process: if it is garbage-collected,
  // its event processing stops and pending mapAsync promises never settle.
  dawnInstance ??= mod.create(flags);
  return dawnInstance;
}

let dawnInstance: GPU | null = null;

/**
 * Dawn's flags plus `adapter=NAME` when `RADIX_WEBGPU_ADAPTER` is set in Node: Dawn then takes the first adapter whose
 * device name contains NAME (e.g. `A100` on a node with an A100 and a T4) and, when none matches, fails listing the
 * adapters it found. Identical GPUs share a name, so this cannot pick GPU 1 of 8 identical ones; the scheduler's device
 * isolation does that (see docs/slurm.md).
 */
function dawnFlagsWithAdapter(flags: string[]): string[] {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const name = env?.RADIX_WEBGPU_ADAPTER;
  return name ? [...flags.filter((f) => !f.startsWith('adapter=')), `adapter=${name}`] : flags;
}

/** @internal Creates the WebGPU backend or throws why it cannot. */
export async function createWebGpuBackend(options: WebGpuInitOptions = {}): Promise<WebGpuBackend> {
  if (options.device) return new WebGpuBackend(options.device, 'user-supplied GPUDevice', false);
  const gpu = await getGpu(dawnFlagsWithAdapter(options.dawnFlags ?? ['enable-dawn-features=vulkan_enable_f16_on_nvidia']));
  // Dawn prints two harmless limit warnings from native code while it enumerates adapters (synchronously, inside
  // requestAdapter); they are filtered out of stderr unless RADIX_VERBOSE=1. Browsers are left alone.
  const tools = gpu === dawnInstance ? await loadStderrTools() : null;
  const adapter = await withQuietDawn(tools, () => gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' }));
  if (!adapter) throw new Error('no WebGPU adapter was found (on Linux without a GPU, install Mesa ≥ 25 lavapipe: see the README)');
  const requiredLimits: Record<string, number> = {};
  for (const key in adapter.limits) {
    const v = (adapter.limits as unknown as Record<string, unknown>)[key];
    if (typeof v === 'number') requiredLimits[key] = v;
  }
  const requiredFeatures = OPTIONAL_FEATURES.filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const description = [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  const software = /llvmpipe|lavapipe|swiftshader|software/i.test(description) || (info as { isFallbackAdapter?: boolean })?.isFallbackAdapter === true;
  return new WebGpuBackend(device, description, software);
}

/**
 * The WebGPU backend. Work is recorded into command encoders and submitted in batches;
 * `read` is the only point that waits for the GPU.
 *
 * @example
 * const gpu = await init({ backend: 'webgpu' });
 * console.log(gpu.info.limits.maxStorageBufferBindingSize);
 */
export class WebGpuBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly info: DeviceInfo;
  /** @internal */
  readonly ctx: GpuContext;

  constructor(readonly device: GPUDevice, description: string, isSoftware: boolean) {
    this.ctx = new GpuContext(device);
    const limits: Record<string, number> = {};
    for (const key in device.limits) {
      const v = (device.limits as unknown as Record<string, unknown>)[key];
      if (typeof v === 'number') limits[key] = v;
    }
    this.info = {
      backend: 'webgpu',
      description,
      isSoftware,
      features: [...device.features].sort(),
      limits,
      maxBindingBytes: this.ctx.maxBindingBytes,
    };
  }

  alloc(numel: number, _dtype: DType): BackendBuffer {
    return this.ctx.alloc(numel * 4);
  }
  upload(data: StorageArray, _dtype: DType): BackendBuffer {
    return this.ctx.upload(data);
  }
  async read(buf: BackendBuffer, numel: number, dtype: DType): Promise<StorageArray> {
    if (numel === 0) return storageView(dtype, new ArrayBuffer(0), 0);
    const bytes = await this.ctx.read(buf as GpuBuffer, numel * 4);
    return storageView(dtype, bytes, numel);
  }
  release(buf: BackendBuffer): void {
    this.ctx.release(buf as GpuBuffer);
  }
  flush(): void {
    this.ctx.flush();
  }
  poolBytes(): number {
    return this.ctx.poolBytes();
  }
  allocatedBytes(): number {
    return this.ctx.allocatedBytes();
  }
  emptyCache(): void {
    this.ctx.emptyCache();
  }
  sync(): Promise<void> {
    return this.ctx.sync();
  }
  throttle(): Promise<void> {
    return this.ctx.throttle();
  }
  private profiler: GpuProfiler | null = null;
  /** @internal The profiler's hook (see `profile`). */
  profileHook(): GpuProfiler {
    return (this.profiler ??= new GpuProfiler(this.ctx));
  }

  fill(out: BackendBuffer, numel: number, dtype: DType, value: number): void { gpuFill(this.ctx, out, numel, dtype, value); }
  random(out: BackendBuffer, numel: number, dtype: DType, spec: RandomSpec): void { gpuRandom(this.ctx, out, numel, dtype, spec); }
  arange(out: BackendBuffer, numel: number, dtype: DType, start: number, step: number): void { gpuArange(this.ctx, out, numel, dtype, start, step); }
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, numel: number, dtype: DType, alpha: number, beta: number): void { gpuUnary(this.ctx, op, x, out, numel, dtype, alpha, beta); }
  unaryBackward(op: UnaryBackwardOp, g: BackendBuffer, x: BackendBuffer, out: BackendBuffer, numel: number, alpha: number): void { gpuUnaryBackward(this.ctx, op, g, x, out, numel, alpha); }
  cast(x: BackendBuffer, out: BackendBuffer, numel: number, from: DType, to: DType): void { gpuCast(this.ctx, x, out, numel, from, to); }
  binary(op: BinaryOp, a: Strided, b: Strided, out: BackendBuffer, shape: number[], inDtype: DType, outDtype: DType): void { gpuBinary(this.ctx, op, a, b, out, shape, inDtype, outDtype); }
  where(cond: Strided, a: Strided, b: Strided, out: BackendBuffer, shape: number[], dtype: DType): void { gpuWhere(this.ctx, cond, a, b, out, shape, dtype); }
  copy(src: Strided, out: BackendBuffer, shape: number[], dtype: DType): void { gpuCopy(this.ctx, src, out, shape, dtype); }
  copyInto(src: BackendBuffer, dst: Strided, shape: number[], dtype: DType): void { gpuCopyInto(this.ctx, src, dst, shape, dtype); }
  pad(x: BackendBuffer, shape: number[], out: BackendBuffer, outShape: number[], before: number[], mode: PadMode, value: number, dtype: DType): void { gpuPad(this.ctx, x, shape, out, outShape, before, mode, value, dtype); }
  gather(x: BackendBuffer, xShape: number[], index: BackendBuffer, outShape: number[], dim: number, out: BackendBuffer, dtype: DType): void { gpuGather(this.ctx, x, xShape, index, outShape, dim, out, dtype); }
  scatterAdd(src: BackendBuffer, index: BackendBuffer, indexShape: number[], dim: number, out: BackendBuffer, outShape: number[], dtype: DType): void { gpuScatterAdd(this.ctx, src, index, indexShape, dim, out, outShape, dtype); }
  indexSelect(x: BackendBuffer, xShape: number[], index: BackendBuffer, count: number, dim: number, out: BackendBuffer, dtype: DType): void { gpuIndexSelect(this.ctx, x, xShape, index, count, dim, out, dtype); }
  reduce(op: ReduceOp, x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void { gpuReduce(this.ctx, op, x, out, outer, len, inner, dtype); }
  argReduce(op: 'argmax' | 'argmin', x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void { gpuArgReduce(this.ctx, op, x, out, outer, len, inner, dtype); }
  cumsum(x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void { gpuCumsum(this.ctx, x, out, outer, len, inner, dtype); }
  matmul(a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, p: MatmulParams, e?: Epilogue): void { gpuMatmul(this.ctx, a, b, out, p, e); }
  conv2d(x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams, e?: Epilogue): void { gpuConv2d(this.ctx, x, w, bias, out, p, e); }
  convTranspose2d(x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams): void { gpuConvTranspose2d(this.ctx, x, w, bias, out, p); }
  conv2dWeightGrad(x: BackendBuffer, gOut: BackendBuffer, dW: BackendBuffer, dBias: BackendBuffer | null, p: Conv2dParams): void { gpuConv2dWeightGrad(this.ctx, x, gOut, dW, dBias, p); }
  pool2d(kind: 'max' | 'avg', x: BackendBuffer, out: BackendBuffer, p: Pool2dParams): void { gpuPool2d(this.ctx, kind, x, out, p); }
  adaptiveAvgPool2d(x: BackendBuffer, out: BackendBuffer, n: number, c: number, h: number, w: number, oh: number, ow: number): void { gpuAdaptiveAvgPool2d(this.ctx, x, out, n, c, h, w, oh, ow); }
  resize(x: BackendBuffer, out: BackendBuffer, p: ResizeParams): void { gpuResize(this.ctx, x, out, p); }
  gridSample(x: BackendBuffer, grid: BackendBuffer, out: BackendBuffer, p: GridSampleParams): void { gpuGridSample(this.ctx, x, grid, out, p); }
  groupNormForward(x: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, p: GroupNormParams): void { gpuGroupNormForward(this.ctx, x, w, b, out, mean, rstd, p); }
  groupNormBackward(
    x: BackendBuffer, g: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
    dx: BackendBuffer, dw: BackendBuffer | null, db: BackendBuffer | null, p: GroupNormParams,
  ): void { gpuGroupNormBackward(this.ctx, x, g, w, b, mean, rstd, dx, dw, db, p); }
  batchNormForward(x: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, variance: BackendBuffer | null, p: BatchNormParams): void { gpuBatchNormForward(this.ctx, x, w, b, out, mean, rstd, variance, p); }
  batchNormBackward(
    x: BackendBuffer, g: BackendBuffer, w: BackendBuffer | null, b: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
    dx: BackendBuffer, dw: BackendBuffer | null, db: BackendBuffer | null, p: BatchNormParams,
  ): void { gpuBatchNormBackward(this.ctx, x, g, w, b, mean, rstd, dx, dw, db, p); }
  adamUpdate(
    p: BackendBuffer, g: BackendBuffer, m: BackendBuffer | null, v: BackendBuffer | null, vMax: BackendBuffer | null,
    pOut: BackendBuffer, mOut: BackendBuffer, vOut: BackendBuffer, vMaxOut: BackendBuffer | null, q: AdamUpdateParams,
  ): void { gpuAdamUpdate(this.ctx, p, g, m, v, vMax, pOut, mOut, vOut, vMaxOut, q); }
  sgdUpdate(p: BackendBuffer, g: BackendBuffer, buf: BackendBuffer | null, pOut: BackendBuffer, bufOut: BackendBuffer | null, q: SgdUpdateParams): void { gpuSgdUpdate(this.ctx, p, g, buf, pOut, bufOut, q); }
  emaUpdate(s: BackendBuffer, t: BackendBuffer, out: BackendBuffer, numel: number, w: number): void { gpuEmaUpdate(this.ctx, s, t, out, numel, w); }
  adamUpdateMulti(updates: readonly AdamUpdateArgs[]): void { gpuAdamUpdateMulti(this.ctx, updates); }
  sgdUpdateMulti(updates: readonly SgdUpdateArgs[]): void { gpuSgdUpdateMulti(this.ctx, updates); }
  emaUpdateMulti(updates: readonly EmaUpdateArgs[]): void { gpuEmaUpdateMulti(this.ctx, updates); }
}
