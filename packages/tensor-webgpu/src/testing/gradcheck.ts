// Finite-difference gradient checking: compares autograd's gradients with central differences of the same function.
import type { Backend } from '../backend/backend.js';
import { grad } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import { randn, tensor } from '../ops/creation.js';
import { Generator } from '../random.js';
import { dispose, tidy } from '../memory.js';
import type { Tensor } from '../tensor.js';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-2: float32 storage makes smaller steps noisier, not more exact). */
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Which inputs to check (default: all). */
  check?: number[];
}

/** Result of {@link gradcheck}: worst absolute and relative mismatch per input. */
export interface GradcheckResult {
  ok: boolean;
  errors: { input: number; maxAbs: number; maxRel: number; worst: [number, number, number] }[];
}

/**
 * Checks the gradients of `fn` at `inputs` against central differences of a random projection
 * `L = Σ fn(inputs) · w`, element by element. Inputs must be small (each element costs two forward passes).
 *
 * @example
 * const r = await gradcheck((x) => x.tanh(), [randn([3, 4])]);
 * expect(r.ok).toBe(true);
 */
export async function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: Tensor[], options: GradcheckOptions = {}): Promise<GradcheckResult> {
  const eps = options.eps ?? 1e-2;
  const atol = options.atol ?? 5e-3;
  const rtol = options.rtol ?? 5e-3;
  const which = options.check ?? inputs.map((_, i) => i);
  const backend: Backend = inputs[0]!.backend;
  const leaves = inputs.map((t, i) => (which.includes(i) ? t.detach().requiresGrad_() : t.detach()));
  const out0 = fn(...leaves);
  const w = randn(out0.shape, { backend, generator: new Generator(1234) });
  const loss = out0.mul(w).sum();
  const analytic = grad(loss, which.map((i) => leaves[i]!));
  const objective = async (xs: Tensor[]): Promise<number> => {
    const v = noGrad(() => tidy(() => fn(...xs).mul(w).sum()));
    const r = await v.item();
    v.dispose();
    return r;
  };
  const errors: GradcheckResult['errors'] = [];
  let ok = true;
  for (const [k, i] of which.entries()) {
    const x = inputs[i]!;
    const base = Float32Array.from((await x.data()) as Float32Array);
    const ga = Array.from((await analytic[k]!.data()) as Float32Array);
    let maxAbs = 0;
    let maxRel = 0;
    let worst: [number, number, number] = [-1, 0, 0];
    for (let j = 0; j < base.length; j++) {
      const probe = async (delta: number) => {
        const d = Float32Array.from(base);
        d[j] = base[j]! + delta;
        const xs = leaves.map((l, m) => (m === i ? tensor(d, { shape: x.shape, backend }) : l));
        const r = await objective(xs);
        xs[i]!.dispose();
        return r;
      };
      const numeric = ((await probe(eps)) - (await probe(-eps))) / (2 * eps);
      const diff = Math.abs(numeric - ga[j]!);
      maxAbs = Math.max(maxAbs, diff);
      if (numeric !== 0) maxRel = Math.max(maxRel, diff / Math.abs(numeric));
      if (diff > atol + rtol * Math.abs(numeric)) {
        ok = false;
        worst = [j, ga[j]!, numeric];
      }
    }
    errors.push({ input: i, maxAbs, maxRel, worst });
  }
  dispose([leaves, out0, w, loss, analytic]);
  return { ok, errors };
}
