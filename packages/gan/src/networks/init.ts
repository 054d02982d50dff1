// Parameter and buffer creation shared by the StyleGAN2 layers: torch.randn-style initial values on a chosen
// backend and random stream, so every layer draws its weights the same way.
import { type Backend, type BackendName, type Generator, type Tensor, RadixError, full, nn, randn } from '@radix/tensor-webgpu';

/** Where a StyleGAN2 network creates its tensors and which random stream draws its initial weights. */
export interface NetworkInitOptions {
  /** Backend name or instance for parameters and buffers (default: the current backend). */
  backend?: BackendName | Backend;
  /** Random stream for the initial weights and the noise constants (default: the global generator). */
  generator?: Generator;
}

/**
 * A trainable parameter holding standard-normal values times `scale` (torch.randn(shape) * scale).
 *
 * @example
 * const w = randnParameter([16, 8], 1 / 0.01, {}); // FC weight with lr multiplier 0.01
 */
export function randnParameter(shape: readonly number[], scale: number, options: NetworkInitOptions): nn.Parameter {
  const r = randn([...shape], { backend: options.backend, generator: options.generator });
  const t = scale === 1 ? r : r.mul(scale);
  const p = new nn.Parameter(t);
  if (t !== r) t.dispose();
  r.dispose();
  return p;
}

/**
 * A trainable parameter filled with `value` (torch.full(shape, value)).
 *
 * @example
 * const b = constParameter([16], 1, {}); // affine bias initialised to 1
 */
export function constParameter(shape: readonly number[], value: number, options: NetworkInitOptions): nn.Parameter {
  const t = full([...shape], value, { backend: options.backend, dtype: 'float32' });
  const p = new nn.Parameter(t);
  t.dispose();
  return p;
}

/**
 * A plain tensor of standard-normal values (a buffer such as `noise_const`, or a frozen layer's weight).
 *
 * @example
 * const noise = randnBuffer([8, 8], {});
 */
export function randnBuffer(shape: readonly number[], options: NetworkInitOptions): Tensor {
  return randn([...shape], { backend: options.backend, generator: options.generator });
}

/** Checks that `v` is a positive integer (or ≥ `min`) and names the argument when it is not. */
export function checkInt(op: string, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw new RadixError(op, `${name} must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  }
  return v;
}
