// Fused optimizer updates: the whole per-parameter update of Adam/AdamW, SGD and EMA as one backend primitive (one
// dispatch on WebGPU instead of 8–14), computing the same float32 bits as the op-by-op path in adam.ts/sgd.ts/ema.ts.
// Each update is first prepared (outputs allocated, the primitive's arguments gathered), then either run alone
// (`fused*Step`, one dispatch per parameter) or together with the rest of its batch (`fused*Steps`, the backend's
// multi-tensor primitive: a few dispatches for all of them). Preparing returns null when the fused primitive does not
// apply (state of another shape, backend limits), and the caller then takes the op-by-op path.
import type { AdamUpdateArgs, Backend, EmaUpdateArgs, SgdUpdateArgs } from '../backend/backend.js';
import { empty } from '../ops/util.js';
import type { Tensor } from '../tensor.js';
import type { AdamOptions } from './adam.js';
import type { OptimizerState, ParamGroup } from './optimizer.js';
import type { SGDOptions } from './sgd.js';

/** Whether every present tensor has p's backend, dtype and size, and the backend binds `bindings` storage buffers. */
function fusable(p: Tensor, ts: (Tensor | undefined)[], bindings: number): boolean {
  for (const t of ts) if (t && (t.backend !== p.backend || t.dtype !== 'float32' || t.size !== p.size || t.isDisposed)) return false;
  return bindingsFit(p.backend, bindings);
}

function bindingsFit(b: Backend, n: number): boolean {
  const limit = b.info.limits.maxStorageBuffersPerShaderStage;
  return b.name === 'cpu' || (limit !== undefined && limit >= n);
}

type Setter = { setState(s: OptimizerState, k: string, v: Tensor | number): void };

/** A prepared fused update: the primitive's arguments, the parameter's new value, and the state to store after the call. */
interface Prepared<A> {
  args: A;
  out: Tensor;
  /** Stores the new state (disposing the old): only once the primitive has been recorded, since it reads the old. */
  commit(): void;
}

/** @internal One parameter of a multi-tensor step: the parameter, its gradient and its optimizer state. */
export interface StepItem {
  param: Tensor;
  grad: Tensor;
  state: OptimizerState;
}

function prepareAdam(opt: Setter, p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, state: OptimizerState, decoupled: boolean): Prepared<AdamUpdateArgs> | null {
  const m0 = state.exp_avg as Tensor | undefined;
  const v0 = state.exp_avg_sq as Tensor | undefined;
  const max0 = group.amsgrad ? (state.max_exp_avg_sq as Tensor | undefined) : undefined;
  const bindings = 2 + (m0 ? 1 : 0) + (v0 ? 1 : 0) + (max0 ? 1 : 0) + 3 + (group.amsgrad ? 1 : 0);
  if (!fusable(p, [grad, m0, v0, max0], bindings)) return null;
  const op = decoupled ? 'AdamW' : 'Adam';
  const [b1, b2] = group.betas;
  const step = ((state.step as number | undefined) ?? 0) + 1;
  const wd = group.weightDecay;
  const b = p.backend;
  const pOut = empty(op, b, p.shape, 'float32');
  const mOut = empty(op, b, p.shape, 'float32');
  const vOut = empty(op, b, p.shape, 'float32');
  const maxOut = group.amsgrad ? empty(op, b, p.shape, 'float32') : null;
  const args: AdamUpdateArgs = {
    p: p.buf(op), g: grad.buf(op), m: m0?.buf(op) ?? null, v: v0?.buf(op) ?? null, vMax: max0?.buf(op) ?? null,
    pOut: pOut.buf(op), mOut: mOut.buf(op), vOut: vOut.buf(op), vMaxOut: maxOut?.buf(op) ?? null,
    params: {
      numel: p.size,
      maximize: group.maximize,
      hasL2: !decoupled && wd !== 0,
      l2: wd,
      hasDecay: decoupled && wd !== 0,
      decay: 1 - group.lr * wd,
      b1,
      oneMinusB1: 1 - b1,
      b2,
      oneMinusB2: 1 - b2,
      bc2Sqrt: Math.sqrt(1 - b2 ** step),
      eps: group.eps,
      negStepSize: -(group.lr / (1 - b1 ** step)),
      hasM: m0 !== undefined,
      hasV: v0 !== undefined,
      amsgrad: group.amsgrad,
      hasMax: max0 !== undefined,
    },
  };
  const commit = () => {
    opt.setState(state, 'step', step);
    opt.setState(state, 'exp_avg', mOut);
    opt.setState(state, 'exp_avg_sq', vOut);
    if (maxOut) opt.setState(state, 'max_exp_avg_sq', maxOut);
  };
  return { args, out: pOut, commit };
}

