// Building blocks of the torchvision networks: a container whose children carry torchvision's numeric or dotted names,
// so state-dict keys (features.0.weight, layer1.0.downsample.1.running_var, …) match torchvision's exactly.
import { conv2d, linear, nn, zeros, type Backend, type BackendName, type Tensor } from '@radix/tensor-webgpu';

/** Where a network's layers live; their own initial values are overwritten by the weights that are loaded. */
export interface NetworkOptions {
  /** Backend for the parameters (default: the current backend). */
  backend?: BackendName | Backend;
}

/** A module that only holds named children (torchvision's nn.Sequential slots addressed by index). */
export class Children extends nn.Module {
  constructor(entries: readonly (readonly [string, nn.AnyModule])[]) {
    super();
    for (const [k, m] of entries) this.registerModule(k, m);
  }
  forward(): Tensor {
    throw new Error('Children: a container of named layers, not a layer');
  }
}


/**
 * A convolution slot with torchvision's parameter names (`weight`, optional `bias`), zero-initialised: for networks
 * whose weights are always loaded, so building one does not spend seconds drawing random initial values.
 *
 * @example
 * const c = new Conv2dLayer(3, 64, 7, { stride: 2, padding: 3, bias: false });
 */
export class Conv2dLayer extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter | null = null;
  readonly stride: [number, number];
  readonly padding: [number, number];

  constructor(cin: number, cout: number, kernel: number | [number, number], options: NetworkOptions & { stride?: number; padding?: number | [number, number]; bias?: boolean } = {}) {
    super();
    const [kh, kw] = typeof kernel === 'number' ? [kernel, kernel] : kernel;
    const be = options.backend === undefined ? {} : { backend: options.backend };
    this.weight = frozen(zeros([cout, cin, kh, kw], be));
    if (options.bias ?? true) this.bias = frozen(zeros([cout], be));
    const s = options.stride ?? 1;
    this.stride = [s, s];
    const p = options.padding ?? 0;
    this.padding = typeof p === 'number' ? [p, p] : p;
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, this.bias, { stride: this.stride, padding: this.padding });
  }
}

/**
 * A fully connected slot with torchvision's parameter names, zero-initialised (see {@link Conv2dLayer}).
 *
 * @example
 * const fc = new LinearLayer(2048, 1000);
 */
export class LinearLayer extends nn.Module {
  weight: nn.Parameter;
  bias: nn.Parameter;

  constructor(inFeatures: number, outFeatures: number, options: NetworkOptions = {}) {
    super();
    const be = options.backend === undefined ? {} : { backend: options.backend };
    this.weight = frozen(zeros([outFeatures, inFeatures], be));
    this.bias = frozen(zeros([outFeatures], be));
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/** A Parameter sharing `t`'s storage, not requiring gradients by default (the networks are frozen feature extractors). */
function frozen(t: Tensor): nn.Parameter {
  const p = new nn.Parameter(t, false);
  t.dispose();
  return p;
}
