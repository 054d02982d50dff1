// The `radix experiment` configuration: its JSON schema checked key by key (unknown keys and missing paths are
// refused by name), defaults filled in, paths resolved against the config's folder, generator variants checked
// against what this build provides.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_CLASSIFIER, type ClassifierSettings } from './classifier-train.js';
import { generatorAvailability } from './generators.js';

/** Where the labelled data comes from. */
export type DataConfig =
  | { kind: 'ihc'; path: string | null; size: number; block: number; labelledPerClass: number; seed: number }
  | { kind: 'folder'; path: string; size: number | null; pool: string | null; labelledPerClass: number | null; valFraction: number; testFraction: number; seed: number };

/** Kinds of training data a variant adds to (or uses instead of) the labelled patches. */
export const VARIANT_KINDS = ['real', 'rudi', 'gan', 'diffusion', 'synthetic-only'] as const;
/** One of {@link VARIANT_KINDS}. */
export type VariantKind = (typeof VARIANT_KINDS)[number];

/** One row of the classifier table. */
export interface VariantConfig {
  /** Unique, path-safe (letters, digits, + . _ -). */
  name: string;
  kind: VariantKind;
  /** Synthetic images per class (rudi, gan, diffusion). */
  perClass: number;
  /** gan: `scratch` (on the labelled patches), `pretrained` (on the pool, used as is) or `finetune` (pool, then labelled). */
  init: 'scratch' | 'pretrained' | 'finetune';
  /** gan finetune: generator / discriminator blocks frozen (freezeG, freezeD of the GAN package). */
  freezeG: number;
  freezeD: number;
  /** Options passed to the generator's trainer (kimg, steps, batch, …), recorded as given. */
  train: Record<string, unknown>;
  /** synthetic-only: the variant whose synthetic images train the classifier alone. */
  from: string | null;
}

/** A checked experiment configuration. */
export interface ExperimentConfig {
  name: string;
  /** Folder of the config file (relative paths resolve against it). */
  baseDir: string;
  data: DataConfig;
  classifier: ClassifierSettings;
  seeds: number[];
  variants: VariantConfig[];
  backend: 'auto' | 'webgpu' | 'cpu';
  /** FID/KID: a pt_inception-2015-12-05 .pth; null leaves them out (the report says how to enable them). */
  inceptionWeights: string | null;
  /** Bootstrap resamples of the test-set intervals. */
  bootstrap: number;
}

class ConfigError extends Error {
  override name = 'ConfigError';
}

type Obj = Record<string, unknown>;

function obj(v: unknown, where: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`${where} must be an object`);
  return v as Obj;
}

function keys(o: Obj, allowed: readonly string[], where: string): void {
  const bad = Object.keys(o).filter((k) => !allowed.includes(k));
  if (bad.length) throw new ConfigError(`${where}: unknown key${bad.length > 1 ? 's' : ''} ${bad.map((k) => `'${k}'`).join(', ')} (allowed: ${allowed.join(', ')})`);
}

