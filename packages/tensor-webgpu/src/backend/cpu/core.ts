// CPU kernels for creation, elementwise, cast and strided copies: the ground truth the WGSL kernels are tested against.
import type { BackendBuffer, BinaryOp, RandomSpec, Strided, UnaryBackwardOp, UnaryOp } from '../backend.js';
import type { DType } from '../../dtype.js';
import { philox4x32, randomValue } from '../../random.js';
import { arr, forEachStrided } from './cpu-buffer.js';
import { BINARY_CPU, UNARY_BACKWARD_CPU, UNARY_CPU } from './elementwise.js';

export function cpuFill(out: BackendBuffer, numel: number, _dtype: DType, value: number): void {
  arr(out).fill(value, 0, numel);
}

export function cpuRandom(out: BackendBuffer, numel: number, _dtype: DType, spec: RandomSpec): void {
  const o = arr(out);
  const block = new Uint32Array(4);
  const [lo, hi] = spec.counter;
  for (let base = 0; base < numel; base += 4) {
    const b = base / 4 + lo;
    philox4x32(b >>> 0, (hi + Math.floor(b / 0x100000000)) >>> 0, 0, 0, spec.key[0], spec.key[1], block);
    for (let j = 0; j < 4 && base + j < numel; j++) o[base + j] = randomValue(spec, block, j);
  }
}

export function cpuArange(out: BackendBuffer, numel: number, _dtype: DType, start: number, step: number): void {
  const o = arr(out);
  for (let i = 0; i < numel; i++) o[i] = start + i * step;
}

export function cpuUnaryBackward(op: UnaryBackwardOp, g: BackendBuffer, x: BackendBuffer, out: BackendBuffer, numel: number, alpha: number): void {
  const f = UNARY_BACKWARD_CPU[op];
  const gi = arr(g);
  const xi = arr(x);
  const o = arr(out);
  const a = Math.fround(alpha);
  for (let i = 0; i < numel; i++) o[i] = gi[i]! * f(xi[i]!, a);
}

export function cpuUnary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, numel: number, dtype: DType, alpha: number, beta: number): void {
  const f = UNARY_CPU[op];
  const xi = arr(x);
  const o = arr(out);
  // Float ops see their parameters in float32, as the WebGPU kernels (and torch's float kernels) do.
  const a = dtype === 'float32' ? Math.fround(alpha) : alpha;
  const b = dtype === 'float32' ? Math.fround(beta) : beta;
  for (let i = 0; i < numel; i++) o[i] = f(xi[i]!, a, b);
}

export function cpuCast(x: BackendBuffer, out: BackendBuffer, numel: number, _from: DType, to: DType): void {
  const xi = arr(x);
  const o = arr(out);
  if (to === 'bool') for (let i = 0; i < numel; i++) o[i] = xi[i] !== 0 ? 1 : 0;
  else if (to === 'float32') for (let i = 0; i < numel; i++) o[i] = xi[i]!;
  else for (let i = 0; i < numel; i++) o[i] = Number.isNaN(xi[i]) ? 0 : Math.trunc(xi[i]!);
}

export function cpuBinary(op: BinaryOp, a: Strided, b: Strided, out: BackendBuffer, shape: number[], inDtype: DType, _outDtype: DType): void {
  const f = BINARY_CPU[op];
  const int = inDtype !== 'float32';
  const av = arr(a.buf);
  const bv = arr(b.buf);
  const o = arr(out);
  forEachStrided(shape, [a.strides, b.strides], [a.offset, b.offset], (i, offs) => {
    o[i] = f(av[offs[0]!]!, bv[offs[1]!]!, int);
  });
}

export function cpuWhere(cond: Strided, a: Strided, b: Strided, out: BackendBuffer, shape: number[], _dtype: DType): void {
  const cv = arr(cond.buf);
  const av = arr(a.buf);
  const bv = arr(b.buf);
  const o = arr(out);
  forEachStrided(shape, [cond.strides, a.strides, b.strides], [cond.offset, a.offset, b.offset], (i, offs) => {
    o[i] = cv[offs[0]!] ? av[offs[1]!]! : bv[offs[2]!]!;
  });
}

export function cpuCopy(src: Strided, out: BackendBuffer, shape: number[], _dtype: DType): void {
  const s = arr(src.buf);
  const o = arr(out);
  forEachStrided(shape, [src.strides], [src.offset], (i, offs) => {
    o[i] = s[offs[0]!]!;
  });
}

export function cpuCopyInto(src: BackendBuffer, dst: Strided, shape: number[], _dtype: DType): void {
  const s = arr(src);
  const d = arr(dst.buf);
  forEachStrided(shape, [dst.strides], [dst.offset], (i, offs) => {
    d[offs[0]!] = s[i]!;
  });
}
