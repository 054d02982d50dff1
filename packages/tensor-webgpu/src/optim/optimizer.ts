// Optimizer base class: parameter groups with their own options, per-parameter state, zeroGrad, a memory-flat
// step() under noGrad that updates parameters in place (same objects), and torch-shaped state dicts.
import { enableGrad, noGrad } from '../autograd/grad-mode.js';
import { RadixError, check, fmtShape } from '../errors.js';
import { keep, tidy } from '../memory.js';
import { Tensor } from '../tensor.js';
import { type StepItem, multiBatches } from './fused.js';

/** A parameter group as passed in: its parameters plus options overriding the optimizer's defaults. */
export type ParamGroupInput<O> = Partial<O> & { params: Iterable<Tensor> };

/** A parameter group as stored: every option resolved. `initialLr` is set by the lr schedulers. */
export type ParamGroup<O> = O & { params: Tensor[]; initialLr?: number };

/** Per-parameter optimizer state under torch's names (e.g. `exp_avg`, `momentum_buffer`, `step`). */
export type OptimizerState = Record<string, Tensor | number>;

/**
 * An optimizer's state dict in torch's layout: `state` keyed by the parameter's index across all groups,
 * and `param_groups` holding each group's options (snake_case, like torch) and parameter indices.
 */
export interface OptimizerStateDict {
  state: Record<number, OptimizerState>;
  param_groups: (Record<string, unknown> & { params: number[] })[];
}

const toSnake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const toCamel = (k: string) => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * Base of every optimizer (torch.optim.Optimizer). Subclasses implement `update`, which computes one
 * parameter's new value from its gradient; `step()` runs it for every parameter that has a gradient, inside
 * `noGrad` and a `tidy` scope, and swaps the result into the parameter (its identity and `requiresGrad` stay).
 *
 * @example
 * const opt = new Adam(net.parameters(), { lr: 1e-3 });
 * opt.zeroGrad();
 * lossFn().backward();
 * opt.step();
 */
export abstract class Optimizer<O extends { lr: number }> {
  /** Options used for groups that do not set their own. */
  readonly defaults: Readonly<O>;
  /** The parameter groups; change `group.lr` (or use an lr scheduler) to adjust learning rates. */
  readonly paramGroups: ParamGroup<O>[] = [];
  /** State of each parameter (created lazily on its first update). */
  readonly state = new Map<Tensor, OptimizerState>();
  /**
   * Update each parameter with one fused backend primitive (one dispatch on WebGPU) where the optimizer has one
   * (Adam, AdamW, SGD); the op-by-op path otherwise. Both give the same float32 bits. Default true.
   */
  fused = true;
  /**
   * With {@link Optimizer.fused}, update the parameters of a group together through the backend's multi-tensor
   * primitive where the optimizer has one (Adam, AdamW, SGD): on WebGPU one dispatch per chunk of parameters (as many
   * as the device's `maxStorageBuffersPerShaderStage` binds, up to 32) instead of one per parameter. The same bits as
   * the per-parameter path. Default true.
   *
   * @example
   * const opt = new Adam(net.parameters(), { lr: 1e-3 });
   * opt.multiTensor = false; // one dispatch per parameter
   */
  multiTensor = true;

