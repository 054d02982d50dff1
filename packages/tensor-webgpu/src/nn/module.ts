// nn.Module: the base class of layers. It tracks parameters, buffers and submodules (explicitly registered or
// assigned as attributes), switches train/eval, freezes blocks and saves/loads PyTorch-keyed state dicts.
import { noGrad } from '../autograd/grad-mode.js';
import { RadixError, fmtShape } from '../errors.js';
import { keep } from '../memory.js';
import { Tensor } from '../tensor.js';
import { Parameter } from './parameter.js';

/** Any module, whatever its forward signature. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModule = Module<any[], unknown>;

/** Result of {@link Module.loadStateDict}: keys the module expected but the dict lacked, and the reverse. */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Options of {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** Throw when keys are missing or unexpected (default true). Shape mismatches always throw. */
  strict?: boolean;
}

function checkName(op: string, name: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('.')) {
    throw new RadixError(op, `name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
  }
}

/**
 * Base class of every layer (torch.nn.Module). Subclasses implement `forward`; call a module with
 * `m.call(x)` (or `m.forward(x)`). Parameters and submodules are found in two ways, like PyTorch:
 * attributes holding a {@link Parameter} or a Module (in the order the attributes were defined; declared class
 * fields count from their declaration), and explicit
 * `registerParameter` / `registerBuffer` / `registerModule` calls (used for PyTorch key names such as
 * `running_mean` that are not valid camelCase attributes). Buffers are always registered explicitly.
 *
 * @example
 * class Net extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 2);
 *   forward(x: Tensor): Tensor {
 *     return tidy(() => this.fc2.call(this.fc1.call(x).relu()));
 *   }
 * }
 * const net = new Net();
 * Object.keys(net.stateDict()); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 */
export abstract class Module<In extends unknown[] = [Tensor], Out = Tensor> {
  /** True in training mode (the default); see {@link Module.train} and {@link Module.eval}. */
  training = true;
  readonly #params = new Map<string, Parameter | null>();
  readonly #buffers = new Map<string, Tensor | null>();
  readonly #nonPersistent = new Set<string>();
  readonly #modules = new Map<string, AnyModule | null>();

  /** The computation of this layer. */
  abstract forward(...args: In): Out;

  /**
   * Runs `forward` (PyTorch's `module(x)`).
   *
   * @example
   * const y = layer.call(x);
   */
  call(...args: In): Out {
    return this.forward(...args);
  }

  /** Picks up Parameter/Module attributes assigned since the last look (and reassignments to null). */
  #sync(): void {
    const self = this as unknown as Record<string, unknown>;
    for (const key of Object.keys(this)) {
      const v = self[key];
      if (v instanceof Parameter) {
        if (this.#params.get(key) !== v && ![...this.#params.values()].includes(v)) this.#params.set(key, v);
      } else if (v instanceof Module) {
        if (this.#modules.get(key) !== v && ![...this.#modules.values()].includes(v)) this.#modules.set(key, v);
      } else if (v === null || v === undefined) {
        if (this.#params.has(key)) this.#params.set(key, null);
        if (this.#modules.has(key)) this.#modules.set(key, null);
      }
    }
  }

  #checkFree(op: string, name: string, kind: 'parameter' | 'buffer' | 'module'): void {
    checkName(op, name);
    const kinds: ['parameter' | 'buffer' | 'module', Map<string, unknown>][] = [['parameter', this.#params], ['buffer', this.#buffers], ['module', this.#modules]];
    for (const [k, map] of kinds) {
      if (k !== kind && map.has(name)) throw new RadixError(op, `'${name}' is already registered as a ${k}`);
    }
  }

  /**
   * Registers a parameter under `name` (null registers an absent one, like a layer without bias).
   *
   * @example
   * this.registerParameter('in_proj_weight', new Parameter(w));
   */
  registerParameter(name: string, param: Parameter | null): Parameter | null {
    this.#sync();
    this.#checkFree('registerParameter', name, 'parameter');
    if (param !== null && !(param instanceof Parameter)) throw new RadixError('registerParameter', `'${name}' must be a Parameter or null`);
    this.#params.set(name, param);
    return param;
  }

  /**
   * Registers a buffer: state that is saved in the state dict (unless `persistent` is false) but not trained,
   * like BatchNorm's `running_mean`. The module owns it from now on (it survives tidy scopes).
   *
   * @example
   * this.registerBuffer('running_mean', zeros([c]));
   */
  registerBuffer(name: string, tensor: Tensor | null, persistent = true): Tensor | null {
    this.#sync();
    this.#checkFree('registerBuffer', name, 'buffer');
    if (tensor !== null && !(tensor instanceof Tensor)) throw new RadixError('registerBuffer', `'${name}' must be a Tensor or null`);
    if (tensor) keep(tensor);
    this.#buffers.set(name, tensor);
    if (persistent) this.#nonPersistent.delete(name);
    else this.#nonPersistent.add(name);
    return tensor;
  }

  /**
   * Registers a submodule under `name` (PyTorch's `add_module`); its state dict keys get the prefix `name.`.
   *
   * @example
   * this.registerModule('out_proj', new Linear(16, 16));
   */
  registerModule<M extends AnyModule | null>(name: string, module: M): M {
    this.#sync();
    this.#checkFree('registerModule', name, 'module');
    if (module !== null && !(module instanceof Module)) throw new RadixError('registerModule', `'${name}' must be a Module or null`);
    this.#modules.set(name, module);
    return module;
  }

  /** The parameter registered under `name` directly on this module (not recursive). @example bn.getParameter('weight') */
  getParameter(name: string): Parameter | null {
    this.#sync();
    return this.#params.get(name) ?? null;
  }
  /** The buffer registered under `name` on this module. @example bn.getBuffer('running_mean') */
  getBuffer(name: string): Tensor | null {
    return this.#buffers.get(name) ?? null;
  }
  /**
   * The submodule at a dotted path, like torch's `get_submodule`.
   *
   * @example
   * net.getSubmodule('features.0');
   */
  getSubmodule(target: string): AnyModule {
    if (target === '') return this as unknown as AnyModule;
    let cur: AnyModule = this as unknown as AnyModule;
    for (const part of target.split('.')) {
      cur.#sync();
      const next = cur.#modules.get(part);
      if (!next) throw new RadixError('getSubmodule', `${cur.constructor.name} has no submodule '${part}' (path '${target}')`);
      cur = next;
    }
    return cur;
  }

  /**
   * Direct children with their names, in registration order.
   *
   * @example
   * for (const [name, child] of net.namedChildren()) console.log(name);
   */
  namedChildren(): [string, AnyModule][] {
    this.#sync();
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    for (const [k, m] of this.#modules) {
      if (m && !seen.has(m)) {
        seen.add(m);
        out.push([k, m]);
      }
    }
    return out;
  }
  /** Direct children. @example net.children().length */
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }
  /**
   * This module and every descendant (pre-order, each once) with dotted names; this module's name is `prefix`.
   *
   * @example
   * net.namedModules().map(([n]) => n); // ['', 'features', 'features.0', ...]
   */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<AnyModule>();
    const walk = (m: AnyModule, p: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([p, m]);
      for (const [k, c] of m.namedChildren()) walk(c, p ? `${p}.${k}` : k);
    };
    walk(this as unknown as AnyModule, prefix);
    return out;
  }
  /** This module and every descendant. @example net.modules().filter((m) => m instanceof Conv2d) */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Parameters with their dotted names (own first, then each submodule's), each parameter once.
   *
   * @example
   * net.namedParameters(); // [['fc1.weight', Parameter], ...]
   */
  namedParameters(prefix = '', recurse = true): [string, Parameter][] {
    return this.#members(prefix, recurse, (m) => m.#params);
  }
  /** Every parameter (each once). @example new SGD(net.parameters(), { lr: 0.1 }) */
  parameters(recurse = true): Parameter[] {
    return this.namedParameters('', recurse).map(([, t]) => t);
  }
  /**
   * Buffers with their dotted names (persistent or not).
   *
   * @example
   * bn.namedBuffers(); // [['running_mean', t], ['running_var', t], ['num_batches_tracked', t]]
   */
  namedBuffers(prefix = '', recurse = true): [string, Tensor][] {
    return this.#members(prefix, recurse, (m) => m.#buffers);
  }

  /** Named entries of one kind over this module (and descendants), each tensor once. */
  #members<T extends Tensor>(prefix: string, recurse: boolean, pick: (m: AnyModule) => Map<string, T | null>): [string, T][] {
    const out: [string, T][] = [];
    const seen = new Set<T>();
    const mods = recurse ? this.namedModules(prefix) : [[prefix, this as unknown as AnyModule] as [string, AnyModule]];
    for (const [p, m] of mods) {
      m.#sync();
      for (const [k, t] of pick(m)) {
        if (t && !seen.has(t)) {
          seen.add(t);
          out.push([p ? `${p}.${k}` : k, t]);
        }
      }
    }
    return out;
  }
  /** Every buffer. @example net.buffers().length */
  buffers(recurse = true): Tensor[] {
    return this.namedBuffers('', recurse).map(([, t]) => t);
  }

  /**
   * Sets training mode on this module and all descendants (Dropout and BatchNorm behave differently).
   *
   * @example
   * net.train();
   */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Inference mode: `train(false)`. @example net.eval() */
  eval(): this {
    return this.train(false);
  }
  /**
   * Turns gradients of every parameter of this module on or off (freezing a block with `false`).
   *
   * @example
   * net.getSubmodule('backbone').requiresGrad_(false);
   */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }
  /**
   * Disposes and clears the gradients of every parameter (torch's `zero_grad(set_to_none=True)`).
   *
   * @example
   * net.zeroGrad();
   */
  zeroGrad(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }
  /**
   * Calls `fn` on every descendant and then on this module (like torch's `apply`, e.g. custom init).
   *
   * @example
   * net.apply((m) => { if (m instanceof Linear) init.zeros_(m.bias!); });
   */
  apply(fn: (m: AnyModule) => void): this {
    for (const c of this.children()) c.apply(fn);
    fn(this as unknown as AnyModule);
    return this;
  }

  /** Own parameters and persistent buffers (not null) under their local names, then children's with prefixes. */
  #stateEntries(prefix: string, out: [string, Tensor][]): void {
    this.#sync();
    for (const [k, t] of this.#params) if (t) out.push([prefix + k, t]);
    for (const [k, t] of this.#buffers) if (t && !this.#nonPersistent.has(k)) out.push([prefix + k, t]);
    for (const [k, m] of this.#modules) if (m) m.#stateEntries(`${prefix}${k}.`, out);
  }

  /**
   * Parameters and persistent buffers under PyTorch's key names (`features.0.weight`, `bn.running_mean`,
   * `bn.num_batches_tracked` as int32). Values are new handles sharing the module's storage (no copy, no
   * graph): dispose them (e.g. `dispose(sd)`) when done; saving with `saveSafetensors(path, sd)` works directly.
   *
   * @example
   * const sd = net.stateDict();
   * await saveSafetensors('net.safetensors', sd);
   * dispose(sd);
   */
  stateDict(): Record<string, Tensor> {
    const entries: [string, Tensor][] = [];
    this.#stateEntries('', entries);
    const out: Record<string, Tensor> = {};
    for (const [k, t] of entries) out[k] = t.detach();
    return out;
  }

  /**
   * Copies values from a state dict into the parameters and buffers (the tensors keep their identity, so
   * optimizers stay attached). Everything is validated before anything is copied: a shape mismatch, a value
   * on another backend or (with `strict`, the default) missing/unexpected keys throw a RadixError that lists them.
   * Dtypes are converted like torch's `copy_` (e.g. a float32 `num_batches_tracked` loads as int32).
   *
   * @example
   * const sd = await loadSafetensors('net.safetensors');
   * net.loadStateDict(sd);
   * dispose(sd);
   */
  loadStateDict(dict: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const op = 'loadStateDict';
    const strict = options.strict ?? true;
    const entries: [string, Tensor][] = [];
    this.#stateEntries('', entries);
    const own = new Map(entries);
    const missingKeys = entries.map(([k]) => k).filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !own.has(k));
    const errors: string[] = [];
    for (const [k, target] of entries) {
      if (!(k in dict)) continue;
      const src = dict[k];
      if (!(src instanceof Tensor)) {
        errors.push(`value for '${k}' is not a Tensor`);
        continue;
      }
      if (src.isDisposed) errors.push(`value for '${k}' was disposed`);
      else if (src.shape.length !== target.shape.length || src.shape.some((d, i) => d !== target.shape[i])) {
        errors.push(`size mismatch for ${k}: copying a param with shape ${fmtShape(src.shape)} from checkpoint, the shape in current model is ${fmtShape(target.shape)}`);
      } else if (src.backend !== target.backend) {
        errors.push(`'${k}' is on the ${src.backend.name} backend but the module is on ${target.backend.name}; load the checkpoint with { backend } or move it with toBackend()`);
      }
    }
    if (strict) {
      if (missingKeys.length) errors.unshift(`missing keys: ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
      if (unexpectedKeys.length) errors.unshift(`unexpected keys: ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (errors.length) {
      throw new RadixError(op, `error(s) in loading state dict for ${this.constructor.name} (nothing was loaded):\n\t${errors.join('\n\t')}`);
    }
    noGrad(() => {
      for (const [k, target] of entries) {
        const src = dict[k];
        if (!src) continue;
        const copy = src.to(target.dtype);
        target._replaceStorage(copy);
        copy.dispose();
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /**
   * Frees every parameter and buffer of this module and its descendants (and their gradients).
   *
   * @example
   * net.dispose();
   */
  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.grad = null;
      p.dispose();
    }
    for (const b of this.buffers()) b.dispose();
  }

  /** Extra text shown inside this module's parentheses by `toString()` (override in layers). */
  extraRepr(): string {
    return '';
  }
  /**
   * A PyTorch-style summary: `Sequential(\n  (0): Linear(in_features=4, out_features=8, bias=true) ...)`.
   *
   * @example
   * console.log(String(net));
   */
  toString(): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (!kids.length) return `${head})`;
    const lines = kids.map(([k, m]) => `  (${k}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}
