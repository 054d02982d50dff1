"""Reference values for @radix/metrics distribution metrics -> packages/metrics/fixtures/distribution.json.

Run with Debian's /usr/bin/python3 (numpy, scipy 1.10, torch). None of pytorch-fid, torch-fidelity, prdc or
scikit-learn is installed here, so this script implements their documented formulas verbatim with numpy/scipy/torch:
  * FID: pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm(sigma1 @ sigma2, disp=False); if the result
    is not finite, retry with eps*I added to both covariances; take the real part; mu/sigma from np.mean and
    np.cov(rowvar=False)).
  * KID: torch-fidelity's unbiased mmd2 with polynomial_kernel (X @ Y.T * gamma + coef0) ** degree, gamma = 1/d;
    subsets drawn with rng = np.random.RandomState(seed); rng.choice(n, size, replace=False) for real then fake
    per subset; mean and np.std (ddof 0). Evaluated in float64.
  * IS: torch-fidelity's isc_features_to_metric (RandomState(2020).permutation shuffle, double softmax,
    splits i*N//splits, exp of mean KL, np.mean/np.std).
  * precision/recall/density/coverage: the prdc package's formulas (k-th NN radius = (k+1)-th smallest distance
    within the set, strict '<' comparisons), with exact float64 Euclidean distances.
  * balanced accuracy: sklearn's balanced_accuracy_score (mean per-class recall over classes present in y_true).
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import linalg
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'metrics', 'fixtures', 'distribution.json')


def f32(*shape, seed, scale=1.0, shift=0.0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(*shape, generator=g) * scale + shift).numpy().astype(np.float32)


def mat(x):
    # shortest decimal that round-trips the float32 value (readers convert with Float32Array.from)
    assert x.dtype == np.float32
    return {'n': int(x.shape[0]), 'd': int(x.shape[1]), 'data': [float(np.format_float_positional(v, unique=True)) for v in x.ravel()]}


def fid_pytorch_fid(mu1, sigma1, mu2, sigma2, eps=1e-6):
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    retried = False
    if not np.isfinite(covmean).all():
        retried = True
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError('Imaginary component %s' % np.max(np.abs(covmean.imag)))
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean)), retried


def fid_case(name, a, b):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    mu1, s1 = np.mean(a64, axis=0), np.cov(a64, rowvar=False)
    mu2, s2 = np.mean(b64, axis=0), np.cov(b64, rowvar=False)
    fid, retried = fid_pytorch_fid(mu1, s1, mu2, s2)
    c = {'name': name, 'a': mat(a), 'b': mat(b), 'meanA': mu1.tolist(), 'fid': fid, 'retried': retried}
    if a.shape[1] <= 32:
        c['covA'] = s1.ravel().tolist()
    return c


def poly_mmd(x, y, degree=3, gamma=None, coef0=1):
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    kxx = (x @ x.T * gamma + coef0) ** degree
    kyy = (y @ y.T * gamma + coef0) ** degree
    kxy = (x @ y.T * gamma + coef0) ** degree
    m = kxx.shape[0]
    kt_xx = (kxx.sum(axis=1) - np.diagonal(kxx)).sum()
    kt_yy = (kyy.sum(axis=1) - np.diagonal(kyy)).sum()
    return (kt_xx + kt_yy) / (m * (m - 1)) - 2 * kxy.sum(axis=0).sum() / (m * m)


def kid_case(name, real, fake, subsets, size, seed):
    rng = np.random.RandomState(seed)
    ir, ifk, v64 = [], [], []
    for _ in range(subsets):
        a = rng.choice(len(real), size, replace=False)
        b = rng.choice(len(fake), size, replace=False)
        ir.append(a.tolist()); ifk.append(b.tolist())
        v64.append(float(poly_mmd(real[a].astype(np.float64), fake[b].astype(np.float64))))
    return {'name': name, 'real': mat(real), 'fake': mat(fake), 'subsets': subsets, 'subsetSize': size, 'seed': seed,
            'indicesReal': ir, 'indicesFake': ifk, 'values': v64,
            'mean': float(np.mean(v64)), 'std': float(np.std(v64))}


def isc(feature, splits=10, shuffle=True, rng_seed=2020):
    feature = torch.from_numpy(feature)
    n = feature.shape[0]
    if shuffle:
        feature = feature[np.random.RandomState(rng_seed).permutation(n), :]
    feature = feature.double()
    p = feature.softmax(dim=1)
    log_p = feature.log_softmax(dim=1)
    scores = []
    for i in range(splits):
        pc = p[(i * n // splits):((i + 1) * n // splits), :]
        lpc = log_p[(i * n // splits):((i + 1) * n // splits), :]
        q = pc.mean(dim=0, keepdim=True)
        kl = (pc * (lpc - torch.log(q))).sum(dim=1).mean().exp().item()
        scores.append(kl)
    return float(np.mean(scores)), float(np.std(scores)), scores


def pdist(x, y):
    return np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(-1))


def prdc(real, fake, k):
    real, fake = real.astype(np.float64), fake.astype(np.float64)
    rr = np.sort(pdist(real, real), axis=1)[:, k]
    fr = np.sort(pdist(fake, fake), axis=1)[:, k]
    drf = pdist(real, fake)
    precision = (drf < rr[:, None]).any(axis=0).mean()
    recall = (drf < fr[None, :]).any(axis=1).mean()
    density = (1.0 / k) * (drf < rr[:, None]).sum(axis=0).mean()
    coverage = (drf.min(axis=1) < rr).mean()
    return {'precision': float(precision), 'recall': float(recall), 'density': float(density), 'coverage': float(coverage)}


def balanced_accuracy(pred, target):
    classes = np.unique(target)
    return float(np.mean([(pred[target == c] == c).mean() for c in classes]))


def main():
    body = {'generator': 'tools/reference/gen_metrics_distribution.py', 'numpy': np.__version__, 'scipy': scipy.__version__}
    rs = np.random.RandomState(2020)
    body['mt'] = {'seed': 2020, 'permutation50': rs.permutation(50).tolist(), 'choice': rs.choice(1000, 20, replace=False).tolist(),
                  'seed0perm7': np.random.RandomState(0).permutation(7).tolist(),
                  'seedBigPerm300': np.random.RandomState(4294967295).permutation(300).tolist()}
    body['fid'] = [
        fid_case('gaussian d16', f32(200, 16, seed=1), f32(180, 16, seed=2, scale=1.3, shift=0.2)),
        fid_case('correlated d32 large mean', f32(120, 32, seed=3) @ f32(32, 32, seed=4) * np.float32(0.3) + np.float32(5),
                 f32(100, 32, seed=5, scale=0.8, shift=5.1)),
        fid_case('singular n<d', f32(6, 12, seed=6), f32(7, 12, seed=7, shift=0.5)),
        fid_case('ill-conditioned d64', f32(90, 64, seed=8) * np.linspace(0.01, 3, 64, dtype=np.float32), f32(80, 64, seed=9, scale=1.1)),
    ]
    body['kid'] = [kid_case('kid d16', f32(120, 16, seed=10), f32(100, 16, seed=11, scale=1.2, shift=0.1), 5, 50, 2020),
                   kid_case('kid d24 seed 7', f32(80, 24, seed=12, shift=0.3), f32(90, 24, seed=13), 4, 40, 7)]
    logits = f32(103, 50, seed=20, scale=3.0)
    m, s, v = isc(logits)
    m2, s2, v2 = isc(logits, splits=4, shuffle=False)
    body['is'] = {'logits': mat(logits), 'shuffled': {'splits': 10, 'mean': m, 'std': s, 'values': v},
                  'unshuffled4': {'splits': 4, 'mean': m2, 'std': s2, 'values': v2}}
    centres = f32(5, 8, seed=30, scale=3.0)
    real = centres[np.random.RandomState(1).randint(0, 5, 200)] + f32(200, 8, seed=31)
    fake = centres[np.random.RandomState(2).randint(0, 4, 180)] * np.float32(1.1) + f32(180, 8, seed=32, scale=1.4)
    body['prdc'] = {'real': mat(real), 'fake': mat(fake), 'k3': prdc(real, fake, 3), 'k5': prdc(real, fake, 5)}
    pred = np.random.RandomState(3).randint(0, 4, 60)
    target = np.random.RandomState(4).randint(0, 3, 60)
    body['classification'] = {'pred': pred.tolist(), 'target': target.tolist(), 'accuracy': float((pred == target).mean()),
                              'balancedAccuracy': balanced_accuracy(pred, target)}
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT + '.tmp', 'w') as f:
        json.dump(body, f, separators=(',', ':'))
    os.replace(OUT + '.tmp', OUT)
    print('wrote %s (%d bytes)' % (OUT, os.path.getsize(OUT)), file=sys.stderr)
    print('fid', [(c['name'], c['fid'], c['retried']) for c in body['fid']], file=sys.stderr)
    print('prdc', {k: body['prdc'][k] for k in ('k3', 'k5')}, file=sys.stderr)


if __name__ == '__main__':
    main()
