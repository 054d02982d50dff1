"""Fixtures for reductions/softmax (reduce.json), normalisation (norm.json) and indexing/pad (indexing.json).

Run: /usr/bin/python3 tools/reference/gen_reduce.py
Accumulating ops (sums, means, variances, cumsum, logsumexp, softmax, norms) are evaluated by PyTorch in float64 on
the float32 inputs and rounded to float32 once, so the fixtures hold the correctly rounded answer rather than one
particular float32 summation order. Float data is written with the shortest decimal that round-trips float32.
"""
import numpy as np
import torch
import torch.nn.functional as F

from common import case, randn, write

GEN = 'tools/reference/gen_reduce.py'


def short(c):
    """Rewrites float32 data with the shortest decimals that parse back to the same float32 (smaller files)."""
    tensors = c['inputs'] + (c['expected'] if isinstance(c['expected'], list) else [c['expected']])
    for t in tensors:
        if t['dtype'] == 'float32':
            t['data'] = [v if isinstance(v, str) else float(str(np.float32(v))) for v in t['data']]
    return c


def f64(fn, *xs):
    """fn evaluated in float64 on float32 inputs, rounded to float32."""
    return fn(*[x.double() if x is not None and x.is_floating_point() else x for x in xs]).float()


# ----------------------------------------------------------------------------------------------- reduce.json
cases = []
add = lambda *a, **k: cases.append(short(case(*a, **k)))

def q(t, step=0.01):
    """Inputs rounded to `step` (short decimals keep the files small; float32 rounding still occurs in every op)."""
    return torch.round(t / step) * step


def multi(name, t, ops):
    """One input, several (op, args, reference) results: stored once, as a case whose expected is a list."""
    add(name, 'multi', {'ops': [{'op': o, 'args': a} for o, a, _ in ops]}, [t], [r for _, _, r in ops])


x3 = q(randn(4, 5, 6, seed=10))
x4 = q(randn(2, 3, 4, 5, seed=11))
shapes_long = {
    'row 1': q(randn(5, 1, seed=12)),
    'row 3': q(randn(4, 3, seed=13)),
    'row 7': q(randn(3, 7, seed=14)),
    'row 65': q(randn(3, 65, seed=15)),
    'row 257': q(randn(2, 257, seed=16)),
    'row 1500': q(randn(2, 1500, seed=17, scale=2.0) + 0.5),
    'flat 5000': q(randn(5000, seed=18) + 1.0),
}
for name, t in shapes_long.items():
    last = {'dim': -1, 'keepdim': False}
    ops = [('sum', last, f64(lambda v: v.sum(-1), t)), ('mean', last, f64(lambda v: v.mean(-1), t)),
           ('amax', last, torch.amax(t, -1)), ('amin', last, torch.amin(t, -1)), ('argmax', last, torch.argmax(t, -1)),
           ('argmin', last, torch.argmin(t, -1)), ('var', {'dim': -1, 'keepdim': False}, f64(lambda v: v.var(-1), t)),
           ('logsumexp', last, f64(lambda v: torch.logsumexp(v, -1), t))]
    if t.dim() == 2 and t.shape[1] > 1:
        ops += [('cumsum', {'dim': 1}, f64(lambda v: v.cumsum(1), t)), ('softmax', {'dim': 1}, f64(lambda v: torch.softmax(v, 1), t)),
                ('logSoftmax', {'dim': 1}, f64(lambda v: torch.log_softmax(v, 1), t))]
    multi(f'reductions {name}', t, ops)

cols = q(randn(1029, 3, seed=19))
multi('reductions columns 1029x3 dim0', cols, [
    ('sum', {'dim': 0, 'keepdim': False}, f64(lambda v: v.sum(0), cols)),
    ('mean', {'dim': 0, 'keepdim': False}, f64(lambda v: v.mean(0), cols)),
    ('amax', {'dim': 0, 'keepdim': True}, torch.amax(cols, 0, keepdim=True)),
    ('argmin', {'dim': 0, 'keepdim': False}, torch.argmin(cols, 0)),
    ('std', {'dim': 0, 'keepdim': False}, f64(lambda v: v.std(0), cols)),
    ('logsumexp', {'dim': 0, 'keepdim': False}, f64(lambda v: torch.logsumexp(v, 0), cols)),
])

