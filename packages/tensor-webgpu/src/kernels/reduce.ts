// WGSL for reductions over the middle axis of (outer, len, inner): a workgroup tree kernel for rows, a
// thread-per-output kernel for strided columns, first-index argmax/argmin, and a blocked cumsum.
import type { ReduceOp } from '../backend/backend.js';
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { MATH_PRELUDE } from './prelude.js';

type T = 'f32' | 'i32' | 'u32';

/** Threads per workgroup of every reduction kernel (a power of two: the tree halves it). */
export const REDUCE_WG = 256;
/** Elements one workgroup of the row kernel reduces (each thread folds ROW_CHUNK / REDUCE_WG of them). */
export const ROW_CHUNK = 2048;
/** Elements one thread of the column kernel folds serially before the next pass combines the partials. */
export const COL_CHUNK = 64;
/** Elements per block of the blocked cumsum (serial within a block; block prefixes come from a recursive scan). */
export const SCAN_BLOCK = 32;

/** WGSL expression for the identity of `op` in `t` (infinities are built at run time: WGSL rejects them as constants). */
function identityWgsl(op: ReduceOp, t: T): string {
  if (op === 'sum') return `${t}(0)`;
  if (op === 'prod') return `${t}(1)`;
  if (t === 'f32') return op === 'max' ? '-inf_f32()' : 'inf_f32()';
  if (t === 'i32') return op === 'max' ? 'bitcast<i32>(0x80000000u)' : 'i32(2147483647)';
  return op === 'max' ? '0u' : '0xffffffffu';
}

/** WGSL body of `fn comb(a, b)`; float max/min propagate NaN like torch.amax/amin. */
function combineWgsl(op: ReduceOp, t: T): string {
  switch (op) {
    case 'sum':
      return 'a + b';
    case 'prod':
      return 'a * b';
    case 'max':
      return t === 'f32' ? 'select(a, b, b > a || is_nan(b))' : 'max(a, b)';
    case 'min':
      return t === 'f32' ? 'select(a, b, b < a || is_nan(b))' : 'min(a, b)';
  }
}

function reducePrelude(op: ReduceOp, t: T, words: number): string {
  return `${paramsWgsl(words)}${MATH_PRELUDE}
fn comb(a: ${t}, b: ${t}) -> ${t} { return ${combineWgsl(op, t)}; }
@group(0) @binding(1) var<storage, read> X: array<${t}>;
@group(0) @binding(2) var<storage, read_write> Y: array<${t}>;
`;
}

/**
 * Row kernel (inner = 1): workgroup `w` reduces chunk `w % nChunks` of row `w / nChunks` with a
 * shared-memory tree, writing partials of shape (outer, nChunks). Params: [len, nChunks, chunk, groups].
 *
 * @example
 * ctx.dispatch('reduce_row_sum_f32', () => reduceRowWgsl('sum', 'f32'), bindings, params, ctx.grid(groups, 1));
 */
export function reduceRowWgsl(op: ReduceOp, t: T): string {
  return `${reducePrelude(op, t, 4)}
var<workgroup> sh: array<${t}, ${REDUCE_WG}>;
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wg.x + wg.y * nwg.x;
  if (w >= pu(3u)) { return; }
  let len = pu(0u);
  let nChunks = pu(1u);
  let row = w / nChunks;
  let start = (w % nChunks) * pu(2u);
  let end = min(start + pu(2u), len);
  let base = row * len;
  var acc = ${identityWgsl(op, t)};
  for (var j = start + lid; j < end; j += ${REDUCE_WG}u) { acc = comb(acc, X[base + j]); }
  sh[lid] = acc;
  workgroupBarrier();
  for (var s = ${REDUCE_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s) { sh[lid] = comb(sh[lid], sh[lid + s]); }
    workgroupBarrier();
  }
  if (lid == 0u) { Y[w] = sh[0]; }
}`;
}

