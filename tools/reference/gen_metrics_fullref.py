"""Reference values for @radix/metrics full-reference metrics (PSNR, SSIM in three modes, MS-SSIM, LPIPS).

Run with Debian's /usr/bin/python3 (scikit-image 0.19, torch 1.13, PIL). Writes
packages/metrics/fixtures/fullref.json, fullref-lpips.json, fullref-lpips-lin-{alex,vgg}.pth and
fixtures/images/camera-noisy.png.

Sources of each number:
- 'skimage' / 'wang' SSIM and PSNR: scikit-image itself (skimage.metrics.structural_similarity with its
  defaults, and with gaussian_weights=True, sigma=1.5, use_sample_covariance=False; peak_signal_noise_ratio).
- 'torchmetrics' SSIM and MS-SSIM (fields ssimTorchmetrics, msSsim): the torchmetrics <= 1.4.1 ('legacy', cropped)
  formula, re-implemented below with torch in float64 (gen_metrics_ssim_torchmetrics.py runs torchmetrics' own source
  for both the legacy and the current convention, and the tests check this formula against it):
  reflect-pad by (k-1)/2, depthwise Gaussian conv (k=11,
  sigma=1.5, population covariance, variances clamped at 0), mean of the map cropped by (k-1)/2;
  MS-SSIM: 5 scales, avg_pool2d(2) between scales, contrast-structure term at scales 1..4 and full SSIM
  at scale 5, both passed through relu ('relu' normalisation, the default), prod(value_i ** beta_i).
- LPIPS: the `lpips` package is NOT installed, so its v0.1 formula (Zhang et al. 2018, lpips.LPIPS(net,
  version='0.1') defaults) is re-implemented in float64: inputs in [-1, 1] -> ScalingLayer (shift
  [-.030, -.088, -.188], scale [.458, .448, .450]) -> torchvision AlexNet (relu1..relu5 = features[0:2], [2:5],
  [5:8], [8:10], [10:12]) or VGG16 (relu1_2 .. relu5_3 = features[0:4], [4:9], [9:16], [16:23], [23:30]) ->
  unit-normalise over channels (eps 1e-10) -> squared difference -> 1x1 conv `linK.model.1.weight` (no bias) ->
  spatial mean -> sum over the 5 taps. No weights can be downloaded here, so the weights come from a closed formula
  (deterministic_weight, mirrored in lpips.test.ts) and the fixture stays small; the linear heads are also written as
  real torch.save files fixtures/fullref-lpips-lin-{alex,vgg}.pth to test loading from a path. Output:
  fixtures/fullref-lpips.json.
- The noisy camera follows scikit-image's test suite (skimage/metrics/tests/test_structural_similarity.py):
  np.random.seed(5); clip(camera + 20 * randn, 0, 255).astype(uint8); data_range from uint8 = 255.
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from PIL import Image
from skimage import data
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'metrics', 'fixtures')
IMAGES = os.path.join(FIX, 'images')
BETAS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def gauss_kernel(k=11, sigma=1.5):
    d = torch.arange((1 - k) / 2, (1 + k) / 2, 1.0, dtype=torch.float64)
    g = torch.exp(-(d / sigma) ** 2 / 2)
    g = g / g.sum()
    return torch.outer(g, g)


def tm_ssim(x, y, data_range, k=11, sigma=1.5, k1=0.01, k2=0.03, want_cs=False):
    """torchmetrics' SSIM formula on NCHW float64 tensors; per-image values (and contrast-sensitivity)."""
    c = x.shape[1]
    p = (k - 1) // 2
    x = F.pad(x, (p, p, p, p), mode='reflect')
    y = F.pad(y, (p, p, p, p), mode='reflect')
    w = gauss_kernel(k, sigma).expand(c, 1, k, k).contiguous()
    out = F.conv2d(torch.cat([x, y, x * x, y * y, x * y]), w, groups=c)
    mx, my, xx, yy, xy = out.split(x.shape[0])
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    vx = torch.clamp(xx - mx * mx, min=0.0)
    vy = torch.clamp(yy - my * my, min=0.0)
    vxy = xy - mx * my
    upper = 2 * vxy + c2
    lower = vx + vy + c2
    full = ((2 * mx * my + c1) * upper) / ((mx * mx + my * my + c1) * lower)
    crop = full[..., p:-p, p:-p]
    s = crop.reshape(crop.shape[0], -1).mean(-1)
    if want_cs:
        cs = (upper / lower)[..., p:-p, p:-p]
        return s, cs.reshape(cs.shape[0], -1).mean(-1)
    return s


