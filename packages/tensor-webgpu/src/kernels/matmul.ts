// WGSL for batched matmul: the register-blocked "direct" kernel (software adapters, skinny shapes),
// the hooks that run matmul on the shared-memory tiled template (GPUs), and the split-K reduction.
import { entry1d, linearIndex, paramsWgsl } from '../backend/webgpu/gpu-context.js';
import { type TiledGemmHooks, tiledGemmWgsl } from './gemm-tiled.js';
import { type KernelEpilogue, PLAIN_EPILOGUE, epilogueFnsWgsl, epilogueKey, preBindingWgsl, storeWgsl } from './epilogue.js';

/** Specialisation of {@link directMatmulWgsl}. */
export interface DirectMatmulConfig {
  /** Rows of C per workgroup (a multiple of `sg` when `sg > 0`). */
  tm: number;
  /** vec4 column groups per invocation (each invocation owns 4·nv consecutive columns). */
  nv: number;
  /** Subgroup size used to share A values by `subgroupBroadcast` (0: every invocation loads its own rows). */
  sg: number;
  /** Invocations per workgroup (equal to `sg` when `sg > 0`, so the workgroup is exactly one subgroup). */
  wg: number;
  transA: boolean;
  transB: boolean;
  /** B is read as vec4 along N (needs !transB, N % 4 == 0 and strideB % 4 == 0). */
  bVec: boolean;
  /** C is written as vec4 (needs N % 4 == 0). */
  cVec: boolean;
  /**
   * Both operands are read as vec4 along K (needs !transA, transB, K % 4 == 0 and both batch strides % 4 == 0):
   * the linear-layer layout, where one vec4 load per row of Bᵀ feeds four k steps.
   */
  kVec: boolean;
  /** Bias fused into the epilogue: per row of C (`bias[m]`), per column (`bias[n]`), or none. */
  bias: BiasMode;
  /** Fused activation / pre-activation output (default none). */
  epi?: KernelEpilogue;
}

/** Where a fused bias vector applies: C[m, n] += bias[m] ('row') or bias[n] ('col'). */
export type BiasMode = 'none' | 'row' | 'col';

/** Binding declarations for A, B, optional Bias, C and the optional pre-activation output (in that order). */
function bindings(bType: string, cType: string, bias: BiasMode, aType = 'f32', epi: KernelEpilogue = PLAIN_EPILOGUE): string {
  const c = bias === 'none' ? 3 : 4;
  return `@group(0) @binding(1) var<storage, read> A: array<${aType}>;
@group(0) @binding(2) var<storage, read> B: array<${bType}>;
${bias === 'none' ? '' : '@group(0) @binding(3) var<storage, read> Bias: array<f32>;\n'}@group(0) @binding(${c}) var<storage, read_write> C: array<${cType}>;
${preBindingWgsl(epi, c + 1, cType)}${epilogueFnsWgsl(epi)}`;
}

/** Uniform words of the direct kernel: M, K, N, batch, strideA, strideB, gx, gy, splits, kChunk. */
export const DIRECT_MATMUL_WORDS = 10;

/** Cache key of a direct-kernel specialisation. @example directMatmulKey(cfg) */
export function directMatmulKey(c: DirectMatmulConfig): string {
  return `mm_direct_${c.tm}_${c.nv}_${c.sg}_${c.wg}_${+c.transA}${+c.transB}${+c.bVec}${+c.cVec}${+c.kVec}_${c.bias}${epilogueKey(c.epi ?? PLAIN_EPILOGUE)}`;
}

/**
 * Register-blocked matmul without workgroup memory: each invocation keeps a tm × 4·nv block of C in
 * registers and streams A and B from global memory. Built for CPU-emulated adapters (lavapipe runs the
 * invocations of a subgroup as SIMD lanes, where every divergent load costs a scalar loop but arithmetic
 * is cheap): with `sg > 0` each lane loads one A row and the others read it by subgroup broadcast, so a
 * k step costs tm/sg + nv loads per lane for 4·tm·nv FMAs. The batch × split-K index is the third
 * tile coordinate; with several splits each writes its partial C to its own slab.
 *
 * @example
 * const src = directMatmulWgsl({ tm: 16, nv: 2, sg: 8, wg: 8, transA: false, transB: false, bVec: true, cVec: true, kVec: false, bias: 'none' });
 */
