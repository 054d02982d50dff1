// nn.Parameter: a Tensor subclass that modules register as trainable state; optimizers update it in place.
import type { Backend, BackendName } from '../backend/backend.js';
import { keep } from '../memory.js';
import { full } from '../ops/creation.js';
import type { Generator } from '../random.js';
import { Tensor } from '../tensor.js';

/**
 * A trainable tensor (torch.nn.Parameter). It IS a {@link Tensor}: use it in any op. It shares `data`'s storage
 * (dispose `data` yourself if you no longer need it), requires gradients by default, and survives `tidy()`
 * scopes (modules own their parameters; `module.dispose()` frees them). Optimizers and `loadStateDict` swap its
 * storage without changing its identity, so references held elsewhere stay valid.
 *
 * @example
 * const w = new Parameter(randn([4, 3]).mul(0.1));
 * w.requiresGrad; // true
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    const s = data.storage('Parameter');
    s.refs++;
    super(s, data.shape, data.dtype);
    keep(this);
    if (requiresGrad) this.requiresGrad_();
  }

  /** A string like `Parameter(float32, [4, 3], cpu)`. */
  override toString(): string {
    return super.toString().replace(/^Tensor/, 'Parameter');
  }
}

/** @internal Where a layer creates its parameters and how it draws their initial values. */
export interface LayerOptions {
  /** Backend name or instance for the parameters (default: the current backend). */
  backend?: BackendName | Backend;
  /** Stream for the random initialisation (default: the global generator). */
  generator?: Generator;
}

/** @internal A new float32 Parameter of `shape` filled with `value` (layers then initialise it). */
export function newParameter(shape: readonly number[], value: number, backend: LayerOptions['backend'], requiresGrad = true): Parameter {
  const t = full(shape, value, { backend, dtype: 'float32' });
  const p = new Parameter(t, requiresGrad);
  t.dispose();
  return p;
}
