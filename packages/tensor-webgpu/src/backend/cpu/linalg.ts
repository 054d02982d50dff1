// CPU reference matmul, conv2d and convTranspose2d: straightforward loops accumulating in float64,
// ordered so the innermost loop walks contiguous memory.
import type { BackendBuffer, Conv2dParams, Epilogue, MatmulParams } from '../backend.js';
import { arr } from './cpu-buffer.js';
import { UNARY_CPU } from './elementwise.js';

/**
 * Writes `n` float64 accumulators `src[from..]` to `Y[at..]` through an epilogue: the pre-activation is rounded to
 * float32 (and stored in `pre` when given), then `gain · f(pre)` is computed as the separate unary op and scalar
 * multiply would round it (float32 parameters, float32 result of f).
 */
function storeThrough(e: Epilogue | undefined, src: Float64Array, from: number, n: number, Y: Float32Array, at: number): void {
  const act = e?.act ?? null;
  const Pre = e?.pre ? arr(e.pre) : null;
  if (!act) {
    for (let i = 0; i < n; i++) Y[at + i] = src[from + i]!;
    if (Pre) for (let i = 0; i < n; i++) Pre[at + i] = src[from + i]!;
    return;
  }
  const f = UNARY_CPU[act.op];
  const alpha = Math.fround(act.alpha);
  const gain = Math.fround(act.gain);
  for (let i = 0; i < n; i++) {
    const z = Math.fround(src[from + i]!);
    if (Pre) Pre[at + i] = z;
    const y = Math.fround(f(z, alpha, 0));
    Y[at + i] = gain === 1 ? y : y * gain;
  }
}

/**
 * Batched `out[b] = A[b] · B[b]` (A is M×K or K×M when transA, B is K×N or N×K when transB).
 *
 * @example
 * cpuMatmul(a, b, out, { batch: 1, m: 2, k: 3, n: 4, strideA: 6, strideB: 12, transA: false, transB: false });
 */
export function cpuMatmul(a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, p: MatmulParams, epilogue?: Epilogue): void {
  const A = arr(a);
  const B = arr(b);
  const C = arr(out) as Float32Array;
  const { m: M, k: K, n: N } = p;
  const Bias = epilogue?.bias ? arr(epilogue.bias) : null;
  const byRow = epilogue?.biasMode === 'row';
  const [sAi, sAk] = p.transA ? [1, M] : [K, 1];
  const [sBk, sBj] = p.transB ? [1, K] : [N, 1];
  const row = new Float64Array(N);
  for (let bi = 0; bi < p.batch; bi++) {
    const aBase = bi * p.strideA;
    const bBase = bi * p.strideB;
    const cBase = bi * M * N;
    for (let i = 0; i < M; i++) {
      row.fill(0);
      for (let k = 0; k < K; k++) {
        const av = A[aBase + i * sAi + k * sAk]!;
        const bk = bBase + k * sBk;
        for (let j = 0; j < N; j++) row[j]! += av * B[bk + j * sBj]!;
      }
      // The bias is added to the float32 product, as a separate add (or the WebGPU epilogue) rounds it.
      if (Bias) for (let j = 0; j < N; j++) row[j] = Math.fround(row[j]!) + Bias[byRow ? i : j]!;
      storeThrough(epilogue, row, 0, N, C, cBase + i * N);
    }
  }
}

/**
 * conv2d over NCHW input with OIHW weights (grouped, strided, padded with zeros, dilated) plus optional bias.
 *
 * @example
 * cpuConv2d(x, w, null, out, params);
 */
export function cpuConv2d(x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams, epilogue?: Epilogue): void {
  const X = arr(x);
  const Wt = arr(w);
  const Bv = bias ? arr(bias) : null;
  const Y = arr(out) as Float32Array;
  const { h: H, w: W, oh: OH, ow: OW, kh: KH, kw: KW } = p;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const plane = new Float64Array(OH * OW);
  for (let n = 0; n < p.n; n++) {
    for (let co = 0; co < p.cout; co++) {
      const grp = Math.floor(co / coutG);
      plane.fill(Bv ? Bv[co]! : 0);
      for (let ci = 0; ci < cinG; ci++) {
        const xb = (n * p.cin + grp * cinG + ci) * H * W;
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = 0; kx < KW; kx++) {
            const wv = Wt[((co * cinG + ci) * KH + ky) * KW + kx]!;
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * p.strideH - p.padH + ky * p.dilationH;
              if (iy < 0 || iy >= H) continue;
              const rowX = xb + iy * W;
              const rowO = oy * OW;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * p.strideW - p.padW + kx * p.dilationW;
                if (ix >= 0 && ix < W) plane[rowO + ox]! += wv * X[rowX + ix]!;
              }
            }
          }
        }
      }
      storeThrough(epilogue, plane, 0, OH * OW, Y, (n * p.cout + co) * OH * OW);
    }
  }
}

