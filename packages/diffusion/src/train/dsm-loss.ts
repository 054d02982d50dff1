// Denoising score matching for NCSN (Song & Ermon 2019, eq. 6; ncsnv2's anneal_dsm_score_estimation): perturb x by
// σ·z at a random level, regress the score onto −z/σ, weight each level by λ(σ) = σ^annealPower (σ² by default).
import { type Generator, type Tensor, indexSelect, randint, randn, tensor, tidy } from '@radix/tensor-webgpu';
import type { NCSNScheduler } from '../schedulers/ncsn.js';
import type { UNetCallOptions } from '../unet/unet-2d.js';

/** A score network for {@link ncsnDsmLoss}: called with per-sample timesteps (level indices or σ, a tensor [B]). */
export type ScoreNetwork =
  | { call(sample: Tensor, timesteps: Tensor, options?: UNetCallOptions): Tensor }
  | ((sample: Tensor, timesteps: Tensor, options: { classLabels?: Tensor | number[] }) => Tensor);

/** Options of {@link ncsnDsmLoss}. */
export interface DsmLossOptions {
  /** Each sample's level index in [0, L) (default: uniform random from `generator`, as ncsnv2). */
  levels?: readonly number[];
  /** Explicit standard-normal z of the samples' shape (the perturbation is σ·z); default: drawn from `generator`. */
  noise?: Tensor;
  /** Stream for the levels and the noise (default: the global generator). */
  generator?: Generator;
  /** λ(σ) = σ^annealPower (default 2, NCSN's choice, which makes every level's loss of the same order). */
  annealPower?: number;
  /** Class labels passed through to a class-conditional network. */
  classLabels?: Tensor | number[];
  /** 'mean' (default): the batch mean, a scalar; 'none': the per-sample losses [B]. */
  reduction?: 'mean' | 'none';
}

/**
 * ½·‖s(x + σz, σ) + z/σ‖²·σ^annealPower per sample (the sum over all its values), averaged over the batch: ncsnv2's
 * anneal_dsm_score_estimation. The score follows the scheduler's conventions (`modelInput`: the network receives the
 * level index or σ; `scoreScaling: 'divide-by-sigma'`: s = output/σ, where the loss is ½‖output + z‖²). Differentiable.
 *
 * @example
 * const scheduler = new NCSNScheduler({ sigmaMax: 50, sigmaMin: 0.01, numScales: 232 });
 * const loss = ncsnDsmLoss(unet, scheduler, batch, { generator });
 * loss.backward();
 */
export function ncsnDsmLoss(model: ScoreNetwork, scheduler: NCSNScheduler, samples: Tensor, options: DsmLossOptions = {}): Tensor {
  const b = samples.shape[0];
  if (samples.ndim < 2 || !b) throw new Error(`ncsnDsmLoss: expected samples [B, …] with B ≥ 1, got shape [${samples.shape.join(', ')}]`);
  const L = scheduler.sigmas.length;
  const p = options.annealPower ?? 2;
  if (!Number.isFinite(p)) throw new Error(`ncsnDsmLoss: annealPower must be a finite number, got ${p}`);
  if (options.levels) {
    if (options.levels.length !== b) throw new Error(`ncsnDsmLoss: got ${options.levels.length} levels for a batch of ${b}`);
    const bad = options.levels.find((l) => !Number.isInteger(l) || l < 0 || l >= L);
    if (bad !== undefined) throw new Error(`ncsnDsmLoss: level ${bad} is outside [0, ${L})`);
  }
  if (options.noise && (options.noise.ndim !== samples.ndim || options.noise.shape.some((d, i) => d !== samples.shape[i]))) {
    throw new Error(`ncsnDsmLoss: noise has shape [${options.noise.shape.join(', ')}] but the samples have [${samples.shape.join(', ')}]`);
  }
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'none') throw new Error(`ncsnDsmLoss: reduction must be 'mean' or 'none', got ${String(reduction)}`);
  const backend = samples.backend;
  return tidy(() => {
    const levels = options.levels
      ? tensor(Int32Array.from(options.levels), { backend, dtype: 'int32' })
      : randint(0, L, [b], { generator: options.generator, backend });
    const table = tensor(Float32Array.from(scheduler.sigmas), { backend });
    const sigmaB = indexSelect(table, 0, levels);
    const sigma = sigmaB.reshape([b, ...samples.shape.slice(1).map(() => 1)]);
    const z = options.noise ?? randn(samples.shape, { generator: options.generator, backend });
    const perturbed = samples.add(z.mul(sigma));
    const t = scheduler.config.modelInput === 'index' ? levels : sigmaB;
    const opts = options.classLabels !== undefined ? { classLabels: options.classLabels } : {};
    const out = typeof model === 'function' ? model(perturbed, t, opts) : model.call(perturbed, t, opts);
    const score = scheduler.config.scoreScaling === 'divide-by-sigma' ? out.div(sigma) : out;
    const target = z.div(sigma).neg();
    const per = score.sub(target).square().reshape([b, -1]).sum(1).mul(0.5).mul(p === 2 ? sigmaB.square() : sigmaB.pow(p));
    return reduction === 'mean' ? per.mean() : per;
  });
}
