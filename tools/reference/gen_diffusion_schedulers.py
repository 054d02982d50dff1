"""DDPM/DDIM trajectory fixtures from diffusers' own scheduler code, for @radix/diffusion's DDPMScheduler/DDIMScheduler.

Run: /usr/bin/python3 tools/reference/gen_diffusion_schedulers.py
  → packages/diffusion/fixtures/schedulers/trajectories.json

diffusers is not installed here. schedulers/scheduling_ddpm.py and schedulers/scheduling_ddim.py are taken from a git
checkout (DIFFUSERS_GIT, default the fetched mirror /work/.mirror/huggingface+diffusers/repo, at DIFFUSERS_COMMIT or
HEAD; the commit is recorded in the fixture) into a temporary folder and imported under minimal stubs; the fetched
code is never committed.
Stubs: empty package __init__ files; diffusers.configuration_utils (register_to_config binds the call's arguments
with their defaults onto self.config, ConfigMixin empty); diffusers.utils.BaseOutput (empty base of the output
dataclasses); diffusers.utils.torch_utils.randn_tensor (returns the next tensor of an explicit per-step noise queue,
so DDPM's internal draw is replayed exactly); diffusers.schedulers.scheduling_utils (SchedulerMixin empty,
KarrasDiffusionSchedulers a one-member Enum).

Every case runs a whole sampling loop: x_T from the formula noise below, then for each timestep t of
scheduler.timesteps: model_output = f(x, t), x = scheduler.step(model_output, t, x, ...).prev_sample.
Both sides compute f and the noise identically:
  f(x, t) = 0.984375·x + 0.0625·sin(3·x + 0.0078125·t)            (float32 tensor ops, in this order)
  learned variance types append h(x) = 0.5·sigmoid(x) as the second half of the channels.
  noise(seed, k)[i] = float32(√(−2 ln u1)·cos(2π u2)), u1 = (h(seed, k, 2i) + 0.5)/2³², u2 = h(seed, k, 2i+1)/2³²,
  h = the 32-bit integer hash in `hash32` below; k = −1 gives x_T, k = step index gives that step's noise.
DDPM's noise goes through the randn_tensor stub; DDIM's through step(variance_noise=...).

DDIM cases with prev_rule 'schedule' (the next entry of the schedule, Radix's default) cannot be run by diffusers'
DDIM, whose step always reads alphas_cumprod[t − T//N]. For them the generator redirects that one lookup: before each
step it hands step a copy of alphas_cumprod whose entry t − T//N holds ᾱ of the next schedule entry (or sets
final_alpha_cumprod when that index is negative). Everything else in step is diffusers' code.

Each case also runs in float64 (alphas_cumprod, sample, noise and model output as float64 tensors, the same code);
where the float32 and float64 runs differ by more than 5e-5, the float64 trajectory is stored too (`trajectory_f64`),
and `f32_vs_f64` always records that difference.
Stored per case: config, steps, the timesteps diffusers used, the sample at every step listed in `checkpoints`
(float32, base64, concatenated), the final pred_original_sample. Also stored: ᾱ for each β configuration, and
diffusers' set_timesteps output for a grid of spacing × N.
"""
import base64
import importlib
import inspect
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'diffusion', 'fixtures', 'schedulers', 'trajectories.json')
GIT = os.environ.get('DIFFUSERS_GIT', '/work/.mirror/huggingface+diffusers/repo')
COMMIT = os.environ.get('DIFFUSERS_COMMIT', 'HEAD')
REAL = ['schedulers/scheduling_ddpm.py', 'schedulers/scheduling_ddim.py']

STUBS = {
    '__init__.py': '',
    'utils/__init__.py': 'class BaseOutput:\n    pass\n',
    'utils/torch_utils.py': '''
NOISE_QUEUE = []
def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    if not NOISE_QUEUE:
        raise RuntimeError("randn_tensor called with an empty noise queue")
    z = NOISE_QUEUE.pop(0)
    assert tuple(z.shape) == tuple(shape), (z.shape, shape)
    return z
''',
    'configuration_utils.py': '''
import functools, inspect, types
class ConfigMixin:
    pass
def register_to_config(init):
    sig = inspect.signature(init)
    @functools.wraps(init)
    def inner(self, *args, **kwargs):
        bound = sig.bind(self, *args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        values.pop("self")
        self.config = types.SimpleNamespace(**values)
        init(self, *args, **kwargs)
    return inner
''',
    'schedulers/__init__.py': '',
    'schedulers/scheduling_utils.py': '''
from enum import Enum
class KarrasDiffusionSchedulers(Enum):
    DDIMScheduler = 1
class SchedulerMixin:
    pass
''',
}


