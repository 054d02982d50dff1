// The pure-TypeScript backend: plain loops over typed arrays, the reference every WebGPU kernel is checked against.
import type { Backend, BackendBuffer, DeviceInfo } from '../backend.js';
import { type DType, type StorageArray, storageArray } from '../../dtype.js';
import { CpuBuffer, arr } from './cpu-buffer.js';
import { cpuArange, cpuBinary, cpuCast, cpuCopy, cpuCopyInto, cpuFill, cpuRandom, cpuUnary, cpuUnaryBackward, cpuWhere } from './core.js';
import { cpuArgReduce, cpuCumsum, cpuReduce } from './reduce.js';
import { cpuGather, cpuIndexSelect, cpuPad } from './movement.js';
import { cpuScatterAdd } from './scatter.js';
import { cpuConv2d, cpuConv2dWeightGrad, cpuConvTranspose2d, cpuMatmul } from './linalg.js';
import { cpuAdaptiveAvgPool2d, cpuGridSample, cpuPool2d, cpuResize } from './image.js';
import { CpuProfiler } from './cpu-profiler.js';
import { cpuAdamUpdate, cpuAdamUpdateMulti, cpuEmaUpdate, cpuEmaUpdateMulti, cpuSgdUpdate, cpuSgdUpdateMulti } from './optim.js';
import { cpuBatchNormBackward, cpuBatchNormForward, cpuGroupNormBackward, cpuGroupNormForward } from './norm.js';

/**
 * The CPU reference backend. Always available; used when no WebGPU adapter exists.
 *
 * @example
 * const cpu = await init({ backend: 'cpu' });
 */
export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;
  readonly info: DeviceInfo = {
    backend: 'cpu',
    description: `CPU (pure TypeScript, ${typeof process !== 'undefined' ? `Node ${process.version}` : 'browser'})`,
    isSoftware: true,
    features: [],
    limits: {},
    maxBindingBytes: 2 ** 31 - 4,
  };
  private allocated = 0;

  alloc(numel: number, dtype: DType): BackendBuffer {
    const b = new CpuBuffer(storageArray(dtype, numel));
    this.allocated += b.byteLength;
    return b;
  }
  upload(data: StorageArray, dtype: DType): BackendBuffer {
    const b = this.alloc(data.length, dtype);
    arr(b).set(data);
    return b;
  }
  async read(buf: BackendBuffer, numel: number, _dtype: DType): Promise<StorageArray> {
    return arr(buf).slice(0, numel);
  }
  release(buf: BackendBuffer): void {
    this.allocated -= buf.byteLength;
  }
  flush(): void {}
  poolBytes(): number {
    return 0;
  }
  allocatedBytes(): number {
    return this.allocated;
  }
  emptyCache(): void {}
  async sync(): Promise<void> {}
  async throttle(): Promise<void> {}
  private profiler: CpuProfiler | null = null;
  /** @internal The profiler's hook (see `profile`). */
  profileHook(): CpuProfiler {
    return (this.profiler ??= new CpuProfiler(this));
  }

  fill = cpuFill;
  random = cpuRandom;
  arange = cpuArange;
  unary = cpuUnary;
  unaryBackward = cpuUnaryBackward;
  cast = cpuCast;
  binary = cpuBinary;
  where = cpuWhere;
  copy = cpuCopy;
  copyInto = cpuCopyInto;
  pad = cpuPad;
  gather = cpuGather;
  indexSelect = cpuIndexSelect;
  scatterAdd = cpuScatterAdd;
  reduce = cpuReduce;
  argReduce = cpuArgReduce;
  cumsum = cpuCumsum;
  matmul = cpuMatmul;
  conv2d = cpuConv2d;
  convTranspose2d = cpuConvTranspose2d;
  conv2dWeightGrad = cpuConv2dWeightGrad;
  pool2d = cpuPool2d;
  adaptiveAvgPool2d = cpuAdaptiveAvgPool2d;
  resize = cpuResize;
  gridSample = cpuGridSample;
  groupNormForward = cpuGroupNormForward;
  groupNormBackward = cpuGroupNormBackward;
  batchNormForward = cpuBatchNormForward;
  batchNormBackward = cpuBatchNormBackward;
  adamUpdate = cpuAdamUpdate;
  sgdUpdate = cpuSgdUpdate;
  emaUpdate = cpuEmaUpdate;
  adamUpdateMulti = cpuAdamUpdateMulti;
  sgdUpdateMulti = cpuSgdUpdateMulti;
  emaUpdateMulti = cpuEmaUpdateMulti;
}
