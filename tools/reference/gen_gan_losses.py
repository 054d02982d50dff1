"""Fixtures for @radix/gan's losses: D2D-CE from PyTorch-StudioGAN's own loss class, and StyleGAN2-ADA's logistic,
R1 (double backward) and path-length terms on small stand-in networks.

Run with Debian's /usr/bin/python3 (torch 1.13):
    /usr/bin/python3 tools/reference/gen_gan_losses.py /path/to/PyTorch-StudioGAN
where the argument is a checkout of github:POSTECH-CVLab/PyTorch-StudioGAN (e.g. `git --git-dir=<mirror> archive HEAD
src/utils/losses.py | tar -x -C /tmp/studiogan`). Its src/utils/losses.py is imported with two stub modules
(utils.style_ops.conv2d_gradfix and utils.ops, which Data2DataCrossEntropyLoss never calls) and master_rank='cpu'.
The logistic, R1 and path-length formulas follow stylegan2-ada-pytorch's training/loss.py (commit d72cc7d), written
out here in torch on stand-in networks whose weights are stored in the fixture. Writes packages/gan/fixtures/losses.json.
"""
import json
import math
import os
import subprocess
import sys
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from common import enc  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'gan', 'fixtures', 'losses.json')


def load_studiogan_losses(checkout):
    """Imports StudioGAN's src/utils/losses.py with stubs for the two helper modules it imports."""
    utils = types.ModuleType('utils')
    utils.__path__ = []
    style_ops = types.ModuleType('utils.style_ops')
    style_ops.__path__ = []
    gradfix = types.ModuleType('utils.style_ops.conv2d_gradfix')
    ops = types.ModuleType('utils.ops')
    style_ops.conv2d_gradfix = gradfix
    utils.style_ops = style_ops
    utils.ops = ops
    sys.modules.update({'utils': utils, 'utils.style_ops': style_ops, 'utils.style_ops.conv2d_gradfix': gradfix, 'utils.ops': ops})
    path = os.path.join(checkout, 'src', 'utils', 'losses.py')
    spec = types.ModuleType('studiogan_losses')
    spec.__file__ = path
    with open(path) as f:
        code = compile(f.read(), path, 'exec')
    exec(code, spec.__dict__)  # noqa: S102 - the fetched reference, run locally to produce expected values
    return spec


def studiogan_commit(checkout):
    try:
        return subprocess.check_output(['git', '-C', checkout, 'rev-parse', 'HEAD'], text=True, stderr=subprocess.DEVNULL).strip()
    except Exception:  # noqa: BLE001 - an archive without .git: the caller passes the commit in STUDIOGAN_COMMIT
        return os.environ.get('STUDIOGAN_COMMIT', 'unknown')


def g(seed):
    return torch.Generator().manual_seed(seed)


def d2dce_cases(losses):
    cases = []
    for name, n, dim, classes, labels, mp, temp, seed in [
        ('d2dce-8x6-3cls', 8, 6, 3, [0, 1, 2, 0, 1, 1, 2, 0], 0.98, 0.5, 1),
        ('d2dce-6x4-2cls-t025', 6, 4, 2, [1, 0, 1, 1, 0, 0], 0.98, 0.25, 2),
        ('d2dce-5x8-5cls-m09', 5, 8, 5, [4, 3, 2, 1, 0], 0.9, 1.0, 3),
    ]:
        embed = torch.randn(n, dim, generator=g(seed)).requires_grad_(True)
        table = torch.randn(classes, dim, generator=g(seed + 100)).requires_grad_(True)
        lab = torch.tensor(labels, dtype=torch.int64)
        crit = losses.Data2DataCrossEntropyLoss(num_classes=classes, temperature=temp, m_p=mp, master_rank='cpu', DDP=False)
        # StudioGAN's StyleGAN2 D normalises embed and proxy (normalize_d_embed) before the loss.
        e = F.normalize(embed, dim=1)
        p = F.normalize(table, dim=1)[lab]
        loss = crit(e, p, lab)
        ge, gt = torch.autograd.grad(loss, [embed, table])
        cases.append({'name': name, 'op': 'd2dce', 'args': {'margin': mp, 'temperature': temp, 'numClasses': classes},
                      'inputs': [enc(embed), enc(table), enc(lab)], 'expected': [enc(loss), enc(ge), enc(gt)]})
    return cases


def logistic_cases():
    real = torch.tensor([-3.0, -0.5, 0.0, 0.7, 4.0, 25.0]).requires_grad_(True)
    fake = torch.tensor([2.0, -1.5, 0.3, -30.0, 0.0, 1.0]).requires_grad_(True)
    # training/loss.py: D = softplus(fake) + softplus(-real), G = softplus(-fake); each is .mean()'d.
    d = (F.softplus(fake) + F.softplus(-real)).mean()
    gr, gf = torch.autograd.grad(d, [real, fake])
    fake2 = fake.detach().requires_grad_(True)
    gl = F.softplus(-fake2).mean()
    (gg,) = torch.autograd.grad(gl, [fake2])
    # Hinge (Lim & Ye 2017, as in BigGAN/StudioGAN): D = relu(1 − real) + relu(1 + fake), G = −fake.
    real3 = real.detach().requires_grad_(True)
    fake3 = fake.detach().requires_grad_(True)
    hd = F.relu(1 - real3).mean() + F.relu(1 + fake3).mean()
    hr, hf = torch.autograd.grad(hd, [real3, fake3])
    return [{'name': 'logistic-and-hinge', 'op': 'logistic', 'args': {},
             'inputs': [enc(real), enc(fake)],
             'expected': [enc(d), enc(gr), enc(gf), enc(gl), enc(gg), enc(hd), enc(hr), enc(hf)]}]


