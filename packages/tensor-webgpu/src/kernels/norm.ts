// WGSL of the fused GroupNorm: one workgroup per (sample, group) reduces its elements in registers and a shared tree
// (two passes for the variance, like the op-by-op path), then normalises; the backward does the same for its two
// sums and writes per-(sample, channel) partials that a second kernel sums over the samples.
import { paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { MATH_PRELUDE } from './prelude.js';
import { unaryMathFor } from './unary-math.js';

export const NORM_WG = 256;

/** SiLU's derivative at `x`, as the one-pass activation backward computes it. */
const UNARY_SILU_GRAD = 'sigmoid_f(x) * (x * sigmoid_f(-x) + 1.0)';

const HEAD = `var<workgroup> red: array<f32, ${NORM_WG}>;
fn reduce_wg(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = ${NORM_WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
var<workgroup> red2: array<vec2<f32>, ${NORM_WG}>;
fn reduce_wg2(v: vec2<f32>, lid: u32) -> vec2<f32> {
  red2[lid] = v;
  workgroupBarrier();
  for (var s = ${NORM_WG / 2}u; s > 0u; s = s >> 1u) {
    if (lid < s) { red2[lid] = red2[lid] + red2[lid + s]; }
    workgroupBarrier();
  }
  let r = red2[0];
  workgroupBarrier();
  return r;
}`;

const ENTRY = `@compute @workgroup_size(${NORM_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>)`;

/** Params: [groupsTotal, c, groups, spatial, eps]. Bindings: x, (weight), (bias), y, mean, rstd. */
export function groupNormForwardWgsl(hasW: boolean, hasB: boolean, silu: boolean): string {
  let b = 1;
  const decl = [
    `@group(0) @binding(${b++}) var<storage, read> X: array<f32>;`,
    hasW ? `@group(0) @binding(${b++}) var<storage, read> W: array<f32>;` : '',
    hasB ? `@group(0) @binding(${b++}) var<storage, read> B: array<f32>;` : '',
    `@group(0) @binding(${b++}) var<storage, read_write> Y: array<f32>;`,
    `@group(0) @binding(${b++}) var<storage, read_write> MU: array<f32>;`,
    `@group(0) @binding(${b++}) var<storage, read_write> RS: array<f32>;`,
  ].join('\n');
  return `${paramsWgsl(5)}${silu ? MATH_PRELUDE + unaryMathFor('silu_f(x)') : ''}${decl}
${HEAD}
${ENTRY} {
  let gi = wid.x + wid.y * nwg.x;
  if (gi >= pu(0u)) { return; }
  let lid = l.x;
  let groups = pu(2u);
  let hw = pu(3u);
  let cpg = pu(1u) / groups;
  let m = cpg * hw;
  let base = gi * m;
  var s = 0.0;
  for (var i = lid; i < m; i = i + ${NORM_WG}u) { s = s + X[base + i]; }
  let mu = reduce_wg(s, lid) / f32(m);
  var v = 0.0;
  for (var i = lid; i < m; i = i + ${NORM_WG}u) { let d = X[base + i] - mu; v = v + d * d; }
  let r = 1.0 / sqrt(reduce_wg(v, lid) / f32(m) + pf(4u));
  if (lid == 0u) { MU[gi] = mu; RS[gi] = r; }
  let c0 = (gi % groups) * cpg;
  for (var i = lid; i < m; i = i + ${NORM_WG}u) {
    let c = c0 + i / hw;
    let scale = ${hasW ? 'r * W[c]' : 'r'};
    let pre = (X[base + i] - mu) * scale${hasB ? ' + B[c]' : ''};
    Y[base + i] = ${silu ? 'silu_f(pre)' : 'pre'};
  }
}`;
}

/**
 * Params: [groupsTotal, c, groups, spatial]. Bindings: x, g, (weight), mean, rstd, dx, partial (2·n·c: Σ g·x̂ then
 * Σ g per sample and channel).
 */
export function groupNormBackwardWgsl(hasW: boolean, hasB: boolean, silu: boolean): string {
  let b = 1;
  const decl = [
    `@group(0) @binding(${b++}) var<storage, read> X: array<f32>;`,
    `@group(0) @binding(${b++}) var<storage, read> G: array<f32>;`,
    hasW ? `@group(0) @binding(${b++}) var<storage, read> W: array<f32>;` : '',
    silu && hasB ? `@group(0) @binding(${b++}) var<storage, read> B: array<f32>;` : '',
    `@group(0) @binding(${b++}) var<storage, read> MU: array<f32>;`,
    `@group(0) @binding(${b++}) var<storage, read> RS: array<f32>;`,
    `@group(0) @binding(${b++}) var<storage, read_write> DX: array<f32>;`,
    `@group(0) @binding(${b++}) var<storage, read_write> PART: array<f32>;`,
  ].join('\n');
  // The incoming gradient, taken through the SiLU epilogue at the recomputed pre-activation when there is one.
  const gpre = silu
    ? `fn gpre(i: u32, c: u32, mu: f32, r: f32) -> f32 {
  let x = (X[i] - mu) * (${hasW ? 'r * W[c]' : 'r'})${hasB ? ' + B[c]' : ''};
  return G[i] * (${UNARY_SILU_GRAD});
}`
    : `fn gpre(i: u32, c: u32, mu: f32, r: f32) -> f32 { return G[i]; }`;
  return `${paramsWgsl(4)}${silu ? MATH_PRELUDE + unaryMathFor(UNARY_SILU_GRAD) : ''}${decl}
${gpre}
${HEAD}
${ENTRY} {
  let gi = wid.x + wid.y * nwg.x;
  if (gi >= pu(0u)) { return; }
  let lid = l.x;
  let c = pu(1u);
  let groups = pu(2u);
  let hw = pu(3u);
  let cpg = c / groups;
  let m = cpg * hw;
  let base = gi * m;
  let mu = MU[gi];
  let r = RS[gi];
  let n = gi / groups;
  let c0 = (gi % groups) * cpg;
  let total = pu(0u) / groups * c;
  var a = 0.0;
  var bsum = 0.0;
  for (var k = 0u; k < cpg; k = k + 1u) {
    let o = base + k * hw;
    var sgx = 0.0;
    var sg = 0.0;
    for (var i = lid; i < hw; i = i + ${NORM_WG}u) {
      let gv = gpre(o + i, c0 + k, mu, r);
      ${silu ? 'DX[o + i] = gv; // kept for the second pass: SiLU derivative once per element' : ''}
      sgx = sgx + gv * ((X[o + i] - mu) * r);
      sg = sg + gv;
    }
    let t2 = reduce_wg2(vec2<f32>(sgx, sg), lid);
    let tgx = t2.x;
    let tg = t2.y;
    let w = ${hasW ? 'W[c0 + k]' : '1.0'};
    if (lid == 0u) { PART[n * c + c0 + k] = tgx; PART[total + n * c + c0 + k] = tg; }
    a = a + w * tg;
    bsum = bsum + w * tgx;
  }
  a = a / f32(m);
  bsum = bsum / f32(m);
  ${silu ? 'storageBarrier();' : ''}
  for (var i = lid; i < m; i = i + ${NORM_WG}u) {
    let w = ${hasW ? 'W[c0 + i / hw]' : '1.0'};
    let xh = (X[base + i] - mu) * r;
    DX[base + i] = r * (${silu ? 'DX[base + i]' : 'G[base + i]'} * w - a - xh * bsum);
  }
}`;
}

/** Params: [n, c, hasW, hasB]. Bindings: partial, dWeight, dBias (unused outputs bound to a scratch buffer). */
export function groupNormParamGradWgsl(): string {
  return `${paramsWgsl(2)}
@group(0) @binding(1) var<storage, read> PART: array<f32>;
@group(0) @binding(2) var<storage, read_write> DW: array<f32>;
@group(0) @binding(3) var<storage, read_write> DB: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let nc = pu(1u);
  if (c >= nc) { return; }
  let n = pu(0u);
  var sw = 0.0;
  var sb = 0.0;
  for (var i = 0u; i < n; i = i + 1u) { sw = sw + PART[i * nc + c]; sb = sb + PART[n * nc + i * nc + c]; }
  DW[c] = sw;
  DB[c] = sb;
}`;
}
