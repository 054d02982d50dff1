// WGSL of the fused conv/matmul epilogue: `gain · f(acc + bias)` with an activation f from the unary table (the same
// expression, so a fused result rounds exactly like the separate unary op and scalar multiply), plus the optional
// second output holding the pre-activation for the backward pass.
import type { FusedActivation } from '../backend/backend.js';
import { UNARY_WGSL } from './elementwise.js';
import { MATH_PRELUDE } from './prelude.js';
import { unaryMathFor } from './unary-math.js';

/** What a kernel's epilogue does beyond the bias: an activation (null: none) and whether it also stores `Pre`. */
export interface KernelEpilogue {
  act: FusedActivation | null;
  pre: boolean;
}

/** No activation, no pre-activation output. */
export const PLAIN_EPILOGUE: KernelEpilogue = { act: null, pre: false };

const f32Bits = (v: number): string => {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return `0x${b.getUint32(0).toString(16)}u`;
};

/** Part of a pipeline key naming the epilogue (its constants are baked into the WGSL). @example epilogueKey(e) */
export function epilogueKey(e: KernelEpilogue): string {
  if (!e.act && !e.pre) return '';
  const a = e.act;
  return `_epi_${a ? `${a.op}_${f32Bits(a.op === 'leakyRelu' ? a.alpha : 0)}_${f32Bits(a.gain)}` : 'id'}_${+e.pre}`;
}

/**
 * Helper functions of the epilogue: `act_f(x)` (identity without an activation) and `act4(v)` per component. The
 * activation's parameters are float32 constants written as bit patterns, so they are exact.
 *
 * @example
 * const src = `${epilogueFnsWgsl(e)} ... Y[i] = act_f(acc + bias);`;
 */
export function epilogueFnsWgsl(e: KernelEpilogue): string {
  const a = e.act;
  if (!a && !e.pre) return '';
  if (!a) return 'fn act_f(x: f32) -> f32 { return x; }\nfn act4(v: vec4<f32>) -> vec4<f32> { return v; }\n';
  const expr = UNARY_WGSL[a.op]('f32');
  const gain = Math.fround(a.gain) === 1 ? '' : ` * bitcast<f32>(${f32Bits(a.gain)})`;
  return `${MATH_PRELUDE}${unaryMathFor(expr)}
fn act_f(x: f32) -> f32 {
  let a = bitcast<f32>(${f32Bits(a.op === 'leakyRelu' ? a.alpha : 0)});
  let y: f32 = ${expr};
  return y${gain};
}
fn act4(v: vec4<f32>) -> vec4<f32> { return vec4<f32>(act_f(v.x), act_f(v.y), act_f(v.z), act_f(v.w)); }
`;
}

/**
 * The `Pre` binding declaration (when the epilogue stores the pre-activation) at `binding`, element type `t`.
 *
 * @example
 * const decl = preBindingWgsl(e, 4, 'f32');
 */
export function preBindingWgsl(e: KernelEpilogue, binding: number, t: string): string {
  return e.pre ? `@group(0) @binding(${binding}) var<storage, read_write> Pre: array<${t}>;\n` : '';
}

/**
 * Statement storing `value` at `Y[idx]` through the epilogue (and the pre-activation at `Pre[idx]`); `vec` when the
 * element type is vec4. The plain epilogue emits exactly `Y[idx] = value;`.
 *
 * @example
 * storeWgsl(e, 'o + 1u', 'v.y', false) // "{ let z = v.y; Pre[o + 1u] = z; Y[o + 1u] = act_f(z); }" with a pre output
 */
export function storeWgsl(e: KernelEpilogue, idx: string, value: string, vec: boolean, target = 'Y'): string {
  if (!e.act && !e.pre) return `${target}[${idx}] = ${value};`;
  const f = vec ? 'act4' : 'act_f';
  if (!e.pre) return `${target}[${idx}] = ${f}(${value});`;
  return `{ let z = ${value}; Pre[${idx}] = z; ${target}[${idx}] = ${f}(z); }`;
}

/** True when the epilogue only adds what the plain kernels already do (no activation, no second output). */
export const isPlain = (e: KernelEpilogue): boolean => !e.act && !e.pre;
