// The Backend interface: every primitive kernel both backends must provide, typed so a missing one fails to compile.
import type { DType, StorageArray } from '../dtype.js';

/** Names of the compute backends. */
export type BackendName = 'cpu' | 'webgpu';

/** Opaque device storage owned by one backend. */
export interface BackendBuffer {
  /** Capacity in bytes (may exceed what the tensor uses: pooled sizes are rounded up). */
  readonly byteLength: number;
}

/** What a backend reports about its device. */
export interface DeviceInfo {
  backend: BackendName;
  /** Human-readable adapter description (vendor, architecture, driver). */
  description: string;
  /** True when the adapter is a software rasteriser (lavapipe, SwiftShader) or the CPU backend. */
  isSoftware: boolean;
  /** Optional features enabled on the device (`shader-f16`, `subgroups`, `timestamp-query`). */
  features: string[];
  /** The device limits that were granted (the adapter's maxima). */
  limits: Record<string, number>;
  /** Largest tensor, in bytes, a single kernel binding can address. */
  maxBindingBytes: number;
}

/** A strided read of a buffer: element `idx` of shape `shape` is at `offset + Σ idx[i]*strides[i]`. */
export interface Strided {
  buf: BackendBuffer;
  offset: number;
  strides: number[];
}

/** Elementwise unary ops. `alpha`/`beta` carry op parameters (slope, beta/threshold, ...). */
export type UnaryOp =
  | 'neg' | 'abs' | 'sign' | 'exp' | 'exp2' | 'log' | 'log2' | 'log1p' | 'expm1' | 'sqrt' | 'rsqrt'
  | 'reciprocal' | 'square' | 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh'
  | 'tanh' | 'asinh' | 'acosh' | 'atanh' | 'erf' | 'erfc' | 'floor' | 'ceil' | 'round' | 'trunc' | 'frac'
  | 'sigmoid' | 'relu' | 'relu6' | 'leakyRelu' | 'elu' | 'selu' | 'silu' | 'mish' | 'geluErf' | 'geluTanh'
  | 'softplus' | 'hardtanh' | 'hardsigmoid' | 'hardswish' | 'logicalNot' | 'isnan' | 'isinf' | 'isfinite'
  | 'nanToNum' | 'powScalar' | 'addScalar' | 'mulScalar' | 'clamp' | 'bitwiseNot';

/** Elementwise binary ops with broadcasting. Comparisons and logical ops produce bool. */
export type BinaryOp =
  | 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum' | 'atan2' | 'remainder' | 'fmod'
  | 'floorDivide' | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'logicalAnd' | 'logicalOr' | 'logicalXor'
  | 'bitwiseAnd' | 'bitwiseOr' | 'bitwiseXor';

/** Reductions over the middle axis of an (outer, len, inner) view. */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min';

/** Random distributions drawn from the counter-based Philox4x32-10 generator. */
export interface RandomSpec {
  kind: 'bits' | 'uniform' | 'normal' | 'randint';
  /** Philox key (two 32-bit words, from the seed). */
  key: [number, number];
  /** First 128-bit counter block used (64-bit value as [lo, hi]); element i uses block offset + ⌊i/4⌋, word i mod 4. */
  counter: [number, number];
  /** uniform: [low, high); normal: mean, std; randint: [low, high). */
  a: number;
  b: number;
}

/** Parameters of conv2d/convTranspose2d on NCHW input and OIHW (conv) / IOHW (transposed) weights. */
export interface Conv2dParams {
  n: number; cin: number; h: number; w: number;
  cout: number; kh: number; kw: number;
  oh: number; ow: number;
  strideH: number; strideW: number;
  padH: number; padW: number;
  dilationH: number; dilationW: number;
  groups: number;
}

/**
 * An activation fused into the epilogue of conv2d / matmul: `out = gain · f(acc + bias)`, f one of the activations
 * below with UnaryOp's formula (`alpha` is leakyRelu's negative slope, ignored otherwise).
 */
export interface FusedActivation {
  op: 'relu' | 'silu' | 'geluErf' | 'geluTanh' | 'leakyRelu';
  alpha: number;
  gain: number;
}

