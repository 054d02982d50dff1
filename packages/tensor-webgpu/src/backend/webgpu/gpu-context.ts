// WebGPU plumbing shared by every kernel: buffer pool, pipeline cache, uniform arena and command batching.
import type { BackendBuffer } from '../backend.js';
import { RadixError } from '../../errors.js';
import { BindGroupCache } from './bind-group-cache.js';
import { type DispatchObserver, InFlight } from './in-flight.js';

/** A pooled GPU buffer; `size` is the pooled capacity in bytes. */
export class GpuBuffer implements BackendBuffer {
  constructor(
    readonly buffer: GPUBuffer,
    readonly size: number,
  ) {}
  get byteLength(): number {
    return this.size;
  }
}

/** Packs kernel parameters as 32-bit words for the uniform block (`pu(i)`, `pi(i)`, `pf(i)` in WGSL). */
export class Params {
  readonly words: number[] = [];
  private readonly f32 = new Float32Array(1);
  private readonly u32 = new Uint32Array(this.f32.buffer);
  /** Appends an unsigned integer. */
  u(...v: number[]): this {
    for (const x of v) this.words.push(x >>> 0);
    return this;
  }
  /** Appends a signed integer. */
  i(...v: number[]): this {
    for (const x of v) this.words.push((x | 0) >>> 0);
    return this;
  }
  /** Appends a float32. */
  f(...v: number[]): this {
    for (const x of v) {
      this.f32[0] = x;
      this.words.push(this.u32[0]!);
    }
    return this;
  }
}

/** WGSL declaration of the uniform block and its accessors; every kernel starts with it. */
export function paramsWgsl(words: number): string {
  const n = Math.max(1, Math.ceil(words / 4));
  return `struct Params { w: array<vec4<u32>, ${n}> }
@group(0) @binding(0) var<uniform> params: Params;
fn pu(i: u32) -> u32 { return params.w[i / 4u][i % 4u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(pu(i)); }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
`;
}

/** One storage binding of a dispatch. */
export interface Binding {
  buf: GpuBuffer;
  /** Writable (`read_write`); otherwise `read`. */
  write?: boolean;
}

const ARENA_BYTES = 1 << 20;
const MAX_DISPATCHES_PER_SUBMIT = 2048;
/** Read-back staging buffers kept for reuse. */
const STAGING_POOL_BYTES = 64 << 20;

/** Rounds a byte size up to the pool's size classes (powers of two and 1.5× powers of two). */
export function sizeClass(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  return bytes <= p * 0.75 ? p * 0.75 : p;
}

/** Owns the GPUDevice and everything needed to record and submit kernels efficiently. */
export class GpuContext {
  readonly queue: GPUQueue;
  readonly uniformAlign: number;
  readonly maxBindingBytes: number;
  readonly maxWorkgroups: number;
  /** Largest pool kept before released buffers are destroyed instead. */
  poolLimitBytes = 1 << 30;
  /** When true, each pipeline's compilation errors are printed with its WGSL (RADIX_DEBUG_WGSL=1). */
  debug = typeof process !== 'undefined' && process.env?.RADIX_DEBUG_WGSL === '1';

  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooled = 0;
  private allocated = 0;
  private readonly pipelines = new Map<string, GPUComputePipeline>();
  private readonly layouts = new Map<string, GPUBindGroupLayout>();
  private readonly arena: GPUBuffer;
  private readonly arenaWords: Uint32Array<ArrayBuffer>;
  private arenaUsed = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  private deviceError: string | null = null;
  /** Storage buffers bound by dispatches recorded since the last submit (an upload into one must submit first). */
  private readonly touched = new Set<GPUBuffer>();
  private readonly staging = new Map<number, GPUBuffer[]>();
  private stagingBytes = 0;
  /** Bind groups reused across dispatches (uniforms use a dynamic offset). */
  readonly bindGroups: BindGroupCache;
  /** Submitted work not yet known to be complete. */
  readonly inFlight: InFlight;
  /** Sees every dispatch (the profiler); may wrap it in its own timed pass. */
  observer: DispatchObserver | null = null;
  /** Dispatches and submits recorded since the context was created. */
  totalDispatches = 0;