/**
 * Row kernel for software adapters (same params and partials as {@link reduceRowWgsl}): one subgroup of `sg` lanes
 * per workgroup, each folding every sg-th element of the chunk, then a shuffle-xor butterfly with the same `comb`.
 * No workgroup memory and no barriers, which cost lavapipe a coroutine switch per 8 invocations each.
 *
 * @example
 * ctx.dispatch('reduce_rowsg_sum_f32', () => reduceRowSubgroupWgsl('sum', 'f32', 8), bindings, params, ctx.grid(groups, 1));
 */
export function reduceRowSubgroupWgsl(op: ReduceOp, t: T, sg: number): string {
  const steps: string[] = [];
  for (let s = sg / 2; s >= 1; s /= 2) steps.push(`acc = comb(acc, subgroupShuffleXor(acc, ${s}u));`);
  return `enable subgroups;
${reducePrelude(op, t, 4)}
@compute @workgroup_size(${sg})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(subgroup_invocation_id) lane: u32) {
  let w = wg.x + wg.y * nwg.x;
  if (w >= pu(3u)) { return; }
  let len = pu(0u);
  let nChunks = pu(1u);
  let start = (w % nChunks) * pu(2u);
  let end = min(start + pu(2u), len);
  let base = (w / nChunks) * len;
  var acc = ${identityWgsl(op, t)};
  for (var j = start + lane; j < end; j += ${sg}u) { acc = comb(acc, X[base + j]); }
  ${steps.join('\n  ')}
  if (lane == 0u) { Y[w] = acc; }
}`;
}

/**
 * Column kernel: thread `t` of (outer, nChunks, inner) folds up to `chunk` elements strided by `inner`
 * (adjacent threads read adjacent addresses). Params: [len, inner, nChunks, chunk, total].
 *
 * @example
 * reduceColWgsl('max', 'i32');
 */
export function reduceColWgsl(op: ReduceOp, t: T): string {
  return `${reducePrelude(op, t, 5)}
${entry1d(REDUCE_WG)} {
  let t = ${linearIndex(REDUCE_WG)};
  if (t >= pu(4u)) { return; }
  let len = pu(0u);
  let inner = pu(1u);
  let nChunks = pu(2u);
  let i = t % inner;
  let r = t / inner;
  let start = (r % nChunks) * pu(3u);
  let end = min(start + pu(3u), len);
  let base = (r / nChunks) * len * inner + i;
  var acc = X[base + start * inner];
  for (var j = start + 1u; j < end; j++) { acc = comb(acc, X[base + j * inner]); }
  Y[t] = acc;
}`;
}

/** WGSL `fn better(v, i, bv, bi)`: is candidate (v, i) preferred over (bv, bi)? NONE indices lose; NaN wins; ties → lower index. */
function betterWgsl(op: 'argmax' | 'argmin', t: T): string {
  const nan = t === 'f32'
    ? `let vn = is_nan(v);
  let bn = is_nan(bv);
  if (vn || bn) { return select(vn, i < bi, vn && bn); }`
    : '';
  return `const NONE: u32 = 0xffffffffu;
fn better(v: ${t}, i: u32, bv: ${t}, bi: u32) -> bool {
  if (i == NONE) { return false; }
  if (bi == NONE) { return true; }
  ${nan}
  if (v == bv) { return i < bi; }
  return v ${op === 'argmax' ? '>' : '<'} bv;
}`;
}

function argPrelude(op: 'argmax' | 'argmin', t: T, words: number): string {
  return `${paramsWgsl(words)}${MATH_PRELUDE}
${betterWgsl(op, t)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
`;
}

/**
 * argmax/argmin over rows (inner = 1): workgroup `w` scans chunk `w % nChunks` of row `w / nChunks` (strided
 * per thread), then a tree over (value, index) pairs picks the winner. With `indexed` the input is a previous
 * pass's partials (values `X`, their indices `XI`); with `final` the winner's index goes to `Y`, otherwise the
 * (value, index) partials go to `OV`/`OI`. Params: [len, nChunks, chunk, groups].
 *
 * @example
 * argReduceRowWgsl('argmax', 'f32', false, true); // one pass, indices straight to Y
 */
