"""Fixtures for elementwise, movement and creation ops: PyTorch's outputs on small deterministic inputs.

Run: /usr/bin/python3 tools/reference/gen_elementwise.py  → packages/tensor-webgpu/fixtures/elementwise.json
"""
import torch
import torch.nn.functional as F

from common import case, randn, write

torch.manual_seed(0)
cases = []

x = randn(3, 5, 7, seed=1, scale=2.0)          # generic inputs, odd sizes
pos = randn(3, 5, 7, seed=2).abs() + 0.05        # strictly positive
unit = torch.tanh(randn(3, 5, 7, seed=3)) * 0.95  # in (-1, 1)
big = torch.tensor([-100.0, -30.0, -10.0, -1e-6, 0.0, 1e-6, 10.0, 30.0, 100.0])

unary = {
    'neg': (torch.neg, x), 'abs': (torch.abs, x), 'sign': (torch.sign, x), 'exp': (torch.exp, x),
    'exp2': (torch.exp2, x), 'log': (torch.log, pos), 'log2': (torch.log2, pos), 'log1p': (torch.log1p, pos - 0.04),
    'expm1': (torch.expm1, x), 'sqrt': (torch.sqrt, pos), 'rsqrt': (torch.rsqrt, pos),
    'reciprocal': (torch.reciprocal, pos), 'square': (torch.square, x), 'sin': (torch.sin, x), 'cos': (torch.cos, x),
    'tan': (torch.tan, unit), 'asin': (torch.asin, unit), 'acos': (torch.acos, unit), 'atan': (torch.atan, x),
    'sinh': (torch.sinh, x), 'cosh': (torch.cosh, x), 'tanh': (torch.tanh, x), 'asinh': (torch.asinh, x),
    'acosh': (torch.acosh, pos + 1), 'atanh': (torch.atanh, unit), 'erf': (torch.erf, x), 'erfc': (torch.erfc, x),
    'floor': (torch.floor, x),
    'ceil': (torch.ceil, x), 'round': (torch.round, torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51])),
    'trunc': (torch.trunc, x), 'frac': (torch.frac, x), 'sigmoid': (torch.sigmoid, x), 'relu': (F.relu, x),
    'relu6': (F.relu6, x * 4), 'selu': (F.selu, x), 'silu': (F.silu, x), 'mish': (F.mish, x),
    'hardsigmoid': (F.hardsigmoid, x * 3), 'hardswish': (F.hardswish, x * 3),
}
for name, (fn, inp) in unary.items():
    cases.append(case(f'{name}', name, {}, [inp], fn(inp)))

for name, (fn, inp) in {'tanh': (torch.tanh, big), 'sigmoid': (torch.sigmoid, big), 'expm1': (torch.expm1, big[2:7]),
                        'log1p': (torch.log1p, big[3:]), 'erf': (torch.erf, big), 'erfc': (torch.erfc, big),
                        'silu': (F.silu, big)}.items():
    cases.append(case(f'{name} extremes', name, {}, [inp], fn(inp)))

cases.append(case('leakyRelu 0.2', 'leakyRelu', {'slope': 0.2}, [x], F.leaky_relu(x, 0.2)))
cases.append(case('elu 0.7', 'elu', {'alpha': 0.7}, [x], F.elu(x, 0.7)))
cases.append(case('gelu erf', 'gelu', {'approximate': 'none'}, [x], F.gelu(x)))
cases.append(case('gelu tanh', 'gelu', {'approximate': 'tanh'}, [x], F.gelu(x, approximate='tanh')))
cases.append(case('softplus', 'softplus', {'beta': 1, 'threshold': 20}, [x * 10], F.softplus(x * 10)))
cases.append(case('softplus beta 2 thr 5', 'softplus', {'beta': 2, 'threshold': 5}, [x], F.softplus(x, 2, 5)))
cases.append(case('hardtanh', 'hardtanh', {'min': -0.5, 'max': 1.5}, [x], F.hardtanh(x, -0.5, 1.5)))
cases.append(case('clamp', 'clamp', {'min': -1, 'max': 0.5}, [x], torch.clamp(x, -1, 0.5)))
cases.append(case('clamp min only', 'clamp', {'min': 0.25}, [x], torch.clamp(x, min=0.25)))
cases.append(case('pow scalar 3', 'powScalar', {'exponent': 3}, [x], torch.pow(x, 3)))
cases.append(case('pow scalar 0.5', 'powScalar', {'exponent': 0.5}, [pos], torch.pow(pos, 0.5)))
cases.append(case('pow scalar -2', 'powScalar', {'exponent': -2}, [x], torch.pow(x, -2)))

