#!/usr/bin/python3
"""Resize-convention fixtures for @radix/metrics' FID Inception input pipeline.

Writes packages/metrics/fixtures/inception/resize.json with, for small inputs (full values) and for a
512x512 -> 299x299 resize of ihc.png (summaries + sampled values):

- 'pytorch-bilinear': torch.nn.functional.interpolate(mode='bilinear', align_corners=False) (pytorch-fid).
- 'tf1-bilinear': TensorFlow 1.x legacy bilinear resize (align_corners=False, no half-pixel centres) as
  torch-fidelity reproduces it: src = dst * (in / out), top = floor(src), bottom = min(top + 1, in - 1),
  lerp by src - top. torch-fidelity is NOT installed here, so this formula is implemented below with torch
  ops in float32, as torch-fidelity's interpolate_compat_tensorflow module documents it.
- 'pil-bicubic': clean-fid's resizer ("clean" mode): each channel of the uint8 image as a PIL mode 'F'
  image, Image.resize(..., Image.BICUBIC) (PIL's antialiased bicubic, a = -0.5), clipped to [0, 255].
  Computed with the installed python3-pil (real PIL). Values are reported on the [0, 1] scale (/ 255).

Inputs are uint8 values / 255 (NCHW float32). Run: /usr/bin/python3 tools/reference/gen_metrics_inception.py
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, 'packages', 'metrics', 'fixtures', 'inception', 'resize.json')
IHC = os.path.join(ROOT, 'packages', 'metrics', 'fixtures', 'inception', 'ihc.png')


def torch_bilinear(x, oh, ow):
    return F.interpolate(torch.from_numpy(x), size=(oh, ow), mode='bilinear', align_corners=False).numpy()


def tf1_bilinear(x, oh, ow):
    t = torch.from_numpy(x)
    n, c, h, w = t.shape

    def axis(i, o):
        src = torch.arange(o, dtype=torch.float32) * (float(i) / float(o))
        lo = src.floor().long().clamp(max=i - 1)
        hi = (lo + 1).clamp(max=i - 1)
        return lo, hi, src - lo.float()

    ylo, yhi, fy = axis(h, oh)
    xlo, xhi, fx = axis(w, ow)
    top = t[:, :, ylo, :]
    bot = t[:, :, yhi, :]
    rows = top + (bot - top) * fy.view(1, 1, oh, 1)
    left = rows[:, :, :, xlo]
    right = rows[:, :, :, xhi]
    return (left + (right - left) * fx.view(1, 1, 1, ow)).numpy()


def pil_bicubic(x, oh, ow):
    u8 = np.clip(np.round(x * 255), 0, 255).astype(np.uint8)
    n, c, h, w = u8.shape
    out = np.zeros((n, c, oh, ow), dtype=np.float32)
    for i in range(n):
        for ch in range(c):
            img = Image.fromarray(u8[i, ch].astype(np.float32), mode='F')
            r = np.asarray(img.resize((ow, oh), resample=Image.BICUBIC)).clip(0, 255)
            out[i, ch] = r
    return out / np.float32(255)


METHODS = {'pytorch-bilinear': torch_bilinear, 'tf1-bilinear': tf1_bilinear, 'pil-bicubic': pil_bicubic}


def main():
    rng = np.random.RandomState(4)
    small = (rng.randint(0, 256, size=(2, 3, 13, 11)).astype(np.float32) / 255).astype(np.float32)
    cases = []
    for oh, ow in [(29, 23), (5, 4), (13, 7), (17, 17), (6, 6)]:
        case = {'input_shape': list(small.shape), 'input_u8': (small * 255).round().astype(int).ravel().tolist(),
                'out_size': [oh, ow], 'outputs': {}}
        for name, fn in METHODS.items():
            case['outputs'][name] = fn(small, oh, ow).astype(np.float64).ravel().tolist()
        cases.append(case)
    ihc = np.asarray(Image.open(IHC).convert('RGB')).transpose(2, 0, 1)[None].astype(np.float32) / 255
    idx = np.random.RandomState(5).randint(0, 3 * 299 * 299, size=64)
    big = {'source': 'ihc.png (all, 512x512 RGB)', 'out_size': [299, 299], 'sample_index': idx.tolist(), 'outputs': {}}
    for name, fn in METHODS.items():
        y = fn(ihc, 299, 299).astype(np.float64).ravel()
        big['outputs'][name] = {'mean': float(y.mean()), 'std': float(y.std()), 'samples': y[idx].tolist()}
    with open(OUT + '.tmp', 'w') as f:
        json.dump({'generator': 'tools/reference/gen_metrics_inception.py', 'torch': torch.__version__,
                   'pil': Image.__version__, 'small': cases, 'ihc_512_to_299': big}, f)
    os.replace(OUT + '.tmp', OUT)
    print('wrote', OUT)


if __name__ == '__main__':
    main()
