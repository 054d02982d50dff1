// The adversarial terms of StyleGAN2-ADA's loss (non-saturating logistic) and the hinge alternative, on D logits.
import { type Tensor, softplus } from '@radix/tensor-webgpu';

/** Which adversarial loss the trainer uses. */
export type AdversarialLoss = 'logistic' | 'hinge';

/**
 * Discriminator loss. `'logistic'` (StyleGAN2-ADA): mean softplus(fake) + mean softplus(−real), i.e.
 * −log(1 − σ(fake)) − log σ(real). `'hinge'`: mean relu(1 − real) + mean relu(1 + fake). Either set of logits may
 * be null (the trainer evaluates real and fake in separate passes).
 *
 * @example
 * const loss = discriminatorLoss(D.call(reals, c), D.call(fakes.detach(), c));
 */
export function discriminatorLoss(realLogits: Tensor | null, fakeLogits: Tensor | null, kind: AdversarialLoss = 'logistic'): Tensor {
  if (!realLogits && !fakeLogits) throw new Error('discriminatorLoss: pass real logits, fake logits or both');
  const real = realLogits ? (kind === 'logistic' ? softplus(realLogits.neg()) : realLogits.neg().add(1).relu()).mean() : null;
  const fake = fakeLogits ? (kind === 'logistic' ? softplus(fakeLogits) : fakeLogits.add(1).relu()).mean() : null;
  return real && fake ? real.add(fake) : (real ?? fake)!;
}

/**
 * Generator loss. `'logistic'`: the non-saturating mean softplus(−fake) = −log σ(fake); `'hinge'`: −mean(fake).
 *
 * @example
 * const loss = generatorLoss(D.call(G.call(z, c), c));
 */
export function generatorLoss(fakeLogits: Tensor, kind: AdversarialLoss = 'logistic'): Tensor {
  return kind === 'logistic' ? softplus(fakeLogits.neg()).mean() : fakeLogits.mean().neg();
}
