// Augmentor's geometric operations as GPU resampling: each operation becomes a host-built sampling grid fed to
// gridSample, so the drawn parameters stay on the host (for the manifest) and the pixels stay on the device.
import { gridSample, tensor, type Tensor } from '@radix/tensor-webgpu';

/** Maps an output pixel centre (u, v) (0-based pixel units) to a source position (x, y) in the same units. */
export type PixelMap = (u: number, v: number) => [number, number];

/**
 * Resamples one (1, C, H, W) image through `map` with gridSample (alignCorners false; zero fill like PIL's black
 * corners by default, `'border'` where PIL clamps to the edge). Output has the same size as the input.
 *
 * @example
 * const mirrored = resampleImage(img, (u, v) => [W - 1 - u, v], 'nearest');
 */
export function resampleImage(img: Tensor, map: PixelMap, mode: 'bilinear' | 'bicubic' | 'nearest', paddingMode: 'zeros' | 'border' = 'zeros'): Tensor {
  if (img.ndim !== 4 || img.shape[0] !== 1) throw new Error(`resampleImage: expects one image of shape (1, C, H, W), got [${img.shape.join(', ')}]`);
  const h = img.shape[2]!;
  const w = img.shape[3]!;
  const g = new Float32Array(h * w * 2);
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      const [x, y] = map(u, v);
      const k = (v * w + u) * 2;
      g[k] = (2 * x + 1) / w - 1;
      g[k + 1] = (2 * y + 1) / h - 1;
    }
  }
  const grid = tensor(g, { backend: img.backend, shape: [1, h, w, 2] });
  const out = gridSample(img, grid, { mode, paddingMode, alignCorners: false });
  grid.dispose();
  return out;
}

/** Augmentor's crop of a rotated-with-expansion image: the canvas size and the crop box (left, top, right, bottom). */
export interface RotateCrop {
  /** Expanded canvas width and height (PIL `rotate(expand=True)`). */
  canvas: [number, number];
  /** Integer crop box inside the canvas, as Augmentor rounds it. */
  box: [number, number, number, number];
}

/**
 * The expanded canvas and crop box Augmentor's RotateRange uses for an integer angle in degrees: PIL expands the
 * canvas to the rotated corners' bounding box (ceil/floor), then Augmentor crops with its "largest area" formula
 * (reproduced as written, including its operator precedence) and resizes back.
 *
 * @example
 * rotateCrop(64, 64, 0); // { canvas: [64, 64], box: [0, 0, 64, 64] }
 */
export function rotateCrop(w: number, h: number, degrees: number): RotateCrop {
  const rad = (degrees * Math.PI) / 180;
  const c = Math.cos(rad);
  const s = Math.sin(rad);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [px, py] of [[0, 0], [w, 0], [w, h], [0, h]] as const) {
    const dx = px - w / 2;
    const dy = py - h / 2;
    xs.push(c * dx + s * dy);
    ys.push(-s * dx + c * dy);
  }
  const snap = (v: number) => Math.round(v * 1e9) / 1e9;
  const X = Math.ceil(snap(Math.max(...xs))) - Math.floor(snap(Math.min(...xs)));
  const Y = Math.ceil(snap(Math.max(...ys))) - Math.floor(snap(Math.min(...ys)));
  const a = (Math.abs(degrees) * Math.PI) / 180;
  const b = ((90 - Math.abs(degrees)) * Math.PI) / 180;
  const ratio = Math.sin(a) / Math.sin(b);
  let E = ratio * (Y - X * ratio);
  E = E / 1 - ratio * ratio;
  const B = X - E;
  const A = ratio * B;
  const pyRound = (v: number) => Math.round(v);
  return { canvas: [X, Y], box: [pyRound(E), pyRound(A), pyRound(X - E), pyRound(Y - A)] };
}

/**
 * Augmentor's Rotate for one image: rotate counter-clockwise by `degrees` about the centre with canvas expansion,
 * crop Augmentor's box and resize back to (W, H) — done as one bicubic resampling of the source.
 *
 * @example
 * const r = rotateImage(img, 12);
 */
