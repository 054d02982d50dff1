// The main job for now: builds a small conv net, runs it on the best available device and reports
// the device, its limits and the timing. Works on any machine with Node 20 (CPU backend without WebGPU).
import { F, init, randn, tidy, memory, Generator, uniform } from '@radix/tensor-webgpu';

const backend = await init({ backend: process.env.RADIX_BACKEND ?? 'auto' });
const info = backend.info;
console.log(`device:   ${info.backend} — ${info.description}${info.isSoftware ? ' (software)' : ''}`);
if (info.backend === 'webgpu') {
  const l = info.limits;
  console.log(`features: ${info.features.join(', ') || 'none'}`);
  console.log(
    `limits:   maxStorageBufferBindingSize ${l.maxStorageBufferBindingSize}, maxBufferSize ${l.maxBufferSize}, ` +
      `maxComputeWorkgroupStorageSize ${l.maxComputeWorkgroupStorageSize}, maxComputeInvocationsPerWorkgroup ${l.maxComputeInvocationsPerWorkgroup}, ` +
      `maxComputeWorkgroupsPerDimension ${l.maxComputeWorkgroupsPerDimension}`,
  );
} else {
  console.log('limits:   none beyond host memory (pure-TypeScript CPU backend)');
}

// A small classifier for 64×64 RGB patches: two conv blocks, global pooling, a linear head.
const g = new Generator(0);
const kaiming = (shape, fanIn) => uniform(shape, -Math.sqrt(6 / fanIn), Math.sqrt(6 / fanIn), { generator: g });
const params = {
  w1: kaiming([32, 3, 3, 3], 27), b1: uniform([32], -0.1, 0.1, { generator: g }),
  w2: kaiming([64, 32, 3, 3], 288), b2: uniform([64], -0.1, 0.1, { generator: g }),
  w3: kaiming([10, 64], 64), b3: uniform([10], -0.1, 0.1, { generator: g }),
};
const net = (x) =>
  tidy(() => {
    let h = F.relu(F.conv2d(x, params.w1, params.b1, { padding: 1 }));
    h = F.maxPool2d(h, 2);
    h = F.relu(F.conv2d(h, params.w2, params.b2, { padding: 1 }));
    h = F.adaptiveAvgPool2d(h, 1).flatten(1);
    return F.linear(h, params.w3, params.b3).softmax(-1);
  });

const batch = Number(process.env.RADIX_BATCH ?? 8);
const x = randn([batch, 3, 64, 64], { generator: g });
const flops = batch * 2 * (32 * 64 * 64 * 27 + 64 * 32 * 32 * 288 + 10 * 64);
await (net(x)).data(); // warm-up: compiles the kernels
const iters = info.isSoftware ? 3 : 20;
const t0 = performance.now();
let probs;
for (let i = 0; i < iters; i++) {
  probs?.dispose();
  probs = net(x);
}
const out = await probs.data();
const ms = (performance.now() - t0) / iters;
console.log(`conv net: input [${x.shape}] → output [${probs.shape}], ${ms.toFixed(2)} ms/batch, ${(flops / ms / 1e6).toFixed(2)} GFLOP/s`);
console.log(`row 0 probabilities sum to ${Array.from(out.slice(0, 10)).reduce((a, b) => a + b, 0).toFixed(5)}`);
console.log(`live tensors: ${memory().liveTensors}`);
