// torch.optim.AdamW: Adam with decoupled weight decay (p ← p·(1 − lr·wd) before the Adam step).
import type { Tensor } from '../tensor.js';
import { type AdamOptions, type FusedOption, adamStep, validateAdam } from './adam.js';
import { type StepItem, fusedAdamStep, fusedAdamSteps } from './fused.js';
import { type OptimizerState, type ParamGroup, type ParamGroupInput, Optimizer } from './optimizer.js';

/**
 * AdamW with PyTorch's exact update: the parameter first decays by `1 − lr·weightDecay` (decoupled from the
 * gradient), then takes the Adam step (bias corrections, eps outside the square root, optional AMSGrad).
 * weightDecay defaults to 1e-2 like torch.
 *
 * @example
 * const opt = new AdamW(net.parameters(), { lr: 3e-4, weightDecay: 0.05 });
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<AdamOptions>>, options: Partial<AdamOptions> & FusedOption = {}) {
    const { fused = true, multiTensor = true, ...rest } = options;
    super(params, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false, maximize: false, ...rest });
    this.fused = fused;
    this.multiTensor = multiTensor;
  }
  protected validate(g: ParamGroup<AdamOptions>): void {
    validateAdam('AdamW', g);
  }
  protected override updateMany(items: readonly StepItem[], g: ParamGroup<AdamOptions>): Map<StepItem, Tensor> {
    return fusedAdamSteps(this, items, g, true);
  }
  protected update(p: Tensor, grad: Tensor, g: ParamGroup<AdamOptions>, state: OptimizerState): Tensor {
    const fused = this.fused ? fusedAdamStep(this, p, grad, g, state, true) : null;
    if (fused) return fused;
    const d = g.maximize ? grad.neg() : grad;
    const decayed = g.weightDecay !== 0 ? p.mul(1 - g.lr * g.weightDecay) : p;
    return adamStep(this, decayed, d, g, state);
  }
}
