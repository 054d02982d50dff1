// WGSL of the fused normalisations. One workgroup owns one statistics row: a (sample, group) of GroupNorm (LayerNorm
// is GroupNorm with one group and one element per channel) or a channel of BatchNorm. The forward takes the mean and
// variance in a single pass over the row (per-invocation shifted sums merged with Chan's formula), then normalises,
// applies the affine transform and the optional SiLU. The backward makes two passes over the row (its two sums, then
// dx). Every pass walks the row plane by plane (a channel's, or a sample's, hw contiguous elements) with a fixed group
// of invocations per plane, so no load divides to find its channel and GroupNorm's per-channel sums need one small
// tree; vec4 loads are used whenever a vec4 never straddles a channel (spatial size divisible by 4). On lavapipe,
// 8-invocation workgroups (one SIMD batch) measured fastest: every barrier of a larger one is a coroutine switch per batch.
import { paramsWgsl } from '../backend/webgpu/gpu-context.js';

/**
 * Workgroup sizes the kernels are built for (one workgroup per row): 8 on software adapters (one SIMD batch; invocation
 * 0 merges the partial statistics), on GPUs 64, or 256 for long rows.
 */
export const NORM_WGS = [8, 64, 256] as const;
/** One of {@link NORM_WGS}. */
export type NormWorkgroup = (typeof NORM_WGS)[number];

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
  /** Workgroup size, one of {@link NORM_WGS}. */
  wg: number;
  hasW: boolean;
  hasB: boolean;
  silu: boolean;
}

/**
 * Invocations per plane (a channel's hw elements for GroupNorm, a sample's hw elements of the channel for BatchNorm):
 * the largest power of two that fits all the row's planes into one block of the workgroup (1 when there are more
 * planes than invocations), so the per-plane sums need the fewest blocks and tree levels.
 */
export function planeThreads(planes: number, wg: number): number {
  let q = 1;
  while (q * 2 * planes <= wg) q *= 2;
  return q;
}

/** The workgroup size for rows of `m` elements. */
export function normWorkgroup(m: number): NormWorkgroup {
  return m >= 1 << 16 ? 256 : 64;
}

const V = (s: NormKernelSpec) => (s.vec4 ? 'vec4<f32>' : 'f32');
const L = (s: NormKernelSpec) => (s.vec4 ? 4 : 1);

/**
 * WGSL `fn name(v, lid)`: the workgroup-wide combination of every invocation's `v` by `comb` (an expression in `a` and
 * `b`), through workgroup arrays `buf` and `buf2`. 64 or 256 invocations: a wg → √wg → 1 two-level merge. At most 8 (one
 * SIMD batch on software adapters): invocation 0 merges them all.
 */
function workgroupReduce(name: string, t: string, buf: string, comb: (a: string, b: string) => string, wg: number): string {
  if (wg <= 8) {
    return `var<workgroup> ${buf}: array<${t}, ${wg}>;
var<workgroup> ${buf}1: ${t};
fn ${name}(v: ${t}, lid: u32) -> ${t} {
  ${buf}[lid] = v;
  workgroupBarrier();
  if (lid == 0u) {
    var r = ${buf}[0];
    for (var k = 1u; k < ${wg}u; k = k + 1u) { r = ${comb('r', `${buf}[k]`)}; }
    ${buf}1 = r;
  }
  workgroupBarrier();
  return ${buf}1;
}`;
  }
  const q = wg === 256 ? 16 : 8;
  return `var<workgroup> ${buf}: array<${t}, ${wg}>;
var<workgroup> ${buf}2: array<${t}, ${q + 1}>;
fn ${name}(v: ${t}, lid: u32) -> ${t} {
  ${buf}[lid] = v;
  workgroupBarrier();
  if (lid < ${q}u) {
    var a = ${buf}[lid * ${q}u];
    for (var k = 1u; k < ${q}u; k = k + 1u) { a = ${comb('a', `${buf}[lid * ${q}u + k]`)}; }
    ${buf}2[lid] = a;
  }
  workgroupBarrier();
  if (lid == 0u) {
    var r = ${buf}2[0];
    for (var k = 1u; k < ${q}u; k = k + 1u) { r = ${comb('r', `${buf}2[k]`)}; }
    ${buf}2[${q}] = r;
  }
  workgroupBarrier();
  return ${buf}2[${q}];
}`;
}