dim_specs = [None, 0, 1, 2, -1, [0, 2], [1, 2], [0, 1, 2], [-1, 0]]
for d in dim_specs:
    for keep in (False, True):
        if d is None and keep:
            continue
        kw = {} if d is None else {'dim': d, 'keepdim': keep}
        for op, fn in [('sum', torch.sum), ('mean', torch.mean)]:
            add(f'{op} x3 dim={d} keep={keep}', op, {'dim': d, 'keepdim': keep}, [x3], f64(lambda v: fn(v, **kw), x3))
        add(f'amax x3 dim={d} keep={keep}', 'amax', {'dim': d, 'keepdim': keep}, [x3], torch.amax(x3, **({'dim': d if d is not None else [0, 1, 2], 'keepdim': keep})))
        add(f'amin x3 dim={d} keep={keep}', 'amin', {'dim': d, 'keepdim': keep}, [x3], torch.amin(x3, **({'dim': d if d is not None else [0, 1, 2], 'keepdim': keep})))
for d in [[1, 3], [0, 2], [0, 3], [-3, -1]]:
    add(f'sum x4 scattered dims {d}', 'sum', {'dim': d, 'keepdim': False}, [x4], f64(lambda v: v.sum(d), x4))
    add(f'var x4 scattered dims {d}', 'var', {'dim': d, 'keepdim': True}, [x4], f64(lambda v: v.var(d, keepdim=True), x4))
    add(f'amax x4 scattered dims {d}', 'amax', {'dim': d, 'keepdim': False}, [x4], torch.amax(x4, d))

near1 = q(1 + 0.05 * randn(3, 7, 9, seed=20), 0.001)
for d in [None, 0, 1, -1, [0, 2]]:
    kw = {} if d is None else {'dim': d}
    if isinstance(d, list):
        ref = f64(lambda v: v.prod(2).prod(0), near1)
    else:
        ref = f64(lambda v: v.prod(**kw), near1)
    add(f'prod dim={d}', 'prod', {'dim': d, 'keepdim': False}, [near1], ref)
prow = q(1 + 0.02 * randn(2, 1000, seed=21), 0.001)
add('prod long row', 'prod', {'dim': -1, 'keepdim': False}, [prow], f64(lambda v: v.prod(-1), prow))

ints = torch.randint(-50, 50, (3, 4, 5), generator=torch.Generator().manual_seed(22)).int()
add('sum int32 dim1', 'sum', {'dim': 1, 'keepdim': False}, [ints], ints.sum(1).int())
add('sum int32 all', 'sum', {'dim': None, 'keepdim': False}, [ints], ints.sum().int())
add('prod int32 dim2', 'prod', {'dim': 2, 'keepdim': False}, [ints % 5 + 1], (ints % 5 + 1).prod(2).int())
add('amax int32 dims', 'amax', {'dim': [0, 2], 'keepdim': True}, [ints], ints.amax([0, 2], keepdim=True))
add('amin int32 dim0', 'amin', {'dim': 0, 'keepdim': False}, [ints], ints.amin(0))

# argmax/argmin: ties take the first index; NaN counts as the extreme.
ties = torch.randint(0, 4, (5, 6, 7), generator=torch.Generator().manual_seed(23)).float()
for d in [None, 0, 1, 2, -1]:
    for keep in (False, True):
        kw = {} if d is None else {'dim': d}
        add(f'argmax ties dim={d} keep={keep}', 'argmax', {'dim': d, 'keepdim': keep}, [ties], torch.argmax(ties, keepdim=keep, **kw))
        add(f'argmin ties dim={d} keep={keep}', 'argmin', {'dim': d, 'keepdim': keep}, [ties], torch.argmin(ties, keepdim=keep, **kw))
nanrow = torch.tensor([[1.0, float('nan'), 3.0, float('nan')], [4.0, 2.0, 9.0, 9.0]])
add('argmax nan', 'argmax', {'dim': 1, 'keepdim': False}, [nanrow], torch.argmax(nanrow, 1))
add('argmin nan', 'argmin', {'dim': 1, 'keepdim': False}, [nanrow], torch.argmin(nanrow, 1))
add('amax nan', 'amax', {'dim': 1, 'keepdim': False}, [nanrow], torch.amax(nanrow, 1))
add('amin nan', 'amin', {'dim': 1, 'keepdim': False}, [nanrow], torch.amin(nanrow, 1))
add('argmax long ties', 'argmax', {'dim': 1, 'keepdim': False}, [torch.zeros(2, 700)], torch.argmax(torch.zeros(2, 700), 1))
add('argmax int32', 'argmax', {'dim': 0, 'keepdim': False}, [ints], torch.argmax(ints, 0))

