// The CPU side of the profiler: while a profile is attached, each compute primitive of the backend instance is wrapped
// to count its calls and time them on the wall clock.
import type { ProfileHook, ProfileSink, ProfileTiming } from '../../profiler.js';
import type { Backend } from '../backend.js';

/** Compute primitives of the Backend interface (memory management is not profiled). */
const PRIMITIVES = [
  'fill', 'random', 'arange', 'unary', 'unaryBackward', 'cast', 'binary', 'where', 'copy', 'copyInto', 'pad', 'gather', 'scatterAdd',
  'indexSelect', 'reduce', 'argReduce', 'cumsum', 'matmul', 'conv2d', 'convTranspose2d', 'conv2dWeightGrad', 'pool2d',
  'adaptiveAvgPool2d', 'resize', 'gridSample', 'groupNormForward', 'groupNormBackward', 'batchNormForward', 'batchNormBackward', 'adamUpdate', 'sgdUpdate', 'emaUpdate',
  'adamUpdateMulti', 'sgdUpdateMulti', 'emaUpdateMulti',
] as const;

/** Primitives whose first argument names the operation: profiled as `unary_silu`, `binary_add`, … */
const NAMED = new Set(['unary', 'unaryBackward', 'binary', 'reduce', 'argReduce', 'pool2d']);

/** @internal */
export class CpuProfiler implements ProfileHook {
  private readonly sinks = new Set<ProfileSink>();
  private saved: { name: string; own: boolean; fn: unknown }[] = [];

  constructor(private readonly backend: Backend) {}

  timing(): ProfileTiming {
    return 'cpu-wall';
  }

  attach(sink: ProfileSink): void {
    if (this.sinks.size === 0) this.wrap();
    this.sinks.add(sink);
  }

  detach(sink: ProfileSink): void {
    this.sinks.delete(sink);
    if (this.sinks.size === 0) this.unwrap();
  }

  async settle(): Promise<void> {}

  private wrap(): void {
    const b = this.backend as unknown as Record<string, (...args: unknown[]) => unknown>;
    for (const name of PRIMITIVES) {
      const fn = b[name]!;
      this.saved.push({ name, own: Object.prototype.hasOwnProperty.call(b, name), fn });
      const sinks = this.sinks;
      b[name] = function (this: unknown, ...args: unknown[]) {
        const key = NAMED.has(name) ? `${name}_${String(args[0])}` : name;
        const t0 = performance.now();
        const r = fn.apply(this, args);
        const ms = performance.now() - t0;
        for (const s of sinks) {
          s.count(key);
          s.time(key, ms);
        }
        return r;
      };
    }
  }

  private unwrap(): void {
    const b = this.backend as unknown as Record<string, unknown>;
    for (const { name, own, fn } of this.saved) {
      if (own) b[name] = fn;
      else delete b[name];
    }
    this.saved = [];
  }
}
