// The budgets every checkpoint reader works within, so a small hostile file cannot make a load allocate gigabytes,
// run for minutes or overflow the stack; every refusal is a RadixError naming the file, the key and the limit.
import { RadixError } from '../errors.js';

/** Budgets shared by the `.pth` readers ({@link loadPth}, {@link decodePth}, {@link readPthIndex}). */
export interface CheckpointLimits {
  /**
   * Largest pickle accepted, in bytes: the zip's `data.pkl` (its declared size, checked before inflating) or each
   * pickle of a legacy stream. Default {@link DEFAULT_MAX_PICKLE_BYTES} (64 MiB; a state dict of 10,000 tensors
   * pickles to about 2 MB).
   */
  maxPickleBytes?: number;
  /**
   * Most pickle opcodes executed; copies of existing containers and byte strings made while unpickling count one
   * per element. Default {@link DEFAULT_MAX_PICKLE_OPS} (10,000,000; torch writes about 25 per tensor).
   */
  maxPickleOps?: number;
  /**
   * Byte budget of one load: bytes inflated from DEFLATE entries plus bytes of the tensors materialised (a stride-0
   * or overlapping view counts its full size). Checked before anything is allocated.
   * Default: 4 × the file size + 256 MiB ({@link defaultByteBudget}).
   */
  maxBytes?: number;
  /** How the file is named in errors when the source is bytes (default `'<bytes>'`). */
  name?: string;
}

/** Default {@link CheckpointLimits.maxPickleBytes}: 64 MiB. */
export const DEFAULT_MAX_PICKLE_BYTES = 64 * 2 ** 20;
/** Default {@link CheckpointLimits.maxPickleOps}: 10,000,000. */
export const DEFAULT_MAX_PICKLE_OPS = 10_000_000;
/** Longest protocol-0 text line (INT, FLOAT, STRING, GLOBAL, PERSID…) the unpickler reads: 1 MiB. */
export const MAX_PICKLE_LINE_BYTES = 2 ** 20;
/** Deepest container nesting a checkpoint may have. */
export const MAX_CONTAINER_DEPTH = 1000;

/**
 * The default byte budget of a load: 4 × the file size + 256 MiB. An uncompressed checkpoint materialises at most
 * about its own size (twice with tied weights), so this refuses only expansion: DEFLATE bombs and huge views of
 * small storages.
 *
 * @example
 * defaultByteBudget(100e6); // 668435456
 */
export function defaultByteBudget(fileBytes: number): number {
  return 4 * fileBytes + 256 * 2 ** 20;
}

function positive(v: number | undefined, dflt: number, what: string, op: string): number {
  if (v === undefined) return dflt;
  if (!(typeof v === 'number' && v >= 0 && !Number.isNaN(v))) throw new RadixError(op, `option ${what} must be a non-negative number, got ${String(v)}`);
  return v;
}

/** Resolved limits of one read. @internal */
export interface ResolvedLimits {
  maxPickleBytes: number;
  maxPickleOps: number;
  maxBytes: number;
  /** Whether maxBytes is the default (for the message). */
  defaultBudget: boolean;
}

/** Fills in defaults and validates. @internal */
export function resolveLimits(o: CheckpointLimits, fileBytes: number, op: string): ResolvedLimits {
  return {
    maxPickleBytes: positive(o.maxPickleBytes, DEFAULT_MAX_PICKLE_BYTES, 'maxPickleBytes', op),
    maxPickleOps: positive(o.maxPickleOps, DEFAULT_MAX_PICKLE_OPS, 'maxPickleOps', op),
    maxBytes: positive(o.maxBytes, defaultByteBudget(fileBytes), 'maxBytes', op),
    defaultBudget: o.maxBytes === undefined,
  };
}

/**
 * Counts bytes a read allocates against {@link CheckpointLimits.maxBytes} and refuses, before the allocation,
 * what would exceed it. @internal
 */
export class ByteBudget {
  used = 0;
  constructor(readonly limit: number, private readonly isDefault: boolean) {}
  /** Reserves `bytes` for `what` (a sentence naming the key) or throws. */
  charge(bytes: number, what: string): void {
    if (!(this.used + bytes <= this.limit)) {
      const how = this.isDefault ? 'maxBytes; default 4 × file size + 256 MiB' : 'maxBytes';
      throw new RadixError('pth', `${what}: that would take the load to ${this.used + bytes} bytes, over its byte budget of ${this.limit} bytes (${how}); pass a larger maxBytes to load it anyway`);
    }
    this.used += bytes;
  }
  /** Returns bytes that were freed. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/**
 * Rethrows `e` as a {@link RadixError} of `op` whose message starts with the file's name (and keeps `e` as cause).
 * @internal
 */
export function fileError(op: string, file: string, e: unknown): RadixError {
  const msg = e instanceof Error ? e.message : String(e);
  const err = new RadixError(op, `'${file}': ${msg}`);
  (err as { cause?: unknown }).cause = e;
  return err;
}
