// NCSN's annealed Langevin dynamics (Song & Ermon 2019, Algorithm 1; NCSNv2, Song & Ermon 2020): noise levels σ_1 > … >
// σ_L, a few Langevin steps at each with step size α_i = ε·σ_i²/σ_L², an optional final denoising step, and the score
// network's conventions (conditioned on the level, output divided by σ).
import { RadixError, type Tensor, randn, tensor, tidy } from '@radix/tensor-webgpu';

/** How a Langevin step uses α: the paper's Algorithm 1 or the authors' code (the same dynamics with ε doubled). */
export type NCSNStepRule = 'paper' | 'reference-code';

/** NCSNScheduler's configuration. */
export interface NCSNSchedulerConfig {
  /** σ_1, the largest noise level (ncsnv2's `sigma_begin`). NCSNv2 Technique 1: the largest pairwise distance of the data ({@link suggestSigmaMax}). */
  sigmaMax: number;
  /** σ_L, the smallest noise level (ncsnv2's `sigma_end`). */
  sigmaMin: number;
  /** L, the number of noise levels (ncsnv2's `model.num_classes`). */
  numScales: number;
  /** Langevin steps per level T (ncsnv2's `n_steps_each`). */
  stepsPerScale: number;
  /** ε, the step-size constant (ncsnv2's `step_lr`): α_i = ε·σ_i²/σ_L². */
  epsilon: number;
  /**
   * 'paper' (Algorithm 1): x ← x + (α_i/2)·s + √α_i·z. 'reference-code' (ncsnv2's anneal_Langevin_dynamics and NCSN's
   * code): x ← x + α_i·s + √(2α_i)·z. The same chain when the paper's ε is twice the code's `step_lr`.
   */
  stepRule: NCSNStepRule;
  /** After the last step, x ← x + σ_L²·s(x, σ_L) (NCSNv2's denoising, Tweedie's formula). */
  finalDenoise: boolean;
  /** How σ goes from sigmaMax to sigmaMin: 'geometric' (NCSN/NCSNv2) or 'uniform' (linear; ncsnv2's other `sigma_dist`). */
  sigmaSpacing: 'geometric' | 'uniform';
  /** What the model receives as its timestep input: the level index i ∈ [0, L) (ncsnv2's `labels`) or σ_i. */
  modelInput: 'index' | 'sigma';
  /**
   * How the score follows from the model output: 'divide-by-sigma' (NCSNv2: s(x, σ) = output/σ, so the network predicts
   * σ·s ≈ −z for the perturbation noise z) or 'none' (the model outputs the score).
   */
  scoreScaling: 'divide-by-sigma' | 'none';
  /** The chain's start: 'uniform' in [−1, 1] (the data range; ncsnv2 draws U[0, 1] and applies its data transform) or 'gaussian' σ_1·z. */
  initialNoise: 'uniform' | 'gaussian';
  /**
   * Explicit noise levels, strictly decreasing (default null: from sigmaMax, sigmaMin, numScales and sigmaSpacing).
   * When given, sigmaMax, sigmaMin and numScales are taken from it (giving them as well with other values is an error).
   */
  sigmas: readonly number[] | null;
}

/** Defaults of {@link NCSNSchedulerConfig}: the NCSN paper's CIFAR-10 sampler (σ 1 → 0.01 over 10 levels, T = 100, ε = 2e-5). */
export const NCSN_DEFAULTS: Readonly<NCSNSchedulerConfig> = Object.freeze({
  sigmaMax: 1, sigmaMin: 0.01, numScales: 10, stepsPerScale: 100, epsilon: 2e-5, stepRule: 'paper', finalDenoise: false,
  sigmaSpacing: 'geometric', modelInput: 'index', scoreScaling: 'divide-by-sigma', initialNoise: 'uniform', sigmas: null,
});

/** Options of {@link NCSNScheduler.step}. */
export interface NCSNStepOptions {
  /** Stream for the step's noise (default: the global generator). Ignored when `noise` is given. */
  generator?: import('@radix/tensor-webgpu').Generator;
  /** Explicit standard-normal noise z of the sample's shape (replays a Python run). */
  noise?: Tensor;
}

const ENUMS: Partial<Record<keyof NCSNSchedulerConfig, readonly string[]>> = {
  stepRule: ['paper', 'reference-code'], sigmaSpacing: ['geometric', 'uniform'], modelInput: ['index', 'sigma'],
  scoreScaling: ['divide-by-sigma', 'none'], initialNoise: ['uniform', 'gaussian'],
};

