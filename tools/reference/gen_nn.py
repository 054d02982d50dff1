"""Fixtures for nn modules, losses, optimizers, gradient clipping and lr schedulers (torch 1.13, CPU, float32).

Run: /usr/bin/python3 tools/reference/gen_nn.py  → packages/tensor-webgpu/fixtures/nn/{modules,losses,optim}.json
Each case: {name, op, args, tensors: {name: tensor}, expected: {name: tensor | [numbers]}}.
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import FIXTURES, enc, randn, write

torch.set_default_dtype(torch.float32)
os.makedirs(os.path.join(FIXTURES, 'nn'), exist_ok=True)


def C(name, op, args, tensors, expected):
    return {'name': name, 'op': op, 'args': args,
            'tensors': {k: enc(v) for k, v in tensors.items()},
            'expected': {k: (enc(v) if isinstance(v, torch.Tensor) else v) for k, v in expected.items()}}


def sd(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def randomize(module, seed, scale=0.5):
    """Deterministic weights for every float parameter/buffer (variances kept positive)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for k, v in module.state_dict().items():
            if v.dtype != torch.float32:
                continue
            r = torch.randn(v.shape, generator=g) * scale
            if 'running_var' in k:
                r = r.abs() + 0.5
            v.copy_(r)


# ---------------------------------------------------------------- modules
def module_cases():
    cases = []
    # Linear
    for i, (bias, xs) in enumerate([(True, (3, 5)), (False, (2, 3, 5))]):
        m = nn.Linear(5, 4, bias=bias)
        randomize(m, 10 + i)
        x = randn(*xs, seed=20 + i)
        cases.append(C(f'linear {i}', 'Linear', {'in': 5, 'out': 4, 'bias': bias}, {'x': x, **sd(m)}, {'y': m(x)}))
    # Conv2d
    convs = [
        ('pad1', dict(in_channels=3, out_channels=4, kernel_size=3, padding=1), (2, 3, 7, 6)),
        ('stride dilation groups', dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=(1, 0), dilation=(1, 2), groups=2), (1, 4, 9, 8)),
        ('same reflect dil2', dict(in_channels=2, out_channels=3, kernel_size=3, padding='same', padding_mode='reflect', dilation=2), (1, 2, 7, 7)),
        ('same circular k4', dict(in_channels=2, out_channels=2, kernel_size=4, padding='same', padding_mode='circular'), (1, 2, 6, 5)),
        ('replicate stride2 nobias', dict(in_channels=2, out_channels=3, kernel_size=3, padding=2, padding_mode='replicate', stride=2, bias=False), (2, 2, 5, 6)),
        ('unbatched reflect', dict(in_channels=3, out_channels=2, kernel_size=3, padding=1, padding_mode='reflect'), (3, 5, 5)),
        ('same zeros even kernel', dict(in_channels=2, out_channels=2, kernel_size=(2, 4), padding='same'), (1, 2, 5, 6)),
    ]
    for i, (name, kw, xs) in enumerate(convs):
        m = nn.Conv2d(**kw)
        randomize(m, 30 + i)
        x = randn(*xs, seed=40 + i)
        args = {k: (list(v) if isinstance(v, tuple) else v) for k, v in kw.items()}
        cases.append(C(f'conv2d {name}', 'Conv2d', args, {'x': x, **sd(m)}, {'y': m(x)}))
    # ConvTranspose2d
    m = nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
    randomize(m, 50)
    x = randn(1, 4, 4, 5, seed=51)
    cases.append(C('convT groups outpad', 'ConvTranspose2d', dict(in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=1, output_padding=1, groups=2), {'x': x, **sd(m)}, {'y': m(x)}))
    m = nn.ConvTranspose2d(3, 2, (3, 2), stride=(2, 3), dilation=(1, 2), bias=False)
    randomize(m, 52)
    x = randn(2, 3, 3, 4, seed=53)
    out_size = [8, 13]
    cases.append(C('convT output_size', 'ConvTranspose2d', dict(in_channels=3, out_channels=2, kernel_size=[3, 2], stride=[2, 3], dilation=[1, 2], bias=False, output_size=out_size), {'x': x, **sd(m)}, {'y': m(x, output_size=out_size)}))
    # BatchNorm2d: two training steps (running stats after each), then eval; and the gradient of step 1.
    for momentum in (0.1, None):
        m = nn.BatchNorm2d(3, momentum=momentum)
        randomize(m, 60)
        init = sd(m)
        x1 = randn(4, 3, 5, 6, seed=61, scale=2.0) + 1.0
        x2 = randn(2, 3, 4, 3, seed=62)
        x3 = randn(2, 3, 4, 4, seed=63)
        r = randn(4, 3, 5, 6, seed=64)
        xg = x1.clone().requires_grad_()
        y1 = m(xg)
        (y1 * r).sum().backward()
        after1 = sd(m)
        y2 = m(x2)
        after2 = sd(m)
        m.eval()
        y3 = m(x3)
        exp = {'y1': y1, 'y2': y2, 'y3': y3, 'gx': xg.grad, 'gweight': m.weight.grad, 'gbias': m.bias.grad}
        exp.update({f'{k}@1': v for k, v in after1.items()})
        exp.update({f'{k}@2': v for k, v in after2.items()})
        cases.append(C(f'batchnorm2d momentum={momentum}', 'BatchNorm2d', {'num_features': 3, 'momentum': momentum},
                       {'x1': x1, 'x2': x2, 'x3': x3, 'r': r, **init}, exp))
    # GroupNorm / LayerNorm
    m = nn.GroupNorm(2, 6)
    randomize(m, 70)
    x = randn(2, 6, 3, 4, seed=71)
    cases.append(C('groupnorm', 'GroupNorm', {'num_groups': 2, 'num_channels': 6}, {'x': x, **sd(m)}, {'y': m(x)}))
    m = nn.LayerNorm([4, 5], eps=1e-4)
    randomize(m, 72)
    x = randn(2, 3, 4, 5, seed=73, scale=3.0)
    cases.append(C('layernorm', 'LayerNorm', {'normalized_shape': [4, 5], 'eps': 1e-4}, {'x': x, **sd(m)}, {'y': m(x)}))
    # Embedding with padding_idx: forward and the weight gradient (padding row gets none).
    m = nn.Embedding(10, 4, padding_idx=2)
    randomize(m, 80)
    idx = torch.tensor([[1, 2, 9], [0, 2, 5]])
    y = m(idx)
    r = randn(2, 3, 4, seed=81)
    (y * r).sum().backward()
    cases.append(C('embedding padding', 'Embedding', {'num': 10, 'dim': 4, 'padding_idx': 2}, {'idx': idx, 'r': r, **sd(m)}, {'y': y, 'gweight': m.weight.grad}))
    # MultiheadAttention
    cases += mha_cases()
    cases += sdpa_cases()
    # Activation modules
    x = randn(3, 4, seed=90, scale=2.0)
    acts = {'ReLU': nn.ReLU(), 'LeakyReLU': nn.LeakyReLU(0.2), 'SiLU': nn.SiLU(), 'GELU': nn.GELU(), 'GELUtanh': nn.GELU(approximate='tanh'),
            'Sigmoid': nn.Sigmoid(), 'Tanh': nn.Tanh(), 'Softplus': nn.Softplus(2, 3), 'ELU': nn.ELU(0.5)}
    cases.append(C('activations', 'activations', {}, {'x': x}, {k: m(x) for k, m in acts.items()}))
    return cases