/**
 * @internal Adam (`decoupled` false: L2 decay folded into the gradient) or AdamW (`decoupled` true) in one primitive;
 * mirrors Adam.update/AdamW.update + adamStep exactly.
 */
export function fusedAdamStep(opt: Setter, p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, state: OptimizerState, decoupled: boolean): Tensor | null {
  const r = prepareAdam(opt, p, grad, group, state, decoupled);
  if (!r) return null;
  const a = r.args;
  p.backend.adamUpdate(a.p, a.g, a.m, a.v, a.vMax, a.pOut, a.mOut, a.vOut, a.vMaxOut, a.params);
  r.commit();
  return r.out;
}

function prepareSgd(opt: Setter, p: Tensor, grad: Tensor, group: ParamGroup<SGDOptions>, state: OptimizerState): Prepared<SgdUpdateArgs> | null {
  const useMomentum = group.momentum !== 0;
  const buf0 = useMomentum ? (state.momentum_buffer as Tensor | undefined) : undefined;
  if (!fusable(p, [grad, buf0], 3 + (buf0 ? 1 : 0) + (useMomentum ? 1 : 0))) return null;
  const b = p.backend;
  const pOut = empty('SGD', b, p.shape, 'float32');
  const bufOut = useMomentum ? empty('SGD', b, p.shape, 'float32') : null;
  const args: SgdUpdateArgs = {
    p: p.buf('SGD'), g: grad.buf('SGD'), buf: buf0?.buf('SGD') ?? null, pOut: pOut.buf('SGD'), bufOut: bufOut?.buf('SGD') ?? null,
    params: {
      numel: p.size,
      maximize: group.maximize,
      hasL2: group.weightDecay !== 0,
      l2: group.weightDecay,
      useMomentum,
      momentum: group.momentum,
      oneMinusDampening: 1 - group.dampening,
      nesterov: group.nesterov,
      hasBuf: buf0 !== undefined,
      negLr: -group.lr,
    },
  };
  const commit = () => {
    if (bufOut) opt.setState(state, 'momentum_buffer', bufOut);
  };
  return { args, out: pOut, commit };
}

/** @internal SGD in one primitive; mirrors SGD.update exactly. */
export function fusedSgdStep(opt: Setter, p: Tensor, grad: Tensor, group: ParamGroup<SGDOptions>, state: OptimizerState): Tensor | null {
  const r = prepareSgd(opt, p, grad, group, state);
  if (!r) return null;
  const a = r.args;
  p.backend.sgdUpdate(a.p, a.g, a.buf, a.pOut, a.bufOut, a.params);
  r.commit();
  return r.out;
}

function prepareEma(shadow: Tensor, value: Tensor, decay: number): Prepared<EmaUpdateArgs> | null {
  if (!fusable(shadow, [value], 3)) return null;
  const out = empty('EMA.update', shadow.backend, shadow.shape, 'float32');
  const args: EmaUpdateArgs = { s: shadow.buf('EMA.update'), t: value.buf('EMA.update'), out: out.buf('EMA.update'), numel: shadow.size, w: 1 - decay };
  return { args, out, commit: () => {} };
}