/**
 * What the epilogue of conv2d / matmul adds to the product: an optional fused activation, and an optional second
 * output `pre` receiving the pre-activation value (acc + bias) for the backward pass. For matmul also an optional
 * bias, per row ('row': bias[m]) or column ('col': bias[n]) of each C.
 */
export interface Epilogue {
  act: FusedActivation | null;
  pre: BackendBuffer | null;
  bias?: BackendBuffer | null;
  biasMode?: 'row' | 'col';
}

/** Parameters of max/avg pooling on NCHW input. */
export interface Pool2dParams {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number; oh: number; ow: number;
  strideH: number; strideW: number; padH: number; padW: number;
  dilationH: number; dilationW: number;
  countIncludePad: boolean;
  /** 0 = none (divide by the window count). */
  divisorOverride: number;
}

/** Parameters of `interpolate` on NCHW input. */
export interface ResizeParams {
  mode: 'nearest' | 'nearest-exact' | 'bilinear' | 'bicubic';
  alignCorners: boolean;
  antialias: boolean;
  n: number; c: number; h: number; w: number; oh: number; ow: number;
  /** Input pixels per output pixel (PyTorch's scale used when alignCorners is false). */
  scaleH: number; scaleW: number;
}

/** Parameters of `gridSample` (4-D, NCHW input, N×OH×OW×2 grid). */
export interface GridSampleParams {
  mode: 'bilinear' | 'nearest' | 'bicubic';
  paddingMode: 'zeros' | 'border' | 'reflection';
  alignCorners: boolean;
  n: number; c: number; h: number; w: number; oh: number; ow: number;
}

/** Parameters of batched matmul `out[b] = A[b] (M×K) · B[b] (K×N)`. */
export interface MatmulParams {
  batch: number; m: number; k: number; n: number;
  /** Element stride between consecutive batch matrices (0 broadcasts one matrix). */
  strideA: number; strideB: number;
  /** When true the operand is stored transposed (A as K×M, B as N×K). */
  transA: boolean; transB: boolean;
}

/**
 * Scalars and switches of one fused Adam/AdamW update (see {@link Backend.adamUpdate}). Every scalar is used as
 * float32, as the op-by-op update sees it.
 */
export interface AdamUpdateParams {
  numel: number;
  /** d ← −g (else d ← g). */
  maximize: boolean;
  /** Adam's L2 decay d ← d + p·l2 (skipped when false). */
  hasL2: boolean;
  l2: number;
  /** AdamW's decoupled decay: the step starts from p·decay (skipped when false). */
  hasDecay: boolean;
  decay: number;
  b1: number; oneMinusB1: number; b2: number; oneMinusB2: number;
  /** √(1 − β₂ᵗ), ε and −lr/(1 − β₁ᵗ). */
  bc2Sqrt: number; eps: number; negStepSize: number;
  /** Whether the moments exist yet (first step: m ← (1−β₁)d, v ← (1−β₂)d·d). */
  hasM: boolean; hasV: boolean;
  /** AMSGrad: v̂ ← max(v̂, v) (or v when there is no v̂ yet: `hasMax` false). */
  amsgrad: boolean; hasMax: boolean;
}

/** Scalars and switches of one fused SGD update (see {@link Backend.sgdUpdate}); scalars used as float32. */
export interface SgdUpdateParams {
  numel: number;
  maximize: boolean;
  hasL2: boolean;
  l2: number;
  /** Momentum on: b ← μb + (1 − dampening)d (or b ← d when there is no buffer yet: `hasBuf` false). */
  useMomentum: boolean;
  momentum: number;
  oneMinusDampening: number;
  nesterov: boolean;
  hasBuf: boolean;
  negLr: number;
}

/** One tensor's update in {@link Backend.adamUpdateMulti}: the arguments of {@link Backend.adamUpdate} as one object. */
export interface AdamUpdateArgs {
  p: BackendBuffer; g: BackendBuffer; m: BackendBuffer | null; v: BackendBuffer | null; vMax: BackendBuffer | null;
  pOut: BackendBuffer; mOut: BackendBuffer; vOut: BackendBuffer; vMaxOut: BackendBuffer | null;
  params: AdamUpdateParams;
}

