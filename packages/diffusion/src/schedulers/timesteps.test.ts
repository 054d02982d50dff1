// Properties of the inference schedules: strictly decreasing, unique, in range, N long, for every spacing × N in 1…1000,
// and the edge cases where diffusers' own arithmetic misbehaves ('trailing' lengths, half-way rounding).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DDIMScheduler } from './ddim.js';
import { DDPMScheduler } from './ddpm.js';
import { roundHalfEven, spacedTimesteps, TIMESTEP_SPACINGS } from './timesteps.js';

/** The first violated property of a schedule, or null. */
function violation(ts: number[], T: number, N: number): string | null {
  if (ts.length !== N) return `length ${ts.length} ≠ ${N}`;
  for (let i = 0; i < N; i++) {
    const t = ts[i]!;
    if (!Number.isInteger(t) || t < 0 || t >= T) return `entry ${i} = ${t} is not an integer in [0, ${T - 1}]`;
    if (i > 0 && t >= ts[i - 1]!) return `entry ${i} = ${t} does not decrease from ${ts[i - 1]}`;
  }
  return null;
}

describe('spacedTimesteps', () => {
  it('is strictly decreasing, unique and in range for every spacing × N in 1…1000 (T = 1000)', () => {
    for (const spacing of TIMESTEP_SPACINGS) {
      for (let N = 1; N <= 1000; N++) {
        expect(violation(spacedTimesteps(spacing, 1000, N), 1000, N), `${spacing} N=${N}`).toBeNull();
      }
    }
  });

  it('holds for random T, N and stepsOffset (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4000 }), fc.integer({ min: 1, max: 4000 }), fc.constantFrom(...TIMESTEP_SPACINGS), (T, n, spacing) => {
        const N = Math.min(n, T);
        return violation(spacedTimesteps(spacing, T, N), T, N) === null;
      }),
      { numRuns: 2000 },
    );
  });

  it('starts and ends where each spacing says', () => {
    expect(spacedTimesteps('linspace', 1000, 10)).toEqual([999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    expect(spacedTimesteps('leading', 1000, 10)).toEqual([900, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    expect(spacedTimesteps('leading', 1000, 10, 1)).toEqual([901, 801, 701, 601, 501, 401, 301, 201, 101, 1]);
    expect(spacedTimesteps('trailing', 1000, 10)).toEqual([999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    // N = 61 is one of the counts where numpy's arange(T, 0, −T/N) has N + 1 entries; the spurious −1 is not kept.
    const t61 = spacedTimesteps('trailing', 1000, 61);
    expect(t61.length).toBe(61);
    expect(t61[60]).toBe(15);
    expect(spacedTimesteps('linspace', 1000, 1)).toEqual([0]);
    expect(spacedTimesteps('trailing', 1000, 1)).toEqual([999]);
  });

  it('rounds half to even like numpy', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, 2, 3]);
  });

  it('refuses impossible requests with the reason', () => {
    expect(() => spacedTimesteps('leading', 1000, 1001)).toThrow(/cannot exceed numTrainTimesteps/);
    expect(() => spacedTimesteps('leading', 1000, 0)).toThrow(/positive integer/);
    expect(() => spacedTimesteps('leading', 1000, 1000, 1)).toThrow(/outside \[0, 999\]/);
    const s = new DDPMScheduler();
    expect(() => s.setTimesteps([10, 10])).toThrow(/strictly decreasing/);
    expect(() => s.setTimesteps([1000, 10])).toThrow(/\[0, 999\]/);
    expect(() => s.setTimesteps([])).toThrow(/empty/);
  });
});

describe('previous timestep', () => {
  it("is the next schedule entry by default, t − ⌊T/N⌋ for DDIM with prevTimestep 'diffusers'", () => {
    for (const spacing of TIMESTEP_SPACINGS) {
      const ddim = new DDIMScheduler({ timestepSpacing: spacing });
      const ddpm = new DDPMScheduler({ timestepSpacing: spacing });
      ddim.setTimesteps(13);
      ddpm.setTimesteps(13);
      const ts = ddim.timesteps;
      for (let i = 0; i < ts.length; i++) {
        const expected = i + 1 < ts.length ? ts[i + 1] : -1;
        expect(ddim.previousTimestep(ts[i]!)).toBe(expected);
        expect(ddpm.previousTimestep(ts[i]!)).toBe(expected);
      }
      const diff = new DDIMScheduler({ timestepSpacing: spacing, prevTimestep: 'diffusers' });
      diff.setTimesteps(13);
      for (const t of diff.timesteps) expect(diff.previousTimestep(t)).toBe(t - 76);
    }
    // before setTimesteps: every training timestep, each step going down by one
    const fresh = new DDPMScheduler();
    expect(fresh.previousTimestep(500)).toBe(499);
    expect(fresh.previousTimestep(0)).toBe(-1);
  });

  it('refuses a timestep that is not in the schedule', () => {
    const s = new DDIMScheduler();
    s.setTimesteps(10);
    expect(() => s.previousTimestep(901)).toThrow(/not in the current schedule/);
  });
});
