// WGSL of the fused optimizer updates. Each intermediate goes through rb() — an xor with a runtime zero from the
// uniforms — so the compiler can neither contract a multiply and an add into an FMA nor reassociate: every step is
// rounded to float32 exactly as the op-by-op update (one kernel per op, a store between them) rounds it.
// The multi-tensor kernels update several tensors in one dispatch: a table in the uniforms gives each tensor's size,
// first workgroup and scalars, each workgroup finds its tensor there and runs that tensor's copy of the same element
// update the single kernel runs (same statements, same scalars: the same bits).
import type { AdamUpdateParams, SgdUpdateParams } from '../backend/backend.js';
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

export const OPTIM_WG = 256;

const PRELUDE = `
fn rb(x: f32) -> f32 { return bitcast<f32>(bitcast<u32>(x) ^ pu(1u)); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn nan_f32() -> f32 { return bitcast<f32>(pu(0u) | 0x7fc00000u); }
`;

/** Switches of an Adam kernel, as the pipeline key's suffix. */
export function adamKey(q: AdamUpdateParams): string {
  return `adam_update_${[q.maximize, q.hasL2, q.hasDecay, q.hasM, q.hasV, q.amsgrad, q.amsgrad && q.hasMax].map(Number).join('')}`;
}

/**
 * Params: [n, 0, l2, decay, b1, 1−b1, b2, 1−b2, bc2, eps, −stepSize]. Bindings: p, g, m, v, (vMax), pOut, mOut, vOut,
 * (vMaxOut) — m/v/vMax only when they exist.
 */
export function adamUpdateWgsl(q: AdamUpdateParams): string {
  const hasMax = q.amsgrad && q.hasMax;
  const ins = ['P', 'G', ...(q.hasM ? ['M'] : []), ...(q.hasV ? ['V'] : []), ...(hasMax ? ['VM'] : [])];
  const outs = ['PO', 'MO', 'VO', ...(q.amsgrad ? ['VMO'] : [])];
  let b = 1;
  const decl = [
    ...ins.map((n) => `@group(0) @binding(${b++}) var<storage, read> ${n}: array<f32>;`),
    ...outs.map((n) => `@group(0) @binding(${b++}) var<storage, read_write> ${n}: array<f32>;`),
  ].join('\n');
  return `${paramsWgsl(11)}${PRELUDE}${decl}
${entry1d(OPTIM_WG)} {
  let i = ${linearIndex(OPTIM_WG)};
  if (i >= pu(0u)) { return; }
  ${adamBody(q, (n) => n, (k) => `pf(${k}u)`, 'nan_f32()')}
}`;
}

/**
 * The statements of one element's Adam update (after the bounds check): arrays named by `a` (P, G, M, V, VM, PO, MO,
 * VO, VMO), scalar word `k` of the single kernel's params read by `s(k)`, `nan` the NaN expression. The single and the
 * multi-tensor kernels share it, so both round every step identically.
 */
function adamBody(q: AdamUpdateParams, a: (name: string) => string, s: (k: number) => string, nan: string): string {
  const hasMax = q.amsgrad && q.hasMax;
  return `var d = ${q.maximize ? `-${a('G')}[i]` : `${a('G')}[i]`};
  var pp = ${a('P')}[i];
  ${q.hasL2 ? `d = rb(d + rb(pp * ${s(2)}));` : ''}
  ${q.hasDecay ? `pp = rb(pp * ${s(3)});` : ''}
  let m = ${q.hasM ? `rb(rb(${a('M')}[i] * ${s(4)}) + rb(d * ${s(5)}))` : `rb(d * ${s(5)})`};
  let t = rb(rb(d * ${s(7)}) * d);
  let v = ${q.hasV ? `rb(rb(${a('V')}[i] * ${s(6)}) + t)` : 't'};
  ${a('MO')}[i] = m;
  ${a('VO')}[i] = v;
  ${q.amsgrad ? (hasMax ? `let a = ${a('VM')}[i];\n  let vh = select(max(a, v), ${nan}, is_nan(a) || is_nan(v));` : 'let vh = v;') + `\n  ${a('VMO')}[i] = vh;` : 'let vh = v;'}
  let denom = rb(rb(rb(sqrt(vh)) / ${s(8)}) + ${s(9)});
  ${a('PO')}[i] = rb(pp + rb(rb(m * ${s(10)}) / denom));`;
}

