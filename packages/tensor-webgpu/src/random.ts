// Philox4x32-10 counter-based random numbers: the integer core shared by the CPU backend, and seeded generator state.
import type { RandomSpec } from './backend/backend.js';
import { RadixError } from './errors.js';

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 values, computed with 16-bit pieces (mirrored in WGSL). */
export function mulhi32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const p00 = a0 * b0;
  const p01 = a0 * b1;
  const p10 = a1 * b0;
  const p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) >>> 0;
}

/** One Philox4x32-10 block: 4 words from counter (c0..c3) and key (k0, k1). Writes into `out`. */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi32(M0, c0);
    const lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi32(M1, c2);
    const lo1 = Math.imul(M1, c2) >>> 0;
    c0 = (hi1 ^ c1 ^ k0) >>> 0;
    c1 = lo1;
    c2 = (hi0 ^ c3 ^ k1) >>> 0;
    c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** Uniform float32 in [0, 1) from the top 24 bits of a word (exact in float32). */
export function wordToUnit(w: number): number {
  return (w >>> 8) * 5.960464477539063e-8;
}

/**
 * Value of element `i` of a random stream, as the CPU backend computes it.
 * `block` holds the Philox output of block ⌊i/4⌋.
 */
export function randomValue(spec: RandomSpec, block: Uint32Array, j: number): number {
  const w = block[j]!;
  switch (spec.kind) {
    case 'bits':
      return w;
    case 'uniform': {
      const u = wordToUnit(w);
      return Math.fround(Math.fround(Math.fround(spec.b - spec.a) * u) + spec.a);
    }
    case 'randint': {
      const range = spec.b - spec.a;
      return spec.a + (w % range);
    }
    case 'normal': {
      // Box-Muller on the same (u1, u2) as the WGSL kernel, which uses its own accurate log/sin/cos.
      const p = j >> 1;
      const u1 = Math.fround(((block[2 * p]! >>> 8) + 1) * 5.960464477539063e-8);
      const u2 = wordToUnit(block[2 * p + 1]!);
      const r = Math.fround(Math.sqrt(Math.fround(-2 * Math.fround(Math.log(u1)))));
      const theta = 2 * Math.PI * u2;
      const z = (j & 1) === 0 ? Math.fround(r * Math.fround(Math.cos(theta))) : Math.fround(r * Math.fround(Math.sin(theta)));
      return Math.fround(Math.fround(z * spec.b) + spec.a);
    }
  }
}

/**
 * A seeded random stream. Every draw consumes ⌈n/4⌉ Philox blocks, so the same seed and the same
 * sequence of calls give identical numbers on every backend.
 *
 * @example
 * const g = new Generator(42);
 * const a = rand([2, 3], { generator: g });
 */
export class Generator {
  private key: [number, number];
  private offset = 0;
  constructor(seed: number = Date.now()) {
    this.key = seedToKey(seed);
  }
  /** Resets to the start of `seed`'s stream. */
  manualSeed(seed: number): this {
    this.key = seedToKey(seed);
    this.offset = 0;
    return this;
  }
  /** @internal Reserves counters for `n` elements and returns the key/counter to use. */
  take(n: number): { key: [number, number]; counter: [number, number] } {
    const blocks = Math.ceil(n / 4);
    const start = this.offset;
    this.offset += blocks;
    return { key: [...this.key] as [number, number], counter: [start % 0x100000000, Math.floor(start / 0x100000000)] };
  }
}

function seedToKey(seed: number): [number, number] {
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RadixError('manualSeed', `seed must be a non-negative safe integer, got ${seed}`);
  }
  return [seed % 0x100000000 >>> 0, Math.floor(seed / 0x100000000) >>> 0];
}

/** The global generator used when no `generator` option is passed. */
export const defaultGenerator = new Generator(0x5eed);

/**
 * Re-seeds the global generator (like `torch.manual_seed`).
 *
 * @example
 * manualSeed(0); const a = randn([4]);
 */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}
