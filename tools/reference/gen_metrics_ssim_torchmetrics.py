"""SSIM / MS-SSIM references from torchmetrics' own source, for both of its border conventions, plus gradients.

Run: /usr/bin/python3 tools/reference/gen_metrics_ssim_torchmetrics.py
  → packages/metrics/fixtures/ssim-torchmetrics.json

torchmetrics is not installed here. Its `functional/image/ssim.py` and `functional/image/utils.py` are taken from a
git checkout (TORCHMETRICS_GIT, default the fetched mirror /work/.mirror/Lightning-AI+torchmetrics/repo) at two
revisions and imported under minimal stubs:
- 'legacy'  = tag v1.4.1, the last release whose score is the mean of the SSIM map cropped by (k-1)/2 on each side;
- 'current' = the checkout's HEAD (commit recorded in the fixture), after PR #2721 (issue #2718, first released in
  v1.4.2 and in every 1.5+): the score is the mean of the full reflect-padded H x W map (the contrast-sensitivity
  term used by MS-SSIM is still cropped).
Stubs (nothing else of torchmetrics is imported): empty package __init__ files;
`torchmetrics.utilities.checks._check_same_shape` (raises on different shapes);
`torchmetrics.utilities.distributed.reduce` ('elementwise_mean' -> mean, 'sum' -> sum, 'none'/None -> identity).
The fetched code is used only here, in a temporary folder; it is not committed.

Contents:
- cases: every image pair of fixtures/fullref.json (same crops / gamma / data range), SSIM per version with
  reduction='none', MS-SSIM (5 scales, normalize='relu' as both versions default) where the images are >= 176 px.
- gradients of 1 - mean SSIM (and of 1 - mean MS-SSIM with 3 scales, betas (0.0448, 0.2856, 0.3001)) w.r.t. preds,
  by torch autograd through the same torchmetrics source, on inputs from a closed formula (FORMULA below, float32
  values) that the TypeScript test reproduces; and the same for the 'skimage' and 'wang' conventions, whose
  formulas are written here in torch (valid-region filtering; uniform 7x7 window with sample covariance / Gaussian
  sigma 1.5 truncated at 3.5 sigma with population covariance) and checked against skimage.metrics.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'metrics', 'fixtures')
TM_GIT = os.environ.get('TORCHMETRICS_GIT', '/work/.mirror/Lightning-AI+torchmetrics/repo')
REVISIONS = {'legacy': 'v1.4.1', 'current': 'HEAD'}
MS3 = (0.0448, 0.2856, 0.3001)
FORMULA = ('a[i] = f32(0.5 + 0.35 sin(0.61 i + 0.2) cos(0.037 i)), b[i] = f32(a[i] + 0.15 sin(1.7 i + 0.4)), '
           'i = flat NCHW index')
STUBS = {
    'torchmetrics/__init__.py': '',
    'torchmetrics/functional/__init__.py': '',
    'torchmetrics/functional/image/__init__.py': '',
    'torchmetrics/utilities/__init__.py': '',
    'torchmetrics/utilities/checks.py': (
        'def _check_same_shape(preds, target):\n'
        '    if preds.shape != target.shape:\n'
        '        raise RuntimeError(f"shapes differ: {preds.shape} vs {target.shape}")\n'),
    'torchmetrics/utilities/distributed.py': (
        'import torch\n'
        'def reduce(x, reduction):\n'
        '    if reduction == "elementwise_mean":\n'
        '        return torch.mean(x)\n'
        '    if reduction == "sum":\n'
        '        return torch.sum(x)\n'
        '    return x\n'),
}


def formula_pair(shape):
    n = int(np.prod(shape))
    i = np.arange(n, dtype=np.float64)
    a = (0.5 + 0.35 * np.sin(0.61 * i + 0.2) * np.cos(0.037 * i)).astype(np.float32)
    b = (a.astype(np.float64) + 0.15 * np.sin(1.7 * i + 0.4)).astype(np.float32)
    t = lambda v: torch.from_numpy(v.astype(np.float64).reshape(shape))
    return t(a), t(b)


def load(name, crop, scale, gamma=None):
    img = np.asarray(Image.open(os.path.join(FIX, 'images', name)).convert('RGB'), dtype=np.float64)
    grey = np.all(img[..., 0] == img[..., 1]) and np.all(img[..., 0] == img[..., 2])
    a = img[..., :1] if grey else img
    a = a.transpose(2, 0, 1)
    if crop:
        y, x, h, w = crop
        a = a[:, y:y + h, x:x + w]
    a = a / 255.0 if scale == 1 else a
    if gamma:
        a = a ** gamma
    return torch.from_numpy(np.ascontiguousarray(a))[None]


def worker(src_dir):
    """Runs inside a subprocess whose sys.path holds one torchmetrics revision; job on stdin, JSON on stdout."""
    sys.path.insert(0, src_dir)
    from torchmetrics.functional.image.ssim import (multiscale_structural_similarity_index_measure as msssim,
                                                     structural_similarity_index_measure as ssim)
    job = json.load(sys.stdin)
    out = {'cases': [], 'gradients': {}}
    for c in job['cases']:
        a = load(c['a'], c.get('cropA'), c['dataRange'])
        b = load(c['a'], c.get('cropA'), 1, c['gamma']) if c.get('gamma') else load(c['b'], c.get('cropB'), c['dataRange'])
        r = {'name': c['name'], 'ssim': ssim(b, a, data_range=float(c['dataRange']), reduction='none').tolist()}
        if c.get('msSsim') is not None:
            r['msSsim'] = msssim(b, a, data_range=float(c['dataRange']), reduction='none').tolist()
        out['cases'].append(r)
    a, b = formula_pair(job['ssimShape'])
    a.requires_grad_(True)
    (1 - ssim(a, b, data_range=1.0)).backward()
    out['gradients']['ssim'] = {'value': float(ssim(a.detach(), b, data_range=1.0)), 'grad': a.grad.flatten().tolist()}
    a, b = formula_pair(job['msShape'])
    a.requires_grad_(True)
    (1 - msssim(a, b, data_range=1.0, betas=MS3)).backward()
    out['gradients']['msSsim'] = {'value': float(msssim(a.detach(), b, data_range=1.0, betas=MS3)), 'grad': a.grad.flatten().tolist()}
    json.dump(out, sys.stdout)


def run_revision(rev, job):
    commit = subprocess.check_output(['git', '--git-dir', TM_GIT, 'rev-parse', rev], text=True).strip()
    with tempfile.TemporaryDirectory(prefix='radix-tm-') as tmp:
        for rel, text in STUBS.items():
            os.makedirs(os.path.dirname(os.path.join(tmp, rel)), exist_ok=True)
            with open(os.path.join(tmp, rel), 'w') as f:
                f.write(text)
        for name in ('ssim.py', 'utils.py'):
            text = subprocess.check_output(['git', '--git-dir', TM_GIT, 'show', f'{commit}:src/torchmetrics/functional/image/{name}'], text=True)
            with open(os.path.join(tmp, 'torchmetrics', 'functional', 'image', name), 'w') as f:
                f.write(text)
        res = subprocess.run([sys.executable, __file__, '--worker', tmp], input=json.dumps(job), capture_output=True, text=True, check=True)
    out = json.loads(res.stdout)
    out['commit'] = commit
    return out


def valid_ssim(x, y, kernel, cov_norm, data_range=1.0, k1=0.01, k2=0.03):
    """SSIM over the valid region (no padding): skimage's and Wang et al.'s convention, per image."""
    c = x.shape[1]
    w = kernel.expand(c, 1, *kernel.shape).contiguous()
    f = lambda t: F.conv2d(t, w, groups=c)
    mx, my = f(x), f(y)
    vx = (f(x * x) - mx * mx) * cov_norm
    vy = (f(y * y) - my * my) * cov_norm
    vxy = (f(x * y) - mx * my) * cov_norm
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    s = ((2 * mx * my + c1) * (2 * vxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.reshape(s.shape[0], -1).mean(-1)


def formula_gradients(shape):
    """Gradients of 1 - SSIM for the skimage and wang conventions, with the forward checked against skimage."""
    from skimage.metrics import structural_similarity
    g = torch.arange(-5, 6, dtype=torch.float64)
    g = torch.exp(-(g / 1.5) ** 2 / 2)
    g = torch.outer(g, g) / g.sum() ** 2
    conv = {'skimage': (torch.full((7, 7), 1 / 49, dtype=torch.float64), 49 / 48), 'wang': (g, 1.0)}
    out = {}
    for mode, (kernel, cov_norm) in conv.items():
        a, b = formula_pair(shape)
        a.requires_grad_(True)
        v = valid_ssim(a, b, kernel, cov_norm)
        ref = structural_similarity(a.detach()[0].numpy(), b[0].numpy(), data_range=1.0, channel_axis=0,
                                    **({} if mode == 'skimage' else {'gaussian_weights': True, 'sigma': 1.5, 'use_sample_covariance': False}))
        assert abs(float(v) - ref) < 1e-12, (mode, float(v), ref)
        (1 - v.mean()).backward()
        out[mode] = {'value': float(v), 'grad': a.grad.flatten().tolist()}
    return out


def rounded(xs):
    return [float(f'{x:.9g}') for x in xs]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--worker':
        return worker(sys.argv[2])
    with open(os.path.join(FIX, 'fullref.json')) as f:
        cases = json.load(f)['cases']
    job = {'cases': cases, 'ssimShape': [1, 2, 16, 18], 'msShape': [1, 1, 44, 46]}
    versions = {k: run_revision(rev, job) for k, rev in REVISIONS.items()}
    out_cases = []
    for i, c in enumerate(cases):
        e = {'name': c['name']}
        for k, v in versions.items():
            e[k] = {key: val for key, val in v['cases'][i].items() if key != 'name'}
        out_cases.append(e)
    grads = {f'torchmetrics-{k}' if k == 'legacy' else 'torchmetrics': v['gradients'] for k, v in versions.items()}
    for conv in grads.values():
        for g in conv.values():
            g['grad'] = rounded(g['grad'])
    for mode, g in formula_gradients(job['ssimShape']).items():
        grads[mode] = {'ssim': {'value': g['value'], 'grad': rounded(g['grad'])}}
    body = {
        'generator': 'tools/reference/gen_metrics_ssim_torchmetrics.py',
        'torch': torch.__version__,
        'torchmetrics': {k: {'revision': REVISIONS[k], 'commit': v['commit']} for k, v in versions.items()},
        'stubs': sorted(STUBS),
        'formula': FORMULA,
        'ssimShape': job['ssimShape'],
        'msShape': job['msShape'],
        'msBetas': list(MS3),
        'cases': out_cases,
        'gradients': grads,
    }
    path = os.path.join(FIX, 'ssim-torchmetrics.json')
    with open(path + '.tmp', 'w') as f:
        json.dump(body, f, separators=(',', ':'))
    os.replace(path + '.tmp', path)
    print(f'wrote {path}: {os.path.getsize(path)} bytes', file=sys.stderr)


if __name__ == '__main__':
    main()
