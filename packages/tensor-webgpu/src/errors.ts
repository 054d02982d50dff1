// One place that formats the errors ops throw, so every message names the op, the shapes and the reason.

/** Error thrown by Radix ops; `op` names the operation that refused its input. */
export class RadixError extends Error {
  /** The op that threw, e.g. `conv2d`. */
  readonly op: string;
  constructor(op: string, message: string) {
    super(`${op}: ${message}`);
    this.name = 'RadixError';
    this.op = op;
  }
}

/** Formats a shape as `[2, 3, 4]` for error messages. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Throws a {@link RadixError} for `op` unless `cond` holds. */
export function check(cond: unknown, op: string, message: string | (() => string)): asserts cond {
  if (!cond) throw new RadixError(op, typeof message === 'string' ? message : message());
}
