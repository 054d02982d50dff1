// The FID Inception-v3 forward pass on @radix/tensor-webgpu ops: torchvision's Inception3 (1008 classes, no aux
// head) with pytorch-fid's patches — padding-excluding average pools in Mixed_5*/6*/7b, a max pool in Mixed_7c.
import {
  adaptiveAvgPool2d, avgPool2d, batchNorm, cat, conv2d, linear, maxPool2d, noGrad, relu, reshape, tidy, type Tensor,
} from '@radix/tensor-webgpu';
import { FID_INCEPTION_CONVS, type ConvSpec } from './architecture.js';
import { validateFidInceptionWeights, type FidInceptionWeights } from './weights.js';

/** Batch-norm epsilon of the TF graph's BasicConv2d. */
const BN_EPS = 1e-3;

/** What {@link FidInceptionV3.forward} returns; the blocks only when asked for. */
export interface FidInceptionOutputs {
  /** After the first max pool: [N, 64, 73, 73] for a 299² input. */
  block0?: Tensor;
  /** After the second max pool: [N, 192, 35, 35]. */
  block1?: Tensor;
  /** After Mixed_6e, before Mixed_7a: [N, 768, 17, 17]. */
  block2?: Tensor;
  /** Global average pool of Mixed_7c: [N, 2048] (the FID features). */
  pool3: Tensor;
  /** fc with bias: [N, 1008]. */
  logits: Tensor;
  /** pool3 · fc.weightᵀ without the bias: [N, 1008] (what torch-fidelity's IS uses). */
  logitsUnbiased: Tensor;
}

/**
 * FID Inception-v3 (the TF 2015-12-05 graph as ported by pytorch-fid). Takes [N, 3, 299, 299] input already
 * scaled to [-1, 1]; see `inceptionFeatures` for resizing and scaling images.
 *
 * @example
 * const net = new FidInceptionV3(await loadFidInceptionWeights());
 * const { pool3 } = net.forward(x); // x: [N, 3, 299, 299] in [-1, 1]
 */
export class FidInceptionV3 {
  private readonly convs = new Map<string, ConvSpec>();

  /** Takes ownership of `weights` (all 472 parameters, validated by name and shape); free them with {@link dispose}. */
  constructor(readonly weights: FidInceptionWeights) {
    validateFidInceptionWeights(weights);
    for (const c of FID_INCEPTION_CONVS) this.convs.set(c.name, c);
  }

  /** Disposes the parameter tensors. @example net.dispose(); */
  dispose(): void {
    for (const t of Object.values(this.weights)) t.dispose();
  }

  /** conv (no bias) → batch norm (running statistics, eps 1e-3) → ReLU. */
  private basic(name: string, x: Tensor): Tensor {
    const c = this.convs.get(name);
    if (!c) throw new Error(`FidInceptionV3: unknown layer '${name}'`);
    const w = this.weights;
    const y = conv2d(x, w[`${name}.conv.weight`]!, null, { stride: c.stride, padding: c.padding });
    const b = batchNorm(y, w[`${name}.bn.running_mean`]!, w[`${name}.bn.running_var`]!, w[`${name}.bn.weight`]!, w[`${name}.bn.bias`]!, { eps: BN_EPS });
    return relu(b);
  }

  private seq(x: Tensor, ...names: string[]): Tensor {
    return names.reduce((h, n) => this.basic(n, h), x);
  }

  /** The pool branch's pooling: 3×3 stride-1 average excluding padding (pytorch-fid's patch) or Mixed_7c's max. */
  private poolBranch(p: string, x: Tensor, max = false): Tensor {
    const pooled = max ? maxPool2d(x, 3, { stride: 1, padding: 1 }) : avgPool2d(x, 3, { stride: 1, padding: 1, countIncludePad: false });
    return this.basic(`${p}.branch_pool`, pooled);
  }

  private mixedA(p: string, x: Tensor): Tensor {
    return cat([
      this.basic(`${p}.branch1x1`, x),
      this.seq(x, `${p}.branch5x5_1`, `${p}.branch5x5_2`),
      this.seq(x, `${p}.branch3x3dbl_1`, `${p}.branch3x3dbl_2`, `${p}.branch3x3dbl_3`),
      this.poolBranch(p, x),
    ], 1);
  }

