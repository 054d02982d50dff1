"""Fixtures for gradients: PyTorch's input gradients for a fixed upstream gradient, plus an R1 double backward.

Run: /usr/bin/python3 tools/reference/gen_grad.py  → packages/tensor-webgpu/fixtures/grad.json
Each case: inputs (all requiring grad unless listed in args.nograd), upstream gradient `g` (last input), expected
gradients in input order. The R1 case: the gradient penalty of a small conv discriminator differentiated w.r.t. weights.
"""
import torch
import torch.nn.functional as F

from common import case, randn, write

cases = []


def grads(name, op, args, inputs, fn, nograd=()):
    xs = [t.clone().requires_grad_(i not in nograd) for i, t in enumerate(inputs)]
    y = fn(*xs)
    g = randn(*y.shape, seed=len(cases) + 100)
    gs = torch.autograd.grad(y, [x for i, x in enumerate(xs) if i not in nograd], g)
    cases.append(case(name, op, dict(args, nograd=list(nograd)), [*inputs, g], list(gs)))


x4 = randn(2, 3, 6, 7, seed=1)
grid = torch.rand(2, 4, 5, 2, generator=torch.Generator().manual_seed(2)) * 2.4 - 1.2
for mode in ['bilinear', 'nearest', 'bicubic']:
    for pm in ['zeros', 'border', 'reflection']:
        for ac in [False, True]:
            nog = (1,) if mode == 'nearest' else ()
            grads(f'gridSample {mode} {pm} ac={ac}', 'gridSample', {'mode': mode, 'paddingMode': pm, 'alignCorners': ac},
                  [x4, grid], lambda a, b, m=mode, p=pm, c=ac: F.grid_sample(a, b, mode=m, padding_mode=p, align_corners=c), nog)

w, b = randn(3, seed=3) + 1, randn(3, seed=4)
grads('batchNorm train', 'batchNorm', {'training': True}, [x4, w, b], lambda a, c, d: F.batch_norm(a, None, None, c, d, training=True))
grads('batchNorm eval', 'batchNormEval', {}, [x4, randn(3, seed=5), randn(3, seed=6).abs() + 0.5, w, b],
      lambda a, rm, rv, c, d: F.batch_norm(a, rm, rv, c, d, training=False), nograd=(1, 2))
x6 = randn(2, 6, 4, 5, seed=7)
grads('groupNorm', 'groupNorm', {'groups': 3}, [x6, randn(6, seed=8), randn(6, seed=9)], lambda a, c, d: F.group_norm(a, 3, c, d))
grads('layerNorm', 'layerNorm', {'shape': [4, 5]}, [x6, randn(4, 5, seed=10), randn(4, 5, seed=11)], lambda a, c, d: F.layer_norm(a, [4, 5], c, d))
grads('instanceNorm', 'instanceNorm', {}, [x4, w, b], lambda a, c, d: F.instance_norm(a, weight=c, bias=d))
grads('maxPool2d', 'maxPool2d', {'k': 3, 'stride': 2, 'padding': 1, 'dilation': 1, 'ceil': True}, [x4],
      lambda a: F.max_pool2d(a, 3, 2, 1, ceil_mode=True))
grads('maxPool2d dilation', 'maxPool2d', {'k': 2, 'stride': 1, 'padding': 0, 'dilation': 2, 'ceil': False}, [x4],
      lambda a: F.max_pool2d(a, 2, 1, 0, dilation=2))
grads('avgPool2d', 'avgPool2d', {'k': 3, 'stride': 2, 'padding': 1, 'ceil': True, 'countIncludePad': False}, [x4],
      lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False))
grads('adaptiveAvgPool2d', 'adaptiveAvgPool2d', {'size': [4, 3]}, [x4], lambda a: F.adaptive_avg_pool2d(a, (4, 3)))
for mode, ac, aa, size in [('bilinear', False, False, [9, 4]), ('bilinear', True, False, [11, 10]), ('bicubic', False, False, [9, 11]),
                           ('bilinear', False, True, [4, 3]), ('bicubic', False, True, [3, 5]), ('nearest', None, False, [12, 5])]:
    grads(f'interpolate {mode} ac={ac} aa={aa}', 'interpolate', {'mode': mode, 'alignCorners': ac, 'antialias': aa, 'size': size}, [x4],
          lambda a, m=mode, c=ac, z=aa, s=size: F.interpolate(a, size=s, mode=m, align_corners=c, antialias=z))
