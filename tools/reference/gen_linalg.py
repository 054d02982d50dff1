"""Fixture generator for matmul / linear (fixtures/linalg.json) and conv2d / convTranspose2d (fixtures/conv.json).

Small cases store full inputs and outputs. Large cases (sizes like 200³ that would bloat the JSON) store
`args.hashed` input specs instead of data -- values from an integer hash that the tests reproduce bit-exactly --
and only a sample of the output (`args.sample` flat indices with `expected` holding those values).
References are computed in float64 and rounded to float32 (the exact answer, not another float32 rounding).
Run: /usr/bin/python3 tools/reference/gen_linalg.py
"""
import torch
import torch.nn.functional as F

from common import case, enc, write

M32 = 0xFFFFFFFF


def hashed(shape, seed):
    """Values in [-0.5, 0.5) on a 2^-24 grid: exact in float32, reproducible in TypeScript (see linalg.test.ts)."""
    n = 1
    for d in shape:
        n *= d
    i = torch.arange(n, dtype=torch.int64)
    h = (i * 2654435761 + seed * 40503 + 12345) & M32
    h = h ^ (h >> 15)
    h = (h * 2246822519) & M32
    h = h ^ (h >> 13)
    return ((h >> 8).to(torch.float64) / 16777216.0 - 0.5).reshape(shape)


def rnd(shape, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64).to(torch.float32).to(torch.float64)


def f32(t):
    return t.to(torch.float32)


def sampled(name, op, args, specs, result, count=400, seed=0):
    """A case whose inputs are hashed specs and whose expected output is a sample of `result`."""
    flat = result.flatten()
    g = torch.Generator().manual_seed(seed)
    idx = torch.randperm(flat.numel(), generator=g)[:count].sort().values
    a = dict(args)
    a['hashed'] = [{'shape': list(s), 'seed': sd} for s, sd in specs]
    a['outShape'] = list(result.shape)
    a['sample'] = idx.tolist()
    return {'name': name, 'op': op, 'args': a, 'inputs': [], 'expected': enc(f32(flat[idx]))}


def linalg_cases():
    cases = []
    seed = [100]

    def mm(name, sa, sb):
        seed[0] += 2
        a, b = rnd(sa, seed[0]), rnd(sb, seed[0] + 1)
        cases.append(case(name, 'matmul', {}, [f32(a), f32(b)], f32(torch.matmul(a, b))))

    for s in (1, 3, 17):
        mm(f'mm {s}x{s}x{s}', (s, s), (s, s))
    mm('gemv M=1 1x63x65', (1, 63), (63, 65))
    mm('N=1 65x63x1', (65, 63), (63, 1))
    mm('dot 1-D . 1-D', (17,), (17,))
    mm('mv 2-D . 1-D', (5, 7), (7,))
    mm('vm 1-D . 2-D', (7,), (7, 5))
    mm('1-D . batched', (7,), (2, 7, 3))
    mm('batched . 1-D', (2, 3, 7), (7,))
    mm('batched same batch', (2, 3, 4, 5), (2, 3, 5, 6))
    mm('broadcast batch [2,1,3,4]x[3,4,5]', (2, 1, 3, 4), (3, 4, 5))
    mm('shared left [4,5]x[2,5,3]', (4, 5), (2, 5, 3))
    mm('shared right [2,3,4]x[4,5]', (2, 3, 4), (4, 5))
    mm('partial broadcast [2,1,3,4]x[1,3,4,5]', (2, 1, 3, 4), (1, 3, 4, 5))
    mm('odd sizes 5x9x7', (5, 9), (9, 7))
    cases.append(case('empty K [3,0]x[0,4]', 'matmul', {}, [torch.zeros(3, 0), torch.zeros(0, 4)], torch.zeros(3, 4)))

    def lin(name, sx, sw, bias):
        seed[0] += 3
        x, w = rnd(sx, seed[0]), rnd(sw, seed[0] + 1)
        ins = [f32(x), f32(w)]
        b = None
        if bias:
            b = rnd((sw[0],), seed[0] + 2)
            ins.append(f32(b))
        cases.append(case(name, 'linear', {'bias': bias}, ins, f32(F.linear(x, w, b))))

    lin('linear 2-D with bias', (5, 7), (3, 7), True)
    lin('linear 3-D no bias', (2, 3, 7), (4, 7), False)
    lin('linear 1-D input', (7,), (6, 7), True)
    lin('linear M=1 GEMV', (1, 33), (9, 33), True)

    def mm_h(name, sa, sb, seeds):
        a, b = hashed(sa, seeds[0]), hashed(sb, seeds[1])
        cases.append(sampled(name, 'matmul', {}, [(sa, seeds[0]), (sb, seeds[1])], torch.matmul(a, b)))

    for s in (63, 65, 127, 200):
        mm_h(f'mm {s}x{s}x{s} (hashed)', (s, s), (s, s), (s, s + 1))
    mm_h('gemv 1x2048x300 (hashed, split-K)', (1, 2048), (2048, 300), (7, 8))
    mm_h('N=1 300x2048x1 (hashed)', (300, 2048), (2048, 1), (9, 10))
    mm_h('skinny 8x1000x257 (hashed)', (8, 1000), (1000, 257), (11, 12))
    mm_h('batched 3x[33x70]x[70x41] (hashed)', (3, 33, 70), (3, 70, 41), (13, 14))
    mm_h('broadcast [130x96] x [2,96,132] (hashed)', (130, 96), (2, 96, 132), (15, 16))

    def lin_h(name, sx, sw, seeds):
        x, w, b = hashed(sx, seeds[0]), hashed(sw, seeds[1]), hashed((sw[0],), seeds[2])
        cases.append(sampled(name, 'linear', {'bias': True}, [(sx, seeds[0]), (sw, seeds[1]), ((sw[0],), seeds[2])], F.linear(x, w, b)))

    lin_h('linear transB 130x200 . [70x200]^T (hashed)', (130, 200), (70, 200), (21, 22, 23))
    lin_h('linear GEMV transB 1x1000 . [257x1000]^T (hashed, split-K)', (1, 1000), (257, 1000), (24, 25, 26))
    lin_h('linear 3-D [2,65,64] . [128x64]^T (hashed)', (2, 65, 64), (128, 64), (27, 28, 29))
    return cases


