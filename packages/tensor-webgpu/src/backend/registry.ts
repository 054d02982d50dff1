// Chooses and remembers the compute backend: init({ backend }) picks WebGPU or the CPU reference.
import type { Backend, BackendName } from './backend.js';
import { CpuBackend } from './cpu/cpu-backend.js';
import { createWebGpuBackend, type WebGpuInitOptions } from './webgpu/webgpu-backend.js';
import { registerBackendForMemory } from '../memory.js';
import { RadixError } from '../errors.js';
import { profileFromEnv } from '../profiler.js';

const backends = new Map<BackendName, Backend>();
let current: Backend | null = null;

/** Options of {@link init}. */
export interface InitOptions extends WebGpuInitOptions {
  /** `'auto'` (default) uses WebGPU when an adapter exists and falls back to the CPU backend. */
  backend?: 'auto' | BackendName;
}

/**
 * Initialises a backend and makes it the default for new tensors. Safe to call more than once:
 * each backend is created once and reused.
 *
 * @example
 * const backend = await init({ backend: 'auto' });
 * console.log(backend.name, backend.info.description);
 */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const want = options.backend ?? 'auto';
  if (want === 'cpu') return setCurrent(cpuBackend());
  const existing = backends.get('webgpu');
  if (existing) return setCurrent(existing);
  let gpu: Backend | null = null;
  let reason = '';
  try {
    gpu = await createWebGpuBackend(options);
  } catch (e) {
    reason = (e as Error).message;
  }
  if (gpu) {
    backends.set('webgpu', gpu);
    registerBackendForMemory(gpu);
    return setCurrent(gpu);
  }
  if (want === 'webgpu') throw new RadixError('init', `no WebGPU device is available: ${reason}`);
  return setCurrent(cpuBackend());
}

function cpuBackend(): Backend {
  let b = backends.get('cpu');
  if (!b) {
    b = new CpuBackend();
    backends.set('cpu', b);
    registerBackendForMemory(b);
  }
  return b;
}

function setCurrent(b: Backend): Backend {
  profileFromEnv(b);
  current = b;
  return b;
}

/**
 * The default backend for new tensors; the CPU backend when `init` was never called.
 *
 * @example
 * getBackend().name; // 'cpu' or 'webgpu'
 */
export function getBackend(name?: BackendName): Backend {
  if (name === undefined) return current ?? setCurrent(cpuBackend());
  if (name === 'cpu') return cpuBackend();
  const b = backends.get(name);
  if (!b) throw new RadixError('getBackend', `backend '${name}' is not initialised; call await init({ backend: '${name}' }) first`);
  return b;
}

/**
 * Makes an already initialised backend the default.
 *
 * @example
 * setBackend('cpu');
 */
export function setBackend(name: BackendName): Backend {
  return setCurrent(getBackend(name));
}

/**
 * Bounds the work queued on the GPU: submits what is recorded and waits until the work in flight (submits, dispatches
 * and uploaded bytes not yet known complete; see `WebGpuBackend.ctx.inFlight.limits`) is within the bound, returning at
 * once when it already is. It does not drain the queue as a read does, so the device stays busy.
 *
 * JavaScript cannot block on the GPU: a loop that never awaits records work as fast as it runs and the queue (and
 * Dawn's memory for it) grows until the first read. Awaiting `throttle()` once per step keeps both flat at the cost of
 * one event-loop turn when the bound is not reached.
 *
 * @example
 * for (let step = 0; step < steps; step++) {
 *   tidy(() => {
 *     nn.mseLoss(net.call(x), y).backward();
 *     opt.step();
 *     opt.zeroGrad();
 *   });
 *   await throttle();
 * }
 */
export async function throttle(): Promise<void> {
  for (const b of backends.values()) await b.throttle();
}
