// WGSL of the fused normalisations. One workgroup owns one statistics row: a (sample, group) of GroupNorm (LayerNorm
// is GroupNorm with one group and one element per channel) or a channel of BatchNorm. The forward takes the mean and
// variance in a single pass over the row (per-invocation shifted sums merged with Chan's formula), then normalises,
// applies the affine transform and the optional SiLU. The backward makes two passes over the row (its two sums, then
// dx); vec4 loads are used whenever a vec4 never straddles a channel (spatial size divisible by 4).
import { paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { MATH_PRELUDE } from './prelude.js';
import { unaryMathFor } from './unary-math.js';

export const NORM_WG = 256;

/** SiLU's derivative at `x`, as the one-pass activation backward computes it. */
const UNARY_SILU_GRAD = 'sigmoid_f(x) * (x * sigmoid_f(-x) + 1.0)';

/**
 * How a kernel walks its rows. `group`: row r is the contiguous elements [r·m, (r+1)·m) with channel c0 + i / hw
 * (GroupNorm, LayerNorm). `batch`: row r is channel r, made of n segments of hw elements spaced c·hw apart (BatchNorm).
 */
export type NormLayout = 'group' | 'batch';

/** One fused-norm kernel's compile-time shape. */
export interface NormKernelSpec {
  layout: NormLayout;
  /** vec4 loads (hw divisible by 4). */
  vec4: boolean;
  hasW: boolean;
  hasB: boolean;
  silu: boolean;
}

/** Invocations per plane in the GroupNorm backward's per-channel pass (a power of two up to the workgroup size). */
export function planeThreads(hw: number, vec4: boolean): number {
  const units = vec4 ? hw / 4 : hw;
  let t = 1;
  while (t < NORM_WG && t * 4 < units) t *= 2;
  return t;
}

const V = (s: NormKernelSpec) => (s.vec4 ? 'vec4<f32>' : 'f32');
const L = (s: NormKernelSpec) => (s.vec4 ? 4 : 1);

/** Shared helpers: Chan's merge of (count, mean, M2), a 256 → 16 → 1 workgroup merge and a two-value sum. */
const HEAD = `fn merge(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (b.x == 0.0) { return a; }
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3<f32>(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}
var<workgroup> st: array<vec3<f32>, ${NORM_WG}>;
var<workgroup> st2: array<vec3<f32>, 16>;
fn reduce_stats(v: vec3<f32>, lid: u32) -> vec3<f32> {
  st[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var a = st[lid * 16u];
    for (var k = 1u; k < 16u; k = k + 1u) { a = merge(a, st[lid * 16u + k]); }
    st2[lid] = a;
  }
  workgroupBarrier();
  var r = st2[0];
  for (var k = 1u; k < 16u; k = k + 1u) { r = merge(r, st2[k]); }
  return r;
}
var<workgroup> red: array<vec2<f32>, ${NORM_WG}>;
var<workgroup> red2: array<vec2<f32>, 16>;
fn reduce_sum2(v: vec2<f32>, lid: u32) -> vec2<f32> {
  red[lid] = v;
  workgroupBarrier();
  if (lid < 16u) {
    var a = red[lid * 16u];
    for (var k = 1u; k < 16u; k = k + 1u) { a = a + red[lid * 16u + k]; }
    red2[lid] = a;
  }
  workgroupBarrier();
  var r = red2[0];
  for (var k = 1u; k < 16u; k = k + 1u) { r = r + red2[k]; }
  return r;
}`;

function hsum(s: NormKernelSpec): string {
  return s.vec4 ? 'fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }' : 'fn hsum(v: f32) -> f32 { return v; }';
}

function siluFns(s: NormKernelSpec): string {
  if (!s.silu) return '';
  const math = MATH_PRELUDE + unaryMathFor(`silu_f(x) ${UNARY_SILU_GRAD}`);
  const one = `fn dsilu(x: f32) -> f32 { return ${UNARY_SILU_GRAD}; }`;
  const v = s.vec4
    ? `fn act(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(silu_f(v.x), silu_f(v.y), silu_f(v.z), silu_f(v.w)); }
fn dact(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(dsilu(v.x), dsilu(v.y), dsilu(v.z), dsilu(v.w)); }`
    : `fn act(v: f32) -> f32 { return silu_f(v); }
fn dact(v: f32) -> f32 { return dsilu(v); }`;
  return `${math}\n${one}\n${v}\n`;
}

const ENTRY = `@compute @workgroup_size(${NORM_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>)`;

/**
 * The row's geometry (params [rows, c, groups | n, hw, eps]): `m` elements, `units` loads of `L` elements, and `addr(u)`
 * / `chan(u)` of load u. For the batch layout the channel is the row.
 */
function rowHeader(s: NormKernelSpec): string {
  const l = L(s);
  if (s.layout === 'group') {
    return `  let groups = pu(2u);
  let hw = pu(3u);
  let cpg = pu(1u) / groups;
  let m = cpg * hw;
  let hwl = hw / ${l}u;
  let units = m / ${l}u;
  let ubase = row * units;
  let c0 = (row % groups) * cpg;`;
  }
  return `  let cc = pu(1u);
  let hw = pu(3u);
  let m = pu(2u) * hw;
  let hwl = hw / ${l}u;
  let units = m / ${l}u;
  let seg = cc * hwl;`;
}
const addr = (s: NormKernelSpec, u: string) => (s.layout === 'group' ? `ubase + ${u}` : `(${u} / hwl) * seg + row * hwl + ${u} % hwl`);
const chan = (s: NormKernelSpec, u: string) => (s.layout === 'group' ? `c0 + ${u} / hwl` : 'row');

function decls(names: [string, boolean][]): string {
  return names.map(([n, w], i) => `@group(0) @binding(${i + 1}) var<storage, ${w ? 'read_write' : 'read'}> ${n};`).join('\n');
}

/**
 * Forward. Params: [rows, c, groups | n, hw, eps]. Bindings: x, (weight), (bias), y, mean, rstd, and for the batch
 * layout the biased variance.
 */
export function normForwardWgsl(s: NormKernelSpec): string {
  const v = V(s);
  const bind: [string, boolean][] = [[`X: array<${v}>`, false]];
  if (s.hasW) bind.push(['W: array<f32>', false]);
  if (s.hasB) bind.push(['B: array<f32>', false]);
  bind.push([`Y: array<${v}>`, true], ['MU: array<f32>', true], ['RS: array<f32>', true]);
  if (s.layout === 'batch') bind.push(['VA: array<f32>', true]);
  return `${paramsWgsl(5)}${siluFns(s)}${decls(bind)}
${HEAD}
${hsum(s)}
${ENTRY} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= pu(0u)) { return; }
  let lid = l.x;
${rowHeader(s)}
  // Shifted sums per invocation (shift = its first element), then merged as (count, mean, M2).
  var k = 0.0;
  if (lid < units) { k = hsum(X[${addr(s, 'lid')}]) / ${L(s)}.0; }
  var s1 = ${v}(0.0);
  var s2 = ${v}(0.0);
  var cnt = 0u;
  for (var u = lid; u < units; u = u + ${NORM_WG}u) {
    let d = X[${addr(s, 'u')}] - ${v}(k);
    s1 = s1 + d;
    s2 = s2 + d * d;
    cnt = cnt + ${L(s)}u;
  }
  var mine = vec3<f32>(0.0);
  if (cnt > 0u) {
    let nf = f32(cnt);
    let t1 = hsum(s1);
    mine = vec3<f32>(nf, k + t1 / nf, max(hsum(s2) - t1 * t1 / nf, 0.0));
  }
  let tot = reduce_stats(mine, lid);
  let mu = tot.y;
  let va = tot.z / f32(m);
  let r = 1.0 / sqrt(va + pf(4u));
  if (lid == 0u) { MU[row] = mu; RS[row] = r;${s.layout === 'batch' ? ' VA[row] = va;' : ''} }
  for (var u = lid; u < units; u = u + ${NORM_WG}u) {
    let c = ${chan(s, 'u')};
    let pre = (X[${addr(s, 'u')}] - ${v}(mu)) * ${v}(${s.hasW ? 'r * W[c]' : 'r'})${s.hasB ? ` + ${v}(B[c])` : ''};
    Y[${addr(s, 'u')}] = ${s.silu ? 'act(pre)' : 'pre'};
  }
}`;
}

/**
 * Backward, first (GroupNorm) or only (BatchNorm) kernel. Params: [rows, c, groups | n, hw]. Bindings: x, g, (weight),
 * (bias, with SiLU), mean, rstd, dx, then for the group layout `partial` (2·n·c: Σ g·x̂ then Σ g per sample and
 * channel) and for the batch layout dWeight and dBias (a scratch buffer when unused). With SiLU, g is first taken
 * through SiLU′ at the recomputed pre-activation and kept in dx between the two passes (each element is read back by
 * the invocation that wrote it).
 */
export function normBackwardWgsl(s: NormKernelSpec, tpp: number): string {
  const v = V(s);
  const bind: [string, boolean][] = [[`X: array<${v}>`, false], [`G: array<${v}>`, false]];
  if (s.hasW) bind.push(['W: array<f32>', false]);
  if (s.silu && s.hasB) bind.push(['B: array<f32>', false]);
  bind.push(['MU: array<f32>', false], ['RS: array<f32>', false], [`DX: array<${v}>`, true]);
  if (s.layout === 'group') bind.push(['PART: array<f32>', true]);
  else bind.push(['DW: array<f32>', true], ['DB: array<f32>', true]);
  const wOf = (c: string) => (s.hasW ? `W[${c}]` : '1.0');
  // The gradient at the pre-activation for load `a` of channel `c` (SiLU′ folded in), stored for the second pass.
  const gpre = (a: string, c: string, xv: string) =>
    s.silu
      ? `let gp = G[${a}] * dact(${xv} * ${v}(${s.hasW ? `r * W[${c}]` : 'r'})${s.hasB ? ` + ${v}(B[${c}])` : ''});
      DX[${a}] = gp;`
      : `let gp = G[${a}];`;
  const gBack = (a: string) => (s.silu ? `DX[${a}]` : `G[${a}]`);
  let body: string;
  if (s.layout === 'group') {
    // Planes (channels of the row) in blocks of NORM_WG / tpp, tpp invocations each; the dx pass walks them the same way.
    const per = NORM_WG / tpp;
    const treeLevels: string[] = [];
    for (let h = tpp / 2; h >= 1; h /= 2) {
      treeLevels.push(`    if (sub < ${h}u) { red[lid] = red[lid] + red[lid + ${h}u]; }\n    workgroupBarrier();`);
    }
    body = `  let n = row / groups;
  let total = pu(0u) / groups * pu(1u);
  let sub = lid % ${tpp}u;
  var acc = vec2<f32>(0.0);
  for (var k0 = 0u; k0 < cpg; k0 = k0 + ${per}u) {
    let k = k0 + lid / ${tpp}u;
    var sgx = 0.0;
    var sg = 0.0;
    if (k < cpg) {
      let o = ubase + k * hwl;
      for (var u = sub; u < hwl; u = u + ${tpp}u) {
        let xc = X[o + u] - ${v}(mu);
        ${gpre('o + u', 'c0 + k', 'xc')}
        sgx = sgx + hsum(gp * xc);
        sg = sg + hsum(gp);
      }
    }
    red[lid] = vec2<f32>(sgx * r, sg);
    workgroupBarrier();
${treeLevels.join('\n')}
    if (sub == 0u && k < cpg) {
      let t = red[lid];
      PART[n * pu(1u) + c0 + k] = t.x;
      PART[total + n * pu(1u) + c0 + k] = t.y;
      let w = ${wOf('c0 + k')};
      acc = acc + vec2<f32>(w * t.y, w * t.x);
    }
    workgroupBarrier();
  }
  let ab = reduce_sum2(acc, lid) / f32(m);
  for (var k0 = 0u; k0 < cpg; k0 = k0 + ${per}u) {
    let k = k0 + lid / ${tpp}u;
    if (k < cpg) {
      let o = ubase + k * hwl;
      let w = ${wOf('c0 + k')};
      for (var u = sub; u < hwl; u = u + ${tpp}u) {
        let xh = (X[o + u] - ${v}(mu)) * ${v}(r);
        DX[o + u] = ${v}(r) * (${gBack('o + u')} * ${v}(w) - ${v}(ab.x) - xh * ${v}(ab.y));
      }
    }
  }`;
  } else {
    body = `  var sgx = 0.0;
  var sg = 0.0;
  for (var u = lid; u < units; u = u + ${NORM_WG}u) {
    let a = ${addr(s, 'u')};
    let xc = X[a] - ${v}(mu);
    ${gpre('a', 'row', 'xc')}
    sgx = sgx + hsum(gp * xc);
    sg = sg + hsum(gp);
  }
  let t = reduce_sum2(vec2<f32>(sgx * r, sg), lid);
  if (lid == 0u) { DW[row] = t.x; DB[row] = t.y; }
  let w = ${wOf('row')};
  let ab = t * (w / f32(m));
  for (var u = lid; u < units; u = u + ${NORM_WG}u) {
    let a = ${addr(s, 'u')};
    let xh = (X[a] - ${v}(mu)) * ${v}(r);
    DX[a] = ${v}(r) * (${gBack('a')} * ${v}(w) - ${v}(ab.y) - xh * ${v}(ab.x));
  }`;
  }
  return `${paramsWgsl(4)}${siluFns(s)}${decls(bind)}
${HEAD}
${hsum(s)}
${ENTRY} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= pu(0u)) { return; }
  let lid = l.x;
${rowHeader(s)}
  let mu = MU[row];
  let r = RS[row];
${body}
}`;
}

/** GroupNorm's second backward kernel. Params: [n, c]. Bindings: partial, dWeight, dBias (unused outputs bound to a scratch buffer). */
export function groupNormParamGradWgsl(): string {
  return `${paramsWgsl(2)}
@group(0) @binding(1) var<storage, read> PART: array<f32>;
@group(0) @binding(2) var<storage, read_write> DW: array<f32>;
@group(0) @binding(3) var<storage, read_write> DB: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let c = gid.x + gid.y * nwg.x * 64u;
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
