// Test utilities shared by every Radix package: tolerant comparison, backend lists, fixtures, fast-check arbitraries.
export { compare, expectClose, type CompareResult } from './compare.js';
export { testBackends, cpuBackend } from './backends.js';
export { decode, fixtureTensor, type FixtureCase, type FixtureFile, type FixtureTensor } from './fixtures.js';
export { arbShape, arbTensorData } from './arbitraries.js';
export { gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.js';
export { runBoundedChild, type BoundedChildOptions, type BoundedChildResult } from './bounded-child.js';
