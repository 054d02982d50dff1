// Style mixing regularisation (StyleGAN): with probability p, the layers from a random cutoff on take their w from a
// second latent, so that the generator cannot rely on correlations between adjacent styles.
import { type Tensor, cat } from '@radix/tensor-webgpu';

/**
 * Draws the mixing cutoff like StyleGAN2-ADA: a uniform integer in [1, numWs) with probability `prob`, else
 * `numWs` (no mixing). `random` returns uniform numbers in [0, 1) (the trainer's seeded stream).
 *
 * @example
 * const cutoff = drawMixingCutoff(ws.shape[1], 0.9, Math.random);
 */
export function drawMixingCutoff(numWs: number, prob: number, random: () => number): number {
  if (!(prob >= 0 && prob <= 1)) throw new Error(`drawMixingCutoff: prob must be in [0, 1], got ${prob}`);
  if (numWs < 2) return numWs;
  const cutoff = 1 + Math.floor(random() * (numWs - 1));
  return random() < prob ? cutoff : numWs;
}

/**
 * ws[:, cutoff:] ← wsMix[:, cutoff:] for [N, numWs, wDim] tensors (returns `ws` itself when cutoff ≥ numWs).
 *
 * @example
 * const mixed = mixStyles(G.mapping(z, c), G.mapping(z2, c, { updateEmas: false }), cutoff);
 */
export function mixStyles(ws: Tensor, wsMix: Tensor, cutoff: number): Tensor {
  if (ws.ndim !== 3 || wsMix.ndim !== 3 || ws.shape.some((d, i) => d !== wsMix.shape[i])) {
    throw new Error(`mixStyles: ws and wsMix must have the same [N, numWs, wDim] shape, got [${ws.shape.join(', ')}] and [${wsMix.shape.join(', ')}]`);
  }
  const numWs = ws.shape[1]!;
  if (!Number.isInteger(cutoff) || cutoff < 1) throw new Error(`mixStyles: cutoff must be an integer ≥ 1, got ${cutoff}`);
  if (cutoff >= numWs) return ws;
  return cat([ws.slice(1, 0, cutoff), wsMix.slice(1, cutoff, numWs)], 1);
}
