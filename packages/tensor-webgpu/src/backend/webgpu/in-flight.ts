// Tracks submitted WebGPU work that is not yet known to be complete and bounds it, and the hook the profiler uses to
// see and time each dispatch. Completion is learnt from onSubmittedWorkDone, which Dawn (in Node) reports on the event
// loop: JavaScript cannot block on the GPU, so the bound is enforced where the caller awaits (`throttle`, reads).

/** What a dispatch ran, enough to run it again on scratch buffers (the profiler's wall-time replay). */
export interface DispatchInfo {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  /** The uniform words and their binding size in bytes. */
  params: readonly number[];
  paramBytes: number;
  /** Byte size of each storage binding, in binding order. */
  sizes: readonly number[];
}

/** Sees every dispatch of a GpuContext: the profiler implements it. */
export interface DispatchObserver {
  /** A compute pass descriptor (with timestamp writes) to run `key` in its own pass, or null to share the pass. */
  passDescriptor(key: string): GPUComputePassDescriptor | null;
  /** Called after each dispatch is recorded. */
  dispatched(key: string, workgroups: readonly [number, number, number], info: DispatchInfo): void;
  /** Called with the encoder about to be finished (e.g. to resolve timestamp queries into it). */
  beforeSubmit(encoder: GPUCommandEncoder): void;
  /** Called right after the submit. */
  afterSubmit(): void;
}

/** Watchers registered at most: later submits are covered by the next watcher, since the queue completes in order. */
const MAX_WATCHERS = 8;

/** How much submitted work may be outstanding before {@link InFlight.throttle} waits. */
export interface InFlightLimits {
  /** Submits not yet known complete (default 8). */
  submits: number;
  /** Dispatches in those submits (default 4096). */
  dispatches: number;
  /** Bytes written by uploads (`queue.writeBuffer`) into those submits (default 256 MiB). */
  uploadBytes: number;
}

/**
 * Counts submits, dispatches and uploaded bytes in flight. Each submit registers a completion watcher (up to
 * {@link MAX_WATCHERS} outstanding), so the counts are exact whenever the event loop has run since the work finished;
 * {@link throttle} waits until they are within {@link limits}.
 */
export class InFlight {
  /** Submits so far. */
  submits = 0;
  /** Highest submit index known complete. */
  completedSubmits = 0;
  /** Dispatches recorded into submits not yet known complete. */
  dispatchesInFlight = 0;
  /** The largest `dispatchesInFlight` seen. */
  peakDispatchesInFlight = 0;
  /** Upload bytes queued with submits not yet known complete. */
  uploadBytesInFlight = 0;
  /** Times {@link throttle} had to wait, and the milliseconds it waited in all. */
  throttleWaits = 0;
  throttleWaitMs = 0;
  /** The bound {@link throttle} enforces. */
  readonly limits: InFlightLimits = { submits: 8, dispatches: 4096, uploadBytes: 256 << 20 };
  private readonly perSubmit: { dispatches: number; uploadBytes: number }[] = [];
  private pendingUploadBytes = 0;
  private watchers = 0;
  /** Submit index → resolvers waiting for it to complete. */
  private waiting: { upTo: number; resolve: () => void }[] = [];

  constructor(private readonly queue: GPUQueue) {}

  /** Records `bytes` written by `queue.writeBuffer`; they belong to the next submit. */
  uploaded(bytes: number): void {
    this.pendingUploadBytes += bytes;
  }

  /** Upload bytes written since the last submit. */
  get unsubmittedUploadBytes(): number {
    return this.pendingUploadBytes;
  }

  /** Records a submit of `dispatches` kernels. */
  submitted(dispatches: number): void {
    this.submits++;
    const uploadBytes = this.pendingUploadBytes;
    this.pendingUploadBytes = 0;
    this.perSubmit.push({ dispatches, uploadBytes });
    this.dispatchesInFlight += dispatches;
    this.uploadBytesInFlight += uploadBytes;
    this.peakDispatchesInFlight = Math.max(this.peakDispatchesInFlight, this.dispatchesInFlight);
    if (this.watchers < MAX_WATCHERS) this.watch();
  }

  /** Registers a completion watcher for everything submitted so far. */
  private watch(): void {
    this.watchers++;
    const upTo = this.submits;
    this.queue.onSubmittedWorkDone().then(
      () => {
        this.watchers--;
        this.completedUpTo(upTo);
      },
      () => {
        this.watchers--;
        // A lost device completes nothing more; let waiters go (the next read reports the error).
        this.completedUpTo(this.submits);
      },
    );
  }

  /** Everything submitted so far is complete (a read-back or sync returned). */
  completedAll(): void {
    this.completedUpTo(this.submits);
  }

  /** True when the work in flight is within {@link limits}. */
  withinLimits(): boolean {
    return (
      this.submits - this.completedSubmits <= this.limits.submits &&
      this.dispatchesInFlight <= this.limits.dispatches &&
      this.uploadBytesInFlight <= this.limits.uploadBytes
    );
  }

  /**
   * Resolves once the work in flight is within {@link limits}: at once (null) when it already is, otherwise when enough
   * of the oldest submits have completed. The newest submits keep running, so the device never idles while it waits.
   */
  throttle(): Promise<void> | null {
    if (this.withinLimits()) return null;
    // The oldest submit whose completion brings every count within the limits.
    let upTo = this.completedSubmits;
    let d = this.dispatchesInFlight;
    let u = this.uploadBytesInFlight;
    for (const s of this.perSubmit) {
      if (this.submits - upTo <= this.limits.submits && d <= this.limits.dispatches && u <= this.limits.uploadBytes) break;
      upTo++;
      d -= s.dispatches;
      u -= s.uploadBytes;
    }
    const t0 = performance.now();
    this.throttleWaits++;
    return new Promise<void>((resolve) => {
      this.waiting.push({
        upTo,
        resolve: () => {
          this.throttleWaitMs += performance.now() - t0;
          resolve();
        },
      });
      // Watchers cover submits in order; if none covers `upTo` yet (all were used up by older submits), add one.
      if (this.watchers < MAX_WATCHERS) this.watch();
    });
  }

  private completedUpTo(n: number): void {
    while (this.completedSubmits < n && this.perSubmit.length) {
      const s = this.perSubmit.shift()!;
      this.dispatchesInFlight -= s.dispatches;
      this.uploadBytesInFlight -= s.uploadBytes;
      this.completedSubmits++;
    }
    if (this.waiting.length) {
      const still: typeof this.waiting = [];
      for (const w of this.waiting) (w.upTo <= this.completedSubmits ? w.resolve() : still.push(w));
      this.waiting = still;
    }
    // Submits made after every watcher was spent are not watched yet: watch them now that a slot is free.
    if (this.completedSubmits < this.submits && this.watchers === 0) this.watch();
  }
}