/** One tensor's update in {@link Backend.sgdUpdateMulti}: the arguments of {@link Backend.sgdUpdate} as one object. */
export interface SgdUpdateArgs {
  p: BackendBuffer; g: BackendBuffer; buf: BackendBuffer | null; pOut: BackendBuffer; bufOut: BackendBuffer | null;
  params: SgdUpdateParams;
}

/** One tensor's update in {@link Backend.emaUpdateMulti}: the arguments of {@link Backend.emaUpdate} as one object. */
export interface EmaUpdateArgs {
  s: BackendBuffer; t: BackendBuffer; out: BackendBuffer; numel: number; w: number;
}

/**
 * Shape of a fused GroupNorm: x is [n, c, spatial…] with `spatial` elements per channel, `groups` dividing c. LayerNorm
 * over rows of `len` elements is the same primitive with n = rows, c = len, groups = 1, spatial = 1.
 */
export interface GroupNormParams {
  n: number; c: number; groups: number; spatial: number; eps: number;
  /** An activation applied to the normalised output in the same pass (its gradient folded into the backward). */
  activation: 'none' | 'silu';
}

/** Shape of a fused training-mode BatchNorm: x is [n, c, spatial…]; statistics per channel over n·spatial elements. */
export interface BatchNormParams {
  n: number; c: number; spatial: number; eps: number;
  /** An activation applied to the normalised output in the same pass (its gradient folded into the backward). */
  activation: 'none' | 'silu';
}

/** Activations whose backward {@link Backend.unaryBackward} computes in one pass. */
export type UnaryBackwardOp = 'silu' | 'geluErf' | 'geluTanh' | 'leakyRelu';

/** Padding modes of `pad`. */
export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * Every primitive a backend implements. Inputs are contiguous buffers unless typed `Strided`;
 * outputs are freshly allocated contiguous buffers the caller passes in.
 */
export interface Backend {
  readonly name: BackendName;
  readonly info: DeviceInfo;

  // --- memory ---
  /** Allocates uninitialised storage for `numel` elements (from the pool when possible). */
  alloc(numel: number, dtype: DType): BackendBuffer;
  /** Allocates storage holding a copy of `data`. */
  upload(data: StorageArray, dtype: DType): BackendBuffer;
  /** Reads `numel` elements back (the only synchronisation point). */
  read(buf: BackendBuffer, numel: number, dtype: DType): Promise<StorageArray>;
  /** Returns storage to the pool. */
  release(buf: BackendBuffer): void;
  /** Submits pending work. */
  flush(): void;
  /** Bytes currently held by the pool (free for reuse). */
  poolBytes(): number;
  /** Bytes currently handed out to live storages. */
  allocatedBytes(): number;
  /** Frees every pooled buffer. */
  emptyCache(): void;
  /** Waits for all submitted work to finish. */
  sync(): Promise<void>;
  /** Submits pending work and waits until the work in flight is within the backend's bound (at once when it is). */
  throttle(): Promise<void>;

  // --- creation ---
  fill(out: BackendBuffer, numel: number, dtype: DType, value: number): void;
  random(out: BackendBuffer, numel: number, dtype: DType, spec: RandomSpec): void;
  /** `out[i] = start + i * step` (float32 or int32). */
  arange(out: BackendBuffer, numel: number, dtype: DType, start: number, step: number): void;

  // --- elementwise ---
  unary(op: UnaryOp, x: BackendBuffer, out: BackendBuffer, numel: number, dtype: DType, alpha: number, beta: number): void;
  cast(x: BackendBuffer, out: BackendBuffer, numel: number, from: DType, to: DType): void;
  binary(op: BinaryOp, a: Strided, b: Strided, out: BackendBuffer, shape: number[], inDtype: DType, outDtype: DType): void;
  where(cond: Strided, a: Strided, b: Strided, out: BackendBuffer, shape: number[], dtype: DType): void;