export function sgdKey(q: SgdUpdateParams): string {
  return `sgd_update_${[q.maximize, q.hasL2, q.useMomentum, q.useMomentum && q.nesterov, q.useMomentum && q.hasBuf].map(Number).join('')}`;
}

/** Params: [n, 0, l2, μ, 1−dampening, −lr]. Bindings: p, g, (buf), pOut, (bufOut). */
export function sgdUpdateWgsl(q: SgdUpdateParams): string {
  const hasBuf = q.useMomentum && q.hasBuf;
  const ins = ['P', 'G', ...(hasBuf ? ['B'] : [])];
  const outs = ['PO', ...(q.useMomentum ? ['BO'] : [])];
  let b = 1;
  const decl = [
    ...ins.map((n) => `@group(0) @binding(${b++}) var<storage, read> ${n}: array<f32>;`),
    ...outs.map((n) => `@group(0) @binding(${b++}) var<storage, read_write> ${n}: array<f32>;`),
  ].join('\n');
  return `${paramsWgsl(6)}${PRELUDE}${decl}
${entry1d(OPTIM_WG)} {
  let i = ${linearIndex(OPTIM_WG)};
  if (i >= pu(0u)) { return; }
  ${sgdBody(q, (n) => n, (k) => `pf(${k}u)`)}
}`;
}

/** One element's SGD update (after the bounds check), shared by the single and multi-tensor kernels like {@link adamBody}. */
function sgdBody(q: SgdUpdateParams, a: (name: string) => string, s: (k: number) => string): string {
  const hasBuf = q.useMomentum && q.hasBuf;
  const momentum = q.useMomentum
    ? `let bb = ${hasBuf ? `rb(rb(${a('B')}[i] * ${s(3)}) + rb(d * ${s(4)}))` : 'd'};
  ${a('BO')}[i] = bb;
  d = ${q.nesterov ? `rb(d + rb(bb * ${s(3)}))` : 'bb'};`
    : '';
  return `let pp = ${a('P')}[i];
  var d = ${q.maximize ? `-${a('G')}[i]` : `${a('G')}[i]`};
  ${q.hasL2 ? `d = rb(d + rb(pp * ${s(2)}));` : ''}
  ${momentum}
  ${a('PO')}[i] = rb(pp + rb(d * ${s(5)}));`;
}

/** Params: [n, 0, w]. Bindings: s, t, out. */
export function emaUpdateWgsl(): string {
  return `${paramsWgsl(3)}${PRELUDE}
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> T: array<f32>;
@group(0) @binding(3) var<storage, read_write> O: array<f32>;
${entry1d(OPTIM_WG)} {
  let i = ${linearIndex(OPTIM_WG)};
  if (i >= pu(0u)) { return; }
  ${emaBody((n) => n, (k) => `pf(${k}u)`)}
}`;
}

/** One element's EMA lerp (after the bounds check), shared by the single and multi-tensor kernels like {@link adamBody}. */
function emaBody(a: (name: string) => string, s: (k: number) => string): string {
  return `let s = ${a('S')}[i];
  ${a('O')}[i] = rb(s + rb(rb(${a('T')}[i] - s) * ${s(2)}));`;
}

/** Most tensors one multi-tensor dispatch binds (bounds the generated shader's size). */
export const MULTI_MAX_TENSORS = 32;
/** Words of the multi-tensor uniforms before the per-tensor table: [0, 0 (rb's runtime zero), tensor count, 0]. */
const MULTI_HEADER = 4;
/** Words per tensor in the multi-tensor tables: the single kernel's params with word 1 holding the tensor's first workgroup. */
export const ADAM_MULTI_WORDS = 12;
export const SGD_MULTI_WORDS = 8;
export const EMA_MULTI_WORDS = 4;

