// WebGPU reductions: picks the row (workgroup tree) or column (thread per output) kernel and recurses over
// partial results, so long sums are combined pairwise across passes instead of in one serial loop.
import type { BackendBuffer, ReduceOp } from '../backend.js';
import type { DType } from '../../dtype.js';
import { GpuBuffer, type GpuContext, Params, wgslType } from './gpu-context.js';
import { gpuFill } from './core.js';
import { traits } from './linalg.js';
import {
  COL_CHUNK, REDUCE_WG, ROW_CHUNK, SCAN_BLOCK, argReduceColWgsl, argReduceRowWgsl, cumsumWgsl, reduceColWgsl, reduceRowSubgroupWgsl, reduceRowWgsl,
} from '../../kernels/reduce.js';

const g = (b: BackendBuffer) => b as GpuBuffer;

/** Rows at least this long (with inner = 1) use one workgroup per row chunk; shorter ones a thread per row. */
const ROW_MIN_LEN = 128;

function identityValue(op: ReduceOp, dtype: DType): number {
  if (op === 'sum') return 0;
  if (op === 'prod') return 1;
  if (dtype === 'float32') return op === 'max' ? -Infinity : Infinity;
  if (dtype === 'int32') return op === 'max' ? -2147483648 : 2147483647;
  return op === 'max' ? 0 : 4294967295;
}

/** One reduction level; returns after recording every pass (temporaries go back to the pool in queue order). */
function reduceLevel(ctx: GpuContext, op: ReduceOp, x: GpuBuffer, out: GpuBuffer, outer: number, len: number, inner: number, dtype: DType): void {
  const t = wgslType(dtype);
  const row = inner === 1 && len >= ROW_MIN_LEN;
  const chunk = row ? ROW_CHUNK : COL_CHUNK;
  const nChunks = Math.ceil(len / chunk);
  const dst = nChunks === 1 ? out : ctx.alloc(outer * nChunks * inner * 4, 'reduce');
  const bindings = [{ buf: x }, { buf: dst, write: true }];
  if (row) {
    const groups = outer * nChunks;
    const { software, sg } = traits(ctx);
    if (software && sg > 0) {
      ctx.dispatch(`reduce_rowsg${sg}_${op}_${t}`, () => reduceRowSubgroupWgsl(op, t, sg), bindings, new Params().u(len, nChunks, chunk, groups), ctx.grid(groups, 1));
    } else {
      ctx.dispatch(`reduce_row_${op}_${t}`, () => reduceRowWgsl(op, t), bindings, new Params().u(len, nChunks, chunk, groups), ctx.grid(groups, 1));
    }
  } else {
    const total = outer * nChunks * inner;
    ctx.dispatch(`reduce_col_${op}_${t}`, () => reduceColWgsl(op, t), bindings, new Params().u(len, inner, nChunks, chunk, total), ctx.grid(total, REDUCE_WG));
  }
  if (dst !== out) {
    reduceLevel(ctx, op, dst, out, outer, nChunks, inner, dtype);
    ctx.release(dst);
  }
}

/**
 * sum/prod/max/min over the middle axis of (outer, len, inner). Long axes are reduced in several passes
 * (chunks of 2048 per workgroup for rows, 64 per thread for columns) whose partials are reduced again.
 *
 * @example
 * gpuReduce(ctx, 'sum', x, out, 4, 1000, 1, 'float32');
 */
