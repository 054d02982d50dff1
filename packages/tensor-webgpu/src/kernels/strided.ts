// WGSL for reading and writing strided views: index decomposition shared by copy, binary and where kernels.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

/**
 * WGSL expression for the element offset of linear index `i` in a view of `rank` dims.
 * The shape is at params `shapeBase..`, the strides at `strideBase..` (i32), plus `offsetExpr`.
 */
export function stridedOffsetWgsl(rank: number, shapeBase: number, strideBase: number, offsetExpr: string): string {
  if (rank === 0) return `(${offsetExpr})`;
  const terms: string[] = [];
  // Row-major decomposition from the last dim; each term is coord * stride.
  let rest = 'i';
  for (let d = rank - 1; d >= 0; d--) {
    const size = `pu(${shapeBase + d}u)`;
    const coord = d === 0 ? rest : `(${rest} % ${size})`;
    terms.push(`i32(${coord}) * pi(${strideBase + d}u)`);
    rest = `(${rest} / ${size})`;
  }
  return `(${offsetExpr} + ${terms.join(' + ')})`;
}

const WG = 256;

/** Gather a strided view into a contiguous output (`t` a scalar or vec4 type; indices in its units). Params: [n, shape(rank), strides(rank), offset]. */
export function copyWgsl(t: string, rank: number): string {
  return `${paramsWgsl(2 + 2 * rank)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${t}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  Y[i] = X[u32(${stridedOffsetWgsl(rank, 1, 1 + rank, `pi(${1 + 2 * rank}u)`)})];
}`;
}

/** Scatter a contiguous input into a strided view of the output. Params: [n, shape, strides, offset]. */
export function copyIntoWgsl(t: string, rank: number): string {
  return `${paramsWgsl(2 + 2 * rank)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${t}>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  Y[u32(${stridedOffsetWgsl(rank, 1, 1 + rank, `pi(${1 + 2 * rank}u)`)})] = X[i];
}`;
}

export { WG as STRIDED_WG };
