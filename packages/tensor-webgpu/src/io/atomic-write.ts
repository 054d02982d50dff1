// Node-only file access for the checkpoint readers/writers, imported lazily so the byte-level codecs stay browser-safe.
// Writes go to a temporary file in the same folder and are renamed over the target, so readers never see half a file.

type Fs = typeof import('node:fs/promises');

async function nodeFs(what: string): Promise<Fs> {
  try {
    return await import('node:fs/promises');
  } catch {
    throw new Error(`${what}: reading or writing files by path needs Node.js; in a browser pass the bytes (Uint8Array) instead`);
  }
}

/**
 * Returns `source` itself when it is bytes, or reads the whole file when it is a path (Node only).
 *
 * @example
 * const bytes = await readBytes('model.safetensors', 'loadSafetensors');
 */
export async function readBytes(source: string | Uint8Array | ArrayBuffer, what: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (typeof source !== 'string') throw new Error(`${what}: expected a file path, a Uint8Array or an ArrayBuffer`);
  const fs = await nodeFs(what);
  const buf = await fs.readFile(source);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Reads at most the first `length` bytes of a file (Node only) and returns them with the file's size, so a reader can
 * check a header before reading the rest.
 *
 * @example
 * const { bytes, size } = await readFileHead('model.safetensors', 8, 'loadSafetensors');
 */
export async function readFileHead(path: string, length: number, what: string): Promise<{ bytes: Uint8Array; size: number }> {
  const fs = await nodeFs(what);
  const handle = await fs.open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    const bytes = new Uint8Array(Math.min(length, size));
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return { bytes: bytes.subarray(0, at), size };
  } finally {
    await handle.close();
  }
}

/**
 * Writes `chunks` to `path` atomically: a temporary file beside it is written, flushed and renamed over `path`.
 * On any failure the temporary file is removed and `path` is left as it was.
 *
 * @example
 * await atomicWriteFile('out.safetensors', [header, data]);
 */
export async function atomicWriteFile(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const fs = await nodeFs('atomicWriteFile');
  const tmp = `${path}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`;
  const handle = await fs.open(tmp, 'wx');
  let renamed = false;
  try {
    for (const c of chunks) {
      let written = 0;
      while (written < c.byteLength) {
        const { bytesWritten } = await handle.write(c, written, c.byteLength - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    await fs.rename(tmp, path);
    renamed = true;
  } finally {
    if (!renamed) {
      await handle.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
    }
  }
}
