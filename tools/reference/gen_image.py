"""Fixture generator for the image ops: pooling (pool.json), interpolate (resize.json), gridSample/affineGrid (grid-sample.json).

Run: /usr/bin/python3 tools/reference/gen_image.py   (Debian's torch 1.13, CPU)
Shapes are small and deliberately odd so every kernel's edge handling is exercised.
"""
import math

import torch
import torch.nn.functional as F

from common import case, randn, write

GEN = 'tools/reference/gen_image.py'


def pool_cases():
    cs = []
    x = randn(2, 3, 7, 9, seed=1)
    avg = [
        dict(kernelSize=3, stride=2, padding=1, ceilMode=False, countIncludePad=True),
        dict(kernelSize=3, stride=2, padding=1, ceilMode=True, countIncludePad=True),
        dict(kernelSize=3, stride=2, padding=1, ceilMode=True, countIncludePad=False),
        dict(kernelSize=[2, 3], stride=[1, 2], padding=[1, 0], ceilMode=False, countIncludePad=False),
        dict(kernelSize=[2, 3], stride=[3, 2], padding=[1, 1], ceilMode=True, countIncludePad=True),
        dict(kernelSize=2, stride=2, padding=1, ceilMode=True, countIncludePad=True),  # last window dropped by the ceil rule
        dict(kernelSize=4, stride=3, padding=2, ceilMode=True, countIncludePad=False, divisorOverride=5),
        dict(kernelSize=3, stride=None, padding=0),
        dict(kernelSize=[5, 1], stride=[2, 1], padding=[2, 0], ceilMode=True, countIncludePad=False),
    ]
    for i, a in enumerate(avg):
        y = F.avg_pool2d(x, a['kernelSize'], stride=a.get('stride'), padding=a.get('padding', 0),
                         ceil_mode=a.get('ceilMode', False), count_include_pad=a.get('countIncludePad', True),
                         divisor_override=a.get('divisorOverride'))
        cs.append(case(f'avg_{i}', 'avgPool2d', a, [x], y))
    # Unbatched CHW.
    xu = randn(2, 6, 5, seed=2)
    cs.append(case('avg_chw', 'avgPool2d', dict(kernelSize=2, stride=1, padding=1, countIncludePad=False), [xu],
                   F.avg_pool2d(xu, 2, 1, 1, count_include_pad=False)))

    mx = [
        dict(kernelSize=3, stride=2, padding=1, dilation=1, ceilMode=False),
        dict(kernelSize=3, stride=2, padding=1, dilation=2, ceilMode=True),
        dict(kernelSize=[3, 2], stride=[2, 1], padding=[1, 1], dilation=[1, 2], ceilMode=False),
        dict(kernelSize=2, stride=2, padding=1, dilation=1, ceilMode=True),
        dict(kernelSize=[4, 3], stride=[3, 3], padding=[2, 1], dilation=[2, 1], ceilMode=True),
        dict(kernelSize=3, stride=None, padding=0, dilation=1, ceilMode=False),
    ]
    for i, a in enumerate(mx):
        y = F.max_pool2d(x, a['kernelSize'], stride=a.get('stride'), padding=a['padding'], dilation=a['dilation'],
                         ceil_mode=a['ceilMode'])
        cs.append(case(f'max_{i}', 'maxPool2d', a, [x], y))
    # All-negative input: the padding must act as -inf, not 0.
    xn = -randn(1, 2, 6, 5, seed=3).abs() - 1
    cs.append(case('max_negative_padded', 'maxPool2d', dict(kernelSize=3, stride=2, padding=1, dilation=1, ceilMode=True),
                   [xn], F.max_pool2d(xn, 3, 2, 1, ceil_mode=True)))
    # NaN propagates through max pooling.
    xnan = randn(1, 1, 5, 5, seed=4)
    xnan[0, 0, 1, 2] = float('nan')
    xnan[0, 0, 4, 0] = float('inf')
    cs.append(case('max_nan', 'maxPool2d', dict(kernelSize=2, stride=2, padding=0, dilation=1, ceilMode=True),
                   [xnan], F.max_pool2d(xnan, 2, 2, ceil_mode=True)))
    cs.append(case('max_chw', 'maxPool2d', dict(kernelSize=[2, 3], stride=[2, 2], padding=[1, 1], dilation=1, ceilMode=False),
                   [xu], F.max_pool2d(xu, (2, 3), (2, 2), (1, 1))))

    for i, osz in enumerate([(3, 4), (5, None), (1, 1), (10, 11), (None, 2), 4, (7, 9)]):
        y = F.adaptive_avg_pool2d(x, osz)
        cs.append(case(f'adaptive_{i}', 'adaptiveAvgPool2d', dict(outputSize=osz), [x], y))
    cs.append(case('adaptive_chw', 'adaptiveAvgPool2d', dict(outputSize=[4, 3]), [xu], F.adaptive_avg_pool2d(xu, (4, 3))))
    return cs


