// The downstream classifier of the experiments: torchvision's ResNet-18/34 (BasicBlock layout, torchvision's state-dict
// keys) with a configurable width and stem, so small patches train fast and a user's torchvision checkpoint loads as is.
import { existsSync } from 'node:fs';
import {
  type Backend, type BackendName, type Generator, type Tensor, adaptiveAvgPool2d, add, flatten, loadPth, loadSafetensors, maxPool2d, nn,
  relu, tidy,
} from '@radix/tensor-webgpu';

/** The two depths of torchvision's BasicBlock ResNets and their blocks per stage. */
export const RESNET_LAYERS = Object.freeze({ 18: [2, 2, 2, 2], 34: [3, 4, 6, 3] } as const);
/** A supported ResNet depth. */
export type ResNetDepth = keyof typeof RESNET_LAYERS;

/** Options of {@link ResNet}. */
export interface ResNetOptions {
  /** 18 or 34 (default 18). */
  depth?: ResNetDepth;
  /** Outputs of `fc` (number of classes). */
  numClasses: number;
  /** Channels of the stem and of layer1; layer2..4 use 2×, 4×, 8× (default 64, torchvision's). */
  width?: number;
  /**
   * `'imagenet'` (default): torchvision's 7×7/2 convolution and 3×3/2 max pool; `'small'`: a 3×3/1 convolution and
   * no pool, for 32×32 patches (the CIFAR variant; `conv1.weight` is then [width, 3, 3, 3], so ImageNet weights'
   * stem does not load).
   */
  stem?: 'imagenet' | 'small';
  /** Stream of the random initialisation (default: the global generator). */
  generator?: Generator;
  /** Backend of the parameters (default: the current backend). */
  backend?: BackendName | Backend;
}

type Layer = { generator?: Generator; backend?: BackendName | Backend };

function conv(cin: number, cout: number, k: number, stride: number, padding: number, o: Layer): nn.Conv2d {
  const c = new nn.Conv2d(cin, cout, k, { stride, padding, bias: false, ...o });
  // torchvision: kaiming_normal_(mode='fan_out', nonlinearity='relu') for every convolution.
  nn.init.kaimingNormal_(c.weight, { mode: 'fan_out', nonlinearity: 'relu', ...(o.generator ? { generator: o.generator } : {}) });
  return c;
}

/** torchvision's BasicBlock: 3×3 (stride) → BN → ReLU → 3×3 → BN, plus the identity (1×1 conv + BN when the shape changes). */
class BasicBlock extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  conv2: nn.Conv2d;
  bn2: nn.BatchNorm2d;
  downsample: nn.Sequential | null = null;

  constructor(inPlanes: number, planes: number, stride: number, o: Layer) {
    super();
    this.conv1 = conv(inPlanes, planes, 3, stride, 1, o);
    this.bn1 = new nn.BatchNorm2d(planes, o);
    this.conv2 = conv(planes, planes, 3, 1, 1, o);
    this.bn2 = new nn.BatchNorm2d(planes, o);
    if (stride !== 1 || inPlanes !== planes) this.downsample = new nn.Sequential(conv(inPlanes, planes, 1, stride, 0, o), new nn.BatchNorm2d(planes, o));
  }

  forward(x: Tensor): Tensor {
    return tidy(() => {
      const h = this.bn2.call(this.conv2.call(relu(this.bn1.call(this.conv1.call(x)))));
      return relu(add(h, this.downsample ? this.downsample.call(x) : x));
    });
  }
}

/**
 * torchvision.models.resnet18 / resnet34 as a trainable module: `conv1`, `bn1`, `layer1`..`layer4` (BasicBlocks,
 * widths w, 2w, 4w, 8w), global average pool, `fc`. State-dict keys equal torchvision's (`layer2.0.downsample.1.running_var`,
 * …), so {@link loadTorchvisionWeights} reads a torchvision `.pth` directly. Input: [N, 3, H, W].
 *
 * @example
 * const net = new ResNet({ depth: 18, numClasses: 3, width: 16, stem: 'small', generator: new Generator(1) });
 * const logits = net.call(x); // [N, 3]
 */
export class ResNet extends nn.Module {
  conv1: nn.Conv2d;
  bn1: nn.BatchNorm2d;
  layer1: nn.Sequential;
  layer2: nn.Sequential;
  layer3: nn.Sequential;
  layer4: nn.Sequential;
  fc: nn.Linear;
  readonly depth: ResNetDepth;
  readonly width: number;
  readonly stem: 'imagenet' | 'small';
  readonly numClasses: number;