/** Shared helpers: Chan's merge of (count, mean, M2), the workgroup merge of statistics and a two-value sum. */
function head(wg: number): string {
  return `fn merge(a: vec3<f32>, b: vec3<f32>) -> vec3<f32> {
  let n = a.x + b.x;
  if (b.x == 0.0) { return a; }
  let d = b.y - a.y;
  let f = b.x / n;
  return vec3<f32>(n, a.y + d * f, a.z + b.z + d * d * a.x * f);
}
${workgroupReduce('reduce_stats', 'vec3<f32>', 'st', (a, b) => `merge(${a}, ${b})`, wg)}
${workgroupReduce('reduce_sum2', 'vec2<f32>', 'red', (a, b) => `${a} + ${b}`, wg)}`;
}

function hsum(s: NormKernelSpec): string {
  return s.vec4 ? 'fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }' : 'fn hsum(v: f32) -> f32 { return v; }';
}

/** ln 2 split so that k·LN2_HI is exact for the |k| ≤ 127 used here (Cody–Waite reduction). */
const LN2_HI = Math.floor(Math.LN2 * 65536) / 65536;
const lit = (v: number) => {
  const t = String(Math.fround(v));
  return /[.e]/.test(t) ? t : `${t}.0`;
};

/**
 * SiLU and its derivative for the epilogue, branch-free on the kernel's load type (lanes of a vec4 never diverge):
 * e = e^−x by a Cody–Waite reduction and a degree-7 Taylor polynomial (x clamped to ±88, where σ is 0 or 1 to float
 * precision), silu = x / (1 + e), σ = 1 / (1 + e), SiLU′ = σ·(1 + x·(1 − σ)) with 1 − σ = e·σ.
 */
function siluFns(s: NormKernelSpec): string {
  if (!s.silu) return '';
  const v = V(s);
  const iv = s.vec4 ? 'vec4<i32>' : 'i32';
  const uv = s.vec4 ? 'vec4<u32>' : 'u32';
  const c = [2, 6, 24, 120, 720, 5040].map((d) => lit(1 / d));
  return `fn exp_neg(x: ${v}) -> ${v} {
  let t = clamp(-x, ${v}(-88.0), ${v}(88.0));
  let k = round(t * ${lit(Math.LOG2E)});
  let r = (t - k * ${lit(LN2_HI)}) - k * ${lit(Math.LN2 - LN2_HI)};
  let p = 1.0 + (r + r * r * (${c[0]} + r * (${c[1]} + r * (${c[2]} + r * (${c[3]} + r * (${c[4]} + r * ${c[5]}))))));
  let ki = ${iv}(k);
  let k1 = ki / ${iv}(2);
  let k2 = ki - k1;
  return p * bitcast<${v}>(${uv}(k1 + ${iv}(127)) << ${uv}(23u)) * bitcast<${v}>(${uv}(k2 + ${iv}(127)) << ${uv}(23u));
}
fn act(x: ${v}) -> ${v} { return x / (1.0 + exp_neg(x)); }
fn dact(x: ${v}) -> ${v} {
  let e = exp_neg(x);
  let sg = 1.0 / (1.0 + e);
  return sg * (1.0 + x * (e * sg));
}
`;
}

const entry = (wg: number) => `@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>)`;

/**
 * The row's geometry (params [rows, c, groups | n, hw, eps]): `m` elements in `planes` planes of `hwl` loads of `L`
 * elements; plane k starts at load `pbase(k)` and has channel `pchan(k)`. Invocations work in blocks of wg / tpp
 * planes, tpp invocations per plane (`sub` is the index inside it), so no load needs a division to find its channel.
 */