def resize_cases():
    cs = []
    x = randn(2, 2, 5, 7, seed=10)
    big = randn(1, 1, 13, 17, seed=11)

    def add(name, inp, **kw):
        torch_kw = dict(size=kw.get('size'), scale_factor=kw.get('scaleFactor'), mode=kw.get('mode', 'nearest'),
                        align_corners=kw.get('alignCorners'), recompute_scale_factor=kw.get('recomputeScaleFactor'),
                        antialias=kw.get('antialias', False))
        y = F.interpolate(inp, **torch_kw)
        cs.append(case(name, 'interpolate', kw, [inp], y))

    for mode in ['nearest', 'nearest-exact']:
        add(f'{mode}_size_up', x, mode=mode, size=[8, 11])
        add(f'{mode}_size_down', x, mode=mode, size=[3, 4])
        add(f'{mode}_scale_up', x, mode=mode, scaleFactor=[1.7, 2.3])
        add(f'{mode}_scale_down', big, mode=mode, scaleFactor=[0.45, 0.6])
        add(f'{mode}_scale_recompute', x, mode=mode, scaleFactor=1.7, recomputeScaleFactor=True)
        # x has C = 2 on purpose: for C = 1 torch 1.13 picks its channels-last nearest kernel, which short-cuts
        # same-size and exactly-2x outputs; Radix (always NCHW) follows the NCHW kernel's plain floor(o * scale).
        add(f'{mode}_scale_same_size', x, mode=mode, scaleFactor=[1.1, 1.05])  # output size == input size
        add(f'{mode}_scale_double', x, mode=mode, scaleFactor=[2.1, 2.05])  # output size == 2 * input size
        add(f'{mode}_scale_1_5', x, mode=mode, scaleFactor=1.5)
        add(f'{mode}_1d', randn(2, 2, 7, seed=12), mode=mode, size=12)
    for mode in ['bilinear', 'bicubic']:
        for align in [False, True]:
            a = 'ac' if align else 'hc'
            add(f'{mode}_{a}_size_up', x, mode=mode, alignCorners=align, size=[9, 12])
            add(f'{mode}_{a}_size_down', big, mode=mode, alignCorners=align, size=[6, 5])
            add(f'{mode}_{a}_scale_up', x, mode=mode, alignCorners=align, scaleFactor=[1.6, 2.5])
            add(f'{mode}_{a}_scale_down', big, mode=mode, alignCorners=align, scaleFactor=0.55)
            add(f'{mode}_{a}_scale_recompute', x, mode=mode, alignCorners=align, scaleFactor=[1.6, 2.5], recomputeScaleFactor=True)
            add(f'{mode}_{a}_same_size', x, mode=mode, alignCorners=align, scaleFactor=[1.1, 1.05])
            add(f'{mode}_{a}_to_one', x, mode=mode, alignCorners=align, size=[1, 3])
        add(f'{mode}_default_align', x, mode=mode, size=[4, 10])
        # Antialiased downscales by non-integer factors (and an upscale, where antialias is the plain filter).
        add(f'{mode}_aa_size_down', big, mode=mode, antialias=True, size=[5, 7])
        add(f'{mode}_aa_scale_down', big, mode=mode, antialias=True, scaleFactor=[0.3, 0.45])
        add(f'{mode}_aa_scale_down_recompute', big, mode=mode, antialias=True, scaleFactor=0.4, recomputeScaleFactor=True)
        add(f'{mode}_aa_mixed', big, mode=mode, antialias=True, size=[4, 23])
        add(f'{mode}_aa_align', big, mode=mode, antialias=True, alignCorners=True, size=[6, 8])
        add(f'{mode}_aa_same_size', x, mode=mode, antialias=True, scaleFactor=[1.1, 1.05])
        add(f'{mode}_aa_big_factor', big, mode=mode, antialias=True, size=[2, 1])
    add('area_size', big, mode='area', size=[5, 6])
    add('area_scale', big, mode='area', scaleFactor=[0.45, 0.7])
    add('area_up', x, mode='area', size=[8, 9])
    add('area_1d', randn(2, 3, 11, seed=13), mode='area', size=4)
    return cs


