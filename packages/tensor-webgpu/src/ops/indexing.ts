// Indexing and padding ops: gather, indexSelect, pad (four modes, torch's validity rules) and
// pixelShuffle/pixelUnshuffle (reshape + permute).
import type { PadMode } from '../backend/backend.js';
import { coerceScalar } from '../dtype.js';
import { check, fmtShape } from '../errors.js';
import { normDim, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { expand, narrow, permute, reshape } from './movement.js';
import { backendOf, empty, viewOf } from './util.js';
import { record } from '../autograd/node.js';
import { arange, zeros } from './creation.js';

/** An int32 version of an integer index tensor (second value: dispose it). */
function indexTensor(op: string, index: Tensor): [Tensor, boolean] {
  check(index.dtype === 'int32' || index.dtype === 'uint32', op, `index must be an int32 tensor, got ${index.dtype} of shape ${fmtShape(index.shape)}`);
  return index.dtype === 'int32' ? [index, false] : [index.to('int32'), true];
}

/**
 * torch.gather: `out[i][j] = x[index[i][j]][j]` for `dim = 0` (any rank). `index` is int32 with x's rank and
 * `index.shape[d] <= x.shape[d]` for every `d != dim`; the result has index's shape.
 * Index values cannot be checked without a readback, so out-of-range indices throw on the CPU and give 0 on
 * WebGPU (its kernel never reads out of bounds).
 *
 * @example
 * gather(tensor([[1, 2], [3, 4]]), 1, tensor([[0, 0], [1, 0]], { dtype: 'int32' })); // [[1, 1], [4, 3]]
 */
export function gather(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = 'gather';
  const backend = backendOf(op, x, index);
  const d = normDim(op, dim, x.ndim);
  const xShape = x.ndim === 0 ? [1] : [...x.shape];
  const iShape = index.ndim === 0 ? [1] : [...index.shape];
  check(iShape.length === xShape.length, op, `index ${fmtShape(index.shape)} must have the same number of dims as the input ${fmtShape(x.shape)}`);
  check(
    iShape.every((s, i) => i === d || s <= xShape[i]!),
    op,
    `index ${fmtShape(index.shape)} must not be larger than the input ${fmtShape(x.shape)} outside dim ${dim}`,
  );
  const [idx, own] = indexTensor(op, index);
  try {
    const out = empty(op, backend, index.shape, x.dtype);
    if (out.size > 0) backend.gather(x.buf(op), xShape, idx.buf(op), iShape, d, out.buf(op), x.dtype);
    const inShape = [...x.shape];
    return record(op, out, [x], (g, [is]) => [scatterAdd(zeros(inShape, { backend: g.backend }), d, is!, g)], [idx]);
  } finally {
    if (own) idx.dispose();
  }
}

/**
 * torch.index_select: the slices of `x` along `dim` named by the 1-D int32 `index` (repeats allowed).
 * Out-of-range indices throw on the CPU and give 0 on WebGPU.
 *
 * @example
 * indexSelect(x, 0, tensor([2, 0], { dtype: 'int32' })); // rows 2 and 0
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  const op = 'indexSelect';
  const backend = backendOf(op, x, index);
  const d = normDim(op, dim, x.ndim);
  check(index.ndim <= 1, op, `index must be a vector (1-D), got shape ${fmtShape(index.shape)}`);
  const count = index.size;
  const xShape = x.ndim === 0 ? [1] : [...x.shape];
  const outShape = x.ndim === 0 ? (index.ndim === 0 ? [] : [count]) : xShape.map((s, i) => (i === d ? count : s));
  const [idx, own] = indexTensor(op, index);
  try {
    const out = empty(op, backend, outShape, x.dtype);
    if (out.size > 0) backend.indexSelect(x.buf(op), xShape, idx.buf(op), count, d, out.buf(op), x.dtype);
    const inShape = [...x.shape];
    // Adjoint: scatter-add every selected slice back, with the index broadcast over the slice.
    return record(op, out, [x], (g, [is]) => {
      if (inShape.length === 0) return [reshape(g.sum(), [])];
      const view = inShape.map((_, i) => (i === d ? count : 1));
      const full = expand(reshape(is!, view), g.shape);
      return [scatterAdd(zeros(inShape, { backend: g.backend }), d, full, g)];
    }, [idx]);
  } finally {
    if (own) idx.dispose();
  }
}

const MODES: readonly PadMode[] = ['constant', 'reflect', 'replicate', 'circular'];

/**
 * Pads the trailing dims (torch.nn.functional.pad): `pad` lists (before, after) pairs starting from the
 * last dim. `constant` fills with `value` and accepts negative pads (cropping) on any number of dims;
 * `reflect` (pads < size), `replicate` and `circular` (pads <= size, batched input only) pad the last 1–3
 * dims of inputs with one or two leading dims, like torch. Negative pads crop in every mode (circular
 * wraps around the cropped tensor, as torch does).
 *
 * @example
 * pad(x, [1, 1, 2, 2]);               // W by 1 each side, H by 2, zeros
 * pad(img, [2, 2, 2, 2], 'reflect');  // img: [N, C, H, W]
 */
export function pad(x: Tensor, padding: readonly number[], mode: PadMode = 'constant', value = 0): Tensor {
  const op = 'pad';
  const backend = backendOf(op, x);
  check(MODES.includes(mode), op, `unknown mode '${mode}' (expected one of ${MODES.join(', ')})`);
  check(padding.every((p) => Number.isInteger(p)), op, `padding must be integers, got ${fmtShape(padding)}`);
  check(padding.length % 2 === 0, op, `padding length must be divisible by 2, got ${padding.length}`);
  const k = padding.length / 2;
  check(k <= x.ndim, op, `padding ${fmtShape(padding)} covers ${k} dims but the input ${fmtShape(x.shape)} has only ${x.ndim}`);
  const before = new Array<number>(x.ndim).fill(0);
  const after = new Array<number>(x.ndim).fill(0);
  for (let j = 0; j < k; j++) {
    before[x.ndim - 1 - j] = padding[2 * j]!;
    after[x.ndim - 1 - j] = padding[2 * j + 1]!;
  }
  const outShape = x.shape.map((s, d) => s + before[d]! + after[d]!);
  if (mode !== 'constant') {
    check(value === 0, op, `mode '${mode}' does not take a fill value (got ${value})`);
    const batched = mode === 'circular' ? [k + 2] : [k + 1, k + 2];
    check(
      k >= 1 && k <= 3 && batched.includes(x.ndim),
      op,
      `mode '${mode}' pads 1 to 3 trailing dims of an input with ${mode === 'circular' ? 'two leading (N, C) dims' : 'one or two leading dims'}; got padding ${fmtShape(padding)} for input ${fmtShape(x.shape)}`,
    );
    for (let d = x.ndim - k; d < x.ndim; d++) {
      const n = x.shape[d]!;
      if (mode === 'reflect') {
        check(before[d]! < n && after[d]! < n, op, `reflect padding must be smaller than the padded dim: got (${before[d]}, ${after[d]}) for dim ${d} of size ${n} (input ${fmtShape(x.shape)})`);
      } else if (mode === 'circular') {
        check(before[d]! <= n && after[d]! <= n, op, `circular padding must not exceed the padded dim (it would wrap more than once): got (${before[d]}, ${after[d]}) for dim ${d} of size ${n} (input ${fmtShape(x.shape)})`);
      }
      check(outShape[d]! >= 1, op, `input ${fmtShape(x.shape)} is too small for padding ${fmtShape(padding)}: dim ${d} would have size ${outShape[d]}`);
    }
  }
  check(outShape.every((s) => s >= 0), op, `negative padding ${fmtShape(padding)} removes more than the input ${fmtShape(x.shape)} holds (result ${fmtShape(outShape)})`);
  if (mode === 'circular' && padding.some((p) => p < 0)) {
    // torch crops first and wraps around the cropped tensor (the kernel wraps around the whole input).
    const cropped = pad(x, padding.map((p) => Math.min(p, 0)), 'constant');
    try {
      return pad(cropped, padding.map((p) => Math.max(p, 0)), 'circular');
    } finally {
      cropped.dispose();
    }
  }
  const out = empty(op, backend, outShape, x.dtype);
  if (out.size > 0) {
    backend.pad(x.buf(op), [...x.shape], out.buf(op), outShape, before, mode, coerceScalar(value, x.dtype), x.dtype);
  }
  const inShape = [...x.shape];
  // Adjoint: padding the flat index map of the input tells where each output element came from; the gradient is the
  // scatter-add of the output gradient into those sources. Constant mode marks padded cells n: they land in a spare
  // slot that is dropped, so every index stays in range and the scatter's own gradient (a gather) works — pad is
  // differentiable twice (e.g. R1 penalties through a zero-padding op).
  return record(op, out, [x], (g) => {
    const n = sizeOf(inShape);
    const src = pad(reshape(arange(n, { backend: g.backend, dtype: 'int32' }), inShape), padding, mode, mode === 'constant' ? n : 0);
    const flat = scatterAdd(zeros([n + 1], { backend: g.backend }), 0, reshape(src, [-1]), reshape(g, [-1]));
    return [reshape(narrow(flat, 0, 0, n), inShape)];
  });
}

/**
 * torch.scatter_add: a copy of `x` with `src[p]` added at `p` with coordinate `dim` replaced by `index[p]`,
 * for every position `p` of `index` (int32, same rank as `x`, not larger than `src`). Out-of-range indices are
 * skipped. Differentiable in `x` and `src` (float32 sums use atomics on WebGPU, so their order may vary).
 *
 * @example
 * scatterAdd(zeros([3]), 0, tensor([0, 2, 0], { dtype: 'int32' }), tensor([1, 2, 3])); // [4, 0, 2]
 */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  const op = 'scatterAdd';
  const backend = backendOf(op, x, index, src);
  check(x.dtype === 'float32' || x.dtype === 'int32', op, `supports float32 and int32 tensors, got ${x.dtype}`);
  check(src.dtype === x.dtype, op, `src dtype ${src.dtype} differs from the input's ${x.dtype}`);
  const d = normDim(op, dim, x.ndim);
  const xShape = x.ndim === 0 ? [1] : [...x.shape];
  const iShape = index.ndim === 0 ? [1] : [...index.shape];
  check(iShape.length === xShape.length && src.ndim === index.ndim, op, `index ${fmtShape(index.shape)}, src ${fmtShape(src.shape)} and input ${fmtShape(x.shape)} must have the same number of dims`);
  check(iShape.every((s, i) => (i === d || s <= xShape[i]!) && s <= (src.ndim === 0 ? 1 : src.shape[i]!)), op, `index ${fmtShape(index.shape)} must fit in src ${fmtShape(src.shape)}, and in the input ${fmtShape(x.shape)} outside dim ${dim}`);
  const [idx, own] = indexTensor(op, index);
  // The kernel reads src densely in the index's shape.
  const srcFit = src.shape.every((s, i) => s === iShape[i]) ? src : narrowTo(src, iShape);
  const out = x.clone();
  if (idx.size > 0) backend.scatterAdd(srcFit.buf(op), idx.buf(op), iShape, d, out.buf(op), xShape, x.dtype);
  const result = record(op, out, [x, src], (g, [is]) => {
    const gs = gather(g, d, is!);
    const gsrc = srcFit === src ? gs : padTo(gs, src.shape);
    return [g, gsrc];
  }, [idx]);
  if (srcFit !== src) srcFit.dispose();
  if (own) idx.dispose();
  return result;
}

