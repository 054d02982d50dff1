// Containers: Sequential (chains layers), ModuleList and ModuleDict (hold submodules under index/string keys),
// registered under PyTorch's key names ('0', '1', … or the dict keys).
import { RadixError, check } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { type AnyModule, Module } from './module.js';

/** A module that maps one tensor to one tensor (what Sequential chains). */
export type TensorModule = Module<[Tensor], Tensor>;

function indexOf(op: string, i: number, n: number): number {
  check(Number.isInteger(i) && i >= -n && i < n, op, `index ${i} is out of range for ${n} modules`);
  return i < 0 ? i + n : i;
}

/**
 * Runs modules in order, each on the previous one's output (torch.nn.Sequential); children are named
 * '0', '1', … (or by the keys of a record). Intermediate outputs are disposed as soon as the next module has
 * run (gradients still flow: autograd keeps what it needs).
 *
 * @example
 * const net = new Sequential(new Conv2d(3, 4, 3), new ReLU(), new Flatten(), new Linear(4 * 6 * 6, 10));
 * net.stateDict(); // keys '0.weight', '0.bias', '3.weight', '3.bias'
 * const named = new Sequential({ conv: new Conv2d(3, 4, 3), act: new ReLU() });
 */
export class Sequential extends Module {
  readonly #names: string[] = [];
  constructor(...modules: TensorModule[] | [Record<string, TensorModule>]) {
    super();
    const first = modules[0];
    if (modules.length === 1 && first !== undefined && !(first instanceof Module)) {
      for (const [k, m] of Object.entries(first)) this.#add(k, m);
    } else {
      for (const m of modules as TensorModule[]) this.append(m);
    }
  }

  #add(name: string, m: TensorModule): void {
    check(m instanceof Module, 'Sequential', `'${name}' is not a Module`);
    this.registerModule(name, m);
    this.#names.push(name);
  }
  /** Number of modules. */
  get length(): number {
    return this.#names.length;
  }
  /** The module at position `i` (negative counts from the end). @example net.at(-1) */
  at(i: number): TensorModule {
    return this.getSubmodule(this.#names[indexOf('Sequential.at', i, this.length)]!) as TensorModule;
  }
  /** Adds a module at the end (named by its position). @example net.append(new ReLU()) */
  append(module: TensorModule): this {
    this.#add(String(this.length), module);
    return this;
  }
  [Symbol.iterator](): Iterator<TensorModule> {
    return this.#names.map((_, i) => this.at(i))[Symbol.iterator]();
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this) {
      const next = m.call(y);
      if (y !== x && next !== y) y.dispose();
      y = next;
    }
    return y === x ? x.reshape([...x.shape]) : y;
  }
}

/**
 * A list of submodules registered as '0', '1', … (torch.nn.ModuleList); it has no forward of its own.
 *
 * @example
 * const blocks = new ModuleList([new Linear(8, 8), new Linear(8, 8)]);
 * for (const b of blocks) x = b.call(x);
 */
export class ModuleList<M extends AnyModule = AnyModule> extends Module<never[], never> {
  #count = 0;
  constructor(modules: Iterable<M> = []) {
    super();
    for (const m of modules) this.append(m);
  }
  /** Number of modules. */
  get length(): number {
    return this.#count;
  }
  /** The module at `i` (negative counts from the end). @example blocks.at(0) */
  at(i: number): M {
    return this.getSubmodule(String(indexOf('ModuleList.at', i, this.#count))) as M;
  }
  /** Adds a module at the end. @example blocks.append(new Linear(8, 8)) */
  append(module: M): this {
    this.registerModule(String(this.#count), module);
    this.#count++;
    return this;
  }
  /** Appends several modules. @example blocks.extend([a, b]) */
  extend(modules: Iterable<M>): this {
    for (const m of modules) this.append(m);
    return this;
  }
  [Symbol.iterator](): Iterator<M> {
    return Array.from({ length: this.#count }, (_, i) => this.at(i))[Symbol.iterator]();
  }
  forward(): never {
    throw new RadixError('ModuleList', 'has no forward(); iterate over it and call the modules');
  }
}

/**
 * Submodules under string keys (torch.nn.ModuleDict), kept in insertion order; no forward of its own.
 *
 * @example
 * const heads = new ModuleDict({ cls: new Linear(8, 3), box: new Linear(8, 4) });
 * const y = heads.get('cls').call(x);
 */
export class ModuleDict<M extends AnyModule = AnyModule> extends Module<never[], never> {
  readonly #keys: string[] = [];
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  /** The module under `key` (throws when absent). @example heads.get('cls') */
  get(key: string): M {
    if (!this.#keys.includes(key)) throw new RadixError('ModuleDict', `no module under key '${key}' (keys: ${this.#keys.join(', ')})`);
    return this.getSubmodule(key) as M;
  }
  /** Adds or replaces the module under `key`. @example heads.set('seg', new Conv2d(8, 2, 1)) */
  set(key: string, module: M): this {
    this.registerModule(key, module);
    if (!this.#keys.includes(key)) this.#keys.push(key);
    return this;
  }
  /** True when `key` is present. @example heads.has('cls') */
  has(key: string): boolean {
    return this.#keys.includes(key);
  }
  /** Keys in insertion order. @example heads.keys() */
  keys(): string[] {
    return [...this.#keys];
  }
  /** Modules in insertion order. @example heads.values() */
  values(): M[] {
    return this.#keys.map((k) => this.get(k));
  }
  /** [key, module] pairs. @example for (const [k, m] of heads.entries()) ... */
  entries(): [string, M][] {
    return this.#keys.map((k) => [k, this.get(k)]);
  }
  /** Number of entries. */
  get size(): number {
    return this.#keys.length;
  }
  forward(): never {
    throw new RadixError('ModuleDict', 'has no forward(); look modules up with get()');
  }
}