function rowHeader(s: NormKernelSpec, tpp: number): string {
  const l = L(s);
  const common = `  let hw = pu(3u);
  let hwl = hw / ${l}u;
  let sub = lid % ${tpp}u;`;
  if (s.layout === 'group') {
    return `${common}
  let groups = pu(2u);
  let planes = pu(1u) / groups;
  let m = planes * hw;
  let ubase = row * planes * hwl;
  let c0 = (row % groups) * planes;`;
  }
  return `${common}
  let planes = pu(2u);
  let m = planes * hw;
  let seg = pu(1u) * hwl;`;
}
const pbase = (s: NormKernelSpec, k: string) => (s.layout === 'group' ? `ubase + ${k} * hwl` : `${k} * seg + row * hwl`);
const pchan = (s: NormKernelSpec, k: string) => (s.layout === 'group' ? `c0 + ${k}` : 'row');

/** Loops over the row's planes in blocks; `body` sees `k`, `o` (the plane's first load), `ch` and the load `o + u`. */
function planeLoop(s: NormKernelSpec, tpp: number, body: string): string {
  return `  for (var k0 = 0u; k0 < planes; k0 = k0 + ${s.wg / tpp}u) {
    let k = k0 + lid / ${tpp}u;
    if (k < planes) {
      let o = ${pbase(s, 'k')};
      let ch = ${pchan(s, 'k')};
      for (var u = sub; u < hwl; u = u + ${tpp}u) {
${body}
      }
    }
  }`;
}

function decls(names: [string, boolean][]): string {
  return names.map(([n, w], i) => `@group(0) @binding(${i + 1}) var<storage, ${w ? 'read_write' : 'read'}> ${n};`).join('\n');
}

/** The shared start of the forward and backward kernels: helpers, entry point, this workgroup's row and its geometry. */
function rowKernelStart(s: NormKernelSpec, tpp: number): string {
  return `${head(s.wg)}
${hsum(s)}
${entry(s.wg)} {
  let row = wid.x + wid.y * nwg.x;
  if (row >= pu(0u)) { return; }
  let lid = l.x;
${rowHeader(s, tpp)}`;
}

/**
 * Forward. Params: [rows, c, groups | n, hw, eps]. Bindings: x, (weight), (bias), y, mean, rstd, and for the batch
 * layout the biased variance.
 */
