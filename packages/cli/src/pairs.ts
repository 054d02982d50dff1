// Paired-mode helpers for `radix eval`: match real/fake files by name and reconcile pairs of different sizes under
// an explicit policy, so full-reference metrics never compare misaligned pixels silently.
import { interpolate } from '@radix/tensor-webgpu';
import { imagesToTensor, type DecodedImage } from './images.js';

/** What to do when a real/fake pair differs in size: refuse (default), resize fake to real, or centre-crop both. */
export type SizePolicy = 'refuse' | 'resize' | 'center-crop';

/** The accepted {@link SizePolicy} values. */
export const SIZE_POLICIES: readonly SizePolicy[] = ['refuse', 'resize', 'center-crop'];

/**
 * Matches two sorted name lists exactly (same file name in both folders). Throws when any file lacks a partner,
 * listing the missing names on each side.
 *
 * @example
 * matchPairs(['a.png', 'b.png'], ['a.png', 'b.png']); // ['a.png', 'b.png']
 */
export function matchPairs(realNames: readonly string[], fakeNames: readonly string[]): string[] {
  const fake = new Set(fakeNames);
  const real = new Set(realNames);
  const noFake = realNames.filter((n) => !fake.has(n));
  const noReal = fakeNames.filter((n) => !real.has(n));
  if (noFake.length || noReal.length) {
    const show = (l: string[]): string => `${l.slice(0, 20).join(', ')}${l.length > 20 ? `, … (${l.length} in all)` : ''}`;
    const parts: string[] = [];
    if (noFake.length) parts.push(`${noFake.length} real image(s) have no fake partner: ${show(noFake)}`);
    if (noReal.length) parts.push(`${noReal.length} fake image(s) have no real partner: ${show(noReal)}`);
    throw new Error(`paired mode matches files by name; ${parts.join('; ')}`);
  }
  return [...realNames];
}

/**
 * Crops an image to `height`×`width` around its centre (top-left offset ⌊(H − h)/2⌋, ⌊(W − w)/2⌋).
 *
 * @example
 * const c = centerCrop(img, 64, 64);
 */
export function centerCrop(img: DecodedImage, height: number, width: number): DecodedImage {
  if (height > img.height || width > img.width) {
    throw new Error(`centerCrop: cannot crop ${img.width}×${img.height} '${img.path}' to a larger ${width}×${height}`);
  }
  if (height === img.height && width === img.width) return img;
  const top = Math.floor((img.height - height) / 2);
  const left = Math.floor((img.width - width) / 2);
  const out = new Float32Array(3 * height * width);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      const src = c * img.height * img.width + (top + y) * img.width + left;
      out.set(img.data.subarray(src, src + width), c * height * width + y * width);
    }
  }
  return { ...img, width, height, data: out, notes: [...img.notes, `center-cropped from ${img.width}×${img.height}`] };
}

/**
 * Resizes an image with bilinear interpolation (align_corners false, antialiased when shrinking), as
 * `torch.nn.functional.interpolate` does, on the current backend.
 *
 * @example
 * const r = await resizeImage(fake, real.height, real.width);
 */
export async function resizeImage(img: DecodedImage, height: number, width: number): Promise<DecodedImage> {
  if (height === img.height && width === img.width) return img;
  const x = imagesToTensor([img]);
  const shrink = height < img.height || width < img.width;
  const y = interpolate(x, { size: [height, width], mode: 'bilinear', alignCorners: false, antialias: shrink });
  const data = Float32Array.from((await y.data()) as Float32Array);
  x.dispose();
  y.dispose();
  for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, data[i]!));
  return { ...img, width, height, data, notes: [...img.notes, `resized from ${img.width}×${img.height}`] };
}

/**
 * Makes a real/fake pair the same size under `policy`: `refuse` throws naming both files and sizes, `resize`
 * resizes the fake image to the real one's size, `center-crop` crops both to the common smaller size.
 *
 * @example
 * const [r, f] = await reconcilePair(real, fake, 'center-crop');
 */
export async function reconcilePair(real: DecodedImage, fake: DecodedImage, policy: SizePolicy): Promise<[DecodedImage, DecodedImage]> {
  if (real.width === fake.width && real.height === fake.height) return [real, fake];
  switch (policy) {
    case 'refuse':
      throw new Error(`size mismatch in paired mode: real '${real.path}' is ${real.width}×${real.height} but fake '${fake.path}' is ${fake.width}×${fake.height} (choose --size-policy resize or center-crop to allow it)`);
    case 'resize':
      return [real, await resizeImage(fake, real.height, real.width)];
    case 'center-crop': {
      const h = Math.min(real.height, fake.height);
      const w = Math.min(real.width, fake.width);
      return [centerCrop(real, h, w), centerCrop(fake, h, w)];
    }
    default:
      throw new Error(`unknown size policy '${String(policy)}' (expected ${SIZE_POLICIES.join(', ')})`);
  }
}