  constructor(options: ResNetOptions) {
    super();
    const depth = options.depth ?? 18;
    const blocks = RESNET_LAYERS[depth];
    if (!blocks) throw new Error(`ResNet: depth must be 18 or 34, got ${String(depth)}`);
    const width = options.width ?? 64;
    if (!Number.isInteger(width) || width < 1) throw new Error(`ResNet: width must be a positive integer, got ${width}`);
    if (!Number.isInteger(options.numClasses) || options.numClasses < 2) throw new Error(`ResNet: numClasses must be an integer ≥ 2, got ${options.numClasses}`);
    const stem = options.stem ?? 'imagenet';
    if (stem !== 'imagenet' && stem !== 'small') throw new Error(`ResNet: stem must be 'imagenet' or 'small', got '${String(stem)}'`);
    const o: Layer = { ...(options.generator ? { generator: options.generator } : {}), ...(options.backend ? { backend: options.backend } : {}) };
    this.depth = depth;
    this.width = width;
    this.stem = stem;
    this.numClasses = options.numClasses;
    this.conv1 = stem === 'imagenet' ? conv(3, width, 7, 2, 3, o) : conv(3, width, 3, 1, 1, o);
    this.bn1 = new nn.BatchNorm2d(width, o);
    let inPlanes = width;
    const stage = (planes: number, n: number, stride: number): nn.Sequential => {
      const s = new nn.Sequential();
      for (let i = 0; i < n; i++) {
        s.append(new BasicBlock(inPlanes, planes, i === 0 ? stride : 1, o));
        inPlanes = planes;
      }
      return s;
    };
    this.layer1 = stage(width, blocks[0], 1);
    this.layer2 = stage(width * 2, blocks[1], 2);
    this.layer3 = stage(width * 4, blocks[2], 2);
    this.layer4 = stage(width * 8, blocks[3], 2);
    this.fc = new nn.Linear(width * 8, options.numClasses, o);
  }

  /** The pooled features before `fc`, [N, 8·width]. */
  features(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== 3) throw new Error(`ResNet: expects [N, 3, H, W] images, got [${x.shape.join(', ')}]`);
    return tidy(() => {
      let h = relu(this.bn1.call(this.conv1.call(x)));
      if (this.stem === 'imagenet') h = maxPool2d(h, 3, { stride: 2, padding: 1 });
      h = this.layer4.call(this.layer3.call(this.layer2.call(this.layer1.call(h))));
      return flatten(adaptiveAvgPool2d(h, 1), 1);
    });
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.fc.call(this.features(x)));
  }
}

/** What {@link loadTorchvisionWeights} loaded. */
export interface TorchvisionLoadResult {
  /** Keys copied into the network. */
  loaded: string[];
  /** Keys of the file left out because the head differs (`fc.*` when the class count is not the file's). */
  skipped: string[];
}

/**
 * Loads a torchvision ResNet-18/34 state dict (`.pth` in either torch.save format, or `.safetensors`) into `net`.
 * Every key must match by name and shape, except `fc.weight`/`fc.bias` when the file's head has another class count
 * (ImageNet's 1000): those keep their fresh initialisation, as when the paper fine-tunes ImageNet weights.
 *
 * @example
 * const net = new ResNet({ depth: 18, numClasses: 3 });
 * await loadTorchvisionWeights(net, 'resnet18-f37072fd.pth'); // { skipped: ['fc.weight', 'fc.bias'], … }
 */
export async function loadTorchvisionWeights(net: ResNet, path: string): Promise<TorchvisionLoadResult> {
  const where = `resnet${net.depth} (width ${net.width}, stem ${net.stem})`;
  if (!existsSync(path)) throw new Error(`loadTorchvisionWeights: '${path}' does not exist (a torchvision resnet${net.depth} state dict, e.g. resnet${net.depth === 18 ? '18-f37072fd' : '34-b627a593'}.pth; nothing is downloaded)`);
  const backend = net.fc.weight.backend;
  let sd: Record<string, Tensor> = {};
  const own = net.stateDict();
  try {
    sd = path.endsWith('.safetensors') ? await loadSafetensors(path, { backend }) : await loadPth(path, { backend });
    const file = sd['conv1.weight'];
    const mine = own['conv1.weight']!;
    if (file && file.shape.join(',') !== mine.shape.join(',')) {
      throw new Error(`conv1.weight is [${file.shape.join(', ')}] in the file but [${mine.shape.join(', ')}] in the network; torchvision's checkpoints need stem 'imagenet' and the file's width`);
    }
    const skipped: string[] = [];
    const use: Record<string, Tensor> = { ...sd };
    for (const k of ['fc.weight', 'fc.bias']) {
      const a = sd[k];
      if (a && a.shape.join(',') !== own[k]!.shape.join(',')) {
        skipped.push(k);
        use[k] = own[k]!;
      }
    }
    net.loadStateDict(use);
    return { loaded: Object.keys(use).filter((k) => !skipped.includes(k)), skipped };
  } catch (e) {
    throw new Error(`loadTorchvisionWeights: cannot load '${path}' into ${where}: ${(e as Error).message}`);
  } finally {
    for (const t of Object.values(sd)) t.dispose();
    for (const t of Object.values(own)) t.dispose();
  }
}
