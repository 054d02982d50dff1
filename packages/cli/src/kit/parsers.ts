// Value parsers shared by every command's flags: each one names the flag and the offending text in its UsageError,
// so `radix train gan --kimg x` and `radix eval --pr-k x` fail the same way.
import { UsageError } from './errors.js';

/**
 * Parses a finite number; `undefined` stays `undefined` (flag not given).
 *
 * @example
 * parseNumber('lr', '1e-4'); // 0.0001
 */
export function parseNumber(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${flag} expects a number, got '${text}'`);
  return n;
}

/** Bounds accepted by {@link parseInteger}. */
export interface IntegerBounds {
  /** Smallest accepted value (default −2⁵³+1). */
  min?: number;
  /** Largest accepted value (default 2⁵³−1). */
  max?: number;
}

/**
 * Parses a safe integer within bounds.
 *
 * @example
 * parseInteger('steps', '20000', { min: 1 }); // 20000
 */
export function parseInteger(flag: string, text: string | undefined, bounds: IntegerBounds = {}): number | undefined {
  const n = parseNumber(flag, text);
  if (n === undefined) return undefined;
  const min = bounds.min ?? Number.MIN_SAFE_INTEGER;
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${flag} expects an integer, got '${text}'`);
  if (n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : min === Number.MIN_SAFE_INTEGER ? `≤ ${max}` : `in [${min}, ${max}]`;
    throw new UsageError(`--${flag} must be ${range}, got ${n}`);
  }
  return n;
}

/**
 * Parses `A,B` into two numbers (ranges such as `--zoom 1,1.2`, sizes such as `--grid 4,4`).
 *
 * @example
 * parsePair('zoom', '1,1.2'); // [1, 1.2]
 */
export function parsePair(flag: string, text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',');
  const nums = parts.map((t) => Number(t));
  if (parts.length !== 2 || parts.some((t, i) => t.trim() === '' || !Number.isFinite(nums[i]!))) {
    throw new UsageError(`--${flag} expects two numbers 'A,B', got '${text}'`);
  }
  return nums as [number, number];
}

/**
 * Parses a comma-separated list; with `allowed`, every item must be one of them.
 *
 * @example
 * parseList('metrics', 'fid,kid', ['fid', 'kid', 'is']); // ['fid', 'kid']
 */
export function parseList<T extends string = string>(flag: string, text: string | undefined, allowed?: readonly T[]): T[] | undefined {
  if (text === undefined) return undefined;
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--${flag} expects a comma-separated list, got '${text}'`);
  if (allowed) {
    const bad = items.filter((s) => !(allowed as readonly string[]).includes(s));
    if (bad.length > 0) throw new UsageError(`--${flag}: unknown ${bad.map((b) => `'${b}'`).join(', ')} (expected ${allowed.join(', ')})`);
  }
  return items as T[];
}

/**
 * Checks that `text` is one of `allowed`.
 *
 * @example
 * parseChoice('backend', 'cpu', ['auto', 'webgpu', 'cpu']); // 'cpu'
 */
export function parseChoice<T extends string>(flag: string, text: string | undefined, allowed: readonly T[]): T | undefined {
  if (text === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(`--${flag} expects one of ${allowed.join('|')}, got '${text}'`);
  return text as T;
}
