// GroupNorm (and LayerNorm, through it) and training-mode BatchNorm forward and backward on the CPU in a few passes
// per statistics row, accumulating in float64.
import type { BackendBuffer, BatchNormParams, GroupNormParams } from '../backend.js';
import { arr } from './cpu-buffer.js';
import { UNARY_BACKWARD_CPU, UNARY_CPU } from './elementwise.js';

const silu = (v: number) => UNARY_CPU.silu(v, 0, 0);
const siluGrad = (v: number) => UNARY_BACKWARD_CPU.silu(v, 0);

export function cpuGroupNormForward(x: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, p: GroupNormParams): void {
  const X = arr(x), Y = arr(out), W = weight ? arr(weight) : null, B = bias ? arr(bias) : null, MU = arr(mean), RS = arr(rstd);
  const cpg = p.c / p.groups;
  const m = cpg * p.spatial;
  for (let gi = 0; gi < p.n * p.groups; gi++) {
    const base = gi * m;
    let s = 0;
    for (let i = 0; i < m; i++) s += X[base + i]!;
    const mu = Math.fround(s / m);
    let v = 0;
    for (let i = 0; i < m; i++) {
      const d = X[base + i]! - mu;
      v += d * d;
    }
    const r = Math.fround(1 / Math.sqrt(Math.fround(Math.fround(v / m) + Math.fround(p.eps))));
    MU[gi] = mu;
    RS[gi] = r;
    const c0 = (gi % p.groups) * cpg;
    for (let k = 0; k < cpg; k++) {
      const scale = W ? Math.fround(r * W[c0 + k]!) : r;
      const b = B ? B[c0 + k]! : 0;
      const o = base + k * p.spatial;
      if (p.activation === 'silu') for (let i = 0; i < p.spatial; i++) Y[o + i] = silu(Math.fround((X[o + i]! - mu) * scale + b));
      else for (let i = 0; i < p.spatial; i++) Y[o + i] = (X[o + i]! - mu) * scale + b;
    }
  }
}

export function cpuGroupNormBackward(
  x: BackendBuffer, g: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
  dx: BackendBuffer, dWeight: BackendBuffer | null, dBias: BackendBuffer | null, p: GroupNormParams,
): void {
  const X = arr(x), W = weight ? arr(weight) : null, B = bias ? arr(bias) : null, MU = arr(mean), RS = arr(rstd), DX = arr(dx);
  const cpg = p.c / p.groups;
  const m = cpg * p.spatial;
  // With the SiLU epilogue the incoming gradient is first taken through SiLU at the recomputed pre-activation.
  let G = arr(g);
  if (p.activation === 'silu') {
    const G0 = G;
    const Gs = new Float64Array(G0.length);
    for (let gi = 0; gi < p.n * p.groups; gi++) {
      const c0 = (gi % p.groups) * cpg;
      for (let k = 0; k < cpg; k++) {
        const scale = W ? Math.fround(RS[gi]! * W[c0 + k]!) : RS[gi]!;
        const b = B ? B[c0 + k]! : 0;
        const o = gi * m + k * p.spatial;
        for (let i = 0; i < p.spatial; i++) Gs[o + i] = G0[o + i]! * siluGrad(Math.fround((X[o + i]! - MU[gi]!) * scale + b));
      }
    }
    G = Gs as unknown as typeof G0;
  }
  const dw = new Float64Array(p.c), db = new Float64Array(p.c);
  for (let gi = 0; gi < p.n * p.groups; gi++) {
    const base = gi * m;
    const mu = MU[gi]!, r = RS[gi]!;
    const c0 = (gi % p.groups) * cpg;
    let a = 0, b = 0;
    for (let k = 0; k < cpg; k++) {
      const w = W ? W[c0 + k]! : 1;
      const o = base + k * p.spatial;
      let sgx = 0, sg = 0;
      for (let i = 0; i < p.spatial; i++) {
        const gv = G[o + i]!;
        const xh = (X[o + i]! - mu) * r;
        sgx += gv * xh;
        sg += gv;
      }
      dw[c0 + k]! += sgx;
      db[c0 + k]! += sg;
      a += w * sg;
      b += w * sgx;
    }
    a /= m;
    b /= m;
    for (let k = 0; k < cpg; k++) {
      const w = W ? W[c0 + k]! : 1;
      const o = base + k * p.spatial;
      for (let i = 0; i < p.spatial; i++) {
        const xh = (X[o + i]! - mu) * r;
        DX[o + i] = r * (G[o + i]! * w - a - xh * b);
      }
    }
  }
  if (dWeight) arr(dWeight).set(dw);
  if (dBias) arr(dBias).set(db);
}

