// Transfer with frozen blocks (Mo et al. 2020, FreezeD; the histology protocol's D1–D3 / G1–G3): which parameters of a
// StyleGAN2 generator or discriminator stop training, found by their stylegan2-ada state-dict names.
import type { nn } from '@radix/tensor-webgpu';

type Param = nn.Parameter;

/** The outcome of a freeze: the parameters that still train and the names of those that do not. */
export interface FreezeResult {
  /** Parameters to give the optimizer (requiresGrad true). */
  trainable: Param[];
  /** State-dict names of the frozen parameters (requiresGrad false; give them no optimizer state). */
  frozen: string[];
  /** Block names frozen, e.g. ['mapping', 'synthesis.b4', 'synthesis.b8']. */
  blocks: string[];
}

function blockResolutions(names: readonly string[], pattern: RegExp): number[] {
  const found = new Set<number>();
  for (const n of names) {
    const m = pattern.exec(n);
    if (m) found.add(Number(m[1]));
  }
  return [...found];
}

function apply(module: nn.AnyModule, isFrozen: (name: string) => boolean, blocks: string[]): FreezeResult {
  const trainable: Param[] = [];
  const frozen: string[] = [];
  for (const [name, p] of module.namedParameters()) {
    if (isFrozen(name)) {
      p.requiresGrad_(false);
      frozen.push(name);
    } else {
      p.requiresGrad_(true);
      trainable.push(p);
    }
  }
  return { trainable, frozen, blocks };
}

/**
 * freezeG(k): with k ≥ 1 the mapping network and the first k synthesis blocks (lowest resolutions: `synthesis.b4`,
 * `synthesis.b8`, …) stop training; k = 0 freezes nothing. Works on any module whose parameters follow
 * stylegan2-ada's names (`mapping.*`, `synthesis.b<res>.*`).
 *
 * @example
 * const { trainable, blocks } = freezeG(G, 2); // blocks: ['mapping', 'synthesis.b4', 'synthesis.b8']
 * const opt = new optim.Adam(trainable, { lr: 0.0025, betas: [0, 0.99] });
 */
export function freezeG(G: nn.AnyModule, k: number): FreezeResult {
  const names = G.namedParameters().map(([n]) => n);
  const res = blockResolutions(names, /^synthesis\.b(\d+)\./).sort((a, b) => a - b);
  checkK('freezeG', k, res.length, 'synthesis');
  if (k === 0) return apply(G, () => false, []);
  const blocks = ['mapping', ...res.slice(0, k).map((r) => `synthesis.b${r}`)];
  return apply(G, (n) => blocks.some((b) => n.startsWith(`${b}.`)), blocks);
}

/**
 * freezeD(k): the first k discriminator blocks from the input side (`b<imgResolution>`, then half that, …; the
 * epilogue `b4` last) stop training; k = 0 freezes nothing.
 *
 * @example
 * const { trainable, frozen } = freezeD(D, 1); // the highest-resolution block
 */
export function freezeD(D: nn.AnyModule, k: number): FreezeResult {
  const names = D.namedParameters().map(([n]) => n);
  const res = blockResolutions(names, /^b(\d+)\./).sort((a, b) => b - a);
  checkK('freezeD', k, res.length, 'discriminator');
  const blocks = res.slice(0, k).map((r) => `b${r}`);
  return apply(D, (n) => blocks.some((b) => n.startsWith(`${b}.`)), blocks);
}

function checkK(fn: string, k: number, count: number, what: string): void {
  if (count === 0) throw new Error(`${fn}: found no ${what} blocks (parameters named like stylegan2-ada's ${fn === 'freezeG' ? 'synthesis.b<res>.*' : 'b<res>.*'})`);
  if (!Number.isInteger(k) || k < 0 || k > count) throw new Error(`${fn}: k must be an integer in [0, ${count}] (the network has ${count} ${what} blocks), got ${k}`);
}