export function normForwardWgsl(s: NormKernelSpec, tpp: number): string {
  const v = V(s);
  const bind: [string, boolean][] = [[`X: array<${v}>`, false]];
  if (s.hasW) bind.push(['W: array<f32>', false]);
  if (s.hasB) bind.push(['B: array<f32>', false]);
  bind.push([`Y: array<${v}>`, true], ['MU: array<f32>', true], ['RS: array<f32>', true]);
  if (s.layout === 'batch') bind.push(['VA: array<f32>', true]);
  return `${paramsWgsl(5)}${siluFns(s)}${decls(bind)}
${rowKernelStart(s, tpp)}
  // Shifted sums per invocation (shift = its first load's mean), then merged as (count, mean, M2).
  var sh = 0.0;
  let k1 = lid / ${tpp}u;
  if (k1 < planes && sub < hwl) { sh = hsum(X[${pbase(s, 'k1')} + sub]) / ${L(s)}.0; }
  var s1 = ${v}(0.0);
  var s2 = ${v}(0.0);
  var cnt = 0u;
${planeLoop(s, tpp, `        let d = X[o + u] - ${v}(sh);
        s1 = s1 + d;
        s2 = s2 + d * d;
        cnt = cnt + ${L(s)}u;`)}
  var mine = vec3<f32>(0.0);
  if (cnt > 0u) {
    let nf = f32(cnt);
    let t1 = hsum(s1);
    mine = vec3<f32>(nf, sh + t1 / nf, max(hsum(s2) - t1 * t1 / nf, 0.0));
  }
  let tot = reduce_stats(mine, lid);
  let mu = tot.y;
  let va = tot.z / f32(m);
  let r = 1.0 / sqrt(va + pf(4u));
  if (lid == 0u) { MU[row] = mu; RS[row] = r;${s.layout === 'batch' ? ' VA[row] = va;' : ''} }
  for (var k0 = 0u; k0 < planes; k0 = k0 + ${s.wg / tpp}u) {
    let k = k0 + lid / ${tpp}u;
    if (k < planes) {
      let o = ${pbase(s, 'k')};
      let ch = ${pchan(s, 'k')};
      let scale = ${v}(${s.hasW ? 'r * W[ch]' : 'r'});
      let shift = ${s.hasB ? `${v}(B[ch])` : `${v}(0.0)`};
      for (var u = sub; u < hwl; u = u + ${tpp}u) {
        let pre = (X[o + u] - ${v}(mu)) * scale + shift;
        Y[o + u] = ${s.silu ? 'act(pre)' : 'pre'};
      }
    }
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
  // The gradient at the pre-activation (SiLU′ folded in), stored for the second pass.
  const gpre = s.silu
    ? `        let gp = G[o + u] * dact(xc * ${v}(${s.hasW ? 'r * W[ch]' : 'r'})${s.hasB ? ` + ${v}(B[ch])` : ''});
        DX[o + u] = gp;`
    : '        let gp = G[o + u];';
  const pass1 = `        let xc = X[o + u] - ${v}(mu);
${gpre}
        sgx = sgx + hsum(gp * xc);
        sg = sg + hsum(gp);`;
  const pass2 = (a: string, b: string) => `        let xh = (X[o + u] - ${v}(mu)) * ${v}(r);
        DX[o + u] = ${v}(r) * (${s.silu ? 'DX[o + u]' : 'G[o + u]'} * ${v}(${wOf('ch')}) - ${v}(${a}) - xh * ${v}(${b}));`;
  let body: string;
  if (s.layout === 'group') {
    // Per plane (channel) sums: a tree over its tpp invocations after each block (none with one invocation a plane).
    const tree: string[] = [];
    for (let h = tpp / 2; h >= 1; h /= 2) tree.push(`    if (sub < ${h}u) { red[lid] = red[lid] + red[lid + ${h}u]; }\n    workgroupBarrier();`);
    body = `  let n = row / groups;
  let nc = pu(1u);
  let total = pu(0u) / groups * nc;
  var acc = vec2<f32>(0.0);
  for (var k0 = 0u; k0 < planes; k0 = k0 + ${s.wg / tpp}u) {
    let k = k0 + lid / ${tpp}u;
    var sgx = 0.0;
    var sg = 0.0;
    if (k < planes) {
      let o = ${pbase(s, 'k')};
      let ch = ${pchan(s, 'k')};
      for (var u = sub; u < hwl; u = u + ${tpp}u) {
${pass1}
      }
    }
${tpp === 1 ? '    let t = vec2<f32>(sgx * r, sg);' : `    red[lid] = vec2<f32>(sgx * r, sg);
    workgroupBarrier();
${tree.join('\n')}
    let t = red[lid];`}
    if (sub == 0u && k < planes) {
      PART[n * nc + c0 + k] = t.x;
      PART[total + n * nc + c0 + k] = t.y;
      let w = ${wOf('c0 + k')};
      acc = acc + vec2<f32>(w * t.y, w * t.x);
    }
${tpp === 1 ? '' : '    workgroupBarrier();\n'}  }
  let ab = reduce_sum2(acc, lid) / f32(m);
${planeLoop(s, tpp, pass2('ab.x', 'ab.y'))}`;
  } else {
    body = `  var sgx = 0.0;
  var sg = 0.0;
${planeLoop(s, tpp, pass1)}
  let t = reduce_sum2(vec2<f32>(sgx * r, sg), lid);
  if (lid == 0u) { DW[row] = t.x; DB[row] = t.y; }
  let ab = t * (${wOf('row')} / f32(m));
${planeLoop(s, tpp, pass2('ab.y', 'ab.x'))}`;
  }
  return `${paramsWgsl(4)}${siluFns(s)}${decls(bind)}
${rowKernelStart(s, tpp)}
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
