// Build config: ESM + CJS bundles with .d.ts.
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  external: ['@radix/tensor-webgpu', '@radix/augment', '@radix/metrics', 'pngjs'],
});
