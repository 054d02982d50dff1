"""Annealed Langevin dynamics and denoising-score-matching fixtures from ncsnv2's own code, for @radix/diffusion's NCSNScheduler.

Run: /usr/bin/python3 tools/reference/gen_ncsn_langevin.py
  → packages/diffusion/fixtures/ncsn/langevin.json

ncsnv2 (Song & Ermon 2020, github.com/ermongroup/ncsnv2) is not installed here. Its models/__init__.py (get_sigmas,
anneal_Langevin_dynamics) and losses/dsm.py (anneal_dsm_score_estimation) are taken from a git checkout (NCSNV2_GIT,
default the fetched mirror /work/.mirror/ermongroup+ncsnv2/repo, at NCSNV2_COMMIT or HEAD; the commit is recorded in the
fixture) into a temporary folder and imported as they are; the fetched code is never committed. Both files import only
torch and numpy. The one stub: torch.randn_like is replaced, while ncsnv2's functions run, by a function returning the
next tensor of an explicit noise queue, so every Langevin step's noise (and the DSM perturbation) is stored and replayed
by the test.

Langevin cases: x_mod (the initial samples) and the noise are standard-normal draws from numpy's default_rng(seed),
stored as float32. The "score network" is the analytic score of a Gaussian mixture perturbed by the level's noise,
    s(x, σ) = Σ_k w_k(x)·(μ_k − x)/(s_k² + σ²),  w = softmax_k(log π_k − ‖x − μ_k‖²/(2(s_k² + σ²)) − (D/2)·log(s_k² + σ²)),
evaluated in float32 torch ops with σ = sigmas[labels] (ncsnv2 passes the level index as `labels`). Stored: config, the
float32 sigmas from ncsnv2's get_sigmas, init, every step's noise, and every image anneal_Langevin_dynamics returns
(final_only=False: one per Langevin step, plus the denoised one when denoise=True).

DSM case: anneal_dsm_score_estimation(scorenet, samples, sigmas, labels, anneal_power=2) with explicit labels and
noise, scorenet(x, y) = (0.5·x + 0.1·y)/sigmas[y] (the NCSNv2 convention: the network's output divided by σ).
"""
import importlib
import json
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'diffusion', 'fixtures', 'ncsn', 'langevin.json')
GIT = os.environ.get('NCSNV2_GIT', '/work/.mirror/ermongroup+ncsnv2/repo')
COMMIT = os.environ.get('NCSNV2_COMMIT', 'HEAD')


def git(*args):
    return subprocess.run(['git', '--git-dir', GIT, *args], check=True, capture_output=True, text=True).stdout


