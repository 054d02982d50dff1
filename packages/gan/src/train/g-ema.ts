// StyleGAN2-ADA's generator EMA: β = 0.5^(batch / ema_nimg) with ema_nimg = min(ema_kimg·1000, nimg·rampup), so the
// average starts as a copy and its half-life grows with the run; buffers (w_avg, noise_const) are copied.
import { type nn, noGrad, tidy } from '@radix/tensor-webgpu';

/**
 * The EMA decay for a minibatch of `batch` images after `nimg` images have been shown (before this minibatch).
 *
 * @example
 * emaBeta(32, 0, 10, 0.05); // 0: the first update copies G
 */
export function emaBeta(batch: number, nimg: number, emaKimg: number, rampup: number | null): number {
  let emaNimg = emaKimg * 1000;
  if (rampup !== null) emaNimg = Math.min(emaNimg, nimg * rampup);
  return 0.5 ** (batch / Math.max(emaNimg, 1e-8));
}

/**
 * gEma ← G + β·(gEma − G) for parameters (torch's `p.lerp(p_ema, β)`), buffers copied. Both modules must have the
 * same state-dict names.
 *
 * @example
 * updateGEma(gEma, G, emaBeta(batch, nimg, 10, 0.05));
 */
export function updateGEma(gEma: nn.AnyModule, G: nn.AnyModule, beta: number): void {
  const src = new Map(G.namedParameters());
  const srcBuf = new Map(G.namedBuffers());
  noGrad(() => {
    for (const [name, p] of gEma.namedParameters()) {
      const q = src.get(name);
      if (!q) throw new Error(`updateGEma: G has no parameter '${name}'`);
      tidy(() => p._replaceStorage(beta === 0 ? q.clone() : q.add(p.sub(q).mul(beta))));
    }
    for (const [name, b] of gEma.namedBuffers()) {
      const q = srcBuf.get(name);
      if (q && q.dtype === b.dtype) tidy(() => b._replaceStorage(q.clone()));
    }
  });
}
