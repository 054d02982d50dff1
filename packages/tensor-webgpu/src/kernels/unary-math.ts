// WGSL transcendental functions of the elementwise kernels, written so their accuracy does not depend on the GPU's
// builtins (WGSL allows exp/log/sin/atan errors of thousands of ULP, and absolute-only error for log near 1):
// argument reduction with exact steps, polynomials, and no cancellation a compiler could "simplify" away.
// Accuracy of each op against float64 is measured by ops/unary-accuracy.test.ts (table in docs/numerics.md).

/** Float32 bit pattern of a JS number (rounded to float32), as a WGSL expression. */
function f32(v: number): string {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, v);
  return `bitcast<f32>(0x${b.getUint32(0).toString(16).padStart(8, '0')}u)`;
}

/** `hi` holds the leading float32 bits of `v`, `lo` the float32 remainder (hi + lo ≈ v to ~48 bits). */
function split(v: number): [string, string] {
  const hi = Math.fround(v);
  return [f32(hi), f32(v - hi)];
}

/** ln 2 with 16 leading bits (k·LN2_HI is exact for |k| < 256) and its remainder. */
const LN2_HI = Math.floor(Math.LN2 * 65536) / 65536;
const [PIO2_HI, PIO2_LO] = split(Math.PI / 2);
const [ATAN_HALF_HI, ATAN_HALF_LO] = split(Math.atan(0.5));
const [ATAN_ONE_HI, ATAN_ONE_LO] = split(Math.PI / 4);
const [ATAN_3H_HI, ATAN_3H_LO] = split(Math.atan(1.5));

/** Horner polynomial in `z` with the given coefficients (lowest order first), as float32 literals. */
function horner(z: string, coeffs: readonly number[]): string {
  let s = f32(coeffs[coeffs.length - 1]!);
  for (let i = coeffs.length - 2; i >= 0; i--) s = `${f32(coeffs[i]!)} + ${z} * (${s})`;
  return s;
}

const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
/** (e^r − 1 − r)/r² = Σ r^k/(k+2)!, k = 0..7 (truncation below 3e-10 for |r| ≤ ln2/2). */
const EXPM1_C = Array.from({ length: 8 }, (_, k) => 1 / fact(k + 2));
/** 2(z/3 + z²/5 + …)/z: the atanh series of log(1+f) in z = s², to z⁷. */
const LOG_C = Array.from({ length: 7 }, (_, k) => 2 / (2 * k + 3));
/** atan t = t + t·z·Σ (−1)^(k+1) z^k/(2k+3), k = 0..9 (|t| ≤ 7/16: truncation below 1e-9). */
const ATAN_C = Array.from({ length: 10 }, (_, k) => (k % 2 === 0 ? -1 : 1) / (2 * k + 3));
/** sin r = r + r·z·Σ (−1)^(k+1) z^k/(2k+3)!, k = 0..4 (|r| ≤ π/4). */
const SIN_C = Array.from({ length: 5 }, (_, k) => (k % 2 === 0 ? -1 : 1) / fact(2 * k + 3));
/** cos r = 1 − z/2 + z²·Σ (−1)^k z^k/(2k+4)!, k = 0..4. */
const COS_C = Array.from({ length: 5 }, (_, k) => (k % 2 === 0 ? 1 : -1) / fact(2 * k + 4));
/** erf x = x·Σ (−1)^k (2/√π) z^k/(k!(2k+1)), k = 0..10 (|x| < 1: truncation below 2e-9). */
const ERF_C = Array.from({ length: 11 }, (_, k) => ((k % 2 === 0 ? 1 : -1) * 2) / (Math.sqrt(Math.PI) * fact(k) * (2 * k + 1)));
/**
 * Numerical Recipes' Chebyshev fit of erfc (fractional error < 1.2e-7 for all z ≥ 0):
 * erfc z = t·exp(−z² + P(t)), t = 1/(1 + z/2).
 */
const ERFC_NR = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
/** The first 288 bits of 2/π after the binary point (mpmath, 120 digits), behind one word of zero padding. */
const TWO_OVER_PI = [0, 0xa2f9836e, 0x4e441529, 0xfc2757d1, 0xf534ddc0, 0xdb629599, 0x3c439041, 0xfe5163ab, 0xdebbc561, 0xb7246e3a];