def conv_cases():
    cases = []
    seed = [500]

    def conv(name, sx, sw, bias, **kw):
        seed[0] += 3
        x, w = rnd(sx, seed[0]), rnd(sw, seed[0] + 1)
        ins = [f32(x), f32(w)]
        b = None
        if bias:
            b = rnd((sw[0],), seed[0] + 2)
            ins.append(f32(b))
        y = F.conv2d(x, w, b, **kw)
        args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        args['bias'] = bias
        cases.append(case(name, 'conv2d', args, ins, f32(y)))

    conv('3x3 pad 1 bias', (2, 3, 9, 9), (4, 3, 3, 3), True, padding=1)
    conv('3x3 stride 2 pad 1', (1, 4, 11, 10), (6, 4, 3, 3), True, stride=2, padding=1)
    conv('asymmetric stride (2,1) pad (1,2)', (1, 3, 10, 9), (5, 3, 3, 3), True, stride=(2, 1), padding=(1, 2))
    conv('dilation 2 pad 2', (1, 3, 12, 12), (5, 3, 3, 3), False, dilation=2, padding=2)
    conv('dilation (1,3) stride (1,2)', (1, 2, 9, 13), (3, 2, 3, 3), True, dilation=(1, 3), stride=(1, 2))
    conv('groups 2', (1, 4, 8, 8), (6, 2, 3, 3), True, groups=2, padding=1)
    conv('depthwise groups=C', (2, 6, 9, 9), (6, 1, 3, 3), True, groups=6, padding=1)
    conv('depthwise multiplier 2', (1, 3, 7, 7), (6, 1, 3, 3), False, groups=3)
    conv('1x7 pad (0,3)', (1, 6, 5, 13), (7, 6, 1, 7), True, padding=(0, 3))
    conv('7x1 pad (3,0)', (1, 6, 13, 5), (9, 6, 7, 1), True, padding=(3, 0))
    conv('5x5 no bias', (2, 3, 11, 12), (7, 3, 5, 5), False)
    conv('1x1 pointwise bias', (2, 10, 5, 7), (13, 10, 1, 1), True)
    conv('1x1 stride 2', (1, 10, 7, 9), (5, 10, 1, 1), True, stride=2)
    conv("same k=4 dilation 1 (asymmetric)", (1, 3, 8, 9), (4, 3, 4, 4), True, padding='same')
    conv("same k=3 dilation 2", (1, 3, 8, 9), (4, 3, 3, 3), True, padding='same', dilation=2)
    conv('valid 2x3 kernel', (1, 3, 6, 7), (4, 3, 2, 3), True, padding='valid')
    conv('non-square input 3x3 stride 3', (3, 2, 13, 5), (9, 2, 3, 3), True, stride=3, padding=1)

    def conv_h(name, sx, sw, seeds, **kw):
        x, w, b = hashed(sx, seeds[0]), hashed(sw, seeds[1]), hashed((sw[0],), seeds[2])
        args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        args['bias'] = True
        specs = [(sx, seeds[0]), (sw, seeds[1]), ((sw[0],), seeds[2])]
        cases.append(sampled(name, 'conv2d', args, specs, F.conv2d(x, w, b, **kw)))

    conv_h('many channels 70->96 (hashed)', (2, 70, 9, 9), (96, 70, 3, 3), (31, 32, 33), padding=1)
    conv_h('32->64 stride 2 @17 (hashed)', (1, 32, 17, 17), (64, 32, 3, 3), (34, 35, 36), stride=2, padding=1)
    conv_h('1x1 pointwise 72->130 @9x11 (hashed)', (2, 72, 9, 11), (130, 72, 1, 1), (37, 38, 39))
    conv_h('vec4 output runs, partial tile 16->40 @10 (hashed)', (2, 16, 10, 10), (40, 16, 3, 3), (43, 44, 45), padding=1)
    conv_h('groups 2 with 40 channels per group (hashed)', (1, 16, 7, 7), (80, 8, 3, 3), (40, 41, 42), groups=2, padding=1)

    seed[0] += 3
    x, w, b = rnd((3, 7, 8), seed[0]), rnd((5, 3, 3, 3), seed[0] + 1), rnd((5,), seed[0] + 2)
    cases.append(case('unbatched (C,H,W) input', 'conv2d', {'bias': True, 'padding': 1}, [f32(x), f32(w), f32(b)], f32(F.conv2d(x, w, b, padding=1))))

    def convt(name, sx, sw, bias, **kw):
        seed[0] += 3
        x, w = rnd(sx, seed[0]), rnd(sw, seed[0] + 1)
        ins = [f32(x), f32(w)]
        b = None
        groups = kw.get('groups', 1)
        if bias:
            b = rnd((sw[1] * groups,), seed[0] + 2)
            ins.append(f32(b))
        y = F.conv_transpose2d(x, w, b, **kw)
        args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        args['bias'] = bias
        cases.append(case(name, 'convTranspose2d', args, ins, f32(y)))

    convt('convT stride 2 pad 1 outpad 1', (1, 4, 5, 5), (4, 3, 3, 3), True, stride=2, padding=1, output_padding=1)
    convt('convT groups 2', (2, 4, 4, 6), (4, 3, 3, 3), True, groups=2)
    convt('convT dilation 2', (1, 3, 5, 4), (3, 2, 3, 3), False, dilation=2)
    convt('convT asymmetric stride (2,3) pad (1,0) outpad (1,2) k 3x4', (1, 2, 4, 5), (2, 3, 3, 4), True, stride=(2, 3), padding=(1, 0), output_padding=(1, 2))
    convt('convT outpad < dilation (stride 1, dilation 2, outpad 1)', (1, 2, 5, 5), (2, 2, 3, 3), True, dilation=2, output_padding=1)
    convt('convT 1x1 stride 2', (2, 5, 3, 4), (5, 4, 1, 1), True, stride=2)
    seed[0] += 3
    x, w = rnd((4, 5, 6), seed[0]), rnd((4, 3, 2, 2), seed[0] + 1)
    cases.append(case('convT unbatched (C,H,W) input', 'convTranspose2d', {'bias': False, 'stride': 2}, [f32(x), f32(w)], f32(F.conv_transpose2d(x, w, stride=2))))
    return cases


if __name__ == '__main__':
    write('linalg', linalg_cases(), 'tools/reference/gen_linalg.py')
    write('conv', conv_cases(), 'tools/reference/gen_linalg.py')
