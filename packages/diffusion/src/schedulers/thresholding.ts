// Dynamic thresholding of the predicted x₀ (Imagen, Saharia et al. 2022): the per-image quantile of |x₀| is found on the
// device by bisection (exact order statistics, no readback), then x₀ is clamped to [−s, s] and divided by s.
import { amax, cast, reshape, RadixError, sum, tensor, tidy, where, type Tensor } from '@radix/tensor-webgpu';

/**
 * Bisection rounds. The bracket starts as [min − 1, max] (width W) and halves each round, so it reaches adjacent
 * float32 values, and the result is the exact order statistic, whenever that statistic is ≥ W·2⁻²⁷; smaller ones are
 * off by at most W·2⁻⁵⁰ (and thresholding clamps s to ≥ 1 anyway).
 */
const ROUNDS = 50;

/**
 * Per-row quantile of the non-negative values `a` ([B, n]) with linear interpolation between order statistics,
 * like `torch.quantile(a, q, dim=1)`; returns [B, 1].
 *
 * The k-th order statistic is the smallest value v with #{a ≤ v} ≥ k + 1. Bisection keeps `lo` below and `hi` at or
 * above it until they are adjacent floats, then the answer is the largest element ≤ hi.
 *
 * @example
 * const s = rowQuantile(x.abs().reshape(2, -1), 0.995);
 */
export function rowQuantile(a: Tensor, q: number): Tensor {
  if (a.ndim !== 2) throw new RadixError('rowQuantile', `expected [batch, n], got ${a.ndim} dimensions`);
  if (!(q >= 0 && q <= 1)) throw new RadixError('rowQuantile', `q must be in [0, 1], got ${q}`);
  const [b, n] = a.shape as [number, number];
  // torch computes the rank q·(n − 1) in the input's dtype (float32).
  const rank = Math.fround(Math.fround(q) * (n - 1));
  const below = Math.floor(rank);
  const above = Math.min(below + 1, n - 1);
  const weight = Math.fround(rank - below);
  return tidy(() => {
    const a3 = reshape(a, [b, 1, n]);
    const need = tensor([[[below + 1], [above + 1]]], { backend: a.backend });
    let lo = a3.amin(2, true).sub(1).expand([b, 2, 1]);
    let hi = a3.amax(2, true).expand([b, 2, 1]);
    for (let r = 0; r < ROUNDS; r++) {
      const mid = lo.add(hi).mul(0.5);
      const count = sum(cast(a3.le(mid), 'float32'), 2, true);
      const ok = count.ge(need);
      hi = where(ok, mid, hi);
      lo = where(ok, lo, mid);
    }
    const stats = amax(where(a3.le(hi), a3, -1), 2); // [b, 2]
    const v0 = stats.narrow(1, 0, 1);
    const v1 = stats.narrow(1, 1, 1);
    // torch.lerp: start + w·(end − start) for w < 0.5, end − (end − start)·(1 − w) otherwise.
    const d = v1.sub(v0);
    return weight < 0.5 ? v0.add(d.mul(weight)) : v1.sub(d.mul(Math.fround(1 - weight)));
  });
}

/**
 * Dynamic thresholding of x₀ ([B, …]): s = clamp(quantile_ratio(|x₀|), 1, sampleMaxValue) per image, then
 * x₀ ← clamp(x₀, −s, s) / s. Matches diffusers' `_threshold_sample`.
 *
 * @example
 * const x0t = dynamicThreshold(x0, 0.995, 1.5);
 */
export function dynamicThreshold(x0: Tensor, ratio: number, sampleMaxValue: number): Tensor {
  const b = x0.shape[0]!;
  return tidy(() => {
    const flat = x0.reshape([b, -1]);
    const s = rowQuantile(flat.abs(), ratio).clamp(1, sampleMaxValue); // [b, 1]
    const out = flat.minimum(s).maximum(s.neg()).div(s);
    return out.reshape(x0.shape as number[]);
  });
}
