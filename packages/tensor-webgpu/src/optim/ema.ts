// Exponential moving average of a model's parameters (and buffers), like torch.optim.swa_utils.AveragedModel with
// an EMA rule or the ema_pytorch package: shadow copies updated on the device, copied back for evaluation.
import { noGrad } from '../autograd/grad-mode.js';
import { RadixError, check, fmtShape } from '../errors.js';
import { keep, tidy } from '../memory.js';
import type { AnyModule } from '../nn/module.js';
import type { Tensor } from '../tensor.js';
import { fusedEmaLerp, fusedEmaLerps, multiBatches } from './fused.js';

/** Options of {@link EMA}. */
export interface EMAOptions {
  /** Target decay β: shadow ← β·shadow + (1 − β)·param (default 0.999). */
  decay?: number;
  /**
   * Warm the decay up like ema_pytorch: β_t = min(decay, max(minDecay, 1 − (1 + t/invGamma)^(−power))) for
   * update t = 1, 2, … (default false: β from the start, as in AveragedModel).
   */
  warmup?: boolean;
  /** Warm-up speed (default 1). */
  invGamma?: number;
  /** Warm-up exponent (default 2/3; 3/4 suits shorter runs). */
  power?: number;
  /** Lower bound of the warmed-up decay (default 0). */
  minDecay?: number;
  /** Updates before averaging starts; until then update() copies the model (default 0). */
  updateAfterStep?: number;
  /** Also average floating-point buffers (e.g. BatchNorm running stats; integer buffers are copied). Default true. */
  includeBuffers?: boolean;
  /** One fused primitive per tensor update (default true; the op-by-op path gives the same bits). */
  fused?: boolean;
  /**
   * With `fused`, update many tensors per primitive call (on WebGPU one dispatch per chunk of tensors; default true;
   * the same bits as one call per tensor).
   */
  multiTensor?: boolean;
}

/**
 * Keeps an exponential moving average of a model's parameters (the first update copies them, like
 * AveragedModel). Call `update(model)` after each optimizer step and `copyTo(model)` to evaluate with the
 * averaged weights. Keys are the model's state-dict names.
 *
 * @example
 * const ema = new EMA(net, { decay: 0.999, warmup: true });
 * for (...) { opt.step(); ema.update(net); }
 * ema.copyTo(evalNet);
 */
export class EMA {
  readonly decay: number;
  readonly warmup: boolean;
  readonly invGamma: number;
  readonly power: number;
  readonly minDecay: number;
  readonly updateAfterStep: number;
  readonly includeBuffers: boolean;
  /** Whether updates use the fused primitive (see {@link EMAOptions.fused}). */
  fused: boolean;
  /** Whether fused updates go through the multi-tensor primitive (see {@link EMAOptions.multiTensor}). */
  multiTensor: boolean;
  /** Number of `update()` calls so far. */
  numUpdates = 0;
  /** Averaged tensors by state-dict key. */
  readonly shadow = new Map<string, Tensor>();

  constructor(model: AnyModule, options: EMAOptions = {}) {
    this.decay = options.decay ?? 0.999;
    check(this.decay >= 0 && this.decay <= 1, 'EMA', `decay must be in [0, 1], got ${this.decay}`);
    this.warmup = options.warmup ?? false;
    this.invGamma = options.invGamma ?? 1;
    this.power = options.power ?? 2 / 3;
    this.minDecay = options.minDecay ?? 0;
    this.updateAfterStep = options.updateAfterStep ?? 0;
    this.includeBuffers = options.includeBuffers ?? true;
    this.fused = options.fused ?? true;
    this.multiTensor = options.multiTensor ?? true;
    check(this.invGamma > 0 && this.power > 0, 'EMA', `invGamma and power must be positive, got ${this.invGamma}, ${this.power}`);
    noGrad(() => {
      for (const [k, t] of this.#entries(model)) this.shadow.set(k, keep(t.clone()));
    });
  }

  #entries(model: AnyModule): [string, Tensor][] {
    const out: [string, Tensor][] = model.namedParameters();
    if (this.includeBuffers) out.push(...model.namedBuffers());
    return out;
  }

  /**
   * The decay the next `update()` uses (0 means "copy").
   *
   * @example
   * ema.currentDecay(); // 0.999
   */
  currentDecay(): number {
    const t = this.numUpdates + 1 - this.updateAfterStep;
    if (this.numUpdates === 0 || t <= 1) return 0;
    if (!this.warmup) return this.decay;
    const value = 1 - (1 + (t - 1) / this.invGamma) ** -this.power;
    return Math.min(this.decay, Math.max(this.minDecay, value));
  }