# var/std: unbiased true/false, explicit correction, dims, keepdim.
vx = q(randn(6, 7, 5, seed=24, scale=3.0) + 10.0)
for d in [None, 0, 1, -1, [0, 2]]:
    for unbiased in (True, False):
        for keep in (False, True):
            kw = {'unbiased': unbiased, 'keepdim': keep}
            dkw = {} if d is None else {'dim': d}
            if d is None and keep:
                continue
            add(f'var dim={d} unbiased={unbiased} keep={keep}', 'var', {'dim': d, **kw}, [vx], f64(lambda v: v.var(**dkw, **kw) if d is not None else v.var(unbiased), vx))
            add(f'std dim={d} unbiased={unbiased} keep={keep}', 'std', {'dim': d, **kw}, [vx], f64(lambda v: v.std(**dkw, **kw) if d is not None else v.std(unbiased), vx))
for corr in (0, 1, 2):
    add(f'var correction={corr}', 'var', {'dim': 1, 'correction': corr, 'keepdim': False}, [vx], f64(lambda v: torch.var(v, 1, correction=corr), vx))
add('std single element', 'std', {'dim': 1, 'unbiased': True, 'keepdim': False}, [randn(3, 1, seed=25)], randn(3, 1, seed=25).std(1))

# cumsum on each axis, long axes, ints.
for d in [0, 1, 2, -1]:
    add(f'cumsum x3 dim={d}', 'cumsum', {'dim': d}, [x3], f64(lambda v: v.cumsum(d), x3))
cs = q(randn(2, 700, 2, seed=26))
add('cumsum 2x700x2 dim1', 'cumsum', {'dim': 1}, [cs], f64(lambda v: v.cumsum(1), cs))
add('cumsum int32', 'cumsum', {'dim': 1}, [ints], ints.cumsum(1).int())

# logsumexp, softmax, logSoftmax with large magnitudes and -inf rows.
big = q(randn(4, 9, seed=27, scale=1e4), 1.0)
lx = torch.cat([q(randn(3, 9, seed=28) * 30), big, torch.full((1, 9), float('-inf'))], 0)
for d in [0, 1, -1, [0, 1]]:
    for keep in (False, True):
        if d == 0:
            continue  # the -inf row mixes with finite ones along dim 0: covered by dim 1
        add(f'logsumexp dim={d} keep={keep}', 'logsumexp', {'dim': d, 'keepdim': keep}, [lx], f64(lambda v: torch.logsumexp(v, d, keepdim=keep), lx))
add('logsumexp x3 dims', 'logsumexp', {'dim': [0, 2], 'keepdim': False}, [x3 * 50], f64(lambda v: torch.logsumexp(v, [0, 2]), x3 * 50))
lrow = shapes_long['row 1500'] * 100
add('logsumexp long large values', 'logsumexp', {'dim': 1, 'keepdim': False}, [lrow], f64(lambda v: torch.logsumexp(v, 1), lrow))
sm = torch.cat([q(randn(3, 9, seed=29) * 3), big], 0)
for d in [0, 1, -1]:
    add(f'softmax dim={d}', 'softmax', {'dim': d}, [sm], f64(lambda v: torch.softmax(v, d), sm))
    add(f'logSoftmax dim={d}', 'logSoftmax', {'dim': d}, [sm], f64(lambda v: torch.log_softmax(v, d), sm))
for d in [0, 1, 2]:
    add(f'softmax x3 dim={d}', 'softmax', {'dim': d}, [x3], f64(lambda v: torch.softmax(v, d), x3))
    add(f'logSoftmax x3 dim={d}', 'logSoftmax', {'dim': d}, [x3], f64(lambda v: torch.log_softmax(v, d), x3))
write('reduce', cases, GEN)

# ------------------------------------------------------------------------------------------------- norm.json
cases = []
add = lambda *a, **k: cases.append(short(case(*a, **k)))


def norm_case(name, op, args, named, fn):
    """named: list of (name, tensor or None); only present tensors are stored, their names in args['names']."""
    present = [(n, t) for n, t in named if t is not None]
    add(name, op, {**args, 'names': [n for n, _ in present]}, [t for _, t in present], fn())


