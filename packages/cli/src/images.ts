// Reads PNG and JPEG folders into NCHW float [0, 1] RGB tensors, so `radix eval` (and scripts) can feed the metrics
// the same pixels the Python tools would see, and refuses unreadable files by name.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { tensor, type Tensor } from '@radix/tensor-webgpu';

/** File extensions treated as images (lower case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** One decoded image: RGB planes in CHW order, values in [0, 1]. */
export interface DecodedImage {
  /** Absolute path of the file it came from. */
  path: string;
  width: number;
  height: number;
  /** 3 · height · width values, plane by plane (R, G, B). */
  data: Float32Array;
  /** What the decoder did besides a plain copy (gray replicated, alpha dropped, 16-bit). */
  notes: string[];
}

/** The image files of a folder, in name order, and what was skipped. */
export interface ImageFolderListing {
  /** Absolute folder path. */
  dir: string;
  /** Image file names (not paths), sorted. */
  names: string[];
  /** Non-image entries that were ignored (file names; sub-folders end with '/'). */
  ignored: string[];
}

/** Options of {@link listImageFolder}. */
export interface ListImageFolderOptions {
  /** Refuse the folder when it holds anything that is not a PNG/JPEG file (default false: ignore and list them). */
  strict?: boolean;
}

/**
 * Lists the PNG/JPEG files of a folder (not recursive). Throws when the folder is missing, holds no image, or —
 * with `strict` — holds anything else.
 *
 * @example
 * const { names, ignored } = listImageFolder('out/fake');
 * console.log(names.length, 'images;', ignored.length, 'other entries ignored');
 */
export function listImageFolder(dir: string, options: ListImageFolderOptions = {}): ImageFolderListing {
  const abs = resolve(dir);
  let entries: string[];
  try {
    if (!statSync(abs).isDirectory()) throw new Error('not a directory');
    entries = readdirSync(abs);
  } catch (e) {
    throw new Error(`listImageFolder: cannot read folder '${dir}': ${(e as Error).message}`);
  }
  const names: string[] = [];
  const ignored: string[] = [];
  for (const name of entries.sort()) {
    const isDir = statSync(join(abs, name)).isDirectory();
    if (!isDir && IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())) names.push(name);
    else ignored.push(isDir ? `${name}/` : name);
  }
  if (options.strict && ignored.length > 0) {
    throw new Error(`listImageFolder: folder '${dir}' holds ${ignored.length} non-image entr${ignored.length === 1 ? 'y' : 'ies'} (strict mode): ${ignored.slice(0, 10).join(', ')}${ignored.length > 10 ? ', …' : ''}`);
  }
  if (names.length === 0) {
    throw new Error(`listImageFolder: folder '${dir}' holds no PNG or JPEG images${ignored.length ? ` (only: ${ignored.slice(0, 10).join(', ')})` : ''}`);
  }
  return { dir: abs, names, ignored };
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decodes one PNG (1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette) or baseline/progressive JPEG file into RGB
 * planes in [0, 1]. The format is taken from the file's signature, not its extension. Gray is replicated to three
 * channels and alpha is dropped (both recorded in `notes`). Corrupt or unknown files throw an error naming the file.
 *
 * @example
 * const img = readImage('real/0001.png');
 * console.log(img.width, img.height, img.data[0]); // red of the top-left pixel, in [0, 1]
 */
export function readImage(path: string): DecodedImage {
  const abs = resolve(path);
  let buf: Buffer;
  try {
    buf = readFileSync(abs);
  } catch (e) {
    throw new Error(`readImage: cannot read '${path}': ${(e as Error).message}`);
  }
  const isPng = buf.length >= 8 && PNG_MAGIC.every((b, i) => buf[i] === b);
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  try {
    if (isPng) return decodePng(abs, buf);
    if (isJpeg) return decodeJpeg(abs, buf);
  } catch (e) {
    throw new Error(`readImage: '${path}' is not a readable ${isPng ? 'PNG' : 'JPEG'} file: ${(e as Error).message}`);
  }
  throw new Error(`readImage: '${path}' is neither a PNG nor a JPEG file (unknown signature)`);
}

