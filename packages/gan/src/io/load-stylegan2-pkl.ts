// loadStyleGAN2Pkl: a stylegan2-ada-pytorch network snapshot as Radix networks (G, G_ema, D) plus the ADA
// probability p of its augment pipe, rebuilt from constructor kwargs and state dicts only.
import { type Backend, type BackendName, RadixError, type Tensor, rawToTensor } from '@radix/tensor-webgpu';
import { StyleGAN2Discriminator } from '../networks/discriminator.js';
import { StyleGAN2Generator } from '../networks/generator.js';
import { discriminatorConfigFromKwargs, generatorConfigFromKwargs } from './init-kwargs.js';
import { type SnapshotModule, type SnapshotReadOptions, readStyleGAN2Snapshot } from './snapshot-pickle.js';

/** Options of {@link loadStyleGAN2Pkl}. */
export interface LoadStyleGAN2PklOptions extends SnapshotReadOptions {
  /** Backend of the networks (default: the current backend). */
  backend?: BackendName | Backend;
}

/** What {@link loadStyleGAN2Pkl} returns. Networks absent from the pickle are null. */
export interface StyleGAN2Snapshot {
  /** The generator being trained (in eval mode, as pickled). */
  G: StyleGAN2Generator | null;
  /** The EMA generator (what stylegan2-ada's generate.py uses). */
  G_ema: StyleGAN2Generator | null;
  D: StyleGAN2Discriminator | null;
  /** The augment pipe's probability p and its init kwargs (snake_case), or null without ADA. */
  augmentPipe: { p: number; initKwargs: Record<string, unknown> } | null;
  /** The snapshot's `training_set_kwargs` (dataset path, resolution, use_labels, …), as stored. */
  trainingSetKwargs: Record<string, unknown> | null;
}

function build<T extends StyleGAN2Generator | StyleGAN2Discriminator>(m: SnapshotModule, net: T, name: string, file: string): T {
  const sd: Record<string, Tensor> = {};
  const backend = net.parameters()[0]?.backend;
  try {
    for (const [k, raw] of Object.entries(m.stateDict)) sd[k] = rawToTensor(k, raw, { backend });
    net.loadStateDict(sd);
  } catch (e) {
    net.dispose();
    throw new RadixError('loadStyleGAN2Pkl', `${file}: ${name}: ${(e as Error).message}`);
  } finally {
    for (const t of Object.values(sd)) t.dispose();
  }
  net.eval();
  return net;
}

/**
 * Loads a `network-snapshot-*.pkl` written by stylegan2-ada-pytorch's training loop without executing anything from
 * it: the restricted unpickler reads only constructor kwargs and tensors (the pickled source code is ignored), the
 * networks are built from the kwargs and their state dicts loaded strictly (missing, unexpected or mis-shaped keys
 * are listed). Errors name the file.
 *
 * @example
 * const { G_ema, augmentPipe } = await loadStyleGAN2Pkl('network-snapshot-000200.pkl', { backend: 'webgpu' });
 * const img = G_ema!.call(randn([4, G_ema!.zDim]), null, { truncationPsi: 0.7, noiseMode: 'const' });
 * augmentPipe?.p; // e.g. 0.23
 */
export async function loadStyleGAN2Pkl(path: string, options: LoadStyleGAN2PklOptions = {}): Promise<StyleGAN2Snapshot> {
  const { modules, other } = await readStyleGAN2Snapshot(path, options);
  const wrap = <T>(name: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      const msg = (e as Error).message;
      throw msg.startsWith(`loadStyleGAN2Pkl: ${path}`) ? e : new RadixError('loadStyleGAN2Pkl', `${path}: ${name}: ${msg}`);
    }
  };
  const init = { backend: options.backend };
  const gen = (name: string): StyleGAN2Generator | null => {
    const m = modules[name];
    if (!m) return null;
    if (m.className !== 'Generator') throw new RadixError('loadStyleGAN2Pkl', `${path}: ${name} is a '${m.className}', expected stylegan2-ada's 'Generator'`);
    const net = wrap(name, () => new StyleGAN2Generator(generatorConfigFromKwargs(m.initArgs, m.initKwargs, name), init));
    return build(m, net, name, path);
  };
  const out: StyleGAN2Snapshot = { G: null, G_ema: null, D: null, augmentPipe: null, trainingSetKwargs: null };
  try {
    out.G = gen('G');
    out.G_ema = gen('G_ema');
    const d = modules.D;
    if (d) {
      if (d.className !== 'Discriminator') throw new RadixError('loadStyleGAN2Pkl', `${path}: D is a '${d.className}', expected stylegan2-ada's 'Discriminator'`);
      const net = wrap('D', () => new StyleGAN2Discriminator(discriminatorConfigFromKwargs(d.initArgs, d.initKwargs, 'D'), init));
      out.D = build(d, net, 'D', path);
    }
    const ap = modules.augment_pipe;
    if (ap) {
      const p = ap.stateDict.p;
      if (!p || p.data.length !== 1) throw new RadixError('loadStyleGAN2Pkl', `${path}: augment_pipe has no scalar buffer 'p'`);
      out.augmentPipe = { p: Number(p.data[0]), initKwargs: ap.initKwargs };
    }
  } catch (e) {
    out.G?.dispose();
    out.G_ema?.dispose();
    out.D?.dispose();
    throw e;
  }
  const ts = other.training_set_kwargs;
  out.trainingSetKwargs = ts && typeof ts === 'object' ? (ts as Record<string, unknown>) : null;
  return out;
}
