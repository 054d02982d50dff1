// How commands write files: always through the core's atomic writer (temp file in the same folder, fsync, rename),
// so an interrupted command never leaves half a JSON, PNG or manifest behind. The core is imported on first use so
// that loading the kit (every command's flags, `radix --help`) stays cheap.

/**
 * Writes text or bytes to `path` atomically; on failure `path` is left as it was and the error names the file.
 *
 * @example
 * await writeFileAtomic('eval.json', JSON.stringify(result));
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const { atomicWriteFile } = await import('@radix/tensor-webgpu');
  try {
    await atomicWriteFile(path, [bytes]);
  } catch (e) {
    throw new Error(`cannot write '${path}': ${(e as Error).message}`);
  }
}

/**
 * JSON with non-finite numbers written as the strings "Infinity", "-Infinity" and "NaN" (JSON has no such numbers),
 * indented, ending in a newline.
 *
 * @example
 * await writeFileAtomic('out.json', toJsonText({ psnr: Infinity }));
 */
export function toJsonText(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`;
}
