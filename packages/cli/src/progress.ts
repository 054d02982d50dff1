// Progress reporting for long evaluations: a redrawn bar on a TTY, plain occasional lines otherwise (logs, CI),
// always on stderr so stdout stays the report.

/** The writable side progress goes to (process.stderr or a test double). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A running progress indicator for one phase. */
export interface Progress {
  /** Advances by `n` items (default 1); `status` (e.g. `loss 0.0213`) is shown after the count until replaced. */
  tick(n?: number, status?: string): void;
  /** Finishes the phase (draws 100 % and ends the line). */
  done(): void;
}

/** A progress indicator that prints nothing (for library use and `--quiet`). */
export const silentProgress: Progress = { tick() {}, done() {} };

/** Options of {@link createProgress}. */
export interface ProgressOptions {
  /** Show the rate and the time left (`3.2 steps/s, ETA 4m10s`), for long loops such as training. */
  rate?: boolean;
  /** Name of one item in the rate (default `it`). */
  unit?: string;
  /** Non-TTY output: also print a line when this many milliseconds passed since the last (default: only per 10 %). */
  intervalMs?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

/**
 * Formats seconds as `1h02m`, `4m10s` or `12s`.
 *
 * @example
 * formatDuration(250); // '4m10s'
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

/**
 * Creates a progress indicator for `total` items. On a TTY it redraws one line (`label [####----] 12/40`); on a
 * pipe or file it prints a plain line at every 10 % step (and every `intervalMs`, if given) so logs stay short.
 * With `rate`, each line also shows items per second and the estimated time left.
 *
 * @example
 * const p = createProgress('features real', 120, process.stderr);
 * for (const batch of batches) { work(batch); p.tick(batch.length); }
 * p.done();
 * const t = createProgress('train', 20000, process.stderr, { rate: true, unit: 'steps', intervalMs: 30_000 });
 * t.tick(1, `loss ${loss.toFixed(4)}`);
 */
export function createProgress(label: string, total: number, stream: ProgressStream, options: ProgressOptions = {}): Progress {
  const now = options.now ?? (() => Date.now());
  const start = now();
  let count = 0;
  let lastStep = -1;
  let lastLine = start;
  let status = '';
  let finished = false;
  const tty = stream.isTTY === true;
  const extra = (): string => {
    let text = '';
    if (options.rate) {
      const elapsed = (now() - start) / 1000;
      const perSec = elapsed > 0 ? count / elapsed : 0;
      const left = perSec > 0 ? (total - count) / perSec : Number.NaN;
      text += ` ${perSec >= 10 ? perSec.toFixed(0) : perSec.toFixed(2)} ${options.unit ?? 'it'}/s, ${count >= total ? `took ${formatDuration(elapsed)}` : `ETA ${formatDuration(left)}`}`;
    }
    return status ? `${text}${text ? ',' : ''} ${status}` : text;
  };
  const draw = (): void => {
    const frac = total > 0 ? Math.min(1, count / total) : 1;
    if (tty) {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 24));
      const filled = Math.round(frac * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total} ${Math.round(frac * 100)}%${extra()}`);
    } else {
      const step = Math.floor(frac * 10);
      const due = options.intervalMs !== undefined && now() - lastLine >= options.intervalMs;
      if (step === lastStep && !due) return;
      lastStep = step;
      lastLine = now();
      stream.write(`${label}: ${count}/${total} (${Math.round(frac * 100)}%)${extra()}\n`);
    }
  };
  return {
    tick(n = 1, newStatus?: string) {
      if (finished) return;
      count += n;
      if (newStatus !== undefined) status = newStatus;
      draw();
    },
    done() {
      if (finished) return;
      count = total;
      draw();
      if (tty) stream.write('\n');
      finished = true;
    },
  };
}