def tm_ms_ssim(x, y, data_range, betas=BETAS):
    vals = []
    for i in range(len(betas)):
        s, cs = tm_ssim(x, y, data_range, want_cs=True)
        vals.append(torch.relu(cs))
        x = F.avg_pool2d(x, 2)
        y = F.avg_pool2d(y, 2)
    vals[-1] = torch.relu(s)
    st = torch.stack(vals)
    b = torch.tensor(betas, dtype=torch.float64).view(-1, 1)
    return torch.prod(st ** b, dim=0)


def nchw(img):
    a = img.astype(np.float64)
    if a.ndim == 2:
        a = a[None]
    else:
        a = a.transpose(2, 0, 1)
    return torch.from_numpy(a)[None]


def all_metrics(a, b, data_range, channel_axis=None, msssim=False):
    """Every reference number for one HxW or HxWxC image pair."""
    r = {
        'psnr': float(peak_signal_noise_ratio(a, b, data_range=data_range)),
        'ssimSkimage': float(structural_similarity(a, b, data_range=data_range, channel_axis=channel_axis)),
        'ssimWang': float(structural_similarity(a, b, data_range=data_range, channel_axis=channel_axis,
                                                gaussian_weights=True, sigma=1.5, use_sample_covariance=False)),
        'ssimTorchmetrics': float(tm_ssim(nchw(a), nchw(b), float(data_range))[0]),
    }
    if msssim:
        r['msSsim'] = float(tm_ms_ssim(nchw(a), nchw(b), float(data_range))[0])
    return r