export function directMatmulWgsl(c: DirectMatmulConfig): string {
  const epi = c.epi ?? PLAIN_EPILOGUE;
  const rowLoads = c.sg > 0 ? c.tm / c.sg : c.tm;
  const pro: string[] = [];
  const body: string[] = [];
  if (c.kVec) kVecLoop(c, rowLoads, pro, body);
  else scalarKLoop(c, rowLoads, pro, body);
  for (let i = 0; i < c.tm; i++) for (let v = 0; v < c.nv; v++) pro.push(`var c${i}_${v} = vec4<f32>(0.0);`);

  const st: string[] = [];
  if (c.bias === 'col') {
    for (let v = 0; v < c.nv; v++) {
      const bj = (j: number) => `Bias[min((col4 + ${v}u) * 4u + ${j}u, N - 1u)]`;
      st.push(`let bias${v} = vec4<f32>(${bj(0)}, ${bj(1)}, ${bj(2)}, ${bj(3)});`);
    }
  }
  for (let i = 0; i < c.tm; i++) {
    const inner: string[] = [];
    if (c.bias === 'row') inner.push(`let bias = vec4<f32>(Bias[row0 + ${i}u]);`);
    for (let v = 0; v < c.nv; v++) {
      const n = `(col4 + ${v}u) * 4u`;
      const val = `c${i}_${v}${c.bias === 'row' ? ' + bias' : c.bias === 'col' ? ` + bias${v}` : ''}`;
      if (c.cVec) inner.push(`if (${n} < N) { ${storeWgsl(epi, `(cRow + ${n}) / 4u`, val, true, 'C')} }`);
      else {
        inner.push(`{ let val = ${val};`);
        for (let j = 0; j < 4; j++) inner.push(`  if (${n} + ${j}u < N) { ${storeWgsl(epi, `cRow + ${n} + ${j}u`, `val[${j}]`, false, 'C')} }`);
        inner.push('}');
      }
    }
    st.push(`if (live && row0 + ${i}u < M) { let cRow = cBase + (row0 + ${i}u) * N;\n    ${inner.join('\n    ')}\n  }`);
  }

  const laneArg = c.sg > 0 ? ', @builtin(subgroup_invocation_id) lane: u32' : '';
  return `${c.sg > 0 ? 'enable subgroups;\n' : ''}${paramsWgsl(DIRECT_MATMUL_WORDS)}
${bindings(c.bVec || c.kVec ? 'vec4<f32>' : 'f32', c.cVec ? 'vec4<f32>' : 'f32', c.bias, c.kVec ? 'vec4<f32>' : 'f32', epi)}
@compute @workgroup_size(${c.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32${laneArg}) {
  let M = pu(0u); let K = pu(1u); let N = pu(2u); let batch = pu(3u);
  let gx = pu(6u); let gy = pu(7u); let splits = pu(8u); let kChunk = pu(9u);
  let gid = wid.x + wid.y * nwg.x;
  let by = gid % gy;
  let bx = (gid / gy) % gx;
  let bz = gid / gx / gy;
  let live = bz < batch * splits;
  let bzc = min(bz, batch * splits - 1u);
  let bi = bzc / splits;
  let s = bzc % splits;
  let aBase = bi * pu(4u);
  let bBase = bi * pu(5u);
  let cBase = (s * batch + bi) * M * N; // split-K slabs are [split][batch][M·N], as the reduction reads them
  let k0 = s * kChunk;
  let k1 = min(K, k0 + kChunk);
  let row0 = by * ${c.tm}u;
  let col4 = (bx * ${c.wg}u + lid) * ${c.nv}u;
  ${pro.join('\n  ')}
  for (var k = ${c.kVec ? 'k0 / 4u' : 'k0'}; k < ${c.kVec ? 'k1 / 4u' : 'k1'}; k++) {
    ${body.join('\n    ')}
  }
  ${st.join('\n  ')}
}`;
}

