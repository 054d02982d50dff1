// The perceptual hash value (PHV) of the Adaptive Supervised PatchNCE paper (Li et al., MICCAI 2023): the fraction of
// ResNet-50 channels whose spatially averaged activation differs between a real and a generated image by more than T,
// per stage (layer1..layer4), as its released evaluate.py / util/perceptual.py compute it.
import { type Tensor, abs, noGrad, tensor, tidy } from '@radix/tensor-webgpu';
import { IMAGENET_MEAN, IMAGENET_STD } from '../features/imagenet-input.js';
import type { TorchvisionResNet50 } from '../features/resnet50.js';
import { checkPair } from './validate.js';

/** The four stages PHV compares (ASP's layer_1 … layer_4). */
export const PHV_LAYERS = Object.freeze(['layer1', 'layer2', 'layer3', 'layer4'] as const);
/** One PHV stage. */
export type PhvLayer = (typeof PHV_LAYERS)[number];

/** Options of {@link phv}. */
export interface PhvOptions {
  /** torchvision ResNet-50 with the weights ASP used: resnet50-0676ba61.pth (IMAGENET1K_V1, `pretrained=True`). */
  network: TorchvisionResNet50;
  /** Thresholds T (default [0.01], ASP's evaluate.py; its class default is 0.005). */
  thresholds?: readonly number[];
  /** Stages (default all four). */
  layers?: readonly PhvLayer[];
  /**
   * How the [0, 1] images reach the network. `'asp'` (default): exactly as ASP's evaluate.py passes them — its
   * normalisation assumes [−1, 1] and maps x to (x + 1)/2 before ImageNet's mean/std, so [0, 1] images arrive as
   * [0.5, 1]; this is what the published PHV numbers are. `'imagenet'`: the normalisation the code intends,
   * (x − mean)/std of the [0, 1] image.
   */
  input?: 'asp' | 'imagenet';
  /** Images per forward pass (default 4; ASP uses 1, which gives the same numbers). */
  batchSize?: number;
}

/** The result of {@link phv}. */
export interface PhvResult {
  thresholds: number[];
  layers: PhvLayer[];
  /** `values[t][l]`: the mean over image pairs of the fraction of channels of layer l above threshold t. */
  values: number[][];
  /** `mean[t]`: the average of `values[t]` over the layers. */
  mean: number[];
  /** `perImage[t][l][i]`: the fraction for image pair i. */
  perImage: number[][][];
}

/**
 * PHV of image pairs [N, 3, H, W] in [0, 1] (no resize, as ASP's `resize=False`): for each pair and each stage, the
 * channel means of both images' ResNet-50 activations, |Δ| > T counted over the C channels, divided by C; averaged
 * over the pairs. Lower is better (0 = perceptually identical). The images keep their size (ASP evaluates 1024²).
 *
 * @example
 * const net = await loadTorchvisionResNet50('resnet50-0676ba61.pth');
 * const r = await phv(real, fake, { network: net, thresholds: [0.01] });
 * r.values[0]; // [layer1, layer2, layer3, layer4]
 */
export async function phv(real: Tensor, fake: Tensor, options: PhvOptions): Promise<PhvResult> {
  const fn = 'phv';
  const [n, c] = checkPair(fn, real, fake, 1);
  if (c !== 3) throw new Error(`${fn}: expected RGB images (3 channels), got ${c}`);
  if (!options?.network || typeof options.network.stages !== 'function') throw new Error(`${fn}: options.network must be a TorchvisionResNet50 (load it with loadTorchvisionResNet50)`);
  const thresholds = [...(options.thresholds ?? [0.01])];
  if (thresholds.length === 0 || thresholds.some((t) => typeof t !== 'number' || !Number.isFinite(t) || t < 0)) {
    throw new Error(`${fn}: thresholds must be a non-empty list of finite numbers ≥ 0, got [${thresholds.join(', ')}]`);
  }
  const layers = [...(options.layers ?? PHV_LAYERS)];
  for (const l of layers) if (!PHV_LAYERS.includes(l)) throw new Error(`${fn}: unknown layer '${String(l)}' (expected ${PHV_LAYERS.join(', ')})`);
  const mode = options.input ?? 'asp';
  if (mode !== 'asp' && mode !== 'imagenet') throw new Error(`${fn}: input must be 'asp' or 'imagenet', got '${String(mode)}'`);
  const batch = options.batchSize ?? 4;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`${fn}: batchSize must be a positive integer, got ${batch}`);
  const perImage = thresholds.map(() => layers.map(() => [] as number[]));
  for (let start = 0; start < n; start += batch) {
    const end = Math.min(n, start + batch);
    // |Δ channel mean| per stage: [B, C_l], read back once per stage.
    const diffs = noGrad(() => tidy(() => {
      const prep = (x: Tensor): Tensor => {
        const part = x.narrow(0, start, end - start);
        const mean = tensor(new Float32Array(IMAGENET_MEAN), { shape: [1, 3, 1, 1], backend: x.backend });
        const std = tensor(new Float32Array(IMAGENET_STD), { shape: [1, 3, 1, 1], backend: x.backend });
        return (mode === 'asp' ? part.add(1).div(2) : part).sub(mean).div(std);
      };
      const sf = options.network.stages(prep(fake));
      const sr = options.network.stages(prep(real));
      return layers.map((l) => abs(sf[l].mean([2, 3]).sub(sr[l].mean([2, 3]))));
    }));
    try {
      for (let li = 0; li < layers.length; li++) {
        const d = (await diffs[li]!.data()) as Float32Array;
        const ch = diffs[li]!.shape[1]!;
        for (let b = 0; b < end - start; b++) {
          for (let ti = 0; ti < thresholds.length; ti++) {
            let above = 0;
            for (let k = 0; k < ch; k++) {
              const v = d[b * ch + k]!;
              if (Number.isNaN(v)) throw new Error(`${fn}: image pair ${start + b} gives NaN activations (do the images contain NaN or Infinity?)`);
              if (v > thresholds[ti]!) above++;
            }
            perImage[ti]![li]!.push(above / ch);
          }
        }
      }
    } finally {
      for (const t of diffs) t.dispose();
    }
  }
  const values = perImage.map((byLayer) => byLayer.map((v) => v.reduce((a, b) => a + b, 0) / v.length));
  return { thresholds, layers, values, mean: values.map((v) => v.reduce((a, b) => a + b, 0) / v.length), perImage };
}
