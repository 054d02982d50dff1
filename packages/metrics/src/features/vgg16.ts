// torchvision's VGG16 (configuration D) as an nn.Module with torchvision's state-dict keys, returning fc2 features
// (4096-d, before or after its ReLU, as torch-fidelity's VGG16 extractor names them) or the logits.
import { adaptiveAvgPool2d, flatten, getBackend, maxPool2d, nn, relu, tidy, type Tensor } from '@radix/tensor-webgpu';
import { Children, Conv2dLayer, LinearLayer, type NetworkOptions } from './torchvision-layers.js';

/** The 13 convolutions of configuration D ('M' = 2×2 max pool), as torchvision's `cfgs['D']`. */
const VGG16_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'] as const;

/** Bytes of the largest parameter, fc1's weight (4096 × 25088 float32). */
const FC1_BYTES = 4096 * 25088 * 4;

/** What {@link TorchvisionVGG16} returns: fc2 before its ReLU, after it (the usual features), or the 1000 logits. */
export type Vgg16Output = 'fc2' | 'fc2_relu' | 'logits';

/** Options of {@link TorchvisionVGG16}. */
export interface Vgg16Options extends NetworkOptions {
  /** Default `'fc2_relu'` (torch-fidelity's default VGG16 layer for precision/recall, KID and FID). */
  output?: Vgg16Output;
}

/**
 * torchvision.models.vgg16 in inference form (dropout is the identity, as in `eval()`): `features` (13 conv 3×3 + ReLU,
 * 5 max pools; keys `features.0.weight` … `features.28.bias`), adaptive average pool to 7×7, `classifier.0` (25088 →
 * 4096), ReLU, `classifier.3` (4096 → 4096, "fc2"), ReLU, `classifier.6` (→ 1000). Input: ImageNet-normalised
 * [N, 3, H, W] with H, W ≥ 32 (224 is the standard size). Load torchvision's `vgg16-397923af.pth` with
 * {@link loadTorchvisionVGG16}. fc1's weight is one 411 MB tensor: devices whose largest storage binding is smaller
 * (WebGPU's default 128 MiB, e.g. lavapipe) are refused with a clear error; use the CPU backend there.
 *
 * @example
 * const net = await loadTorchvisionVGG16('vgg16-397923af.pth');
 * const f = net.call(x); // [N, 4096] fc2 after ReLU
 */
export class TorchvisionVGG16 extends nn.Module {
  /** Training mode flag of nn.Module; this network is built in eval mode (inference: batch norms use running statistics). */
  declare training: boolean;
  readonly output: Vgg16Output;
  features: Children;
  classifier: Children;
  /** Feature indices of the convolutions and of the pools, in order. */
  private readonly plan: (Conv2dLayer | 'M')[] = [];

  constructor(options: Vgg16Options = {}) {
    super();
    this.output = options.output ?? 'fc2_relu';
    if (!['fc2', 'fc2_relu', 'logits'].includes(this.output)) throw new Error(`TorchvisionVGG16: unknown output '${String(this.output)}' (expected fc2, fc2_relu or logits)`);
    const o = options.backend === undefined ? {} : { backend: options.backend };
    const limit = (o.backend === undefined ? getBackend() : typeof o.backend === 'string' ? getBackend(o.backend) : o.backend).info.maxBindingBytes;
    if (limit < FC1_BYTES) {
      throw new Error(
        `TorchvisionVGG16: classifier.0.weight [4096, 25088] takes ${FC1_BYTES} bytes, more than this device's largest storage binding ` +
          `(${limit} bytes); run VGG16 on the CPU backend or on an adapter with a larger maxStorageBufferBindingSize`,
      );
    }
    const entries: [string, nn.AnyModule][] = [];
    let idx = 0;
    let cin = 3;
    for (const v of VGG16_CFG) {
      if (v === 'M') {
        this.plan.push('M');
        idx += 1;
        continue;
      }
      const conv = new Conv2dLayer(cin, v, 3, { padding: 1, ...o });
      entries.push([String(idx), conv as unknown as nn.AnyModule]);
      this.plan.push(conv);
      cin = v;
      idx += 2;
    }
    this.features = new Children(entries);
    this.classifier = new Children([
      ['0', new LinearLayer(512 * 7 * 7, 4096, o) as unknown as nn.AnyModule],
      ['3', new LinearLayer(4096, 4096, o) as unknown as nn.AnyModule],
      ['6', new LinearLayer(4096, 1000, o) as unknown as nn.AnyModule],
    ]);
    this.eval();
  }

  /** The output dimension (4096, or 1000 for logits). @example net.dim */
  get dim(): number {
    return this.output === 'logits' ? 1000 : 4096;
  }

  /**
   * fc2 before and after its ReLU and the logits from one pass (all kept; the caller disposes them).
   *
   * @example
   * const { fc2, fc2_relu, logits } = net.outputs(x);
   */
  outputs(x: Tensor): Record<Vgg16Output, Tensor> {
    if (x.ndim !== 4 || x.shape[1] !== 3) throw new Error(`TorchvisionVGG16: expected [N, 3, H, W] input, got [${x.shape.join(', ')}]`);
    if (x.shape[2]! < 32 || x.shape[3]! < 32) throw new Error(`TorchvisionVGG16: input ${x.shape[2]}×${x.shape[3]} is too small (at least 32×32; the standard size is 224)`);
    return tidy(() => {
      let h = x;
      for (const step of this.plan) h = step === 'M' ? maxPool2d(h, 2, { stride: 2 }) : relu(step.call(h));
      h = flatten(adaptiveAvgPool2d(h, 7), 1);
      const lin = (k: string): LinearLayer => this.classifier.getSubmodule(k) as unknown as LinearLayer;
      const fc2 = lin('3').call(relu(lin('0').call(h)));
      const fc2r = relu(fc2);
      return { fc2, fc2_relu: fc2r, logits: lin('6').call(fc2r) };
    });
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.outputs(x)[this.output]);
  }
}