  constructor(params: Iterable<Tensor> | Iterable<ParamGroupInput<O>>, defaults: O) {
    this.defaults = Object.freeze({ ...defaults });
    const list = [...(params as Iterable<Tensor | ParamGroupInput<O>>)];
    check(list.length > 0, this.constructor.name, 'optimizer got an empty parameter list');
    if (list.every((p) => p instanceof Tensor)) this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInput<O>);
    else for (const g of list as ParamGroupInput<O>[]) this.addParamGroup(g);
  }

  /** Checks a resolved group's options (throws a RadixError naming the optimizer). */
  protected abstract validate(group: ParamGroup<O>): void;

  /**
   * Computes the new value of `param` (returned; the base class swaps it in) from its gradient, updating
   * `state` through {@link Optimizer.setState}. Runs under noGrad inside a tidy scope.
   */
  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup<O>, state: OptimizerState): Tensor;

  /**
   * @internal Computes the new values of a batch of a group's parameters together (all on one backend; called when
   * {@link Optimizer.fused} and {@link Optimizer.multiTensor} are on), updating their state like `update`. Returns the
   * new value of each item it handled; the items it leaves out go through `update`. The default handles none.
   */
  protected updateMany(_items: readonly StepItem[], _group: ParamGroup<O>): Map<StepItem, Tensor> {
    return new Map();
  }

  /**
   * Adds a group of parameters with its own options (e.g. a new head being fine-tuned at another lr).
   *
   * @example
   * opt.addParamGroup({ params: head.parameters(), lr: 1e-2 });
   */
  addParamGroup(group: ParamGroupInput<O>): void {
    const op = this.constructor.name;
    check(group && group.params !== undefined && !(group.params instanceof Tensor), op, 'a parameter group must be an object with an iterable `params`');
    const params = [...group.params];
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    params.forEach((p, i) => {
      check(p instanceof Tensor, op, `parameter ${i} of the group is not a Tensor`);
      check(p.isLeaf, op, `can't optimize a non-leaf Tensor (parameter ${i}, shape ${fmtShape(p.shape)})`);
      check(p.dtype === 'float32', op, `can only optimize float32 tensors, got ${p.dtype} (parameter ${i})`);
      check(!taken.has(p), op, 'some parameters appear in more than one parameter group');
      taken.add(p);
    });
    check(new Set(params).size === params.length, op, 'a parameter group contains the same parameter twice');
    const resolved = { ...this.defaults, ...group, params } as ParamGroup<O>;
    this.validate(resolved);
    this.paramGroups.push(resolved);
  }

  /**
   * Disposes and clears every parameter's gradient (torch's `zero_grad(set_to_none=True)`).
   *
   * @example
   * opt.zeroGrad();
   */
  zeroGrad(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        p.grad?.dispose();
        p.grad = null;
      }
    }
  }

  /**
   * Updates every parameter that has a gradient. With a `closure` (which must recompute and return the loss,
   * calling backward itself), the loss is evaluated first and returned.
   *
   * @example
   * opt.step();
   */
  step(closure?: () => Tensor): Tensor | undefined {
    const loss = closure ? enableGrad(closure) : undefined;
    noGrad(() => {
      for (const group of this.paramGroups) {
        const items: StepItem[] = [];
        for (const p of group.params) {
          if (!p.grad) continue;
          check(!p.isDisposed, this.constructor.name, `parameter of shape ${fmtShape(p.shape)} was disposed`);
          let st = this.state.get(p);
          if (!st) this.state.set(p, (st = {}));
          items.push({ param: p, grad: p.grad, state: st });
        }
        let rest = items;
        if (this.fused && this.multiTensor && items.length > 1) {
          rest = [];
          for (const batch of multiBatches(items, (it) => it.param)) {
            tidy(() => {
              const done = this.updateMany(batch, group);
              for (const it of batch) {
                const next = done.get(it);
                if (next) it.param._replaceStorage(next);
                else rest.push(it);
              }
            });
          }
        }
        for (const { param, grad, state } of rest) {
          tidy(() => {
            const next = this.update(param, grad, group, state);
            param._replaceStorage(next);
          });
        }
      }
    });
    return loss;
  }

  /** @internal Stores `value` under `key` in `state`, keeping it alive and disposing the tensor it replaces. */
  setState(state: OptimizerState, key: string, value: Tensor | number): void {
    const old = state[key];
    if (value instanceof Tensor) keep(value);
    if (old instanceof Tensor && old !== value) old.dispose();
    state[key] = value;
  }

  /**
   * The optimizer's state in torch's layout. State tensors are new handles sharing storage (dispose them when
   * done, e.g. with `dispose(sd.state)`); the `step` counter is a number.
   *
   * @example
   * const sd = opt.stateDict();
   */
  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(g)) if (k !== 'params') packed[toSnake(k)] = Array.isArray(v) ? [...v] : v;
      const ids = g.params.map((p) => {
        if (!index.has(p)) index.set(p, next++);
        return index.get(p)!;
      });
      return { ...packed, params: ids };
    });
    const state: Record<number, OptimizerState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i === undefined) continue;
      state[i] = Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v instanceof Tensor ? v.detach() : v]));
    }
    return { state, param_groups: paramGroups };
  }

  /**
   * Restores options and state from {@link Optimizer.stateDict} output (tensors are copied). Group and parameter
   * counts and state tensor shapes must match; the state tensors must be on the parameters' backend.
   *
   * @example
   * opt.loadStateDict(saved);
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const op = 'loadStateDict';
    check(sd && Array.isArray(sd.param_groups) && typeof sd.state === 'object', op, 'expected { state, param_groups }');
    check(sd.param_groups.length === this.paramGroups.length, op, `loaded state dict has ${sd.param_groups.length} parameter groups, the optimizer has ${this.paramGroups.length}`);
    const byIndex = new Map<number, Tensor>();
    sd.param_groups.forEach((g, gi) => {
      const mine = this.paramGroups[gi]!;
      check(Array.isArray(g.params) && g.params.length === mine.params.length, op, `loaded state dict contains a parameter group (${gi}) that doesn't match the size of optimizer's group`);
      g.params.forEach((id, j) => byIndex.set(id, mine.params[j]!));
    });
    // Validate everything before changing anything.
    for (const [key, st] of Object.entries(sd.state)) {
      const p = byIndex.get(Number(key));
      check(p !== undefined, op, `state for parameter index ${key} does not belong to any parameter group`);
      for (const [k, v] of Object.entries(st)) {
        check(k !== 'step' || typeof v === 'number', op, `state 'step' of parameter ${key} must be a number (read a tensor with await t.item())`);
        if (!(v instanceof Tensor)) continue;
        check(!v.isDisposed && v.backend === p.backend, op, `state '${k}' of parameter ${key} is disposed or on another backend (${v.backend.name}, parameter on ${p.backend.name})`);
        check(v.size === 1 || (v.ndim === p.ndim && v.shape.every((d, i) => d === p.shape[i])), op, `state '${k}' of parameter ${key} has shape ${fmtShape(v.shape)}, the parameter ${fmtShape(p.shape)}`);
      }
    }
    sd.param_groups.forEach((g, gi) => {
      const mine = this.paramGroups[gi]! as Record<string, unknown>;
      for (const [k, v] of Object.entries(g)) if (k !== 'params') mine[toCamel(k)] = Array.isArray(v) ? [...v] : v;
    });
    this.#disposeState();
    noGrad(() => {
      for (const [key, st] of Object.entries(sd.state)) {
        const p = byIndex.get(Number(key))!;
        const own: OptimizerState = {};
        for (const [k, v] of Object.entries(st)) own[k] = v instanceof Tensor ? keep(v.to(p.dtype)) : v;
        this.state.set(p, own);
      }
    });
  }

  #disposeState(): void {
    for (const st of this.state.values()) for (const v of Object.values(st)) if (v instanceof Tensor) v.dispose();
    this.state.clear();
  }

  /**
   * Frees the optimizer's state tensors (momentum buffers, moment estimates).
   *
   * @example
   * opt.dispose();
   */
  dispose(): void {
    this.#disposeState();
  }
}

/** @internal Throws unless `v` is a finite number ≥ `min` (and < `max` when given). */
export function checkRange(op: string, name: string, v: number, min: number, max?: number): void {
  if (!(typeof v === 'number' && Number.isFinite(v) && v >= min && (max === undefined || v < max))) {
    throw new RadixError(op, `invalid ${name}: ${v} (expected ${max === undefined ? `≥ ${min}` : `in [${min}, ${max})`})`);
  }
}

/** @internal `a + alpha·b` (torch's `add(b, alpha=…)`), without the multiply when alpha is 1. */
export function axpy(a: Tensor, b: Tensor, alpha: number): Tensor {
  return alpha === 1 ? a.add(b) : a.add(b.mul(alpha));
}
