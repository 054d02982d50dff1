// WGSL template of the shared-memory tiled GEMM used on real GPUs: matmul and conv2d (implicit GEMM)
// plug in their own operand loaders and epilogue, the tiling and register blocking are shared.
import { paramsWgsl } from '../backend/webgpu/gpu-context.js';

/** Threads per workgroup side (the workgroup is TILE_THREADS × TILE_THREADS). */
export const TILE_THREADS = 16;
/** Depth of one K tile held in workgroup memory. */
export const TILE_K = 16;

/** Operand hooks of {@link tiledGemmWgsl}. */
export interface TiledGemmHooks {
  /** Extra declarations (bindings from @binding(1), helper functions). */
  decls: string;
  /** Number of uniform words the kernel reads (the template itself reads none). */
  paramWords: number;
  /**
   * WGSL statements run once per thread before the K loop, given `gid` (linear workgroup id). They must
   * define `M`, `N` (C's size), `k0`, `k1` (this workgroup's K range), `mBase`, `nBase` (tile origin) and
   * `live` (false for padding workgroups), and set any `var<private>` the loaders read.
   */
  prologue: string;
  /** Body of `fn loadA(m: u32, k: u32) -> f32`: zero outside the matrix or when `k >= kEnd` (a private var set to `k1`). */
  loadA: string;
  /** Body of `fn loadB(k: u32, n: u32) -> f32`. */
  loadB: string;
  /** True when 4 consecutive `m` of A at one `k` are contiguous in memory (stored K-major): loads then walk m. */
  aAlongM: boolean;
  /** True when 4 consecutive `n` of B at one `k` are contiguous (stored K×N): loads walk n. */
  bAlongN: boolean;
  /** Statements storing `acc: vec4<f32>` as C[m, n..n+3] (columns past N must be skipped). */
  store: string;
  /** Rows per thread: 4 or 8 (the tile is 16·rows × 64). */
  rowsPerThread: number;
  /**
   * Optional hoisted B gather (only with `bAlongN`): each thread loads the same 4 columns of B in every
   * K tile, so per-column work (e.g. conv's pixel → input offset) can run once before the K loop.
   * `setup(q, n)` emits statements for the thread's q-th load whose first column is `n` (columns n..n+3);
   * `load(q, j, k)` is the WGSL expression of B[k, n + j] (zero outside B or when k >= kEnd);
   * `perK(q, k)` emits statements shared by the 4 loads of one k (optional).
   */
  bGather?: { setup: (q: number, n: string) => string; perK?: (q: number, k: string) => string; load: (q: number, j: number, k: string) => string };
}

/**
 * A 16×16-thread workgroup computes a (16·R)×64 tile of C = A·B, R×4 outputs per thread, staging
 * 16-deep K slices of A and B in workgroup memory (A transposed so both operands are read as vec4).
 * Workgroup ids are linearised (`wid.x + wid.y·nwg.x`) so any tile count fits the 65535 limit;
 * the prologue turns `gid` into tile coordinates.
 *
 * @example
 * const src = tiledGemmWgsl({ decls, paramWords: 8, prologue, loadA, loadB, aAlongM: false, bAlongN: true, store, rowsPerThread: 4 });
 */