function narrowTo(t: Tensor, shape: readonly number[]): Tensor {
  let cur = t;
  shape.forEach((s, i) => {
    if (cur.shape[i] !== s) {
      const next = cur.narrow(i, 0, s);
      if (cur !== t) cur.dispose();
      cur = next;
    }
  });
  return cur;
}

function padTo(t: Tensor, shape: readonly number[]): Tensor {
  const p: number[] = [];
  for (let i = shape.length - 1; i >= 0; i--) p.push(0, shape[i]! - t.shape[i]!);
  return pad(t, p);
}

function checkFactor(op: string, r: number): void {
  check(Number.isInteger(r) && r > 0, op, `the factor must be a positive integer, got ${r}`);
}

/**
 * Rearranges (*, C·r², H, W) into (*, C, H·r, W·r) (torch.nn.functional.pixel_shuffle).
 *
 * @example
 * pixelShuffle(x, 2); // [1, 12, 4, 4] → [1, 3, 8, 8]
 */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  backendOf(op, x);
  checkFactor(op, upscaleFactor);
  const r = upscaleFactor;
  check(x.ndim >= 3, op, `expects input of shape (*, C, H, W), got ${fmtShape(x.shape)}`);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  check(c % (r * r) === 0, op, `channels ${c} of ${fmtShape(x.shape)} must be divisible by upscaleFactor² = ${r * r}`);
  const lead = x.shape.slice(0, -3);
  const oc = c / (r * r);
  const v = reshape(x, [sizeOf(lead), oc, r, r, h, w]);
  const p = permute(v, [0, 1, 4, 2, 5, 3]);
  v.dispose();
  const out = viewOf(p, [...lead, oc, h * r, w * r], op);
  p.dispose();
  return out;
}

/**
 * Inverse of {@link pixelShuffle}: (*, C, H·r, W·r) → (*, C·r², H, W).
 *
 * @example
 * pixelUnshuffle(y, 2); // [1, 3, 8, 8] → [1, 12, 4, 4]
 */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = 'pixelUnshuffle';
  backendOf(op, x);
  checkFactor(op, downscaleFactor);
  const r = downscaleFactor;
  check(x.ndim >= 3, op, `expects input of shape (*, C, H, W), got ${fmtShape(x.shape)}`);
  const [c, h, w] = x.shape.slice(-3) as [number, number, number];
  check(h % r === 0 && w % r === 0, op, `height and width of ${fmtShape(x.shape)} must be divisible by downscaleFactor ${r}`);
  const lead = x.shape.slice(0, -3);
  const v = reshape(x, [sizeOf(lead), c, h / r, r, w / r, r]);
  const p = permute(v, [0, 1, 3, 5, 2, 4]);
  v.dispose();
  const out = viewOf(p, [...lead, c * r * r, h / r, w / r], op);
  p.dispose();
  return out;
}
