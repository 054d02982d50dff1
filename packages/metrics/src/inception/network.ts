// The FID Inception-v3 as an nn.Module on @radix/tensor-webgpu: torchvision's Inception3 (1008 classes, no aux head)
// with pytorch-fid's patches — padding-excluding average pools in Mixed_5*/6*/7b, a max pool in Mixed_7c. Parameters
// and buffers carry torchvision's state-dict names; the forward is differentiable w.r.t. its input.
import {
  Generator, adaptiveAvgPool2d, avgPool2d, cat, linear, maxPool2d, nn, noGrad, relu, reshape, tidy, type Tensor,
} from '@radix/tensor-webgpu';
import { FID_INCEPTION_CLASSES, FID_INCEPTION_CONVS, type ConvSpec } from './architecture.js';
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

/** torchvision's BasicConv2d: conv without bias → batch norm (eps 1e-3, running statistics) → ReLU. */
class BasicConv2d extends nn.Module {
  conv: nn.Conv2d;
  bn: nn.BatchNorm2d;
  constructor(readonly spec: ConvSpec, backend: Tensor['backend'], generator: Generator) {
    super();
    this.conv = new nn.Conv2d(spec.inChannels, spec.outChannels, spec.kernel, { stride: spec.stride, padding: spec.padding, bias: false, backend, generator });
    this.bn = new nn.BatchNorm2d(spec.outChannels, { eps: BN_EPS, backend });
  }
  forward(x: Tensor): Tensor {
    return relu(this.bn.call(this.conv.call(x)));
  }
}

/** A node of the module tree whose children carry the dotted names (Mixed_5b → branch1x1, …). */
class Block extends nn.Module {
  forward(): Tensor {
    throw new Error(`FidInceptionV3: '${this.constructor.name}' is a container, not a layer`);
  }
}

/**
 * FID Inception-v3 (the TF 2015-12-05 graph as ported by pytorch-fid), an `nn.Module` in eval mode with frozen
 * parameters. Takes [N, 3, 299, 299] input already scaled to [-1, 1]; see `inceptionFeatures` for resizing and
 * scaling images. Gradients flow to the input (e.g. an FID-style feature loss on generated images).
 *
 * @example
 * const net = new FidInceptionV3(await loadFidInceptionWeights());
 * const { pool3 } = net.forward(x); // x: [N, 3, 299, 299] in [-1, 1]
 */
export class FidInceptionV3 extends nn.Module<[Tensor, { blocks?: boolean }?], FidInceptionOutputs> {
  /** Training mode flag of nn.Module; this network is built in eval mode (inference: batch norms use running statistics). */
  declare training: boolean;
  private readonly convs = new Map<string, BasicConv2d>();
  fc: nn.Linear;

  /**
   * Builds the network from its 472 parameters (validated by name and shape; `num_batches_tracked` may be present or
   * not) and takes ownership of them: the given tensors are disposed once loaded; free the network with
   * {@link FidInceptionV3.dispose}.
   */
  constructor(weights: FidInceptionWeights) {
    super();
    validateFidInceptionWeights(Object.fromEntries(Object.entries(weights).filter(([k]) => !k.endsWith('.num_batches_tracked'))));
    const backend = weights['fc.weight']!.backend;
    // The layers' own initial values are overwritten at once; a private stream keeps the global one untouched.
    const generator = new Generator(0);
    for (const c of FID_INCEPTION_CONVS) {
      const parts = c.name.split('.');
      let parent: nn.AnyModule = this as unknown as nn.AnyModule;
      for (const p of parts.slice(0, -1)) {
        let next: nn.AnyModule | null = null;
        try { next = parent.getSubmodule(p); } catch { next = null; }
        parent = next ?? parent.registerModule(p, new Block() as nn.AnyModule);
      }
      const m = new BasicConv2d(c, backend, generator);
      parent.registerModule(parts.at(-1)!, m as unknown as nn.AnyModule);
      this.convs.set(c.name, m);
    }
    this.fc = new nn.Linear(2048, FID_INCEPTION_CLASSES, { backend, generator });
    this.loadStateDict(weights, { strict: false });
    for (const t of Object.values(weights)) t.dispose();
    this.eval();
    this.requiresGrad_(false);
  }

  /** The parameters and running statistics by state-dict name (472 tensors, without `num_batches_tracked`). */
  get weights(): FidInceptionWeights {
    const out: FidInceptionWeights = {};
    for (const [k, t] of Object.entries(this.stateDict())) {
      if (k.endsWith('.num_batches_tracked')) t.dispose();
      else out[k] = t;
    }
    return out;
  }

  private basic(name: string, x: Tensor): Tensor {
    const m = this.convs.get(name);
    if (!m) throw new Error(`FidInceptionV3: unknown layer '${name}'`);
    return m.call(x);
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
   * the returned tensors belong to the caller. `blocks: true` also returns block0..block2. Differentiable w.r.t. `x`
   * (wrap in `noGrad` when only the numbers are needed; {@link inceptionFeatures} does).
   *
   * @example
   * const out = net.forward(x, { blocks: true });
   * out.block2!.shape; // [N, 768, 17, 17]
   */
  forward(x: Tensor, options: { blocks?: boolean } = {}): FidInceptionOutputs {
    if (x.ndim !== 4 || x.shape[1] !== 3) throw new Error(`FidInceptionV3.forward: expected [N, 3, H, W] input, got [${x.shape.join(', ')}]`);
    if (x.shape[2]! < 75 || x.shape[3]! < 75) throw new Error(`FidInceptionV3.forward: input ${x.shape[2]}×${x.shape[3]} is too small (at least 75×75; FID uses 299×299)`);
    const blocks = options.blocks ?? false;
    return tidy(() => {
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
      out.logits = linear(pool3, this.fc.weight, this.fc.bias);
      out.logitsUnbiased = linear(pool3, this.fc.weight);
      return out as FidInceptionOutputs;
    });
  }

  /**
   * The 2048-d pool3 features alone ([N, 2048], differentiable), for use as a feature extractor module.
   *
   * @example
   * const f = net.pool3(x); // [N, 2048]
   */
  pool3(x: Tensor): Tensor {
    return tidy(() => {
      const out = this.forward(x);
      return out.pool3;
    });
  }

  /**
   * The numbers only, without building a graph (`noGrad(() => net.forward(x))`).
   *
   * @example
   * const { pool3 } = net.infer(x);
   */
  infer(x: Tensor, options: { blocks?: boolean } = {}): FidInceptionOutputs {
    return noGrad(() => this.forward(x, options));
  }
}
