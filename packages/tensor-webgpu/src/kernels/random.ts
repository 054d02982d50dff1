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
// Box-Muller with our own log and sin/cos: drivers' builtins may be as loose as Vulkan allows (sin/cos to 2^-11),
// which would make normal samples device-dependent. These polynomials are accurate to a few float32 ulp.
fn ln_acc(u: f32) -> f32 {
  let bits = bitcast<u32>(u);
  var e = i32((bits >> 23u) & 0xffu) - 127;
  var m = bitcast<f32>((bits & 0x007fffffu) | 0x3f800000u);
  if (m > 1.41421356) { m = m * 0.5; e = e + 1; }
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let series = s * (2.0 + s2 * (0.6666666666666666 + s2 * (0.4 + s2 * (0.2857142857142857 + s2 * (0.2222222222222222 + s2 * 0.18181818181818182)))));
  return f32(e) * 0.6931471805599453 + series;
}
fn sincos_2pi(u: f32) -> vec2<f32> {
  let v = u * 4.0;
  let q = u32(floor(v)) & 3u;
  let a = (v - floor(v) - 0.5) * 1.5707963267948966;
  let a2 = a * a;
  let sa = a * (1.0 - a2 * (0.16666666666666666 - a2 * (0.008333333333333333 - a2 * (0.0001984126984126984 - a2 * 2.7557319223985893e-6))));
  let ca = 1.0 - a2 * (0.5 - a2 * (0.041666666666666664 - a2 * (0.001388888888888889 - a2 * (2.48015873015873e-5 - a2 * 2.755731922398589e-7))));
  // angle = q·π/2 + π/4 + a
  let c0 = (ca - sa) * 0.7071067811865476;
  let s0 = (ca + sa) * 0.7071067811865476;
  if (q == 0u) { return vec2<f32>(s0, c0); }
  if (q == 1u) { return vec2<f32>(c0, -s0); }
  if (q == 2u) { return vec2<f32>(-s0, -c0); }
  return vec2<f32>(-c0, s0);
}
fn normal_at(w: vec4<u32>, j: u32) -> f32 {
  let p = j >> 1u;
  let u1 = f32((w[2u * p] >> 8u) + 1u) * 5.960464477539063e-8;
  let u2 = f32(w[2u * p + 1u] >> 8u) * 5.960464477539063e-8;
  let r = sqrt(-2.0 * ln_acc(u1));
  let sc = sincos_2pi(u2);
  return select(r * sc.x, r * sc.y, (j & 1u) == 0u);
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
