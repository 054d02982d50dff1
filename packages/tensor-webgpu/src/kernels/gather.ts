// WGSL for torch.gather and torch.index_select. Indices outside [0, size) produce 0 instead of reading
// out of bounds (the GPU cannot raise an error; the CPU backend throws for them).
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

/** Threads per workgroup of the gather kernels. */
export const GATHER_WG = 256;

/**
 * WGSL statements that decompose the flat index `i` over the index shape (params 2..2+rank) and accumulate, into
 * `var off`, the offset in a tensor with strides at params 2+rank.., with coordinate `dim` replaced by `k`.
 * Shared by gather and its adjoint, scatter-add.
 */
export function replacedDimOffsetWgsl(rank: number, dim: number): string {
  const terms: string[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    terms.push(`{
    let c = rem % pu(${2 + d}u);
    rem = rem / pu(${2 + d}u);
    off = off + ${d === dim ? 'u32(k)' : 'c'} * pu(${2 + rank + d}u);
  }`);
  }
  return `var rem = i;
  var off = 0u;
  ${terms.join('\n  ')}`;
}

/**
 * gather along `dim` for `rank` dims: `out[p] = x[p with coordinate dim replaced by index[p]]`.
 * Params: [numel, dimSize, outShape(rank), xStrides(rank)].
 *
 * @example
 * gatherWgsl('f32', 3, 1);
 */
export function gatherWgsl(t: 'f32' | 'i32' | 'u32', rank: number, dim: number): string {
  return `${paramsWgsl(2 + 2 * rank)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<${t}>;
${entry1d(GATHER_WG)} {
  let i = ${linearIndex(GATHER_WG)};
  if (i >= pu(0u)) { return; }
  let k = I[i];
  if (k < 0 || k >= pi(1u)) { Y[i] = ${t}(0); return; }
  ${replacedDimOffsetWgsl(rank, dim)}
  Y[i] = X[off];
}`;
}

/**
 * index_select on (outer, n, inner) → (outer, count, inner). Params: [numel, count, inner, n].
 *
 * @example
 * indexSelectWgsl('i32');
 */
export function indexSelectWgsl(t: 'f32' | 'i32' | 'u32'): string {
  return `${paramsWgsl(4)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read> I: array<i32>;
@group(0) @binding(3) var<storage, read_write> Y: array<${t}>;
${entry1d(GATHER_WG)} {
  let i = ${linearIndex(GATHER_WG)};
  if (i >= pu(0u)) { return; }
  let inner = pu(2u);
  let count = pu(1u);
  let n = pu(3u);
  let r = i / inner;
  let k = I[r % count];
  if (k < 0 || u32(k) >= n) { Y[i] = ${t}(0); return; }
  Y[i] = X[((r / count) * n + u32(k)) * inner + i % inner];
}`;
}
