// InFlight's bound against a queue whose completions the test releases by hand.
import { describe, expect, it } from 'vitest';
import { InFlight } from './in-flight.js';

/** A GPUQueue stand-in: each onSubmittedWorkDone resolves when the test completes the submits it covers. */
class FakeQueue {
  submitted = 0;
  private done = 0;
  private watchers: { upTo: number; resolve: () => void }[] = [];
  onSubmittedWorkDone(): Promise<void> {
    if (this.submitted <= this.done) return Promise.resolve();
    return new Promise((resolve) => this.watchers.push({ upTo: this.submitted, resolve }));
  }
  /** Completes submits 1..n on the "device". */
  complete(n: number): void {
    this.done = n;
    this.watchers = this.watchers.filter((w) => (w.upTo <= n ? (w.resolve(), false) : true));
  }
}

const turn = () => new Promise<void>((r) => setTimeout(r, 0));

function setup() {
  const q = new FakeQueue();
  const f = new InFlight(q as unknown as GPUQueue);
  const submit = (dispatches: number, uploadBytes = 0) => {
    if (uploadBytes) f.uploaded(uploadBytes);
    q.submitted++;
    f.submitted(dispatches);
  };
  return { q, f, submit };
}

describe('InFlight bound', () => {
  it('throttle() returns null while within the limits', () => {
    const { f, submit } = setup();
    for (let i = 0; i < f.limits.submits; i++) submit(10);
    expect(f.withinLimits()).toBe(true);
    expect(f.throttle()).toBeNull();
  });

  it('waits for the oldest submits only, until the submit count is within the limit', async () => {
    const { q, f, submit } = setup();
    f.limits.submits = 2;
    for (let i = 0; i < 5; i++) submit(10);
    let done = false;
    void f.throttle()!.then(() => (done = true));
    q.complete(2);
    await turn();
    expect(done).toBe(false); // 3 submits still in flight
    q.complete(3);
    await turn();
    expect(done).toBe(true);
    expect(f.completedSubmits).toBe(3);
    expect(f.dispatchesInFlight).toBe(20);
    expect(f.throttleWaits).toBe(1);
  });

  it('counts dispatches and uploaded bytes against their limits', async () => {
    const { q, f, submit } = setup();
    f.limits.dispatches = 100;
    f.limits.uploadBytes = 1000;
    submit(80);
    submit(80);
    expect(f.withinLimits()).toBe(false);
    let done = false;
    void f.throttle()!.then(() => (done = true));
    q.complete(1);
    await turn();
    expect(done).toBe(true);
    expect(f.dispatchesInFlight).toBe(80);

    submit(1, 900);
    submit(1, 900);
    expect(f.uploadBytesInFlight).toBe(1800);
    done = false;
    void f.throttle()!.then(() => (done = true));
    q.complete(3);
    await turn();
    expect(done).toBe(true);
    expect(f.uploadBytesInFlight).toBe(900);
  });

  it('keeps watching submits made after every watcher slot was used', async () => {
    const { q, f, submit } = setup();
    for (let i = 0; i < 40; i++) submit(1);
    q.complete(40);
    await turn();
    await turn();
    expect(f.completedSubmits).toBe(40);
    expect(f.dispatchesInFlight).toBe(0);
  });
});
