// Child-process entry of the hostile-checkpoint corpus: runs one reader call on one file and prints one JSON line with
// the outcome, the error's class and message, the elapsed time and the peak RSS, so the parent can bound both.
import { readFileSync } from 'node:fs';
import { RadixError } from '../../errors.js';
import { loadPth, readPthIndex, decodePth } from '../pth.js';
import { loadSafetensors } from '../safetensors.js';
import { unpickle } from '../pickle.js';
import { init } from '../../backend/registry.js';

/** What the child prints. */
export interface CaseOutcome {
  ok: boolean;
  /** Keys (or the unpickled value's type) on success. */
  summary?: string;
  errorName?: string;
  message?: string;
  ms: number;
  /** Peak resident set size in bytes (process.resourceUsage().maxRSS). */
  maxRss: number;
}

async function main(): Promise<void> {
  const [api, path, optionsJson] = process.argv.slice(2) as [string, string, string | undefined];
  const options = optionsJson ? (JSON.parse(optionsJson) as Record<string, unknown>) : {};
  const t0 = performance.now();
  let out: Omit<CaseOutcome, 'ms' | 'maxRss'>;
  try {
    let summary: string;
    if (api === 'loadPth' || api === 'loadSafetensors') {
      await init({ backend: 'cpu' });
      const sd = api === 'loadPth' ? await loadPth(path, { backend: 'cpu', ...options }) : await loadSafetensors(path, { backend: 'cpu', ...options });
      summary = Object.entries(sd).map(([k, t]) => `${k}:[${t.shape.join(',')}]`).join(' ');
    } else if (api === 'readPthIndex') {
      summary = (await readPthIndex(path, options)).map((e) => `${e.key}:[${e.shape.join(',')}]`).join(' ');
    } else if (api === 'decodePth') {
      summary = Object.keys(await decodePth(path, options)).join(' ');
    } else if (api === 'unpickle') {
      const v = unpickle(new Uint8Array(readFileSync(path)), { globals: {}, ...options }).value;
      summary = Array.isArray(v) ? `list of ${v.length}` : typeof v;
    } else {
      throw new Error(`unknown api ${api}`);
    }
    out = { ok: true, summary };
  } catch (e) {
    const err = e as Error;
    out = { ok: false, errorName: e instanceof RadixError ? 'RadixError' : err?.name ?? typeof e, message: String(err?.message ?? e) };
  }
  const result: CaseOutcome = { ...out, ms: performance.now() - t0, maxRss: process.resourceUsage().maxRSS * 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
