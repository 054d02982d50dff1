// Counter-style JS random numbers for the trainer's host-side choices (which images, mixing cutoffs): a stream is a
// pure function of (seed, step, purpose), so a resumed run draws exactly what an uninterrupted one would.
/**
 * A uniform [0, 1) stream determined by the given non-negative integers (mulberry32 seeded by a splitmix-style
 * hash of all of them).
 *
 * @example
 * const random = seededRandom(seed, step, 1);
 * const i = Math.floor(random() * n);
 */
export function seededRandom(...keys: number[]): () => number {
  let h = 0x9e3779b9;
  for (const k of keys) {
    if (!Number.isSafeInteger(k) || k < 0) throw new Error(`seededRandom: keys must be non-negative safe integers, got ${k}`);
    h = mix(h ^ (k >>> 0));
    h = mix(h ^ Math.floor(k / 0x100000000));
  }
  let a = h >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 31-bit seed for a tensor `Generator`, from the same keys as {@link seededRandom}.
 *
 * @example
 * const g = new Generator(derivedSeed(seed, step, 2));
 */
export function derivedSeed(...keys: number[]): number {
  return Math.floor(seededRandom(...keys)() * 0x7fffffff);
}

function mix(x: number): number {
  let z = (x + 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