export function rotateImage(img: Tensor, degrees: number): Tensor {
  const h = img.shape[2]!;
  const w = img.shape[3]!;
  if (degrees === 0) return resampleImage(img, (u, v) => [u, v], 'nearest');
  const { canvas, box } = rotateCrop(w, h, degrees);
  const [X, Y] = canvas;
  const [l, t, r, btm] = box;
  const sx = (r - l) / w;
  const sy = (btm - t) / h;
  const rad = (degrees * Math.PI) / 180;
  const c = Math.cos(rad);
  const s = Math.sin(rad);
  return resampleImage(img, (u, v) => {
    // output pixel → crop → expanded canvas (continuous coordinates) → source via the inverse rotation.
    const cx = l + (u + 0.5) * sx - X / 2;
    const cy = t + (v + 0.5) * sy - Y / 2;
    const x = c * cx - s * cy + w / 2 - 0.5;
    const y = s * cx + c * cy + h / 2 - 0.5;
    return [x, y];
  }, 'bicubic');
}

/**
 * Augmentor's Zoom for one image: resize by `factor` (rounded sizes) and crop the centre back to (W, H).
 *
 * @example
 * const z = zoomImage(img, 1.1);
 */
export function zoomImage(img: Tensor, factor: number): Tensor {
  const h = img.shape[2]!;
  const w = img.shape[3]!;
  const wz = Math.round(w * factor);
  const hz = Math.round(h * factor);
  const ox = Math.floor(wz / 2 - w / 2);
  const oy = Math.floor(hz / 2 - h / 2);
  if (wz === w && hz === h && ox === 0 && oy === 0) return resampleImage(img, (u, v) => [u, v], 'nearest');
  return resampleImage(img, (u, v) => [(u + ox + 0.5) * (w / wz) - 0.5, (v + oy + 0.5) * (h / hz) - 0.5], 'bicubic');
}

/**
 * Flip for one image: `0` left-right, `1` top-bottom (Augmentor's `random_axis`).
 *
 * @example
 * const f = flipImage(img, 0);
 */
export function flipImage(img: Tensor, axis: 0 | 1): Tensor {
  const h = img.shape[2]!;
  const w = img.shape[3]!;
  return resampleImage(img, (u, v) => (axis === 0 ? [w - 1 - u, v] : [u, h - 1 - v]), 'nearest');
}

/**
 * Augmentor's RandomDistortion for one image given the drawn shifts: the image is cut into gridWidth × gridHeight
 * tiles (the last row/column takes the remainder), every inner vertex moves by its (dx, dy) and each output tile
 * samples the source quad bilinearly (PIL's MESH/QUAD transform), bicubic pixels.
 *
 * @example
 * const d = distortImage(img, 4, 4, shifts); // shifts: 9 [dx, dy] pairs for the 3 × 3 inner vertices
 */
export function distortImage(img: Tensor, gridWidth: number, gridHeight: number, shifts: readonly (readonly [number, number])[]): Tensor {
  const h = img.shape[2]!;
  const w = img.shape[3]!;
  const tw = Math.floor(w / gridWidth);
  const th = Math.floor(h / gridHeight);
  if (tw < 1 || th < 1) throw new Error(`distortImage: a ${w}×${h} image is smaller than its ${gridWidth}×${gridHeight} distortion grid (every tile needs at least one pixel)`);
  const inner = (gridWidth - 1) * (gridHeight - 1);
  if (shifts.length !== inner) throw new Error(`distortImage: expected ${inner} vertex shifts for a ${gridWidth}×${gridHeight} grid, got ${shifts.length}`);
  const xEdge = (i: number) => (i >= gridWidth ? w : i * tw);
  const yEdge = (j: number) => (j >= gridHeight ? h : j * th);
  const shiftAt = (i: number, j: number): readonly [number, number] =>
    i <= 0 || j <= 0 || i >= gridWidth || j >= gridHeight ? [0, 0] : shifts[(j - 1) * (gridWidth - 1) + (i - 1)]!;
  return resampleImage(img, (u, v) => {
    const i = Math.min(gridWidth - 1, Math.floor(u / tw));
    const j = Math.min(gridHeight - 1, Math.floor(v / th));
    const x0 = xEdge(i);
    const x1 = xEdge(i + 1);
    const y0 = yEdge(j);
    const y1 = yEdge(j + 1);
    const fx = (u + 0.5 - x0) / (x1 - x0);
    const fy = (v + 0.5 - y0) / (y1 - y0);
    const s00 = shiftAt(i, j);
    const s10 = shiftAt(i + 1, j);
    const s01 = shiftAt(i, j + 1);
    const s11 = shiftAt(i + 1, j + 1);
    const bl = (k: 0 | 1) => (1 - fx) * (1 - fy) * s00[k] + fx * (1 - fy) * s10[k] + (1 - fx) * fy * s01[k] + fx * fy * s11[k];
    return [u + bl(0), v + bl(1)];
  }, 'bicubic', 'border');
}

