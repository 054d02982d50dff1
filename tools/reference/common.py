"""Shared helpers for the fixture generators: encode torch tensors as JSON and write fixture files atomically.

Run generators with Debian's /usr/bin/python3 (python3-torch). Fixtures land in packages/tensor-webgpu/fixtures/.
"""
import json
import math
import os
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIXTURES = os.path.join(ROOT, 'packages', 'tensor-webgpu', 'fixtures')

DTYPES = {torch.float32: 'float32', torch.int32: 'int32', torch.int64: 'int32', torch.bool: 'bool', torch.uint8: 'uint32'}


def _num(v):
    if isinstance(v, float):
        if math.isnan(v):
            return 'nan'
        if math.isinf(v):
            return 'inf' if v > 0 else '-inf'
    return v


def enc(t):
    """A tensor as {shape, dtype, data}; int64 is stored as int32 (the values must fit)."""
    t = t.detach().contiguous()
    dtype = DTYPES[t.dtype]
    if t.dtype == torch.bool:
        data = [int(v) for v in t.flatten().tolist()]
    else:
        data = [_num(v) for v in t.flatten().tolist()]
    return {'shape': list(t.shape), 'dtype': dtype, 'data': data}


def gen(seed):
    g = torch.Generator().manual_seed(seed)
    return g


def randn(*shape, seed=0, scale=1.0):
    return torch.randn(*shape, generator=gen(seed)) * scale


def write(name, cases, generator):
    """Writes fixtures/<name>.json atomically (temp + rename)."""
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name + '.json')
    body = {'generator': generator, 'torch': torch.__version__, 'cases': cases}
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(body, f, separators=(',', ':'))
    os.replace(tmp, path)
    print(f'wrote {path}: {len(cases)} cases, {os.path.getsize(path)} bytes', file=sys.stderr)


def case(name, op, args, inputs, expected, tol=None):
    c = {'name': name, 'op': op, 'args': args, 'inputs': [enc(t) for t in inputs],
         'expected': [enc(t) for t in expected] if isinstance(expected, (list, tuple)) else enc(expected)}
    if tol:
        c['tol'] = tol
    return c
