// Datasets on disk inside a run directory: the patches and labels of every split in one safetensors file and the
// rest (classes, patch origins, how it was built) in JSON, both written atomically, so every job reads the same data.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, encodeSafetensors, type RawTensor } from '@radix/tensor-webgpu';
import { writeFileAtomic } from '../kit/output.js';
import type { PatchDataset, PatchSet } from './patch-set.js';

const SPLITS = ['train', 'val', 'test', 'pool'] as const;

/**
 * Writes `dir/dataset.safetensors` and `dir/dataset.json`.
 *
 * @example
 * await saveDataset('run/data', buildIhcDataset());
 */
export async function saveDataset(dir: string, ds: PatchDataset): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const tensors: Record<string, RawTensor> = {};
  const meta: Record<string, unknown> = { format: 'radix-patch-dataset/1', classes: ds.classes, size: ds.size, description: ds.description, warnings: ds.warnings, origins: {} };
  for (const s of SPLITS) {
    const set = ds[s];
    const n = set.labels.length;
    tensors[`${s}.images`] = { dtype: 'F32', shape: [n, 3, ds.size, ds.size], data: set.images };
    tensors[`${s}.labels`] = { dtype: 'I32', shape: [n], data: set.labels };
    (meta.origins as Record<string, unknown>)[s] = set.origins.map((o) => [o.source, o.x, o.y]);
  }
  await writeFileAtomic(join(dir, 'dataset.safetensors'), encodeSafetensors(tensors, { format: 'radix-patch-dataset/1' }));
  await writeFileAtomic(join(dir, 'dataset.json'), `${JSON.stringify(meta)}\n`);
}

/**
 * Reads a dataset written by {@link saveDataset}.
 *
 * @example
 * const ds = loadDataset('run/data');
 */
export function loadDataset(dir: string): PatchDataset {
  const jsonPath = join(dir, 'dataset.json');
  let meta: { format: string; classes: string[]; size: number; description: string[]; warnings: string[]; origins: Record<string, [string, number, number][]> };
  try {
    meta = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the dataset '${jsonPath}': ${(e as Error).message}`);
  }
  if (meta.format !== 'radix-patch-dataset/1') throw new Error(`'${jsonPath}' is not a radix patch dataset (format ${String(meta.format)})`);
  const st = decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'dataset.safetensors'))), { name: join(dir, 'dataset.safetensors') });
  const set = (s: (typeof SPLITS)[number]): PatchSet => ({
    images: Float32Array.from(st.tensors[`${s}.images`]!.data as Float32Array),
    labels: Int32Array.from(st.tensors[`${s}.labels`]!.data as Int32Array),
    origins: meta.origins[s]!.map(([source, x, y]) => ({ source, x, y })),
  });
  return { classes: meta.classes, size: meta.size, train: set('train'), val: set('val'), test: set('test'), pool: set('pool'), description: meta.description, warnings: meta.warnings };
}
