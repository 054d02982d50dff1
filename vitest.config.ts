// Test runner config: every package's colocated *.test.ts, run against the TypeScript sources.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
    setupFiles: ['packages/tensor-webgpu/src/testing/vitest-setup.ts'],
  },
});
