"""References for @radix/metrics' networks, from the reference projects' own code with deterministic weights.

Run: /usr/bin/python3 tools/reference/gen_metrics_networks.py   (about two minutes on the CPU)
Writes to packages/metrics/fixtures/networks/:
- torchvision.json: torchvision 0.14 VGG16 (fc2 before / after ReLU, logits; input [1, 3, 32, 32]) and ResNet-50 (layer1..4
  channel means, pool, logits; input [2, 3, 64, 64]) under the HASH formula weights below, on FORMULA inputs; plus every state-dict key and shape of the
  real-width torchvision vgg16() and resnet50() (the key mapping the .pth loaders must accept).
- phv.json: the perceptual hash value (PHV) of the Adaptive Supervised PatchNCE paper, computed by that repository's
  own `util/perceptual.py` (PerceptualHashValue, network='resnet50', layers layer_1..layer_4, resize=False,
  instance_normalized=False) as its `evaluate.py` calls it (images from skimage.io + to_tensor, so in [0, 1], one
  image per call), for several thresholds T; torchvision.models.resnet50 is stubbed to return the HASH-weight network
  instead of downloading ImageNet weights.
- inception-grad.json: the gradient of sum(pool3 * w) w.r.t. the input of pytorch-fid's own fid_inception_v3()
  (its load_state_dict_from_url stubbed to return the LCG formula weights of fixtures/inception/FORMULA-WEIGHTS.md).
- lpips-grad.json: the gradient of the LPIPS v0.1 distance w.r.t. both inputs from the `lpips` package's own LPIPS
  module (richzhang/PerceptualSimilarity), its torchvision alexnet/vgg16 stubbed to return the deterministic backbone
  of gen_metrics_fullref.py and model_path pointing at the committed fixtures/fullref-lpips-lin-{alex,vgg}.pth.

Fetched sources (used from a temporary folder, never committed): pytorch-fid, AdaptiveSupervisedPatchNCE and
PerceptualSimilarity at the commits recorded in each fixture; their git dirs default to the fetched mirrors under
/work/.mirror (PYTORCH_FID_GIT, ASP_GIT, LPIPS_GIT override).

HASH formula weights (torchvision state dicts; mirrored by packages/metrics/src/features/formula-weights.ts):
keys without `num_batches_tracked`, sorted as strings; key k, element i (row-major):
  h = fmix32((i * 0x9E3779B1) xor ((k + 1) * 0x85EBCA77))   (32-bit wrap-around; fmix32 = MurmurHash3's finaliser)
  u = h / 2^32 * 2 - 1
  batch-norm (a module with running_mean): weight 1 + 0.1u, bias 0.1u, running_mean 0.1u, running_var 1 + 0.25(u + 1);
  other 4-D weights u * sqrt(6 / fan_in); 2-D weights u * sqrt(3 / fan_in); other biases 0.01u;
  num_batches_tracked 0. Values in float64, rounded to float32.
FORMULA inputs: x[i] = f32(0.5 + 0.45 sin(0.37 i + 0.3) cos(0.011 i)) for the flat NCHW index i, then ImageNet-normalised
((x - mean) / std per channel, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225)) in float32.
"""
import importlib
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torchvision
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'metrics', 'fixtures')
OUT = os.path.join(FIX, 'networks')
GITS = {
    'pytorch-fid': os.environ.get('PYTORCH_FID_GIT', '/work/.mirror/mseitzer+pytorch-fid/repo'),
    'asp': os.environ.get('ASP_GIT', '/work/.mirror/lifangda01+AdaptiveSupervisedPatchNCE/repo'),
    'lpips': os.environ.get('LPIPS_GIT', '/work/.mirror/richzhang+PerceptualSimilarity/repo'),
}
SAMPLES = 64
MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
U32 = np.uint32


def fmix32(h):
    h = h ^ (h >> U32(16))
    h = h * U32(0x85EBCA6B)
    h = h ^ (h >> U32(13))
    h = h * U32(0xC2B2AE35)
    return h ^ (h >> U32(16))


def hash_uniform(k, n):
    i = np.arange(n, dtype=np.uint32)
    with np.errstate(over='ignore'):
        h = fmix32((i * U32(0x9E3779B1)) ^ U32(((k + 1) * 0x85EBCA77) & 0xFFFFFFFF))
    return h.astype(np.float64) / 2 ** 32 * 2 - 1


