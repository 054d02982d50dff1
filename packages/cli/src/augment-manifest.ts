// The manifest `radix augment` keeps in OUT: which files it owns (name, size, SHA-256), every drawn parameter, and
// every run that wrote to the folder (version, backend, device). Output names come from whole source names.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { DrawnSample } from '@radix/augment';

/** The manifest format this version writes and resumes. */
export const MANIFEST_VERSION = 2;

/** One output file, the parameters drawn for it, and what verifies it. */
export interface ManifestOutput {
  file: string;
  /** Size in bytes; null while the output is being (re)written. */
  bytes: number | null;
  /** SHA-256 of the file, hex; null while the output is being (re)written. */
  sha256: string | null;
  /** Index into `runs` of the run that wrote it. */
  run: number;
  operations: DrawnSample['operations'];
}

/** One invocation that wrote to the folder. */
export interface ManifestRun {
  /** ISO time it started. */
  started: string;
  /** @radix/cli version. */
  radix: string;
  /** @radix/augment version. */
  augment: string;
  /** 'webgpu' or 'cpu' (the backend actually used, after 'auto'). */
  backend: string;
  device: string;
  host: string;
  pid: number;
}

/** The `manifest.json` written to OUT. */
export interface AugmentManifest {
  tool: 'radix augment';
  version: typeof MANIFEST_VERSION;
  settings: Record<string, unknown>;
  runs: ManifestRun[];
  /** Source file name → its outputs, in variant order. */
  sources: Record<string, ManifestOutput[]>;
}

/**
 * The output file of variant `k` of `source`: the whole source name with its extension's dot turned into `_`, then
 * the zero-padded variant, so `a.png` and `a.jpg` give `a_png_007.png` and `a_jpg_007.png`.
 *
 * @example
 * outputName('img0.png', 7, 3); // 'img0_png_007.png'
 */
export function outputName(source: string, k: number, digits: number): string {
  const ext = extname(source);
  const stem = ext ? `${source.slice(0, -ext.length)}_${ext.slice(1)}` : source;
  return `${stem}_${String(k).padStart(digits, '0')}.png`;
}

/**
 * Every source's output names. Refuses (listing them) two sources whose outputs would collide — exactly, or only by
 * letter case, which is a collision on case-insensitive file systems — and names too long for a file system.
 *
 * @example
 * planOutputs(['a.png', 'a.jpg'], 2).get('a.jpg'); // ['a_jpg_0.png', 'a_jpg_1.png']
 */
export function planOutputs(sources: readonly string[], variants: number): Map<string, string[]> {
  const digits = String(variants - 1).length;
  const plan = new Map<string, string[]>();
  const byKey = new Map<string, string>();
  const clashes: string[] = [];
  for (const s of sources) {
    const files = Array.from({ length: variants }, (_, k) => outputName(s, k, digits));
    if (Buffer.byteLength(files[files.length - 1]!) > 255) clashes.push(`'${s}' gives output names longer than 255 bytes`);
    const key = files[0]!.toLowerCase();
    const other = byKey.get(key);
    if (other !== undefined) clashes.push(`'${other}' and '${s}' would both write '${files[0]}'${files[0] !== outputName(other, 0, digits) ? ' (names differing only in letter case collide on case-insensitive file systems)' : ''}`);
    else byKey.set(key, s);
    plan.set(s, files);
  }
  if (clashes.length > 0) throw new Error(`output names would collide, so nothing was written: ${clashes.slice(0, 10).join('; ')}${clashes.length > 10 ? '; …' : ''}`);
  return plan;
}

/**
 * SHA-256 (hex) and size of bytes.
 *
 * @example
 * digest(new Uint8Array([1, 2])).bytes; // 2
 */
export function digest(data: Uint8Array): { bytes: number; sha256: string } {
  return { bytes: data.byteLength, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * Whether `path` holds exactly what `entry` recorded (size first, then SHA-256): 'ok', 'missing', or 'bad'
 * (truncated, modified, or never finished).
 *
 * @example
 * verifyOutput('aug/a_png_0.png', entry); // 'ok'
 */
export function verifyOutput(path: string, entry: Pick<ManifestOutput, 'bytes' | 'sha256'>): 'ok' | 'missing' | 'bad' {
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    return 'missing';
  }
  if (entry.sha256 === null || entry.bytes === null || size !== entry.bytes) return 'bad';
  try {
    return digest(readFileSync(path)).sha256 === entry.sha256 ? 'ok' : 'bad';
  } catch {
    return 'bad';
  }
}

/**
 * Reads OUT's manifest, or null when there is none. Throws when `manifest.json` exists but is not a radix augment
 * manifest of this format (unreadable JSON, another tool's file, an older version), so such a folder is never
 * written into.
 *
 * @example
 * const m = loadManifest('aug/manifest.json');
 */
export function loadManifest(path: string): AugmentManifest | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read '${path}': ${(e as Error).message}`);
  }
  let m: Partial<AugmentManifest>;
  try {
    m = JSON.parse(text) as Partial<AugmentManifest>;
  } catch (e) {
    throw new Error(`'${path}' exists but is not valid JSON (${(e as Error).message}); refusing to write into a folder whose manifest cannot be read`);
  }
  if (!m || m.tool !== 'radix augment') throw new Error(`'${path}' exists but was not written by radix augment; refusing to overwrite it (use another output folder)`);
  if (m.version !== MANIFEST_VERSION) {
    throw new Error(`'${path}' is a version ${String(m.version)} manifest (this radix writes version ${MANIFEST_VERSION}, which records output checksums and names outputs after whole source names); use a new output folder`);
  }
  if (!m.settings || !Array.isArray(m.runs) || !m.sources || typeof m.sources !== 'object') throw new Error(`'${path}' is missing settings, runs or sources (corrupt manifest)`);
  return m as AugmentManifest;
}

/**
 * A 53-bit stream number for a source name (FNV-1a 64, top bits dropped), so each source draws from its own stream.
 *
 * @example
 * new HostRandom(seed, sourceStream('a.png'));
 */
export function sourceStream(name: string): number {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(name)) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return Number(h & ((1n << 53n) - 1n));
}
