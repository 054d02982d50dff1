// Path-length regularisation of StyleGAN2 (Karras et al. 2020): keeps |J_wᵀ y| near its running mean so that a fixed
// step in W changes the image by a fixed amount. Lazy: every 4 minibatches, on half the batch, weighted by the interval.
import { type Generator, type Tensor, grad, randn } from '@radix/tensor-webgpu';

/** Options of {@link PathLengthRegularizer}. */
export interface PathLengthOptions {
  /** Decay of the running mean of path lengths (default 0.01). */
  decay?: number;
  /** Weight of the penalty (default 2). */
  weight?: number;
}

/**
 * Holds the running mean `plMean` (a number, saved in checkpoints) and computes the weighted path-length penalty
 * for images generated from `ws`.
 *
 * @example
 * const pl = new PathLengthRegularizer();
 * const ws = G.mapping(z, c);
 * const img = G.synthesis(ws);
 * const { loss, newMean } = pl.loss(img, ws, { generator });
 * loss.mul(4).backward(); // every 4 minibatches, weighted by 4
 * pl.commit(await newMean.item());
 */
export class PathLengthRegularizer {
  readonly decay: number;
  readonly weight: number;
  /** Running mean of path lengths (starts at 0, as in StyleGAN2). */
  plMean = 0;
  /** Mean path length of the last call (for logging). */
  lastLength = 0;

  constructor(options: PathLengthOptions = {}) {
    this.decay = options.decay ?? 0.01;
    this.weight = options.weight ?? 2;
  }

  /**
   * The penalty weight·(‖∇_ws Σ img·y‖ − m)² averaged over the batch, with y ~ N(0, 1)/√(H·W) (or `noise`) and
   * m = lerp(plMean, mean length, decay) — differentiable in the lengths, as in StyleGAN2-ADA. Synchronous (use it
   * inside `tidy`); read `newMean` back afterwards and pass it to {@link PathLengthRegularizer.commit}.
   *
   * @example
   * const { loss, newMean, meanLength } = pl.loss(img, ws);
   * loss.mul(4).backward();
   * pl.commit(await newMean.item(), await meanLength.item());
   */
  loss(img: Tensor, ws: Tensor, options: { noise?: Tensor; generator?: Generator } = {}): { loss: Tensor; newMean: Tensor; meanLength: Tensor } {
    if (!ws.requiresGrad) throw new Error('PathLengthRegularizer: ws must be part of the graph that produced img (requiresGrad)');
    const [, , h, w] = img.shape as [number, number, number, number];
    const noise = options.noise ?? randn(img.shape, { backend: img.backend, generator: options.generator }).div(Math.sqrt(h * w));
    const [gw] = grad(img.mul(noise).sum(), ws, { createGraph: true });
    const lengths = gw!.square().sum(2).mean(1).sqrt();
    const meanLength = lengths.mean();
    const m = meanLength.sub(this.plMean).mul(this.decay).add(this.plMean);
    return { loss: lengths.sub(m).square().mul(this.weight).mean(), newMean: m.detach(), meanLength: meanLength.detach() };
  }

  /** Stores the running mean computed by the last {@link PathLengthRegularizer.loss}. @example pl.commit(0.41, 0.5) */
  commit(newMean: number, meanLength = this.lastLength): void {
    if (!Number.isFinite(newMean)) throw new Error(`PathLengthRegularizer.commit: non-finite running mean ${newMean}`);
    this.plMean = newMean;
    this.lastLength = meanLength;
  }
}
