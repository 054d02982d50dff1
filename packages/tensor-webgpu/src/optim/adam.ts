// torch.optim.Adam (optionally AMSGrad) and the shared Adam moment update also used by AdamW.
import type { Tensor } from '../tensor.js';
import { type OptimizerState, type ParamGroup, type ParamGroupInput, Optimizer, axpy, checkRange } from './optimizer.js';
import { type StepItem, fusedAdamStep, fusedAdamSteps } from './fused.js';

/** Options of the optimizers that are not per-group hyperparameters. */
export interface FusedOption {
  /** One fused primitive per parameter update (default true; the op-by-op path gives the same bits). */
  fused?: boolean;
  /**
   * With `fused`, update many parameters per primitive call (on WebGPU one dispatch per chunk of parameters; default
   * true; the same bits as one call per parameter). See {@link Optimizer.multiTensor}.
   */
  multiTensor?: boolean;
}

/** Options of {@link Adam} and {@link AdamW} (torch defaults; AdamW's weightDecay defaults to 1e-2). */
export interface AdamOptions {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

/** @internal Checks Adam-family options. */
export function validateAdam(op: string, g: ParamGroup<AdamOptions>): void {
  checkRange(op, 'learning rate', g.lr, 0);
  checkRange(op, 'epsilon value', g.eps, 0);
  checkRange(op, 'beta parameter at index 0', g.betas[0], 0, 1);
  checkRange(op, 'beta parameter at index 1', g.betas[1], 0, 1);
  checkRange(op, 'weight_decay value', g.weightDecay, 0);
}

/**
 * @internal One Adam step on `p` with gradient `g` (weight decay already folded in or applied to `p`):
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − (lr/(1−β₁ᵗ))·m / (√v̂/√(1−β₂ᵗ) + ε) with v̂ = v or max(v̂, v)
 * (AMSGrad); eps is added outside the square root, like torch.
 */
export function adamStep(opt: { setState(s: OptimizerState, k: string, v: Tensor | number): void }, p: Tensor, g: Tensor, group: ParamGroup<AdamOptions>, state: OptimizerState): Tensor {
  const [b1, b2] = group.betas;
  const step = ((state.step as number | undefined) ?? 0) + 1;
  const m0 = state.exp_avg as Tensor | undefined;
  const v0 = state.exp_avg_sq as Tensor | undefined;
  const m = m0 ? axpy(m0.mul(b1), g, 1 - b1) : g.mul(1 - b1);
  const v = v0 ? v0.mul(b2).add(g.mul(1 - b2).mul(g)) : g.mul(1 - b2).mul(g);
  opt.setState(state, 'step', step);
  opt.setState(state, 'exp_avg', m);
  opt.setState(state, 'exp_avg_sq', v);
  let vHat = v;
  if (group.amsgrad) {
    const prevMax = state.max_exp_avg_sq as Tensor | undefined;
    vHat = prevMax ? prevMax.maximum(v) : v.clone();
    opt.setState(state, 'max_exp_avg_sq', vHat);
  }
  const bc1 = 1 - b1 ** step;
  const bc2Sqrt = Math.sqrt(1 - b2 ** step);
  const stepSize = group.lr / bc1;
  const denom = vHat.sqrt().div(bc2Sqrt).add(group.eps);
  return p.add(m.mul(-stepSize).div(denom));
}

/**
 * Adam with PyTorch's exact update (L2 weight decay added to the gradient; bias corrections; eps outside the
 * square root; optional AMSGrad). State: `step` (a number), `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq`.
 *
 * @example
 * const opt = new Adam(net.parameters(), { lr: 1e-3, betas: [0.9, 0.999] });
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> & FusedOption = {}) {
    const { fused = true, multiTensor = true, ...rest } = options;
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...rest });
    this.fused = fused;
    this.multiTensor = multiTensor;
  }
  protected validate(g: ParamGroup<AdamOptions>): void {
    validateAdam('Adam', g);
  }
  protected override updateMany(items: readonly StepItem[], g: ParamGroup<AdamOptions>): Map<StepItem, Tensor> {
    return fusedAdamSteps(this, items, g, false);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamOptions>, state: OptimizerState): Tensor {
    const fused = this.fused ? fusedAdamStep(this, p, grad, g, state, false) : null;
    if (fused) return fused;
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = axpy(d, p, g.weightDecay);
    return adamStep(this, p, d, g, state);
  }
}
