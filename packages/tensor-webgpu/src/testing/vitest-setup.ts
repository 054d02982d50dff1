// Vitest setup: after each test file, wait for the GPU queue and release the device so the worker exits cleanly.
import { afterAll } from 'vitest';
import { getBackend } from '../backend/registry.js';
import type { WebGpuBackend } from '../backend/webgpu/webgpu-backend.js';

afterAll(async () => {
  let gpu: WebGpuBackend;
  try {
    gpu = getBackend('webgpu') as WebGpuBackend;
  } catch {
    return; // WebGPU was never initialised in this file
  }
  await gpu.sync();
});
