// The full-reference half of `radix eval`: one batch of image pairs in, per-image values of every requested paired
// metric out (psnr, ssim, ms-ssim, lpips, phv with its per-layer rows), and the settings each row records.
import { type Tensor, noGrad } from '@radix/tensor-webgpu';
import { type Lpips, type SsimMode, type TorchvisionResNet50, msSsim, phv, psnr, ssim } from '@radix/metrics';

/** What the paired metrics depend on (after defaults). */
export interface PairedSettings {
  dataRange: number;
  ssimMode: SsimMode;
  lpipsNet: 'alex' | 'vgg';
  phvThresholds: number[];
  batchSize: number;
}

/**
 * Per-image values of each requested metric on one batch of pairs (images in [0, 1]); `phv` yields `phv` (the mean
 * of the four layers) and `phv-layer1` … `phv-layer4`, named `phv@T…` when several thresholds are asked for.
 *
 * @example
 * for (const [row, values] of await pairedMetricBatch(['psnr', 'lpips'], a, b, settings, { lpipsModel })) { … }
 */
export async function pairedMetricBatch(
  metrics: readonly string[], a: Tensor, b: Tensor, s: PairedSettings, nets: { lpipsModel?: Lpips; phvNet?: TorchvisionResNet50 },
): Promise<[string, number[]][]> {
  const out: [string, number[]][] = [];
  for (const m of metrics) {
    if (m === 'psnr') out.push([m, (await psnr(a, b, { dataRange: s.dataRange })).perImage]);
    else if (m === 'ssim') out.push([m, (await ssim(a, b, { dataRange: s.dataRange, mode: s.ssimMode })).perImage]);
    else if (m === 'ms-ssim') out.push([m, (await msSsim(a, b, { dataRange: s.dataRange })).perImage]);
    else if (m === 'lpips') {
      const d = noGrad(() => nets.lpipsModel!.forward(a.mul(2).sub(1), b.mul(2).sub(1)));
      try {
        out.push([m, Array.from((await d.data()) as Float32Array, Number)]);
      } finally {
        d.dispose();
      }
    } else if (m === 'phv') {
      const r = await phv(a, b, { network: nets.phvNet!, thresholds: s.phvThresholds, batchSize: s.batchSize });
      r.thresholds.forEach((t, ti) => {
        const tag = r.thresholds.length === 1 ? 'phv' : `phv@${t}`;
        const byLayer = r.perImage[ti]!;
        out.push([tag, byLayer[0]!.map((_, i) => byLayer.reduce((acc, layer) => acc + layer[i]!, 0) / byLayer.length)]);
        r.layers.forEach((l, li) => out.push([`${tag}-${l}`, byLayer[li]!]));
      });
    }
  }
  return out;
}

/**
 * The settings a paired metric row records.
 *
 * @example
 * pairedMetricSettings('ssim', settings); // { dataRange: 1, mode: 'skimage', … }
 */
export function pairedMetricSettings(m: string, s: PairedSettings): Record<string, string | number | boolean> {
  if (m === 'psnr') return { dataRange: s.dataRange, reduction: 'per image over all channels, then mean' };
  if (m === 'ssim') return { dataRange: s.dataRange, mode: s.ssimMode, color: 'channel mean', reduction: 'mean over images' };
  if (m === 'ms-ssim') return { dataRange: s.dataRange, convention: 'torchmetrics >= 1.4.2 (gaussian 11, sigma 1.5)', scales: 5, weights: '0.0448,0.2856,0.3001,0.2363,0.1333' };
  if (m === 'lpips') return { version: '0.1', net: s.lpipsNet, input: '[0, 1] mapped to [-1, 1]' };
  return {
    network: 'torchvision ResNet-50', input: 'ASP evaluate.py ([0, 1] images, (x + 1)/2 then ImageNet mean/std), no resize',
    thresholds: s.phvThresholds.join(','), layers: m.includes('-layer') ? m.slice(m.indexOf('-layer') + 1) : 'mean of layer1..layer4',
  };
}