def mha_cases():
    cases = []
    # seq-first, cross attention, key padding mask + boolean attn mask (True = masked)
    m = nn.MultiheadAttention(8, 2)
    randomize(m, 100)
    q, k, v = randn(5, 3, 8, seed=101), randn(4, 3, 8, seed=102), randn(4, 3, 8, seed=103)
    kpm = torch.tensor([[False, False, True, False], [False, False, False, False], [True, False, False, True]])
    am = torch.tensor([[False, True, False, False], [False, False, False, True], [True, False, False, False], [False, False, False, False], [False, True, True, False]])
    out, w = m(q, k, v, key_padding_mask=kpm, attn_mask=am)
    cases.append(C('mha seq-first masks', 'MultiheadAttention', {'embed_dim': 8, 'num_heads': 2, 'batch_first': False},
                   {'q': q, 'k': k, 'v': v, 'key_padding_mask': kpm, 'attn_mask': am, **sd(m)}, {'out': out, 'weights': w}))
    # batch-first self-attention, float causal mask, per-head weights
    m = nn.MultiheadAttention(8, 4, batch_first=True)
    randomize(m, 110)
    x = randn(2, 5, 8, seed=111)
    am = torch.triu(torch.full((5, 5), float('-inf')), diagonal=1)
    out, w = m(x, x, x, attn_mask=am, average_attn_weights=False)
    cases.append(C('mha batch-first causal', 'MultiheadAttention', {'embed_dim': 8, 'num_heads': 4, 'batch_first': True, 'average_attn_weights': False},
                   {'q': x, 'k': x, 'v': x, 'attn_mask': am, **sd(m)}, {'out': out, 'weights': w}))
    # kdim/vdim differ → separate projection weights
    m = nn.MultiheadAttention(6, 2, kdim=4, vdim=5)
    randomize(m, 120)
    q, k, v = randn(3, 2, 6, seed=121), randn(4, 2, 4, seed=122), randn(4, 2, 5, seed=123)
    out, w = m(q, k, v)
    cases.append(C('mha kdim vdim', 'MultiheadAttention', {'embed_dim': 6, 'num_heads': 2, 'kdim': 4, 'vdim': 5},
                   {'q': q, 'k': k, 'v': v, **sd(m)}, {'out': out, 'weights': w}))
    # unbatched, no bias
    m = nn.MultiheadAttention(8, 2, bias=False)
    randomize(m, 130)
    q = randn(5, 8, seed=131)
    out, w = m(q, q, q)
    cases.append(C('mha unbatched nobias', 'MultiheadAttention', {'embed_dim': 8, 'num_heads': 2, 'bias': False},
                   {'q': q, 'k': q, 'v': q, **sd(m)}, {'out': out, 'weights': w}))
    return cases


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    """torch 2's F.scaled_dot_product_attention, written out (torch 1.13 has no public SDPA)."""
    L, S = q.shape[-2], k.shape[-2]
    s = scale if scale is not None else 1 / math.sqrt(q.shape[-1])
    att = q @ k.transpose(-2, -1) * s
    if causal:
        att = att.masked_fill(~torch.ones(L, S, dtype=torch.bool).tril(), float('-inf'))
    if mask is not None:
        att = att.masked_fill(~mask, float('-inf')) if mask.dtype == torch.bool else att + mask
    return torch.softmax(att, -1) @ v