  private mixedB(p: string, x: Tensor): Tensor {
    return cat([
      this.basic(`${p}.branch3x3`, x),
      this.seq(x, `${p}.branch3x3dbl_1`, `${p}.branch3x3dbl_2`, `${p}.branch3x3dbl_3`),
      maxPool2d(x, 3, { stride: 2 }),
    ], 1);
  }

  private mixedC(p: string, x: Tensor): Tensor {
    return cat([
      this.basic(`${p}.branch1x1`, x),
      this.seq(x, `${p}.branch7x7_1`, `${p}.branch7x7_2`, `${p}.branch7x7_3`),
      this.seq(x, `${p}.branch7x7dbl_1`, `${p}.branch7x7dbl_2`, `${p}.branch7x7dbl_3`, `${p}.branch7x7dbl_4`, `${p}.branch7x7dbl_5`),
      this.poolBranch(p, x),
    ], 1);
  }

  private mixedD(p: string, x: Tensor): Tensor {
    return cat([
      this.seq(x, `${p}.branch3x3_1`, `${p}.branch3x3_2`),
      this.seq(x, `${p}.branch7x7x3_1`, `${p}.branch7x7x3_2`, `${p}.branch7x7x3_3`, `${p}.branch7x7x3_4`),
      maxPool2d(x, 3, { stride: 2 }),
    ], 1);
  }

  private mixedE(p: string, x: Tensor, maxPool: boolean): Tensor {
    const b3 = this.basic(`${p}.branch3x3_1`, x);
    const bd = this.seq(x, `${p}.branch3x3dbl_1`, `${p}.branch3x3dbl_2`);
    return cat([
      this.basic(`${p}.branch1x1`, x),
      this.basic(`${p}.branch3x3_2a`, b3), this.basic(`${p}.branch3x3_2b`, b3),
      this.basic(`${p}.branch3x3dbl_3a`, bd), this.basic(`${p}.branch3x3dbl_3b`, bd),
      this.poolBranch(p, x, maxPool),
    ], 1);
  }

  /**
   * Runs the network on [N, 3, H, W] input in [-1, 1] (299×299 for the FID convention). Intermediates are freed;
   * the returned tensors belong to the caller. `blocks: true` also returns block0..block2.
   *
   * @example
   * const out = net.forward(x, { blocks: true });
   * out.block2!.shape; // [N, 768, 17, 17]
   */
  forward(x: Tensor, options: { blocks?: boolean } = {}): FidInceptionOutputs {
    if (x.ndim !== 4 || x.shape[1] !== 3) throw new Error(`FidInceptionV3.forward: expected [N, 3, H, W] input, got [${x.shape.join(', ')}]`);
    if (x.shape[2]! < 75 || x.shape[3]! < 75) throw new Error(`FidInceptionV3.forward: input ${x.shape[2]}×${x.shape[3]} is too small (at least 75×75; FID uses 299×299)`);
    const blocks = options.blocks ?? false;
    return noGrad(() => tidy(() => {
      const out: Partial<FidInceptionOutputs> = {};
      let h = this.seq(x, 'Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3');
      h = maxPool2d(h, 3, { stride: 2 });
      if (blocks) out.block0 = h;
      h = maxPool2d(this.seq(h, 'Conv2d_3b_1x1', 'Conv2d_4a_3x3'), 3, { stride: 2 });
      if (blocks) out.block1 = h;
      h = tidy(() => {
        let g = this.mixedA('Mixed_5d', this.mixedA('Mixed_5c', this.mixedA('Mixed_5b', h)));
        g = this.mixedB('Mixed_6a', g);
        for (const p of ['Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e']) g = this.mixedC(p, g);
        return g;
      });
      if (blocks) out.block2 = h;
      h = this.mixedE('Mixed_7c', this.mixedE('Mixed_7b', this.mixedD('Mixed_7a', h), false), true);
      const pool3 = reshape(adaptiveAvgPool2d(h, 1), [x.shape[0]!, 2048]);
      out.pool3 = pool3;
      out.logits = linear(pool3, this.weights['fc.weight']!, this.weights['fc.bias']!);
      out.logitsUnbiased = linear(pool3, this.weights['fc.weight']!);
      return out as FidInceptionOutputs;
    }));
  }
}
