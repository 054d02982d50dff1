// Fused optimizer updates on the CPU: the op-by-op update of src/optim in one loop, every intermediate rounded to
// float32 (Math.fround) where the unfused path stores a float32 tensor, and every scalar rounded as the ops round it.
import type { AdamUpdateArgs, AdamUpdateParams, BackendBuffer, EmaUpdateArgs, SgdUpdateArgs, SgdUpdateParams } from '../backend.js';
import { arr } from './cpu-buffer.js';

const f = Math.fround;

export function cpuAdamUpdate(
  p: BackendBuffer, g: BackendBuffer, m: BackendBuffer | null, v: BackendBuffer | null, vMax: BackendBuffer | null,
  pOut: BackendBuffer, mOut: BackendBuffer, vOut: BackendBuffer, vMaxOut: BackendBuffer | null, q: AdamUpdateParams,
): void {
  const P = arr(p), G = arr(g), M = m && q.hasM ? arr(m) : null, V = v && q.hasV ? arr(v) : null;
  const VM = vMax && q.hasMax ? arr(vMax) : null;
  const PO = arr(pOut), MO = arr(mOut), VO = arr(vOut), VMO = vMaxOut ? arr(vMaxOut) : null;
  const l2 = f(q.l2), decay = f(q.decay), b1 = f(q.b1), omb1 = f(q.oneMinusB1), b2 = f(q.b2), omb2 = f(q.oneMinusB2);
  const bc2 = f(q.bc2Sqrt), eps = f(q.eps), nss = f(q.negStepSize);
  for (let i = 0; i < q.numel; i++) {
    let d = q.maximize ? -G[i]! : G[i]!;
    let pp = P[i]!;
    if (q.hasL2) d = f(d + f(pp * l2));
    if (q.hasDecay) pp = f(pp * decay);
    const mi = M ? f(f(M[i]! * b1) + f(d * omb1)) : f(d * omb1);
    const t = f(f(d * omb2) * d);
    const vi = V ? f(f(V[i]! * b2) + t) : t;
    MO[i] = mi;
    VO[i] = vi;
    let vh = vi;
    if (q.amsgrad) {
      const prev = VM ? VM[i]! : NaN;
      vh = VM ? (Number.isNaN(prev) || Number.isNaN(vi) ? NaN : Math.max(prev, vi)) : vi;
      VMO![i] = vh;
    }
    const denom = f(f(f(Math.sqrt(vh)) / bc2) + eps);
    PO[i] = f(pp + f(f(mi * nss) / denom));
  }
}

export function cpuSgdUpdate(p: BackendBuffer, g: BackendBuffer, buf: BackendBuffer | null, pOut: BackendBuffer, bufOut: BackendBuffer | null, q: SgdUpdateParams): void {
  const P = arr(p), G = arr(g), B = buf && q.hasBuf ? arr(buf) : null, PO = arr(pOut), BO = bufOut ? arr(bufOut) : null;
  const l2 = f(q.l2), mu = f(q.momentum), omd = f(q.oneMinusDampening), nlr = f(q.negLr);
  for (let i = 0; i < q.numel; i++) {
    const pp = P[i]!;
    let d = q.maximize ? -G[i]! : G[i]!;
    if (q.hasL2) d = f(d + f(pp * l2));
    if (q.useMomentum) {
      const b = B ? f(f(B[i]! * mu) + f(d * omd)) : d;
      BO![i] = b;
      d = q.nesterov ? f(d + f(b * mu)) : b;
    }
    PO[i] = f(pp + f(d * nlr));
  }
}

export function cpuEmaUpdate(s: BackendBuffer, t: BackendBuffer, out: BackendBuffer, numel: number, w: number): void {
  const S = arr(s), T = arr(t), O = arr(out);
  const wf = f(w);
  for (let i = 0; i < numel; i++) O[i] = f(S[i]! + f(f(T[i]! - S[i]!) * wf));
}

// The multi-tensor forms: the single updates one tensor after the other (the CPU has no per-call cost to save).
export function cpuAdamUpdateMulti(updates: readonly AdamUpdateArgs[]): void {
  for (const u of updates) cpuAdamUpdate(u.p, u.g, u.m, u.v, u.vMax, u.pOut, u.mOut, u.vOut, u.vMaxOut, u.params);
}

export function cpuSgdUpdateMulti(updates: readonly SgdUpdateArgs[]): void {
  for (const u of updates) cpuSgdUpdate(u.p, u.g, u.buf, u.pOut, u.bufOut, u.params);
}

export function cpuEmaUpdateMulti(updates: readonly EmaUpdateArgs[]): void {
  for (const u of updates) cpuEmaUpdate(u.s, u.t, u.out, u.numel, u.w);
}
