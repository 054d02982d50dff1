// WGSL of the fused optimizer updates. Each intermediate goes through rb() — an xor with a runtime zero from the
// uniforms — so the compiler can neither contract a multiply and an add into an FMA nor reassociate: every step is
// rounded to float32 exactly as the op-by-op update (one kernel per op, a store between them) rounds it.
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
  var d = ${q.maximize ? '-G[i]' : 'G[i]'};
  var pp = P[i];
  ${q.hasL2 ? 'd = rb(d + rb(pp * pf(2u)));' : ''}
  ${q.hasDecay ? 'pp = rb(pp * pf(3u));' : ''}
  let m = ${q.hasM ? 'rb(rb(M[i] * pf(4u)) + rb(d * pf(5u)))' : 'rb(d * pf(5u))'};
  let t = rb(rb(d * pf(7u)) * d);
  let v = ${q.hasV ? 'rb(rb(V[i] * pf(6u)) + t)' : 't'};
  MO[i] = m;
  VO[i] = v;
  ${q.amsgrad ? (hasMax ? 'let a = VM[i];\n  let vh = select(max(a, v), nan_f32(), is_nan(a) || is_nan(v));' : 'let vh = v;') + '\n  VMO[i] = vh;' : 'let vh = v;'}
  let denom = rb(rb(rb(sqrt(vh)) / pf(8u)) + pf(9u));
  PO[i] = rb(pp + rb(rb(m * pf(10u)) / denom));
}`;
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
  const momentum = q.useMomentum
    ? `let bb = ${hasBuf ? 'rb(rb(B[i] * pf(3u)) + rb(d * pf(4u)))' : 'd'};
  BO[i] = bb;
  d = ${q.nesterov ? 'rb(d + rb(bb * pf(3u)))' : 'bb'};`
    : '';
  return `${paramsWgsl(6)}${PRELUDE}${decl}
${entry1d(OPTIM_WG)} {
  let i = ${linearIndex(OPTIM_WG)};
  if (i >= pu(0u)) { return; }
  let pp = P[i];
  var d = ${q.maximize ? '-G[i]' : 'G[i]'};
  ${q.hasL2 ? 'd = rb(d + rb(pp * pf(2u)));' : ''}
  ${momentum}
  PO[i] = rb(pp + rb(d * pf(5u)));
}`;
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
  let s = S[i];
  O[i] = rb(s + rb(rb(T[i] - s) * pf(2u)));
}`;
}