C = 5
rm, rv = randn(C, seed=30) * 0.5, randn(C, seed=31).abs() + 0.5
w, b = randn(C, seed=32) + 1.0, randn(C, seed=33)
for shape in [(6, C), (3, C, 7), (2, C, 4, 3)]:
    xb = randn(*shape, seed=34, scale=2.0) + 1.0
    for affine in (False, True):
        ww, bb = (w, b) if affine else (None, None)
        tag = f'{list(shape)} affine={affine}'
        norm_case(f'batchNorm eval {tag}', 'batchNorm', {'training': False, 'eps': 1e-5},
                  [('x', xb), ('runningMean', rm), ('runningVar', rv), ('weight', ww), ('bias', bb)],
                  lambda: f64(lambda v, m_, v_, w_, b_: F.batch_norm(v, m_, v_, w_, b_, False, 0.1, 1e-5), xb, rm, rv, ww, bb))
        norm_case(f'batchNorm train {tag}', 'batchNorm', {'training': True, 'eps': 1e-3},
                  [('x', xb), ('weight', ww), ('bias', bb)],
                  lambda: f64(lambda v, w_, b_: F.batch_norm(v, None, None, w_, b_, True, 0.1, 1e-3), xb, ww, bb))
norm_case('batchNorm train with running stats given', 'batchNorm', {'training': True, 'eps': 1e-5},
          [('x', randn(4, C, 3, seed=35)), ('runningMean', rm), ('runningVar', rv), ('weight', w), ('bias', b)],
          lambda: f64(lambda v, w_, b_: F.batch_norm(v, rm.double().clone(), rv.double().clone(), w_, b_, True, 0.1, 1e-5), randn(4, C, 3, seed=35), w, b))

C6 = 6
w6, b6 = randn(C6, seed=36) + 1.0, randn(C6, seed=37)
for shape in [(2, C6, 5), (3, C6, 4, 3), (2, C6)]:
    xg = randn(*shape, seed=38, scale=3.0) - 2.0
    for groups in (1, 2, 3, 6):
        for affine in (False, True):
            ww, bb = (w6, b6) if affine else (None, None)
            norm_case(f'groupNorm {list(shape)} G={groups} affine={affine}', 'groupNorm', {'numGroups': groups, 'eps': 1e-5},
                      [('x', xg), ('weight', ww), ('bias', bb)],
                      lambda: f64(lambda v, w_, b_: F.group_norm(v, groups, w_, b_, 1e-5), xg, ww, bb))

xl = randn(3, 4, 10, seed=39, scale=2.0) + 5.0
for ns in ([10], [4, 10]):
    for affine in (False, True):
        wl = randn(*ns, seed=40) + 1 if affine else None
        bl = randn(*ns, seed=41) if affine else None
        norm_case(f'layerNorm ns={ns} affine={affine}', 'layerNorm', {'normalizedShape': ns, 'eps': 1e-5},
                  [('x', xl), ('weight', wl), ('bias', bl)],
                  lambda: f64(lambda v, w_, b_: F.layer_norm(v, ns, w_, b_, 1e-5), xl, wl, bl))
xl2 = randn(2, 1030, seed=42, scale=4.0) + 3.0
norm_case('layerNorm long row', 'layerNorm', {'normalizedShape': [1030], 'eps': 1e-6}, [('x', xl2)],
          lambda: f64(lambda v: F.layer_norm(v, [1030], None, None, 1e-6), xl2))

for shape in [(2, C, 7), (2, C, 3, 4)]:
    xi = randn(*shape, seed=43, scale=2.0) + 1.0
    for affine in (False, True):
        ww, bb = (w, b) if affine else (None, None)
        norm_case(f'instanceNorm {list(shape)} affine={affine}', 'instanceNorm', {'useInputStats': True, 'eps': 1e-5},
                  [('x', xi), ('weight', ww), ('bias', bb)],
                  lambda: f64(lambda v, w_, b_: F.instance_norm(v, None, None, w_, b_, True, 0.1, 1e-5), xi, ww, bb))
        norm_case(f'instanceNorm running {list(shape)} affine={affine}', 'instanceNorm', {'useInputStats': False, 'eps': 1e-5},
                  [('x', xi), ('runningMean', rm), ('runningVar', rv), ('weight', ww), ('bias', bb)],
                  lambda: f64(lambda v, m_, v_, w_, b_: F.instance_norm(v, m_, v_, w_, b_, False, 0.1, 1e-5), xi, rm, rv, ww, bb))
write('norm', cases, GEN)