  // --- movement ---
  /** Gathers a strided view (strides may be 0 or negative) into contiguous `out` of `shape`. */
  copy(src: Strided, out: BackendBuffer, shape: number[], dtype: DType): void;
  /** Scatters contiguous `src` of `shape` into `dst` at `dst.offset + Σ idx*dst.strides`. */
  copyInto(src: BackendBuffer, dst: Strided, shape: number[], dtype: DType): void;
  pad(x: BackendBuffer, shape: number[], out: BackendBuffer, outShape: number[], before: number[], mode: PadMode, value: number, dtype: DType): void;
  /** torch.gather along `dim` (index has the output's shape, int32). */
  gather(x: BackendBuffer, xShape: number[], index: BackendBuffer, outShape: number[], dim: number, out: BackendBuffer, dtype: DType): void;
  /**
   * `out[p with coordinate dim replaced by index[p]] += src[p]` for every p of the index's shape (torch.scatter_add_,
   * in place on `out`); indices outside [0, outShape[dim]) are skipped. float32 or int32.
   */
  scatterAdd(src: BackendBuffer, index: BackendBuffer, indexShape: number[], dim: number, out: BackendBuffer, outShape: number[], dtype: DType): void;
  /** torch.index_select along `dim` with a 1-D int32 index. */
  indexSelect(x: BackendBuffer, xShape: number[], index: BackendBuffer, count: number, dim: number, out: BackendBuffer, dtype: DType): void;

