// A GAN training checkpoint as one safetensors file: G, D, G_ema (and the D2D-CE head) under their state-dict names,
// both Adam states, and JSON metadata (step, ADA p, path-length mean, options, network kwargs, class names).
import { type Backend, type Tensor, type nn, decodeSafetensors, dispose, optim, rawToTensor, saveSafetensors } from '@radix/tensor-webgpu';
import { readFile } from 'node:fs/promises';

/** The metadata key of a Radix GAN checkpoint. */
export const GAN_CHECKPOINT_KEY = 'radix.gan';

/** JSON metadata of a GAN checkpoint. */
export interface GanCheckpointMeta {
  format: 'radix-gan-checkpoint';
  version: 1;
  step: number;
  nimg: number;
  /** The resolved training options (numbers and strings only). */
  options: Record<string, unknown>;
  ada: import('../augment/ada-controller.js').AdaControllerState | null;
  plMean: number;
  plLast: number;
  networkConfig: Record<string, unknown> | null;
  classNames: string[] | null;
  /** Adam param_groups and per-parameter step counters (tensors are stored as opt{G,D}.<index>.<name>). */
  optimizers: Record<string, { paramGroups: unknown[]; steps: Record<string, number> }>;
  frozen: { g: number; d: number };
  hasHead: boolean;
}

/** Modules and optimizers of a run. */
export interface GanCheckpointParts {
  G: nn.AnyModule;
  D: nn.AnyModule;
  gEma: nn.AnyModule;
  head?: nn.AnyModule | null;
  optG?: optim.Adam | null;
  optD?: optim.Adam | null;
}

/**
 * Writes a checkpoint atomically (temp file + rename): a crash mid-write leaves the previous file intact.
 *
 * @example
 * await saveGanCheckpoint('out/checkpoint.safetensors', { G, D, gEma, optG, optD }, meta);
 */
export async function saveGanCheckpoint(path: string, parts: GanCheckpointParts, meta: GanCheckpointMeta): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  const owned: Tensor[] = [];
  const addModule = (prefix: string, m: nn.AnyModule | null | undefined) => {
    if (!m) return;
    const sd = m.stateDict();
    for (const [k, t] of Object.entries(sd)) {
      tensors[`${prefix}.${k}`] = t;
      owned.push(t);
    }
  };
  addModule('G', parts.G);
  addModule('D', parts.D);
  addModule('G_ema', parts.gEma);
  addModule('head', parts.head);
  const optimizers: GanCheckpointMeta['optimizers'] = {};
  for (const [name, opt] of [['optG', parts.optG], ['optD', parts.optD]] as const) {
    if (!opt) continue;
    const sd = opt.stateDict();
    const steps: Record<string, number> = {};
    for (const [idx, st] of Object.entries(sd.state)) {
      for (const [k, v] of Object.entries(st)) {
        if (typeof v === 'number') steps[`${idx}.${k}`] = v;
        else {
          tensors[`${name}.${idx}.${k}`] = v;
          owned.push(v);
        }
      }
    }
    optimizers[name] = { paramGroups: sd.param_groups, steps };
  }
  try {
    await saveSafetensors(path, tensors, { [GAN_CHECKPOINT_KEY]: JSON.stringify({ ...meta, optimizers }) });
  } finally {
    dispose(owned);
  }
}

/** A checkpoint read back: its metadata and tensors grouped by prefix. */
export interface LoadedGanCheckpoint {
  meta: GanCheckpointMeta;
  /** State dicts by prefix: G, D, G_ema, head. */
  modules: Record<string, Record<string, Tensor>>;
  /** Optimizer state dicts (torch layout) by name: optG, optD. */
  optimizers: Record<string, optim.OptimizerStateDict>;
  /** Frees every tensor of the checkpoint. */
  dispose(): void;
}

/**
 * Reads a checkpoint written by {@link saveGanCheckpoint}; throws naming the file when it is not one.
 *
 * @example
 * const ck = await loadGanCheckpoint('out/checkpoint.safetensors');
 * G.loadStateDict(ck.modules.G_ema!);
 * ck.dispose();
 */
export async function loadGanCheckpoint(path: string, options: { backend?: Backend } = {}): Promise<LoadedGanCheckpoint> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new Error(`loadGanCheckpoint: cannot read '${path}': ${(e as Error).message}`);
  }
  let contents;
  try {
    contents = decodeSafetensors(bytes, { name: path });
  } catch (e) {
    throw new Error(`loadGanCheckpoint: '${path}' is not a safetensors file: ${(e as Error).message}`);
  }
  const raw = contents.metadata?.[GAN_CHECKPOINT_KEY];
  if (!raw) throw new Error(`loadGanCheckpoint: '${path}' has no '${GAN_CHECKPOINT_KEY}' metadata (not a Radix GAN checkpoint)`);
  let meta: GanCheckpointMeta;
  try {
    meta = JSON.parse(raw) as GanCheckpointMeta;
  } catch (e) {
    throw new Error(`loadGanCheckpoint: '${path}' has unreadable '${GAN_CHECKPOINT_KEY}' metadata: ${(e as Error).message}`);
  }
  if (meta.format !== 'radix-gan-checkpoint' || meta.version !== 1) throw new Error(`loadGanCheckpoint: '${path}' is format ${String(meta.format)} v${String(meta.version)}, expected radix-gan-checkpoint v1`);
  const modules: Record<string, Record<string, Tensor>> = {};
  const optTensors: Record<string, Record<string, Record<string, Tensor | number>>> = {};
  const all: Tensor[] = [];
  for (const [key, t] of Object.entries(contents.tensors)) {
    const dot = key.indexOf('.');
    const prefix = key.slice(0, dot);
    const rest = key.slice(dot + 1);
    const value = rawToTensor(key, t, { backend: options.backend });
    all.push(value);
    if (prefix === 'optG' || prefix === 'optD') {
      const [idx, ...name] = rest.split('.');
      ((optTensors[prefix] ??= {})[idx!] ??= {})[name.join('.')] = value;
    } else {
      (modules[prefix] ??= {})[rest] = value;
    }
  }
  const optimizers: Record<string, optim.OptimizerStateDict> = {};
  for (const [name, o] of Object.entries(meta.optimizers ?? {})) {
    const state = optTensors[name] ?? {};
    for (const [k, v] of Object.entries(o.steps)) {
      const [idx, ...field] = k.split('.');
      (state[idx!] ??= {})[field.join('.')] = v;
    }
    optimizers[name] = { state: state as optim.OptimizerStateDict['state'], param_groups: o.paramGroups as optim.OptimizerStateDict['param_groups'] };
  }
  return { meta, modules, optimizers, dispose: () => dispose(all) };
}