def sdpa_cases():
    q, k, v = randn(2, 3, 5, 4, seed=140), randn(2, 3, 6, 4, seed=141), randn(2, 3, 6, 3, seed=142)
    bmask = torch.rand(5, 6, generator=torch.Generator().manual_seed(143)) > 0.4
    bmask[:, 0] = True
    fmask = randn(2, 1, 5, 6, seed=144)
    out = []
    for name, kw in [('plain', {}), ('causal', {'causal': True}), ('bool mask', {'mask': bmask}), ('float mask', {'mask': fmask}), ('scale', {'scale': 0.3})]:
        t = {'q': q, 'k': k, 'v': v}
        if 'mask' in kw:
            t['mask'] = kw['mask']
        out.append(C(f'sdpa {name}', 'sdpa', {'is_causal': kw.get('causal', False), 'scale': kw.get('scale')}, t, {'y': sdpa_ref(q, k, v, **kw)}))
    return out


# ---------------------------------------------------------------- losses
def loss_case(name, fn, args, inputs, grad_of, extra=None):
    """Loss value and gradients w.r.t. the tensors named in grad_of; 'none' reductions backpropagate a fixed gout."""
    ts = {k: (v.clone().requires_grad_() if k in grad_of else v) for k, v in inputs.items()}
    loss = fn(ts)
    gout = randn(*loss.shape, seed=999) if loss.dim() > 0 else None
    (loss * gout).sum().backward() if gout is not None else loss.backward()
    tensors = dict(inputs)
    if gout is not None:
        tensors['gout'] = gout
    exp = {'loss': loss}
    exp.update({f'g{k}': ts[k].grad for k in grad_of})
    return C(name, 'loss', {'fn': name.split(' ')[0], **args, **(extra or {})}, tensors, exp)


