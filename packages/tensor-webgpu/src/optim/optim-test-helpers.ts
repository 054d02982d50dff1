// Test helpers shared by the fused and multi-tensor optimizer suites: the optimizer configurations both compare
// (every switch of Adam, AdamW and SGD) and the float32 bits of tensors.
import type { Tensor } from '../tensor.js';
import { Adam, AdamW, type Optimizer, SGD } from './index.js';

/** Which update path an optimizer takes (the other options of a case stay fixed). */
export interface UpdatePath {
  fused?: boolean;
  multiTensor?: boolean;
}

/** Builds one case's optimizer over `ps` on the given update path. */
export type MakeOptimizer = (ps: Tensor[], path: UpdatePath) => Optimizer<{ lr: number }>;

/** Weight decay, maximize, AMSGrad, betas/eps, decoupled decay, momentum, dampening and Nesterov, one case each. */
export const OPTIMIZER_CASES: [string, MakeOptimizer][] = [
  ['Adam', (ps, o) => new Adam(ps, { lr: 1e-2, ...o })],
  ['Adam wd + maximize', (ps, o) => new Adam(ps, { lr: 3e-3, weightDecay: 0.1, maximize: true, ...o })],
  ['Adam AMSGrad betas', (ps, o) => new Adam(ps, { lr: 1e-2, betas: [0.5, 0.9], eps: 1e-6, amsgrad: true, ...o })],
  ['AdamW', (ps, o) => new AdamW(ps, { lr: 1e-2, weightDecay: 0.05, ...o })],
  ['AdamW AMSGrad no decay', (ps, o) => new AdamW(ps, { lr: 1e-2, weightDecay: 0, amsgrad: true, ...o })],
  ['SGD', (ps, o) => new SGD(ps, { lr: 0.1, ...o })],
  ['SGD momentum dampening wd', (ps, o) => new SGD(ps, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 1e-3, ...o })],
  ['SGD Nesterov maximize', (ps, o) => new SGD(ps, { lr: 0.05, momentum: 0.8, nesterov: true, maximize: true, ...o })],
];

/** Each tensor's values as float32 bit patterns (for bit-identical comparisons). */
export async function bits(ts: Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(new Uint32Array(new Float32Array(await t.data()).buffer))));
}
