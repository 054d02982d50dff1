// Reverse-mode differentiation over the recorded graph: Tensor.backward() and the functional grad().
import { RadixError, fmtShape } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { onesLike } from '../ops/creation.js';
import { add } from '../ops/elementwise.js';
import { viewOf } from '../ops/util.js';
import { enableGrad, noGrad } from './grad-mode.js';
import type { GradNode } from './node.js';

/** Options of {@link backward}. */
export interface BackwardOptions {
  /** Gradient of the output (required unless the output has one element). */
  gradient?: Tensor;
  /** Keep the saved tensors so backward can run again through this graph. */
  retainGraph?: boolean;
  /** Record the backward computation so the gradients can be differentiated again (double backward). */
  createGraph?: boolean;
}

/** Options of {@link grad}. */
export interface GradOptions {
  gradOutputs?: (Tensor | null)[];
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Return null for inputs the outputs do not depend on instead of throwing. */
  allowUnused?: boolean;
  /** Do not propagate past the inputs (they are intermediate tensors whose own history is not needed). */
  prune?: boolean;
}

function topoOrder(roots: GradNode[]): GradNode[] {
  const order: GradNode[] = [];
  const seen = new Set<GradNode>();
  // Iterative post-order DFS: a node comes after everything that feeds into it.
  for (const root of roots) {
    if (seen.has(root)) continue;
    const stack: [GradNode, number][] = [[root, 0]];
    seen.add(root);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [node, i] = top;
      if (i < node.edges.length) {
        top[1]++;
        const next = node.edges[i]?.node;
        if (next && !seen.has(next)) {
          seen.add(next);
          stack.push([next, 0]);
        }
      } else {
        order.push(node);
        stack.pop();
      }
    }
  }
  return order.reverse();
}

function accumulate(prev: Tensor | undefined, g: Tensor): Tensor {
  if (!prev) return g;
  const sum = add(prev, g);
  prev.dispose();
  g.dispose();
  return sum;
}

interface RunSpec {
  roots: [Tensor, Tensor][];
  /** Inputs whose gradients are returned (grad()); when absent, leaves accumulate into `.grad` (backward()). */
  capture?: Tensor[];
  retainGraph: boolean;
  createGraph: boolean;
  prune?: boolean;
}

function run(spec: RunSpec): Map<Tensor, Tensor> {
  const pending = new Map<GradNode, Tensor>();
  const captured = new Map<Tensor, Tensor>();
  const captureSet = new Set(spec.capture ?? []);
  const captureNodes = new Map<GradNode, Tensor>();
  for (const t of spec.capture ?? []) if (t.gradFn) captureNodes.set(t.gradFn, t);

  const toLeaf = (leaf: Tensor, g: Tensor) => {
    if (spec.capture) {
      if (captureSet.has(leaf)) captured.set(leaf, accumulate(captured.get(leaf), g));
      else g.dispose();
      return;
    }
    const next = leaf.grad ? add(leaf.grad, g) : g;
    if (leaf.grad) {
      leaf.grad.dispose();
      g.dispose();
    }
    leaf.grad = keep(next);
  };

  const rootNodes: GradNode[] = [];
  for (const [t, g] of spec.roots) {
    const own = viewOf(g, g.shape, 'backward');
    if (t.gradFn) {
      pending.set(t.gradFn, accumulate(pending.get(t.gradFn), own));
      rootNodes.push(t.gradFn);
    } else toLeaf(t, own);
  }

  const body = () => {
    for (const node of topoOrder(rootNodes)) {
      const g = pending.get(node);
      if (!g) continue;
      pending.delete(node);
      const owner = captureNodes.get(node);
      if (owner) {
        captured.set(owner, viewOf(g, g.shape, 'grad'));
        if (spec.prune) {
          g.dispose();
          continue;
        }
      }
      const saved = node.savedTensors();
      const grads = tidy(() => node.rule(g, saved));
      const handed = new Set<Tensor>();
      grads.forEach((gi, i) => {
        const edge = node.edges[i];
        if (!gi || !edge) {
          if (gi && !edge && gi !== g && !saved.includes(gi)) gi.dispose();
          return;
        }
        // Every stored gradient is its own handle, so disposing one never frees another's storage.
        const mine = gi === g || handed.has(gi) || saved.includes(gi) ? viewOf(gi, gi.shape, 'backward') : gi;
        handed.add(gi);
        const target = edge.node ? edge.node.shape : edge.leaf!.shape;
        if (!sameShape(mine.shape, target)) {
          throw new RadixError('backward', `the gradient rule of '${node.name}' returned shape ${fmtShape(mine.shape)} for an input of shape ${fmtShape(target)}`);
        }
        if (edge.node) pending.set(edge.node, accumulate(pending.get(edge.node), mine));
        else toLeaf(edge.leaf!, mine);
      });
      g.dispose();
      if (!spec.retainGraph) node.freeSaved();
    }
  };
  if (spec.createGraph) enableGrad(body);
  else noGrad(body);
  for (const g of pending.values()) g.dispose();
  return captured;
}

function defaultGradient(t: Tensor, g: Tensor | null | undefined, op: string): Tensor {
  if (g) {
    if (!sameShape(g.shape, t.shape)) throw new RadixError(op, `gradient of shape ${fmtShape(g.shape)} does not match the output shape ${fmtShape(t.shape)}`);
    return g;
  }
  if (t.size !== 1) throw new RadixError(op, `a gradient can be created implicitly only for one-element outputs; got shape ${fmtShape(t.shape)} (pass { gradient })`);
  return onesLike(t);
}

/**
 * Accumulates d(output)/d(leaf) into every leaf's `.grad` (torch's `Tensor.backward`).
 *
 * @example
 * const w = randn([3]).requiresGrad_();
 * w.mul(w).sum().backward();
 * await w.grad!.data(); // 2w
 */
export function backward(output: Tensor, options: BackwardOptions = {}): void {
  if (!output.requiresGrad) throw new RadixError('backward', `the output of shape ${fmtShape(output.shape)} does not require grad (no input had requiresGrad)`);
  const g = defaultGradient(output, options.gradient, 'backward');
  run({ roots: [[output, g]], retainGraph: options.retainGraph ?? false, createGraph: options.createGraph ?? false });
  if (g !== options.gradient) g.dispose();
}

/**
 * Gradients of `outputs` with respect to `inputs`, without touching `.grad` (torch.autograd.grad).
 * With `createGraph` the results are differentiable (e.g. R1 penalties).
 *
 * @example
 * const [dx] = grad(y.sum(), [x], { createGraph: true });
 */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | null)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  for (const t of ins) if (!t.requiresGrad) throw new RadixError('grad', `input of shape ${fmtShape(t.shape)} does not require grad`);
  const roots: [Tensor, Tensor][] = outs.map((o, i) => {
    if (!o.requiresGrad) throw new RadixError('grad', `output ${i} of shape ${fmtShape(o.shape)} does not require grad`);
    return [o, defaultGradient(o, options.gradOutputs?.[i], 'grad')];
  });
  const captured = run({ roots, capture: ins, retainGraph: options.retainGraph ?? options.createGraph ?? false, createGraph: options.createGraph ?? false, prune: options.prune });
  roots.forEach(([, g], i) => {
    if (g !== options.gradOutputs?.[i]) g.dispose();
  });
  return ins.map((t, i) => {
    const g = captured.get(t);
    if (!g && !options.allowUnused) throw new RadixError('grad', `input ${i} of shape ${fmtShape(t.shape)} was not used to compute the outputs (pass { allowUnused: true })`);
    return g ?? null;
  });
}
