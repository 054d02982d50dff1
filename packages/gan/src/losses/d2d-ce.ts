// Data-to-Data Cross-Entropy (Kang et al. 2021, ReACGAN), the conditioning loss of the histology protocol, with
// exactly the terms of PyTorch-StudioGAN's Data2DataCrossEntropyLoss (src/utils/losses.py).
import { type Tensor, amax, gather, relu, tensor } from '@radix/tensor-webgpu';

/** Options of {@link d2dceLoss}. */
export interface D2DCEOptions {
  /** Positive margin m_p (StudioGAN's `m_p`, default 0.98); negatives are shifted by m_p − 1. */
  margin?: number;
  /** Temperature τ (default 0.25, StudioGAN's StyleGAN2 D2D-CE configurations). */
  temperature?: number;
}

function unit(x: Tensor): Tensor {
  return x.div(x.square().sum(1, true).sqrt().maximum(1e-12));
}

/**
 * D2D-CE over a batch of D embeddings [N, E], their class proxies [N, E] (the proxy of each sample's label) and the
 * integer labels [N]. With cosine similarities s_ij between embeddings and s_i between embedding and proxy:
 * S_ij = relu((s_ij + m_p − 1)/τ) − max_j((s_ij + m_p − 1)/τ) (no gradient through the max, j ≠ i),
 * a_i = relu((m_p − s_i)/τ), loss = mean_i [a_i + log(exp(−a_i) + Σ_{j≠i, y_j≠y_i} exp(S_ij))] — false negatives
 * (same-class pairs) are masked out of the repulsion term. Inputs need not be normalised (the similarities are
 * cosines). Needs N ≥ 2.
 *
 * @example
 * const loss = d2dceLoss(embed, proxyTable.indexSelect(0, labels), labels, { margin: 0.98, temperature: 0.25 });
 */
export function d2dceLoss(embed: Tensor, proxy: Tensor, labels: Tensor, options: D2DCEOptions = {}): Tensor {
  const fn = 'd2dceLoss';
  const mp = options.margin ?? 0.98;
  const tau = options.temperature ?? 0.25;
  if (embed.ndim !== 2 || proxy.ndim !== 2 || embed.shape[0] !== proxy.shape[0] || embed.shape[1] !== proxy.shape[1]) {
    throw new Error(`${fn}: embed and proxy must both be [N, E], got [${embed.shape.join(', ')}] and [${proxy.shape.join(', ')}]`);
  }
  const n = embed.shape[0]!;
  if (n < 2) throw new Error(`${fn}: needs at least 2 samples, got ${n}`);
  if (labels.ndim !== 1 || labels.shape[0] !== n) throw new Error(`${fn}: labels must be [${n}], got [${labels.shape.join(', ')}]`);
  if (!(tau > 0)) throw new Error(`${fn}: temperature must be positive, got ${tau}`);
  const b = embed.backend;
  // Column indices of every off-diagonal entry, row by row (StudioGAN's remove_diag).
  const off: number[] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (j !== i) off.push(j);
  const idx = tensor(off, { shape: [n, n - 1], dtype: 'int32', backend: b });
  const e = unit(embed);
  const p = unit(proxy);
  const raw = gather(e.matmul(e.t()).add(mp - 1).div(tau), 1, idx);
  const simMax = amax(raw, 1, true).detach();
  const sim = relu(raw).sub(simMax);
  const smp2proxy = e.mul(p).sum(1);
  const lab = labels.to('float32');
  const negatives = gather(lab.reshape(n, 1).ne(lab.reshape(1, n)).to('float32'), 1, idx);
  const repulsion = negatives.mul(sim.exp()).sum(1);
  const attraction = relu(smp2proxy.neg().add(mp).div(tau));
  return attraction.add(attraction.neg().exp().add(repulsion).log()).mean();
}
