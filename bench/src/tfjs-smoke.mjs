// Smoke test for the tfjs-webgpu peer on Dawn: matmul 256 + one conv, printing GFLOP/s.
// Run from the repo root: XDG_RUNTIME_DIR=/tmp node bench/src/tfjs-smoke.mjs [--all]
import { initTfjsPeer } from './tfjs-peer.mjs';
import { matmulShapes, convShapes, matmulFlops, convFlops, itersFor } from './shapes.mjs';

const all = process.argv.includes('--all');
const peer = await initTfjsPeer();
const line = (name, r, t0) => r.skipped
  ? console.log(`${name.padEnd(40)} skipped: ${r.skipped}`)
  : console.log(`${name.padEnd(40)} ${r.ms.toFixed(2).padStart(9)} ms  (min ${r.min.toFixed(2)}, `
    + `iters ${r.iters})  ${r.gflops.toFixed(2).padStart(6)} GFLOP/s  [${((performance.now() - t0) / 1000).toFixed(1)} s]`);

console.log(`${peer.name} on ${peer.device.adapterInfo?.description || 'WebGPU device'}`);
const mm = all ? matmulShapes : [{ name: 'square 256', M: 256, K: 256, N: 256 }];
for (const s of mm) {
  const t0 = performance.now();
  line(`matmul ${s.name} ${s.M}x${s.K}x${s.N}`, await peer.matmul(s.M, s.K, s.N, itersFor(matmulFlops(s))), t0);
}
const cv = all ? convShapes : [convShapes[1]];
for (const s of cv) {
  const t0 = performance.now();
  line(`conv ${s.name}`, await peer.conv2d(s, itersFor(convFlops(s))), t0);
}
const mem = peer.tf.memory();
console.log(`live tensors after run: ${mem.numTensors}, GPU bytes in use: ${mem.numBytesInGPU}`);
peer.dispose();