/** Augmentor's skew kinds: `RANDOM` picks one of the other four per draw. */
export type SkewType = 'RANDOM' | 'TILT' | 'TILT_LEFT_RIGHT' | 'TILT_TOP_BOTTOM' | 'CORNER';

/**
 * The moved corner plane of Augmentor's Skew, as (x, y) points in the order top-left, top-right, bottom-right,
 * bottom-left, for a resolved kind (`TILT` / `CORNER`), direction (0–3 for TILT, 0–7 for CORNER) and amount.
 *
 * @example
 * skewPlane(32, 32, 'TILT', 0, 5); // top-left raised by 5, bottom-left lowered by 5
 */
export function skewPlane(w: number, h: number, kind: 'TILT' | 'CORNER', direction: number, amount: number): [number, number][] {
  const a = amount;
  const plane: [number, number][] = [[0, 0], [w, 0], [w, h], [0, h]];
  const move = (corner: number, dx: number, dy: number) => {
    plane[corner] = [plane[corner]![0] + dx, plane[corner]![1] + dy];
  };
  if (kind === 'TILT') {
    if (direction === 0) { move(0, 0, -a); move(3, 0, a); }
    else if (direction === 1) { move(1, 0, -a); move(2, 0, a); }
    else if (direction === 2) { move(0, -a, 0); move(1, a, 0); }
    else if (direction === 3) { move(2, a, 0); move(3, -a, 0); }
    else throw new Error(`skewPlane: TILT direction must be 0..3, got ${direction}`);
  } else {
    const moves: [number, number, number][] = [[0, -a, 0], [0, 0, -a], [1, a, 0], [1, 0, -a], [2, a, 0], [2, 0, a], [3, -a, 0], [3, 0, a]];
    const m = moves[direction];
    if (!m) throw new Error(`skewPlane: CORNER direction must be 0..7, got ${direction}`);
    move(m[0], m[1], m[2]);
  }
  return plane;
}

/**
 * The 8 PIL PERSPECTIVE coefficients mapping output positions on `from` to input positions on `to`
 * (x_in = (a·x + b·y + c) / (g·x + h·y + 1), y_in likewise with d, e, f), solved exactly from the 4 point pairs.
 *
 * @example
 * const k = perspectiveCoefficients(skewPlane(32, 32, 'CORNER', 2, 4), [[0, 0], [32, 0], [32, 32], [0, 32]]);
 */
export function perspectiveCoefficients(from: readonly (readonly [number, number])[], to: readonly (readonly [number, number])[]): number[] {
  const m: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [X, Y] = to[i]!;
    m.push([x, y, 1, 0, 0, 0, -X * x, -X * y, X]);
    m.push([0, 0, 0, x, y, 1, -Y * x, -Y * y, Y]);
  }
  for (let col = 0; col < 8; col++) {
    let piv = col;
    for (let r = col + 1; r < 8; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[piv]![col]!)) piv = r;
    if (Math.abs(m[piv]![col]!) < 1e-12) throw new Error('perspectiveCoefficients: degenerate corner planes');
    [m[col], m[piv]] = [m[piv]!, m[col]!];
    for (let r = 0; r < 8; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k < 9; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[8]! / row[i]!);
}

/**
 * Augmentor's Skew for one image given the resolved plane: a perspective warp (PIL PERSPECTIVE, bicubic, black
 * outside) taking the moved plane back onto the image rectangle.
 *
 * @example
 * const s = skewImage(img, 'CORNER', 5, 6);
 */
export function skewImage(img: Tensor, kind: 'TILT' | 'CORNER', direction: number, amount: number): Tensor {
  const h = img.shape[2]!;
  const w = img.shape[3]!;
  const [a, b, c, d, e, f, g, hh] = perspectiveCoefficients(skewPlane(w, h, kind, direction, amount), [[0, 0], [w, 0], [w, h], [0, h]]) as [number, number, number, number, number, number, number, number];
  return resampleImage(img, (u, v) => {
    const x = u + 0.5;
    const y = v + 0.5;
    const den = g * x + hh * y + 1;
    return [(a * x + b * y + c) / den - 0.5, (d * x + e * y + f) / den - 0.5];
  }, 'bicubic');
}
