// LPIPS v0.1 (Zhang et al. 2018): learned linear heads on AlexNet/VGG16 features, from user-supplied weight files.
// `Lpips` is an nn.Module whose forward is the differentiable distance; `lpips` is the awaited number form.
import { existsSync } from 'node:fs';
import { type Tensor, getBackend, loadPth, loadSafetensors, maxPool2d, nn, noGrad, relu, tensor, tidy } from '@radix/tensor-webgpu';
import { Children, Conv2dLayer } from '../features/torchvision-layers.js';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

/** A state dict: parameter name → tensor. */
export type StateDict = Record<string, Tensor>;

/** Where LPIPS weights come from: a .pth / .safetensors path, or an already loaded state dict. */
export type WeightSource = string | StateDict;

/** Options of {@link lpips} and {@link loadLpips}. */
export interface LpipsOptions {
  /** The backbone: torchvision AlexNet or VGG16 features. */
  net: 'alex' | 'vgg';
  /**
   * `backbone`: torchvision's ImageNet weights (`features.N.weight/bias`), e.g. alexnet-owt-7be5be79.pth or
   * vgg16-397923af.pth; `linear`: the LPIPS v0.1 heads (`lin0.model.1.weight` … `lin4.model.1.weight`),
   * lpips/weights/v0.1/alex.pth or vgg.pth of github.com/richzhang/PerceptualSimilarity.
   */
  weights: { backbone?: WeightSource; linear?: WeightSource };
  /** Inputs are in [0, 1] and are mapped to [−1, 1] first (default false: inputs already in [−1, 1]). */
  normalize?: boolean;
}

interface NetSpec {
  /** Per conv: torchvision feature index, kernel, stride, padding; 'M' = max pool 3×3 stride 2 (alex) or 2×2 (vgg). */
  layers: Array<{ idx: number; k: number; stride: number; padding: number; cout: number } | 'M'>;
  /** Number of conv layers after which each of the 5 LPIPS taps is taken (after the ReLU). */
  taps: number[];
  channels: number[];
  pool: { k: number; s: number };
  source: string;
}

const VGG_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512] as const;
const NETS: Record<'alex' | 'vgg', NetSpec> = {
  alex: {
    layers: [
      { idx: 0, k: 11, stride: 4, padding: 2, cout: 64 }, 'M', { idx: 3, k: 5, stride: 1, padding: 2, cout: 192 }, 'M',
      { idx: 6, k: 3, stride: 1, padding: 1, cout: 384 }, { idx: 8, k: 3, stride: 1, padding: 1, cout: 256 }, { idx: 10, k: 3, stride: 1, padding: 1, cout: 256 },
    ],
    taps: [1, 2, 3, 4, 5],
    channels: [64, 192, 384, 256, 256],
    pool: { k: 3, s: 2 },
    source: 'torchvision alexnet-owt-7be5be79.pth (https://download.pytorch.org/models/alexnet-owt-7be5be79.pth)',
  },
  vgg: {
    layers: (() => {
      const out: NetSpec['layers'] = [];
      let idx = 0;
      for (const v of VGG_CFG) {
        if (v === 'M') { out.push('M'); idx += 1; } else { out.push({ idx, k: 3, stride: 1, padding: 1, cout: v }); idx += 2; }
      }
      return out;
    })(),
    taps: [2, 4, 7, 10, 13],
    channels: [64, 128, 256, 512, 512],
    pool: { k: 2, s: 2 },
    source: 'torchvision vgg16-397923af.pth (https://download.pytorch.org/models/vgg16-397923af.pth)',
  },
};
const SHIFT = [-0.03, -0.088, -0.188];
const SCALE = [0.458, 0.448, 0.45];

async function resolve(fn: string, what: string, src: WeightSource | undefined, where: string, backend: Tensor['backend']): Promise<[StateDict, boolean]> {
  if (src === undefined || src === null) {
    throw new Error(`${fn}: missing the ${what}; pass options.weights.${where} as a file path or a state dict (nothing is downloaded)`);
  }
  if (typeof src !== 'string') return [src, false];
  if (!existsSync(src)) throw new Error(`${fn}: the file '${src}' for the ${what} does not exist`);
  const sd = src.endsWith('.safetensors') ? await loadSafetensors(src, { backend }) : await loadPth(src, { backend });
  return [sd, true];
}

function param(fn: string, sd: StateDict, key: string, shape: readonly (number | null)[], from: string): Tensor {
  const t = sd[key];
  if (!t) throw new Error(`${fn}: the weights lack '${key}' (expected from ${from})`);
  if (t.ndim !== shape.length || shape.some((d, i) => d !== null && d !== t.shape[i])) {
    throw new Error(`${fn}: '${key}' has shape [${t.shape.join(', ')}], expected [${shape.map((d) => d ?? '?').join(', ')}] (from ${from})`);
  }
  return t;
}

