// The configuration of the discrete (DDPM/DDIM) schedulers: diffusers' field names camelCased, their defaults, and the
// reader of diffusers' snake_case scheduler_config.json with the rules for keys that belong to other schedulers.
import { RadixError } from '@radix/tensor-webgpu';
import { BETA_SCHEDULES, type BetaSchedule } from './beta-schedule.js';
import { TIMESTEP_SPACINGS, type TimestepSpacing } from './timesteps.js';

/** What the model predicts: the noise ε, the clean sample x₀, or the velocity v = √ᾱ·ε − √(1−ᾱ)·x₀. */
export type PredictionType = 'epsilon' | 'sample' | 'v_prediction';
/** DDPM's variance of p(x_{t−1} | x_t). */
export type VarianceType = 'fixed_small' | 'fixed_small_log' | 'fixed_large' | 'fixed_large_log' | 'learned' | 'learned_range';
/**
 * Which timestep `step(…, t, …)` moves to: 'schedule' (default) takes the next entry of the actual schedule;
 * 'diffusers' reproduces diffusers' own rule (DDIM: t − ⌊T/N⌋, wrong for 'linspace' and for 'trailing' when N does not
 * divide T; DDPM: the next entry, as diffusers has done since its PR #9384 (2024), with noise at every step where t > 0).
 */
export type PrevTimestepRule = 'schedule' | 'diffusers';

/** The values in common to {@link DDPMSchedulerConfig} and {@link DDIMSchedulerConfig}. */
export interface DiscreteSchedulerConfig {
  /** Number of training timesteps T (default 1000). */
  numTrainTimesteps: number;
  /** First β (default 0.0001). */
  betaStart: number;
  /** Last β (default 0.02). */
  betaEnd: number;
  /** β layout (default 'linear'). */
  betaSchedule: BetaSchedule;
  /** Explicit βs (length T) replacing betaStart/betaEnd/betaSchedule; null by default. */
  trainedBetas: readonly number[] | null;
  /** What the model predicts (default 'epsilon'). */
  predictionType: PredictionType;
  /** Clamp the predicted x₀ to ±clipSampleRange (default true). */
  clipSample: boolean;
  /** Bound for clipSample (default 1). */
  clipSampleRange: number;
  /** Dynamic thresholding of x₀ instead of clipping (default false). */
  thresholding: boolean;
  /** Quantile of |x₀| used by thresholding (default 0.995). */
  dynamicThresholdingRatio: number;
  /** Upper bound of the threshold s (default 1). */
  sampleMaxValue: number;
  /** Inference timestep spacing (default 'leading'). */
  timestepSpacing: TimestepSpacing;
  /** Added to 'leading' timesteps (default 0). */
  stepsOffset: number;
  /** Rescale βs to zero terminal SNR (default false). */
  rescaleBetasZeroSnr: boolean;
  /** Previous-timestep rule (default 'schedule'); not a diffusers field. */
  prevTimestep: PrevTimestepRule;
}

/** Defaults shared by both schedulers (diffusers' values). */
export const DISCRETE_DEFAULTS: DiscreteSchedulerConfig = {
  numTrainTimesteps: 1000,
  betaStart: 0.0001,
  betaEnd: 0.02,
  betaSchedule: 'linear',
  trainedBetas: null,
  predictionType: 'epsilon',
  clipSample: true,
  clipSampleRange: 1,
  thresholding: false,
  dynamicThresholdingRatio: 0.995,
  sampleMaxValue: 1,
  timestepSpacing: 'leading',
  stepsOffset: 0,
  rescaleBetasZeroSnr: false,
  prevTimestep: 'schedule',
};

export const PREDICTION_TYPES: readonly PredictionType[] = ['epsilon', 'sample', 'v_prediction'];
export const VARIANCE_TYPES: readonly VarianceType[] = ['fixed_small', 'fixed_small_log', 'fixed_large', 'fixed_large_log', 'learned', 'learned_range'];

