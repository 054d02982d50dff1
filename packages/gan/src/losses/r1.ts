// R1 regularisation (Mescheder et al. 2018) as StyleGAN2-ADA applies it: the squared gradient norm of D's real logits
// w.r.t. the real images, computed with a differentiable gradient so that its own gradient reaches D's weights.
import { type Tensor, grad } from '@radix/tensor-webgpu';

/**
 * Per-image R1 penalty ‖∇ₓ Σ D(x)‖² (shape [N]). `reals` must require grad and `realLogits` must have been computed
 * from it (through any differentiable augmentation). The gradient is built with `createGraph`, so calling
 * `backward()` on a loss made from the penalty differentiates through D twice.
 *
 * @example
 * const x = reals.detach().requiresGrad_();
 * const logits = D.call(augment(x), c);
 * const loss = r1Penalty(logits, x).mul(gamma / 2).mean().mul(16); // lazy: every 16 minibatches, weighted by 16
 * loss.backward();
 */
export function r1Penalty(realLogits: Tensor, reals: Tensor): Tensor {
  if (!reals.requiresGrad) throw new Error('r1Penalty: the real images must require grad (x.detach().requiresGrad_()) before D sees them');
  const [g] = grad(realLogits.sum(), reals, { createGraph: true });
  const n = reals.shape[0]!;
  return g!.square().reshape(n, -1).sum(1);
}

/**
 * The R1 weight γ when none is given: 0.0002·resolution²/batch (StyleGAN2-ADA's 'auto' configuration, which the
 * limited-data histology protocol keeps).
 *
 * @example
 * r1GammaHeuristic(32, 32); // 0.0064
 */
export function r1GammaHeuristic(resolution: number, batch: number): number {
  if (!(resolution > 0 && batch > 0)) throw new Error(`r1GammaHeuristic: resolution and batch must be positive, got ${resolution} and ${batch}`);
  return (0.0002 * resolution * resolution) / batch;
}