def grid_sample_cases():
    cs = []
    x = randn(2, 3, 5, 6, seed=20)
    g = torch.Generator().manual_seed(21)
    grid = torch.rand(2, 4, 7, 2, generator=g) * 3.2 - 1.6
    # Points well outside [-1, 1] exercise the padding rules (reflection folds several times).
    grid[0, 0, :, 0] = torch.tensor([-7.3, -3.1, -2.0, 2.0, 3.3, 5.9, 11.2])
    grid[1, 3, :, 1] = torch.tensor([-9.9, -4.4, -1.0, 1.0, 4.6, 8.1, 30.25])
    for mode in ['bilinear', 'nearest', 'bicubic']:
        for pad in ['zeros', 'border', 'reflection']:
            for align in [False, True]:
                y = F.grid_sample(x, grid, mode=mode, padding_mode=pad, align_corners=align)
                cs.append(case(f'{mode}_{pad}_{int(align)}', 'gridSample',
                               dict(mode=mode, paddingMode=pad, alignCorners=align), [x, grid], y))
    # Exact half-way points: nearest must round half to even (x = 2g + 1.5 for W = 4 without align corners,
    # x = 2(g + 1) for W = 5 with align corners).
    vals = torch.tensor([-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0])
    tie_grid = torch.stack(torch.meshgrid(vals, vals.flip(0), indexing='xy'), dim=-1).unsqueeze(0)
    for (h, w, align) in [(4, 4, False), (5, 5, True)]:
        xt = randn(1, 2, h, w, seed=22)
        for pad in ['zeros', 'border', 'reflection']:
            y = F.grid_sample(xt, tie_grid, mode='nearest', padding_mode=pad, align_corners=align)
            cs.append(case(f'nearest_ties_{pad}_{int(align)}', 'gridSample',
                           dict(mode='nearest', paddingMode=pad, alignCorners=align), [xt, tie_grid], y))
    # One-pixel-wide input (reflection span is empty with align corners).
    x1 = randn(1, 2, 3, 1, seed=23)
    g1 = torch.rand(1, 2, 3, 2, generator=g) * 4 - 2
    for mode in ['bilinear', 'bicubic']:
        for align in [False, True]:
            y = F.grid_sample(x1, g1, mode=mode, padding_mode='reflection', align_corners=align)
            cs.append(case(f'{mode}_reflection_w1_{int(align)}', 'gridSample',
                           dict(mode=mode, paddingMode='reflection', alignCorners=align), [x1, g1], y))

    # affineGrid: rotation + anisotropic scale + translation.
    def theta_of(angle, sx, sy, tx, ty, shear=0.0):
        c, s = math.cos(angle), math.sin(angle)
        return torch.tensor([[c * sx, -s * sy + shear, tx], [s * sx, c * sy, ty]], dtype=torch.float32)

    theta = torch.stack([theta_of(0.4, 1.2, 0.8, 0.1, -0.25), theta_of(-1.1, 0.7, 1.3, -0.3, 0.2, 0.15)])
    for size in [[2, 3, 5, 7], [2, 1, 4, 1], [2, 2, 1, 6]]:
        for align in [False, True]:
            grid_a = F.affine_grid(theta, size, align_corners=align)
            cs.append(case(f'affine_{"x".join(map(str, size))}_{int(align)}', 'affineGrid',
                           dict(size=size, alignCorners=align), [theta], grid_a))
    # affineGrid followed by gridSample (a spatial transformer).
    grid_a = F.affine_grid(theta, [2, 3, 6, 4], align_corners=False)
    y = F.grid_sample(x, grid_a, mode='bilinear', padding_mode='border', align_corners=False)
    cs.append(case('affine_then_sample', 'affineGridSample', dict(size=[2, 3, 6, 4], alignCorners=False,
                                                                  mode='bilinear', paddingMode='border'), [x, theta], y))
    return cs


if __name__ == '__main__':
    write('pool', pool_cases(), GEN)
    write('resize', resize_cases(), GEN)
    write('grid-sample', grid_sample_cases(), GEN)
