// Seeded host-side random numbers for the rudi pipeline: parameters are drawn on the CPU (not on the device) so that
// a manifest can record every drawn value and a run can be replayed or resumed image by image.

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64's output function: a bijection on 64-bit integers. */
function mix64(z: bigint): bigint {
  let x = z & MASK64;
  x = ((x ^ (x >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  x = ((x ^ (x >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return x ^ (x >> 31n);
}

function nonNegativeSafe(v: number, what: string): bigint {
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`HostRandom: ${what} must be a non-negative safe integer, got ${v}`);
  return BigInt(v);
}

/**
 * A small seeded random source (xoshiro128**) with the Python `random` helpers Augmentor relies on: `uniform`,
 * `randint` (inclusive) and `choice`. Its 128-bit state is `[A, mix(A ^ B)]` with `A = mix(seed + γ)` and
 * `B = mix(stream + 2γ)` (SplitMix64's finaliser `mix`, a bijection), so every distinct (seed, stream) pair — all 53
 * bits of each — starts from a distinct state.
 *
 * @example
 * const rng = new HostRandom(1);
 * const angle = rng.randint(-15, 15);
 * new HostRandom(2 ** 53 - 1, 7).random(); // its own stream, distinct from seed 2 ** 52 - 1 or stream 8
 */
export class HostRandom {
  private s: Uint32Array;

  constructor(seed: number, stream = 0) {
    const a = mix64(nonNegativeSafe(seed, 'seed') + 0x9e3779b97f4a7c15n);
    const b = mix64(nonNegativeSafe(stream, 'stream') + 0x3c6ef372fe94f82an);
    const c = mix64(a ^ b);
    this.s = Uint32Array.from([Number(a & 0xffffffffn), Number(a >> 32n), Number(c & 0xffffffffn), Number(c >> 32n)]);
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Next 32-bit word (xoshiro128**). */
  private word(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2] = s[2]! ^ s[0]!;
    s[3] = s[3]! ^ s[1]!;
    s[1] = s[1]! ^ s[2]!;
    s[0] = s[0]! ^ s[3]!;
    s[2] = s[2]! ^ t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }

  /**
   * Uniform double in [0, 1) with 53 random bits.
   * @example new HostRandom(0).random(); // 0.…
   */
  random(): number {
    const a = this.word() >>> 5;
    const b = this.word() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /**
   * Uniform in [a, b] like Python's `random.uniform`.
   * @example rng.uniform(1, 1.2);
   */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.random();
  }

  /**
   * Integer in [a, b], both ends included, like Python's `random.randint`.
   * @example rng.randint(0, 1); // 0 or 1
   */
  randint(a: number, b: number): number {
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < a) throw new Error(`HostRandom.randint: needs integers a <= b, got ${a}, ${b}`);
    return a + Math.floor(this.random() * (b - a + 1));
  }

  /**
   * Index of a uniformly chosen element of a list of `n` (Python's `random.choice`).
   * @example rng.choiceIndex(images.length);
   */
  choiceIndex(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`HostRandom.choiceIndex: needs a positive count, got ${n}`);
    return Math.floor(this.random() * n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/**
 * Python's `round(x, 1)` for the probability gate (round half to even on the decimal value; ties are measure-zero
 * for uniform draws, so plain rounding of x·10 is used).
 *
 * @example round1(0.74); // 0.7
 */
export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Python's `round(x, 2)`, used by Augmentor's Zoom for its factor.
 * @example round2(1.1234); // 1.12
 */
export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
