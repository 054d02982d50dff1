// Child process of no-await-soak.test.ts: trains a tiny conv net with Adam for STEPS steps without ever reading back
// (no read, no sync), sampling RSS and the backend's object counts, then prints one JSON line with the samples. With
// SOAK_THROTTLE=1 each step ends with `await throttle()` (the library's bound on work in flight); otherwise the loop
// never awaits at all.
import { init, memory, nn, optim, randn, throttle, tidy, F, Generator } from '../../../dist/index.js';

const steps = Number(process.env.SOAK_STEPS ?? 2000);
const throttled = process.env.SOAK_THROTTLE === '1';
const every = Number(process.env.SOAK_SAMPLE_EVERY ?? 100);
const backend = await init({ backend: process.env.SOAK_BACKEND ?? 'webgpu' });
const g = new Generator(7);

class Net extends nn.Module {
  c1 = new nn.Conv2d(3, 8, 3, { padding: 1 });
  n1 = new nn.GroupNorm(2, 8);
  c2 = new nn.Conv2d(8, 3, 3, { padding: 1 });
  forward(x) {
    return this.c2.call(F.silu(this.n1.call(this.c1.call(x))));
  }
}
const net = new Net();
const opt = new optim.Adam(net.parameters(), { lr: 1e-3 });
const x = randn([4, 3, 16, 16], { generator: g });
const y = randn([4, 3, 16, 16], { generator: g });

const samples = [];
const ctx = backend.ctx;
const sample = (step) => {
  // A full GC first (the parent passes --expose-gc), so RSS shows native memory rather than V8's collection timing.
  globalThis.gc?.();
  const m = memory();
  samples.push({
    step,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    liveTensors: m.liveTensors,
    poolBytes: m.poolBytes[backend.name] ?? 0,
    liveBytes: m.liveBytes[backend.name] ?? 0,
    bindGroupsCreated: ctx?.bindGroups.created ?? 0,
    dispatchesInFlight: ctx?.inFlight.dispatchesInFlight ?? 0,
    submitsInFlight: ctx ? ctx.inFlight.submits - ctx.inFlight.completedSubmits : 0,
  });
};
const t0 = performance.now();
for (let step = 0; step < steps; step++) {
  // A fresh batch each step (uploads must reuse pooled buffers too).
  const xb = step % 2 ? x.add(0) : x.mul(1);
  tidy(() => {
    const loss = nn.mseLoss(net.call(xb), y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
  });
  xb.dispose();
  if (throttled) await throttle();
  if (step % every === 0 || step === steps - 1) sample(step);
}
const recordMs = performance.now() - t0;
// Only now wait: the loop above never gave the event loop a turn.
const lossValue = await tidy(() => nn.mseLoss(net.call(x), y)).item();
const totalMs = performance.now() - t0;
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const f = ctx?.inFlight;
const bound = f ? { limits: f.limits, throttleWaits: f.throttleWaits, throttleWaitMs: f.throttleWaitMs, peakDispatchesInFlight: f.peakDispatchesInFlight } : null;
console.log(JSON.stringify({ backend: backend.name, device: backend.info.description, throttled, steps, recordMs, totalMs, peakRssMiB, lossValue, bound, samples }));
process.exit(0);
