"""References for the downstream classifier of @radix/cli (packages/cli/src/workflow/resnet.ts).

Run: /usr/bin/python3 tools/reference/gen_cli_resnet.py   (a few seconds)
Writes packages/cli/fixtures/resnet/:
- resnet18-w4.pth, resnet34-w2.pth: state dicts (torch.save, zip format) of torchvision 0.14's own
  torchvision.models.resnet.resnet18 / resnet34 built at a reduced width, num_classes 5, with random weights and random
  batch-norm running statistics (seeded).
- expected.json: the eval-mode logits of torchvision's forward on a fixed input [2, 3, 40, 40] for each file.

Reduced width (the only stub): torchvision's resnet module builds its layers through its `nn` name; during
construction that name points at a namespace whose Conv2d, BatchNorm2d and Linear divide every channel count other than
the 3 input channels by 64 / WIDTH (so 64, 128, 256, 512 become WIDTH, 2 WIDTH, 4 WIDTH, 8 WIDTH). Everything else,
including ResNet.__init__, BasicBlock and the forward pass, is torchvision's code.
"""
import json
import os
import sys
import types

import torch
import torchvision
from torchvision.models import resnet as tv_resnet

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'cli', 'fixtures', 'resnet')


def narrow_nn(width):
    f = 64 // width
    s = lambda c: c if c == 3 else c // f
    shim = types.SimpleNamespace(**{k: getattr(torch.nn, k) for k in dir(torch.nn) if not k.startswith('_')})

    class Conv2d(torch.nn.Conv2d):
        def __init__(self, cin, cout, *a, **k):
            super().__init__(s(cin), s(cout), *a, **k)

    class BatchNorm2d(torch.nn.BatchNorm2d):
        def __init__(self, c, *a, **k):
            super().__init__(s(c), *a, **k)

    class Linear(torch.nn.Linear):
        def __init__(self, i, o, *a, **k):
            super().__init__(s(i), o, *a, **k)

    shim.Conv2d, shim.BatchNorm2d, shim.Linear = Conv2d, BatchNorm2d, Linear
    return shim


def build(depth, width, seed):
    torch.manual_seed(seed)
    real = tv_resnet.nn
    tv_resnet.nn = narrow_nn(width)
    try:
        net = getattr(tv_resnet, f'resnet{depth}')(num_classes=5)
    finally:
        tv_resnet.nn = real
    g = torch.Generator().manual_seed(seed + 100)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.copy_(1 + 0.2 * torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
                m.running_mean.copy_(0.1 * torch.randn(m.running_mean.shape, generator=g))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
                m.num_batches_tracked.fill_(7)
    return net.eval()


def main():
    os.makedirs(OUT, exist_ok=True)
    x = torch.linspace(0, 1, 2 * 3 * 40 * 40).reshape(2, 3, 40, 40)
    x = torch.sin(17 * x) * 0.5 + 0.5
    cases = {}
    for depth, width in ((18, 4), (34, 2)):
        net = build(depth, width, seed=depth)
        name = f'resnet{depth}-w{width}.pth'
        torch.save(net.state_dict(), os.path.join(OUT, name))
        with torch.no_grad():
            logits = net(x)
        cases[name] = {'depth': depth, 'width': width, 'numClasses': 5, 'logits': logits.flatten().tolist(),
                       'keys': [[k, list(v.shape)] for k, v in net.state_dict().items()]}
        print(f'{name}: {sum(p.numel() for p in net.parameters())} parameters', file=sys.stderr)
    body = {'generator': 'tools/reference/gen_cli_resnet.py', 'torch': torch.__version__, 'torchvision': torchvision.__version__,
            'stub': 'torchvision.models.resnet.nn narrowed during construction (Conv2d/BatchNorm2d/Linear channels / (64/width))',
            'input': 'x = sin(17 * linspace(0, 1, 2*3*40*40)) * 0.5 + 0.5, shape [2, 3, 40, 40]', 'cases': cases}
    with open(os.path.join(OUT, 'expected.json.tmp'), 'w') as f:
        json.dump(body, f, indent=1)
    os.replace(os.path.join(OUT, 'expected.json.tmp'), os.path.join(OUT, 'expected.json'))


main()
