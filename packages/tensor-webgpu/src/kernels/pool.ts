// WGSL sources for 2-D pooling: max/avg pooling with PyTorch's window rules, and adaptive average pooling.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

const WG = 256;

/**
 * Max or average pooling, one invocation per output element of an NCHW tensor.
 * Params (u32 unless noted): [total, H, W, OH, OW, KH, KW, SH, SW, PH, PW, DH, DW, countIncludePad, divisor (i32)].
 * Max treats the padding as -inf and propagates NaN (torch's `val > max || isnan(val)`); avg follows
 * torch's divisor rule (window clipped to the padded input, then to the input unless countIncludePad).
 *
 * @example
 * ctx.dispatch('pool2d_max', () => pool2dWgsl('max'), bindings, params, ctx.grid(total, POOL_WG));
 */
export function pool2dWgsl(kind: 'max' | 'avg'): string {
  const head = `${paramsWgsl(15)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
fn is_nan_f(v: f32) -> bool { return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u; }
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let H = i32(pu(1u)); let W = i32(pu(2u)); let OH = pu(3u); let OW = pu(4u);
  let KH = i32(pu(5u)); let KW = i32(pu(6u));
  let ox = i % OW; let t = i / OW; let oy = t % OH; let nc = t / OH;
  let hs = i32(oy * pu(7u)) - i32(pu(9u));
  let ws = i32(ox * pu(8u)) - i32(pu(10u));
  let base = nc * u32(H) * u32(W);
`;
  if (kind === 'max') {
    return `${head}  let DH = i32(pu(11u)); let DW = i32(pu(12u));
  // -inf built from a runtime value (WGSL rejects non-finite constants).
  var m = -bitcast<f32>(0x7f800000u | (pu(0u) & 0u));
  for (var ky = 0; ky < KH; ky++) {
    let y = hs + ky * DH;
    if (y < 0 || y >= H) { continue; }
    let row = base + u32(y * W);
    for (var kx = 0; kx < KW; kx++) {
      let x = ws + kx * DW;
      if (x < 0 || x >= W) { continue; }
      let v = X[row + u32(x)];
      if (v > m || is_nan_f(v)) { m = v; }
    }
  }
  Y[i] = m;
}`;
  }
  return `${head}  let PH = i32(pu(9u)); let PW = i32(pu(10u));
  var he = min(hs + KH, H + PH);
  var we = min(ws + KW, W + PW);
  let poolSize = (he - hs) * (we - ws);
  let h0 = max(hs, 0); let w0 = max(ws, 0);
  he = min(he, H); we = min(we, W);
  if (h0 >= he || w0 >= we) { Y[i] = 0.0; return; }
  var s = 0.0;
  for (var y = h0; y < he; y++) {
    let row = base + u32(y * W);
    for (var x = w0; x < we; x++) { s += X[row + u32(x)]; }
  }
  var div = poolSize;
  if (pu(13u) == 0u) { div = (he - h0) * (we - w0); }
  if (pi(14u) != 0) { div = pi(14u); }
  Y[i] = s / f32(div);
}`;
}

/**
 * Adaptive average pooling: output cell (oy, ox) averages rows floor(oy*H/OH)..ceil((oy+1)*H/OH) and the same for columns.
 * Params: [total, H, W, OH, OW].
 *
 * @example
 * ctx.dispatch('adaptive_avg_pool2d', adaptiveAvgPool2dWgsl, bindings, params, ctx.grid(total, POOL_WG));
 */
export function adaptiveAvgPool2dWgsl(): string {
  return `${paramsWgsl(5)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read_write> Y: array<f32>;
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let H = pu(1u); let W = pu(2u); let OH = pu(3u); let OW = pu(4u);
  let ox = i % OW; let t = i / OW; let oy = t % OH; let nc = t / OH;
  let h0 = (oy * H) / OH; let h1 = ((oy + 1u) * H + OH - 1u) / OH;
  let w0 = (ox * W) / OW; let w1 = ((ox + 1u) * W + OW - 1u) / OW;
  let base = nc * H * W;
  var s = 0.0;
  for (var y = h0; y < h1; y++) {
    let row = base + y * W;
    for (var x = w0; x < w1; x++) { s += X[row + x]; }
  }
  Y[i] = s / f32((h1 - h0) * (w1 - w0));
}`;
}

export { WG as POOL_WG };
