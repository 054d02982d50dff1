// Whether a safetensors file carries a given metadata key, read from its header only (no tensor data): how a Radix
// GAN checkpoint is told apart from a plain state dict.
import { open } from 'node:fs/promises';

/**
 * True when the safetensors file at `path` has `key` in its `__metadata__` (reads the 8-byte length and the header).
 *
 * @example
 * if (await hasSafetensorsMetadata('ckpt.safetensors', 'radix.gan')) { … }
 */
export async function hasSafetensorsMetadata(path: string, key: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const len = Buffer.alloc(8);
    await fh.read(len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    if (!(n > 0 && n < 100_000_000)) return false;
    const head = Buffer.alloc(n);
    await fh.read(head, 0, n, 8);
    const meta = (JSON.parse(head.toString('utf8')) as { __metadata__?: Record<string, string> }).__metadata__;
    return meta !== undefined && key in meta;
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}