/** A storage declaration per tensor and array name (`P3`, `MO3`, …), read-only inputs then writable outputs per tensor. */
function multiDecls(count: number, ins: readonly string[], outs: readonly string[]): string {
  const lines: string[] = [];
  let b = 1;
  for (let j = 0; j < count; j++) {
    for (const n of ins) lines.push(`@group(0) @binding(${b++}) var<storage, read> ${n}${j}: array<f32>;`);
    for (const n of outs) lines.push(`@group(0) @binding(${b++}) var<storage, read_write> ${n}${j}: array<f32>;`);
  }
  return lines.join('\n');
}

/**
 * A multi-tensor kernel over `count` tensors whose table rows are `stride` words; `body(j, base)` is tensor j's element
 * update with its row at word `base`. Workgroup w belongs to the last tensor whose first workgroup is ≤ w (the choice is
 * uniform per workgroup), and element i of tensor j is invocation i of the tensor's workgroups, as in the single kernel.
 * The tensors' bodies are an if/else chain: lavapipe ran the same kernel with a `switch` at about half the speed.
 */
function multiWgsl(count: number, stride: number, decls: string, body: (j: number, base: number) => string): string {
  const row = (j: number) => MULTI_HEADER + stride * j;
  const find = Array.from({ length: count - 1 }, (_, j) => `  if (wg >= pu(${row(j + 1) + 1}u)) { ti = ${j + 1}u; }`).join('\n');
  const cases = Array.from({ length: count }, (_, j) => `${j === 0 ? '  ' : ' else '}if (ti == ${j}u) {\n  ${body(j, row(j))}\n  }`).join('');
  return `${paramsWgsl(row(count))}${PRELUDE}${decls}
@compute @workgroup_size(${OPTIM_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let wg = wid.x + wid.y * nwg.x;
  var ti = 0u;
${find}
  let row = ${MULTI_HEADER}u + ${stride}u * ti;
  let i = ${linearIndex(OPTIM_WG)} - pu(row + 1u) * ${OPTIM_WG}u;
  if (i >= pu(row)) { return; }
${cases}
}`;
}

/** Adam over `count` tensors sharing {@link adamKey}'s switches; per tensor the bindings of {@link adamUpdateWgsl}. */
export function adamUpdateMultiWgsl(q: AdamUpdateParams, count: number): string {
  const hasMax = q.amsgrad && q.hasMax;
  const ins = ['P', 'G', ...(q.hasM ? ['M'] : []), ...(q.hasV ? ['V'] : []), ...(hasMax ? ['VM'] : [])];
  const outs = ['PO', 'MO', 'VO', ...(q.amsgrad ? ['VMO'] : [])];
  // The single kernel's NaN carries its params' word 0 (the size) as payload; each tensor's row holds its size there.
  return multiWgsl(count, ADAM_MULTI_WORDS, multiDecls(count, ins, outs), (j, base) =>
    adamBody(q, (n) => `${n}${j}`, (k) => `pf(${base + k}u)`, `bitcast<f32>(pu(${base}u) | 0x7fc00000u)`),
  );
}

/** SGD over `count` tensors sharing {@link sgdKey}'s switches; per tensor the bindings of {@link sgdUpdateWgsl}. */
export function sgdUpdateMultiWgsl(q: SgdUpdateParams, count: number): string {
  const hasBuf = q.useMomentum && q.hasBuf;
  const ins = ['P', 'G', ...(hasBuf ? ['B'] : [])];
  const outs = ['PO', ...(q.useMomentum ? ['BO'] : [])];
  return multiWgsl(count, SGD_MULTI_WORDS, multiDecls(count, ins, outs), (j, base) => sgdBody(q, (n) => `${n}${j}`, (k) => `pf(${base + k}u)`));
}

/** The EMA lerp over `count` tensors; per tensor the bindings of {@link emaUpdateWgsl}. */
export function emaUpdateMultiWgsl(count: number): string {
  return multiWgsl(count, EMA_MULTI_WORDS, multiDecls(count, ['S', 'T'], ['O']), (j, base) => emaBody((n) => `${n}${j}`, (k) => `pf(${base + k}u)`));
}
