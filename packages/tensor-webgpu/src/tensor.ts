// The Tensor: shape, dtype and a reference-counted device storage; its methods delegate to ops/.
import type { Backend, BackendBuffer } from './backend/backend.js';
import { type DType, type DataArray, toDataArray } from './dtype.js';
import { RadixError, fmtShape } from './errors.js';
import { track, untrack } from './memory.js';
import { sizeOf, stridesOf, type Shape } from './shape.js';
import * as O from './ops/index.js';
import { record, type GradNode } from './autograd/node.js';
import { backward as runBackward, type BackwardOptions } from './autograd/backward.js';

/** @internal Device storage shared by a tensor and its reshaped views. */
export class Storage {
  refs = 1;
  constructor(
    readonly backend: Backend,
    readonly buf: BackendBuffer,
    readonly numel: number,
  ) {}
  release(): void {
    if (--this.refs === 0) this.backend.release(this.buf);
  }
}

/** Scalar operand accepted wherever a tensor is (broadcast like a 0-d tensor). */
export type TensorLike = Tensor | number | boolean;

/**
 * An n-dimensional array on a backend. Tensors are contiguous and immutable; every op returns a new one.
 * Free device memory with `dispose()`, `tidy()` or `using`.
 *
 * @example
 * const x = tensor([[1, 2], [3, 4]]);
 * const y = x.matmul(x).add(1);
 * console.log(await y.data()); // Float32Array [8, 11, 16, 23]
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly backend: Backend;
  #storage: Storage | null;
  #requiresGrad = false;
  #gradFn: GradNode | null = null;
  readonly #internal: boolean;
  /** Gradient accumulated by `backward()` (leaf tensors that require grad). */
  grad: Tensor | null = null;

  /** @internal Use the creation functions (`tensor`, `zeros`, ...) instead. */
  constructor(storage: Storage, shape: Shape, dtype: DType, internal = false) {
    this.#storage = storage;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.backend = storage.backend;
    this.#internal = internal;
    if (!internal) track(this);
  }

  /** True when gradients flow to or through this tensor. */
  get requiresGrad(): boolean {
    return this.#requiresGrad;
  }
  /** The recorded op that produced this tensor (null for leaves). */
  get gradFn(): GradNode | null {
    return this.#gradFn;
  }
  /** True for tensors not produced by a recorded op (user-created tensors and parameters). */
  get isLeaf(): boolean {
    return this.#gradFn === null;
  }
  /**
   * Marks a leaf tensor as requiring gradients (in place; returns `this`), like `torch.Tensor.requires_grad_`.
   *
   * @example
   * const w = randn([3, 3]).requiresGrad_();
   */
  requiresGrad_(flag = true): this {
    if (!this.isLeaf && !flag) {
      throw new RadixError('requiresGrad_', 'cannot turn off gradients of a non-leaf tensor; use detach()');
    }
    if (flag && this.dtype !== 'float32') {
      throw new RadixError('requiresGrad_', `only float32 tensors can require gradients, got ${this.dtype}`);
    }
    this.#requiresGrad = flag;
    return this;
  }
  /** @internal Called by autograd when an op is recorded. */
  setGradFn(node: GradNode): void {
    this.#gradFn = node;
    this.#requiresGrad = true;
  }
  /**
   * @internal A handle sharing this storage, invisible to tidy scopes and live counts (saved for backward).
   * It stays connected to this tensor's graph, so rules evaluated with createGraph differentiate through it.
   */
  internalView(): Tensor {
    const s = this.storage('backward');
    s.refs++;
    const v = new Tensor(s, this.shape, this.dtype, true);
    if (this.#gradFn) {
      this.#gradFn.refs++;
      v.#gradFn = this.#gradFn;
      v.#requiresGrad = true;
    } else if (this.#requiresGrad) {
      record('alias', v, [this], (g) => [g]);
    }
    return v;
  }
  /**
   * A tensor sharing this storage, cut from the graph (no gradient flows through it).
   *
   * @example
   * const target = y.detach();
   */
  detach(): Tensor {
    const s = this.storage('detach');
    s.refs++;
    return new Tensor(s, this.shape, this.dtype);
  }
  /**
   * Accumulates gradients of this tensor into the `.grad` of every leaf it depends on.
   *
   * @example
   * loss.backward();
   */
  backward(options: BackwardOptions = {}): void {
    runBackward(this, options);
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  /** Row-major strides in elements. */
  get strides(): number[] {
    return stridesOf(this.shape);
  }
  /** True after `dispose()`. */
  get isDisposed(): boolean {
    return this.#storage === null;
  }
  /** @internal The storage; throws if the tensor was disposed. */
  storage(op: string): Storage {
    if (!this.#storage) throw new RadixError(op, `tensor of shape ${fmtShape(this.shape)} was used after dispose()`);
    return this.#storage;
  }
  /** @internal Device buffer, checked for use after dispose. */
  buf(op: string): BackendBuffer {
    return this.storage(op).buf;
  }

  /** Frees the tensor's device memory (idempotent). */
  dispose(): void {
    if (!this.#storage) return;
    this.#storage.release();
    this.#storage = null;
    if (!this.#internal) untrack(this);
    this.#gradFn?.unref();
    this.#gradFn = null;
  }
  /**
   * @internal Makes this tensor hold `other`'s storage (same shape, dtype and backend) without changing its
   * identity: how optimizers and `loadStateDict` update parameters "in place". Keeps requiresGrad, drops any
   * gradFn (the tensor becomes a leaf) and releases the old storage; `other` stays valid (dispose it as usual).
   */
  _replaceStorage(other: Tensor): void {
    const op = '_replaceStorage';
    const s = other.storage(op);
    const old = this.storage(op);
    if (s === old) return;
    if (other.dtype !== this.dtype || other.backend !== this.backend || other.shape.length !== this.shape.length || other.shape.some((d, i) => d !== this.shape[i])) {
      throw new RadixError(op, `cannot replace a ${this.dtype} tensor of shape ${fmtShape(this.shape)} on ${this.backend.name} with a ${other.dtype} tensor of shape ${fmtShape(other.shape)} on ${other.backend.name}`);
    }
    s.refs++;
    old.release();
    this.#storage = s;
    this.#gradFn?.unref();
    this.#gradFn = null;
  }
  /** `using x = ...` support. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Reads the values back (row-major). This is the only point that waits for the device. */
  async data(): Promise<DataArray> {
    const s = this.storage('data');
    const raw = await this.backend.read(s.buf, this.size, this.dtype);
    return toDataArray(this.dtype, raw);
  }
  /** Reads the values back as nested arrays. */
  async array(): Promise<unknown> {
    const d = Array.from(await this.data());
    const build = (dim: number, off: number): unknown => {
      if (dim === this.ndim) return d[off];
      const st = this.strides[dim]!;
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * st));
    };
    return build(0, 0);
  }
  /** Reads a one-element tensor as a number. */
  async item(): Promise<number> {
    if (this.size !== 1) throw new RadixError('item', `expected a tensor with one element, got shape ${fmtShape(this.shape)}`);
    return (await this.data())[0]!;
  }
  /** A string like `Tensor(float32, [2, 3], webgpu)`. */
  toString(): string {
    return `Tensor(${this.dtype}, ${fmtShape(this.shape)}, ${this.backend.name})`;
  }

  // --- elementwise ---
  /** `this + other` with broadcasting. */ add(other: TensorLike): Tensor { return O.add(this, other); }
  /** `this - other`. */ sub(other: TensorLike): Tensor { return O.sub(this, other); }
  /** `this * other`. */ mul(other: TensorLike): Tensor { return O.mul(this, other); }
  /** `this / other` (true division: integers become float32). */ div(other: TensorLike): Tensor { return O.div(this, other); }
  /** `this ** other`. */ pow(other: TensorLike): Tensor { return O.pow(this, other); }
  /** Elementwise maximum. */ maximum(other: TensorLike): Tensor { return O.maximum(this, other); }
  /** Elementwise minimum. */ minimum(other: TensorLike): Tensor { return O.minimum(this, other); }
  /** `-this`. */ neg(): Tensor { return O.neg(this); }
  /** `|this|`. */ abs(): Tensor { return O.abs(this); }
  /** `e^this`. */ exp(): Tensor { return O.exp(this); }
  /** Natural log. */ log(): Tensor { return O.log(this); }
  /** Square root. */ sqrt(): Tensor { return O.sqrt(this); }
  /** `1/sqrt(this)`. */ rsqrt(): Tensor { return O.rsqrt(this); }
  /** `this²`. */ square(): Tensor { return O.square(this); }
  /** Sine. */ sin(): Tensor { return O.sin(this); }
  /** Cosine. */ cos(): Tensor { return O.cos(this); }
  /** Hyperbolic tangent. */ tanh(): Tensor { return O.tanh(this); }
  /** Logistic sigmoid. */ sigmoid(): Tensor { return O.sigmoid(this); }
  /** `max(this, 0)`. */ relu(): Tensor { return O.relu(this); }
  /** Clamps into [min, max] (either bound may be undefined). */ clamp(min?: number, max?: number): Tensor { return O.clamp(this, min, max); }
  /** `this == other` → bool. */ eq(other: TensorLike): Tensor { return O.eq(this, other); }
  /** `this != other` → bool. */ ne(other: TensorLike): Tensor { return O.ne(this, other); }
  /** `this < other` → bool. */ lt(other: TensorLike): Tensor { return O.lt(this, other); }
  /** `this <= other` → bool. */ le(other: TensorLike): Tensor { return O.le(this, other); }
  /** `this > other` → bool. */ gt(other: TensorLike): Tensor { return O.gt(this, other); }
  /** `this >= other` → bool. */ ge(other: TensorLike): Tensor { return O.ge(this, other); }
  /** Casts to another dtype. */ to(dtype: DType): Tensor { return O.cast(this, dtype); }
  /** Copy with its own storage. */ clone(): Tensor { return O.clone(this); }

  // --- reductions ---
  /** Sum over `dim` (all dims when omitted). */ sum(dim?: number | number[], keepdim = false): Tensor { return O.sum(this, dim, keepdim); }
  /** Mean over `dim`. */ mean(dim?: number | number[], keepdim = false): Tensor { return O.mean(this, dim, keepdim); }
  /** Product over `dim`. */ prod(dim?: number | number[], keepdim = false): Tensor { return O.prod(this, dim, keepdim); }
  /** Maximum over `dim`. */ amax(dim?: number | number[], keepdim = false): Tensor { return O.amax(this, dim, keepdim); }
  /** Minimum over `dim`. */ amin(dim?: number | number[], keepdim = false): Tensor { return O.amin(this, dim, keepdim); }
  /** Index of the maximum along `dim` (flattened when omitted). */ argmax(dim?: number, keepdim = false): Tensor { return O.argmax(this, dim, keepdim); }
  /** Index of the minimum along `dim`. */ argmin(dim?: number, keepdim = false): Tensor { return O.argmin(this, dim, keepdim); }
  /** Variance (unbiased by default, like torch). */ var(dim?: number | number[], options: O.VarOptions = {}): Tensor { return O.variance(this, dim, options); }
  /** Standard deviation. */ std(dim?: number | number[], options: O.VarOptions = {}): Tensor { return O.std(this, dim, options); }
  /** Cumulative sum along `dim`. */ cumsum(dim: number): Tensor { return O.cumsum(this, dim); }
  /** `log(sum(exp(this)))` over `dim`, computed stably. */ logsumexp(dim: number | number[], keepdim = false): Tensor { return O.logsumexp(this, dim, keepdim); }
  /** Softmax along `dim`. */ softmax(dim: number): Tensor { return O.softmax(this, dim); }
  /** Log-softmax along `dim`. */ logSoftmax(dim: number): Tensor { return O.logSoftmax(this, dim); }

  // --- movement ---
  /** Same data, new shape (one dim may be -1). */ reshape(...shape: number[] | [number[]]): Tensor { return O.reshape(this, flatArgs(shape)); }
  /** Alias of reshape. */ view(...shape: number[] | [number[]]): Tensor { return O.reshape(this, flatArgs(shape)); }
  /** Flattens dims `start..end` into one. */ flatten(start = 0, end = -1): Tensor { return O.flatten(this, start, end); }
  /** Removes size-1 dims (or the given one). */ squeeze(dim?: number): Tensor { return O.squeeze(this, dim); }
  /** Inserts a size-1 dim at `dim`. */ unsqueeze(dim: number): Tensor { return O.unsqueeze(this, dim); }
  /** Reorders dims. */ permute(...dims: number[] | [number[]]): Tensor { return O.permute(this, flatArgs(dims)); }
  /** Swaps two dims. */ transpose(dim0: number, dim1: number): Tensor { return O.transpose(this, dim0, dim1); }
  /** Transpose of a 2-D tensor. */ t(): Tensor { return O.transpose(this, 0, 1); }
  /** Broadcasts to a larger shape (-1 keeps a dim). */ expand(...shape: number[] | [number[]]): Tensor { return O.expand(this, flatArgs(shape)); }
  /** Elements `start..end` (exclusive, step) along `dim`. */ slice(dim: number, start?: number, end?: number, step = 1): Tensor { return O.slice(this, dim, start, end, step); }
  /** `length` elements from `start` along `dim`. */ narrow(dim: number, start: number, length: number): Tensor { return O.narrow(this, dim, start, length); }
  /** Reverses the order along `dims`. */ flip(dims: number | number[]): Tensor { return O.flip(this, dims); }
  /** torch.gather. */ gather(dim: number, index: Tensor): Tensor { return O.gather(this, dim, index); }
  /** torch.index_select. */ indexSelect(dim: number, index: Tensor): Tensor { return O.indexSelect(this, dim, index); }

  // --- linear algebra ---
  /** Matrix product with broadcasting batch dims (torch.matmul). */ matmul(other: Tensor): Tensor { return O.matmul(this, other); }
}

function flatArgs(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
}