/**
 * Keys of diffusers' scheduler configs that other scheduler classes use (DDPM's in a DDIM config and the reverse,
 * PNDM/DPM-Solver/Euler fields of a pipeline's shared config, deprecated fields). `fromConfig` ignores them and lists
 * them in `ignoredConfigKeys`, as diffusers ignores them with a warning; any other unknown key is an error.
 */
const FOREIGN_KEYS = new Set([
  'variance_type', 'set_alpha_to_one', 'skip_prk_steps', 'tensor_format', 'predict_epsilon', 'use_karras_sigmas',
  'use_exponential_sigmas', 'use_beta_sigmas', 'timestep_type', 'interpolation_type', 'algorithm_type', 'solver_order',
  'solver_type', 'lower_order_final', 'euler_at_final', 'final_sigmas_type', 'lambda_min_clipped',
  'variance_normalization', 'sigma_min', 'sigma_max', 'sigma_data', 'rho', 'use_flow_sigmas', 'flow_shift', 'shift',
  'use_dynamic_shifting', 'time_shift_type', 'snr_shift_scale',
]);

/** camelCase → snake_case. @example snake('numTrainTimesteps'); // 'num_train_timesteps' */
export function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** snake_case → camelCase. @example camel('num_train_timesteps'); // 'numTrainTimesteps' */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Result of {@link readSchedulerConfig}: the recognised values and the keys that were ignored. */
export interface ParsedConfig<C> {
  config: Partial<C>;
  ignored: string[];
}

/**
 * Reads a config object (camelCase, or diffusers' snake_case `scheduler_config.json`) for a scheduler whose fields
 * are the keys of `defaults`. `_`-prefixed metadata (`_class_name`, `_diffusers_version`) and fields of other diffusers
 * schedulers are ignored (and returned in `ignored`); unknown keys throw, naming them. Values are type-checked.
 *
 * @example
 * const { config, ignored } = readSchedulerConfig({ beta_schedule: 'scaled_linear', _class_name: 'DDPMScheduler' }, DDPM_DEFAULTS, 'DDPMScheduler');
 */