function resolve(config: Partial<NCSNSchedulerConfig>): NCSNSchedulerConfig {
  if (config === null || typeof config !== 'object') throw new RadixError('NCSNScheduler', 'expected a config object');
  for (const k of Object.keys(config)) {
    if (!(k in NCSN_DEFAULTS)) throw new RadixError('NCSNScheduler', `unknown config key '${k}' (allowed: ${Object.keys(NCSN_DEFAULTS).join(', ')})`);
  }
  const c = { ...NCSN_DEFAULTS, ...config } as NCSNSchedulerConfig;
  if (c.sigmas !== null) {
    const list = c.sigmas;
    if (!Array.isArray(list) || list.length < 1 || list.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v <= 0)) {
      throw new RadixError('NCSNScheduler', `sigmas must be a non-empty list of finite numbers > 0, got ${JSON.stringify(list)}`);
    }
    for (let i = 1; i < list.length; i++) {
      if (!(list[i]! < list[i - 1]!)) throw new RadixError('NCSNScheduler', `sigmas must decrease strictly; entry ${i} (${list[i]}) is not below entry ${i - 1} (${list[i - 1]})`);
    }
    const derived = { sigmaMax: list[0]!, sigmaMin: list[list.length - 1]!, numScales: list.length };
    for (const [k, v] of Object.entries(derived)) {
      const given = (config as Record<string, unknown>)[k];
      if (given !== undefined && given !== v) throw new RadixError('NCSNScheduler', `${k} ${String(given)} contradicts the explicit sigmas (${k} ${v}); give one or the other`);
    }
    Object.assign(c, derived, { sigmas: Object.freeze([...list]) });
  }
  const pos = (k: 'sigmaMax' | 'sigmaMin' | 'epsilon') => {
    if (typeof c[k] !== 'number' || !Number.isFinite(c[k]) || c[k] <= 0) throw new RadixError('NCSNScheduler', `${k} must be a finite number > 0, got ${String(c[k])}`);
  };
  pos('sigmaMax');
  pos('sigmaMin');
  pos('epsilon');
  if (c.sigmaMin > c.sigmaMax) throw new RadixError('NCSNScheduler', `sigmaMin (${c.sigmaMin}) must not exceed sigmaMax (${c.sigmaMax})`);
  for (const k of ['numScales', 'stepsPerScale'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new RadixError('NCSNScheduler', `${k} must be an integer ≥ 1, got ${String(c[k])}`);
  }
  if (c.numScales === 1 && c.sigmaMin !== c.sigmaMax) throw new RadixError('NCSNScheduler', `numScales 1 needs sigmaMin = sigmaMax, got ${c.sigmaMin} and ${c.sigmaMax}`);
  for (const [k, allowed] of Object.entries(ENUMS)) {
    const v = c[k as keyof NCSNSchedulerConfig];
    if (!allowed!.includes(v as string)) throw new RadixError('NCSNScheduler', `${k} must be one of ${allowed!.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(v)}`);
  }
  if (typeof c.finalDenoise !== 'boolean') throw new RadixError('NCSNScheduler', `finalDenoise must be a boolean, got ${String(c.finalDenoise)}`);
  return c;
}

/**
 * The noise levels σ_1 > … > σ_L as float32 values (ncsnv2's get_sigmas: exp(linspace(log σ_max, log σ_min, L)) in
 * float64, then float32; 'uniform': linspace(σ_max, σ_min, L)).
 *
 * @example
 * ncsnSigmas(50, 0.01, 232); // ncsnv2's CIFAR-10 levels
 */
export function ncsnSigmas(sigmaMax: number, sigmaMin: number, numScales: number, spacing: 'geometric' | 'uniform' = 'geometric'): number[] {
  if (numScales === 1) return [Math.fround(sigmaMax)];
  return Array.from({ length: numScales }, (_, i) => {
    const f = i / (numScales - 1);
    if (spacing === 'uniform') return Math.fround(sigmaMax + f * (sigmaMin - sigmaMax));
    const a = Math.log(sigmaMax);
    const b = Math.log(sigmaMin);
    // numpy's linspace: start + i·step, with the last point set to stop exactly.
    return Math.fround(Math.exp(i === numScales - 1 ? b : a + i * ((b - a) / (numScales - 1))));
  });
}

/**
 * Annealed Langevin dynamics (NCSN / NCSNv2). `step(score, i, x)` is one Langevin step at level i with the score
 * s(x, σ_i); a sampler runs `stepsPerScale` steps at each level i = 0 … L − 1 (level 0 = σ_max), then `denoise` when
 * `finalDenoise`. `scoreFromModelOutput` and `modelTimestep` hold the score network's conventions, and
 * {@link ncsnDsmLoss} trains one.
 *
 * @example
 * const s = new NCSNScheduler({ sigmaMax: 50, sigmaMin: 0.01, numScales: 232, stepsPerScale: 5, epsilon: 6.2e-6,
 *   stepRule: 'reference-code', finalDenoise: true }); // ncsnv2's CIFAR-10 sampler
 * for (let i = 0; i < s.config.numScales; i++) for (let k = 0; k < s.config.stepsPerScale; k++) {
 *   const score = s.scoreFromModelOutput(net.call(x, s.modelTimestep(i)), i);
 *   x = s.step(score, i, x, { generator }).prevSample;
 * }
 */