  constructor(readonly device: GPUDevice) {
    this.queue = device.queue;
    this.uniformAlign = Math.max(16, device.limits.minUniformBufferOffsetAlignment);
    this.maxBindingBytes = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
    this.maxWorkgroups = device.limits.maxComputeWorkgroupsPerDimension;
    this.arena = device.createBuffer({ size: ARENA_BYTES, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.arenaWords = new Uint32Array(ARENA_BYTES / 4);
    this.bindGroups = new BindGroupCache(device);
    this.inFlight = new InFlight(this.queue);
    device.addEventListener?.('uncapturederror', (ev: Event) => {
      const err = (ev as GPUUncapturedErrorEvent).error;
      this.deviceError ??= err.message;
      if (this.debug) console.error('[radix webgpu]', err.message);
    });
    void device.lost?.then((info) => {
      this.deviceError ??= `device lost: ${info.message}`;
    });
  }

  /** Throws the first asynchronous device error, if one happened (it should never; kernels validate first). */
  throwIfFailed(op: string): void {
    if (this.deviceError) throw new RadixError(op, `the WebGPU device reported an error: ${this.deviceError}`);
  }

  // ---------- memory ----------
  alloc(bytes: number, op = 'alloc'): GpuBuffer {
    const need = Math.max(bytes, 4);
    if (need > this.maxBindingBytes) {
      throw new RadixError(
        op,
        `needs a ${need}-byte buffer, more than this device's maximum storage binding (${this.maxBindingBytes} bytes)`,
      );
    }
    const size = this.capacity(need);
    const list = this.pool.get(size);
    const reuse = list?.pop();
    if (reuse) {
      this.pooled -= size;
      this.allocated += size;
      return new GpuBuffer(reuse, size);
    }
    const buffer = this.device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.allocated += size;
    return new GpuBuffer(buffer, size);
  }

  /** Pooled capacity for `need` bytes: its size class, but never above what one binding can address. */
  private capacity(need: number): number {
    return Math.min(sizeClass(need), Math.max(need, Math.floor(this.maxBindingBytes / 4) * 4));
  }

  /**
   * A pooled buffer filled with `bytes` through `queue.writeBuffer` (Dawn copies the data at once). If a dispatch
   * recorded but not yet submitted uses the recycled buffer, that work is submitted first so it reads the old contents.
   */
  upload(bytes: ArrayBufferView): GpuBuffer {
    const need = Math.max(4, Math.ceil(bytes.byteLength / 4) * 4);
    const b = this.alloc(need, 'tensor');
    if (bytes.byteLength === 0) return b;
    if (this.touched.has(b.buffer)) this.flush();
    this.inFlight.uploaded(need);
    const src = new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.byteLength % 4 === 0) this.queue.writeBuffer(b.buffer, 0, src);
    else {
      const padded = new Uint8Array(need);
      padded.set(src);
      this.queue.writeBuffer(b.buffer, 0, padded);
    }
    return b;
  }

  release(b: GpuBuffer): void {
    this.allocated -= b.size;
    if (this.pooled + b.size > this.poolLimitBytes) {
      this.flush();
      this.bindGroups.forget(b.buffer);
      b.buffer.destroy();
      return;
    }
    let list = this.pool.get(b.size);
    if (!list) this.pool.set(b.size, (list = []));
    list.push(b.buffer);
    this.pooled += b.size;
  }

  poolBytes(): number {
    return this.pooled;
  }
  allocatedBytes(): number {
    return this.allocated;
  }
  emptyCache(): void {
    this.flush();
    for (const list of this.pool.values()) {
      for (const b of list) {
        this.bindGroups.forget(b);
        b.destroy();
      }
    }
    this.pool.clear();
    this.pooled = 0;
    for (const list of this.staging.values()) for (const b of list) b.destroy();
    this.staging.clear();
    this.stagingBytes = 0;
  }

  // ---------- kernels ----------
  private layout(bindings: readonly Binding[]): GPUBindGroupLayout {
    const key = bindings.map((b) => (b.write ? 'w' : 'r')).join('');
    let l = this.layouts.get(key);
    if (!l) {
      const entries: GPUBindGroupLayoutEntry[] = [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true } },
      ];
      bindings.forEach((b, i) =>
        entries.push({
          binding: i + 1,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: b.write ? 'storage' : 'read-only-storage' },
        }),
      );
      l = this.device.createBindGroupLayout({ entries });
      this.layouts.set(key, l);
    }
    return l;
  }

  private pipeline(key: string, source: () => string, bindings: readonly Binding[]): GPUComputePipeline {
    const layoutKey = bindings.map((b) => (b.write ? 'w' : 'r')).join('');
    const fullKey = `${key}|${layoutKey}`;
    let p = this.pipelines.get(fullKey);
    if (!p) {
      const code = source();
      if (this.debug) this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code, label: key });
      p = this.device.createComputePipeline({
        label: key,
        layout: this.device.createPipelineLayout({ bindGroupLayouts: [this.layout(bindings)] }),
        compute: { module, entryPoint: 'main' },
      });
      if (this.debug) {
        void this.device.popErrorScope().then((e) => {
          if (e) console.error(`[radix webgpu] kernel ${key} failed to compile: ${e.message}\n${code}`);
        });
      }
      this.pipelines.set(fullKey, p);
    }
    return p;
  }

  /**
   * Records one dispatch. `key` must identify the WGSL `source` uniquely (it caches the pipeline).
   * Binding 0 is the uniform `params`; `bindings[i]` is `@binding(i + 1)`.
   */
  dispatch(key: string, source: () => string, bindings: readonly Binding[], params: Params | null, workgroups: [number, number, number]): void {
    if (workgroups[0] === 0 || workgroups[1] === 0 || workgroups[2] === 0) return;
    for (const w of workgroups) {
      if (w > this.maxWorkgroups) throw new RadixError(key, `dispatch of ${workgroups.join('×')} workgroups exceeds the device limit ${this.maxWorkgroups}`);
    }
    const words = params?.words ?? [];
    const bytes = Math.max(16, Math.ceil((words.length * 4) / 16) * 16);
    if (this.arenaUsed + bytes > ARENA_BYTES || this.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
    const offset = this.arenaUsed;
    this.arenaWords.set(words, offset / 4);
    this.arenaUsed = Math.ceil((offset + bytes) / this.uniformAlign) * this.uniformAlign;

    const pipeline = this.pipeline(key, source, bindings);
    const layoutKey = bindings.map((b) => (b.write ? 'w' : 'r')).join('');
    const layout = this.layout(bindings);
    const group = this.bindGroups.get(layout, layoutKey, this.arena, bytes, bindings.map((b) => ({ buffer: b.buf.buffer, size: b.buf.size })));
    for (const b of bindings) this.touched.add(b.buf.buffer);
    this.encoder ??= this.device.createCommandEncoder();
    const timed = this.observer?.passDescriptor(key);
    if (timed) {
      this.pass?.end();
      this.pass = this.encoder.beginComputePass(timed);
    } else this.pass ??= this.encoder.beginComputePass();
    this.pass.setPipeline(pipeline);
    this.pass.setBindGroup(0, group, [offset]);
    this.pass.dispatchWorkgroups(workgroups[0], workgroups[1], workgroups[2]);
    if (timed) {
      this.pass.end();
      this.pass = null;
    }
    this.dispatches++;
    this.totalDispatches++;
    this.observer?.dispatched(key, workgroups, { pipeline, layout, params: words, paramBytes: bytes, sizes: bindings.map((b) => b.buf.size) });
  }

  /** Workgroup counts covering `threads` invocations of `wgSize`, folded into 2-D past the per-dimension limit. */
  grid(threads: number, wgSize: number): [number, number, number] {
    const groups = Math.ceil(threads / wgSize);
    if (groups <= this.maxWorkgroups) return [groups, 1, 1];
    const y = Math.ceil(groups / this.maxWorkgroups);
    return [Math.ceil(groups / y), y, 1];
  }

  /** Submits everything recorded so far (uniforms are written just before, in queue order). */
  flush(): void {
    if (!this.encoder) return;
    this.pass?.end();
    this.pass = null;
    this.observer?.beforeSubmit(this.encoder);
    if (this.arenaUsed > 0) this.queue.writeBuffer(this.arena, 0, this.arenaWords, 0, this.arenaUsed / 4);
    this.queue.submit([this.encoder.finish()]);
    this.inFlight.submitted(this.dispatches);
    this.observer?.afterSubmit();
    this.encoder = null;
    this.arenaUsed = 0;
    this.dispatches = 0;
    this.touched.clear();
  }

  /** A MAP_READ staging buffer of at least `size` bytes (pooled: reads reuse them). */
  private takeStaging(size: number): [GPUBuffer, number] {
    const cap = sizeClass(size);
    const reuse = this.staging.get(cap)?.pop();
    if (reuse) {
      this.stagingBytes -= cap;
      return [reuse, cap];
    }
    return [this.device.createBuffer({ size: cap, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }), cap];
  }

  private giveStaging(b: GPUBuffer, cap: number): void {
    if (this.stagingBytes + cap > STAGING_POOL_BYTES) {
      b.destroy();
      return;
    }
    let list = this.staging.get(cap);
    if (!list) this.staging.set(cap, (list = []));
    list.push(b);
    this.stagingBytes += cap;
  }

  /** Copies `bytes` of a buffer back to the host; waits for all prior work. */
  async read(b: GpuBuffer, bytes: number): Promise<ArrayBuffer> {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const [staging, cap] = this.takeStaging(size);
    this.pass?.end();
    this.pass = null;
    this.encoder ??= this.device.createCommandEncoder();
    this.encoder.copyBufferToBuffer(b.buffer, 0, staging, 0, size);
    this.flush();
    try {
      await staging.mapAsync(GPUMapMode.READ, 0, size);
    } catch (e) {
      staging.destroy();
      this.throwIfFailed('data');
      throw new RadixError('data', `reading back from the GPU failed: ${(e as Error).message}`);
    }
    const out = staging.getMappedRange(0, size).slice(0, bytes);
    staging.unmap();
    this.giveStaging(staging, cap);
    this.inFlight.completedAll();
    this.throwIfFailed('data');
    return out;
  }

  /**
   * Submits what is recorded and resolves once the work in flight is within `inFlight.limits` (at once when it is).
   * Unlike {@link sync} it does not drain the queue: the newest submits keep the device busy.
   */
  async throttle(): Promise<void> {
    this.flush();
    if (this.inFlight.unsubmittedUploadBytes > 0) {
      // Uploads with no dispatch after them: an empty submit gives them a completion to wait on.
      this.queue.submit([]);
      this.inFlight.submitted(0);
    }
    const wait = this.inFlight.throttle();
    if (wait) await wait;
    this.throwIfFailed('throttle');
  }

  /** Waits until the queue is idle. */
  async sync(): Promise<void> {
    this.flush();
    await this.queue.onSubmittedWorkDone();
    this.inFlight.completedAll();
    this.throwIfFailed('sync');
  }
}

/** WGSL snippet: the flattened invocation index for a grid made by `GpuContext.grid`. */
export function linearIndex(wgSize: number): string {
  return `gid.x + gid.y * nwg.x * ${wgSize}u`;
}

/** WGSL entry-point signature used by 1-D kernels. */
export function entry1d(wgSize: number): string {
  return `@compute @workgroup_size(${wgSize})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>)`;
}

/** WGSL element type for a dtype's storage. */
export function wgslType(dtype: string): 'f32' | 'i32' | 'u32' {
  return dtype === 'float32' ? 'f32' : dtype === 'int32' ? 'i32' : 'u32';
}
