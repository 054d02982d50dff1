// WGSL Philox4x32-10: the same integer arithmetic as random.ts, so CPU and GPU streams are bit-identical.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

const WG = 64;

/**
 * Random kernel; one invocation per 4-element block. Params: [n, key0, key1, ctrLo, ctrHi, a, b].
 * `kind`: bits | uniform | normal | randint; `t` the output type.
 */
export function randomWgsl(kind: 'bits' | 'uniform' | 'normal' | 'randint', t: string): string {
  const value: Record<typeof kind, string> = {
    bits: 'w[j]',
    uniform: 'f32(w[j] >> 8u) * 5.960464477539063e-8 * (pf(6u) - pf(5u)) + pf(5u)',
    randint: `${t}(pi(5u) + i32(w[j] % u32(pi(6u) - pi(5u))))`,
    normal: `normal_at(w, j) * pf(6u) + pf(5u)`,
  };
  return `${paramsWgsl(7)}
@group(0) @binding(1) var<storage, read_write> Y: array<${t}>;
fn mulhi(a: u32, b: u32) -> u32 {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
}
fn philox(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr; var k = key;
  for (var r = 0u; r < 10u; r++) {
    let hi0 = mulhi(0xd2511f53u, c.x); let lo0 = 0xd2511f53u * c.x;
    let hi1 = mulhi(0xcd9e8d57u, c.z); let lo1 = 0xcd9e8d57u * c.z;
    c = vec4<u32>(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k = k + vec2<u32>(0x9e3779b9u, 0xbb67ae85u);
  }
  return c;
}
fn normal_at(w: vec4<u32>, j: u32) -> f32 {
  let p = j >> 1u;
  let u1 = f32((w[2u * p] >> 8u) + 1u) * 5.960464477539063e-8;
  let u2 = f32(w[2u * p + 1u] >> 8u) * 5.960464477539063e-8;
  let r = sqrt(-2.0 * log(u1));
  let th = 6.2831854820251465 * u2;
  return select(r * sin(th), r * cos(th), (j & 1u) == 0u);
}
${entry1d(WG)} {
  let blk = ${linearIndex(WG)};
  let n = pu(0u);
  if (blk * 4u >= n) { return; }
  let lo = pu(3u) + blk;
  let hi = pu(4u) + select(0u, 1u, lo < blk);
  let w = philox(vec4<u32>(lo, hi, 0u, 0u), vec2<u32>(pu(1u), pu(2u)));
  for (var j = 0u; j < 4u; j++) {
    let idx = blk * 4u + j;
    if (idx < n) { Y[idx] = ${t === 'f32' || kind === 'randint' ? '' : t}(${value[kind]}); }
  }
}`;
}

export { WG as RANDOM_WG };