def loss_cases():
    cases = []
    x, t = randn(3, 4, seed=200), randn(3, 4, seed=201)
    for red in ('mean', 'sum', 'none'):
        cases.append(loss_case(f'mse {red}', lambda d, r=red: F.mse_loss(d['input'], d['target'], reduction=r), {'reduction': red}, {'input': x, 'target': t}, ['input', 'target']))
        cases.append(loss_case(f'l1 {red}', lambda d, r=red: F.l1_loss(d['input'], d['target'], reduction=r), {'reduction': red}, {'input': x, 'target': t}, ['input', 'target']))
    for beta in (1.0, 0.5, 0.0):
        cases.append(loss_case(f'smoothL1 beta={beta}', lambda d, b=beta: F.smooth_l1_loss(d['input'], d['target'], beta=b), {'beta': beta}, {'input': x, 'target': t}, ['input', 'target']))
    cases.append(loss_case('huber delta=0.7', lambda d: F.huber_loss(d['input'], d['target'], delta=0.7), {'delta': 0.7}, {'input': x, 'target': t}, ['input']))
    # cross entropy / nll on (N, C) and (N, C, H, W)
    logits = randn(6, 5, seed=210, scale=2.0)
    tgt = torch.tensor([0, 4, 2, -100, 1, 2])
    w = torch.rand(5, generator=torch.Generator().manual_seed(211)) + 0.5
    ce = [('plain', {}), ('weight', {'weight': True}), ('ignore', {'ignore_index': 2}), ('smooth', {'label_smoothing': 0.2}),
          ('weight smooth', {'weight': True, 'label_smoothing': 0.1}), ('sum', {'reduction': 'sum', 'label_smoothing': 0.3}),
          ('none weight smooth', {'reduction': 'none', 'weight': True, 'label_smoothing': 0.15})]
    for name, a in ce:
        def fn(d, a=a):
            return F.cross_entropy(d['input'], d['target'], weight=d['weight'] if a.get('weight') else None, ignore_index=a.get('ignore_index', -100),
                                   reduction=a.get('reduction', 'mean'), label_smoothing=a.get('label_smoothing', 0.0))
        target = tgt.clone()
        if 'ignore_index' in a:
            target[3] = 3  # -100 would be out of range when another index is ignored
        cases.append(loss_case(f'crossEntropy {name}', fn, a, {'input': logits, 'target': target, 'weight': w}, ['input']))
    x4 = randn(2, 3, 2, 3, seed=212)
    t4 = torch.tensor([[[0, 1, 2], [2, 2, 1]], [[1, 0, -100], [0, 2, 1]]])
    w3 = torch.tensor([0.5, 2.0, 1.0])
    cases.append(loss_case('crossEntropy 4d weight smooth', lambda d: F.cross_entropy(d['input'], d['target'], weight=d['weight'], label_smoothing=0.1),
                           {'weight': True, 'label_smoothing': 0.1}, {'input': x4, 'target': t4, 'weight': w3}, ['input']))
    probs = torch.softmax(randn(4, 5, seed=213), 1)
    cases.append(loss_case('crossEntropy probs smooth weight', lambda d: F.cross_entropy(d['input'], d['target'], weight=d['weight'], label_smoothing=0.2),
                           {'weight': True, 'label_smoothing': 0.2}, {'input': logits[:4], 'target': probs, 'weight': w}, ['input']))
    cases.append(loss_case('crossEntropy unbatched', lambda d: F.cross_entropy(d['input'], d['target']), {}, {'input': logits[0], 'target': torch.tensor(3)}, ['input']))
    logp = torch.log_softmax(logits, 1)
    for red in ('mean', 'sum', 'none'):
        cases.append(loss_case(f'nll {red}', lambda d, r=red: F.nll_loss(d['input'], d['target'], weight=d['weight'], reduction=r),
                               {'weight': True, 'reduction': red}, {'input': logp, 'target': tgt, 'weight': w}, ['input']))
    # BCE with logits (incl. large magnitudes)
    z = torch.cat([randn(3, 4, seed=220, scale=3.0), torch.tensor([[40.0, -40.0, 0.0, 1e-3]])])
    y = (torch.rand(4, 4, generator=torch.Generator().manual_seed(221)) > 0.5).float()
    y[0, 0] = 0.3
    pw = torch.tensor([1.0, 3.0, 0.5, 2.0])
    ew = torch.rand(4, 4, generator=torch.Generator().manual_seed(222)) + 0.5
    for name, a in [('plain', {}), ('posWeight', {'pos_weight': True}), ('weight posWeight sum', {'pos_weight': True, 'weight': True, 'reduction': 'sum'}), ('none', {'reduction': 'none'})]:
        def fn(d, a=a):
            return F.binary_cross_entropy_with_logits(d['input'], d['target'], weight=d['weight'] if a.get('weight') else None,
                                                      pos_weight=d['pos_weight'] if a.get('pos_weight') else None, reduction=a.get('reduction', 'mean'))
        cases.append(loss_case(f'bceWithLogits {name}', fn, a, {'input': z, 'target': y, 'weight': ew, 'pos_weight': pw}, ['input', 'target']))
    p = torch.sigmoid(randn(3, 4, seed=230))
    cases.append(loss_case('bce weight', lambda d: F.binary_cross_entropy(d['input'], d['target'], weight=d['weight']), {'weight': True},
                           {'input': p, 'target': y[:3], 'weight': ew[:3]}, ['input']))
    return cases