/** One LPIPS head: `lin{k}.model.1.weight` [1, C, 1, 1] (dropout at model.0 is the identity in eval). */
class LinearHead extends nn.Module {
  model: Children;
  constructor(ch: number, backend: Tensor['backend']) {
    super();
    this.model = new Children([['1', new Conv2dLayer(ch, 1, 1, { bias: false, backend }) as unknown as nn.AnyModule]]);
  }
  get weight(): Tensor {
    return (this.model.getSubmodule('1') as unknown as Conv2dLayer).weight;
  }
  forward(): Tensor {
    throw new Error('LinearHead: used through Lpips.forward');
  }
}

/**
 * The LPIPS v0.1 network as an nn.Module: `features.N` hold the backbone convolutions under torchvision's keys and
 * `lin0` … `lin4` the heads under the lpips package's keys, so both checkpoints load as they are. `forward(a, b)`
 * returns the distance per image pair [N], differentiable w.r.t. both images (gradients match the lpips package's
 * own LPIPS module; see lpips.test.ts). Build one with {@link loadLpips}.
 *
 * @example
 * const net = await loadLpips({ net: 'alex', weights: { backbone: 'alexnet-owt-7be5be79.pth', linear: 'alex.pth' } });
 * const d = net.call(fake, real); // Tensor [N]
 * d.mean().backward();
 */
export class Lpips extends nn.Module<[Tensor, Tensor], Tensor> {
  /** Training mode flag of nn.Module; this network is built in eval mode (inference: batch norms use running statistics). */
  declare training: boolean;
  readonly spec: NetSpec;
  features: Children;
  private readonly convs: Array<{ conv: Conv2dLayer; stride: number; padding: number } | 'M'>;
  private readonly heads: LinearHead[] = [];

  constructor(readonly net: 'alex' | 'vgg', backend: Tensor['backend'], readonly normalize = false) {
    super();
    const spec = NETS[net];
    if (!spec) throw new Error(`lpips: unknown net '${String(net)}' (expected 'alex' or 'vgg')`);
    this.spec = spec;
    let cin = 3;
    const entries: [string, nn.AnyModule][] = [];
    this.convs = spec.layers.map((l) => {
      if (l === 'M') return 'M' as const;
      const conv = new Conv2dLayer(cin, l.cout, l.k, { stride: l.stride, padding: l.padding, backend });
      entries.push([String(l.idx), conv as unknown as nn.AnyModule]);
      cin = l.cout;
      return { conv, stride: l.stride, padding: l.padding };
    });
    this.features = new Children(entries);
    spec.channels.forEach((ch, k) => {
      const h = new LinearHead(ch, backend);
      this.registerModule(`lin${k}`, h as unknown as nn.AnyModule);
      this.heads.push(h);
    });
    this.eval();
  }

  /**
   * LPIPS distance per image pair, [N], differentiable. Inputs [N, 3, H, W] in [−1, 1] (or [0, 1] when the network
   * was loaded with `normalize`).
   *
   * @example
   * const d = lpipsNet.forward(a, b);
   */
  forward(a: Tensor, b: Tensor): Tensor {
    const fn = 'lpips';
    const [, c, h, w] = checkPair(fn, a, b, 1);
    if (c !== 3) throw new Error(`${fn}: expected RGB images (3 channels), got ${c}`);
    const minSide = this.net === 'alex' ? 31 : 16;
    if (h < minSide || w < minSide) throw new Error(`${fn}: images of ${h}×${w} are too small for ${this.net} (at least ${minSide}×${minSide})`);
    return tidy(() => {
      const shift = tensor(SHIFT, { backend: a.backend }).reshape([1, 3, 1, 1]);
      const scale = tensor(SCALE, { backend: a.backend }).reshape([1, 3, 1, 1]);
      const prep = (x: Tensor): Tensor => (this.normalize ? x.mul(2).sub(1) : x).sub(shift).div(scale);
      let h0 = prep(a);
      let h1 = prep(b);
      let total: Tensor | null = null;
      let nConv = 0;
      let tap = 0;
      const { k, s } = this.spec.pool;
      for (const l of this.convs) {
        if (l === 'M') {
          h0 = maxPool2d(h0, k, { stride: s });
          h1 = maxPool2d(h1, k, { stride: s });
          continue;
        }
        h0 = relu(l.conv.call(h0));
        h1 = relu(l.conv.call(h1));
        nConv++;
        if (nConv !== this.spec.taps[tap]) continue;
        const unit = (f: Tensor): Tensor => f.div(f.square().sum(1, true).sqrt().add(1e-10));
        const d = unit(h0).sub(unit(h1)).square();
        // The 1×1 head as a weighted channel sum, then the spatial mean.
        const v = d.mul(this.heads[tap]!.weight).sum(1).mean([1, 2]);
        total = total ? total.add(v) : v;
        tap++;
      }
      return total!;
    });
  }
}