def standin_d(x, w1, b1, w2, b2):
    """The stand-in discriminator: conv3×3 (pad 1) → leaky ReLU 0.2 → linear to one logit."""
    h = F.leaky_relu(F.conv2d(x, w1, b1, padding=1), 0.2)
    return h.flatten(1) @ w2.t() + b2


def r1_cases():
    cases = []
    for name, n, c, s, gamma, gain, seed in [('r1-2x3x4x4', 2, 3, 4, 0.5, 16, 11), ('r1-3x1x5x5', 3, 1, 5, 0.0128, 16, 12)]:
        x = torch.randn(n, c, s, s, generator=g(seed))
        w1 = (torch.randn(4, c, 3, 3, generator=g(seed + 1)) * 0.5).requires_grad_(True)
        b1 = (torch.randn(4, generator=g(seed + 2)) * 0.1).requires_grad_(True)
        w2 = (torch.randn(1, 4 * s * s, generator=g(seed + 3)) * 0.2).requires_grad_(True)
        b2 = (torch.randn(1, generator=g(seed + 4)) * 0.1).requires_grad_(True)
        real = x.detach().requires_grad_(True)
        logits = standin_d(real, w1, b1, w2, b2)
        (r1_grads,) = torch.autograd.grad([logits.sum()], [real], create_graph=True)
        penalty = r1_grads.square().sum([1, 2, 3])
        loss = (logits * 0 + (penalty * (gamma / 2)).unsqueeze(1)).mean() * gain
        grads = torch.autograd.grad(loss, [w1, b1, w2, b2])
        cases.append({'name': name, 'op': 'r1', 'args': {'gamma': gamma, 'gain': gain},
                      'inputs': [enc(x), enc(w1), enc(b1), enc(w2), enc(b2)],
                      'expected': [enc(penalty), enc(loss)] + [enc(t) for t in grads]})
    return cases


def path_length_cases():
    # Stand-in synthesis: img = tanh(einsum('nlw,lwk->nk', ws, A)).reshape(N, C, H, W).
    n, layers, wdim, c, s = 4, 3, 5, 2, 3
    ws = torch.randn(n, layers, wdim, generator=g(21)).requires_grad_(True)
    a = (torch.randn(layers, wdim, c * s * s, generator=g(22)) * 0.4).requires_grad_(True)
    noise = torch.randn(n, c, s, s, generator=g(23)) / math.sqrt(s * s)
    pl_mean0 = torch.tensor(0.3)
    decay, weight, gain = 0.01, 2.0, 4
    img = torch.tanh(torch.einsum('nlw,lwk->nk', ws, a)).reshape(n, c, s, s)
    (pl_grads,) = torch.autograd.grad([(img * noise).sum()], [ws], create_graph=True)
    pl_lengths = pl_grads.square().sum(2).mean(1).sqrt()
    pl_mean = pl_mean0.lerp(pl_lengths.mean(), decay)
    pl_penalty = (pl_lengths - pl_mean).square()
    loss = (img[:, 0, 0, 0] * 0 + pl_penalty * weight).mean() * gain
    (ga,) = torch.autograd.grad(loss, [a])
    return [{'name': 'path-length', 'op': 'pathLength', 'args': {'decay': decay, 'weight': weight, 'gain': gain, 'plMean': 0.3},
             'inputs': [enc(ws), enc(a), enc(noise)],
             'expected': [enc(pl_lengths), enc(pl_mean.detach()), enc(pl_penalty), enc(loss), enc(ga)]}]


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: gen_gan_losses.py /path/to/PyTorch-StudioGAN')
    checkout = sys.argv[1]
    losses = load_studiogan_losses(checkout)
    cases = d2dce_cases(losses) + logistic_cases() + r1_cases() + path_length_cases()
    body = {
        'generator': 'tools/reference/gen_gan_losses.py',
        'torch': torch.__version__,
        'sources': {
            'd2dce': f'github:POSTECH-CVLab/PyTorch-StudioGAN@{studiogan_commit(checkout)} src/utils/losses.py '
                     'Data2DataCrossEntropyLoss, run with stub modules utils.style_ops.conv2d_gradfix and utils.ops, '
                     "master_rank='cpu', DDP=False; inputs normalised with F.normalize as its StyleGAN2 D does",
            'logistic/r1/pathLength': 'formulas of github:NVlabs/stylegan2-ada-pytorch@d72cc7d training/loss.py, written in torch '
                                      'on stand-in networks (see standin_d and path_length_cases)',
        },
        'cases': cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    tmp = OUT + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(body, f, separators=(',', ':'))
    os.replace(tmp, OUT)
    print(f'wrote {OUT}: {len(cases)} cases, {os.path.getsize(OUT)} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
