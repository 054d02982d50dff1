// Starting a run from pretrained weights (the transfer protocol): read a Radix GAN checkpoint, a stylegan2-ada
// network-snapshot .pkl or a state dict with G./D./G_ema. prefixes; copy every tensor whose name and shape match, and
// re-initialise — and say so — the label embeddings when the classes changed. Other mismatches are refused, listed.
import { type Backend, type Tensor, dispose, loadPth, loadSafetensors, type nn } from '@radix/tensor-webgpu';
import { loadStyleGAN2Pkl } from '../io/load-stylegan2-pkl.js';
import type { StyleGAN2DiscriminatorConfig } from '../networks/discriminator.js';
import type { StyleGAN2GeneratorConfig } from '../networks/generator.js';
import { GAN_CHECKPOINT_KEY, loadGanCheckpoint } from './checkpoint.js';

/** Target modules of {@link loadPretrained}. */
export interface PretrainedTargets {
  G: nn.AnyModule;
  D: nn.AnyModule;
  gEma: nn.AnyModule;
  head?: nn.AnyModule | null;
}

/** Pretrained weights read from disk, by module (G, D, G_ema, head), with the networks' configs when recorded. */
export interface PretrainedSource {
  path: string;
  /** 'radix checkpoint (step 1200)', 'stylegan2-ada snapshot', 'state dict'. */
  kind: string;
  modules: Record<string, Record<string, Tensor>>;
  /** The source networks' constructor arguments (null for a bare state dict). */
  configs: { G?: StyleGAN2GeneratorConfig; D?: StyleGAN2DiscriminatorConfig } | null;
  dispose(): void;
}

/**
 * Keys that depend on the classes or the conditioning, per module: G's label embedding; D's label mapping network and
 * its output layer (cmap_dim outputs with projection, 1 without); the head's label embedding.
 */
const CLASS_KEYS: Record<string, RegExp> = { G: /^mapping\.embed\./, G_ema: /^mapping\.embed\./, D: /^(mapping\.|b4\.out\.)/, head: /^embedding\./ };

/**
 * Reads pretrained weights: a Radix checkpoint (safetensors with Radix metadata), a stylegan2-ada `.pkl` (through the
 * restricted unpickler of {@link loadStyleGAN2Pkl}), or a `.safetensors`/`.pth` state dict whose keys start with
 * `G.`, `D.` and optionally `G_ema.`.
 *
 * @example
 * const src = await readPretrained('network-snapshot-000400.pkl');
 * src.configs?.G; // { zDim: 512, cDim: 10, … }
 * src.dispose();
 */
export async function readPretrained(path: string, options: { backend?: Backend } = {}): Promise<PretrainedSource> {
  if (/\.pkl$/i.test(path)) {
    const snap = await loadStyleGAN2Pkl(path, { backend: options.backend });
    const nets = { G: snap.G, G_ema: snap.G_ema, D: snap.D };
    const modules: Record<string, Record<string, Tensor>> = {};
    for (const [k, m] of Object.entries(nets)) if (m) modules[k] = m.stateDict();
    const configs = { G: (snap.G_ema ?? snap.G)?.config, D: snap.D?.config };
    return {
      path, kind: 'stylegan2-ada snapshot', modules, configs,
      dispose: () => {
        for (const sd of Object.values(modules)) dispose(sd);
        for (const m of Object.values(nets)) m?.dispose();
      },
    };
  }
  if (/\.safetensors$/i.test(path)) {
    const { hasSafetensorsMetadata } = await import('./safetensors-meta.js');
    if (await hasSafetensorsMetadata(path, GAN_CHECKPOINT_KEY)) {
      const ck = await loadGanCheckpoint(path, { backend: options.backend });
      for (const o of Object.values(ck.optimizers)) for (const st of Object.values(o.state)) for (const v of Object.values(st)) if (typeof v !== 'number') v.dispose();
      const cfg = ck.meta.networkConfig as { G?: StyleGAN2GeneratorConfig; D?: StyleGAN2DiscriminatorConfig } | null;
      return { path, kind: `radix checkpoint (step ${ck.meta.step} of its run)`, modules: ck.modules, configs: cfg ? { G: cfg.G, D: cfg.D } : null, dispose: () => ck.dispose() };
    }
  }
  const flat = /\.safetensors$/i.test(path) ? await loadSafetensors(path, { backend: options.backend }) : await loadPth(path, { backend: options.backend });
  const modules: Record<string, Record<string, Tensor>> = {};
  for (const [key, t] of Object.entries(flat)) {
    const m = /^(G_ema|G|D|head)\.(.+)$/.exec(key);
    if (!m) {
      dispose(flat);
      throw new Error(`readPretrained: '${path}': key '${key}' does not start with G., D., G_ema. or head. (expected a state dict of a GAN's networks)`);
    }
    (modules[m[1]!] ??= {})[m[2]!] = t;
  }
  return { path, kind: 'state dict', modules, configs: null, dispose: () => dispose(flat) };
}