  /**
   * Folds the model's current values into the average: shadow ← shadow + (1 − β)·(value − shadow), a lerp like torch (integer buffers are
   * copied). The model must have the same keys and shapes as at construction.
   *
   * @example
   * ema.update(net);
   */
  update(model: AnyModule): void {
    const d = this.currentDecay();
    noGrad(() => {
      const pairs: { shadow: Tensor; value: Tensor }[] = [];
      for (const [k, t] of this.#entries(model)) {
        const s = this.shadow.get(k);
        if (!s) throw new RadixError('EMA.update', `the model has '${k}', which the average does not track`);
        check(s.shape.length === t.shape.length && s.shape.every((v, i) => v === t.shape[i]), 'EMA.update', `'${k}' has shape ${fmtShape(t.shape)}, the average ${fmtShape(s.shape)}`);
        pairs.push({ shadow: s, value: t });
      }
      let rest = pairs;
      if (d !== 0 && this.fused && this.multiTensor) {
        rest = pairs.filter((q) => q.value.dtype !== 'float32');
        const lerped = pairs.filter((q) => q.value.dtype === 'float32');
        for (const batch of multiBatches(lerped, (q) => q.shadow)) {
          tidy(() => {
            const done = fusedEmaLerps(batch, d);
            for (const q of batch) {
              const next = done.get(q);
              if (next) q.shadow._replaceStorage(next);
              else rest.push(q);
            }
          });
        }
      }
      tidy(() => {
        for (const { shadow: s, value: t } of rest) {
          const next =
            d === 0 || t.dtype !== 'float32'
              ? t.clone()
              : ((this.fused ? fusedEmaLerp(s, t, d) : null) ?? s.add(t.sub(s).mul(1 - d)));
          s._replaceStorage(next);
        }
      });
    });
    this.numUpdates++;
  }

  /**
   * Writes the averaged values into `model`'s parameters and buffers (in place: the tensors keep their identity).
   *
   * @example
   * ema.copyTo(net); // evaluate with averaged weights
   */
  copyTo(model: AnyModule): void {
    noGrad(() => tidy(() => {
      for (const [k, t] of this.#entries(model)) {
        const s = this.shadow.get(k);
        if (!s) throw new RadixError('EMA.copyTo', `the model has '${k}', which the average does not track`);
        t._replaceStorage(s.clone());
      }
    }));
  }

  /**
   * The averaged tensors under state-dict keys (new handles sharing storage; dispose them).
   *
   * @example
   * await saveSafetensors('ema.safetensors', ema.stateDict());
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.shadow].map(([k, t]) => [k, t.detach()]));
  }

  /**
   * Loads averaged tensors (copied) for the tracked keys; unknown or missing keys and shape mismatches throw.
   *
   * @example
   * ema.loadStateDict(await loadSafetensors('ema.safetensors'));
   */
  loadStateDict(dict: Record<string, Tensor>, numUpdates = this.numUpdates): void {
    const keys = Object.keys(dict);
    const missing = [...this.shadow.keys()].filter((k) => !(k in dict));
    const unexpected = keys.filter((k) => !this.shadow.has(k));
    check(!missing.length && !unexpected.length, 'EMA.loadStateDict', `missing keys: [${missing.join(', ')}], unexpected keys: [${unexpected.join(', ')}]`);
    for (const k of keys) {
      const s = this.shadow.get(k)!;
      const t = dict[k]!;
      check(t.shape.length === s.shape.length && t.shape.every((v, i) => v === s.shape[i]) && t.backend === s.backend, 'EMA.loadStateDict', `'${k}' has shape ${fmtShape(t.shape)} on ${t.backend.name}, the average ${fmtShape(s.shape)} on ${s.backend.name}`);
    }
    noGrad(() => tidy(() => {
      for (const k of keys) this.shadow.get(k)!._replaceStorage(dict[k]!.to(this.shadow.get(k)!.dtype));
    }));
    this.numUpdates = numUpdates;
  }

  /** Frees the averaged tensors. @example ema.dispose() */
  dispose(): void {
    for (const t of this.shadow.values()) t.dispose();
    this.shadow.clear();
  }
}
