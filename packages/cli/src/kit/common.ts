// The flags most commands share (--backend, --seed, --json, --quiet), defined once so their spelling, help text and
// validation are identical everywhere, plus readers that turn them into typed values.
import type { OptionSpec, ParsedArgs } from './command.js';
import { UsageError } from './errors.js';

/** Compute backends a command can be asked to use. */
export const BACKENDS = ['auto', 'webgpu', 'cpu'] as const;
/** A backend name accepted by `--backend`. */
export type BackendChoice = (typeof BACKENDS)[number];

/** `--backend auto|webgpu|cpu`. */
export const BACKEND_OPTION: OptionSpec = {
  name: 'backend', type: 'string', arg: 'B',
  description: 'auto|webgpu|cpu (default auto: WebGPU when an adapter exists, else the CPU backend; RADIX_BACKEND also sets it)',
};
/** `--seed S`. */
export const SEED_OPTION: OptionSpec = { name: 'seed', type: 'string', arg: 'S', description: 'seed of every random draw, a non-negative integer < 2^53 (default 1)' };
/** `--json FILE`. */
export const JSON_OPTION: OptionSpec = { name: 'json', type: 'string', arg: 'FILE', description: 'also write the results as JSON (atomically; never inside an input folder)' };
/** `--max-pixels N`. */
export const MAX_PIXELS_OPTION: OptionSpec = {
  name: 'max-pixels', type: 'string', arg: 'N',
  description: 'largest image accepted, in pixels (width × height, read from the header before decoding; default 64000000)',
};
/** `--quiet`. */
export const QUIET_OPTION: OptionSpec = { name: 'quiet', type: 'boolean', description: 'no progress on stderr' };

/**
 * The backend asked for by `--backend`, else `RADIX_BACKEND`, else `'auto'`.
 *
 * @example
 * const backend = await init({ backend: readBackend(args, ctx.env) });
 */
export function readBackend(args: ParsedArgs, env: Record<string, string | undefined> = {}): BackendChoice {
  const fromFlag = args.string('backend');
  const text = fromFlag ?? env.RADIX_BACKEND ?? 'auto';
  if (!(BACKENDS as readonly string[]).includes(text)) {
    throw new UsageError(`${fromFlag !== undefined ? '--backend' : 'RADIX_BACKEND'} expects one of ${BACKENDS.join('|')}, got '${text}'`);
  }
  return text as BackendChoice;
}

/**
 * The `--seed` value (default `fallback`), a non-negative safe integer so all 53 bits are kept.
 *
 * @example
 * const seed = readSeed(args); // 1 unless --seed is given
 */
export function readSeed(args: ParsedArgs, fallback = 1): number {
  return args.integer('seed', { min: 0 }) ?? fallback;
}