/**
 * Copies `source` into `target` where names and shapes agree. Class-dependent tensors (see above) that are missing,
 * extra or differently shaped keep their fresh initialisation (or are dropped) and are reported; any other
 * mismatch throws, listing the keys. Returns the notes.
 *
 * @example
 * const notes = loadMatching('G', G, pretrained.modules.G);
 */
export function loadMatching(what: string, target: nn.AnyModule, source: Record<string, Tensor>): string[] {
  const classKey = CLASS_KEYS[what] ?? /^$/;
  const mine = target.stateDict();
  const take: Record<string, Tensor> = {};
  const reinit: string[] = [];
  const dropped: string[] = [];
  const bad: string[] = [];
  try {
    for (const [k, t] of Object.entries(mine)) {
      const s = source[k];
      if (s && s.shape.length === t.shape.length && s.shape.every((d, i) => d === t.shape[i])) take[k] = s;
      else if (classKey.test(k)) reinit.push(s ? `${k} (checkpoint [${s.shape.join(', ')}], model [${t.shape.join(', ')}])` : `${k} (not in the checkpoint)`);
      else bad.push(s ? `${k}: checkpoint [${s.shape.join(', ')}], model [${t.shape.join(', ')}]` : `${k}: missing from the checkpoint`);
    }
    for (const k of Object.keys(source)) {
      if (k in mine) continue;
      if (classKey.test(k)) dropped.push(k);
      else bad.push(`${k}: in the checkpoint, not in the model`);
    }
    if (bad.length > 0) throw new Error(`loadPretrained: the ${what} checkpoint does not fit the network (${bad.length} key${bad.length === 1 ? '' : 's'}): ${bad.slice(0, 20).join('; ')}${bad.length > 20 ? '; …' : ''}`);
    target.loadStateDict(take, { strict: false });
  } finally {
    dispose(mine);
  }
  const notes: string[] = [];
  if (reinit.length > 0) notes.push(`${what}: re-initialised ${reinit.join(', ')}`);
  if (dropped.length > 0) notes.push(`${what}: dropped the checkpoint's ${dropped.join(', ')} (not used by the new conditioning)`);
  return notes;
}

/**
 * Loads pretrained weights into a new run's networks: G from G, D from D, the EMA copy from G_ema (else G), the D2D-CE
 * head when the source has one. The number of classes may differ: label embeddings are then re-initialised and the
 * returned notes say so. Optimizer state, step and ADA p are not taken (a new run starts; use `pretrained: true`).
 *
 * @example
 * const notes = await loadPretrained('pretrained/checkpoint.safetensors', { G, D, gEma, head });
 * notes.forEach((n) => console.log(n)); // 'G: re-initialised mapping.embed.weight (checkpoint [512, 10], model [512, 3])'
 */
export async function loadPretrained(path: string, targets: PretrainedTargets): Promise<string[]> {
  const src = await readPretrained(path, { backend: targets.G.parameters()[0]?.backend });
  try {
    return loadPretrainedInto(src, targets);
  } finally {
    src.dispose();
  }
}

/**
 * {@link loadPretrained} from an already read source.
 *
 * @example
 * const src = await readPretrained(path);
 * const notes = loadPretrainedInto(src, { G, D, gEma });
 * src.dispose();
 */
export function loadPretrainedInto(src: PretrainedSource, targets: PretrainedTargets): string[] {
  const g = src.modules.G ?? src.modules.G_ema;
  if (!g || !src.modules.D) throw new Error(`loadPretrained: '${src.path}' holds no ${g ? 'D' : 'G'} weights`);
  const notes = [
    `started from ${src.path} (${src.kind})`,
    ...loadMatching('G', targets.G, g),
    ...loadMatching('D', targets.D, src.modules.D),
    ...loadMatching('G_ema', targets.gEma, src.modules.G_ema ?? g),
  ];
  if (targets.head) {
    if (src.modules.head) notes.push(...loadMatching('head', targets.head, src.modules.head));
    else notes.push('head: the D2D-CE head starts fresh (the checkpoint has none)');
  }
  return notes;
}
