// WGSL helper functions shared by elementwise and reduction kernels (NaN/inf tests and constants, integer division).
// The transcendental functions (exp, log, trig, erf, pow, activations) are in unary-math.ts.

/** Functions every elementwise kernel may call. */
export const MATH_PRELUDE = /* wgsl */ `
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
// NaN/Inf are built from a uniform so they are runtime values (WGSL rejects non-finite constants).
fn nan_f32() -> f32 { return bitcast<f32>(pu(0u) | 0x7fc00000u); }
fn inf_f32() -> f32 { return bitcast<f32>(0x7f800000u | (pu(0u) & 0u)); }
fn imod(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let r = a % b;
  return select(r, r + b, r != 0 && ((r < 0) != (b < 0)));
}
fn ifloordiv(a: i32, b: i32) -> i32 {
  if (b == 0) { return 0; }
  let q = a / b;
  return select(q, q - 1, (a % b != 0) && ((a < 0) != (b < 0)));
}
`;