/** Prologue and k-loop body of the direct kernel stepping one k at a time. */
function scalarKLoop(c: DirectMatmulConfig, rowLoads: number, pro: string[], body: string[]): void {
  for (let r = 0; r < rowLoads; r++) {
    const row = c.sg > 0 ? `row0 + ${r * c.sg}u + lane` : `row0 + ${r}u`;
    pro.push(`let ar${r} = aBase + min(${row}, M - 1u)${c.transA ? '' : ' * K'};`);
  }
  for (let v = 0; v < c.nv; v++) {
    if (c.bVec) pro.push(`let bc${v} = bBase / 4u + min(col4 + ${v}u, N / 4u - 1u);`);
    else for (let j = 0; j < 4; j++) pro.push(`let bc${v}_${j} = bBase + min((col4 + ${v}u) * 4u + ${j}u, N - 1u)${c.transB ? ' * K' : ''};`);
  }
  const ka = c.transA ? 'k * M' : 'k';
  for (let r = 0; r < rowLoads; r++) body.push(`let av${r} = A[ar${r} + ${ka}];`);
  for (let v = 0; v < c.nv; v++) {
    if (c.bVec) body.push(`let b${v} = B[bc${v} + k * (N / 4u)];`);
    else {
      const e = (j: number) => (c.transB ? `B[bc${v}_${j} + k]` : `B[bc${v}_${j} + k * N]`);
      body.push(`let b${v} = vec4<f32>(${e(0)}, ${e(1)}, ${e(2)}, ${e(3)});`);
    }
  }
  for (let i = 0; i < c.tm; i++) {
    const a = c.sg > 0 ? `subgroupBroadcast(av${Math.floor(i / c.sg)}, ${i % c.sg}u)` : `av${i}`;
    body.push(`{ let a = vec4<f32>(${a});`);
    for (let v = 0; v < c.nv; v++) body.push(`  c${i}_${v} = fma(a, b${v}, c${i}_${v});`);
    body.push('}');
  }
}

/** Prologue and body of the kVec direct kernel: the loop runs over k/4, each vec4 load feeding 4 k steps. */
function kVecLoop(c: DirectMatmulConfig, rowLoads: number, pro: string[], body: string[]): void {
  for (let r = 0; r < rowLoads; r++) {
    const row = c.sg > 0 ? `row0 + ${r * c.sg}u + lane` : `row0 + ${r}u`;
    pro.push(`let ar${r} = aBase / 4u + min(${row}, M - 1u) * (K / 4u);`);
  }
  for (let v = 0; v < c.nv; v++) for (let j = 0; j < 4; j++) pro.push(`let bc${v}_${j} = bBase / 4u + min((col4 + ${v}u) * 4u + ${j}u, N - 1u) * (K / 4u);`);
  for (let r = 0; r < rowLoads; r++) body.push(`let av${r} = A[ar${r} + k];`);
  for (let v = 0; v < c.nv; v++) for (let j = 0; j < 4; j++) body.push(`let bq${v}_${j} = B[bc${v}_${j} + k];`);
  for (let kk = 0; kk < 4; kk++) {
    for (let v = 0; v < c.nv; v++) body.push(`let b${v}_${kk} = vec4<f32>(bq${v}_0[${kk}], bq${v}_1[${kk}], bq${v}_2[${kk}], bq${v}_3[${kk}]);`);
    for (let i = 0; i < c.tm; i++) {
      const a = c.sg > 0 ? `subgroupBroadcast(av${Math.floor(i / c.sg)}[${kk}], ${i % c.sg}u)` : `av${i}[${kk}]`;
      body.push(`{ let a = vec4<f32>(${a});`);
      for (let v = 0; v < c.nv; v++) body.push(`  c${i}_${v} = fma(a, b${v}_${kk}, c${i}_${v});`);
      body.push('}');
    }
  }
}

/** Columns of C one direct workgroup covers. @example directCols(cfg) // 4·nv·wg */
export function directCols(c: DirectMatmulConfig): number {
  return 4 * c.nv * c.wg;
}

/** Operand layout of {@link tiledMatmulWgsl}. */
export interface TiledMatmulConfig {
  transA: boolean;
  transB: boolean;
  rowsPerThread: number;
  bias: BiasMode;
  /** Fused activation / pre-activation output (default none). */
  epi?: KernelEpilogue;
}

/** Uniform words of the tiled matmul: M, K, N, batch, strideA, strideB, gx, gy, splits, kChunk. */
export const TILED_MATMUL_WORDS = 10;

/**
 * Batched matmul on the shared-memory tiled template (used on real GPUs). Same uniform layout and
 * split-K convention as the direct kernel; tile coordinates come from the linearised workgroup id.
 *
 * @example
 * const src = tiledMatmulWgsl({ transA: false, transB: true, rowsPerThread: 4, bias: 'col' });
 */
