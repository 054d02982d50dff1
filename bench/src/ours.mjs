// Our side of the benchmark: @radix/tensor-webgpu (the built dist) matmul/conv2d timed exactly like the
// tfjs peer (timing.mjs measure(); sync = flush + 4-byte readback of the last result; results disposed after).
import { init, uniform, matmul, F } from '@radix/tensor-webgpu';
import { measure, gflops, readbackProbe } from './timing.mjs';

const pair = (p) => (Array.isArray(p) ? p : [p, p]);

/** Initialises our WebGPU backend and returns timing helpers mirroring initTfjsPeer's. */
export async function initOurs() {
  const backend = await init({ backend: 'webgpu' });
  const device = backend.device;
  const probe = readbackProbe(device);

  async function timeOp(op, opts) {
    let pending = [];
    return measure(
      () => { pending.push(op()); },
      async () => {
        backend.flush();
        await probe(pending[pending.length - 1].buf('bench').buffer);
        for (const t of pending) t.dispose();
        pending = [];
      },
      opts,
    );
  }

  return {
    name: '@radix/tensor-webgpu',
    backend,
    device,

    /** C[M,N] = A[M,K] @ B[K,N], float32. */
    async matmul(M, K, N, opts = {}) {
      const a = uniform([M, K], -1, 1, { backend });
      const b = uniform([K, N], -1, 1, { backend });
      try {
        const r = await timeOp(() => matmul(a, b), opts);
        return { ...r, ms: r.median, gflops: gflops(2 * M * K * N, r.median) };
      } finally { a.dispose(); b.dispose(); }
    },

    /** conv2d on NCHW input / OIHW weights, no bias (like the peer). */
    async conv2d(shape, opts = {}) {
      const { n, cin, h, w, cout, stride = 1, dilation = 1, groups = 1 } = shape;
      const kh = shape.kh ?? shape.k, kw = shape.kw ?? shape.k;
      const [ph, pw] = pair(shape.pad ?? 0);
      const x = uniform([n, cin, h, w], -1, 1, { backend });
      const f = uniform([cout, cin / groups, kh, kw], -1, 1, { backend });
      try {
        const r = await timeOp(() => F.conv2d(x, f, null, { stride: pair(stride), padding: [ph, pw], dilation: pair(dilation), groups }), opts);
        const [sh, sw] = pair(stride), [dh, dw] = pair(dilation);
        const oh = Math.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
        const ow = Math.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
        const flops = 2 * n * cout * oh * ow * (cin / groups) * kh * kw;
        return { ...r, ms: r.median, gflops: gflops(flops, r.median), oh, ow };
      } finally { x.dispose(); f.dispose(); }
    },
  };
}