grads('conv2d groups dilation', 'conv2d', {'stride': [2, 1], 'padding': [2, 1], 'dilation': [2, 1], 'groups': 3},
      [randn(2, 6, 9, 8, seed=12), randn(9, 2, 3, 3, seed=13), randn(9, seed=14)],
      lambda a, c, d: F.conv2d(a, c, d, stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=3))
grads('convTranspose2d groups dilation', 'convTranspose2d', {'stride': 2, 'padding': 1, 'outputPadding': 1, 'dilation': 2, 'groups': 2},
      [randn(2, 4, 5, 4, seed=15), randn(4, 3, 3, 3, seed=16), randn(6, seed=17)],
      lambda a, c, d: F.conv_transpose2d(a, c, d, stride=2, padding=1, output_padding=1, dilation=2, groups=2))
grads('matmul broadcast', 'matmul', {}, [randn(2, 1, 3, 4, seed=18), randn(3, 4, 5, seed=19)], torch.matmul)
grads('softmax', 'softmax', {'dim': 1}, [x4], lambda a: F.softmax(a, 1))
grads('logSoftmax', 'logSoftmax', {'dim': -1}, [x4 * 5], lambda a: F.log_softmax(a, -1))
grads('logsumexp', 'logsumexp', {'dim': [1, 3]}, [x4], lambda a: torch.logsumexp(a, (1, 3)))
grads('pad reflect', 'pad', {'pad': [2, 1, 1, 3], 'mode': 'reflect'}, [x4], lambda a: F.pad(a, (2, 1, 1, 3), mode='reflect'))
grads('gelu', 'gelu', {}, [x4], F.gelu)
grads('var', 'var', {'dim': [0, 2]}, [x4], lambda a: a.var((0, 2)))
# Unary rules whose textbook forms cancel (1 - tanh², 1 - σ, 1 + erf, y + 1): wide inputs, both tails.
xw = torch.linspace(-14, 14, 57) + randn(57, seed=30) * 0.1
grads('gelu tanh', 'geluTanh', {}, [xw], lambda a: F.gelu(a, approximate='tanh'))
grads('gelu wide', 'gelu', {}, [xw], F.gelu)
for op, fn in [('tanh', torch.tanh), ('sigmoid', torch.sigmoid), ('silu', F.silu), ('mish', F.mish), ('erfc', torch.erfc),
               ('expm1', torch.expm1), ('softplus', F.softplus)]:
    grads(f'{op} wide', op, {}, [xw], fn)
grads('log1p', 'log1p', {}, [torch.linspace(-0.95, 20, 41)], torch.log1p)
# Second derivative of tanh-GELU: the gradient of its (create_graph) first derivative.
grads('gelu tanh double backward', 'geluTanhD1', {}, [xw],
      lambda a: torch.autograd.grad(F.gelu(a, approximate='tanh').sum(), a, create_graph=True)[0])

# R1 gradient penalty (StyleGAN2's regulariser): ||∇x D(x)||², differentiated w.r.t. D's weights (double backward).
xr = randn(2, 3, 8, 8, seed=20)
w1, b1, w2, b2 = randn(4, 3, 3, 3, seed=21) * 0.3, randn(4, seed=22) * 0.1, randn(1, 4, 3, 3, seed=23) * 0.3, randn(1, seed=24) * 0.1
params = [t.clone().requires_grad_() for t in (w1, b1, w2, b2)]
xg = xr.clone().requires_grad_()
d = F.conv2d(F.leaky_relu(F.conv2d(xg, params[0], params[1], stride=2, padding=1), 0.2), params[2], params[3]).sum()
(gx,) = torch.autograd.grad(d, xg, create_graph=True)
r1 = gx.square().sum()
gw = [g if g is not None else torch.zeros_like(p) for g, p in zip(torch.autograd.grad(r1, params, allow_unused=True), params)]
cases.append(case('R1 penalty double backward', 'r1', {}, [xr, w1, b1, w2, b2], [r1.detach(), *gw]))

write('grad', cases, 'tools/reference/gen_grad.py')
