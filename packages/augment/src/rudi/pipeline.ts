// The rudi/Augmentor pipeline: an ordered list of operations, each gated by Augmentor's probability test, with
// parameters drawn on the host (recorded per output) and the pixels resampled on the device.
import { cat, slice, type Tensor } from '@radix/tensor-webgpu';
import { distortImage, flipImage, rotateImage, skewImage, zoomImage, type SkewType } from './geometry.js';
import { HostRandom, round1, round2 } from './host-random.js';

/** The parameters drawn for one operation of one output image. */
export type DrawnOperation =
  | { op: 'rotate'; applied: boolean; degrees?: number }
  | { op: 'zoom'; applied: boolean; factor?: number }
  | { op: 'randomDistortion'; applied: boolean; gridWidth?: number; gridHeight?: number; shifts?: [number, number][] }
  | { op: 'flipRandom'; applied: boolean; axis?: 0 | 1 }
  | { op: 'skew'; applied: boolean; kind?: 'TILT' | 'CORNER'; direction?: number; amount?: number };

/** Everything drawn for one output image: which source it came from and each operation's parameters. */
export interface DrawnSample {
  /** Index of the source image in the input batch. */
  source: number;
  operations: DrawnOperation[];
}

/** How the probability gate decides: Augmentor's `round(uniform(0, 1), 1) <= p` (default) or a plain `u < p`. */
export type GateMode = 'augmentor' | 'exact';

type OpSpec =
  | { op: 'rotate'; probability: number; maxLeft: number; maxRight: number }
  | { op: 'zoom'; probability: number; minFactor: number; maxFactor: number }
  | { op: 'randomDistortion'; probability: number; gridWidth: number; gridHeight: number; magnitude: number }
  | { op: 'flipRandom'; probability: number }
  | { op: 'skew'; probability: number; magnitude: number; type: SkewType };

/** Options of {@link Pipeline.sampleFor} and {@link Pipeline.sample}. */
export interface SampleOptions {
  /** Seeded host random source; default `new HostRandom(0)`. */
  generator?: HostRandom;
}

/** Output of a sampling call: the (M, C, H, W) batch and the parameters drawn for each of its M images. */
export interface SampleResult {
  images: Tensor;
  params: DrawnSample[];
}

function checkProbability(fn: string, p: number): void {
  if (!Number.isFinite(p) || p < 0 || p > 1) throw new Error(`Pipeline.${fn}: probability must be in [0, 1], got ${p}`);
}

function checkImages(fn: string, images: Tensor): void {
  if (images.ndim !== 4) throw new Error(`Pipeline.${fn}: images must be (N, C, H, W), got [${images.shape.join(', ')}]`);
  if (images.shape[0] === 0) throw new Error(`Pipeline.${fn}: no images given (batch of 0)`);
}

/**
 * An Augmentor-compatible pipeline. Operations run in the order they were added; each is applied when Augmentor's
 * gate passes (`round(uniform(0, 1), 1) <= probability`, so p = 0.7 fires 75 % of the time and p = 0 still 5 %;
 * pass `{ gate: 'exact' }` for a plain `u < p`).
 *
 * @example
 * const p = new Pipeline().rotate({ probability: 0.7, maxLeft: 15, maxRight: 15 }).zoom({ probability: 0.7, minFactor: 1, maxFactor: 1.2 });
 * const { images, params } = p.sampleFor(batch, 125, { generator: new HostRandom(1) });
 */
export class Pipeline {
  private readonly ops: OpSpec[] = [];
  readonly gate: GateMode;

  constructor(options: { gate?: GateMode } = {}) {
    this.gate = options.gate ?? 'augmentor';
    if (this.gate !== 'augmentor' && this.gate !== 'exact') throw new Error(`Pipeline: unknown gate '${String(this.gate)}' (expected augmentor, exact)`);
  }

