// LPIPS v0.1 (Zhang et al. 2018): learned linear heads on AlexNet/VGG16 features, from user-supplied weight files.
import { existsSync } from 'node:fs';
import { type Tensor, conv2d, loadPth, loadSafetensors, maxPool2d, relu, tensor, tidy } from '@radix/tensor-webgpu';
import { type PerImageResult, checkPair, meanOf, readFinite } from './validate.js';

/** A state dict: parameter name → tensor. */
export type StateDict = Record<string, Tensor>;

/** Where LPIPS weights come from: a .pth / .safetensors path, or an already loaded state dict. */
export type WeightSource = string | StateDict;

/** Options of {@link lpips}. */
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
  /** Per conv: torchvision feature index, stride, padding; 'M' = max pool 3×3 stride 2 (alex) or 2×2 (vgg). */
  layers: Array<{ idx: number; stride: number; padding: number } | 'M'>;
  /** Number of conv layers after which each of the 5 LPIPS taps is taken (after the ReLU). */
  taps: number[];
  channels: number[];
  source: string;
}

const VGG_CFG = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512] as const;
const NETS: Record<'alex' | 'vgg', NetSpec> = {
  alex: {
    layers: [{ idx: 0, stride: 4, padding: 2 }, 'M', { idx: 3, stride: 1, padding: 2 }, 'M', { idx: 6, stride: 1, padding: 1 }, { idx: 8, stride: 1, padding: 1 }, { idx: 10, stride: 1, padding: 1 }],
    taps: [1, 2, 3, 4, 5],
    channels: [64, 192, 384, 256, 256],
    source: 'torchvision alexnet-owt-7be5be79.pth (https://download.pytorch.org/models/alexnet-owt-7be5be79.pth)',
  },
  vgg: {
    layers: (() => {
      const out: NetSpec['layers'] = [];
      let idx = 0;
      for (const v of VGG_CFG) {
        if (v === 'M') { out.push('M'); idx += 1; } else { out.push({ idx, stride: 1, padding: 1 }); idx += 2; }
      }
      return out;
    })(),
    taps: [2, 4, 7, 10, 13],
    channels: [64, 128, 256, 512, 512],
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

/**
 * LPIPS v0.1 distance per image pair (lower = more similar), as `lpips.LPIPS(net, version='0.1')`: scaling
 * layer, AlexNet/VGG16 ReLU taps, channel-unit-normalised squared differences, 1×1 linear heads, spatial
 * mean, summed over the 5 taps. Inputs [N, 3, H, W] in [−1, 1] (or [0, 1] with `normalize`). Weights are
 * never downloaded: without them a clear error names the files and where to get them.
 *
 * @example
 * const d = await lpips(fake, real, { net: 'alex', weights: { backbone: 'alexnet-owt-7be5be79.pth', linear: 'alex.pth' } });
 */
export async function lpips(a: Tensor, b: Tensor, options: LpipsOptions): Promise<PerImageResult> {
  const fn = 'lpips';
  const [, c, h, w] = checkPair(fn, a, b, 1);
  const spec = NETS[options?.net];
  if (!spec) throw new Error(`${fn}: unknown net '${String(options?.net)}' (expected 'alex' or 'vgg')`);
  if (c !== 3) throw new Error(`${fn}: expected RGB images (3 channels), got ${c}`);
  const minSide = options.net === 'alex' ? 31 : 16;
  if (h < minSide || w < minSide) throw new Error(`${fn}: images of ${h}×${w} are too small for ${options.net} (at least ${minSide}×${minSide})`);
  const [bb, ownB] = await resolve(fn, `${options.net} backbone weights: ${spec.source}`, options.weights?.backbone, 'backbone', a.backend);
  let lin: StateDict = {};
  let ownL = false;
  try {
    [lin, ownL] = await resolve(fn, `LPIPS v0.1 linear-head weights: ${options.net}.pth from lpips/weights/v0.1/ in https://github.com/richzhang/PerceptualSimilarity`, options.weights?.linear, 'linear', a.backend);
    const linSrc = `LPIPS v0.1 ${options.net}.pth`;
    const heads = spec.channels.map((ch, k) => param(fn, lin, `lin${k}.model.1.weight`, [1, ch, 1, 1], linSrc));
    let cin = 3;
    const convs = spec.layers.map((l) => {
      if (l === 'M') return 'M' as const;
      const wt = param(fn, bb, `features.${l.idx}.weight`, [null, cin, null, null], spec.source);
      const bias = param(fn, bb, `features.${l.idx}.bias`, [wt.shape[0]!], spec.source);
      cin = wt.shape[0]!;
      return { ...l, wt, bias };
    });
    const scores = tidy(() => {
      const shift = tensor(SHIFT, { backend: a.backend }).reshape([1, 3, 1, 1]);
      const scale = tensor(SCALE, { backend: a.backend }).reshape([1, 3, 1, 1]);
      const prep = (x: Tensor): Tensor => (options.normalize ? x.mul(2).sub(1) : x).sub(shift).div(scale);
      let h0 = prep(a);
      let h1 = prep(b);
      let total: Tensor | null = null;
      let nConv = 0;
      let tap = 0;
      const pool = options.net === 'alex' ? { k: 3, s: 2 } : { k: 2, s: 2 };
      for (const l of convs) {
        if (l === 'M') {
          h0 = maxPool2d(h0, pool.k, { stride: pool.s });
          h1 = maxPool2d(h1, pool.k, { stride: pool.s });
          continue;
        }
        h0 = relu(conv2d(h0, l.wt, l.bias, { stride: l.stride, padding: l.padding }));
        h1 = relu(conv2d(h1, l.wt, l.bias, { stride: l.stride, padding: l.padding }));
        nConv++;
        if (nConv !== spec.taps[tap]) continue;
        const unit = (f: Tensor): Tensor => f.div(f.square().sum(1, true).sqrt().add(1e-10));
        const d = unit(h0).sub(unit(h1)).square();
        // The 1×1 head as a weighted channel sum (not conv2d: the core's WebGPU 1×1 conv mixes batch items for
        // some shapes, e.g. N=2, Cin=512, 6×6 — reported upstream).
        const v = d.mul(heads[tap]!).sum(1).mean([1, 2]);
        total = total ? total.add(v) : v;
        tap++;
      }
      return total!;
    });
    try {
      const perImage = await readFinite(fn, scores);
      return { perImage, mean: meanOf(perImage) };
    } finally {
      scores.dispose();
    }
  } finally {
    if (ownB) for (const t of Object.values(bb)) t.dispose();
    if (ownL) for (const t of Object.values(lin)) t.dispose();
  }
}
