// WGSL source for gridSample: PyTorch's unnormalise / border / reflection rules and its three interpolation modes.
import type { GridSampleParams } from '../backend/backend.js';
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';

const WG = 256;

/** WGSL for `pad(v, size)`: the padding rule applied to a (source or tap) coordinate. */
function paddingWgsl(padding: GridSampleParams['paddingMode'], alignCorners: boolean): string {
  // Clamp to [0, size-1]; NaN goes to 0 like torch's clamp_min(0, v).
  const clip = `fn clip_c(v: f32, size: u32) -> f32 { return min(f32(size - 1u), select(0.0, v, v > 0.0)); }`;
  // Reflection over [0, size-1] (align corners) or [-0.5, size-0.5]: fold |v - low| into one double span.
  const reflect = alignCorners
    ? `fn reflect_c(v: f32, size: u32) -> f32 {
  if (size <= 1u) { return 0.0; }
  let span2 = f32(size - 1u) * 2.0;
  let a = abs(v);
  let extra = a - trunc(a / span2) * span2;
  return min(extra, span2 - extra);
}`
    : `fn reflect_c(v: f32, size: u32) -> f32 {
  let span2 = f32(size) * 2.0;
  let a = abs(v + 0.5);
  let extra = a - trunc(a / span2) * span2;
  return min(extra, span2 - extra) - 0.5;
}`;
  const body = padding === 'zeros' ? 'return v;' : padding === 'border' ? 'return clip_c(v, size);' : 'return clip_c(reflect_c(v, size), size);';
  return `${clip}
${reflect}
fn pad_c(v: f32, size: u32) -> f32 { ${body} }`;
}

/**
 * gridSample on NCHW input with an (N, OH, OW, 2) grid; one invocation per output element.
 * Params: [total, C, H, W, OH*OW, scaleW (f32), scaleH (f32)] where scale = (size-1)/2 with align corners, else size/2.
 *
 * @example
 * ctx.dispatch(`grid_sample_${mode}_${padding}_${align}`, () => gridSampleWgsl(mode, padding, align), bindings, params, ctx.grid(total, GRID_SAMPLE_WG));
 */
export function gridSampleWgsl(mode: GridSampleParams['mode'], padding: GridSampleParams['paddingMode'], alignCorners: boolean): string {
  const unnorm = alignCorners ? '(g + 1.0) * sc' : '(g + 1.0) * sc - 0.5';
  let sample: string;
  if (mode === 'bilinear') {
    sample = `  let x = pad_c(unnorm(gx, pf(5u)), W);
  let y = pad_c(unnorm(gy, pf(6u)), H);
  let x0 = floor(x); let y0 = floor(y);
  let we = x - x0; let ea = 1.0 - we; let no = y - y0; let so = 1.0 - no;
  Y[i] = fetch(base, x0, y0, W, H) * (so * ea) + fetch(base, x0 + 1.0, y0, W, H) * (so * we)
       + fetch(base, x0, y0 + 1.0, W, H) * (no * ea) + fetch(base, x0 + 1.0, y0 + 1.0, W, H) * (no * we);`;
  } else if (mode === 'nearest') {
    // WGSL round() is round-half-to-even, like torch's nearbyint.
    sample = `  let x = round(pad_c(unnorm(gx, pf(5u)), W));
  let y = round(pad_c(unnorm(gy, pf(6u)), H));
  Y[i] = fetch(base, x, y, W, H);`;
  } else {
    sample = `  let x = unnorm(gx, pf(5u));
  let y = unnorm(gy, pf(6u));
  let x0 = floor(x); let y0 = floor(y);
  let cx = cubic_coeffs(x - x0);
  let cy = cubic_coeffs(y - y0);
  let xa = pad_c(x0 - 1.0, W); let xb = pad_c(x0, W); let xc = pad_c(x0 + 1.0, W); let xd = pad_c(x0 + 2.0, W);
  var acc = 0.0;
  for (var r = 0; r < 4; r++) {
    let yy = pad_c(y0 + f32(r - 1), H);
    let row = cx[0] * fetch(base, xa, yy, W, H) + cx[1] * fetch(base, xb, yy, W, H)
            + cx[2] * fetch(base, xc, yy, W, H) + cx[3] * fetch(base, xd, yy, W, H);
    acc += cy[r] * row;
  }
  Y[i] = acc;`;
  }
  return `${paramsWgsl(7)}
@group(0) @binding(1) var<storage, read> X: array<f32>;
@group(0) @binding(2) var<storage, read> G: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${paddingWgsl(padding, alignCorners)}
fn unnorm(g: f32, sc: f32) -> f32 { return ${unnorm}; }
// Reads x[base + y*W + x] for integral coordinates, zero outside the input.
fn fetch(base: u32, x: f32, y: f32, W: u32, H: u32) -> f32 {
  if (x > -1.0 && x < f32(W) && y > -1.0 && y < f32(H)) { return X[base + u32(y) * W + u32(x)]; }
  return 0.0;
}
// Cubic convolution weights (A = -0.75) of the taps at offsets -1, 0, 1, 2 for fraction t.
fn cubic_coeffs(t: f32) -> vec4<f32> {
  let A = -0.75;
  let x0 = t + 1.0; let x1 = t; let x2 = 1.0 - t; let x3 = 2.0 - t;
  return vec4<f32>(
    ((A * x0 - 5.0 * A) * x0 + 8.0 * A) * x0 - 4.0 * A,
    ((A + 2.0) * x1 - (A + 3.0)) * x1 * x1 + 1.0,
    ((A + 2.0) * x2 - (A + 3.0)) * x2 * x2 + 1.0,
    ((A * x3 - 5.0 * A) * x3 + 8.0 * A) * x3 - 4.0 * A);
}
${entry1d(WG)} {
  let i = ${linearIndex(WG)};
  if (i >= pu(0u)) { return; }
  let C = pu(1u); let H = pu(2u); let W = pu(3u); let P = pu(4u);
  let p = i % P; let t = i / P; let c = t % C; let n = t / C;
  let gi = (n * P + p) * 2u;
  let gx = G[gi]; let gy = G[gi + 1u];
  let base = (n * C + c) * H * W;
${sample}
}`;
}

export { WG as GRID_SAMPLE_WG };