export function tiledMatmulWgsl(c: TiledMatmulConfig): string {
  const epi = c.epi ?? PLAIN_EPILOGUE;
  const aIdx = c.transA ? 'aBase + kc * pM + mm' : 'aBase + mm * pK + kc';
  const bIdx = c.transB ? 'bBase + nn * pK + kc' : 'bBase + kc * pN + nn';
  const hooks: TiledGemmHooks = {
    paramWords: TILED_MATMUL_WORDS,
    decls: `${bindings('f32', 'f32', c.bias, 'f32', epi)}
var<private> aBase: u32;
var<private> bBase: u32;
var<private> pM: u32;
var<private> pN: u32;
var<private> pK: u32;`,
    prologue: `let M = pu(0u); let K = pu(1u); let N = pu(2u); let batch = pu(3u);
  let gx = pu(6u); let gy = pu(7u); let splits = pu(8u); let kChunk = pu(9u);
  let bx = gid % gx;
  let by = (gid / gx) % gy;
  let bz = gid / gx / gy;
  let live = bz < batch * splits;
  let bzc = min(bz, batch * splits - 1u);
  let bi = bzc / splits;
  let s = bzc % splits;
  pM = M; pN = N; pK = K;
  aBase = bi * pu(4u);
  bBase = bi * pu(5u);
  let cBase = (s * batch + bi) * M * N; // split-K slabs are [split][batch][M·N], as the reduction reads them
  let k0 = s * kChunk;
  let k1 = min(K, k0 + kChunk);
  let mBase = by * ${16 * c.rowsPerThread}u;
  let nBase = bx * 64u;`,
    loadA: `let ok = m < pM && k < kEnd; let mm = min(m, pM - 1u); let kc = min(k, pK - 1u);
  return select(0.0, A[${aIdx}], ok);`,
    loadB: `let ok = n < pN && k < kEnd; let nn = min(n, pN - 1u); let kc = min(k, pK - 1u);
  return select(0.0, B[${bIdx}], ok);`,
    aAlongM: c.transA,
    bAlongN: !c.transB,
    store: `let o = cBase + m * N + n;
    ${c.bias === 'row' ? 'let v = acc + vec4<f32>(Bias[m]);' : c.bias === 'col' ? 'let v = acc + vec4<f32>(Bias[n], Bias[min(n + 1u, N - 1u)], Bias[min(n + 2u, N - 1u)], Bias[min(n + 3u, N - 1u)]);' : 'let v = acc;'}
    ${storeWgsl(epi, 'o', 'v.x', false, 'C')}
    if (n + 1u < N) { ${storeWgsl(epi, 'o + 1u', 'v.y', false, 'C')} }
    if (n + 2u < N) { ${storeWgsl(epi, 'o + 2u', 'v.z', false, 'C')} }
    if (n + 3u < N) { ${storeWgsl(epi, 'o + 3u', 'v.w', false, 'C')} }`,
    rowsPerThread: c.rowsPerThread,
  };
  return tiledGemmWgsl(hooks);
}

const REDUCE_WG = 256;

/**
 * Sums `splits` partial slabs: out[i] = Σ_s part[s·n + i] (+ bias[(i / inner) % channels] when `bias`), through the
 * optional epilogue.
 * Params: n, splits, inner, channels. With splits = 0 it writes just the bias.
 *
 * @example
 * ctx.dispatch('mm_splitk_reduce_0', () => splitKReduceWgsl(false), binds, new Params().u(n, splits, 1, 1), ctx.grid(n, SPLITK_REDUCE_WG));
 */
export function splitKReduceWgsl(bias: boolean, epi: KernelEpilogue = PLAIN_EPILOGUE): string {
  return `${paramsWgsl(4)}
@group(0) @binding(1) var<storage, read> P: array<f32>;
${bias ? '@group(0) @binding(2) var<storage, read> Bias: array<f32>;\n@group(0) @binding(3)' : '@group(0) @binding(2)'} var<storage, read_write> Y: array<f32>;
${preBindingWgsl(epi, bias ? 4 : 3, 'f32')}${epilogueFnsWgsl(epi)}${entry1d(REDUCE_WG)} {
  let i = ${linearIndex(REDUCE_WG)};
  let n = pu(0u);
  if (i >= n) { return; }
  var acc = 0.0;
  for (var s = 0u; s < pu(1u); s++) { acc += P[s * n + i]; }
  ${storeWgsl(epi, 'i', `acc${bias ? ' + Bias[(i / pu(2u)) % pu(3u)]' : ''}`, false)}
}`;
}

export { REDUCE_WG as SPLITK_REDUCE_WG };