/** Calls `f(offset, length)` for each of the n contiguous segments of channel `ch` of an [n, c, spatial] tensor. */
function segments(p: BatchNormParams, ch: number, f: (o: number, len: number) => void): void {
  for (let a = 0; a < p.n; a++) f((a * p.c + ch) * p.spatial, p.spatial);
}

export function cpuBatchNormForward(
  x: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer,
  variance: BackendBuffer | null, p: BatchNormParams,
): void {
  const X = arr(x), Y = arr(out), W = weight ? arr(weight) : null, B = bias ? arr(bias) : null, MU = arr(mean), RS = arr(rstd);
  const VA = variance ? arr(variance) : null;
  const m = p.n * p.spatial;
  for (let ch = 0; ch < p.c; ch++) {
    let s = 0;
    segments(p, ch, (o, len) => { for (let i = 0; i < len; i++) s += X[o + i]!; });
    const mu = Math.fround(s / m);
    let v = 0;
    segments(p, ch, (o, len) => {
      for (let i = 0; i < len; i++) {
        const d = X[o + i]! - mu;
        v += d * d;
      }
    });
    const va = Math.fround(v / m);
    const r = Math.fround(1 / Math.sqrt(Math.fround(va + Math.fround(p.eps))));
    MU[ch] = mu;
    RS[ch] = r;
    if (VA) VA[ch] = va;
    const scale = W ? Math.fround(r * W[ch]!) : r;
    const b = B ? B[ch]! : 0;
    segments(p, ch, (o, len) => {
      if (p.activation === 'silu') for (let i = 0; i < len; i++) Y[o + i] = silu(Math.fround((X[o + i]! - mu) * scale + b));
      else for (let i = 0; i < len; i++) Y[o + i] = (X[o + i]! - mu) * scale + b;
    });
  }
}

export function cpuBatchNormBackward(
  x: BackendBuffer, g: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
  dx: BackendBuffer, dWeight: BackendBuffer | null, dBias: BackendBuffer | null, p: BatchNormParams,
): void {
  const X = arr(x), G = arr(g), W = weight ? arr(weight) : null, B = bias ? arr(bias) : null, MU = arr(mean), RS = arr(rstd), DX = arr(dx);
  const DW = dWeight ? arr(dWeight) : null, DB = dBias ? arr(dBias) : null;
  const m = p.n * p.spatial;
  const gp = new Float64Array(p.spatial);
  for (let ch = 0; ch < p.c; ch++) {
    const mu = MU[ch]!, r = RS[ch]!, w = W ? W[ch]! : 1;
    const scale = W ? Math.fround(r * w) : r;
    const b = B ? B[ch]! : 0;
    // The incoming gradient at the pre-activation (through SiLU′ with the epilogue), recomputed per segment.
    const gpre = (o: number, len: number) => {
      for (let i = 0; i < len; i++) gp[i] = p.activation === 'silu' ? G[o + i]! * siluGrad(Math.fround((X[o + i]! - mu) * scale + b)) : G[o + i]!;
    };
    let sgx = 0, sg = 0;
    segments(p, ch, (o, len) => {
      gpre(o, len);
      for (let i = 0; i < len; i++) {
        sgx += gp[i]! * ((X[o + i]! - mu) * r);
        sg += gp[i]!;
      }
    });
    if (DW) DW[ch] = sgx;
    if (DB) DB[ch] = sg;
    const a = (w * sg) / m, bb = (w * sgx) / m;
    segments(p, ch, (o, len) => {
      gpre(o, len);
      for (let i = 0; i < len; i++) DX[o + i] = r * (gp[i]! * w - a - (X[o + i]! - mu) * r * bb);
    });
  }
}
