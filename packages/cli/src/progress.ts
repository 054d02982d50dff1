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
  /** Advances by `n` items (default 1). */
  tick(n?: number): void;
  /** Finishes the phase (draws 100 % and ends the line). */
  done(): void;
}

/** A progress indicator that prints nothing (for library use and `--quiet`). */
export const silentProgress: Progress = { tick() {}, done() {} };

/**
 * Creates a progress indicator for `total` items. On a TTY it redraws one line (`label [####----] 12/40`); on a
 * pipe or file it prints a plain line at every 10 % step so logs stay short.
 *
 * @example
 * const p = createProgress('features real', 120, process.stderr);
 * for (const batch of batches) { work(batch); p.tick(batch.length); }
 * p.done();
 */
export function createProgress(label: string, total: number, stream: ProgressStream): Progress {
  let count = 0;
  let lastStep = -1;
  let finished = false;
  const tty = stream.isTTY === true;
  const draw = (): void => {
    const frac = total > 0 ? Math.min(1, count / total) : 1;
    if (tty) {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - 24));
      const filled = Math.round(frac * width);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${total} ${Math.round(frac * 100)}%`);
    } else {
      const step = Math.floor(frac * 10);
      if (step === lastStep) return;
      lastStep = step;
      stream.write(`${label}: ${count}/${total} (${Math.round(frac * 100)}%)\n`);
    }
  };
  return {
    tick(n = 1) {
      if (finished) return;
      count += n;
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
