// Where synthetic training images come from: one adapter per variant kind (rudi augmentation here; the GAN and
// diffusion adapters once their packages ship a trainer and sampler), behind one interface the experiment calls.
import { HostRandom, rudiPreset } from '@radix/augment';
import { tensor, type Backend } from '@radix/tensor-webgpu';
import type { VariantConfig } from './experiment-config.js';
import { concatPatches, type PatchDataset, type PatchSet } from './patch-set.js';

/** What an adapter is given. */
export interface GenerateContext {
  dataset: PatchDataset;
  variant: VariantConfig;
  /** The job's folder: checkpoints and intermediate files go here (a killed job resumes from them). */
  jobDir: string;
  backend: Backend;
  seed: number;
  log: (line: string) => void;
}

/** What an adapter returns: `perClass` labelled images per class, plus curves and details for the report. */
export interface GeneratedSet {
  set: PatchSet;
  /** Training curves by name (loss_G, loss_D, ADA p, …), for the report's inline SVG charts. */
  curves: Record<string, { step: number; value: number }[]>;
  /** Settings and facts worth recording (steps, kimg, freezing, seconds). */
  details: Record<string, unknown>;
}

/** A source of synthetic images. */
export interface GeneratorAdapter {
  kind: VariantConfig['kind'];
  generate(ctx: GenerateContext): Promise<GeneratedSet>;
}

/** rudi's augmentation (rotate ±15°, zoom 1–1.2, grid distortion 5 px, p 0.7), `perClass` outputs per class drawn from the labelled patches. */
const rudiAdapter: GeneratorAdapter = {
  kind: 'rudi',
  async generate({ dataset, variant, backend, seed }) {
    const { size } = dataset;
    const per = 3 * size * size;
    const pipeline = rudiPreset();
    const parts: PatchSet[] = [];
    for (let c = 0; c < dataset.classes.length; c++) {
      const ids = [...dataset.train.labels.keys()].filter((i) => dataset.train.labels[i] === c);
      if (ids.length === 0) continue;
      const src = new Float32Array(ids.length * per);
      ids.forEach((id, k) => src.set(dataset.train.images.subarray(id * per, (id + 1) * per), k * per));
      const x = tensor(src, { shape: [ids.length, 3, size, size], backend });
      const { images, params } = pipeline.sample(x, variant.perClass, { generator: new HostRandom(seed, c) });
      const data = Float32Array.from((await images.data()) as Float32Array);
      x.dispose();
      images.dispose();
      parts.push({
        images: data, labels: new Int32Array(variant.perClass).fill(c),
        origins: params.map((p) => ({ source: `rudi(${dataset.train.origins[ids[p.source]!]!.source}@${dataset.train.origins[ids[p.source]!]!.x},${dataset.train.origins[ids[p.source]!]!.y})`, x: 0, y: 0 })),
      });
    }
    return { set: concatPatches(parts), curves: {}, details: { preset: 'rudi augment -p 0.7 -mlr 15 -mrr 15 -minf 1 -maxf 1.2 -mg 5', perClass: variant.perClass } };
  },
};

const ADAPTERS: Partial<Record<VariantConfig['kind'], GeneratorAdapter>> = { rudi: rudiAdapter };

/**
 * Why a generator kind cannot run in this build, or null when it can.
 *
 * @example
 * await generatorAvailability('rudi'); // null
 */
export async function generatorAvailability(kind: VariantConfig['kind']): Promise<string | null> {
  if (ADAPTERS[kind]) return null;
  if (kind === 'gan') return '@radix/gan does not provide a GAN trainer and sampler in this build, so no GAN variant can run';
  if (kind === 'diffusion') return '@radix/diffusion does not provide a diffusion trainer and sampler in this build, so no diffusion variant can run';
  return `'${kind}' variants generate nothing`;
}

/**
 * The adapter of a variant kind (throws, with the reason, when this build has none).
 *
 * @example
 * const set = await generatorFor('rudi').generate(ctx);
 */
export async function generatorFor(kind: VariantConfig['kind']): Promise<GeneratorAdapter> {
  const a = ADAPTERS[kind];
  if (!a) throw new Error(`no generator for '${kind}': ${await generatorAvailability(kind)}`);
  return a;
}
