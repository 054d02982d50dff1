// WGSL scatter-add (the adjoint of gather): float sums use a compare-and-swap loop on atomic<u32>, since WGSL has no float atomics.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { replacedDimOffsetWgsl } from './gather.js';

/** Threads per workgroup of the scatter kernel. */
export const SCATTER_WG = 256;

/**
 * `out[p with coordinate dim replaced by index[p]] += src[p]` over the index's shape; out-of-range indices are skipped.
 * Params: [numel, dimSize, indexShape(rank), outStrides(rank)].
 *
 * @example
 * scatterAddWgsl('f32', 2, 0);
 */
export function scatterAddWgsl(t: 'f32' | 'i32', rank: number, dim: number): string {
  const add =
    t === 'f32'
      ? `var old = atomicLoad(&Y[off]);
  loop {
    let r = atomicCompareExchangeWeak(&Y[off], old, bitcast<u32>(bitcast<f32>(old) + S[i]));
    if (r.exchanged) { break; }
    old = r.old_value;
  }`
      : 'atomicAdd(&Y[off], S[i]);';
  return `${paramsWgsl(2 + 2 * rank)}
@group(0) @binding(1) var<storage, read> S: array<${t}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<atomic<${t === 'f32' ? 'u32' : 'i32'}>>;
${entry1d(SCATTER_WG)} {
  let i = ${linearIndex(SCATTER_WG)};
  if (i >= pu(0u)) { return; }
  let k = I[i];
  if (k < 0 || k >= pi(1u)) { return; }
  ${replacedDimOffsetWgsl(rank, dim)}
  ${add}
}`;
}