  // --- reductions over the middle axis of (outer, len, inner) ---
  reduce(op: ReduceOp, x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void;
  /** Index (int32) of the first max/min along the middle axis. */
  argReduce(op: 'argmax' | 'argmin', x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void;
  cumsum(x: BackendBuffer, out: BackendBuffer, outer: number, len: number, inner: number, dtype: DType): void;

  // --- linear algebra and image ops (float32) ---
  /** Batched matmul; `epilogue` fuses a bias, an activation and the pre-activation output into the same kernel. */
  matmul(a: BackendBuffer, b: BackendBuffer, out: BackendBuffer, p: MatmulParams, epilogue?: Epilogue): void;
  /** conv2d (+ bias); `epilogue` fuses an activation and the pre-activation output (its `bias` is not used). */
  conv2d(x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams, epilogue?: Epilogue): void;
  convTranspose2d(x: BackendBuffer, w: BackendBuffer, bias: BackendBuffer | null, out: BackendBuffer, p: Conv2dParams): void;
  /**
   * Weight gradient of the conv2d `p` describes (x [n, cin, h, w] → gOut [n, cout, oh, ow]):
   * `dW[o, c, a, b] = Σ_{n,y,x} gOut[n, o, y, x] · x[n, g·cin/groups + c, y·strideH − padH + a·dilationH, …]` (taps outside
   * x read zero), dW being [cout, cin/groups, kh, kw]; with `dBias`, also `dBias[o] = Σ gOut[n, o, ·, ·]` in the same pass.
   * Needs cin > 0.
   */
  conv2dWeightGrad(x: BackendBuffer, gOut: BackendBuffer, dW: BackendBuffer, dBias: BackendBuffer | null, p: Conv2dParams): void;
  pool2d(kind: 'max' | 'avg', x: BackendBuffer, out: BackendBuffer, p: Pool2dParams): void;

  /**
   * `out = g · f'(x)` for an activation f (float32, same shapes), the formula of its backward rule in unary-grad.ts
   * evaluated in one pass; `alpha` is leakyRelu's slope.
   */
  unaryBackward(op: UnaryBackwardOp, g: BackendBuffer, x: BackendBuffer, out: BackendBuffer, numel: number, alpha: number): void;

  /**
   * GroupNorm forward in one kernel: per (sample, group) the mean and biased variance (one statistics pass: shifted
   * sums merged with Chan's formula on WebGPU, two float64 passes on the CPU), then
   * `y = (x − mean)·(rsqrt(var + eps)·weight) + bias`; `mean` and `rstd` ([n·groups]) are written for the backward.
   */
  groupNormForward(x: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, p: GroupNormParams): void;
  /**
   * GroupNorm backward in two kernels (with the SiLU epilogue, g is first multiplied by SiLU′ at the recomputed
   * pre-activation, for which `bias` is needed): with x̂ = (x − mean)·rstd and ĝ = g·weight, per (sample, group)
   * `dx = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))`; per channel `dWeight = Σ g·x̂`, `dBias = Σ g` (each optional).
   */
  groupNormBackward(
    x: BackendBuffer, g: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
    dx: BackendBuffer, dWeight: BackendBuffer | null, dBias: BackendBuffer | null, p: GroupNormParams,
  ): void;
  /**
   * BatchNorm forward with batch statistics in one kernel: per channel the mean and biased variance (one statistics
   * pass), then `y = (x − mean)·(rsqrt(var + eps)·weight) + bias` (and the activation); `mean`, `rstd` and, when given,
   * the biased `variance` ([c]) are written.
   */
  batchNormForward(x: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, out: BackendBuffer, mean: BackendBuffer, rstd: BackendBuffer, variance: BackendBuffer | null, p: BatchNormParams): void;
  /**
   * BatchNorm backward in one kernel: GroupNorm's formula with the channel as the group (`bias` needed only with the
   * SiLU epilogue); `dWeight = Σ g·x̂`, `dBias = Σ g` per channel (each optional).
   */
  batchNormBackward(
    x: BackendBuffer, g: BackendBuffer, weight: BackendBuffer | null, bias: BackendBuffer | null, mean: BackendBuffer, rstd: BackendBuffer,
    dx: BackendBuffer, dWeight: BackendBuffer | null, dBias: BackendBuffer | null, p: BatchNormParams,
  ): void;

  // --- fused optimizer updates (float32; every output a fresh buffer; each step rounded to float32 exactly as the
  // op-by-op update in src/optim rounds it, so both paths give the same bits) ---
  /**
   * One Adam/AdamW step over `numel` elements: d = ±g (+ p·l2); m = β₁m + (1−β₁)d; v = β₂v + ((1−β₂)d)·d;
   * v̂ = max(v̂, v) with AMSGrad; p' = p·decay + (−lr/bc₁)·m / (√v̂ / bc₂ + ε). `vMax`/`vMaxOut` only with AMSGrad;
   * `m`/`v`/`vMax` are ignored when the params say they do not exist yet.
   */
  adamUpdate(
    p: BackendBuffer, g: BackendBuffer, m: BackendBuffer | null, v: BackendBuffer | null, vMax: BackendBuffer | null,
    pOut: BackendBuffer, mOut: BackendBuffer, vOut: BackendBuffer, vMaxOut: BackendBuffer | null, params: AdamUpdateParams,
  ): void;
  /** One SGD step: d = ±g (+ p·l2); with momentum b = μb + (1−dampening)d, d = Nesterov ? d + μb : b; p' = p + (−lr)·d. */
  sgdUpdate(p: BackendBuffer, g: BackendBuffer, buf: BackendBuffer | null, pOut: BackendBuffer, bufOut: BackendBuffer | null, params: SgdUpdateParams): void;
  /** EMA step: out = s + (t − s)·w, w = 1 − decay. */
  emaUpdate(s: BackendBuffer, t: BackendBuffer, out: BackendBuffer, numel: number, w: number): void;
  // Multi-tensor forms: the same updates for many tensors at once, each giving exactly the bits its single call gives.
  // The tensors may differ in size, scalars and switches; WebGPU binds as many tensors per dispatch as
  // maxStorageBuffersPerShaderStage allows (one dispatch per tensor when only one fits). No output may alias an input.
  /** {@link Backend.adamUpdate} for every entry of `updates`, in few dispatches. */
  adamUpdateMulti(updates: readonly AdamUpdateArgs[]): void;
  /** {@link Backend.sgdUpdate} for every entry of `updates`, in few dispatches. */
  sgdUpdateMulti(updates: readonly SgdUpdateArgs[]): void;
  /** {@link Backend.emaUpdate} for every entry of `updates`, in few dispatches. */
  emaUpdateMulti(updates: readonly EmaUpdateArgs[]): void;
  adaptiveAvgPool2d(x: BackendBuffer, out: BackendBuffer, n: number, c: number, h: number, w: number, oh: number, ow: number): void;
  resize(x: BackendBuffer, out: BackendBuffer, p: ResizeParams): void;
  gridSample(x: BackendBuffer, grid: BackendBuffer, out: BackendBuffer, p: GridSampleParams): void;
}