/**
 * convTranspose2d (the adjoint of conv2d): every input pixel scatters its weighted kernel footprint into
 * the output. Weights are IOHW: [cin][cout/groups][kh][kw]. `p.oh/ow` already include outputPadding.
 *
 * @example
 * cpuConvTranspose2d(x, w, bias, out, params);
 */
export function cpuConvTranspose2d(x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams): void {
  const X = arr(x);
  const Wt = arr(w);
  const Bv = bias ? arr(bias) : null;
  const Y = arr(out);
  const { h: H, w: W, oh: OH, ow: OW, kh: KH, kw: KW } = p;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const acc = new Float64Array(p.cout * OH * OW);
  for (let n = 0; n < p.n; n++) {
    for (let co = 0; co < p.cout; co++) acc.fill(Bv ? Bv[co]! : 0, co * OH * OW, (co + 1) * OH * OW);
    for (let ci = 0; ci < p.cin; ci++) {
      const grp = Math.floor(ci / cinG);
      const xb = (n * p.cin + ci) * H * W;
      for (let cg = 0; cg < coutG; cg++) {
        const ob = (grp * coutG + cg) * OH * OW;
        const wb = (ci * coutG + cg) * KH * KW;
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = 0; kx < KW; kx++) {
            const wv = Wt[wb + ky * KW + kx]!;
            for (let iy = 0; iy < H; iy++) {
              const oy = iy * p.strideH - p.padH + ky * p.dilationH;
              if (oy < 0 || oy >= OH) continue;
              for (let ix = 0; ix < W; ix++) {
                const ox = ix * p.strideW - p.padW + kx * p.dilationW;
                if (ox >= 0 && ox < OW) acc[ob + oy * OW + ox]! += wv * X[xb + iy * W + ix]!;
              }
            }
          }
        }
      }
    }
    Y.set(acc, n * p.cout * OH * OW);
  }
}

/**
 * Weight (and optional bias) gradient of conv2d (see Backend.conv2dWeightGrad), accumulated in float64; the inner
 * loop runs only over the output columns whose tap lands inside the input row.
 *
 * @example
 * cpuConv2dWeightGrad(x, gOut, dW, dB, params);
 */
export function cpuConv2dWeightGrad(x: BackendBuffer, gOut: BackendBuffer, dW: BackendBuffer, dBias: BackendBuffer | null, p: Conv2dParams): void {
  const X = arr(x);
  const G = arr(gOut);
  const { h: H, w: W, oh: OH, ow: OW, kh: KH, kw: KW } = p;
  const cinG = p.cin / p.groups;
  const coutG = p.cout / p.groups;
  const acc = new Float64Array(p.cout * cinG * KH * KW);
  const bacc = new Float64Array(p.cout);
  for (let n = 0; n < p.n; n++) {
    for (let co = 0; co < p.cout; co++) {
      const grp = Math.floor(co / coutG);
      const gb = (n * p.cout + co) * OH * OW;
      if (dBias) for (let i = 0; i < OH * OW; i++) bacc[co]! += G[gb + i]!;
      for (let ci = 0; ci < cinG; ci++) {
        const xb = (n * p.cin + grp * cinG + ci) * H * W;
        for (let ky = 0; ky < KH; ky++) {
          for (let kx = 0; kx < KW; kx++) {
            const off = kx * p.dilationW - p.padW;
            const lo = Math.max(0, Math.ceil(-off / p.strideW));
            const hi = Math.min(OW - 1, Math.floor((W - 1 - off) / p.strideW));
            let s = 0;
            for (let oy = 0; oy < OH; oy++) {
              const iy = oy * p.strideH - p.padH + ky * p.dilationH;
              if (iy < 0 || iy >= H) continue;
              const rowX = xb + iy * W + off;
              const rowG = gb + oy * OW;
              for (let ox = lo; ox <= hi; ox++) s += G[rowG + ox]! * X[rowX + ox * p.strideW]!;
            }
            acc[((co * cinG + ci) * KH + ky) * KW + kx]! += s;
          }
        }
      }
    }
  }
  arr(dW).set(acc);
  if (dBias) arr(dBias).set(bacc);
}