def git(*args):
    return subprocess.run(['git', '--git-dir', GIT, *args], check=True, capture_output=True, text=True).stdout


def load_diffusers():
    commit = git('rev-parse', COMMIT).strip()
    tmp = tempfile.mkdtemp(prefix='radix-diffusers-')
    pkg = os.path.join(tmp, 'diffusers')
    for rel, text in STUBS.items():
        os.makedirs(os.path.dirname(os.path.join(pkg, rel)), exist_ok=True)
        with open(os.path.join(pkg, rel), 'w') as f:
            f.write(text)
    for rel in REAL:
        with open(os.path.join(pkg, rel), 'w') as f:
            f.write(git('show', f'{commit}:src/diffusers/{rel}'))
    sys.path.insert(0, tmp)
    ddpm = importlib.import_module('diffusers.schedulers.scheduling_ddpm')
    ddim = importlib.import_module('diffusers.schedulers.scheduling_ddim')
    tu = importlib.import_module('diffusers.utils.torch_utils')
    return commit, ddpm.DDPMScheduler, ddim.DDIMScheduler, tu.NOISE_QUEUE


def hash32(a, b, c):
    """A 32-bit integer hash of three integers (murmur3-style finaliser over a combined word); mirrored in the test."""
    h = (a * 0x9E3779B1 + (b + 0x7F4A7C15) * 0x85EBCA77 + c * 0xC2B2AE3D) & 0xFFFFFFFF
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & 0xFFFFFFFF
    h ^= h >> 16
    return h


def formula_noise(seed, k, shape):
    n = int(np.prod(shape))
    out = np.empty(n, dtype=np.float32)
    for i in range(n):
        u1 = (hash32(seed, k, 2 * i) + 0.5) / 4294967296.0
        u2 = hash32(seed, k, 2 * i + 1) / 4294967296.0
        out[i] = math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)
    return torch.from_numpy(out).reshape(shape)


def model(x, t, learned):
    out = x * 0.984375 + torch.sin(x * 3 + t * 0.0078125) * 0.0625
    if learned:
        out = torch.cat([out, torch.sigmoid(x) * 0.5], dim=1)
    return out


def b64(t):
    return base64.b64encode(t.detach().to(torch.float32).contiguous().numpy().tobytes()).decode('ascii')


