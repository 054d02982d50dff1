// Inference timestep schedules ('linspace', 'leading', 'trailing': Lin et al. 2023, Table 2) computed with the same
// double-precision arithmetic and round-half-to-even as diffusers' numpy code, and validation of custom lists.
import { RadixError } from '@radix/tensor-webgpu';

/** How `setTimesteps(n)` spreads n inference steps over the training timesteps. */
export type TimestepSpacing = 'linspace' | 'leading' | 'trailing';

/** The spacing names accepted by {@link spacedTimesteps}. */
export const TIMESTEP_SPACINGS: readonly TimestepSpacing[] = ['linspace', 'leading', 'trailing'];

/** `numpy.round`: round half to even. @example roundHalfEven(2.5); // 2 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The `numInferenceSteps` timesteps, strictly decreasing, for `spacing` over `numTrainTimesteps` (T):
 * - 'linspace': round(linspace(0, T − 1, N)), reversed;
 * - 'leading': i·⌊T/N⌋ + stepsOffset, reversed;
 * - 'trailing': round(T − i·T/N) − 1 for i = 0…N−1.
 *
 * diffusers builds 'trailing' with `np.arange(T, 0, −T/N)`, whose floating-point length is N + 1 for some N
 * (61, 103, 121, … of T = 1000), appending a spurious timestep −1; only the N timesteps above are returned here.
 *
 * @example
 * spacedTimesteps('trailing', 1000, 4); // [999, 749, 499, 249]
 */
export function spacedTimesteps(spacing: TimestepSpacing, numTrainTimesteps: number, numInferenceSteps: number, stepsOffset = 0): number[] {
  const T = numTrainTimesteps;
  const N = numInferenceSteps;
  if (!Number.isInteger(N) || N < 1) throw new RadixError('setTimesteps', `numInferenceSteps must be a positive integer, got ${N}`);
  if (N > T) {
    throw new RadixError('setTimesteps', `numInferenceSteps (${N}) cannot exceed numTrainTimesteps (${T}): the model was trained on ${T} timesteps`);
  }
  const out = new Array<number>(N);
  switch (spacing) {
    case 'linspace': {
      // numpy.linspace: i·step + start, with the last value set to stop exactly.
      const step = N > 1 ? (T - 1) / (N - 1) : 0;
      for (let i = 0; i < N; i++) out[N - 1 - i] = roundHalfEven(i === N - 1 && N > 1 ? T - 1 : i * step);
      break;
    }
    case 'leading': {
      const ratio = Math.floor(T / N);
      for (let i = 0; i < N; i++) out[N - 1 - i] = i * ratio + stepsOffset;
      break;
    }
    case 'trailing': {
      const delta = -T / N;
      for (let i = 0; i < N; i++) out[i] = roundHalfEven(T + i * delta) - 1;
      break;
    }
    default:
      throw new RadixError('setTimesteps', `unknown timestepSpacing '${spacing as string}'; expected one of ${TIMESTEP_SPACINGS.join(', ')}`);
  }
  if (out[0]! >= T || out[N - 1]! < 0) {
    throw new RadixError(
      'setTimesteps',
      `'${spacing}' spacing with stepsOffset ${stepsOffset} gives timesteps ${out[0]}…${out[N - 1]} outside [0, ${T - 1}] for ${N} steps`,
    );
  }
  return out;
}

/**
 * Checks a custom timestep list: integers, strictly decreasing, within [0, numTrainTimesteps − 1]. Returns a copy.
 *
 * @example
 * checkCustomTimesteps([999, 500, 10], 1000);
 */
export function checkCustomTimesteps(timesteps: readonly number[], numTrainTimesteps: number): number[] {
  if (timesteps.length === 0) throw new RadixError('setTimesteps', 'the custom timestep list is empty');
  for (let i = 0; i < timesteps.length; i++) {
    const t = timesteps[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= numTrainTimesteps) {
      throw new RadixError('setTimesteps', `custom timestep ${i} is ${t}; every timestep must be an integer in [0, ${numTrainTimesteps - 1}]`);
    }
    if (i > 0 && t >= timesteps[i - 1]!) {
      throw new RadixError('setTimesteps', `custom timesteps must be strictly decreasing; entry ${i} (${t}) follows ${timesteps[i - 1]}`);
    }
  }
  return [...timesteps];
}
