// GAN checkpoints for `radix sample`: what a checkpoint holds (classes, which generator) read cheaply, and a batch
// generator whose every image draws its latent z from its own stream (seed, class, index), so an image does not
// depend on the batch, the shard or the other images. Const noise inputs, truncation ψ, the EMA generator by default.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Backend, Tensor } from '@radix/tensor-webgpu';
import type { StyleGAN2Generator, StyleGAN2GeneratorConfig } from '@radix/gan';
import { UsageError } from './kit/errors.js';
import { packageVersion } from './package-versions.js';
import { digestFiles, latentSeed, type SampleCheckpoint } from './sample-manifest.js';
import type { GanCheckpointRef } from './sample-kind.js';

/** Flags of the GAN sampler. */
export interface GanSampleFlags {
  /** Truncation ψ (default 1: none). */
  truncation?: number;
  /** Use G instead of G_ema. */
  raw?: boolean;
}

/** What a GAN checkpoint holds, read without building the networks (a .pkl is read whole, nothing executed). */
export interface GanDescription {
  ref: GanCheckpointRef;
  /** Class names in label order, or null (unconditional). */
  classNames: string[] | null;
  /** Which generator is sampled: 'G_ema' or 'G'. */
  network: 'G_ema' | 'G';
  weights: 'ema' | 'raw';
  sampler: { truncation: number; noiseMode: 'const'; network: 'G_ema' | 'G' };
  checkpoint: SampleCheckpoint;
  config: StyleGAN2GeneratorConfig;
}

/** The JSON header of a safetensors file (`__metadata__` and the tensor table), read without the tensors. */
function header(path: string): Record<string, unknown> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    const n = Number(head.readBigUInt64LE(0));
    if (!Number.isSafeInteger(n) || 8 + n > size) throw new Error(`radix sample: '${path}' is truncated (its header claims ${n} bytes, the file has ${size})`);
    const json = Buffer.alloc(n);
    readSync(fd, json, 0, n, 8);
    return JSON.parse(json.toString('utf8')) as Record<string, unknown>;
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads what a GAN checkpoint holds: classes, generator configuration, which generator will be sampled, and the
 * checkpoint file's SHA-256 (the whole file: the settings are compared by content on resume and merge).
 *
 * @example
 * const d = await describeGan({ kind: 'gan', path: 'run/checkpoint.safetensors', format: 'radix' }, { truncation: 0.7 });
 * d.classNames; // ['background', 'dab', 'haematoxylin']
 */
export async function describeGan(ref: GanCheckpointRef, flags: GanSampleFlags): Promise<GanDescription> {
  const truncation = flags.truncation ?? 1;
  if (!Number.isFinite(truncation)) throw new UsageError(`radix sample: --truncation must be a finite number, got ${truncation}`);
  let config: StyleGAN2GeneratorConfig;
  let classNames: string[] | null;
  let has: { G: boolean; G_ema: boolean };
  if (ref.format === 'radix') {
    const h = header(ref.path);
    const raw = (h.__metadata__ as Record<string, string> | undefined)?.['radix.gan'];
    let meta: { networkConfig?: { G?: StyleGAN2GeneratorConfig } | null; classNames?: string[] | null };
    try {
      meta = JSON.parse(raw ?? '') as typeof meta;
    } catch (e) {
      throw new Error(`radix sample: '${ref.path}' has unreadable 'radix.gan' metadata: ${(e as Error).message}`);
    }
    if (!meta.networkConfig?.G) throw new Error(`radix sample: '${ref.path}' does not record its generator's configuration (networkConfig.G); it cannot be sampled`);
    config = meta.networkConfig.G;
    const keys = Object.keys(h);
    has = { G: keys.some((k) => k.startsWith('G.')), G_ema: keys.some((k) => k.startsWith('G_ema.')) };
    classNames = config.cDim > 0 ? (meta.classNames ?? Array.from({ length: config.cDim }, (_, i) => `class${i}`)) : null;
    if (classNames && classNames.length !== config.cDim) throw new Error(`radix sample: '${ref.path}' names ${classNames.length} classes but its generator has cDim ${config.cDim}`);
  } else {
    const { readStyleGAN2Snapshot, generatorConfigFromKwargs } = await import('@radix/gan');
    let modules;
    try {
      ({ modules } = await readStyleGAN2Snapshot(ref.path));
    } catch (e) {
      throw new Error(`radix sample: cannot read the stylegan2-ada snapshot '${ref.path}': ${(e as Error).message}`);
    }
    const m = modules.G_ema ?? modules.G;
    if (!m) throw new Error(`radix sample: '${ref.path}' holds no generator (neither G_ema nor G)`);
    config = generatorConfigFromKwargs(m.initArgs, m.initKwargs, modules.G_ema ? 'G_ema' : 'G');
    has = { G: modules.G !== undefined, G_ema: modules.G_ema !== undefined };
    classNames = config.cDim > 0 ? Array.from({ length: config.cDim }, (_, i) => `class${i}`) : null;
  }
  const network = flags.raw ? 'G' : has.G_ema ? 'G_ema' : 'G';
  if (!has[network]) throw new Error(`radix sample: '${ref.path}' holds no ${network}${flags.raw ? ' (--raw asks for the trained generator G; leave it out to use G_ema)' : ''}`);
  const { files, digest } = digestFiles(dirname(ref.path), [basename(ref.path)]);
  return {
    ref, classNames, network, weights: network === 'G' ? 'raw' : 'ema', config,
    sampler: { truncation, noiseMode: 'const', network },
    checkpoint: { path: ref.path, resolved: ref.path, kind: 'gan', source: ref.format, files, digest },
  };
}