# ---------------------------------------------------------------- optimizers, clipping, schedulers
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2))
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def optim_cases():
    cases = []
    torch.manual_seed(0)
    net = Net()
    randomize(net, 300, scale=0.2)  # moderate logits: a well-conditioned run (diverging runs amplify rounding)
    init = sd(net)
    x = randn(4, 3, 8, 8, seed=301)
    y = torch.tensor([0, 2, 1, 2])
    configs = [
        ('sgd nesterov', 'SGD', {'lr': 0.02, 'momentum': 0.9, 'nesterov': True, 'weight_decay': 1e-4}),
        ('adam', 'Adam', {'lr': 1e-2}),
        ('adamw', 'AdamW', {'lr': 1e-2, 'weight_decay': 0.05}),
        ('adam amsgrad wd', 'Adam', {'lr': 5e-3, 'betas': [0.8, 0.99], 'weight_decay': 1e-3, 'amsgrad': True}),
        ('sgd groups dampening', 'SGD', {'groups': [{'params': 'features', 'lr': 0.02, 'momentum': 0.9, 'dampening': 0.3}, {'params': 'head', 'lr': 0.05}]}),
    ]
    for name, cls, opts in configs:
        net.load_state_dict(init)
        kw = {k: (tuple(v) if k == 'betas' else v) for k, v in opts.items() if k != 'groups'}
        if 'groups' in opts:
            groups = [{**{k: v for k, v in g.items() if k != 'params'}, 'params': getattr(net, g['params']).parameters()} for g in opts['groups']]
            opt = getattr(torch.optim, cls)(groups)
        else:
            opt = getattr(torch.optim, cls)(net.parameters(), **kw)
        losses = []
        for _ in range(5):
            opt.zero_grad()
            loss = F.cross_entropy(net(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        final = {f'final.{k}': v for k, v in sd(net).items()}
        state_keys = sorted({k for s in opt.state.values() for k in s})
        cases.append(C(f'train {name}', cls, {'options': opts, 'state_keys': state_keys}, {'x': x, 'y': y, **init}, {'losses': losses, **final}))
    # clip_grad_norm_
    for norm_type, max_norm in [(2.0, 1.0), (float('inf'), 0.5), (1.5, 0.8), (2.0, 100.0)]:
        gs = [randn(3, 4, seed=310), randn(5, seed=311), randn(2, 2, 2, seed=312)]
        ps = [torch.zeros_like(g, requires_grad=True) for g in gs]
        for p, g in zip(ps, gs):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        nt = 'inf' if norm_type == float('inf') else norm_type
        cases.append(C(f'clip norm={nt} max={max_norm}', 'clipGradNorm', {'norm_type': nt, 'max_norm': max_norm},
                       {f'g{i}': g for i, g in enumerate(gs)}, {'total': total, **{f'g{i}': p.grad for i, p in enumerate(ps)}}))
    # lr schedulers
    scheds = [
        ('CosineAnnealingLR', {'T_max': 4, 'eta_min': 0.01}, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.01), 14),
        ('LinearLR', {'start_factor': 0.25, 'end_factor': 1.0, 'total_iters': 4}, lambda o: torch.optim.lr_scheduler.LinearLR(o, start_factor=0.25, total_iters=4), 10),
        ('StepLR', {'step_size': 3, 'gamma': 0.5}, lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), 10),
        ('LambdaLR', {'lambda': '0.95 ** epoch'}, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 0.95 ** e), 10),
    ]
    for name, args, make, n in scheds:
        p1, p2 = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
        opt = torch.optim.SGD([{'params': [p1]}, {'params': [p2], 'lr': 0.03}], lr=0.1)
        s = make(opt)
        seq = [s.get_last_lr()]
        for _ in range(n):
            opt.step()
            s.step()
            seq.append(s.get_last_lr())
        cases.append(C(f'sched {name}', name, args, {}, {'lrs': seq}))
    return cases


write('nn/modules', module_cases(), 'tools/reference/gen_nn.py')
write('nn/losses', loss_cases(), 'tools/reference/gen_nn.py')
write('nn/optim', optim_cases(), 'tools/reference/gen_nn.py')