def load_ncsnv2():
    commit = git('rev-parse', COMMIT).strip()
    tmp = tempfile.mkdtemp(prefix='radix-ncsnv2-')
    for rel in ['models/__init__.py', 'losses/__init__.py', 'losses/dsm.py']:
        os.makedirs(os.path.join(tmp, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(tmp, rel), 'w') as f:
            f.write(git('show', f'{commit}:{rel}'))
    sys.path.insert(0, tmp)
    models = importlib.import_module('models')
    dsm = importlib.import_module('losses.dsm')
    return commit, models, dsm


class NoiseQueue:
    """Replaces torch.randn_like while ncsnv2's code runs: returns the queued tensors in order."""

    def __init__(self, tensors):
        self.queue = list(tensors)
        self.real = torch.randn_like

    def __enter__(self):
        def fake(t, *args, **kwargs):
            if not self.queue:
                raise RuntimeError('randn_like called with an empty noise queue')
            z = self.queue.pop(0)
            assert tuple(z.shape) == tuple(t.shape), (z.shape, t.shape)
            return z.clone()
        torch.randn_like = fake
        return self

    def __exit__(self, *exc):
        torch.randn_like = self.real
        assert not self.queue, f'{len(self.queue)} queued noise tensors were not used'


def mixture_score(weights, means, stds, sigmas):
    """The analytic score of the σ-perturbed mixture, per sample, in float32 torch ops."""
    logw = torch.tensor(np.log(weights), dtype=torch.float32)
    mu = torch.tensor(means, dtype=torch.float32)  # [K, D]
    s2 = torch.tensor(np.square(stds), dtype=torch.float32)  # [K]

    def score(x, labels):
        b = x.shape[0]
        flat = x.reshape(b, -1)  # [B, D]
        d = flat.shape[1]
        sig = sigmas[labels].reshape(b, 1)  # [B, 1]
        v = s2.reshape(1, -1) + sig * sig  # [B, K]
        diff = mu.reshape(1, *mu.shape) - flat.reshape(b, 1, d)  # [B, K, D]
        logits = logw.reshape(1, -1) - (diff * diff).sum(-1) / (2 * v) - (d / 2) * torch.log(v)
        w = torch.softmax(logits, dim=1)  # [B, K]
        out = (w.reshape(b, -1, 1) * diff / v.reshape(b, -1, 1)).sum(1)
        return out.reshape(x.shape)
    return score


def langevin_case(models, name, shape, mixture, sigma_begin, sigma_end, num_classes, sigma_dist, n_steps_each, step_lr, denoise, seed):
    cfg = types.SimpleNamespace(model=types.SimpleNamespace(sigma_dist=sigma_dist, sigma_begin=sigma_begin, sigma_end=sigma_end,
                                                            num_classes=num_classes), device='cpu')
    sigmas = models.get_sigmas(cfg)
    rng = np.random.default_rng(seed)
    x0 = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    noises = [torch.from_numpy(rng.standard_normal(shape).astype(np.float32)) for _ in range(num_classes * n_steps_each)]
    score = mixture_score(mixture['weights'], mixture['means'], mixture['stds'], sigmas)
    with NoiseQueue(noises):
        images = models.anneal_Langevin_dynamics(x0.clone(), score, sigmas.cpu().numpy(), n_steps_each=n_steps_each,
                                                 step_lr=step_lr, final_only=False, verbose=False, denoise=denoise)
    return {
        'name': name, 'shape': list(shape), 'mixture': mixture,
        'config': {'sigma_begin': sigma_begin, 'sigma_end': sigma_end, 'num_classes': num_classes, 'sigma_dist': sigma_dist,
                   'n_steps_each': n_steps_each, 'step_lr': step_lr, 'denoise': denoise},
        'sigmas': sigmas.tolist(),
        'init': x0.flatten().tolist(),
        'noise': [z.flatten().tolist() for z in noises],
        'images': [im.flatten().tolist() for im in images],
    }


def dsm_case(models, dsm):
    cfg = types.SimpleNamespace(model=types.SimpleNamespace(sigma_dist='geometric', sigma_begin=2.0, sigma_end=0.05, num_classes=6),
                                device='cpu')
    sigmas = models.get_sigmas(cfg)
    rng = np.random.default_rng(5)
    shape = (4, 1, 2, 3)
    samples = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    noise = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    labels = torch.tensor([0, 3, 5, 2])

    def scorenet(x, y):
        return (0.5 * x + 0.1 * y.float().reshape(-1, 1, 1, 1)) / sigmas[y].reshape(-1, 1, 1, 1)
    per = []
    with NoiseQueue([noise]):
        loss = dsm.anneal_dsm_score_estimation(scorenet, samples, sigmas, labels, 2.0, hook=lambda l, _y: per.append(l.detach().clone()))
    return {
        'config': {'sigma_begin': 2.0, 'sigma_end': 0.05, 'num_classes': 6, 'sigma_dist': 'geometric', 'anneal_power': 2.0},
        'scorenet': '(0.5·x + 0.1·label)/sigmas[label]',
        'sigmas': sigmas.tolist(), 'shape': list(shape), 'samples': samples.flatten().tolist(), 'noise': noise.flatten().tolist(),
        'labels': labels.tolist(), 'per_sample_loss': per[0].tolist(), 'loss': float(loss),
    }


def main():
    commit, models, dsm = load_ncsnv2()
    gmm = {'weights': [0.3, 0.7], 'means': [[-0.6, 0.2], [0.5, -0.3]], 'stds': [0.15, 0.25]}
    single = {'weights': [1.0], 'means': [[0.25, -0.5, 0.0, 0.75]], 'stds': [0.4]}
    cases = [
        langevin_case(models, 'gmm-2d-denoise', (4, 2), gmm, 1.0, 0.1, 3, 'geometric', 4, 0.005, True, 1),
        langevin_case(models, 'gaussian-image-uniform-sigmas', (2, 1, 2, 2), single, 1.5, 0.2, 4, 'uniform', 3, 0.01, False, 2),
    ]
    out = {
        'source': 'ermongroup/ncsnv2', 'commit': commit,
        'files': ['models/__init__.py (get_sigmas, anneal_Langevin_dynamics)', 'losses/dsm.py (anneal_dsm_score_estimation)'],
        'stubs': 'torch.randn_like returns the next tensor of the stored noise queue',
        'generator': 'tools/reference/gen_ncsn_langevin.py', 'torch': torch.__version__, 'numpy': np.__version__,
        'langevin': cases, 'dsm': dsm_case(models, dsm),
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(out, f)
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes), ncsnv2 {commit}')


if __name__ == '__main__':
    main()