# Binary ops with broadcasting (shapes chosen so that every broadcast pattern appears).
a = randn(4, 1, 6, seed=4, scale=3)
b = randn(5, 1, seed=5, scale=3)
bp = b.abs() + 0.5
for name, fn, rhs in [('add', torch.add, b), ('sub', torch.sub, b), ('mul', torch.mul, b), ('div', torch.div, bp),
                      ('pow', torch.pow, randn(5, 1, seed=6)), ('maximum', torch.maximum, b), ('minimum', torch.minimum, b),
                      ('atan2', torch.atan2, b), ('remainder', torch.remainder, bp), ('fmod', torch.fmod, bp),
                      ('floorDivide', lambda p, q: torch.div(p, q, rounding_mode='floor'), bp)]:
    lhs = a.abs() + 0.1 if name == 'pow' else a
    cases.append(case(f'{name} broadcast', name, {}, [lhs, rhs], fn(lhs, rhs)))
for name, fn in [('eq', torch.eq), ('ne', torch.ne), ('lt', torch.lt), ('le', torch.le), ('gt', torch.gt), ('ge', torch.ge)]:
    p = torch.round(a)
    q = torch.round(b)
    cases.append(case(f'{name} broadcast', name, {}, [p, q], fn(p, q)))
ia = torch.tensor([[7, -7, 7, -7, 0, 13]], dtype=torch.int32)
ib = torch.tensor([[3], [-3], [5]], dtype=torch.int32)
for name, fn in [('add', torch.add), ('sub', torch.sub), ('mul', torch.mul), ('remainder', torch.remainder),
                 ('fmod', torch.fmod), ('floorDivide', lambda p, q: torch.div(p, q, rounding_mode='floor')),
                 ('maximum', torch.maximum), ('div', torch.div)]:
    cases.append(case(f'{name} int32', name, {}, [ia, ib], fn(ia, ib)))
cond = randn(4, 5, 6, seed=7) > 0
cases.append(case('where', 'where', {}, [cond, a, b], torch.where(cond, a, b)))
cases.append(case('cast float->int', 'cast', {'dtype': 'int32'}, [x * 3], (x * 3).to(torch.int32)))
cases.append(case('cast float->bool', 'cast', {'dtype': 'bool'}, [torch.round(x)], torch.round(x).to(torch.bool)))

# Movement.
m = randn(2, 3, 4, 5, seed=8)
cases.append(case('permute', 'permute', {'dims': [2, 0, 3, 1]}, [m], m.permute(2, 0, 3, 1)))
cases.append(case('transpose', 'transpose', {'dim0': -1, 'dim1': 1}, [m], m.transpose(-1, 1)))
cases.append(case('expand', 'expand', {'shape': [3, 2, 5, 4]}, [randn(2, 1, 4, seed=9)], randn(2, 1, 4, seed=9).expand(3, 2, 5, 4)))
cases.append(case('slice step', 'slice', {'dim': 3, 'start': 1, 'end': 5, 'step': 2}, [m], m[:, :, :, 1:5:2]))
cases.append(case('slice negative', 'slice', {'dim': 2, 'start': -3, 'end': -1, 'step': 1}, [m], m[:, :, -3:-1]))
cases.append(case('narrow', 'narrow', {'dim': 1, 'start': 1, 'length': 2}, [m], m.narrow(1, 1, 2)))
cases.append(case('flip', 'flip', {'dims': [0, 3]}, [m], m.flip(0, 3)))
cases.append(case('cat', 'cat', {'dim': 2}, [m, m[:, :, :2] * 2], torch.cat([m, m[:, :, :2] * 2], 2)))
cases.append(case('stack', 'stack', {'dim': 1}, [m[0], m[1]], torch.stack([m[0], m[1]], 1)))

# Creation.
cases.append(case('arange float', 'arange', {'start': -1, 'end': 2, 'step': 0.3}, [], torch.arange(-1, 2, 0.3)))
cases.append(case('linspace', 'linspace', {'start': -2, 'end': 3.5, 'steps': 13}, [], torch.linspace(-2, 3.5, 13)))
cases.append(case('eye', 'eye', {'n': 3, 'm': 5}, [], torch.eye(3, 5)))

write('elementwise', cases, 'tools/reference/gen_elementwise.py')
