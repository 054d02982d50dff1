// torch.optim.SGD: stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay.
import type { Tensor } from '../tensor.js';
import { RadixError } from '../errors.js';
import { type OptimizerState, type ParamGroup, type ParamGroupInput, Optimizer, axpy, checkRange } from './optimizer.js';
import type { FusedOption } from './adam.js';
import { type StepItem, fusedSgdStep, fusedSgdSteps } from './fused.js';

/** Options of {@link SGD} (torch defaults; `lr` defaults to 1e-3 like torch 2). */
export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** Maximise the objective instead of minimising it. */
  maximize: boolean;
}

/**
 * SGD with PyTorch's exact update: g ← ∇ + wd·p; with momentum, b ← g on the first step (no dampening) and
 * b ← μ·b + (1 − dampening)·g afterwards; Nesterov uses g + μ·b, plain momentum uses b; then p ← p − lr·g.
 * State: `momentum_buffer`.
 *
 * @example
 * const opt = new SGD(net.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<SGDOptions>>, options: Partial<SGDOptions> & FusedOption = {}) {
    const { fused = true, multiTensor = true, ...rest } = options;
    super(params, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, ...rest });
    this.fused = fused;
    this.multiTensor = multiTensor;
  }

  protected override updateMany(items: readonly StepItem[], g: ParamGroup<SGDOptions>): Map<StepItem, Tensor> {
    return fusedSgdSteps(this, items, g);
  }

  protected validate(g: ParamGroup<SGDOptions>): void {
    checkRange('SGD', 'learning rate', g.lr, 0);
    checkRange('SGD', 'momentum value', g.momentum, 0);
    checkRange('SGD', 'weight_decay value', g.weightDecay, 0);
    checkRange('SGD', 'dampening value', g.dampening, -Infinity);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) throw new RadixError('SGD', 'Nesterov momentum requires a momentum and zero dampening');
  }

  protected update(p: Tensor, grad: Tensor, g: ParamGroup<SGDOptions>, state: OptimizerState): Tensor {
    const fused = this.fused ? fusedSgdStep(this, p, grad, g, state) : null;
    if (fused) return fused;
    let d = g.maximize ? grad.neg() : grad;
    if (g.weightDecay !== 0) d = axpy(d, p, g.weightDecay);
    if (g.momentum !== 0) {
      const prev = state.momentum_buffer as Tensor | undefined;
      const buf = prev ? axpy(prev.mul(g.momentum), d, 1 - g.dampening) : d.clone();
      this.setState(state, 'momentum_buffer', buf);
      d = g.nesterov ? axpy(d, buf, g.momentum) : buf;
    }
    return axpy(p, d, -g.lr);
  }
}