/** A GAN ready to sample. */
export interface GanSampler {
  /** `@radix/gan <version>`. */
  model: string;
  /** Images [B, C, R, R] in [0, 1] of images `indices` of class `cls`, as host floats. */
  generate(cls: number | null, indices: readonly number[], seed: number, n?: number, batch?: number): Promise<{ data: Float32Array; shape: [number, number, number, number] }>;
  dispose(): void;
}

/**
 * Builds the generator a description names on `backend` (the EMA generator unless --raw) and returns a batch sampler.
 *
 * @example
 * const s = await openGan(description, backend);
 * const { data, shape } = await s.generate(0, [0, 1, 2, 3], 1);
 */
export async function openGan(d: GanDescription, backend: Backend): Promise<GanSampler> {
  const gan = await import('@radix/gan');
  const tw = await import('@radix/tensor-webgpu');
  let G: StyleGAN2Generator;
  if (d.ref.format === 'radix') {
    let ck;
    try {
      ck = await gan.loadGanCheckpoint(d.ref.path, { backend });
    } catch (e) {
      throw new Error(`radix sample: ${(e as Error).message}`);
    }
    try {
      G = new gan.StyleGAN2Generator(d.config, { backend });
      try {
        G.loadStateDict(ck.modules[d.network] ?? {});
      } catch (e) {
        G.dispose();
        throw new Error(`radix sample: '${d.ref.path}': ${d.network}: ${(e as Error).message}`);
      }
    } finally {
      ck.dispose();
    }
  } else {
    let snap;
    try {
      snap = await gan.loadStyleGAN2Pkl(d.ref.path, { backend });
    } catch (e) {
      throw new Error(`radix sample: ${(e as Error).message}`);
    }
    G = snap[d.network]!;
    for (const other of [snap.G, snap.G_ema, snap.D]) if (other && other !== G) other.dispose();
  }
  G.eval();
  const cDim = G.cDim;
  const psi = d.sampler.truncation;
  return {
    model: `@radix/gan ${packageVersion('@radix/gan')}`,
    async generate(cls, indices, seed) {
      const img = tw.noGrad(() => tw.tidy(() => {
        const z = tw.cat(indices.map((k) => tw.randn([1, G.zDim], { backend, generator: new tw.Generator(latentSeed(seed, cls, k)) })), 0);
        const c: Tensor | null = cDim > 0 ? gan.oneHot(indices.map(() => cls), cDim, backend) : null;
        const ws = G.mapping(z, c, { truncationPsi: psi, updateEmas: false });
        return G.synthesis(ws, { noiseMode: 'const' }).add(1).mul(0.5).clamp(0, 1);
      }));
      try {
        const data = Float32Array.from((await img.data()) as Float32Array);
        return { data, shape: img.shape as [number, number, number, number] };
      } finally {
        img.dispose();
      }
    },
    dispose: () => G.dispose(),
  };
}
