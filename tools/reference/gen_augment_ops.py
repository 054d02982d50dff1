"""Fixtures for @radix/augment ops: PyTorch affine_grid/grid_sample, interpolate and torchvision colour/blur ops.

Run with Debian's /usr/bin/python3 (torch 1.13, torchvision 0.14): writes packages/augment/fixtures/augment-ops.json.
Every expected value comes straight from torch.nn.functional or torchvision.transforms.functional (no re-implementation).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms.functional as TF

sys.path.insert(0, os.path.dirname(__file__))
from common import enc  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'augment', 'fixtures', 'augment-ops.json')


def img(seed, n=2, c=3, h=7, w=9):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, c, h, w, generator=g)


def main():
    cases = []

    def add(name, op, args, inputs, expected):
        cases.append({'name': name, 'op': op, 'args': args, 'inputs': [enc(t) for t in inputs], 'expected': enc(expected)})

    # Geometry: explicit normalised matrices through affine_grid + grid_sample (align_corners=False).
    x = img(1)
    a = math.radians(20)
    theta = torch.tensor([[[math.cos(a), -math.sin(a), 0.1], [math.sin(a), math.cos(a), -0.2]],
                          [[1.2, 0.3, 0.0], [-0.1, 0.9, 0.15]]], dtype=torch.float32)
    for mode in ['zeros', 'border', 'reflection']:
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        add(f'affine_{mode}', 'affine', {'fill': mode, 'theta': theta.flatten().tolist()}, [x],
            F.grid_sample(x, grid, mode='bilinear', padding_mode=mode, align_corners=False))
    grid = F.affine_grid(theta, [2, 1, 7, 9], align_corners=False)
    m = (img(2, c=1) * 4).floor()
    add('affine_mask_nearest', 'affineMask', {'theta': theta.flatten().tolist()}, [m],
        F.grid_sample(m, grid, mode='nearest', padding_mode='zeros', align_corners=False))

    # Resize through F.interpolate.
    for mode in ['bilinear', 'bicubic']:
        for aa in [False, True]:
            for size in [[4, 5], [11, 13]]:
                add(f'resize_{mode}_aa{int(aa)}_{size[0]}x{size[1]}', 'resize', {'size': size, 'mode': mode, 'antialias': aa},
                    [x], F.interpolate(x, size=size, mode=mode, align_corners=False, antialias=aa))

    # Colour: torchvision.transforms.functional on float tensors in [0, 1].
    for f in [0.0, 0.5, 1.7]:
        add(f'brightness_{f}', 'adjustBrightness', {'factor': f}, [x], TF.adjust_brightness(x, f))
        add(f'contrast_{f}', 'adjustContrast', {'factor': f}, [x], TF.adjust_contrast(x, f))
        add(f'saturation_{f}', 'adjustSaturation', {'factor': f}, [x], TF.adjust_saturation(x, f))
    for hf in [-0.4, -0.1, 0.0, 0.25, 0.5]:
        add(f'hue_{hf}', 'adjustHue', {'factor': hf}, [x], TF.adjust_hue(x, hf))
    for gm, gain in [(0.5, 1.0), (2.2, 0.8), (1.0, 1.0)]:
        add(f'gamma_{gm}_{gain}', 'adjustGamma', {'gamma': gm, 'gain': gain}, [x], TF.adjust_gamma(x, gm, gain))
    for ks, sg in [([3, 3], [1.0, 1.0]), ([5, 3], [1.5, 0.7]), ([7, 7], [2.0, 2.0])]:
        add(f'blur_{ks[0]}x{ks[1]}', 'gaussianBlur', {'kernelSize': ks, 'sigma': sg}, [x], TF.gaussian_blur(x, ks, sg))

    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    body = {'generator': 'tools/reference/gen_augment_ops.py', 'torch': torch.__version__,
            'torchvision': torchvision.__version__, 'cases': cases}
    with open(OUT + '.tmp', 'w') as fh:
        json.dump(body, fh, separators=(',', ':'))
    os.replace(OUT + '.tmp', OUT)
    print(f'wrote {OUT}: {len(cases)} cases', file=sys.stderr)


if __name__ == '__main__':
    main()
