// fast-check arbitraries for shapes and tensor contents (sizes deliberately include non-multiples of 4/8/16/64).
import fc from 'fast-check';

/**
 * Shapes of rank `minRank..maxRank` with dims in `1..maxDim`.
 *
 * @example
 * fc.assert(fc.property(arbShape({ maxRank: 3 }), (s) => s.length <= 3));
 */
export function arbShape(opts: { minRank?: number; maxRank?: number; maxDim?: number } = {}): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: opts.maxDim ?? 7 }), { minLength: opts.minRank ?? 0, maxLength: opts.maxRank ?? 4 });
}

/**
 * Float32-representable values for a tensor of `size` elements, in [-range, range].
 *
 * @example
 * arbTensorData(12, 3)
 */
export function arbTensorData(size: number, range = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.float({ min: Math.fround(-range), max: Math.fround(range), noNaN: true, noDefaultInfinity: true }), { minLength: size, maxLength: size });
}
