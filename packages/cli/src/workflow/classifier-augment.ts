// The classifier's training augmentations of the histology GAN paper: a random 90° rotation and flip per image (one of
// the 8 symmetries of the square) and brightness, contrast and saturation factors drawn in [0.8, 1.2], all seeded.
import { adjustBrightness, adjustContrast, adjustSaturation, hflip, rot90, type HostRandom } from '@radix/augment';
import { cat, indexSelect, tensor, tidy, type Tensor } from '@radix/tensor-webgpu';

/** Settings of {@link augmentClassifierBatch}; the defaults are the paper's. */
export interface ClassifierAugmentOptions {
  /** Random 90° rotations and flips (default true). */
  dihedral?: boolean;
  /** Brightness factor range (default [0.8, 1.2]; null: off). */
  brightness?: [number, number] | null;
  /** Contrast factor range (default [0.8, 1.2]; null: off). */
  contrast?: [number, number] | null;
  /** Saturation factor range (default [0.8, 1.2]; null: off). */
  saturation?: [number, number] | null;
}

/** What was drawn for each image of a batch (for the report's augmentation examples and for tests). */
export interface ClassifierAugmentDraw {
  /** 0..7: k = d mod 4 quarter turns, then a left-right flip when d ≥ 4. */
  symmetry: number[];
  brightness: number[];
  contrast: number[];
  saturation: number[];
}

const PAPER: Required<ClassifierAugmentOptions> = { dihedral: true, brightness: [0.8, 1.2], contrast: [0.8, 1.2], saturation: [0.8, 1.2] };

/**
 * Draws the parameters for `n` images from `rng` (symmetry first, then brightness, contrast, saturation per image).
 *
 * @example
 * const draw = drawClassifierAugment(32, new HostRandom(1));
 */
export function drawClassifierAugment(n: number, rng: HostRandom, options: ClassifierAugmentOptions = {}): ClassifierAugmentDraw {
  const o = { ...PAPER, ...options };
  const d: ClassifierAugmentDraw = { symmetry: [], brightness: [], contrast: [], saturation: [] };
  for (let i = 0; i < n; i++) {
    d.symmetry.push(o.dihedral ? rng.randint(0, 7) : 0);
    d.brightness.push(o.brightness ? rng.uniform(o.brightness[0], o.brightness[1]) : 1);
    d.contrast.push(o.contrast ? rng.uniform(o.contrast[0], o.contrast[1]) : 1);
    d.saturation.push(o.saturation ? rng.uniform(o.saturation[0], o.saturation[1]) : 1);
  }
  return d;
}

/**
 * Applies a draw to a square RGB batch [N, 3, S, S] in [0, 1]: each image gets its own symmetry (images are grouped
 * by symmetry, transformed, and put back in order), then brightness, contrast and saturation (torchvision's
 * definitions, via @radix/augment), each clamped to [0, 1].
 *
 * @example
 * const y = applyClassifierAugment(x, drawClassifierAugment(x.shape[0], rng));
 */
export function applyClassifierAugment(x: Tensor, draw: ClassifierAugmentDraw): Tensor {
  const n = x.shape[0]!;
  if (x.ndim !== 4 || x.shape[2] !== x.shape[3]) throw new Error(`applyClassifierAugment: expects square [N, 3, S, S] images, got [${x.shape.join(', ')}]`);
  if (draw.symmetry.length !== n) throw new Error(`applyClassifierAugment: the draw is for ${draw.symmetry.length} images, the batch has ${n}`);
  return tidy(() => {
    let y = x;
    if (draw.symmetry.some((s) => s !== 0)) {
      const parts: Tensor[] = [];
      const order: number[] = [];
      for (let s = 0; s < 8; s++) {
        const ids = draw.symmetry.flatMap((v, i) => (v === s ? [i] : []));
        if (ids.length === 0) continue;
        let g = indexSelect(x, 0, tensor(ids, { dtype: 'int32', backend: x.backend }));
        if (s % 4 !== 0) g = rot90(g, s % 4).images;
        if (s >= 4) g = hflip(g).images;
        parts.push(g);
        order.push(...ids);
      }
      const inverse = new Array<number>(n);
      order.forEach((src, at) => { inverse[src] = at; });
      y = indexSelect(cat(parts, 0), 0, tensor(inverse, { dtype: 'int32', backend: x.backend }));
    }
    if (draw.brightness.some((v) => v !== 1)) y = adjustBrightness(y, draw.brightness);
    if (draw.contrast.some((v) => v !== 1)) y = adjustContrast(y, draw.contrast);
    if (draw.saturation.some((v) => v !== 1)) y = adjustSaturation(y, draw.saturation);
    return y === x ? x.clone() : y;
  });
}
