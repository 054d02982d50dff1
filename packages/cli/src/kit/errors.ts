// The one error type every command throws for a bad invocation; the dispatcher maps it to exit code 2 and points at
// the command's --help. Anything else that escapes a command is a failure (exit code 1).

/**
 * An error in how a command was called (unknown flag, bad value, missing folder argument); the CLI exits with
 * code 2 for these and suggests `--help`.
 *
 * @example
 * if (!Number.isFinite(n)) throw new UsageError(`--steps expects a number, got '${s}'`);
 */
export class UsageError extends Error {
  override name = 'UsageError';
}