export function gpuReduce(ctx: GpuContext, op: ReduceOp, x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void {
  const n = outer * inner;
  if (n === 0) return;
  if (len === 0) {
    gpuFill(ctx, out, n, dtype, identityValue(op, dtype));
    return;
  }
  reduceLevel(ctx, op, g(x), g(out), outer, len, inner, dtype);
}

/**
 * Index (int32) of the first max/min along the middle axis; NaN counts as the extreme, like torch.
 *
 * @example
 * gpuArgReduce(ctx, 'argmax', x, out, 8, 10, 1, 'float32');
 */
export function gpuArgReduce(ctx: GpuContext, op: 'argmax' | 'argmin', x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void {
  const n = outer * inner;
  if (n === 0) return;
  if (len === 0) {
    gpuFill(ctx, out, n, 'int32', 0);
    return;
  }
  const t = wgslType(dtype);
  if (inner === 1 && len >= ROW_MIN_LEN) {
    argRowLevel(ctx, op, g(x), null, g(out), outer, len, t);
    return;
  }
  ctx.dispatch(
    `argreduce_col_${op}_${t}`,
    () => argReduceColWgsl(op, t),
    [{ buf: g(x) }, { buf: g(out), write: true }],
    new Params().u(len, inner, n),
    ctx.grid(n, REDUCE_WG),
  );
}

/** One row-kernel level of argmax/argmin; long rows produce (value, index) partials reduced by the next level. */
function argRowLevel(ctx: GpuContext, op: 'argmax' | 'argmin', x: GpuBuffer, xi: GpuBuffer | null, out: GpuBuffer, outer: number, len: number, t: 'f32' | 'i32' | 'u32'): void {
  const nChunks = Math.ceil(len / ROW_CHUNK);
  const groups = outer * nChunks;
  const final = nChunks === 1;
  const inputs = xi ? [{ buf: x }, { buf: xi }] : [{ buf: x }];
  const p = new Params().u(len, nChunks, ROW_CHUNK, groups);
  const key = `argreduce_row_${op}_${t}_${xi ? 'i' : 'v'}_${final ? 'f' : 'p'}`;
  const src = () => argReduceRowWgsl(op, t, xi !== null, final);
  if (final) {
    ctx.dispatch(key, src, [...inputs, { buf: out, write: true }], p, ctx.grid(groups, 1));
    return;
  }
  const pv = ctx.alloc(groups * 4, 'argReduce');
  const pi = ctx.alloc(groups * 4, 'argReduce');
  ctx.dispatch(key, src, [...inputs, { buf: pv, write: true }, { buf: pi, write: true }], p, ctx.grid(groups, 1));
  argRowLevel(ctx, op, pv, pi, out, outer, nChunks, t);
  ctx.release(pv);
  ctx.release(pi);
}

/**
 * Inclusive prefix sums along the middle axis. Axes longer than one block are scanned in three steps:
 * block sums (the column reduce kernel), a recursive cumsum of those, then a serial scan of each block
 * seeded with its prefix, so every output is a short chain of additions.
 *
 * @example
 * gpuCumsum(ctx, x, out, 1, 5000, 1, 'float32');
 */
export function gpuCumsum(ctx: GpuContext, x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void {
  const n = outer * inner;
  if (n === 0 || len === 0) return;
  const t = wgslType(dtype);
  const nBlocks = Math.ceil(len / SCAN_BLOCK);
  const total = n * nBlocks;
  const p = new Params().u(len, inner, nBlocks, SCAN_BLOCK, total);
  if (nBlocks === 1) {
    ctx.dispatch(`cumsum_${t}`, () => cumsumWgsl(t, false), [{ buf: g(x) }, { buf: g(out), write: true }], p, ctx.grid(total, REDUCE_WG));
    return;
  }
  const sums = ctx.alloc(total * 4, 'cumsum');
  ctx.dispatch(
    `reduce_col_sum_${t}`,
    () => reduceColWgsl('sum', t),
    [{ buf: g(x) }, { buf: sums, write: true }],
    new Params().u(len, inner, nBlocks, SCAN_BLOCK, total),
    ctx.grid(total, REDUCE_WG),
  );
  const prefix = ctx.alloc(total * 4, 'cumsum');
  gpuCumsum(ctx, sums, prefix, outer, nBlocks, inner, dtype);
  ctx.release(sums);
  ctx.dispatch(`cumsum_carry_${t}`, () => cumsumWgsl(t, true), [{ buf: g(x) }, { buf: prefix }, { buf: g(out), write: true }], p, ctx.grid(total, REDUCE_WG));
  ctx.release(prefix);
}
