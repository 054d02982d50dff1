// Gradient clipping (torch.nn.utils.clip_grad_norm_ / clip_grad_value_): rescales or clamps the `.grad` tensors
// in place (same objects), on the device, without reading anything back.
import { noGrad } from '../autograd/grad-mode.js';
import { getBackend } from '../backend/registry.js';
import { check } from '../errors.js';
import { tidy } from '../memory.js';
import { full } from '../ops/creation.js';
import { div } from '../ops/elementwise.js';
import { stack } from '../ops/movement.js';
import { Tensor } from '../tensor.js';

function gradsOf(params: Iterable<Tensor> | Tensor): Tensor[] {
  const list = params instanceof Tensor ? [params] : [...params];
  return list.filter((p) => p.grad).map((p) => p.grad!);
}

/** `(Σ|x|ᵖ)^(1/p)` over all elements (max |x| for p = ∞). */
function norm(x: Tensor, p: number): Tensor {
  if (p === Infinity) return x.abs().amax();
  if (p === 2) return x.square().sum().sqrt();
  if (p === 1) return x.abs().sum();
  return x.abs().pow(p).sum().pow(1 / p);
}

/**
 * Scales all gradients by `min(1, maxNorm / (total + 1e-6))`, where `total` is the p-norm of the gradients
 * viewed as one vector (torch.nn.utils.clip_grad_norm_). Returns the total norm before clipping as a 0-d tensor
 * (dispose it). Parameters without gradients are skipped; with none, the result is 0.
 *
 * @example
 * loss.backward();
 * const total = clipGradNorm_(net.parameters(), 1.0);
 * opt.step();
 */
export function clipGradNorm_(params: Iterable<Tensor> | Tensor, maxNorm: number, normType = 2): Tensor {
  const op = 'clipGradNorm_';
  check(Number.isFinite(maxNorm) && maxNorm >= 0, op, `maxNorm must be a finite non-negative number, got ${maxNorm}`);
  check(normType === Infinity || (Number.isFinite(normType) && normType > 0), op, `normType must be positive or Infinity, got ${normType}`);
  const grads = gradsOf(params);
  if (grads.length === 0) return full([], 0, { backend: getBackend() });
  return noGrad(() => tidy(() => {
    const norms = grads.map((g) => norm(g, normType));
    const total = norms.length === 1 ? norms[0]! : norm(stack(norms), normType);
    const coef = div(maxNorm, total.add(1e-6)).clamp(undefined, 1);
    for (const g of grads) g._replaceStorage(g.mul(coef));
    return total;
  }));
}

/**
 * Clamps every gradient into [−clipValue, clipValue] in place (torch.nn.utils.clip_grad_value_).
 *
 * @example
 * clipGradValue_(net.parameters(), 0.5);
 */
export function clipGradValue_(params: Iterable<Tensor> | Tensor, clipValue: number): void {
  check(Number.isFinite(clipValue) && clipValue >= 0, 'clipGradValue_', `clipValue must be a finite non-negative number, got ${clipValue}`);
  noGrad(() => tidy(() => {
    for (const g of gradsOf(params)) g._replaceStorage(g.clamp(-clipValue, clipValue));
  }));
}