export function readSchedulerConfig<C extends object>(
  json: unknown,
  defaults: C,
  owner: string,
  source = 'the config',
): ParsedConfig<C> {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new RadixError(`${owner}.fromConfig`, `${source} must be a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const known = new Set(Object.keys(defaults));
  const config: Record<string, unknown> = {};
  const ignored: string[] = [];
  const unknown: string[] = [];
  const entries = Object.entries(json as Record<string, unknown>);
  for (const [key, value] of entries) {
    const name = key.includes('_') ? camel(key) : key;
    if (known.has(name)) {
      if (key !== name && name in config) continue; // camelCase wins when both spellings are given
      config[name] = value;
    } else if (key.startsWith('_') || FOREIGN_KEYS.has(key) || FOREIGN_KEYS.has(snake(key))) {
      ignored.push(key);
    } else {
      unknown.push(key);
    }
  }
  if (unknown.length > 0) {
    throw new RadixError(
      `${owner}.fromConfig`,
      `${source} has unknown keys ${unknown.map((k) => `'${k}'`).join(', ')}; ${owner} accepts ${[...known].map(snake).join(', ')}`,
    );
  }
  // diffusers' deprecated `predict_epsilon` maps to prediction_type when the latter is absent.
  const raw = json as Record<string, unknown>;
  if ('predictionType' in defaults && config.predictionType === undefined && typeof raw.predict_epsilon === 'boolean') {
    config.predictionType = raw.predict_epsilon ? 'epsilon' : 'sample';
  }
  for (const [name, value] of Object.entries(config)) checkField(owner, source, name, value, (defaults as Record<string, unknown>)[name]);
  return { config: config as Partial<C>, ignored };
}

const CHOICES: Record<string, readonly string[]> = {
  betaSchedule: BETA_SCHEDULES,
  predictionType: PREDICTION_TYPES,
  varianceType: VARIANCE_TYPES,
  timestepSpacing: TIMESTEP_SPACINGS,
  prevTimestep: ['schedule', 'diffusers'],
  stepRule: ['paper', 'reference-code'],
};

/** Type- and range-checks one config field, throwing with the field's snake_case name. @example checkField('DDIMScheduler', 'config', 'eta', 0, 0) */
export function checkField(owner: string, source: string, name: string, value: unknown, fallback: unknown): void {
  const where = `${owner}: ${source}: '${snake(name)}'`;
  if (name === 'trainedBetas') {
    if (value === null || value === undefined) return;
    if (!Array.isArray(value) && !ArrayBuffer.isView(value)) throw new RadixError(owner, `${where} must be a list of numbers or null`);
    for (const v of Array.from(value as ArrayLike<unknown>)) {
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RadixError(owner, `${where} must hold βs in [0, 1], found ${String(v)}`);
    }
    return;
  }
  const choices = CHOICES[name];
  if (choices) {
    if (typeof value !== 'string' || !choices.includes(value)) {
      throw new RadixError(owner, `${where} is ${JSON.stringify(value)}; expected one of ${choices.join(', ')}`);
    }
    return;
  }
  if (typeof fallback === 'boolean') {
    if (typeof value !== 'boolean') throw new RadixError(owner, `${where} must be true or false, got ${JSON.stringify(value)}`);
    return;
  }
  if (typeof fallback === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RadixError(owner, `${where} must be a finite number, got ${JSON.stringify(value)}`);
    if ((name === 'numTrainTimesteps' || name === 'numScales' || name === 'stepsPerScale') && !(Number.isInteger(value) && value >= 1)) {
      throw new RadixError(owner, `${where} must be a positive integer, got ${value}`);
    }
    if (name === 'stepsOffset' && !(Number.isInteger(value) && value >= 0)) throw new RadixError(owner, `${where} must be a non-negative integer, got ${value}`);
    if (name === 'dynamicThresholdingRatio' && !(value > 0 && value <= 1)) throw new RadixError(owner, `${where} must be in (0, 1], got ${value}`);
    if ((name === 'sampleMaxValue' || name === 'clipSampleRange') && !(value > 0)) throw new RadixError(owner, `${where} must be positive, got ${value}`);
    return;
  }
}

/**
 * Merges user values over defaults and validates the whole config.
 *
 * @example
 * const c = resolveConfig({ betaSchedule: 'sigmoid' }, DISCRETE_DEFAULTS, 'DDPMScheduler');
 */
export function resolveConfig<C extends object>(partial: Partial<C> | undefined, defaults: C, owner: string): C {
  const merged = { ...defaults, ...(partial ?? {}) } as C;
  for (const [name, value] of Object.entries(partial ?? {})) {
    if (!(name in defaults)) throw new RadixError(owner, `unknown config field '${name}'; expected one of ${Object.keys(defaults).join(', ')}`);
    if (value === undefined) (merged as Record<string, unknown>)[name] = (defaults as Record<string, unknown>)[name];
    else checkField(owner, 'the config', name, value, (defaults as Record<string, unknown>)[name]);
  }
  const m = merged as unknown as Partial<DiscreteSchedulerConfig>;
  if (m.trainedBetas && m.numTrainTimesteps !== undefined && m.trainedBetas.length !== m.numTrainTimesteps) {
    throw new RadixError(owner, `trainedBetas has ${m.trainedBetas.length} values but numTrainTimesteps is ${m.numTrainTimesteps}`);
  }
  return merged;
}

/**
 * The config as diffusers writes `scheduler_config.json` (snake_case, `_class_name`), without Radix-only fields.
 *
 * @example
 * writeFileSync('scheduler_config.json', JSON.stringify(toDiffusersJson(scheduler.config, 'DDPMScheduler'), null, 2));
 */
export function toDiffusersJson(config: object, className: string, radixOnly: readonly string[] = ['prevTimestep']): Record<string, unknown> {
  const out: Record<string, unknown> = { _class_name: className, _diffusers_version: '0.40.0.dev0' };
  for (const [k, v] of Object.entries(config)) if (!radixOnly.includes(k)) out[snake(k)] = v;
  return out;
}
