// torchvision's ResNet-50 (v1.5: stride in the 3×3 convolution) as an nn.Module with torchvision's state-dict keys:
// the 2048-d average-pooled features, the logits, or the outputs of layer1..layer4 (what PHV compares).
import { adaptiveAvgPool2d, add, flatten, maxPool2d, nn, relu, tidy, type Tensor } from '@radix/tensor-webgpu';
import { Children, Conv2dLayer, LinearLayer, type NetworkOptions } from './torchvision-layers.js';

type LayerOpts = NetworkOptions;

/** torchvision's Bottleneck: 1×1 → 3×3 (stride) → 1×1 (×4), each with batch norm, plus the (downsampled) identity. */
class Bottleneck extends nn.Module {
  conv1: Conv2dLayer;
  bn1: nn.BatchNorm2d;
  conv2: Conv2dLayer;
  bn2: nn.BatchNorm2d;
  conv3: Conv2dLayer;
  bn3: nn.BatchNorm2d;
  downsample: Children | null = null;

  constructor(inPlanes: number, planes: number, stride: number, o: LayerOpts) {
    super();
    this.conv1 = new Conv2dLayer(inPlanes, planes, 1, { bias: false, ...o });
    this.bn1 = new nn.BatchNorm2d(planes, o);
    this.conv2 = new Conv2dLayer(planes, planes, 3, { stride, padding: 1, bias: false, ...o });
    this.bn2 = new nn.BatchNorm2d(planes, o);
    this.conv3 = new Conv2dLayer(planes, planes * 4, 1, { bias: false, ...o });
    this.bn3 = new nn.BatchNorm2d(planes * 4, o);
    if (stride !== 1 || inPlanes !== planes * 4) {
      this.downsample = new Children([
        ['0', new Conv2dLayer(inPlanes, planes * 4, 1, { stride, bias: false, ...o }) as unknown as nn.AnyModule],
        ['1', new nn.BatchNorm2d(planes * 4, o) as unknown as nn.AnyModule],
      ]);
    }
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      let h = relu(this.bn1.call(this.conv1.call(x)));
      h = relu(this.bn2.call(this.conv2.call(h)));
      h = this.bn3.call(this.conv3.call(h));
      let identity = x;
      if (this.downsample) {
        const conv = this.downsample.getSubmodule('0') as unknown as Conv2dLayer;
        const bn = this.downsample.getSubmodule('1') as unknown as nn.BatchNorm2d;
        identity = bn.call(conv.call(x));
      }
      return relu(add(h, identity));
    });
  }
}

/** What {@link TorchvisionResNet50} returns by default: the pooled 2048-d features or the 1000 logits. */
export type ResNet50Output = 'pool' | 'logits';

/** Options of {@link TorchvisionResNet50}. */
export interface ResNet50Options extends NetworkOptions {
  /** Default `'pool'`: the global average pool of layer4, [N, 2048]. */
  output?: ResNet50Output;
}

/** The outputs of the four stages (ASP's layer_1 … layer_4) and the pooled features. */
export interface ResNet50Stages {
  layer1: Tensor;
  layer2: Tensor;
  layer3: Tensor;
  layer4: Tensor;
  pool: Tensor;
}

/**
 * torchvision.models.resnet50: `conv1` 7×7/2, `bn1`, ReLU, 3×3/2 max pool, `layer1`..`layer4` (3, 4, 6, 3 bottlenecks,
 * widths 64..512 ×4), global average pool, `fc` (2048 → 1000); batch norms use their running statistics (eval mode).
 * Input: ImageNet-normalised [N, 3, H, W] (224 is the standard size). Load torchvision's `resnet50-0676ba61.pth`
 * (IMAGENET1K_V1, what `pretrained=True` gives) or `resnet50-11ad3fa6.pth` (V2) with {@link loadTorchvisionResNet50}.
 *
 * @example
 * const net = await loadTorchvisionResNet50('resnet50-0676ba61.pth');
 * const f = net.call(x); // [N, 2048]
 */
export class TorchvisionResNet50 extends nn.Module {
  /** Training mode flag of nn.Module; this network is built in eval mode (inference: batch norms use running statistics). */
  declare training: boolean;
  readonly output: ResNet50Output;
  conv1: Conv2dLayer;
  bn1: nn.BatchNorm2d;
  layer1: Children;
  layer2: Children;
  layer3: Children;
  layer4: Children;
  fc: LinearLayer;
  private readonly blocks: Bottleneck[][] = [];

  constructor(options: ResNet50Options = {}) {
    super();
    this.output = options.output ?? 'pool';
    if (this.output !== 'pool' && this.output !== 'logits') throw new Error(`TorchvisionResNet50: unknown output '${String(this.output)}' (expected pool or logits)`);
    const o: LayerOpts = options.backend === undefined ? {} : { backend: options.backend };
    this.conv1 = new Conv2dLayer(3, 64, 7, { stride: 2, padding: 3, bias: false, ...o });
    this.bn1 = new nn.BatchNorm2d(64, o);
    let inPlanes = 64;
    const stage = (planes: number, count: number, stride: number): Children => {
      const list: Bottleneck[] = [];
      for (let i = 0; i < count; i++) {
        list.push(new Bottleneck(inPlanes, planes, i === 0 ? stride : 1, o));
        inPlanes = planes * 4;
      }
      this.blocks.push(list);
      return new Children(list.map((b, i) => [String(i), b as unknown as nn.AnyModule] as const));
    };
    this.layer1 = stage(64, 3, 1);
    this.layer2 = stage(128, 4, 2);
    this.layer3 = stage(256, 6, 2);
    this.layer4 = stage(512, 3, 2);
    this.fc = new LinearLayer(2048, 1000, o);
    this.eval();
  }

  /** The output dimension (2048, or 1000 for logits). @example net.dim */
  get dim(): number {
    return this.output === 'logits' ? 1000 : 2048;
  }

  /**
   * The outputs of layer1..layer4 and the pooled features (all kept; the caller disposes them).
   *
   * @example
   * const { layer1, layer4, pool } = net.stages(x);
   */
  stages(x: Tensor): ResNet50Stages {
    if (x.ndim !== 4 || x.shape[1] !== 3) throw new Error(`TorchvisionResNet50: expected [N, 3, H, W] input, got [${x.shape.join(', ')}]`);
    if (x.shape[2]! < 32 || x.shape[3]! < 32) throw new Error(`TorchvisionResNet50: input ${x.shape[2]}×${x.shape[3]} is too small (at least 32×32; the standard size is 224)`);
    return tidy(() => {
      let h = maxPool2d(relu(this.bn1.call(this.conv1.call(x))), 3, { stride: 2, padding: 1 });
      const out: Partial<ResNet50Stages> = {};
      this.blocks.forEach((list, i) => {
        for (const b of list) h = b.call(h);
        out[`layer${i + 1}` as 'layer1'] = h;
      });
      out.pool = flatten(adaptiveAvgPool2d(h, 1), 1);
      return out as ResNet50Stages;
    });
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const s = this.stages(x);
      return this.output === 'pool' ? s.pool : this.fc.call(s.pool);
    });
  }
}
