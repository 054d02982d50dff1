// Training images for `radix train diffusion`: a folder of images (unconditional) or one subfolder per class, read
// with the CLI's header-first image reader, each resized (shorter side) and centre-cropped to the resolution as
// diffusers' train_unconditional does, or refused when smaller than the resolution and --no-upscale is set.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { interpolate, noGrad, tensor, tidy } from '@radix/tensor-webgpu';
import { type DecodedImage, IMAGE_EXTENSIONS, folderWarnings, listImageFolder, readImage } from './images.js';

/** Options of {@link loadDiffusionData}. */
export interface DiffusionDataOptions {
  /** Side of the square training images. */
  resolution: number;
  /** Refuse images whose shorter side is below the resolution instead of upscaling them. */
  noUpscale?: boolean;
  maxPixels?: number;
}

/** The dataset in the trainer's form plus what the reader noticed. */
export interface DiffusionData {
  channels: 3;
  height: number;
  width: number;
  images: Float32Array[];
  labels?: number[];
  classNames?: string[];
  /** Source file of each image. */
  files: string[];
  warnings: string[];
}

function subfolders(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.startsWith('.')).filter((n) => {
    try {
      return statSync(join(dir, n)).isDirectory();
    } catch {
      return false;
    }
  }).sort();
}

function hasImages(dir: string): boolean {
  return readdirSync(dir).some((n) => IMAGE_EXTENSIONS.some((e) => n.toLowerCase().endsWith(e)));
}

/**
 * Reads DATA for diffusion training: the images of DATA itself (unconditional), or — when DATA holds no images but
 * subfolders that do — one class per subfolder (labels in sorted folder-name order). Every file is checked from its
 * header first; empty folders, unreadable or corrupt files and (with `noUpscale`) images smaller than the resolution
 * are refused with an error naming them.
 *
 * @example
 * const data = await loadDiffusionData('cells', { resolution: 32 });
 * data.classNames; // ['benign', 'malignant']
 */
export async function loadDiffusionData(dir: string, options: DiffusionDataOptions): Promise<DiffusionData> {
  const abs = resolve(dir);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    // handled below
  }
  if (!isDir) throw new Error(`radix train diffusion: DATA '${dir}' is not a folder`);
  const r = options.resolution;
  const groups: { name: string | null; dir: string }[] = [];
  if (hasImages(abs)) groups.push({ name: null, dir: abs });
  else {
    for (const s of subfolders(abs)) if (hasImages(join(abs, s))) groups.push({ name: s, dir: join(abs, s) });
    if (groups.length === 0) throw new Error(`radix train diffusion: DATA '${dir}' holds no PNG or JPEG images, neither directly nor in class subfolders (the dataset is empty)`);
  }
  const images: Float32Array[] = [];
  const labels: number[] = [];
  const files: string[] = [];
  const warnings: string[] = [];
  const small: string[] = [];
  let upscaled = 0;
  for (const [gi, g] of groups.entries()) {
    const listing = listImageFolder(g.dir);
    const decoded: DecodedImage[] = [];
    for (const name of listing.names) {
      const path = join(listing.dir, name);
      const img = readImage(path, { maxPixels: options.maxPixels });
      if (Math.min(img.width, img.height) < r) {
        if (options.noUpscale) { small.push(`${path} (${img.width}×${img.height})`); continue; }
        upscaled++;
      }
      decoded.push(img);
      images.push(await squareImage(img, r));
      labels.push(gi);
      files.push(path);
    }
    warnings.push(...folderWarnings({ ...listing, ignored: g.name === null ? listing.ignored.filter((n) => !n.endsWith('/')) : listing.ignored }, decoded));
    if (g.name === null && listing.ignored.some((n) => n.endsWith('/'))) {
      warnings.push(`${listing.dir}: holds images, so it is read as one unconditional set and its subfolders are ignored (put every image into a class subfolder for class-conditional training)`);
    }
  }
  if (small.length > 0) {
    throw new Error(`radix train diffusion: ${small.length} image${small.length === 1 ? ' is' : 's are'} smaller than --resolution ${r} and --no-upscale refuses them: ${small.slice(0, 10).join(', ')}${small.length > 10 ? ', …' : ''}`);
  }
  if (images.length === 0) throw new Error(`radix train diffusion: DATA '${dir}' yielded no usable images`);
  if (upscaled > 0) warnings.push(`${upscaled} image${upscaled === 1 ? ' was' : 's were'} smaller than --resolution ${r} and upscaled (bilinear); pass --no-upscale to refuse them instead`);
  const conditional = groups.length > 1 || groups[0]!.name !== null;
  return {
    channels: 3, height: r, width: r, images, files, warnings,
    ...(conditional ? { labels, classNames: groups.map((g) => g.name!) } : {}),
  };
}

/**
 * One decoded image resized so its shorter side is `r` (bilinear, antialiased when shrinking, like torchvision's
 * Resize on tensors) and centre-cropped to r × r (diffusers' train_unconditional: Resize + CenterCrop); CHW float32 in [0, 1].
 *
 * @example
 * const chw = await squareImage(readImage('a.png'), 32);
 */
export async function squareImage(img: DecodedImage, r: number): Promise<Float32Array> {
  const { width: w, height: h } = img;
  if (w === r && h === r) return img.data;
  const t = noGrad(() => tidy(() => {
    let x = tensor(img.data, { shape: [1, 3, h, w], backend: 'cpu' });
    const scale = r / Math.min(w, h);
    const nh = Math.max(r, Math.round(h * scale));
    const nw = Math.max(r, Math.round(w * scale));
    if (nh !== h || nw !== w) x = interpolate(x, { size: [nh, nw], mode: 'bilinear', antialias: scale < 1 });
    const top = Math.floor((nh - r) / 2);
    const left = Math.floor((nw - r) / 2);
    return x.narrow(2, top, r).narrow(3, left, r).clamp(0, 1).clone();
  }));
  const out = Float32Array.from((await t.data()) as Float32Array);
  t.dispose();
  return out;
}