def checkpoints_for(n):
    if n <= 12:
        return list(range(n))
    stride = max(1, n // 10)
    idx = list(range(0, n, stride))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return idx


def run_case(DDPM, DDIM, queue, case, dtype=torch.float32):
    cfg = dict(case['config'])
    kind = case['scheduler']
    shape = tuple(case['shape'])
    seed = case['seed']
    s = (DDPM if kind == 'ddpm' else DDIM)(**cfg)
    s.set_timesteps(case['steps'])
    ts = [int(t) for t in s.timesteps]
    learned = kind == 'ddpm' and cfg.get('variance_type') in ('learned', 'learned_range')
    if dtype != torch.float32:
        s.alphas_cumprod = s.alphas_cumprod.to(dtype)
        if kind == 'ddim':
            s.final_alpha_cumprod = s.final_alpha_cumprod.to(dtype)
        else:
            s.one = s.one.to(dtype)
    x = formula_noise(seed, -1, shape).to(dtype)
    cps = checkpoints_for(len(ts))
    saved = []
    pred = None
    T = cfg.get('num_train_timesteps', 1000)
    base_alphas = s.alphas_cumprod.clone() if kind == 'ddim' else None
    base_final = s.final_alpha_cumprod.clone() if kind == 'ddim' else None
    for k, t in enumerate(ts):
        out = model(x, t, learned)
        z = formula_noise(seed, k, shape).to(dtype)
        if kind == 'ddpm':
            queue.clear()
            queue.append(z)
            r = s.step(out, t, x)
        else:
            if case['prev_rule'] == 'schedule':
                nxt = ts[k + 1] if k + 1 < len(ts) else -1
                want = base_alphas[nxt] if nxt >= 0 else base_final
                j = t - T // s.num_inference_steps
                a = base_alphas.clone()
                s.final_alpha_cumprod = base_final.clone()
                if j >= 0:
                    a[j] = want
                else:
                    s.final_alpha_cumprod = want.clone()
                s.alphas_cumprod = a
            eta = case.get('eta', 0.0)
            r = s.step(out, t, x, eta=eta, use_clipped_model_output=case.get('use_clipped', False),
                       variance_noise=z if eta > 0 else None)
        x = r.prev_sample
        pred = r.pred_original_sample
        if k in cps:
            saved.append(x)
    traj = torch.cat([v.reshape(-1) for v in saved])
    if dtype != torch.float32:
        return traj, pred
    return {
        **case,
        'timesteps': ts,
        'checkpoints': cps,
        'trajectory': b64(traj),
        'final_pred_original': b64(pred),
        'finite': bool(torch.isfinite(traj).all()),
    }


BETAS = [
    ('linear', {}),
    ('scaled_linear', {'beta_start': 0.00085, 'beta_end': 0.012}),
    ('squaredcos_cap_v2', {}),
    ('sigmoid', {'beta_start': 0.0001, 'beta_end': 0.02}),
]
SPACINGS = ['linspace', 'leading', 'trailing']
PREDS = ['epsilon', 'sample', 'v_prediction']
# clip / thresholding rotate over the cross product so each appears with every schedule and prediction type.
X0_MODES = [
    {'clip_sample': True},
    {'clip_sample': False},
    {'clip_sample': False, 'thresholding': True, 'dynamic_thresholding_ratio': 0.9, 'sample_max_value': 1.5},
    {'clip_sample': True, 'clip_sample_range': 1.25},
]
STEPS = [10, 13, 20, 25, 50]


def cases():
    out = []
    i = 0
    for bname, bextra in BETAS:
        for spacing in SPACINGS:
            for pred in PREDS:
                x0 = X0_MODES[i % len(X0_MODES)]
                thresh = x0.get('thresholding', False)
                steps = STEPS[i % len(STEPS)]
                cfg = {'beta_schedule': bname, **bextra, 'timestep_spacing': spacing, 'prediction_type': pred, **x0}
                out.append({'name': f'ddpm-{bname}-{spacing}-{pred}-{i}', 'scheduler': 'ddpm', 'prev_rule': 'diffusers',
                            'config': dict(cfg), 'steps': steps, 'shape': [2 if thresh else 1, 2, 4, 4], 'seed': 100 + i})
                if bname != 'sigmoid':  # diffusers' DDIMScheduler has no sigmoid βs
                    for rule in ['diffusers', 'schedule']:
                        eta = [0.0, 0.5, 1.0][i % 3]
                        dcfg = dict(cfg)
                        if i % 5 == 2:
                            dcfg['set_alpha_to_one'] = False
                        out.append({'name': f'ddim-{bname}-{spacing}-{pred}-{rule}-{i}', 'scheduler': 'ddim', 'prev_rule': rule,
                                    'config': dcfg, 'steps': steps, 'shape': [2 if thresh else 1, 2, 4, 4], 'seed': 200 + i,
                                    'eta': eta, 'use_clipped': i % 4 == 1})
                i += 1
    # variance types (DDPM), both a leading and a trailing schedule
    for j, vt in enumerate(['fixed_small_log', 'fixed_large', 'fixed_large_log', 'learned', 'learned_range']):
        for spacing in ['leading', 'trailing']:
            out.append({'name': f'ddpm-variance-{vt}-{spacing}', 'scheduler': 'ddpm', 'prev_rule': 'diffusers',
                        'config': {'variance_type': vt, 'timestep_spacing': spacing, 'clip_sample': True},
                        'steps': 20, 'shape': [1, 2, 4, 4], 'seed': 300 + 2 * j + (spacing == 'trailing')})
    # the rest of the config surface
    extra = [
        ('ddpm', 'diffusers', {'timestep_spacing': 'leading', 'steps_offset': 1}, 25, {}),
        ('ddim', 'diffusers', {'timestep_spacing': 'leading', 'steps_offset': 1, 'set_alpha_to_one': False}, 25, {}),
        ('ddim', 'schedule', {'beta_schedule': 'scaled_linear', 'beta_start': 0.00085, 'beta_end': 0.012, 'rescale_betas_zero_snr': True,
                              'prediction_type': 'v_prediction', 'timestep_spacing': 'trailing', 'clip_sample': False}, 10, {}),
        ('ddpm', 'diffusers', {'beta_schedule': 'linear', 'rescale_betas_zero_snr': True, 'prediction_type': 'v_prediction',
                               'timestep_spacing': 'trailing', 'clip_sample': False}, 10, {}),
        ('ddpm', 'diffusers', {'trained_betas': [float(v) for v in np.linspace(0.001, 0.2, 100)], 'num_train_timesteps': 100}, 12, {}),
        ('ddim', 'diffusers', {'num_train_timesteps': 100, 'beta_schedule': 'squaredcos_cap_v2', 'timestep_spacing': 'linspace'}, 7, {'eta': 0.3}),
        ('ddpm', 'diffusers', {'timestep_spacing': 'leading', 'clip_sample': True}, 1000, {}),
        ('ddim', 'diffusers', {'timestep_spacing': 'trailing', 'clip_sample': False}, 1, {}),
        ('ddim', 'diffusers', {'timestep_spacing': 'linspace', 'clip_sample': False, 'thresholding': True}, 50, {'eta': 1.0}),
    ]
    for j, (kind, rule, cfg, steps, opts) in enumerate(extra):
        thresh = cfg.get('thresholding', False)
        out.append({'name': f'{kind}-extra-{j}', 'scheduler': kind, 'prev_rule': rule, 'config': cfg, 'steps': steps,
                    'shape': [2 if thresh else 1, 2, 4, 4], 'seed': 400 + j, **opts})
    return out


def main():
    torch.set_num_threads(1)
    commit, DDPM, DDIM, queue = load_diffusers()
    results = []
    for c in cases():
        r = run_case(DDPM, DDIM, queue, c)
        # The same run in float64: where diffusers' own float32 rounding moves the result by more than 5e-5 (e.g.
        # 1 − ᾱ_{t'} − σ² cancelling at η = 1 on a cosine schedule's first step), the float64 trajectory is stored too.
        t64, p64 = run_case(DDPM, DDIM, queue, c, torch.float64)
        t32 = torch.from_numpy(np.frombuffer(base64.b64decode(r['trajectory']), dtype=np.float32).copy()).double()
        gap = float((t32 - t64).abs().max()) if r['finite'] else 0.0
        r['f32_vs_f64'] = gap
        if gap > 5e-5:
            r['trajectory_f64'] = b64(t64)
            r['final_pred_original_f64'] = b64(p64)
        results.append(r)
    # ᾱ of every β configuration used above
    alphas = []
    for bname, bextra in BETAS:
        for rescale in [False, True]:
            s = DDPM(beta_schedule=bname, rescale_betas_zero_snr=rescale, **bextra)
            alphas.append({'beta_schedule': bname, **bextra, 'rescale_betas_zero_snr': rescale, 'alphas_cumprod': b64(s.alphas_cumprod)})
    # set_timesteps over a grid (DDPM's and DDIM's set_timesteps are the same code; DDPM's is used)
    grid = []
    for spacing in SPACINGS:
        for T in [1000, 100]:
            for n in sorted({1, 2, 3, 7, 10, 13, 25, 50, 61, 99, 100, 103, 121, 250}):
                if n > T:
                    continue
                for off in ([0, 1] if spacing == 'leading' and n < T else [0]):
                    s = DDPM(num_train_timesteps=T, timestep_spacing=spacing, steps_offset=off)
                    s.set_timesteps(n)
                    grid.append({'spacing': spacing, 'T': T, 'n': n, 'steps_offset': off, 'timesteps': [int(v) for v in s.timesteps]})
    doc = {
        'generator': 'tools/reference/gen_diffusion_schedulers.py',
        'reference': f'huggingface/diffusers@{commit} src/diffusers/{", ".join(REAL)} under minimal stubs (see the generator)',
        'torch': torch.__version__,
        'numpy': np.__version__,
        'model': 'f(x, t) = 0.984375*x + 0.0625*sin(3*x + 0.0078125*t); learned variance: cat([f, 0.5*sigmoid(x)], 1)',
        'noise': 'Box-Muller over hash32(seed, k, i); k = -1 for x_T, k = step index for each step',
        'cases': results,
        'alphas': alphas,
        'timestep_grid': grid,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
    print(f'{len(results)} cases, {len(grid)} schedules → {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