export function argReduceRowWgsl(op: 'argmax' | 'argmin', t: T, indexed: boolean, final: boolean): string {
  const io: string[] = [];
  let b = 2;
  if (indexed) io.push(`@group(0) @binding(${b++}) var<storage, read> XI: array<u32>;`);
  if (final) io.push(`@group(0) @binding(${b++}) var<storage, read_write> Y: array<i32>;`);
  else io.push(`@group(0) @binding(${b++}) var<storage, read_write> OV: array<${t}>;`, `@group(0) @binding(${b++}) var<storage, read_write> OI: array<u32>;`);
  return `${argPrelude(op, t, 4)}${io.join('\n')}
var<workgroup> shv: array<${t}, ${REDUCE_WG}>;
var<workgroup> shi: array<u32, ${REDUCE_WG}>;
@compute @workgroup_size(${REDUCE_WG})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let w = wg.x + wg.y * nwg.x;
  if (w >= pu(3u)) { return; }
  let len = pu(0u);
  let start = (w % pu(1u)) * pu(2u);
  let end = min(start + pu(2u), len);
  let base = (w / pu(1u)) * len;
  var bv = X[base + start];
  var bi = NONE;
  for (var j = start + lid; j < end; j += ${REDUCE_WG}u) {
    let v = X[base + j];
    let k = ${indexed ? 'XI[base + j]' : 'j'};
    if (better(v, k, bv, bi)) { bv = v; bi = k; }
  }
  shv[lid] = bv;
  shi[lid] = bi;
  workgroupBarrier();
  for (var s = ${REDUCE_WG / 2}u; s > 0u; s >>= 1u) {
    if (lid < s && better(shv[lid + s], shi[lid + s], shv[lid], shi[lid])) {
      shv[lid] = shv[lid + s];
      shi[lid] = shi[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) { ${final ? 'Y[w] = i32(shi[0]);' : 'OV[w] = shv[0]; OI[w] = shi[0];'} }
}`;
}

/** argmax/argmin with one thread per (outer, inner) output scanning its column. Params: [len, inner, total]. @example argReduceColWgsl('argmin', 'f32') */
export function argReduceColWgsl(op: 'argmax' | 'argmin', t: T): string {
  return `${argPrelude(op, t, 3)}@group(0) @binding(2) var<storage, read_write> Y: array<i32>;
${entry1d(REDUCE_WG)} {
  let t = ${linearIndex(REDUCE_WG)};
  if (t >= pu(2u)) { return; }
  let len = pu(0u);
  let inner = pu(1u);
  let base = (t / inner) * len * inner + t % inner;
  var bv = X[base];
  var bi = 0u;
  for (var j = 1u; j < len; j++) {
    let v = X[base + j * inner];
    if (better(v, j, bv, bi)) { bv = v; bi = j; }
  }
  Y[t] = i32(bi);
}`;
}

/**
 * Blocked cumsum: thread `t` of (outer, nBlocks, inner) scans its block serially, starting from the
 * inclusive prefix of the preceding blocks (`C`, shape (outer, nBlocks, inner)) when `withCarry`.
 * Params: [len, inner, nBlocks, block, total].
 *
 * @example
 * cumsumWgsl('f32', true);
 */
export function cumsumWgsl(t: T, withCarry: boolean): string {
  return `${paramsWgsl(5)}
@group(0) @binding(1) var<storage, read> X: array<${t}>;
${withCarry ? `@group(0) @binding(2) var<storage, read> C: array<${t}>;\n@group(0) @binding(3)` : '@group(0) @binding(2)'} var<storage, read_write> Y: array<${t}>;
${entry1d(REDUCE_WG)} {
  let t = ${linearIndex(REDUCE_WG)};
  if (t >= pu(4u)) { return; }
  let len = pu(0u);
  let inner = pu(1u);
  let nBlocks = pu(2u);
  let i = t % inner;
  let r = t / inner;
  let b = r % nBlocks;
  let start = b * pu(3u);
  let end = min(start + pu(3u), len);
  let base = (r / nBlocks) * len * inner + i;
  var acc = ${t}(0);
  ${withCarry ? 'if (b > 0u) { acc = C[(r - 1u) * inner + i]; }' : ''}
  for (var j = start; j < end; j++) {
    acc = acc + X[base + j * inner];
    Y[base + j * inner] = acc;
  }
}`;
}