function decodePng(path: string, buf: Buffer): DecodedImage {
  const png = PNG.sync.read(buf, { skipRescale: true });
  const { width, height } = png;
  const palette = (png.colorType as number) === 3;
  const max = palette ? 255 : 2 ** png.depth - 1;
  const src = png.data as unknown as ArrayLike<number>;
  if (src.length < width * height * 4) throw new Error(`decoded ${src.length} samples, expected ${width * height * 4}`);
  const notes: string[] = [];
  if (!png.color) notes.push('grayscale replicated to RGB');
  if (png.alpha) notes.push('alpha channel dropped');
  if (png.depth === 16) notes.push('16-bit samples scaled by 1/65535');
  return { path, width, height, data: planesFromInterleaved(src, width, height, 4, max), notes };
}

function decodeJpeg(path: string, buf: Buffer): DecodedImage {
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxMemoryUsageInMB: 2048 });
  const { width, height, data } = img;
  const channels = data.length / (width * height);
  if (channels !== 3 && channels !== 4) throw new Error(`decoded ${data.length} samples for ${width}×${height}`);
  return { path, width, height, data: planesFromInterleaved(data, width, height, channels, 255), notes: [] };
}

function planesFromInterleaved(src: ArrayLike<number>, width: number, height: number, stride: number, max: number): Float32Array {
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    const s = p * stride;
    out[p] = src[s]! / max;
    out[plane + p] = src[s + 1]! / max;
    out[2 * plane + p] = src[s + 2]! / max;
  }
  return out;
}

/**
 * Stacks decoded images of one size into an (N, 3, H, W) float32 tensor on the current backend.
 *
 * @example
 * const x = imagesToTensor([readImage('a.png'), readImage('b.png')]); // shape [2, 3, H, W]
 */
export function imagesToTensor(images: readonly DecodedImage[]): Tensor {
  if (images.length === 0) throw new Error('imagesToTensor: no images given');
  const { width, height } = images[0]!;
  const plane = 3 * width * height;
  const all = new Float32Array(images.length * plane);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw new Error(`imagesToTensor: '${img.path}' is ${img.width}×${img.height} but '${images[0]!.path}' is ${width}×${height}; images in one tensor must have one size`);
    }
    all.set(img.data, i * plane);
  });
  return tensor(all, { shape: [images.length, 3, height, width] });
}

/** A whole folder as one tensor; see {@link readImageFolder}. */
export interface ImageFolderTensor {
  /** (N, 3, H, W) float32 in [0, 1]. */
  images: Tensor;
  /** File names in tensor order. */
  names: string[];
  /** Non-image entries that were ignored, and decoder notes, as readable lines. */
  warnings: string[];
}

/**
 * Reads every PNG/JPEG of a folder (sorted by name) into one (N, 3, H, W) tensor. All images must have one size.
 * Meant for small sets; `runEval` streams large folders in batches instead.
 *
 * @example
 * const { images, names } = readImageFolder('samples');
 * console.log(images.shape, names[0]);
 */
export function readImageFolder(dir: string, options: ListImageFolderOptions = {}): ImageFolderTensor {
  const listing = listImageFolder(dir, options);
  const decoded = listing.names.map((n) => readImage(join(listing.dir, n)));
  const warnings = folderWarnings(listing, decoded);
  return { images: imagesToTensor(decoded), names: listing.names, warnings };
}

/**
 * Readable warning lines for ignored entries and decoder notes (notes are summarised, not repeated per file).
 *
 * @example
 * const l = listImageFolder('real');
 * folderWarnings(l, l.names.map((n) => readImage(join(l.dir, n)))); // ['…: alpha channel dropped in 3 images']
 */
export function folderWarnings(listing: ImageFolderListing, decoded: readonly DecodedImage[]): string[] {
  const warnings: string[] = [];
  if (listing.ignored.length > 0) {
    warnings.push(`${listing.dir}: ignored ${listing.ignored.length} non-image entr${listing.ignored.length === 1 ? 'y' : 'ies'}: ${listing.ignored.slice(0, 10).join(', ')}${listing.ignored.length > 10 ? ', …' : ''}`);
  }
  const counts = new Map<string, number>();
  for (const d of decoded) for (const n of d.notes) counts.set(n, (counts.get(n) ?? 0) + 1);
  for (const [note, count] of counts) warnings.push(`${listing.dir}: ${note} in ${count} image${count === 1 ? '' : 's'}`);
  return warnings;
}
