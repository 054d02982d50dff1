// Reads PNG and JPEG folders into NCHW float [0, 1] RGB tensors, so `radix eval` (and scripts) can feed the metrics
// the same pixels the Python tools would see. Headers are read first: oversized, truncated or corrupt files are
// refused by name before any pixel buffer is allocated, and unreadable folder entries are skipped with a warning.
import { accessSync, closeSync, constants as fsConstants, lstatSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import { RadixError, tensor, type Tensor } from '@radix/tensor-webgpu';
import { checkPng, isPng, NeedMoreBytes, parseImageHeader, type ImageHeader } from './image-header.js';

/** File extensions treated as images (lower case). */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** Default pixel budget of {@link readImage}: 64 megapixels per image. */
export const DEFAULT_MAX_PIXELS = 64_000_000;
/** Default largest image file {@link readImage} reads: 1 GiB. */
export const DEFAULT_MAX_FILE_BYTES = 2 ** 30;

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

/** An entry of a folder that could not be read, and why. */
export interface UnreadableEntry {
  name: string;
  /** e.g. 'dangling symbolic link to /mnt/x.png', 'permission denied'. */
  reason: string;
}

/** The image files of a folder, in name order, and what was skipped. */
export interface ImageFolderListing {
  /** Absolute folder path. */
  dir: string;
  /** Image file names (not paths), sorted. */
  names: string[];
  /** Non-image entries that were ignored (file names; sub-folders end with '/'). */
  ignored: string[];
  /** Entries that could not be read (dangling symbolic links, permission denied, …), skipped. */
  unreadable: UnreadableEntry[];
}

/** Options of {@link listImageFolder}. */
export interface ListImageFolderOptions {
  /** Refuse the folder when it holds anything that is not a readable PNG/JPEG file (default false: skip and list them). */
  strict?: boolean;
}

/** Budgets of {@link readImage} and {@link readImageHeader}. */
export interface ImageReadOptions {
  /** Most pixels (width × height) an image may have; larger ones are refused from their header (default 64,000,000). */
  maxPixels?: number;
  /** Largest file read, in bytes (default 1 GiB). */
  maxFileBytes?: number;
}

const fail = (op: string, path: string, msg: string): never => {
  throw new RadixError(op, `'${path}' ${msg}`);
};

function entryProblem(full: string): string | null {
  let st;
  try {
    st = statSync(full);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      try {
        if (lstatSync(full).isSymbolicLink()) return `dangling symbolic link to ${readlinkSync(full)}`;
      } catch {
        // vanished meanwhile
      }
      return 'vanished while the folder was listed';
    }
    if (code === 'ELOOP') return 'symbolic link loop';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    return `cannot be read (${code ?? (e as Error).message})`;
  }
  if (st.isDirectory()) return null;
  try {
    accessSync(full, fsConstants.R_OK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'EACCES' || code === 'EPERM' ? 'permission denied' : `cannot be read (${code ?? (e as Error).message})`;
  }
  return null;
}

/**
 * Lists the PNG/JPEG files of a folder (not recursive). Entries that cannot be read — dangling symbolic links,
 * link loops, files without read permission — are skipped and listed in `unreadable` (see {@link folderWarnings}).
 * Throws when the folder is missing, holds no readable image, or — with `strict` — holds anything else.
 *
 * @example
 * const { names, ignored, unreadable } = listImageFolder('out/fake');
 * console.log(names.length, 'images;', ignored.length, 'other entries ignored;', unreadable.length, 'unreadable');
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
  const unreadable: UnreadableEntry[] = [];
  for (const name of entries.sort()) {
    const full = join(abs, name);
    const problem = entryProblem(full);
    if (problem) {
      unreadable.push({ name, reason: problem });
      continue;
    }
    const isDir = statSync(full).isDirectory();
    if (!isDir && IMAGE_EXTENSIONS.includes(extname(name).toLowerCase())) names.push(name);
    else ignored.push(isDir ? `${name}/` : name);
  }
  if (options.strict && (ignored.length > 0 || unreadable.length > 0)) {
    const all = [...ignored, ...unreadable.map((u) => `${u.name} (${u.reason})`)];
    const what = unreadable.length > 0 ? 'non-image or unreadable' : 'non-image';
    throw new Error(`listImageFolder: folder '${dir}' holds ${all.length} ${what} entr${all.length === 1 ? 'y' : 'ies'} (strict mode): ${all.slice(0, 10).join(', ')}${all.length > 10 ? ', …' : ''}`);
  }
  if (names.length === 0) {
    const other = [...ignored, ...unreadable.map((u) => `${u.name} (${u.reason})`)];
    throw new Error(`listImageFolder: folder '${dir}' holds no PNG or JPEG images${other.length ? ` (only: ${other.slice(0, 10).join(', ')})` : ''}`);
  }
  return { dir: abs, names, ignored, unreadable };
}

function budgets(o: ImageReadOptions, op: string): Required<ImageReadOptions> {
  const maxPixels = o.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxFileBytes = o.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const [k, v] of [['maxPixels', maxPixels], ['maxFileBytes', maxFileBytes]] as const) {
    if (!(v > 0)) throw new RadixError(op, `option ${k} must be a positive number, got ${String(v)}`);
  }
  return { maxPixels, maxFileBytes };
}

function checkPixels(op: string, path: string, h: ImageHeader, maxPixels: number): void {
  const px = h.width * h.height;
  if (px > maxPixels) {
    const size = px >= 1e6 ? `${(px / 1e6).toFixed(1)} megapixels` : `${px} pixels`;
    fail(op, path, `is ${h.width}×${h.height} = ${size} by its ${h.format.toUpperCase()} header, over the pixel budget of ${maxPixels} (maxPixels); refused before decoding`);
  }
}

/**
 * Reads only the header of a PNG or JPEG (the first bytes of the file; more for JPEGs with large metadata segments)
 * and refuses images over the pixel budget — the cheap check to run over a whole folder before decoding any of it.
 *
 * @example
 * const h = readImageHeader('real/0001.png'); // { format: 'png', width: 512, height: 512, … }
 */
export function readImageHeader(path: string, options: ImageReadOptions = {}): ImageHeader {
  const op = 'readImageHeader';
  const { maxPixels, maxFileBytes } = budgets(options, op);
  let fd: number;
  try {
    fd = openSync(resolve(path), 'r');
  } catch (e) {
    return fail(op, path, `cannot be read: ${(e as Error).message}`);
  }
  try {
    const size = statSync(resolve(path)).size;
    let want = Math.min(size, 65536);
    for (;;) {
      const buf = new Uint8Array(want);
      const got = readSync(fd, buf, 0, want, 0);
      try {
        const h = parseImageHeader(buf.subarray(0, got));
        checkPixels(op, path, h, maxPixels);
        return h;
      } catch (e) {
        if (!(e instanceof NeedMoreBytes)) {
          if (e instanceof RadixError) throw e;
          const m = (e as Error).message;
          return fail(op, path, m.startsWith('neither') ? `is ${m}` : `is not a readable image: ${m}`);
        }
        if (e.bytes > size) return fail(op, path, `ends after ${size} bytes, inside its header: the file is truncated`);
        if (e.bytes > maxFileBytes) return fail(op, path, `has no image header in its first ${maxFileBytes} bytes (maxFileBytes)`);
        want = Math.min(size, Math.max(e.bytes, want * 4));
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A file read and checked by {@link checkImageFile}, ready to decode. */
interface CheckedImage {
  abs: string;
  buf: Buffer;
  header: ImageHeader;
  /** Notes of the structure check (e.g. bytes after the end ignored). */
  notes: string[];
}

function readChecked(op: string, path: string, options: ImageReadOptions): CheckedImage {
  const { maxPixels, maxFileBytes } = budgets(options, op);
  const abs = resolve(path);
  let buf: Buffer;
  try {
    const size = statSync(abs).size;
    if (size > maxFileBytes) fail(op, path, `is ${size} bytes, over the ${maxFileBytes}-byte file limit (maxFileBytes)`);
    buf = readFileSync(abs);
  } catch (e) {
    if (e instanceof RadixError) throw e;
    return fail(op, path, `cannot be read: ${(e as Error).message}`);
  }
  let header: ImageHeader;
  try {
    header = parseImageHeader(buf);
  } catch (e) {
    if (e instanceof NeedMoreBytes) return fail(op, path, `ends after ${buf.length} bytes, inside its header: the file is truncated`);
    const m = (e as Error).message;
    return fail(op, path, m.startsWith('neither') ? `is ${m}` : `is not a readable image: ${m}`);
  }
  checkPixels(op, path, header, maxPixels);
  try {
    return { abs, buf, header, notes: isPng(buf) ? checkPng(buf, header) : checkJpegEnd(buf) };
  } catch (e) {
    return fail(op, path, `is not a readable ${isPng(buf) ? 'PNG' : 'JPEG'} file: ${(e as Error).message}`);
  }
}

/**
 * Everything {@link readImage} checks before decoding pixels — the header and the pixel budget; for a PNG every
 * chunk's length and CRC and that the compressed data holds every row; for a JPEG its end-of-image marker — without
 * allocating the image. For checking a whole folder before any work starts.
 *
 * @example
 * for (const n of names) checkImageFile(join(dir, n)); // throws naming the first bad file
 */
export function checkImageFile(path: string, options: ImageReadOptions = {}): ImageHeader {
  return readChecked('checkImageFile', path, options).header;
}

/**
 * Decodes one PNG (1/2/4/8/16-bit gray, gray+alpha, RGB, RGBA, palette; interlaced or not) or baseline/progressive
 * JPEG file into RGB planes in [0, 1]. The format is taken from the file's signature, not its extension. Gray is
 * replicated to three channels and alpha is dropped (both recorded in `notes`).
 *
 * Header first: the size is read from the PNG IHDR / JPEG frame header and an image over `maxPixels` is refused before
 * anything is decoded; a PNG's chunk lengths, CRCs and compressed rows are checked, so a truncated file ("holds 2 of
 * 1000 rows"), a bad CRC or a JPEG without its end marker is reported as such. Every failure is a RadixError naming
 * the file.
 *
 * @example
 * const img = readImage('real/0001.png');
 * console.log(img.width, img.height, img.data[0]); // red of the top-left pixel, in [0, 1]
 * readImage('scan.png', { maxPixels: 200e6 }); // allow a 200-megapixel slide
 */
export function readImage(path: string, options: ImageReadOptions = {}): DecodedImage {
  const op = 'readImage';
  const { abs, buf, header, notes } = readChecked(op, path, options);
  const kind = header.format === 'png' ? 'PNG' : 'JPEG';
  try {
    const img = header.format === 'png' ? decodePng(abs, buf) : decodeJpeg(abs, buf, options.maxPixels ?? DEFAULT_MAX_PIXELS);
    if (img.width !== header.width || img.height !== header.height) throw new Error(`decoded ${img.width}×${img.height}, but the header says ${header.width}×${header.height}`);
    img.notes.push(...notes);
    return img;
  } catch (e) {
    return fail(op, path, `is not a readable ${kind} file: ${(e as Error).message}`);
  }
}

/** A JPEG is complete when an end-of-image marker follows its first scan (entropy-coded data never holds FF D9). */
function checkJpegEnd(buf: Uint8Array): string[] {
  let sos = -1;
  for (let i = 2; i + 1 < buf.length; i++) {
    if (buf[i] === 0xff && buf[i + 1] === 0xda) {
      sos = i;
      break;
    }
  }
  if (sos < 0) throw new Error(`no scan data (SOS marker) in ${buf.length} bytes: the file is truncated`);
  for (let i = buf.length - 2; i > sos; i--) if (buf[i] === 0xff && buf[i + 1] === 0xd9) return i + 2 < buf.length ? [`${buf.length - i - 2} bytes after the end-of-image marker ignored`] : [];
  throw new Error(`no end-of-image marker (FF D9) after the scan data in ${buf.length} bytes: the file is truncated`);
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

function decodeJpeg(path: string, buf: Buffer, maxPixels: number): DecodedImage {
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false, maxResolutionInMP: maxPixels / 1e6, maxMemoryUsageInMB: 4096 });
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
export function readImageFolder(dir: string, options: ListImageFolderOptions & ImageReadOptions = {}): ImageFolderTensor {
  const listing = listImageFolder(dir, options);
  const decoded = listing.names.map((n) => readImage(join(listing.dir, n), options));
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
  const skipped = listing.unreadable ?? [];
  if (skipped.length > 0) {
    const list = skipped.slice(0, 20).map((u) => `${u.name} (${u.reason})`).join(', ');
    warnings.push(`${listing.dir}: skipped ${skipped.length} unreadable entr${skipped.length === 1 ? 'y' : 'ies'}: ${list}${skipped.length > 20 ? ', …' : ''}`);
  }
  if (listing.ignored.length > 0) {
    warnings.push(`${listing.dir}: ignored ${listing.ignored.length} non-image entr${listing.ignored.length === 1 ? 'y' : 'ies'}: ${listing.ignored.slice(0, 10).join(', ')}${listing.ignored.length > 10 ? ', …' : ''}`);
  }
  const counts = new Map<string, number>();
  for (const d of decoded) for (const n of d.notes) counts.set(n, (counts.get(n) ?? 0) + 1);
  return [...warnings, ...noteWarnings(listing.dir, counts)];
}

/**
 * The decoder-note warnings of {@link folderWarnings} from note counts (`radix merge` adds up the shards' counts).
 *
 * @example
 * noteWarnings('/data', new Map([['16-bit samples scaled to [0, 1]', 3]]));
 */
export function noteWarnings(dir: string, counts: ReadonlyMap<string, number>): string[] {
  return [...counts].map(([note, count]) => `${dir}: ${note} in ${count} image${count === 1 ? '' : 's'}`);
}