/**
 * Builds an {@link Lpips} network from torchvision backbone weights and the LPIPS v0.1 heads (paths or state dicts;
 * nothing is downloaded: without them a clear error names the files and where to get them).
 *
 * @example
 * const net = await loadLpips({ net: 'vgg', weights: { backbone: 'vgg16-397923af.pth', linear: 'vgg.pth' } });
 */
export async function loadLpips(options: LpipsOptions & { backend?: Tensor['backend'] }): Promise<Lpips> {
  const fn = 'lpips';
  const spec = NETS[options?.net];
  if (!spec) throw new Error(`${fn}: unknown net '${String(options?.net)}' (expected 'alex' or 'vgg')`);
  const backend = options.backend ?? getBackend();
  const [bb, ownB] = await resolve(fn, `${options.net} backbone weights: ${spec.source}`, options.weights?.backbone, 'backbone', backend);
  let lin: StateDict = {};
  let ownL = false;
  try {
    [lin, ownL] = await resolve(fn, `LPIPS v0.1 linear-head weights: ${options.net}.pth from lpips/weights/v0.1/ in https://github.com/richzhang/PerceptualSimilarity`, options.weights?.linear, 'linear', backend);
    const linSrc = `LPIPS v0.1 ${options.net}.pth`;
    const dict: StateDict = {};
    spec.channels.forEach((ch, k) => { dict[`lin${k}.model.1.weight`] = param(fn, lin, `lin${k}.model.1.weight`, [1, ch, 1, 1], linSrc); });
    let cin = 3;
    for (const l of spec.layers) {
      if (l === 'M') continue;
      const wt = param(fn, bb, `features.${l.idx}.weight`, [l.cout, cin, l.k, l.k], spec.source);
      dict[`features.${l.idx}.weight`] = wt;
      dict[`features.${l.idx}.bias`] = param(fn, bb, `features.${l.idx}.bias`, [l.cout], spec.source);
      cin = l.cout;
    }
    const net = new Lpips(options.net, backend, options.normalize ?? false);
    net.loadStateDict(dict);
    return net;
  } finally {
    if (ownB) for (const t of Object.values(bb)) t.dispose();
    if (ownL) for (const t of Object.values(lin)) t.dispose();
  }
}

/**
 * The LPIPS distance per image pair as a differentiable tensor [N] (`net.forward(a, b)`).
 *
 * @example
 * const loss = lpipsDistance(net, generated, target).mean();
 * loss.backward();
 */
export function lpipsDistance(net: Lpips, a: Tensor, b: Tensor): Tensor {
  if (!(net instanceof Lpips)) throw new Error('lpipsDistance: the first argument must be an Lpips network (see loadLpips)');
  return net.forward(a, b);
}

/**
 * LPIPS v0.1 distance per image pair (lower = more similar), as `lpips.LPIPS(net, version='0.1')`: scaling
 * layer, AlexNet/VGG16 ReLU taps, channel-unit-normalised squared differences, 1×1 linear heads, spatial
 * mean, summed over the 5 taps. Inputs [N, 3, H, W] in [−1, 1] (or [0, 1] with `normalize`). The number form of
 * {@link lpipsDistance}; loads the weights for this call.
 *
 * @example
 * const d = await lpips(fake, real, { net: 'alex', weights: { backbone: 'alexnet-owt-7be5be79.pth', linear: 'alex.pth' } });
 */
export async function lpips(a: Tensor, b: Tensor, options: LpipsOptions): Promise<PerImageResult> {
  const fn = 'lpips';
  const [, c, h, w] = checkPair(fn, a, b, 1);
  if (!NETS[options?.net]) throw new Error(`${fn}: unknown net '${String(options?.net)}' (expected 'alex' or 'vgg')`);
  if (c !== 3) throw new Error(`${fn}: expected RGB images (3 channels), got ${c}`);
  const minSide = options.net === 'alex' ? 31 : 16;
  if (h < minSide || w < minSide) throw new Error(`${fn}: images of ${h}×${w} are too small for ${options.net} (at least ${minSide}×${minSide})`);
  const net = await loadLpips({ ...options, backend: a.backend });
  try {
    const scores = noGrad(() => net.forward(a, b));
    try {
      const perImage = await readFinite(fn, scores);
      return { perImage, mean: meanOf(perImage) };
    } finally {
      scores.dispose();
    }
  } finally {
    net.dispose();
  }
}
