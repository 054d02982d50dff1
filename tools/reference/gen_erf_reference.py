"""Reference values of erf and erfc (mpmath at 40 digits, rounded to float64; scipy.special agrees to 1e-15) that validate the
float64 erf/erfc of the CPU backend, which the unary accuracy audit then uses as its reference.

Run: /usr/bin/python3 tools/reference/gen_erf_reference.py  → packages/tensor-webgpu/fixtures/erf-reference.json
"""
import json
import os
import sys

import mpmath
import numpy as np
import scipy
import scipy.special

from common import FIXTURES

mpmath.mp.dps = 40
xs = sorted({0.0, 1e-300, 1e-30, 1e-10, 1e-5, 1e-3, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0, 1.25, 1.5, 1.75, 1.9, 1.99,
             2.0, 2.01, 2.25, 2.5, 3.0, 3.5, 4.0, 5.0, 6.0, 7.5, 9.0, 10.0, 12.0, 15.0, 20.0, 26.0, 26.5})
xs = sorted(set(xs) | {-v for v in xs})
erf = [float(mpmath.erf(x)) for x in xs]
erfc = [float(mpmath.erfc(x)) for x in xs]
for x, a, b in zip(xs, erf, erfc):
    sa, sb = float(scipy.special.erf(x)), float(scipy.special.erfc(x))
    assert abs(a - sa) <= 1e-15 * abs(a) + 1e-320, (x, a, sa)
    assert abs(b - sb) <= 1e-14 * abs(b) + 1e-320, (x, b, sb)
body = {'generator': 'tools/reference/gen_erf_reference.py', 'scipy': scipy.__version__, 'numpy': np.__version__,
        'mpmath': mpmath.__version__, 'x': xs, 'erf': erf, 'erfc': erfc}
path = os.path.join(FIXTURES, 'erf-reference.json')
with open(path + '.tmp', 'w') as f:
    json.dump(body, f, separators=(',', ':'))
os.replace(path + '.tmp', path)
print(f'wrote {path}: {len(xs)} points', file=sys.stderr)