/** @internal shadow + (value − shadow)·(1 − decay) in one primitive; mirrors EMA.update's lerp exactly. */
export function fusedEmaLerp(shadow: Tensor, value: Tensor, decay: number): Tensor | null {
  const r = prepareEma(shadow, value, decay);
  if (!r) return null;
  const a = r.args;
  shadow.backend.emaUpdate(a.s, a.t, a.out, a.numel, a.w);
  return r.out;
}

/**
 * Elements of one multi-tensor batch: its outputs are allocated together (the old values are released only after the
 * batch), so this bounds the extra memory a step needs to about this many elements per updated array.
 */
export const MULTI_BATCH_ELEMENTS = 1 << 24;

/**
 * @internal Splits `items` into batches for the multi-tensor primitives: consecutive items on one backend, at most
 * {@link MULTI_BATCH_ELEMENTS} elements in all (a larger tensor forms a batch of its own).
 */
export function multiBatches<T>(items: readonly T[], tensor: (item: T) => Tensor): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let elements = 0;
  let backend: Backend | null = null;
  for (const it of items) {
    const t = tensor(it);
    if (cur.length > 0 && (t.backend !== backend || elements + t.size > MULTI_BATCH_ELEMENTS)) {
      out.push(cur);
      cur = [];
      elements = 0;
    }
    cur.push(it);
    elements += t.size;
    backend = t.backend;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * Runs the prepared updates of one batch (all on `backend`) through its multi-tensor primitive `run`, then commits
 * their state. Returns each handled key's new value; keys whose update could not be prepared are absent.
 */
function runMulti<K, A>(keys: readonly K[], prepare: (k: K) => Prepared<A> | null, run: (args: A[]) => void): Map<K, Tensor> {
  const done = new Map<K, Tensor>();
  const prepared: Prepared<A>[] = [];
  for (const k of keys) {
    const r = prepare(k);
    if (!r) continue;
    prepared.push(r);
    done.set(k, r.out);
  }
  if (prepared.length === 0) return done;
  run(prepared.map((r) => r.args));
  for (const r of prepared) r.commit();
  return done;
}

/**
 * @internal Adam/AdamW for one batch of parameters (one backend, see {@link multiBatches}) through the backend's
 * multi-tensor primitive; the same bits as {@link fusedAdamStep} per parameter. Returns the new value of each parameter
 * it handled; the others (not fusable) are left to the per-parameter path.
 */
export function fusedAdamSteps(opt: Setter, items: readonly StepItem[], group: ParamGroup<AdamOptions>, decoupled: boolean): Map<StepItem, Tensor> {
  if (items.length === 0) return new Map();
  const b = items[0]!.param.backend;
  return runMulti(items, (it) => prepareAdam(opt, it.param, it.grad, group, it.state, decoupled), (args) => b.adamUpdateMulti(args));
}

/** @internal SGD for one batch of parameters through the multi-tensor primitive; see {@link fusedAdamSteps}. */
export function fusedSgdSteps(opt: Setter, items: readonly StepItem[], group: ParamGroup<SGDOptions>): Map<StepItem, Tensor> {
  if (items.length === 0) return new Map();
  const b = items[0]!.param.backend;
  return runMulti(items, (it) => prepareSgd(opt, it.param, it.grad, group, it.state), (args) => b.sgdUpdateMulti(args));
}

/**
 * @internal EMA lerps for one batch of (shadow, value) pairs on one backend through the multi-tensor primitive; the
 * same bits as {@link fusedEmaLerp} per pair. Returns the new shadow of each pair it handled.
 */
export function fusedEmaLerps<K extends { shadow: Tensor; value: Tensor }>(pairs: readonly K[], decay: number): Map<K, Tensor> {
  if (pairs.length === 0) return new Map();
  const b = pairs[0]!.shadow.backend;
  return runMulti(pairs, (k) => prepareEma(k.shadow, k.value, decay), (args) => b.emaUpdateMulti(args));
}