export function tiledGemmWgsl(h: TiledGemmHooks): string {
  const R = h.rowsPerThread;
  const BM = TILE_THREADS * R;
  const BN = TILE_THREADS * 4;
  const T = TILE_THREADS * TILE_THREADS;
  // A tile: BM × TILE_K elements loaded by T threads, 4 per load.
  const aLoads = (BM * TILE_K) / (4 * T);
  const bLoads = (BN * TILE_K) / (4 * T);
  const loadAStmts: string[] = [];
  for (let q = 0; q < aLoads; q++) {
    const e = `(tid + ${q * T}u)`;
    if (h.aAlongM) {
      // 4 consecutive m at one k: row-vector of As.
      loadAStmts.push(`{ let m4 = ${e} % ${BM / 4}u; let kk = ${e} / ${BM / 4}u; let m = mBase + m4 * 4u; let k = kt + kk;
      As[kk * ${BM / 4}u + m4] = vec4<f32>(loadA(m, k), loadA(m + 1u, k), loadA(m + 2u, k), loadA(m + 3u, k)); }`);
    } else {
      // 4 consecutive k at one m: scattered into 4 rows of As.
      loadAStmts.push(`{ let mm = ${e} / ${TILE_K / 4}u; let kq = (${e} % ${TILE_K / 4}u) * 4u; let m = mBase + mm;
      for (var j = 0u; j < 4u; j++) { As[(kq + j) * ${BM / 4}u + mm / 4u][mm % 4u] = loadA(m, kt + kq + j); } }`);
    }
  }
  const loadBStmts: string[] = [];
  const bSetup: string[] = [];
  for (let q = 0; q < bLoads; q++) {
    const e = `(tid + ${q * T}u)`;
    if (h.bAlongN && h.bGather) {
      const G = h.bGather;
      bSetup.push(`let bn${q} = nBase + (${e} % ${BN / 4}u) * 4u; let bkk${q} = ${e} / ${BN / 4}u;\n  ${G.setup(q, `bn${q}`)}`);
      loadBStmts.push(`{ let k = kt + bkk${q}; ${G.perK ? G.perK(q, 'k') : ''}
      Bs[bkk${q} * ${BN / 4}u + (${e} % ${BN / 4}u)] = vec4<f32>(${[0, 1, 2, 3].map((j) => G.load(q, j, 'k')).join(', ')}); }`);
    } else if (h.bAlongN) {
      loadBStmts.push(`{ let n4 = ${e} % ${BN / 4}u; let kk = ${e} / ${BN / 4}u; let n = nBase + n4 * 4u; let k = kt + kk;
      Bs[kk * ${BN / 4}u + n4] = vec4<f32>(loadB(k, n), loadB(k, n + 1u), loadB(k, n + 2u), loadB(k, n + 3u)); }`);
    } else {
      loadBStmts.push(`{ let nn = ${e} / ${TILE_K / 4}u; let kq = (${e} % ${TILE_K / 4}u) * 4u; let n = nBase + nn;
      for (var j = 0u; j < 4u; j++) { Bs[(kq + j) * ${BN / 4}u + nn / 4u][nn % 4u] = loadB(kt + kq + j, n); } }`);
    }
  }
  const accDecl = Array.from({ length: R }, (_, i) => `var acc${i} = vec4<f32>(0.0);`).join('\n  ');
  const fmas: string[] = [];
  for (let i = 0; i < R; i++) {
    const av = `a${Math.floor(i / 4)}[${i % 4}]`;
    fmas.push(`acc${i} = fma(vec4<f32>(${av}), b, acc${i});`);
  }
  const aReads = Array.from({ length: R / 4 }, (_, q) => `let a${q} = As[kk * ${BM / 4}u + ty * ${R / 4}u + ${q}u];`).join(' ');
  const stores = Array.from({ length: R }, (_, i) => `{ let m = mBase + ty * ${R}u + ${i}u; let n = nBase + tx * 4u; let acc = acc${i};
    if (live && m < M && n < N) { ${h.store} } }`).join('\n  ');
  return `${paramsWgsl(h.paramWords)}
${h.decls}
var<workgroup> As: array<vec4<f32>, ${(TILE_K * BM) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(TILE_K * BN) / 4}>;
var<private> kEnd: u32;
fn loadA(m: u32, k: u32) -> f32 { ${h.loadA} }
fn loadB(k: u32, n: u32) -> f32 { ${h.loadB} }
@compute @workgroup_size(${TILE_THREADS}, ${TILE_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let gid = wid.x + wid.y * nwg.x;
  let tx = lid.x;
  let ty = lid.y;
  let tid = ty * ${TILE_THREADS}u + tx;
  ${h.prologue}
  kEnd = k1;
  ${bSetup.join('\n  ')}
  ${accDecl}
  for (var kt = k0; kt < k1; kt += ${TILE_K}u) {
    ${loadAStmts.join('\n    ')}
    ${loadBStmts.join('\n    ')}
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
      ${aReads}
      let b = Bs[kk * ${BN / 4}u + tx];
      ${fmas.join('\n      ')}
    }
    workgroupBarrier();
  }
  ${stores}
}`;
}

/** Rows of C covered by one tiled workgroup. @example tiledRows(4) // 64 */
export function tiledRows(rowsPerThread: number): number {
  return TILE_THREADS * rowsPerThread;
}
/** Columns of C covered by one tiled workgroup. */
export const TILED_COLS = TILE_THREADS * 4;
