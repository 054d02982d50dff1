// WGSL for pad: one thread per output element maps each coordinate back through the padding mode
// (constant, reflect, replicate, circular); negative padding (cropping) needs no special case.
import type { PadMode } from '../backend/backend.js';
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

/** Threads per workgroup of the pad kernel. */
export const PAD_WG = 256;

/** WGSL statements mapping `c` (i32, may be outside [0, n)) to a source coordinate for `mode`. */
function mapWgsl(mode: PadMode): string {
  switch (mode) {
    case 'constant':
      return '';
    case 'replicate':
      return 'c = clamp(c, 0, n - 1);';
    case 'circular':
      return 'c = ((c % n) + n) % n;';
    case 'reflect':
      return `if (n == 1) { c = 0; } else {
      let period = 2 * (n - 1);
      c = abs(c) % period;
      if (c >= n) { c = period - c; }
    }`;
  }
}

/**
 * Pad kernel for `rank` dims. Params: [numel, value, outShape(rank), inShape(rank), before(rank, i32)].
 * Out-of-range coordinates (constant mode, or an empty input dim) produce `value`; nothing is read out of bounds.
 *
 * @example
 * padWgsl('f32', 3, 'reflect');
 */
export function padWgsl(t: 'f32' | 'i32' | 'u32', rank: number, mode: PadMode): string {
  const valueExpr = t === 'f32' ? 'pf(1u)' : t === 'i32' ? 'pi(1u)' : 'pu(1u)';
  const dims: string[] = [];
  for (let d = rank - 1; d >= 0; d--) {
    dims.push(`{
    let os = pu(${2 + d}u);
    let n = pi(${2 + rank + d}u);
    var c = i32(rem % os) - pi(${2 + 2 * rank + d}u);
    rem = rem / os;
    if (n == 0) { inside = false; }
    else {
    ${mapWgsl(mode)}
    if (c < 0 || c >= n) { inside = false; }
    src = src + u32(max(c, 0)) * stride;
    stride = stride * u32(n);
    }
  }`);
  }
  return `${paramsWgsl(2 + 3 * rank)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${t}>;
${entry1d(PAD_WG)} {
  let i = ${linearIndex(PAD_WG)};
  if (i >= pu(0u)) { return; }
  var rem = i;
  var src = 0u;
  var stride = 1u;
  var inside = true;
  ${dims.join('\n  ')}
  if (inside) { Y[i] = X[src]; } else { Y[i] = ${valueExpr}; }
}`;
}