  /**
   * Augmentor `rotate(probability, max_left_rotation, max_right_rotation)`: an integer angle, with equal chance
   * from [-maxLeft, 0] or [0, maxRight]; rotate with expansion, crop Augmentor's box, resize back.
   * @example new Pipeline().rotate({ probability: 0.7, maxLeft: 15, maxRight: 15 });
   */
  rotate(o: { probability: number; maxLeft: number; maxRight: number }): this {
    checkProbability('rotate', o.probability);
    for (const [k, v] of [['maxLeft', o.maxLeft], ['maxRight', o.maxRight]] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 25) throw new Error(`Pipeline.rotate: ${k} must be an integer in [0, 25] (Augmentor's limit), got ${v}`);
    }
    this.ops.push({ op: 'rotate', ...o });
    return this;
  }

  /**
   * Augmentor `zoom(probability, min_factor, max_factor)`: factor = round(uniform(min, max), 2), centre crop back.
   * @example new Pipeline().zoom({ probability: 0.7, minFactor: 1, maxFactor: 1.2 });
   */
  zoom(o: { probability: number; minFactor: number; maxFactor: number }): this {
    checkProbability('zoom', o.probability);
    if (!Number.isFinite(o.minFactor) || !Number.isFinite(o.maxFactor) || o.minFactor < 1 || o.maxFactor < o.minFactor) {
      throw new Error(`Pipeline.zoom: needs 1 <= minFactor <= maxFactor, got ${o.minFactor}, ${o.maxFactor}`);
    }
    this.ops.push({ op: 'zoom', ...o });
    return this;
  }

  /**
   * Augmentor `random_distortion(probability, grid_width, grid_height, magnitude)`: every inner grid vertex moves
   * by integers dx, dy in [-magnitude, magnitude] pixels.
   * @example new Pipeline().randomDistortion({ probability: 0.7, gridWidth: 4, gridHeight: 4, magnitude: 5 });
   */
  randomDistortion(o: { probability: number; gridWidth: number; gridHeight: number; magnitude: number }): this {
    checkProbability('randomDistortion', o.probability);
    for (const [k, v] of [['gridWidth', o.gridWidth], ['gridHeight', o.gridHeight]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Pipeline.randomDistortion: ${k} must be a positive integer, got ${v}`);
    }
    if (!Number.isInteger(o.magnitude) || o.magnitude < 0) throw new Error(`Pipeline.randomDistortion: magnitude must be a non-negative integer, got ${o.magnitude}`);
    this.ops.push({ op: 'randomDistortion', ...o });
    return this;
  }

  /**
   * Augmentor `flip_random(probability)`: left-right or top-bottom with equal chance.
   * @example new Pipeline().flipRandom({ probability: 0.5 });
   */
  flipRandom(o: { probability: number }): this {
    checkProbability('flipRandom', o.probability);
    this.ops.push({ op: 'flipRandom', ...o });
    return this;
  }

  /**
   * Augmentor `skew(probability, magnitude)` (type `RANDOM`) and its `skew_tilt`/`skew_left_right`/
   * `skew_top_bottom`/`skew_corner` variants: amount = randint(1, ceil(max(W, H)·magnitude)) pixels, then a kind and
   * direction; the moved corner plane is warped back onto the image (perspective).
   * @example new Pipeline().skew({ probability: 0.5, magnitude: 0.2, type: 'CORNER' });
   */
  skew(o: { probability: number; magnitude: number; type?: SkewType }): this {
    checkProbability('skew', o.probability);
    if (!Number.isFinite(o.magnitude) || o.magnitude <= 0 || o.magnitude > 1) throw new Error(`Pipeline.skew: magnitude must be in (0, 1], got ${o.magnitude}`);
    const type = o.type ?? 'RANDOM';
    if (!['RANDOM', 'TILT', 'TILT_LEFT_RIGHT', 'TILT_TOP_BOTTOM', 'CORNER'].includes(type)) throw new Error(`Pipeline.skew: unknown type '${String(type)}'`);
    this.ops.push({ op: 'skew', probability: o.probability, magnitude: o.magnitude, type });
    return this;
  }

  /** Number of operations. @example new Pipeline().flipRandom({ probability: 1 }).length; // 1 */
  get length(): number {
    return this.ops.length;
  }

  /**
   * Draws the parameters of one output image (gate, then the operation's own draws, in Augmentor's order).
   * `size` [H, W] is needed only by skew, whose amount depends on the image size.
   * @example const drawn = pipeline.draw(0, new HostRandom(3), [64, 64]);
   */
  draw(source: number, rng: HostRandom, size?: readonly [number, number]): DrawnSample {
    const operations = this.ops.map((spec): DrawnOperation => {
      const u = rng.uniform(0, 1);
      const applied = this.gate === 'augmentor' ? round1(u) <= spec.probability : u < spec.probability;
      if (!applied) return { op: spec.op, applied: false };
      switch (spec.op) {
        case 'rotate': {
          const left = rng.randint(-spec.maxLeft, 0);
          const right = rng.randint(0, spec.maxRight);
          return { op: 'rotate', applied, degrees: rng.randint(0, 1) === 0 ? left : right };
        }
        case 'zoom':
          return { op: 'zoom', applied, factor: round2(rng.uniform(spec.minFactor, spec.maxFactor)) };
        case 'randomDistortion': {
          const n = (spec.gridWidth - 1) * (spec.gridHeight - 1);
          const shifts: [number, number][] = [];
          for (let i = 0; i < n; i++) shifts.push([rng.randint(-spec.magnitude, spec.magnitude), rng.randint(-spec.magnitude, spec.magnitude)]);
          return { op: 'randomDistortion', applied, gridWidth: spec.gridWidth, gridHeight: spec.gridHeight, shifts };
        }
        case 'flipRandom':
          return { op: 'flipRandom', applied, axis: rng.randint(0, 1) as 0 | 1 };
        case 'skew': {
          if (!size) throw new Error('Pipeline.draw: skew needs the image size [H, W]');
          const amount = rng.randint(1, Math.max(1, Math.ceil(Math.max(size[0], size[1]) * spec.magnitude)));
          const type = spec.type === 'RANDOM' ? (['TILT', 'TILT_LEFT_RIGHT', 'TILT_TOP_BOTTOM', 'CORNER'] as const)[rng.choiceIndex(4)]! : spec.type;
          if (type === 'CORNER') return { op: 'skew', applied, kind: 'CORNER', direction: rng.randint(0, 7), amount };
          const direction = type === 'TILT' ? rng.randint(0, 3) : type === 'TILT_LEFT_RIGHT' ? rng.randint(0, 1) : rng.randint(2, 3);
          return { op: 'skew', applied, kind: 'TILT', direction, amount };
        }
      }
    });
    return { source, operations };
  }

  /**
   * Applies drawn parameters to one (1, C, H, W) image on its device; returns a new tensor (the input is kept).
   * @example const out = pipeline.apply(img, pipeline.draw(0, rng));
   */
  apply(img: Tensor, drawn: DrawnSample): Tensor {
    let cur = img;
    for (const d of drawn.operations) {
      if (!d.applied) continue;
      let next: Tensor;
      if (d.op === 'rotate') next = rotateImage(cur, d.degrees!);
      else if (d.op === 'zoom') next = zoomImage(cur, d.factor!);
      else if (d.op === 'randomDistortion') next = distortImage(cur, d.gridWidth!, d.gridHeight!, d.shifts!);
      else if (d.op === 'skew') next = skewImage(cur, d.kind!, d.direction!, d.amount!);
      else next = flipImage(cur, d.axis!);
      if (cur !== img) cur.dispose();
      cur = next;
    }
    return cur === img ? img.clone() : cur;
  }

  /**
   * Augmentor's `sample(n)`: n outputs whose sources are drawn with replacement (`random.choice`).
   * @example const { images, params } = pipeline.sample(batch, 10, { generator: new HostRandom(1) });
   */
  sample(images: Tensor, n: number, options: SampleOptions = {}): SampleResult {
    checkImages('sample', images);
    if (!Number.isInteger(n) || n < 1) throw new Error(`Pipeline.sample: n must be a positive integer, got ${n}`);
    const rng = options.generator ?? new HostRandom(0);
    const sources = Array.from({ length: n }, () => rng.choiceIndex(images.shape[0]!));
    return this.run(images, sources, rng);
  }

  /**
   * Per-image exact-count mode ("125 variants per image"): every source gets exactly `variantsPerImage` outputs,
   * source-major (outputs of image 0 first).
   * @example const { images, params } = pipeline.sampleFor(batch, 125, { generator: new HostRandom(1) });
   */
  sampleFor(images: Tensor, variantsPerImage: number, options: SampleOptions = {}): SampleResult {
    checkImages('sampleFor', images);
    if (!Number.isInteger(variantsPerImage) || variantsPerImage < 1) throw new Error(`Pipeline.sampleFor: variantsPerImage must be a positive integer, got ${variantsPerImage}`);
    const rng = options.generator ?? new HostRandom(0);
    const sources: number[] = [];
    for (let s = 0; s < images.shape[0]!; s++) for (let k = 0; k < variantsPerImage; k++) sources.push(s);
    return this.run(images, sources, rng);
  }

  private run(images: Tensor, sources: number[], rng: HostRandom): SampleResult {
    const params: DrawnSample[] = [];
    const outs: Tensor[] = [];
    const singles = new Map<number, Tensor>();
    for (const s of sources) {
      let one = singles.get(s);
      if (!one) {
        one = slice(images, 0, s, s + 1);
        singles.set(s, one);
      }
      const drawn = this.draw(s, rng, [images.shape[2]!, images.shape[3]!]);
      params.push(drawn);
      outs.push(this.apply(one, drawn));
    }
    const result = cat(outs, 0);
    for (const t of outs) t.dispose();
    for (const t of singles.values()) t.dispose();
    return { images: result, params };
  }
}