function num(o: Obj, k: string, where: string, def: number, opts: { int?: boolean; min?: number; max?: number } = {}): number {
  const v = o[k];
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.int && !Number.isInteger(v)) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    throw new ConfigError(`${where}.${k} must be ${opts.int ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function str<T extends string>(o: Obj, k: string, where: string, def: T, allowed?: readonly T[]): T {
  const v = o[k];
  if (v === undefined) return def;
  if (typeof v !== 'string' || (allowed && !allowed.includes(v as T))) throw new ConfigError(`${where}.${k} must be ${allowed ? `one of ${allowed.join(', ')}` : 'a string'}, got ${JSON.stringify(v)}`);
  return v as T;
}

function path(o: Obj, k: string, where: string, base: string, kind: 'file' | 'dir'): string | null {
  const v = o[k];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v === '') throw new ConfigError(`${where}.${k} must be a path, got ${JSON.stringify(v)}`);
  const p = resolve(base, v);
  if (!existsSync(p)) throw new ConfigError(`${where}.${k}: '${p}' does not exist`);
  if (kind === 'dir' ? !statSync(p).isDirectory() : !statSync(p).isFile()) throw new ConfigError(`${where}.${k}: '${p}' is not a ${kind === 'dir' ? 'folder' : 'file'}`);
  return p;
}

function dataConfig(v: unknown, base: string): DataConfig {
  const o = obj(v, 'config.data');
  const kind = str(o, 'kind', 'config.data', 'ihc' as 'ihc' | 'folder', ['ihc', 'folder']);
  const w = 'config.data';
  if (kind === 'ihc') {
    keys(o, ['kind', 'path', 'size', 'block', 'labelledPerClass', 'seed'], w);
    return {
      kind, path: path(o, 'path', w, base, 'file'), size: num(o, 'size', w, 32, { int: true, min: 4 }), block: num(o, 'block', w, 64, { int: true, min: 4 }),
      labelledPerClass: num(o, 'labelledPerClass', w, 20, { int: true, min: 1 }), seed: num(o, 'seed', w, 7, { int: true, min: 0 }),
    };
  }
  keys(o, ['kind', 'path', 'size', 'pool', 'labelledPerClass', 'valFraction', 'testFraction', 'seed'], w);
  const p = path(o, 'path', w, base, 'dir');
  if (!p) throw new ConfigError(`${w}.path is required for kind 'folder' (a folder with one subfolder per class)`);
  return {
    kind, path: p, size: o.size === undefined ? null : num(o, 'size', w, 0, { int: true, min: 4 }), pool: path(o, 'pool', w, base, 'dir'),
    labelledPerClass: o.labelledPerClass === undefined ? null : num(o, 'labelledPerClass', w, 0, { int: true, min: 1 }),
    valFraction: num(o, 'valFraction', w, 0.2, { min: 0.01, max: 0.9 }), testFraction: num(o, 'testFraction', w, 0.2, { min: 0.01, max: 0.9 }),
    seed: num(o, 'seed', w, 7, { int: true, min: 0 }),
  };
}

function classifierConfig(v: unknown, base: string): ClassifierSettings {
  if (v === undefined) return { ...DEFAULT_CLASSIFIER };
  const o = obj(v, 'config.classifier');
  const w = 'config.classifier';
  keys(o, Object.keys(DEFAULT_CLASSIFIER), w);
  const d = DEFAULT_CLASSIFIER;
  const depth = num(o, 'depth', w, d.depth, { int: true });
  if (depth !== 18 && depth !== 34) throw new ConfigError(`${w}.depth must be 18 or 34, got ${depth}`);
  if (o.augment !== undefined && typeof o.augment !== 'boolean') throw new ConfigError(`${w}.augment must be true or false`);
  return {
    depth, width: num(o, 'width', w, d.width, { int: true, min: 1 }), stem: str(o, 'stem', w, d.stem, ['imagenet', 'small']),
    pretrained: path(o, 'pretrained', w, base, 'file'), maxSteps: num(o, 'maxSteps', w, d.maxSteps, { int: true, min: 1 }),
    batchSize: num(o, 'batchSize', w, d.batchSize, { int: true, min: 2 }), lr: num(o, 'lr', w, d.lr, { min: 0 }),
    weightDecay: num(o, 'weightDecay', w, d.weightDecay, { min: 0 }), evalEvery: num(o, 'evalEvery', w, d.evalEvery, { int: true, min: 1 }),
    patience: num(o, 'patience', w, d.patience, { int: true, min: 1 }), augment: (o.augment as boolean | undefined) ?? d.augment,
  };
}

function variantConfig(v: unknown, i: number): VariantConfig {
  const w = `config.variants[${i}]`;
  const o = obj(v, w);
  keys(o, ['name', 'kind', 'perClass', 'init', 'freezeG', 'freezeD', 'train', 'from'], w);
  const kind = str(o, 'kind', w, 'real' as VariantKind, VARIANT_KINDS);
  if (o.kind === undefined) throw new ConfigError(`${w}.kind is required (one of ${VARIANT_KINDS.join(', ')})`);
  const name = str(o, 'name', w, kind as string);
  if (!/^[A-Za-z0-9][A-Za-z0-9+._-]{0,63}$/.test(name)) throw new ConfigError(`${w}.name '${name}' must be 1–64 letters, digits, '+', '.', '_' or '-' (it names the job's folder)`);
  const generated = kind === 'rudi' || kind === 'gan' || kind === 'diffusion';
  for (const k of ['perClass', 'train'] as const) if (!generated && o[k] !== undefined) throw new ConfigError(`${w}.${k}: only rudi, gan and diffusion variants take it (this one is '${kind}')`);
  for (const k of ['init', 'freezeG', 'freezeD'] as const) if (kind !== 'gan' && o[k] !== undefined) throw new ConfigError(`${w}.${k}: only gan variants take it (this one is '${kind}')`);
  if (kind !== 'synthetic-only' && o.from !== undefined) throw new ConfigError(`${w}.from: only synthetic-only variants take it`);
  if (kind === 'synthetic-only' && typeof o.from !== 'string') throw new ConfigError(`${w}.from is required: the name of the rudi, gan or diffusion variant whose images train the classifier alone`);
  const init = str(o, 'init', w, 'scratch' as VariantConfig['init'], ['scratch', 'pretrained', 'finetune']);
  const freezeG = num(o, 'freezeG', w, 0, { int: true, min: 0 });
  const freezeD = num(o, 'freezeD', w, 0, { int: true, min: 0 });
  if (init !== 'finetune' && (freezeG > 0 || freezeD > 0)) throw new ConfigError(`${w}: freezeG/freezeD apply to init 'finetune' only (this one is '${init}')`);
  return {
    name, kind, perClass: generated ? num(o, 'perClass', w, 100, { int: true, min: 1 }) : 0, init, freezeG, freezeD,
    train: o.train === undefined ? {} : obj(o.train, `${w}.train`), from: kind === 'synthetic-only' ? (o.from as string) : null,
  };
}

/**
 * Checks and completes a parsed configuration (`baseDir`: where relative paths resolve). Throws an error naming the
 * offending key and value for unknown keys, wrong types, missing paths, duplicate names, or a generator variant this
 * build cannot run.
 *
 * @example
 * const config = await parseExperimentConfig({ variants: [{ kind: 'real' }, { kind: 'rudi', perClass: 50 }] }, process.cwd());
 */
export async function parseExperimentConfig(raw: unknown, baseDir: string): Promise<ExperimentConfig> {
  const o = obj(raw, 'config');
  keys(o, ['name', 'data', 'classifier', 'seeds', 'variants', 'backend', 'inceptionWeights', 'bootstrap', '$schema', 'description'], 'config');
  const name = str(o, 'name', 'config', 'experiment');
  if (!/^[A-Za-z0-9][A-Za-z0-9+._-]{0,63}$/.test(name)) throw new ConfigError(`config.name '${name}' must be 1–64 letters, digits, '+', '.', '_' or '-'`);
  const seeds = o.seeds === undefined ? [1, 2, 3] : o.seeds;
  if (!Array.isArray(seeds) || seeds.length === 0 || seeds.some((s) => !Number.isSafeInteger(s) || (s as number) < 0) || new Set(seeds).size !== seeds.length) {
    throw new ConfigError(`config.seeds must be a non-empty list of distinct non-negative integers, got ${JSON.stringify(o.seeds)}`);
  }
  if (!Array.isArray(o.variants) || o.variants.length === 0) throw new ConfigError('config.variants must be a non-empty list (e.g. [{ "kind": "real" }, { "kind": "rudi", "perClass": 100 }])');
  const variants = o.variants.map((v, i) => variantConfig(v, i));
  const names = new Set<string>();
  for (const v of variants) {
    if (names.has(v.name)) throw new ConfigError(`config.variants: the name '${v.name}' is used twice (give each variant its own "name")`);
    names.add(v.name);
  }
  for (const v of variants) {
    if (v.from === null) continue;
    const src = variants.find((x) => x.name === v.from);
    if (!src || src.kind === 'real' || src.kind === 'synthetic-only') throw new ConfigError(`config.variants: '${v.name}' takes its images from '${v.from}', which is not a rudi, gan or diffusion variant of this config`);
  }
  for (const v of variants) {
    if (v.kind !== 'gan' && v.kind !== 'diffusion') continue;
    const why = await generatorAvailability(v.kind);
    if (why !== null) throw new ConfigError(`config.variants: '${v.name}' (kind '${v.kind}') is not available in this build: ${why}`);
  }
  const data = dataConfig(o.data ?? { kind: 'ihc' }, baseDir);
  const needsPool = variants.some((v) => v.kind === 'gan' && v.init !== 'scratch');
  if (needsPool && data.kind === 'folder' && data.pool === null && data.labelledPerClass === null) {
    throw new ConfigError("config.variants: gan variants with init 'pretrained' or 'finetune' need an unlabelled pool (config.data.pool or config.data.labelledPerClass)");
  }
  return {
    name, baseDir, data, classifier: classifierConfig(o.classifier, baseDir), seeds: seeds as number[], variants,
    backend: str(o, 'backend', 'config', 'auto' as ExperimentConfig['backend'], ['auto', 'webgpu', 'cpu']),
    inceptionWeights: path(o, 'inceptionWeights', 'config', baseDir, 'file'), bootstrap: num(o, 'bootstrap', 'config', 1000, { int: true, min: 10 }),
  };
}

/**
 * Reads and checks a configuration file; errors name the file.
 *
 * @example
 * const config = await readExperimentConfig('experiment.json');
 */
export async function readExperimentConfig(file: string): Promise<ExperimentConfig> {
  const abs = resolve(file);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(abs, 'utf8'));
  } catch (e) {
    throw new Error(`cannot read the experiment config '${abs}': ${(e as Error).message}`);
  }
  try {
    return await parseExperimentConfig(raw, dirname(abs));
  } catch (e) {
    throw new Error(`${abs}: ${(e as Error).message}`);
  }
}
