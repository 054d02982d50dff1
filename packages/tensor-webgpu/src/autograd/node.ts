// The autograd graph: one GradNode per recorded op output, reference-counted so graphs free their saved tensors.
import type { Tensor } from '../tensor.js';
import { RadixError } from '../errors.js';
import { isGradEnabled } from './grad-mode.js';

/**
 * A backward rule: given the gradient of the op's output and the tensors it saved, returns one gradient per input
 * (null where an input needs none). Rules are written in tensor ops, so they are differentiable themselves.
 */
export type BackwardRule = (grad: Tensor, saved: Tensor[]) => (Tensor | null)[];

/** An edge to an input: the node that produced it, or the leaf tensor itself. */
export type Edge = { node: GradNode; leaf?: undefined } | { leaf: Tensor; node?: undefined } | null;

/** A recorded op: how to send its output gradient to its inputs. */
export class GradNode {
  /** Tensors and graph nodes that point at this node (the output tensor and downstream nodes). */
  refs = 1;
  /** True once the saved tensors were released (a second backward then needs retainGraph). */
  freed = false;

  constructor(
    readonly name: string,
    readonly edges: Edge[],
    readonly rule: BackwardRule,
    private saved: Tensor[],
    /** Shape and dtype of the output, for the default gradient and checks. */
    readonly shape: readonly number[],
  ) {}

  /** The saved tensors, or a clear error when the graph was already freed. */
  savedTensors(): Tensor[] {
    if (this.freed) {
      throw new RadixError('backward', `the graph of '${this.name}' was already freed by an earlier backward(); pass { retainGraph: true } to backward twice`);
    }
    return this.saved;
  }

  /** Frees the saved tensors (keeps the structure). */
  freeSaved(): void {
    if (this.freed) return;
    this.freed = true;
    for (const t of this.saved) t.dispose();
    this.saved = [];
  }

  /** Drops one reference; at zero, frees saved tensors and releases the inputs' nodes. */
  unref(): void {
    if (--this.refs > 0) return;
    this.freeSaved();
    for (const e of this.edges) e?.node?.unref();
  }
}

/**
 * @internal Records `out` as the result of op `name` on `inputs` when gradients are enabled and some input
 * requires them. `saved` tensors are kept alive (sharing storage) until the graph is freed.
 */
export function record(name: string, out: Tensor, inputs: readonly (Tensor | null | undefined)[], rule: BackwardRule, saved: readonly Tensor[] = []): Tensor {
  if (!isGradEnabled() || !inputs.some((t) => t?.requiresGrad)) return out;
  const edges: Edge[] = inputs.map((t) => {
    if (!t || !t.requiresGrad) return null;
    if (t.gradFn) {
      t.gradFn.refs++;
      return { node: t.gradFn };
    }
    return { leaf: t };
  });
  const node = new GradNode(name, edges, rule, saved.map((t) => t.internalView()), out.shape);
  out.setGradFn(node);
  return out;
}