export class NCSNScheduler {
  /** The full, validated configuration. */
  readonly config: Readonly<NCSNSchedulerConfig>;
  /** σ_1 > … > σ_L (float32 values, or the explicit `sigmas` as given). */
  readonly sigmas: number[];
  /** The standard deviation of 'gaussian' initial noise (σ_1). */
  readonly initNoiseSigma: number;

  constructor(config: Partial<NCSNSchedulerConfig> = {}) {
    this.config = Object.freeze(resolve(config));
    const c = this.config;
    this.sigmas = c.sigmas ? [...c.sigmas] : ncsnSigmas(c.sigmaMax, c.sigmaMin, c.numScales, c.sigmaSpacing);
    for (let i = 1; i < this.sigmas.length; i++) {
      if (!(this.sigmas[i]! < this.sigmas[i - 1]!)) throw new RadixError('NCSNScheduler', `the noise levels must decrease strictly; σ_${i} = ${this.sigmas[i - 1]} and σ_${i + 1} = ${this.sigmas[i]} (sigmaMax too close to sigmaMin for ${c.numScales} levels)`);
    }
    this.initNoiseSigma = this.sigmas[0]!;
  }

  /**
   * Rebuilds a scheduler from the JSON {@link NCSNScheduler.toConfig} wrote (a training checkpoint's
   * scheduler/scheduler_config.json); `_class_name`, when present, must be 'NCSNScheduler'. `source` names the file in errors.
   *
   * @example
   * const s = NCSNScheduler.fromConfig(JSON.parse(readFileSync('run/checkpoints/step-00001000/scheduler/scheduler_config.json', 'utf8')));
   */
  static fromConfig(json: Record<string, unknown>, source = 'the NCSN scheduler config'): NCSNScheduler {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new RadixError('NCSNScheduler.fromConfig', `${source} is not a JSON object`);
    const { _class_name: cls, ...rest } = json;
    if (cls !== undefined && cls !== 'NCSNScheduler') throw new RadixError('NCSNScheduler.fromConfig', `${source} describes a ${String(cls)}, not an NCSNScheduler`);
    try {
      return new NCSNScheduler(rest as Partial<NCSNSchedulerConfig>);
    } catch (e) {
      throw new RadixError('NCSNScheduler.fromConfig', `${source}: ${(e as Error).message}`);
    }
  }

  /**
   * The configuration as JSON with `_class_name: 'NCSNScheduler'` (what a training checkpoint stores; {@link NCSNScheduler.fromConfig} reads it back to the same σ's).
   *
   * @example
   * JSON.stringify(new NCSNScheduler({ sigmaMax: 20 }).toConfig());
   */
  toConfig(): Record<string, unknown> {
    const c = this.config;
    return { _class_name: 'NCSNScheduler', ...c, sigmas: c.sigmas ? [...c.sigmas] : null };
  }

  /** Model evaluations of a whole chain: L·T, plus 1 for the final denoising. @example new NCSNScheduler().numModelEvaluations // 1000 */
  get numModelEvaluations(): number {
    return this.config.numScales * this.config.stepsPerScale + (this.config.finalDenoise ? 1 : 0);
  }