def hash_weights(sd):
    keys = sorted(k for k in sd if not k.endswith('num_batches_tracked'))
    bn = {k.rsplit('.', 1)[0] for k in sd if k.endswith('running_mean')}
    out = {}
    for k, name in enumerate(keys):
        t = sd[name]
        n = t.numel()
        u = hash_uniform(k, n)
        mod, leaf = name.rsplit('.', 1)
        if mod in bn:
            v = {'weight': 1 + 0.1 * u, 'bias': 0.1 * u, 'running_mean': 0.1 * u, 'running_var': 1 + 0.25 * (u + 1)}[leaf]
        elif leaf == 'weight':
            v = u * math.sqrt((6 if t.dim() == 4 else 3) / (n // t.shape[0]))
        else:
            v = 0.01 * u
        out[name] = torch.from_numpy(v.astype(np.float32).reshape(t.shape))
    for name in sd:
        if name.endswith('num_batches_tracked'):
            out[name] = torch.zeros_like(sd[name])
    return out


def formula_images(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    return (0.5 + 0.45 * np.sin(0.37 * i + 0.3) * np.cos(0.011 * i)).astype(np.float32).reshape(shape)


def imagenet(x):
    return torch.from_numpy(((x - MEAN.reshape(1, 3, 1, 1)) / STD.reshape(1, 3, 1, 1)).astype(np.float32))


def sample_idx(n, seed):
    return np.random.RandomState(seed).randint(0, n, size=SAMPLES)


def summary(t, seed):
    a = t.detach().double().numpy().ravel()
    idx = sample_idx(a.size, seed)
    w = np.sin(0.1 * np.arange(a.size))
    return {'shape': list(t.shape), 'mean': float(a.mean()), 'std': float(a.std()), 'dot': float(a @ w),
            'sampleIndex': idx.tolist(), 'samples': a[idx].tolist()}


def commit(name):
    return subprocess.check_output(['git', '--git-dir', GITS[name], 'rev-parse', 'HEAD'], text=True).strip()


def extract(name, paths, dest):
    c = commit(name)
    for p in paths:
        text = subprocess.check_output(['git', '--git-dir', GITS[name], 'show', f'{c}:{p}'])
        full = os.path.join(dest, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'wb') as f:
            f.write(text)
    return c


def write(name, body):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path + '.tmp', 'w') as f:
        json.dump(body, f, separators=(',', ':'))
    os.replace(path + '.tmp', path)
    print(f'wrote {path}: {os.path.getsize(path)} bytes', file=sys.stderr)


def hash_net(ctor):
    m = ctor()
    m.load_state_dict(hash_weights(m.state_dict()))
    return m.eval()


def torchvision_part():
    shape = [2, 3, 64, 64]
    vgg_shape = [1, 3, 32, 32]
    x = imagenet(formula_images(shape))
    xv = imagenet(formula_images(vgg_shape))
    out = {'inputShape': shape, 'vggInputShape': vgg_shape, 'nets': {}, 'keys': {}}
    with torch.no_grad():
        vgg = hash_net(torchvision.models.vgg16)
        feats = vgg.avgpool(vgg.features(xv)).flatten(1)
        fc2 = vgg.classifier[3](vgg.classifier[2](vgg.classifier[1](vgg.classifier[0](feats))))
        logits = vgg(xv)
        out['nets']['vgg16'] = {'fc2': summary(fc2, 1), 'fc2_relu': summary(torch.relu(fc2), 1), 'logits': summary(logits, 2)}
        res = hash_net(torchvision.models.resnet50)
        h = res.maxpool(res.relu(res.bn1(res.conv1(x))))
        r = {}
        for i, layer in enumerate([res.layer1, res.layer2, res.layer3, res.layer4], start=1):
            h = layer(h)
            r[f'layer{i}'] = summary(h.mean(dim=[2, 3]), 10 + i)
        r['pool'] = summary(torch.flatten(res.avgpool(h), 1), 20)
        r['logits'] = summary(res(x), 21)
        out['nets']['resnet50'] = r
    for name, ctor in [('vgg16', torchvision.models.vgg16), ('resnet50', torchvision.models.resnet50)]:
        sd = ctor().state_dict()
        out['keys'][name] = [[k, list(v.shape)] for k, v in sd.items()]
    out['torch'] = torch.__version__
    out['torchvision'] = torchvision.__version__
    out['weights'] = 'HASH formula (see tools/reference/gen_metrics_networks.py)'
    out['input'] = 'FORMULA images, ImageNet-normalised'
    write('torchvision.json', out)


def load_image_crop(y, x, h, w):
    img = np.asarray(Image.open(os.path.join(FIX, 'images', 'ihc.png')).convert('RGB'))
    return img[y:y + h, x:x + w]


def phv_part(tmp):
    c = extract('asp', ['util/perceptual.py'], tmp)
    sys.path.insert(0, tmp)
    spec = importlib.util.spec_from_file_location('asp_perceptual', os.path.join(tmp, 'util', 'perceptual.py'))
    mod = importlib.util.module_from_spec(spec)
    net = hash_net(torchvision.models.resnet50)
    real_resnet50 = torchvision.models.resnet50
    torchvision.models.resnet50 = lambda pretrained=False, **kw: net
    try:
        spec.loader.exec_module(mod)
        from torchvision.transforms.functional import to_tensor
        pairs = [
            {'real': [300, 300, 64, 64], 'fake': [300, 300, 64, 64], 'gamma': 1.1},
            {'real': [10, 20, 64, 64], 'fake': [12, 20, 64, 64], 'gamma': 1.0},
            {'real': [100, 200, 96, 64], 'fake': [100, 200, 96, 64], 'gamma': 0.8},
        ]
        thresholds = [0.005, 0.01, 0.05, 0.2]
        layers = ['layer_1', 'layer_2', 'layer_3', 'layer_4']
        cases = []
        for p in pairs:
            real = to_tensor(load_image_crop(*p['real']))
            fake = to_tensor(load_image_crop(*p['fake']))
            if p['gamma'] != 1.0:
                fake = fake ** p['gamma']
                fake = torch.from_numpy(fake.numpy().astype(np.float32))
            case = {**p, 'phv': {}, 'near': {}}
            for t in thresholds:
                phv = mod.PerceptualHashValue(T=t, network='resnet50', layers=layers, resize=False, resize_mode='bilinear',
                                              instance_normalized=False)
                with torch.no_grad():
                    case['phv'][str(t)] = phv(fake, real)
                    # channel means of both images, to count decisions within float32 noise of the threshold
                    feats = [phv.model(mod.apply_imagenet_normalization(v)) for v in (fake, real)]
                    case['near'][str(t)] = [int(((feats[0][L].mean(dim=[2, 3]) - feats[1][L].mean(dim=[2, 3])).abs() - t).abs().lt(1e-4 * max(t, 1)).sum())
                                            for L in layers]
            cases.append(case)
    finally:
        torchvision.models.resnet50 = real_resnet50
        sys.path.remove(tmp)
    write('phv.json', {'source': 'lifangda01/AdaptiveSupervisedPatchNCE util/perceptual.py', 'commit': c,
                       'stubs': ['torchvision.models.resnet50 -> HASH-weight resnet50'],
                       'call': "PerceptualHashValue(T, network='resnet50', layers=[layer_1..layer_4], resize=False, instance_normalized=False)(fake, real), fake/real = to_tensor(uint8 HxWx3) (gamma applied to fake in float)",
                       'image': 'fixtures/images/ihc.png crops [y, x, h, w]', 'thresholds': [0.005, 0.01, 0.05, 0.2],
                       'torch': torch.__version__, 'cases': cases})


def lcg_uniform(k, n):
    """u_i of the LCG s <- (1664525 s + 1013904223) mod 2^32 from s = (k * 2654435761 + 12345) mod 2^32, vectorised by
    blocks: s_{i+B} = A s_i + C with A, C the B-fold composition of the step."""
    a, c, m = 1664525, 1013904223, 2 ** 32
    s = (k * 2654435761 + 12345) % m
    block = min(n, 4096)
    first = np.empty(block, dtype=np.uint64)
    for i in range(block):
        s = (a * s + c) % m
        first[i] = s
    big_a, big_c = 1, 0
    for _ in range(block):
        big_a, big_c = (a * big_a) % m, (a * big_c + c) % m
    out = np.empty(n, dtype=np.uint64)
    cur = first
    for start in range(0, n, block):
        take = min(block, n - start)
        out[start:start + take] = cur[:take]
        cur = (cur * np.uint64(big_a) + np.uint64(big_c)) % np.uint64(m)
    return out.astype(np.float64) / m * 2 - 1


def lcg_inception_weights(sd):
    keys = sorted(k for k in sd if not k.endswith('num_batches_tracked'))
    out = {}
    for k, name in enumerate(keys):
        t = sd[name]
        u = lcg_uniform(k, t.numel())
        if name.endswith('conv.weight'):
            v = u * math.sqrt(6 / (t.shape[1] * t.shape[2] * t.shape[3]))
        elif name.endswith('bn.weight'):
            v = 1 + 0.1 * u
        elif name.endswith('bn.bias') or name.endswith('bn.running_mean'):
            v = 0.1 * u
        elif name.endswith('bn.running_var'):
            v = 1 + 0.25 * (u + 1)
        elif name == 'fc.weight':
            v = u * math.sqrt(3 / 2048)
        else:
            v = 0.01 * u
        out[name] = torch.from_numpy(v.astype(np.float32).reshape(t.shape))
    for name in sd:
        if name.endswith('num_batches_tracked'):
            out[name] = torch.zeros_like(sd[name])
    return out


def inception_part(tmp):
    c = extract('pytorch-fid', ['src/pytorch_fid/inception.py'], tmp)
    spec = importlib.util.spec_from_file_location('pfid_inception', os.path.join(tmp, 'src', 'pytorch_fid', 'inception.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    # The patched blocks have torchvision's keys and shapes, so the formula is computed from torchvision's Inception3.
    weights = lcg_inception_weights(mod._inception_v3(num_classes=1008, aux_logits=False, weights=None).state_dict())
    mod.load_state_dict_from_url = lambda url, progress=True: weights
    net = mod.fid_inception_v3().eval()
    shape = [1, 3, 75, 75]
    x = torch.from_numpy(formula_images(shape) * 2 - 1).requires_grad_(True)
    w = torch.from_numpy(np.sin(0.37 * np.arange(2048) + 0.1).astype(np.float32))
    # The blocks up to the global average pool (pool3), in the order pytorch-fid's InceptionV3 wrapper runs them.
    h = x
    for name in ['Conv2d_1a_3x3', 'Conv2d_2a_3x3', 'Conv2d_2b_3x3', 'maxpool1', 'Conv2d_3b_1x1', 'Conv2d_4a_3x3', 'maxpool2',
                 'Mixed_5b', 'Mixed_5c', 'Mixed_5d', 'Mixed_6a', 'Mixed_6b', 'Mixed_6c', 'Mixed_6d', 'Mixed_6e',
                 'Mixed_7a', 'Mixed_7b', 'Mixed_7c', 'avgpool']:
        h = getattr(net, name)(h)
    pool3 = h.flatten(1)
    loss = (pool3[0] * w).sum()
    loss.backward()
    write('inception-grad.json', {'source': 'mseitzer/pytorch-fid src/pytorch_fid/inception.py fid_inception_v3()', 'commit': c,
                                  'stubs': ['load_state_dict_from_url -> LCG formula weights (fixtures/inception/FORMULA-WEIGHTS.md)'],
                                  'input': 'FORMULA images * 2 - 1, shape [1, 3, 75, 75]', 'loss': 'sum(pool3[0] * w), w[j] = f32(sin(0.37 j + 0.1))',
                                  'torch': torch.__version__, 'value': float(loss), 'grad': summary(x.grad, 30)})


def lpips_part(tmp):
    c = extract('lpips', ['lpips/__init__.py', 'lpips/lpips.py', 'lpips/pretrained_networks.py', 'lpips/trainer.py'], tmp)
    sys.path.insert(0, ROOT + '/tools/reference')
    sys.path.insert(0, tmp)
    import gen_metrics_fullref as fr
    import lpips
    from lpips import pretrained_networks as pn
    real = (pn.tv.alexnet, pn.tv.vgg16)
    out = {'source': 'richzhang/PerceptualSimilarity lpips.LPIPS(net, version=0.1, model_path=fixtures/fullref-lpips-lin-NET.pth)',
           'commit': c, 'stubs': ['torchvision.models.alexnet / vgg16 (as lpips.pretrained_networks calls them) -> the deterministic '
                                  'backbone of gen_metrics_fullref.py (float32)'],
           'input': 'FORMULA images (without ImageNet normalisation) * 2 - 1, shape [2, 3, 48, 40]; loss = sum of the two distances',
           'torch': torch.__version__, 'nets': {}}
    try:
        for net in ('alex', 'vgg'):
            tv_model = (torchvision.models.alexnet if net == 'alex' else torchvision.models.vgg16)()
            tv_model.features = fr.backbone(net).float()

            def ctor(pretrained=True, m=tv_model, **kw):
                return m
            pn.tv.alexnet, pn.tv.vgg16 = (ctor, real[1]) if net == 'alex' else (real[0], ctor)
            model = lpips.LPIPS(net=net, version='0.1', model_path=os.path.join(FIX, f'fullref-lpips-lin-{net}.pth'), verbose=False)
            shape = [2, 3, 48, 40]
            x0 = torch.from_numpy(formula_images(shape) * 2 - 1).requires_grad_(True)
            x1 = torch.from_numpy(np.ascontiguousarray(formula_images(shape)[:, :, ::-1, :]) * 2 - 1).requires_grad_(True)
            d = model(x0, x1).flatten()
            d.sum().backward()
            out['nets'][net] = {'values': d.detach().double().tolist(), 'grad0': summary(x0.grad, 40), 'grad1': summary(x1.grad, 41)}
    finally:
        pn.tv.alexnet, pn.tv.vgg16 = real
        sys.path.remove(tmp)
    out['x1'] = 'x0 flipped along H (rows reversed)'
    write('lpips-grad.json', out)


def main():
    torch.set_grad_enabled(True)
    torchvision_part()
    with tempfile.TemporaryDirectory(prefix='radix-nets-') as tmp:
        phv_part(os.path.join(tmp, 'asp'))
        inception_part(os.path.join(tmp, 'pfid'))
        lpips_part(os.path.join(tmp, 'lpips'))


if __name__ == '__main__':
    main()