def main():
    cam = data.camera()
    np.random.seed(5)
    noisy = np.clip(cam + 20.0 * np.random.randn(*cam.shape), 0, 255).astype(cam.dtype)
    os.makedirs(IMAGES, exist_ok=True)
    noisy_path = os.path.join(IMAGES, 'camera-noisy.png')
    Image.fromarray(noisy).save(noisy_path + '.tmp.png')
    os.replace(noisy_path + '.tmp.png', noisy_path)
    assert (np.array(Image.open(noisy_path)) == noisy).all()

    cases = []
    # scikit-image's own test case: uint8 images, data_range inferred from the dtype (255).
    c = {'name': 'camera-vs-noisy', 'a': 'camera.png', 'b': 'camera-noisy.png', 'dataRange': 255,
         'crop': None, 'noise': 'np.random.seed(5); clip(camera + 20*randn, 0, 255).astype(uint8)'}
    c.update(all_metrics(cam, noisy, 255, msssim=True))
    c['skimageDefaultNoDataRange'] = float(structural_similarity(cam, noisy))
    cases.append(c)

    ihc = data.immunohistochemistry()
    # Colour: pairs of IHC crops [y, x, h, w] (RGB, channel mean). The second one is big enough for MS-SSIM.
    for name, ca, cb, ms in [
        ('ihc-crops-64', [10, 20, 64, 80], [200, 150, 64, 80], False),
        ('ihc-crops-96', [300, 300, 96, 96], [100, 40, 96, 96], False),
        ('ihc-crops-192', [0, 0, 192, 192], [250, 300, 192, 192], True),
    ]:
        a = ihc[ca[0]:ca[0] + ca[2], ca[1]:ca[1] + ca[3]]
        b = ihc[cb[0]:cb[0] + cb[2], cb[1]:cb[1] + cb[3]]
        c = {'name': name, 'a': 'ihc.png', 'b': 'ihc.png', 'cropA': ca, 'cropB': cb, 'dataRange': 255}
        c.update(all_metrics(a, b, 255, channel_axis=-1, msssim=ms))
        cases.append(c)
    # A float image in [0, 1] with data_range 1: IHC crop vs a gamma-adjusted copy of itself.
    a = ihc[100:164, 100:180].astype(np.float64) / 255.0
    b = a ** 1.3
    c = {'name': 'ihc-gamma-float', 'a': 'ihc.png', 'cropA': [100, 100, 64, 80], 'gamma': 1.3, 'dataRange': 1}
    c.update(all_metrics(a, b, 1.0, channel_axis=-1))
    cases.append(c)

    import skimage
    body = {'generator': 'tools/reference/gen_metrics_fullref.py', 'skimage': skimage.__version__,
            'torch': torch.__version__, 'cases': cases}
    path = os.path.join(FIX, 'fullref.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(body, f, indent=1)
    os.replace(path + '.tmp', path)
    print(json.dumps(body, indent=1), file=sys.stderr)


SHIFT = torch.tensor([-.030, -.088, -.188], dtype=torch.float64).view(1, 3, 1, 1)
SCALE = torch.tensor([.458, .448, .450], dtype=torch.float64).view(1, 3, 1, 1)
SLICES = {'alex': [2, 5, 8, 10, 12], 'vgg': [4, 9, 16, 23, 30]}
CHANNELS = {'alex': [64, 192, 384, 256, 256], 'vgg': [64, 128, 256, 512, 512]}


def deterministic_weight(shape, layer, kind):
    """weight: 2/sqrt(fan_in) * sin(0.7 i + 1.3 L + 0.1) * sin(0.0123 i + 0.5); bias: 0.01 cos(0.9 i + L);
    lin: 0.1 |sin(0.3 i + L)| + 0.01 — rounded to float32."""
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    if kind == 'weight':
        fan_in = n // shape[0]
        v = 2 / math.sqrt(fan_in) * np.sin(0.7 * i + 1.3 * layer + 0.1) * np.sin(0.0123 * i + 0.5)
    elif kind == 'bias':
        v = 0.01 * np.cos(0.9 * i + layer)
    else:
        v = 0.1 * np.abs(np.sin(0.3 * i + layer)) + 0.01
    return torch.from_numpy(v.astype(np.float32).astype(np.float64).reshape(shape))


def backbone(net):
    feats = (torchvision.models.alexnet() if net == 'alex' else torchvision.models.vgg16()).features.double()
    sd = {}
    layer = 0
    for idx, m in enumerate(feats):
        if isinstance(m, torch.nn.Conv2d):
            sd[f'features.{idx}.weight'] = deterministic_weight(tuple(m.weight.shape), layer, 'weight')
            sd[f'features.{idx}.bias'] = deterministic_weight(tuple(m.bias.shape), layer, 'bias')
            layer += 1
    feats.load_state_dict({k[len('features.'):]: v for k, v in sd.items()})
    return feats


def lin_weights(net):
    return {f'lin{k}.model.1.weight': deterministic_weight((1, c, 1, 1), k, 'lin') for k, c in enumerate(CHANNELS[net])}


def lpips_ref(net, x0, x1):
    feats = backbone(net)
    lins = lin_weights(net)
    h0 = (x0 - SHIFT) / SCALE
    h1 = (x1 - SHIFT) / SCALE
    total = torch.zeros(x0.shape[0], dtype=torch.float64)
    start = 0
    for k, end in enumerate(SLICES[net]):
        for m in list(feats)[start:end]:
            h0 = m(h0)
            h1 = m(h1)
        start = end
        n0 = h0 / (torch.sqrt(torch.sum(h0 ** 2, dim=1, keepdim=True)) + 1e-10)
        n1 = h1 / (torch.sqrt(torch.sum(h1 ** 2, dim=1, keepdim=True)) + 1e-10)
        d = F.conv2d((n0 - n1) ** 2, lins[f'lin{k}.model.1.weight'])
        total += d.mean(dim=[1, 2, 3])
    return total


def main_lpips():
    ihc = data.immunohistochemistry().astype(np.float64)
    crops = {'a': [10, 20, 48, 48], 'b': [200, 150, 48, 48]}

    def crop(c):
        y, x, h, w = c
        return torch.from_numpy(ihc[y:y + h, x:x + w].transpose(2, 0, 1).copy())

    a = crop(crops['a']) / 127.5 - 1
    b = crop(crops['b']) / 127.5 - 1
    g = ((a + 1) / 2) ** 1.3 * 2 - 1
    x0 = torch.stack([a, a])
    x1 = torch.stack([b, g])
    out = {'generator': 'tools/reference/gen_metrics_fullref.py', 'torch': torch.__version__,
           'torchvision': torchvision.__version__, 'crops': crops, 'gamma': 1.3,
           'pairs': 'image0 = [cropA, cropA], image1 = [cropB, cropA ** gamma] in [-1, 1]', 'values': {}}
    for net in ('alex', 'vgg'):
        out['values'][net] = [float(v) for v in lpips_ref(net, x0, x1)]
        path = os.path.join(FIX, f'fullref-lpips-lin-{net}.pth')
        torch.save({k: v.float() for k, v in lin_weights(net).items()}, path + '.tmp')
        os.replace(path + '.tmp', path)
    path = os.path.join(FIX, 'fullref-lpips.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(out, f, indent=1)
    os.replace(path + '.tmp', path)
    print(json.dumps(out, indent=1))



if __name__ == '__main__':
    main()
    main_lpips()
