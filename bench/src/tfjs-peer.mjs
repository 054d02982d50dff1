// Peer side of the benchmark: runs tfjs-webgpu 4.22.0 matmul/conv2d in this Node process on
// Dawn (`webgpu` package), ideally on the same GPUDevice as our kernels, timed via timing.mjs.
import { create, globals } from 'webgpu';
import { measure, gflops, readbackProbe } from './timing.mjs';

/** Installs the WebGPU globals tfjs needs (GPUBufferUsage etc. and navigator.gpu). Returns the GPU. */
export function installWebGPUGlobals(gpu) {
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) globalThis[k] = v;
  const existing = globalThis.navigator?.gpu;
  if (existing) return existing;
  gpu ??= create([]);
  if (globalThis.navigator === undefined) {
    // Node 20 has no navigator; Node >= 21 has one (without gpu) that we extend below.
    Object.defineProperty(globalThis, 'navigator', {
      value: {}, writable: true, configurable: true, enumerable: true,
    });
  }
  Object.defineProperty(globalThis.navigator, 'gpu', { value: gpu, configurable: true });
  return gpu;
}

/** Requests a device with the same limits/features tfjs-webgpu's own factory would ask for. */
export async function requestTfjsLikeDevice(adapter) {
  const l = adapter.limits;
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  const requiredLimits = {};
  for (const k of ['maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupsPerDimension',
    'maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupSizeX',
    'maxComputeInvocationsPerWorkgroup']) requiredLimits[k] = l[k];
  return adapter.requestDevice({ requiredFeatures, requiredLimits });
}

const shapeOfPad = (p) => (Array.isArray(p) ? p : [p, p]);

/**
 * Sets up tfjs-webgpu as the active tfjs backend.  If `device` is given, tfjs runs on it
 * (shared with our kernels); otherwise a device is created from `gpu` (or a fresh create([])).
 */
export async function initTfjsPeer(device, { gpu, adapterInfo } = {}) {
  gpu = installWebGPUGlobals(gpu);
  if (!device) device = await requestTfjsLikeDevice(await gpu.requestAdapter());
  const tf = await import('@tensorflow/tfjs-core');
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  tf.env().set('WEBGPU_CPU_FORWARD', false); // never hand small ops to the CPU
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapterInfo ?? device.adapterInfo), 3);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not init the webgpu backend');
  await tf.ready();
  const backend = tf.backend();
  if (backend.device !== device) throw new Error('tfjs webgpu backend is not on the given device');
  const probe = readbackProbe(device);

  // Flush tfjs's batched commands, then wait via a 4-byte readback of tensor `t`.
  const syncOn = async (t) => {
    if (backend.commandEncoder != null) {
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    await probe(backend.tensorMap.get(t.dataId).resource);
  };

  // Times `op()` (returns a tensor); results are disposed after every sync so memory stays flat.
  async function timeOp(op, opts) {
    let pending = [];
    const res = await measure(
      () => { pending.push(op()); },
      async () => {
        await syncOn(pending[pending.length - 1]);
        for (const t of pending) t.dispose();
        pending = [];
      },
      opts,
    );
    return res;
  }

  return {
    name: 'tfjs-webgpu 4.22.0',
    tf,
    device,

    /** C[M,N] = A[M,K] @ B[K,N], float32. */
    async matmul(M, K, N, opts = {}) {
      const a = tf.randomUniform([M, K], -1, 1, 'float32');
      const b = tf.randomUniform([K, N], -1, 1, 'float32');
      try {
        const r = await timeOp(() => tf.matMul(a, b), opts);
        return { ...r, ms: r.median, gflops: gflops(2 * M * K * N, r.median) };
      } finally { a.dispose(); b.dispose(); }
    },

    /**
     * conv2d with NCHW-style shape description; tfjs runs it as NHWC input / HWIO filter.
     * k may be a number or use kh/kw; pad may be a number or [padH, padW].
     * Returns { skipped: reason } for configurations tfjs cannot express.
     */
    async conv2d(shape, opts = {}) {
      const { n, cin, h, w, cout, stride = 1, dilation = 1, groups = 1 } = shape;
      const kh = shape.kh ?? shape.k, kw = shape.kw ?? shape.k;
      const [ph, pw] = shapeOfPad(shape.pad ?? 0);
      const [sh, sw] = shapeOfPad(stride), [dh, dw] = shapeOfPad(dilation);
      const depthwise = groups > 1 && groups === cin && cout === cin;
      if (groups > 1 && !depthwise) return { skipped: 'grouped conv (non-depthwise) unsupported in tfjs' };
      if ((sh > 1 || sw > 1) && (dh > 1 || dw > 1)) return { skipped: 'tfjs needs stride 1 or dilation 1' };
      const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
      const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
      const x = tf.randomUniform([n, h, w, cin], -1, 1, 'float32');
      const f = tf.randomUniform([kh, kw, depthwise ? cin : cin / groups, depthwise ? 1 : cout], -1, 1, 'float32');
      const pad = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
      const op = depthwise
        ? () => tf.depthwiseConv2d(x, f, [sh, sw], pad, 'NHWC', [dh, dw])
        : () => tf.conv2d(x, f, [sh, sw], pad, 'NHWC', [dh, dw]);
      try {
        const r = await timeOp(op, opts);
        const flops = 2 * n * cout * oh * ow * (cin / groups) * kh * kw;
        return { ...r, ms: r.median, gflops: gflops(flops, r.median), oh, ow };
      } finally { x.dispose(); f.dispose(); }
    },

    /** Unregisters the backend (frees its buffer pool); never destroys the shared device. */
    dispose() {
      tf.removeBackend('webgpu');
    },
  };
}
