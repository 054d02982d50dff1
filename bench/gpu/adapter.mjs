// Prints the WebGPU adapter @radix/tensor-webgpu gets here as one JSON line (bench/gpu/run.sh checks it before the
// bench); exits 2 when there is none.
import { init } from '@radix/tensor-webgpu';

try {
  const b = await init({ backend: 'webgpu' });
  const { description, isSoftware, features } = b.info;
  console.log(JSON.stringify({ description, isSoftware, features, maxBufferSize: b.info.limits.maxBufferSize }));
  process.exit(0);
} catch (e) {
  console.error(`no WebGPU adapter: ${e.message}`);
  process.exit(2);
}
