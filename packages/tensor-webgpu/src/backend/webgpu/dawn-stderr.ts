// Dawn's native code prints two harmless warnings ("maxDynamic…BuffersPerPipelineLayout artificially reduced…") to
// the process's stderr on every adapter request on some Vulkan drivers (lavapipe). When stderr is a terminal or a pipe,
// this runs that synchronous call with fd 2 pointed at a temporary file and passes everything else it printed on;
// RADIX_VERBOSE=1 leaves stderr alone.

/** Dawn lines that are dropped (unless RADIX_VERBOSE=1): limits Dawn lowers to what its dynamic-offset tables hold. */
export const DAWN_NOISE: readonly RegExp[] = [
  /^Warning: maxDynamic(Uniform|Storage)BuffersPerPipelineLayout artificially reduced from \d+ to \d+ to fit dynamic offset allocation limit\.$/,
];

type Fs = typeof import('node:fs');

/** Node's fs and tmpdir, loaded ahead (the filtered call itself must stay synchronous), or null outside Node. */
export async function loadStderrTools(): Promise<{ fs: Fs; tmp: string } | null> {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined>; platform?: string } }).process;
  if (!proc?.env || proc.env.RADIX_VERBOSE === '1' || (proc.platform !== 'linux' && proc.platform !== 'darwin')) return null;
  try {
    const fs = await import('node:fs');
    const os = await import('node:os');
    return { fs, tmp: os.tmpdir() };
  } catch {
    return null;
  }
}

/**
 * Runs the synchronous `fn` with file descriptor 2 redirected to a temporary file, then restores fd 2 and writes back
 * every captured line except {@link DAWN_NOISE}. Falls back to running `fn` plainly whenever stderr is not a terminal
 * or a pipe (a regular file, a socket, closed) or `tools` is null.
 *
 * @example
 * const tools = await loadStderrTools();
 * const promise = withQuietDawn(tools, () => gpu.requestAdapter());
 */
export function withQuietDawn<T>(tools: { fs: Fs; tmp: string } | null, fn: () => T): T {
  if (!tools) return fn();
  const { fs } = tools;
  // Only a pipe or a terminal can be reopened safely: a regular file reopened this way would get a second file offset,
  // and later writes through the original one (the shell's, other processes') would overwrite ours.
  try {
    const st = fs.fstatSync(2);
    if (!st.isFIFO() && !st.isCharacterDevice()) return fn();
  } catch {
    return fn();
  }
  const reopen = (fd: number): number => {
    for (const dir of ['/proc/self/fd', '/dev/fd']) {
      try {
        return fs.openSync(`${dir}/${fd}`, 'a');
      } catch {
        // try the next spelling
      }
    }
    return -1;
  };
  const saved = reopen(2);
  if (saved < 0) return fn();
  const log = `${tools.tmp}/radix-dawn-${process.pid}-${Math.random().toString(36).slice(2)}.log`;
  let captured = false;
  try {
    fs.closeSync(2);
    const fd = fs.openSync(log, 'w+');
    captured = fd === 2;
    if (!captured) fs.closeSync(fd);
  } catch {
    captured = false;
  }
  if (!captured) {
    restore(fs, saved);
    return fn();
  }
  try {
    return fn();
  } finally {
    restore(fs, saved);
    let text = '';
    try {
      text = fs.readFileSync(log, 'utf8');
      fs.rmSync(log, { force: true });
    } catch {
      // nothing captured
    }
    const kept = text.split('\n').filter((l) => l !== '' && !DAWN_NOISE.some((re) => re.test(l)));
    if (kept.length > 0) fs.writeSync(2, `${kept.join('\n')}\n`);
  }
}

/** Points fd 2 back at what `saved` refers to (the lowest free descriptor is 2 once it is closed). */
function restore(fs: Fs, saved: number): void {
  try {
    fs.closeSync(2);
  } catch {
    // fd 2 was not open
  }
  for (const dir of ['/proc/self/fd', '/dev/fd']) {
    try {
      const fd = fs.openSync(`${dir}/${saved}`, 'a');
      if (fd !== 2) fs.closeSync(fd);
      break;
    } catch {
      // try the next spelling
    }
  }
  fs.closeSync(saved);
}