  #checkIndex(op: string, i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.sigmas.length) throw new RadixError(`NCSNScheduler.${op}`, `scaleIndex must be an integer in [0, ${this.sigmas.length - 1}], got ${i}`);
  }

  /** α_i = ε·σ_i²/σ_L², the step size at level i. @example s.stepSize(0) */
  stepSize(scaleIndex: number): number {
    this.#checkIndex('stepSize', scaleIndex);
    const last = this.sigmas[this.sigmas.length - 1]!;
    return this.config.epsilon * (this.sigmas[scaleIndex]! / last) ** 2;
  }

  /** The model's timestep input at level i: i itself, or σ_i (`modelInput`). @example unet.call(x, s.modelTimestep(i)) */
  modelTimestep(scaleIndex: number): number {
    this.#checkIndex('modelTimestep', scaleIndex);
    return this.config.modelInput === 'index' ? scaleIndex : this.sigmas[scaleIndex]!;
  }

  /**
   * The score from the model output at level i (one index for the batch, or one per sample): output/σ_i for
   * `scoreScaling: 'divide-by-sigma'`, the output itself for 'none'.
   *
   * @example
   * const score = s.scoreFromModelOutput(unet.call(x, i), i);
   */
  scoreFromModelOutput(output: Tensor, scaleIndex: number | readonly number[]): Tensor {
    if (this.config.scoreScaling === 'none') return output.clone();
    if (typeof scaleIndex === 'number') {
      this.#checkIndex('scoreFromModelOutput', scaleIndex);
      return output.div(this.sigmas[scaleIndex]!);
    }
    return tidy(() => output.div(this.sigmaTensor(scaleIndex, output)));
  }

  /** σ of each sample's level as a tensor [B, 1, …] broadcastable over `like` [B, …]. @example s.sigmaTensor([0, 3], x) */
  sigmaTensor(scaleIndices: readonly number[], like: Tensor): Tensor {
    const b = like.shape[0];
    if (scaleIndices.length !== b) throw new RadixError('NCSNScheduler', `got ${scaleIndices.length} level indices for a batch of ${String(b)}`);
    scaleIndices.forEach((i) => this.#checkIndex('sigmaTensor', i));
    return tensor(Float32Array.from(scaleIndices, (i) => this.sigmas[i]!), { shape: [b, ...like.shape.slice(1).map(() => 1)], backend: like.backend });
  }

  /**
   * One Langevin step at level i with score s = s(x, σ_i): 'paper': x + (α_i/2)·s + √α_i·z; 'reference-code':
   * x + α_i·s + √(2α_i)·z.
   *
   * @example
   * const { prevSample } = s.step(score, i, x, { noise: z });
   */
  step(score: Tensor, scaleIndex: number, sample: Tensor, options: NCSNStepOptions = {}): { prevSample: Tensor } {
    this.#checkIndex('step', scaleIndex);
    const same = (a: Tensor, what: string) => {
      if (a.shape.length !== sample.shape.length || a.shape.some((d, k) => d !== sample.shape[k])) {
        throw new RadixError('NCSNScheduler.step', `${what} has shape [${a.shape.join(', ')}] but the sample has shape [${sample.shape.join(', ')}]`);
      }
    };
    same(score, 'score');
    if (options.noise) same(options.noise, 'options.noise');
    const alpha = this.stepSize(scaleIndex);
    const paper = this.config.stepRule === 'paper';
    const drift = paper ? alpha / 2 : alpha;
    const std = paper ? Math.sqrt(alpha) : Math.sqrt(2 * alpha);
    return tidy(() => {
      const z = options.noise ?? randn(sample.shape, { generator: options.generator, backend: sample.backend });
      return { prevSample: sample.add(score.mul(drift)).add(z.mul(std)) };
    });
  }

  /** NCSNv2's final denoising: x + σ_L²·s(x, σ_L), with the score at the last level. @example x = s.denoise(score, x) */
  denoise(score: Tensor, sample: Tensor): Tensor {
    const last = this.sigmas[this.sigmas.length - 1]!;
    return tidy(() => sample.add(score.mul(last * last)));
  }
}

/**
 * NCSNv2's Technique 1: σ_1 should be as large as the largest Euclidean distance between two training points, so the
 * first level's perturbed distribution covers the whole data set. Returns that distance (exact, O(N²·D) on the host)
 * over images given as flat arrays or a tensor [N, …] (in the range the model is trained on, e.g. [−1, 1]).
 *
 * @example
 * const scheduler = new NCSNScheduler({ sigmaMax: await suggestSigmaMax(trainingImages), sigmaMin: 0.01, numScales: 200 });
 */
export async function suggestSigmaMax(dataset: Tensor | readonly ArrayLike<number>[]): Promise<number> {
  let rows: ArrayLike<number>[];
  if (Array.isArray(dataset)) {
    rows = dataset as ArrayLike<number>[];
  } else {
    const t = dataset as Tensor;
    if (t.ndim < 2) throw new RadixError('suggestSigmaMax', `expected a tensor [N, …] with N ≥ 2, got shape [${t.shape.join(', ')}]`);
    const v = (await t.data()) as Float32Array;
    const n = t.shape[0]!;
    const d = v.length / n;
    rows = Array.from({ length: n }, (_, i) => v.subarray(i * d, (i + 1) * d));
  }
  if (rows.length < 2) throw new RadixError('suggestSigmaMax', `needs at least 2 data points, got ${rows.length}`);
  const d = rows[0]!.length;
  const bad = rows.findIndex((r) => r.length !== d);
  if (bad >= 0) throw new RadixError('suggestSigmaMax', `data point ${bad} has ${rows[bad]!.length} values, point 0 has ${d}`);
  let best = 0;
  for (let i = 0; i < rows.length; i++) {
    const a = rows[i]!;
    for (let j = i + 1; j < rows.length; j++) {
      const b = rows[j]!;
      let s = 0;
      for (let k = 0; k < d; k++) s += (a[k]! - b[k]!) ** 2;
      if (s > best) best = s;
    }
  }
  if (!Number.isFinite(best)) throw new RadixError('suggestSigmaMax', 'the data contain non-finite values');
  return Math.sqrt(best);
}