/** WGSL of the whole accurate math library (needs MATH_PRELUDE's is_nan/is_inf/nan_f32/inf_f32). */
export const UNARY_MATH_WGSL = /* wgsl */ `
fn pow2i(k: i32) -> f32 { return bitcast<f32>(u32(clamp(k, -126, 127) + 127) << 23u); }
// v·2^k with a single rounding even when the result is subnormal (two exact power-of-two steps).
fn scale2(v: f32, k: i32) -> f32 {
  if (k > 127) { return v * pow2i(127) * pow2i(k - 127); }
  if (k < -126) { return v * pow2i(max(k + 126, -126)) * pow2i(-126); }
  return v * pow2i(k);
}
// The float with the low 12 mantissa bits cleared: v = hi12(v) + (v − hi12(v)) exactly, and hi12(v)² is exact.
fn hi12(v: f32) -> f32 { return bitcast<f32>(bitcast<u32>(v) & 0xfffff000u); }
fn neg_if(r: f32, c: bool) -> f32 { return select(r, -r, c); }

// e^r − 1 for |r| ≤ ln2/2.
fn expm1_poly(r: f32) -> f32 { return r + r * r * (${horner('r', EXPM1_C)}); }
// e^x · 2^s without intermediate overflow or double rounding (Cody–Waite reduction x = k·ln2 + r).
fn exp_scaled(x: f32, s: i32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 100.0) { return inf_f32(); }
  if (x < -200.0) { return 0.0; }
  let k = round(x * ${f32(Math.LOG2E)});
  let r = (x - k * ${f32(LN2_HI)}) - k * ${f32(Math.LN2 - LN2_HI)};
  return scale2(1.0 + expm1_poly(r), i32(k) + s);
}
fn exp_f(x: f32) -> f32 { return exp_scaled(x, 0); }
fn exp2_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 128.0) { return inf_f32(); }
  if (x < -152.0) { return 0.0; }
  let k = round(x);
  return scale2(1.0 + expm1_poly((x - k) * ${f32(Math.LN2)}), i32(k));
}
fn expm1_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 100.0) { return inf_f32(); }
  if (x < -30.0) { return -1.0; }
  if (abs(x) < ${f32(2 ** -30)}) { return x; }
  if (abs(x) <= ${f32(0.3465)}) { return expm1_poly(x); }
  let k = round(x * ${f32(Math.LOG2E)});
  let p = expm1_poly((x - k * ${f32(LN2_HI)}) - k * ${f32(Math.LN2 - LN2_HI)});
  let ki = i32(k);
  if (ki > 100) { return scale2(1.0 + p, ki) - 1.0; }
  let t = pow2i(ki);
  return (t - 1.0) + t * p;
}

// log(1 + f) for f in [−0.2929, 0.5] given exactly: f − (f²/2 − s(f²/2 + T(s²))), s = f/(2 + f).
fn log1p_core(f: f32) -> f32 {
  let s = f / (2.0 + f);
  let z = s * s;
  let hfsq = 0.5 * f * f;
  return f - (hfsq - s * (hfsq + z * (${horner('z', LOG_C)})));
}
// x = 2^e·(1 + f) with 1 + f in [√½, √2]; subnormals through their integer mantissa.
struct LogParts { e: f32, f: f32 }
fn log_parts(x: f32) -> LogParts {
  var u = bitcast<u32>(x);
  var e = 0;
  if (u < 0x00800000u) { u = bitcast<u32>(f32(u)); e = -149; }
  e += i32(u >> 23u) - 127;
  var m = bitcast<f32>((u & 0x007fffffu) | 0x3f800000u);
  if (m > ${f32(Math.SQRT2)}) { m = m * 0.5; e += 1; }
  return LogParts(f32(e), m - 1.0);
}
fn log_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < 0.0) { return nan_f32(); }
  if (x == 0.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  let p = log_parts(x);
  return p.e * ${f32(LN2_HI)} + (p.e * ${f32(Math.LN2 - LN2_HI)} + log1p_core(p.f));
}
fn log2_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < 0.0) { return nan_f32(); }
  if (x == 0.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  let p = log_parts(x);
  return p.e + log1p_core(p.f) * ${f32(Math.LOG2E)};
}
fn log1p_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < -1.0) { return nan_f32(); }
  if (x == -1.0) { return -inf_f32(); }
  if (is_inf(x)) { return x; }
  if (abs(x) < ${f32(2 ** -30)}) { return x; }
  if (x >= -0.29 && x <= 0.5) { return log1p_core(x); }
  if (x > 0.5 && x <= 2.0) { return ${f32(LN2_HI)} + (${f32(Math.LN2 - LN2_HI)} + log1p_core((x - 1.0) * 0.5)); }
  if (x > 2.0) { return log_f(x) + log1p_core(1.0 / x); }
  if (x >= -0.5) { return -${f32(LN2_HI)} + (log1p_core(1.0 + 2.0 * x) - ${f32(Math.LN2 - LN2_HI)}); }
  return log_f(1.0 + x);
}

fn sinh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < ${f32(2 ** -12)}) { return x; }
  if (a > 88.0) { return neg_if(exp_scaled(a, -1), x < 0.0); }
  let e = expm1_f(a);
  return neg_if(0.5 * (e + e / (e + 1.0)), x < 0.0);
}
fn cosh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  let h = exp_scaled(a, -1);
  if (a > 20.0) { return h; }
  return h + 0.25 / h;
}
fn tanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < ${f32(2 ** -12)}) { return x; }
  var r = 1.0;
  if (a < 9.1) {
    let e = expm1_f(2.0 * a);
    r = e / (e + 2.0);
  }
  return neg_if(r, x < 0.0);
}
fn asinh_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return x; }
  let a = abs(x);
  if (a < ${f32(2 ** -12)}) { return x; }
  if (a > 4096.0) { return neg_if(log_f(a) + ${f32(Math.LN2)}, x < 0.0); }
  return neg_if(log1p_f(a + a * a / (1.0 + sqrt(1.0 + a * a))), x < 0.0);
}
fn acosh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x < 1.0) { return nan_f32(); }
  if (is_inf(x)) { return x; }
  if (x > 4096.0) { return log_f(x) + ${f32(Math.LN2)}; }
  if (x > 2.0) { return log_f(2.0 * x - 1.0 / (x + sqrt(x * x - 1.0))); }
  let t = x - 1.0;
  return log1p_f(t + sqrt(2.0 * t + t * t));
}
fn atanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 1.0) { return nan_f32(); }
  if (a == 1.0) { return neg_if(inf_f32(), x < 0.0); }
  if (a < ${f32(2 ** -12)}) { return x; }
  return neg_if(0.5 * log1p_f(2.0 * a / (1.0 - a)), x < 0.0);
}

fn sigmoid_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 0.0) { return 1.0 / (1.0 + exp_f(-x)); }
  let e = exp_f(x);
  return e / (1.0 + e);
}
// x·e^x/(1 + e^x); below −60 the subnormal-prone e^x is kept scaled by 2^64 until the final rounding (a compiler
// that moves the constant 2^-64 next to x still leaves x·2^-64 normal for |x| ≥ 60).
fn silu_f(x: f32) -> f32 {
  if (x < -60.0) { return scale2(x * exp_scaled(x, 64), -64); }
  return x * sigmoid_f(x);
}
fn softplus_f(x: f32, beta: f32, threshold: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x * beta > threshold) { return x; }
  return log1p_f(exp_f(beta * x)) / beta;
}
fn mish_f(x: f32) -> f32 {
  if (x < -60.0) { return scale2(x * exp_scaled(x, 64), -64); }
  return x * tanh_f(softplus_f(x, 1.0, 20.0));
}

// erfc z for z ≥ 0 given z² = z2hi + z2lo (z2hi exact), times 2^s: NR's fit with exp(−z²) split in two exact-argument parts.
fn erfc_tail(z: f32, z2hi: f32, z2lo: f32, s: i32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = ${horner('t', ERFC_NR)};
  return t * exp_scaled(-z2hi, s) * exp_f(p - z2lo);
}
fn erfc_pos(z: f32) -> f32 {
  let zh = hi12(z);
  return erfc_tail(z, zh * zh, (z - zh) * (z + zh), 0);
}
fn erf_series(x: f32) -> f32 { let z = x * x; return x * (${horner('z', ERF_C)}); }
fn erf_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 1.0) { return erf_series(x); }
  if (a > 4.0) { return neg_if(1.0, x < 0.0); }
  return neg_if(1.0 - erfc_pos(a), x < 0.0);
}
fn erfc_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 10.1) { return 0.0; }
  if (x < -4.0) { return 2.0; }
  if (x >= 0.0) { return erfc_pos(x); }
  return 2.0 - erfc_pos(-x);
}
// x·Φ(x) = ½x·erfc(−x/√2); for x < 0 the tail comes from erfc with (x/√2)² split exactly from x.
fn gelu_erf_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x >= 0.0) { return 0.5 * x * (1.0 + erf_f(x * ${f32(Math.SQRT1_2)})); }
  if (x < -20.0) { return select(-0.0, nan_f32(), is_inf(x)); }
  let a = -x;
  let ah = hi12(a);
  // Scaled by 2^40 only where erfc is subnormal; the scale is a runtime value so the compiler cannot move it ahead.
  let s = select(0, 40, a > 12.0);
  return scale2(0.5 * x * erfc_tail(a * ${f32(Math.SQRT1_2)}, 0.5 * ah * ah, 0.5 * (a - ah) * (a + ah), s), -s);
}
// x·σ(2u), u = √(2/π)(x + 0.044715x³): equal to ½x(1 + tanh u) without its cancellation for x < 0.
fn gelu_tanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x == -inf_f32()) { return nan_f32(); }
  let u2 = x * (${f32(2 * 0.7978845608028654)} + ${f32(2 * 0.7978845608028654 * 0.044715)} * x * x);
  if (u2 >= 0.0) { return x / (1.0 + exp_f(-u2)); }
  let s = select(0, 40, u2 < -60.0);
  return scale2(x * exp_scaled(u2, s) / (1.0 + exp_f(u2)), -s);
}

fn atan_poly(t: f32) -> f32 { let z = t * t; return t + t * z * (${horner('z', ATAN_C)}); }
fn atan_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < ${f32(2 ** -12)}) { return x; }
  var r: f32;
  if (a < 0.4375) { r = atan_poly(a); }
  else if (a < 0.6875) { r = ${ATAN_HALF_HI} + (${ATAN_HALF_LO} + atan_poly((2.0 * a - 1.0) / (2.0 + a))); }
  else if (a < 1.1875) { r = ${ATAN_ONE_HI} + (${ATAN_ONE_LO} + atan_poly((a - 1.0) / (a + 1.0))); }
  else if (a < 2.4375) { r = ${ATAN_3H_HI} + (${ATAN_3H_LO} + atan_poly((a - 1.5) / (1.0 + 1.5 * a))); }
  else { r = ${PIO2_HI} + (${PIO2_LO} + atan_poly(-1.0 / a)); }
  return neg_if(r, x < 0.0);
}
fn asin_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 1.0) { return nan_f32(); }
  if (a < ${f32(2 ** -12)}) { return x; }
  return neg_if(atan_f(a / sqrt((1.0 - a) * (1.0 + a))), x < 0.0);
}
fn acos_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (abs(x) > 1.0) { return nan_f32(); }
  return 2.0 * atan_f(sqrt((1.0 - x) / (1.0 + x)));
}

// Payne–Hanek reduction of a ≥ π/4: a·2/π = 4n + q + f with |f| ≤ ½, from 96 bits of 2/π in integer arithmetic;
// returns r = f·π/2 (relative error ~2⁻²⁴ however close a is to a multiple of π/2) and the quadrant q.
struct TrigReduced { r: f32, q: u32 }
fn mulhi32(a: u32, b: u32) -> u32 {
  let al = a & 0xffffu; let ah = a >> 16u; let bl = b & 0xffffu; let bh = b >> 16u;
  let lh = al * bh; let hl = ah * bl;
  let mid = ((al * bl) >> 16u) + (lh & 0xffffu) + (hl & 0xffffu);
  return ah * bh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
}
fn shl64(hi: u32, lo: u32, s: u32) -> u32 { return select((hi << s) | (lo >> (32u - s)), hi, s == 0u); }
fn trig_reduce(a: f32) -> TrigReduced {
  var tbl = array<u32, 10>(${TWO_OVER_PI.map((w) => `0x${w.toString(16)}u`).join(', ')});
  let u = bitcast<u32>(a);
  let m = (u & 0x007fffffu) | 0x00800000u;
  // a = m·2^e; the bits of 2/π before position e − 1 only add multiples of 4 to a·2/π.
  let t = u32(i32(u >> 23u) - 150 + 30);
  let wi = t >> 5u;
  let sh = t & 31u;
  let w2 = shl64(tbl[wi], tbl[wi + 1u], sh);
  let w1 = shl64(tbl[wi + 1u], tbl[wi + 2u], sh);
  let w0 = shl64(tbl[wi + 2u], tbl[wi + 3u], sh);
  // m·w as 96 bits (the top carries only multiples of 4); the binary point sits after bit 94.
  let p0 = m * w0;
  let h0 = mulhi32(m, w0);
  let p1 = h0 + m * w1;
  let p2 = mulhi32(m, w1) + m * w2 + select(0u, 1u, p1 < h0);
  var q = p2 >> 30u;
  var c2 = p2 & 0x3fffffffu;
  var c1 = p1;
  var c0 = p0;
  let neg = (c2 & 0x20000000u) != 0u;
  if (neg) {
    q = (q + 1u) & 3u;
    c0 = ~c0 + 1u;
    let k0 = select(0u, 1u, c0 == 0u);
    c1 = ~c1 + k0;
    let k1 = select(0u, 1u, k0 == 1u && c1 == 0u);
    c2 = (~c2 + k1) & 0x3fffffffu;
  }
  var lz: u32;
  var top: u32;
  var next: u32;
  if (c2 != 0u) { lz = countLeadingZeros(c2); top = shl64(c2, c1, lz); next = shl64(c1, c0, lz); }
  else if (c1 != 0u) { let z = countLeadingZeros(c1); lz = 32u + z; top = shl64(c1, c0, z); next = c0 << z; }
  else { let z = countLeadingZeros(c0); lz = 64u + z; top = c0 << z; next = 0u; }
  // fraction = top·2^(−30−lz) + next·2^(−62−lz): two exact 24-bit pieces.
  let li = i32(lz);
  let fh = scale2(f32(top >> 8u), -22 - li);
  let fl = scale2(f32(((top & 0xffu) << 16u) | (next >> 16u)), -46 - li);
  let r = fh * ${PIO2_HI} + (fh * ${PIO2_LO} + fl * ${PIO2_HI});
  return TrigReduced(neg_if(r, neg), q);
}
fn sin_poly(r: f32) -> f32 { let z = r * r; return r + r * z * (${horner('z', SIN_C)}); }
fn cos_poly(r: f32) -> f32 { let z = r * r; return (1.0 - 0.5 * z) + z * z * (${horner('z', COS_C)}); }
fn trig_arg(a: f32) -> TrigReduced {
  if (a <= ${f32(Math.PI / 4)}) { return TrigReduced(a, 0u); }
  return trig_reduce(a);
}
fn sin_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return nan_f32(); }
  let a = abs(x);
  if (a < ${f32(2 ** -12)}) { return x; }
  let t = trig_arg(a);
  var v = select(sin_poly(t.r), cos_poly(t.r), (t.q & 1u) == 1u);
  return neg_if(v, (t.q >= 2u) != (x < 0.0));
}
fn cos_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return nan_f32(); }
  let t = trig_arg(abs(x));
  var v = select(cos_poly(t.r), sin_poly(t.r), (t.q & 1u) == 1u);
  return neg_if(v, t.q == 1u || t.q == 2u);
}
fn tan_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return nan_f32(); }
  let a = abs(x);
  if (a < ${f32(2 ** -12)}) { return x; }
  let t = trig_arg(a);
  let s = sin_poly(t.r);
  let c = cos_poly(t.r);
  return neg_if(select(s / c, -c / s, (t.q & 1u) == 1u), x < 0.0);
}

// x^y with IEEE/torch special cases; integer exponents up to 64 by repeated squaring; otherwise 2^(y·log2|x|) with
// y·e (e = exponent of x) split into exact integer and fraction parts, so large results keep their precision.
fn pow_int(x: f32, n: u32) -> f32 {
  var acc = 1.0;
  var b = x;
  var k = n;
  loop {
    if ((k & 1u) == 1u) { acc = acc * b; }
    k = k >> 1u;
    if (k == 0u) { break; }
    b = b * b;
  }
  return acc;
}
fn pow_f(x: f32, y: f32) -> f32 {
  if (y == 0.0 || x == 1.0) { return 1.0; }
  if (is_nan(x) || is_nan(y)) { return nan_f32(); }
  let ax = abs(x);
  if (is_inf(y)) {
    if (ax == 1.0) { return 1.0; }
    return select(0.0, inf_f32(), (ax > 1.0) == (y > 0.0));
  }
  let yint = y == trunc(y);
  let odd = yint && abs(y) < 16777216.0 && (u32(abs(y)) & 1u) == 1u;
  if (yint && abs(y) <= 64.0) {
    let n = u32(abs(y));
    if (y > 0.0) { return pow_int(x, n); }
    let d = pow_int(x, n);
    if (is_inf(d) || (d != 0.0 && abs(d) < ${f32(2 ** -126)})) { return pow_int(1.0 / x, n); }
    return 1.0 / d;
  }
  if (x == 0.0) { return select(select(inf_f32(), 1.0 / x, odd), select(0.0, x, odd), y > 0.0); }
  if (is_inf(x)) {
    if (x > 0.0) { return select(0.0, x, y > 0.0); }
    return select(select(0.0, -0.0, odd), select(-x, x, odd), y > 0.0);
  }
  if (x < 0.0 && !yint) { return nan_f32(); }
  if (y == 0.5) { return sqrt(ax); }
  if (y == -0.5) { return 1.0 / sqrt(ax); }
  let lp = log_parts(ax);
  let l2 = log1p_core(lp.f) * ${f32(Math.LOG2E)};
  // Rough size first: beyond ±300 the result is 0 or ±inf.
  let est = y * (lp.e + l2);
  if (est > 300.0) { return neg_if(inf_f32(), x < 0.0 && odd); }
  if (est < -300.0) { return neg_if(0.0, x < 0.0 && odd); }
  let yh = hi12(y);
  let a1 = yh * lp.e;
  let a2 = (y - yh) * lp.e;
  let i1 = round(a1);
  let i2 = round(a2);
  let frac = ((a1 - i1) + (a2 - i2)) + y * l2;
  let k = round(frac);
  let r = scale2(1.0 + expm1_poly((frac - k) * ${f32(Math.LN2)}), i32(i1) + i32(i2) + i32(k));
  return neg_if(r, x < 0.0 && odd);
}
`;

