// Shared wall-clock timing method, used by both the tfjs-webgpu peer and our own kernels,
// so that both sides are measured identically (run N ops, sync via a tiny GPU readback).

/** Summary stats (ms) of a list of per-op samples. */
export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const mean = s.reduce((acc, x) => acc + x, 0) / n;
  return { median, mean, min: s[0], max: s[n - 1] };
}

/** GFLOP/s for `flops` floating-point operations done in `ms` milliseconds. */
export const gflops = (flops, ms) => flops / (ms * 1e6);

/**
 * Time an op.  Each sample runs `runOnce()` `batch` times back to back, then awaits
 * `sync()` once (which must wait for the GPU, e.g. via readbackProbe), and records
 * wall-clock ms / batch.  Nothing is subtracted: the sync/readback is part of the time.
 * @returns {{median:number, mean:number, min:number, max:number, samples:number[],
 *            iters:number, batch:number, totalMs:number}}
 */
export async function measure(runOnce, sync, { warmup = 2, iters = 10, batch = 1 } = {}) {
  for (let i = 0; i < warmup; i++) {
    await runOnce();
    await sync();
  }
  const samples = [];
  const t0 = performance.now();
  for (let i = 0; i < iters; i++) {
    const t = performance.now();
    for (let b = 0; b < batch; b++) await runOnce();
    await sync();
    samples.push((performance.now() - t) / batch);
  }
  return { ...stats(samples), samples, iters, batch, totalMs: performance.now() - t0 };
}

/**
 * Returns `async (buffer) => number`: copies the first 4 bytes of `buffer` (needs COPY_SRC)
 * into a MAP_READ staging buffer, submits, and maps it.  Because queue order is preserved,
 * this waits for all previously submitted work; it costs one tiny copy + one map.
 */
export function readbackProbe(device) {
  const staging = device.createBuffer({
    size: 4,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  return async (buffer) => {
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(buffer, 0, staging, 0, 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const v = new Float32Array(staging.getMappedRange())[0];
    staging.unmap();
    return v;
  };
}
