"""Reference fixtures for @radix/augment's rudi family (packages/augment/fixtures/rudi.json).

Augmentor itself is not installed here, so this script performs Augmentor's documented PIL steps directly with
Pillow (python3-pil), following its Operations.py semantics:
  * Rotate: image.rotate(angle, expand=True, resample=BICUBIC); crop box (E, A, X - E, Y - A) with Augmentor's
    "largest area" formula as written in RotateRange (including `E = E / 1 - sin(a)^2 / sin(b)^2`), rounded with
    int(round(.)); resize back to (w, h) with BICUBIC.
  * Zoom: resize to (int(round(w * f)), int(round(h * f))) with BICUBIC, crop the centre box with floor().
  * Skew: the moved corner plane for a (kind, direction, amount) as listed in Augmentor's Skew; coefficients from
    numpy.linalg.pinv of the 8x8 system mapping the moved plane onto the original; image.transform(size,
    PERSPECTIVE, coeffs, resample=BICUBIC).
  * RandomDistortion: tiles of floor(w / gw) x floor(h / gh) (last row/column take the remainder); each inner vertex
    moved by a given (dx, dy); image.transform(size, MESH, [(box, quad), ...], resample=BICUBIC).
Run: /usr/bin/python3 tools/reference/gen_augment_rudi.py
"""
import json
import math
import os

import numpy as np
from PIL import Image

W, H = 24, 20


def source():
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    chans = [0.5 + 0.4 * np.sin(x / 5.0 + c) * np.cos(y / 7.0 + 0.3 * c) for c in range(3)]
    return np.clip(np.round(np.stack(chans, -1) * 255), 0, 255).astype(np.uint8)


def rotate(img, angle):
    w, h = img.size
    r = img.rotate(angle, expand=True, resample=Image.BICUBIC)
    X, Y = r.size
    a = math.radians(abs(angle))
    b = math.radians(90 - abs(angle))
    ratio = math.sin(a) / math.sin(b)
    E = ratio * (Y - X * ratio)
    E = E / 1 - ratio ** 2
    B = X - E
    A = ratio * B
    box = (int(round(E)), int(round(A)), int(round(X - E)), int(round(Y - A)))
    return r.crop(box).resize((w, h), resample=Image.BICUBIC), [X, Y], list(box)


def zoom(img, f):
    w, h = img.size
    z = img.resize((int(round(w * f)), int(round(h * f))), resample=Image.BICUBIC)
    wz, hz = z.size
    return z.crop((math.floor(wz / 2 - w / 2), math.floor(hz / 2 - h / 2), math.floor(wz / 2 + w / 2), math.floor(hz / 2 + h / 2)))


def distort(img, gw, gh, shifts):
    w, h = img.size
    tw, th = w // gw, h // gh
    xe = [i * tw for i in range(gw)] + [w]
    ye = [j * th for j in range(gh)] + [h]

    def vert(i, j):
        if 0 < i < gw and 0 < j < gh:
            dx, dy = shifts[(j - 1) * (gw - 1) + (i - 1)]
            return xe[i] + dx, ye[j] + dy
        return xe[i], ye[j]

    mesh = []
    for j in range(gh):
        for i in range(gw):
            box = (xe[i], ye[j], xe[i + 1], ye[j + 1])
            # PIL QUAD order: upper-left, lower-left, lower-right, upper-right.
            quad = (*vert(i, j), *vert(i, j + 1), *vert(i + 1, j + 1), *vert(i + 1, j))
            mesh.append((box, quad))
    return img.transform(img.size, Image.MESH, mesh, resample=Image.BICUBIC)


def skew_plane(w, h, kind, direction, a):
    tl, tr, br, bl = [0, 0], [w, 0], [w, h], [0, h]
    if kind == 'TILT':
        if direction == 0:
            tl[1] -= a; bl[1] += a
        elif direction == 1:
            tr[1] -= a; br[1] += a
        elif direction == 2:
            tl[0] -= a; tr[0] += a
        else:
            br[0] += a; bl[0] -= a
    else:
        corner, dx, dy = [(0, -a, 0), (0, 0, -a), (1, a, 0), (1, 0, -a), (2, a, 0), (2, 0, a), (3, -a, 0), (3, 0, a)][direction]
        pts = [tl, tr, br, bl]
        pts[corner][0] += dx
        pts[corner][1] += dy
    return [tuple(tl), tuple(tr), tuple(br), tuple(bl)]


def skew(img, kind, direction, amount):
    w, h = img.size
    new = skew_plane(w, h, kind, direction, amount)
    orig = [(0, 0), (w, 0), (w, h), (0, h)]
    rows = []
    for p1, p2 in zip(new, orig):
        rows.append([p1[0], p1[1], 1, 0, 0, 0, -p2[0] * p1[0], -p2[0] * p1[1]])
        rows.append([0, 0, 0, p1[0], p1[1], 1, -p2[1] * p1[0], -p2[1] * p1[1]])
    coeffs = np.dot(np.linalg.pinv(np.array(rows, dtype=float)), np.array(orig, dtype=float).reshape(8)).reshape(8)
    return img.transform(img.size, Image.PERSPECTIVE, tuple(coeffs), resample=Image.BICUBIC), coeffs.tolist()


def main():
    src = source()
    img = Image.fromarray(src, 'RGB')
    cases = []
    for angle in [-15, -7, 1, 9, 15]:
        out, canvas, box = rotate(img, angle)
        cases.append({'op': 'rotate', 'degrees': angle, 'canvas': canvas, 'box': box, 'output': np.asarray(out).reshape(-1).tolist()})
    for f in [1.0, 1.07, 1.2]:
        cases.append({'op': 'zoom', 'factor': f, 'output': np.asarray(zoom(img, f)).reshape(-1).tolist()})
    for kind, direction, amount in [('TILT', 0, 4), ('TILT', 2, 3), ('TILT', 3, 6), ('CORNER', 0, 5), ('CORNER', 5, 6)]:
        out, coeffs = skew(img, kind, direction, amount)
        cases.append({'op': 'skew', 'kind': kind, 'direction': direction, 'amount': amount, 'coefficients': coeffs,
                      'output': np.asarray(out).reshape(-1).tolist()})
    shifts = [[3, -2], [-4, 1], [0, 5], [2, 2], [-5, -3], [1, -1], [4, 0], [-2, 4], [0, -5]]
    cases.append({'op': 'randomDistortion', 'gridWidth': 4, 'gridHeight': 4, 'shifts': shifts,
                  'output': np.asarray(distort(img, 4, 4, shifts)).reshape(-1).tolist()})
    doc = {'generator': 'tools/reference/gen_augment_rudi.py', 'pillow': Image.__version__ if hasattr(Image, '__version__') else 'unknown',
           'width': W, 'height': H, 'layout': 'HWC uint8', 'input': src.reshape(-1).tolist(), 'cases': cases}
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', '..', 'packages', 'augment', 'fixtures', 'rudi.json')
    with open(path, 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))
    print('wrote', os.path.normpath(path))


if __name__ == '__main__':
    main()