# --------------------------------------------------------------------------------------------- indexing.json
cases = []
add = lambda *a, **k: cases.append(short(case(*a, **k)))
g = torch.Generator().manual_seed(50)
xg = randn(4, 5, 6, seed=51)
for d, ishape in [(0, (3, 5, 6)), (1, (4, 2, 6)), (2, (4, 5, 9)), (-1, (2, 3, 4)), (0, (7, 2, 1))]:
    idx = torch.randint(0, xg.shape[d], ishape, generator=g)
    add(f'gather dim={d} index {list(ishape)}', 'gather', {'dim': d}, [xg, idx], torch.gather(xg, d, idx))
gi = torch.randint(0, 4, (3, 2, 5), generator=g)
add('gather int32 values', 'gather', {'dim': 1}, [ints, gi], torch.gather(ints, 1, gi))
for d, n in [(0, 6), (1, 3), (2, 8), (-2, 1)]:
    idx = torch.randint(0, xg.shape[d], (n,), generator=g)
    add(f'indexSelect dim={d} n={n}', 'indexSelect', {'dim': d}, [xg, idx], torch.index_select(xg, d, idx))
add('indexSelect 2d repeats', 'indexSelect', {'dim': 0}, [randn(3, 4, seed=53), torch.tensor([2, 2, 0, 1, 2])], torch.index_select(randn(3, 4, seed=53), 0, torch.tensor([2, 2, 0, 1, 2])))

p3 = randn(2, 3, 5, seed=54)
p4 = randn(2, 3, 4, 5, seed=55)
p5 = randn(1, 2, 3, 4, 5, seed=56)
pad_cases = [
    ('constant', p3, (1, 2), 0.0), ('constant', p3, (2, 1, 1, 0), 1.5), ('constant', p4, (1, 1, 2, 2, 0, 1, 1, 0), -2.0),
    ('constant', p4, (-1, 2, 1, -2), 0.0), ('constant', p3, (-2, -1), 0.0), ('constant', p3, (0, 0, 0, 0, 3, 0), 0.25),
    ('reflect', p3, (2, 4), 0), ('reflect', p3, (4, 4), 0), ('reflect', p4, (1, 2, 3, 0), 0), ('reflect', p4, (4, 4, 3, 3), 0),
    ('reflect', p5, (1, 2, 3, 1, 2, 2), 0), ('reflect', p3[0], (3, 2), 0), ('reflect', p3, (-2, 3), 0),
    ('replicate', p3, (3, 1), 0), ('replicate', p4, (2, 3, 1, 5), 0), ('replicate', p5, (2, 1, 0, 3, 4, 1), 0),
    ('replicate', p4[0], (6, 2, 2, 0), 0), ('replicate', p3, (-1, 4), 0),
    ('circular', p3, (2, 5), 0), ('circular', p4, (1, 2, 4, 3), 0), ('circular', p5, (1, 1, 2, 2, 3, 3), 0),
    ('circular', p3, (-1, 3), 0), ('circular', p4, (5, 0, 0, 4), 0), ('circular', p4, (-1, 2, 1, -2), 0),
    ('circular', p3, (2, -1), 0),
]
for mode, t, pd, v in pad_cases:
    out = F.pad(t, pd, mode=mode, value=v) if mode == 'constant' else F.pad(t, pd, mode=mode)
    add(f'pad {mode} {list(t.shape)} {list(pd)}', 'pad', {'pad': list(pd), 'mode': mode, 'value': v}, [t], out)
add('pad constant int32', 'pad', {'pad': [1, 2, 2, 1], 'mode': 'constant', 'value': 7}, [ints], F.pad(ints, (1, 2, 2, 1), value=7).int())

for shape, r in [((1, 12, 3, 4), 2), ((2, 18, 2, 3), 3), ((2, 3, 8, 5, 2), 2), ((4, 2, 2), 1)]:
    t = randn(*shape, seed=57)
    add(f'pixelShuffle {list(shape)} r={r}', 'pixelShuffle', {'factor': r}, [t], F.pixel_shuffle(t, r))
for shape, r in [((1, 3, 6, 8), 2), ((2, 2, 6, 9), 3), ((3, 2, 1, 4, 6), 2)]:
    t = randn(*shape, seed=58)
    add(f'pixelUnshuffle {list(shape)} r={r}', 'pixelUnshuffle', {'factor': r}, [t], F.pixel_unshuffle(t, r))
write('indexing', cases, GEN)
