// Tracks submitted WebGPU work that is not yet known to be complete, and the hook the profiler uses to see and time
// each dispatch. Completion is learnt from onSubmittedWorkDone, which Dawn (in Node) reports on the event loop.

/** Sees every dispatch of a GpuContext: the profiler implements it. */
export interface DispatchObserver {
  /** A compute pass descriptor (with timestamp writes) to run `key` in its own pass, or null to share the pass. */
  passDescriptor(key: string): GPUComputePassDescriptor | null;
  /** Called after each dispatch is recorded. */
  dispatched(key: string, workgroups: readonly [number, number, number]): void;
  /** Called with the encoder about to be finished (e.g. to resolve timestamp queries into it). */
  beforeSubmit(encoder: GPUCommandEncoder): void;
  /** Called right after the submit. */
  afterSubmit(): void;
}

/** Watchers registered at most: later submits are covered by the next watcher, since the queue completes in order. */
const MAX_WATCHERS = 8;

/**
 * Counts submits and dispatches in flight. Each submit registers a completion watcher (up to {@link MAX_WATCHERS}
 * outstanding), so `dispatchesInFlight` is exact whenever the event loop has run since the work finished.
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
  private readonly perSubmit: number[] = [];
  private watchers = 0;

  constructor(private readonly queue: GPUQueue) {}

  /** Records a submit of `dispatches` kernels. */
  submitted(dispatches: number): void {
    this.submits++;
    this.perSubmit.push(dispatches);
    this.dispatchesInFlight += dispatches;
    this.peakDispatchesInFlight = Math.max(this.peakDispatchesInFlight, this.dispatchesInFlight);
    if (this.watchers >= MAX_WATCHERS) return;
    this.watchers++;
    const upTo = this.submits;
    this.queue.onSubmittedWorkDone().then(
      () => {
        this.watchers--;
        this.completedUpTo(upTo);
      },
      () => {
        this.watchers--;
      },
    );
  }

  /** Everything submitted so far is complete (a read-back or sync returned). */
  completedAll(): void {
    this.completedUpTo(this.submits);
  }

  private completedUpTo(n: number): void {
    while (this.completedSubmits < n && this.perSubmit.length) {
      this.dispatchesInFlight -= this.perSubmit.shift()!;
      this.completedSubmits++;
    }
  }
}
