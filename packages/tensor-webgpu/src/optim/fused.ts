// Fused optimizer updates: the whole per-parameter update of Adam/AdamW, SGD and EMA as one backend primitive (one
// dispatch on WebGPU instead of 8–14), computing the same float32 bits as the op-by-op path in adam.ts/sgd.ts/ema.ts.
// Each function returns null when the fused primitive does not apply (state of another shape, backend limits), and
// the caller then takes the op-by-op path.
import type { Backend } from '../backend/backend.js';
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

/**
 * @internal Adam (`decoupled` false: L2 decay folded into the gradient) or AdamW (`decoupled` true) in one primitive;
 * mirrors Adam.update/AdamW.update + adamStep exactly.
 */
export function fusedAdamStep(opt: Setter, p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, state: OptimizerState, decoupled: boolean): Tensor | null {
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
  b.adamUpdate(p.buf(op), grad.buf(op), m0?.buf(op) ?? null, v0?.buf(op) ?? null, max0?.buf(op) ?? null, pOut.buf(op), mOut.buf(op), vOut.buf(op), maxOut?.buf(op) ?? null, {
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
  });
  opt.setState(state, 'step', step);
  opt.setState(state, 'exp_avg', mOut);
  opt.setState(state, 'exp_avg_sq', vOut);
  if (maxOut) opt.setState(state, 'max_exp_avg_sq', maxOut);
  return pOut;
}

/** @internal SGD in one primitive; mirrors SGD.update exactly. */
export function fusedSgdStep(opt: Setter, p: Tensor, grad: Tensor, group: ParamGroup<SGDOptions>, state: OptimizerState): Tensor | null {
  const useMomentum = group.momentum !== 0;
  const buf0 = useMomentum ? (state.momentum_buffer as Tensor | undefined) : undefined;
  if (!fusable(p, [grad, buf0], 3 + (buf0 ? 1 : 0) + (useMomentum ? 1 : 0))) return null;
  const b = p.backend;
  const pOut = empty('SGD', b, p.shape, 'float32');
  const bufOut = useMomentum ? empty('SGD', b, p.shape, 'float32') : null;
  b.sgdUpdate(p.buf('SGD'), grad.buf('SGD'), buf0?.buf('SGD') ?? null, pOut.buf('SGD'), bufOut?.buf('SGD') ?? null, {
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
  });
  if (bufOut) opt.setState(state, 'momentum_buffer', bufOut);
  return pOut;
}

/** @internal shadow + (value − shadow)·(1 − decay) in one primitive; mirrors EMA.update's lerp exactly. */
export function fusedEmaLerp(shadow: Tensor, value: Tensor, decay: number): Tensor | null {
  if (!fusable(shadow, [value], 3)) return null;
  const out = empty('EMA.update', shadow.backend, shadow.shape, 'float32');
  shadow.backend.emaUpdate(shadow.buf('EMA.update'), value.buf('EMA.update'), out.buf('EMA.update'), shadow.size, 1 - decay);
  return out;
}