/** One top-level declaration of the library (a function or a struct, with the comment lines above it). */
interface Chunk {
  name: string;
  code: string;
  deps: string[];
}

function chunks(src: string): Chunk[] {
  const out: { name: string; lines: string[] }[] = [];
  let pending: string[] = [];
  let depth = 0;
  for (const line of src.split('\n')) {
    if (depth === 0) {
      const m = /^(?:fn|struct) (\w+)/.exec(line);
      if (m) {
        out.push({ name: m[1]!, lines: [...pending, line] });
        pending = [];
      } else if (line.startsWith('//')) {
        pending.push(line);
      }
    } else {
      out[out.length - 1]!.lines.push(line);
    }
    for (const ch of line) depth += ch === '{' ? 1 : ch === '}' ? -1 : 0;
  }
  const names = out.map((c) => c.name);
  return out.map((c) => {
    const code = c.lines.join('\n');
    const body = code.slice(code.indexOf(c.name) + c.name.length);
    return { name: c.name, code, deps: names.filter((n) => n !== c.name && new RegExp(`\\b${n}\\b`).test(body)) };
  });
}

const CHUNKS = chunks(UNARY_MATH_WGSL);
const BY_NAME = new Map(CHUNKS.map((c) => [c.name, c]));

/**
 * The part of the library an expression needs (the functions it calls and theirs, in declaration order), so each
 * elementwise shader compiles only what it uses.
 *
 * @example
 * unaryMathFor('tanh_f(x)'); // expm1_poly, expm1_f, … tanh_f
 */
export function unaryMathFor(expr: string): string {
  const need = new Set<string>();
  const visit = (name: string): void => {
    if (need.has(name)) return;
    need.add(name);
    for (const d of BY_NAME.get(name)!.deps) visit(d);
  };
  for (const c of CHUNKS) if (new RegExp(`\\b${c.name}\\b`).test(expr)) visit(c.name);
  return CHUNKS.filter((c) => need.has(c.name)).map((c) => c.code).join('\n');
}
