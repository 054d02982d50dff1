// Deterministic "hash formula" weights for any torchvision-keyed network, identical to tools/reference/
// gen_metrics_networks.py's, so architecture tests compare against torchvision's own forward without real weights.
import { type Backend, type BackendName, type Tensor, tensor } from '@radix/tensor-webgpu';

/** MurmurHash3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Element `i` of key number `k`: u = fmix32((i·0x9E3779B1) xor ((k + 1)·0x85EBCA77)) / 2³² · 2 − 1 (32-bit wrap-around).
 *
 * @example
 * hashUniform(0, 0); // a number in [−1, 1)
 */
export function hashUniform(k: number, i: number): number {
  const h = fmix32((Math.imul(i, 0x9e3779b1) ^ Math.imul(k + 1, 0x85ebca77)) >>> 0);
  return (h / 4294967296) * 2 - 1;
}

/** Name, shape and dtype of each entry of a state dict to fill. */
export type StateDictShapes = Record<string, { shape: readonly number[]; dtype?: 'float32' | 'int32' }>;

/**
 * The hash-formula state dict for the given keys: keys without `num_batches_tracked` are sorted as strings and key
 * number k gets, element by element, u = {@link hashUniform}(k, i) scaled by kind — batch norm (a module with a
 * `running_mean`): weight 1 + 0.1u, bias 0.1u, running_mean 0.1u, running_var 1 + 0.25(u + 1); other 4-D weights
 * u·√(6/fan_in), 2-D weights u·√(3/fan_in), other biases 0.01u — in float64, rounded to float32;
 * `num_batches_tracked` is 0. For tests of architectures (the values mean nothing).
 *
 * @example
 * const net = new TorchvisionResNet50({ backend: 'cpu' });
 * net.loadStateDict(hashFormulaWeights(shapesOf(net), { backend: 'cpu' }));
 */
export function hashFormulaWeights(shapes: StateDictShapes, options: { backend?: BackendName | Backend } = {}): Record<string, Tensor> {
  const names = Object.keys(shapes);
  const keys = names.filter((k) => !k.endsWith('num_batches_tracked')).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bn = new Set(names.filter((k) => k.endsWith('.running_mean')).map((k) => k.slice(0, -'.running_mean'.length)));
  const be = options.backend === undefined ? {} : { backend: options.backend };
  const out: Record<string, Tensor> = {};
  keys.forEach((name, k) => {
    const { shape } = shapes[name]!;
    const n = shape.reduce((a, b) => a * b, 1);
    const cut = name.lastIndexOf('.');
    const mod = name.slice(0, cut);
    const leaf = name.slice(cut + 1);
    const data = new Float32Array(n);
    const fanScale = shape.length >= 2 ? Math.sqrt((shape.length === 4 ? 6 : 3) / (n / shape[0]!)) : 0;
    for (let i = 0; i < n; i++) {
      const u = hashUniform(k, i);
      let v: number;
      if (bn.has(mod)) v = leaf === 'weight' ? 1 + 0.1 * u : leaf === 'running_var' ? 1 + 0.25 * (u + 1) : 0.1 * u;
      else if (leaf === 'weight') v = u * fanScale;
      else v = 0.01 * u;
      data[i] = v;
    }
    out[name] = tensor(data, { shape, ...be });
  });
  for (const name of names) {
    if (name.endsWith('num_batches_tracked')) out[name] = tensor(new Int32Array(shapes[name]!.shape.reduce((a, b) => a * b, 1)), { shape: shapes[name]!.shape, dtype: 'int32', ...be });
  }
  return out;
}

/**
 * The shapes and dtypes of a module's state dict (what {@link hashFormulaWeights} fills).
 *
 * @example
 * const shapes = shapesOf(net); // { 'conv1.weight': { shape: [64, 3, 7, 7], dtype: 'float32' }, … }
 */
export function shapesOf(module: { stateDict(): Record<string, Tensor> }): StateDictShapes {
  const out: StateDictShapes = {};
  for (const [k, t] of Object.entries(module.stateDict())) {
    out[k] = { shape: t.shape, dtype: t.dtype === 'int32' ? 'int32' : 'float32' };
    t.dispose();
  }
  return out;
}
