// Helpers shared by the differentiable augmentations: per-sample parameter draws, probability gates and
// batched (N, R, C) matrices whose entries are per-sample tensors.
import { type Backend, type Generator, type Tensor, full, rand, stack, where } from '@radix/tensor-webgpu';

/** A matrix entry: a per-sample [N] tensor or a constant. */
export type Entry = Tensor | number;

/**
 * Stacks per-sample entries (each [N] or a number) into an (N, R, C) tensor.
 *
 * @example
 * const rot = batchMatrix([[c, s.neg(), 0], [s, c, 0], [0, 0, 1]], n, backend); // [N, 3, 3]
 */
export function batchMatrix(rows: Entry[][], n: number, backend: Backend): Tensor {
  const entries = rows.flat().map((e) => (typeof e === 'number' ? full([n], e, { backend }) : e));
  return stack(entries, 1).reshape(n, rows.length, rows[0]!.length);
}

/**
 * Keeps `value` for samples whose uniform draw is below `p`, else `identity` (one draw per sample).
 *
 * @example
 * const flip = gate(p, floor(rand([n]).mul(2)), 0, n, backend, generator);
 */
export function gate(p: number, value: Tensor, identity: number, n: number, backend: Backend, generator?: Generator): Tensor {
  return where(rand([n], { backend, generator }).lt(p), value, identity);
}

/**
 * Checks that `x` is a float32 NCHW batch with non-empty dims; `fn` names the caller in the error.
 *
 * @example
 * checkBatch('diffAugment', x);
 */
export function checkBatch(fn: string, x: Tensor): [number, number, number, number] {
  if (x.ndim !== 4) throw new Error(`${fn}: expected an NCHW batch, got shape [${x.shape}]`);
  if (x.dtype !== 'float32') throw new Error(`${fn}: expected float32 images, got ${x.dtype}`);
  if (x.shape.some((d) => d === 0)) throw new Error(`${fn}: empty batch of shape [${x.shape}]`);
  return x.shape as [number, number, number, number];
}
