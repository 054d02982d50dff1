// NumPy-compatible legacy random stream (MT19937 behind np.random.RandomState) so seeded subsets/shuffles match torch-fidelity's.

/**
 * The Mersenne Twister MT19937 seeded like `np.random.RandomState(seed)` for an integer seed (init_genrand),
 * with the legacy `permutation` and `choice(n, size, replace=False)` draws bit-for-bit.
 *
 * @example
 * new RandomState(2020).permutation(5); // same as np.random.RandomState(2020).permutation(5)
 */
export class RandomState {
  readonly #mt = new Uint32Array(624);
  #i = 624;

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`RandomState: seed must be an integer in [0, 2^32 − 1], got ${seed}`);
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.#i = 624;
  }

  /** Next 32-bit output (genrand_int32). @example new RandomState(0).nextUint32() */
  nextUint32(): number {
    const mt = this.#mt;
    if (this.#i >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.#i = 0;
    }
    let y = mt[this.#i++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform integer in [0, max] by masked rejection (NumPy's legacy random_interval, max < 2^32). @example rs.interval(9) */
  interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    mask |= mask >>> 1; mask |= mask >>> 2; mask |= mask >>> 4; mask |= mask >>> 8; mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0; while (v > max);
    return v;
  }

  /** `RandomState.permutation(n)`: a shuffled 0..n−1 (Fisher–Yates from the end). @example rs.permutation(10) */
  permutation(n: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** `RandomState.choice(n, size, replace=False)`: the first `size` entries of a permutation. @example rs.choice(100, 10) */
  choice(n: number, size: number): Int32Array {
    if (size > n) throw new Error(`RandomState.choice: cannot take ${size} samples without replacement from ${n}`);
    return this.permutation(n).slice(0, size);
  }
}
