# PyTorch side of bench/diffusion.mjs: our own reimplementation of diffusers' UNet2DModel for the block types the bench
# uses (DownBlock2D, AttnDownBlock2D, UNetMidBlock2D, AttnUpBlock2D, UpBlock2D; ResnetBlock2D with GroupNorm + SiLU +
# time embedding, Downsample2D = strided conv, Upsample2D = nearest ×2 + conv, spatial self-attention with a
# residual), with diffusers' state-dict keys, so it can be checked against a fixture written by diffusers' own code.
#
# Usage: python3 diffusion-torch.py SPEC_JSON DEVICE REPS THREADS [CHECK_DIR]
#   SPEC_JSON: the spec of diffusion-spec.mjs (plus trainTimesteps per case); DEVICE cpu|cuda.
#   CHECK_DIR: a diffusers fixture folder (config.json, diffusion_pytorch_model.safetensors, io.safetensors): the model
#   is built from its config, loads its weights strictly and its output is compared with the fixture's.
# Prints one JSON object (the last line): median ms per row, and the check's worst error.
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_safetensors(path):
    """A safetensors file as {name: tensor} (F32 / I64 / I32 only), without the safetensors package."""
    with open(path, 'rb') as fh:
        raw = fh.read()
    n = struct.unpack('<Q', raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    kinds = {'F32': np.float32, 'I64': np.int64, 'I32': np.int32}
    out = {}
    for k, v in header.items():
        if k == '__metadata__':
            continue
        a, b = v['data_offsets']
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=kinds[v['dtype']]).reshape(v['shape'])
        out[k] = torch.from_numpy(arr.copy())
    return out


def timestep_embedding(t, dim, flip_sin_to_cos=True, shift=0.0, max_period=10000):
    half = dim // 2
    exponent = -math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / (half - shift)
    args = t.float()[:, None] * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if flip_sin_to_cos:
        emb = torch.cat([emb[:, half:], emb[:, :half]], dim=-1)
    if dim % 2 == 1:
        emb = F.pad(emb, (0, 1, 0, 0))
    return emb


class TimestepEmbedding(nn.Module):
    def __init__(self, cin, dim):
        super().__init__()
        self.linear_1 = nn.Linear(cin, dim)
        self.linear_2 = nn.Linear(dim, dim)

    def forward(self, x):
        return self.linear_2(F.silu(self.linear_1(x)))


class ResnetBlock2D(nn.Module):
    def __init__(self, cin, cout, temb, groups, eps, scale=1.0):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=eps)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(groups, cout, eps=eps)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None
        self.scale = scale

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        if self.conv_shortcut is not None:
            x = self.conv_shortcut(x)
        return (x + h) / self.scale


class Attention(nn.Module):
    """diffusers' Attention as the UNet2D blocks build it: GroupNorm, q/k/v projections, softmax(qkᵀ/√d)v, out, residual."""

    def __init__(self, ch, head_dim, groups, eps, scale=1.0):
        super().__init__()
        self.heads = ch // head_dim
        self.head_dim = head_dim
        self.group_norm = nn.GroupNorm(groups, ch, eps=eps) if groups is not None else None
        self.to_q = nn.Linear(ch, ch)
        self.to_k = nn.Linear(ch, ch)
        self.to_v = nn.Linear(ch, ch)
        self.to_out = nn.ModuleList([nn.Linear(ch, ch)])
        self.scale = scale

    def forward(self, x):
        n, c, h, w = x.shape
        y = self.group_norm(x) if self.group_norm is not None else x
        y = y.reshape(n, c, h * w).transpose(1, 2)
        split = lambda t: t.reshape(n, h * w, self.heads, self.head_dim).transpose(1, 2)
        q, k, v = split(self.to_q(y)), split(self.to_k(y)), split(self.to_v(y))
        a = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(self.head_dim), dim=-1) @ v
        out = self.to_out[0](a.transpose(1, 2).reshape(n, h * w, c)).transpose(1, 2).reshape(n, c, h, w)
        return (out + x) / self.scale


class Downsample2D(nn.Module):
    def __init__(self, ch, padding):
        super().__init__()
        self.padding = padding
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=padding)

    def forward(self, x):
        if self.padding == 0:
            x = F.pad(x, (0, 1, 0, 1))
        return self.conv(x)


class Upsample2D(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))


class DownBlock(nn.Module):
    def __init__(self, cin, cout, temb, layers, attn, down, cfg):
        super().__init__()
        g, eps, hd = cfg['groups'], cfg['eps'], cfg['head_dim'] or cout
        self.resnets = nn.ModuleList([ResnetBlock2D(cin if i == 0 else cout, cout, temb, g, eps) for i in range(layers)])
        self.attentions = nn.ModuleList([Attention(cout, hd, g, eps) for _ in range(layers)]) if attn else None
        self.downsamplers = nn.ModuleList([Downsample2D(cout, cfg['downsample_padding'])]) if down else None

    def forward(self, x, temb):
        skips = []
        for i, r in enumerate(self.resnets):
            x = r(x, temb)
            if self.attentions is not None:
                x = self.attentions[i](x)
            skips.append(x)
        if self.downsamplers is not None:
            x = self.downsamplers[0](x)
            skips.append(x)
        return x, skips


class UpBlock(nn.Module):
    def __init__(self, cin, prev, cout, temb, layers, attn, up, cfg):
        super().__init__()
        g, eps, hd = cfg['groups'], cfg['eps'], cfg['head_dim'] or cout
        self.resnets = nn.ModuleList([
            ResnetBlock2D((prev if i == 0 else cout) + (cin if i == layers - 1 else cout), cout, temb, g, eps) for i in range(layers)
        ])
        self.attentions = nn.ModuleList([Attention(cout, hd, g, eps) for _ in range(layers)]) if attn else None
        self.upsamplers = nn.ModuleList([Upsample2D(cout)]) if up else None

    def forward(self, x, skips, temb):
        for i, r in enumerate(self.resnets):
            x = r(torch.cat([x, skips.pop()], dim=1), temb)
            if self.attentions is not None:
                x = self.attentions[i](x)
        if self.upsamplers is not None:
            x = self.upsamplers[0](x)
        return x


class MidBlock(nn.Module):
    def __init__(self, ch, temb, cfg):
        super().__init__()
        g, eps, hd = cfg['groups'], cfg['eps'], cfg['head_dim'] or ch
        self.attentions = nn.ModuleList([Attention(ch, hd, g, eps)])
        self.resnets = nn.ModuleList([ResnetBlock2D(ch, ch, temb, g, eps), ResnetBlock2D(ch, ch, temb, g, eps)])

    def forward(self, x, temb):
        return self.resnets[1](self.attentions[0](self.resnets[0](x, temb)), temb)


class UNet2D(nn.Module):
    """UNet2DModel for configs with these block types, 'positional' time embedding, 'default' time shift, a mid block with attention."""

    def __init__(self, c):
        super().__init__()
        get = lambda camel, snake, d=None: c.get(camel, c.get(snake, d))
        ch = get('blockOutChannels', 'block_out_channels')
        layers = get('layersPerBlock', 'layers_per_block', 2)
        down_types = get('downBlockTypes', 'down_block_types')
        up_types = get('upBlockTypes', 'up_block_types')
        cfg = {'groups': get('normNumGroups', 'norm_num_groups', 32), 'eps': get('normEps', 'norm_eps', 1e-5),
               'head_dim': get('attentionHeadDim', 'attention_head_dim', 8), 'downsample_padding': get('downsamplePadding', 'downsample_padding', 1)}
        for k, want in [('midBlockType', 'UNetMidBlock2D'), ('resnetTimeScaleShift', 'default'), ('timeEmbeddingType', 'positional')]:
            snake = ''.join('_' + x.lower() if x.isupper() else x for x in k)
            if get(k, snake, want) != want:
                raise ValueError(f'diffusion-torch.py: {k} {get(k, snake)} is not reimplemented')
        if get('numClassEmbeds', 'num_class_embeds') is not None or get('addAttention', 'add_attention', True) is not True:
            raise ValueError('diffusion-torch.py: class embeddings / a mid block without attention are not reimplemented')
        self.flip = get('flipSinToCos', 'flip_sin_to_cos', True)
        self.shift = get('freqShift', 'freq_shift', 0)
        self.ch0 = ch[0]
        temb = get('timeEmbeddingDim', 'time_embedding_dim') or ch[0] * 4
        self.conv_in = nn.Conv2d(get('inChannels', 'in_channels', 3), ch[0], 3, padding=1)
        self.time_embedding = TimestepEmbedding(ch[0], temb)
        last = len(ch) - 1
        downs, out = [], ch[0]
        for i, t in enumerate(down_types):
            cin, out = out, ch[i]
            downs.append(DownBlock(cin, out, temb, layers, t == 'AttnDownBlock2D', i != last, cfg))
        self.down_blocks = nn.ModuleList(downs)
        rev = list(reversed(ch))
        ups, out = [], rev[0]
        for i, t in enumerate(up_types):
            prev, out = out, rev[i]
            ups.append(UpBlock(rev[min(i + 1, last)], prev, out, temb, layers + 1, t == 'AttnUpBlock2D', i != last, cfg))
        self.up_blocks = nn.ModuleList(ups)
        self.mid_block = MidBlock(ch[-1], temb, cfg)
        self.conv_norm_out = nn.GroupNorm(cfg['groups'], ch[0], eps=cfg['eps'])
        self.conv_out = nn.Conv2d(ch[0], get('outChannels', 'out_channels', 3), 3, padding=1)

    def forward(self, x, t):
        emb = self.time_embedding(timestep_embedding(t, self.ch0, self.flip, self.shift))
        x = self.conv_in(x)
        skips = [x]
        for b in self.down_blocks:
            x, s = b(x, emb)
            skips += s
        x = self.mid_block(x, emb)
        for b in self.up_blocks:
            k = len(b.resnets)
            mine, skips = skips[len(skips) - k:], skips[:len(skips) - k]
            x = b(x, mine, emb)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


def check(folder):
    """Worst |ours − diffusers| of the output (and of the gradient w.r.t. the sample) on a fixture folder written by diffusers."""
    cfg = json.load(open(os.path.join(folder, 'config.json')))
    net = UNet2D(cfg)
    net.load_state_dict(read_safetensors(os.path.join(folder, 'diffusion_pytorch_model.safetensors')), strict=True)
    io = read_safetensors(os.path.join(folder, 'io.safetensors'))
    x = io['sample'].clone().requires_grad_()
    out = net(x, io['timesteps'])
    # The fixture's loss: sum(output · sin(0.1 · flat index)).
    (out * torch.sin(0.1 * torch.arange(out.numel(), dtype=torch.float32)).reshape(out.shape)).sum().backward()
    return {'fixture': os.path.relpath(folder), 'outputMaxAbsErr': float((out - io['output']).abs().max()),
            'outputMaxAbs': float(io['output'].abs().max()), 'gradSampleMaxAbsErr': float((x.grad - io['grad.sample']).abs().max())}


def main():
    spec = json.loads(sys.argv[1])
    device = sys.argv[2] if len(sys.argv) > 2 else 'cpu'
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dev = torch.device(device)
    res = {'torch': torch.__version__, 'device': device, 'threads': torch.get_num_threads(), 'rows': {}}
    if len(sys.argv) > 5:
        res['check'] = check(sys.argv[5])
    if dev.type == 'cuda':
        res['adapter'] = torch.cuda.get_device_name(0)

    def sync():
        if dev.type == 'cuda':
            torch.cuda.synchronize()

    def timed(fn, warmup, n):
        for _ in range(warmup):
            fn()
        sync()
        samples = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            sync()
            samples.append((time.perf_counter() - t) * 1000)
        samples.sort()
        m = len(samples)
        return samples[m // 2] if m % 2 else (samples[m // 2 - 1] + samples[m // 2]) / 2

    T = spec['numTrainTimesteps']
    betas = torch.linspace(spec['betaStart'], spec['betaEnd'], T, dtype=torch.float32)
    ac = torch.cumprod(1 - betas, 0).to(dev)
    for case in spec['cases']:
        s, b = case['size'], case['batch']
        net = UNet2D(spec['unet']).to(dev)
        opt = torch.optim.AdamW(net.parameters(), lr=spec['lr'], betas=tuple(spec['betas']), weight_decay=spec['weightDecay'], eps=spec['adamEps'])
        x0 = torch.rand(b, 3, s, s, device=dev) * 2 - 1
        noise = torch.randn_like(x0)
        t = torch.tensor(case['trainTimesteps'], device=dev, dtype=torch.int64)

        def step():
            a = ac[t][:, None, None, None]
            noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise
            loss = F.mse_loss(net(noisy, t), noise)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

        res['rows'][f'train step {s}² ×{b}'] = timed(step, 1, reps)
        # DDIM, 'leading' spacing, η = 0, clip_sample, set_alpha_to_one (diffusers' DDIMScheduler defaults).
        n = spec['ddimSteps']
        ratio = T // n
        steps = [i * ratio for i in reversed(range(n))]
        xT = torch.randn(b, 3, s, s, device=dev)
        net.eval()

        def sample():
            with torch.no_grad():
                x = xT
                for tt in steps:
                    eps = net(x, torch.full((b,), tt, device=dev, dtype=torch.int64))
                    at = ac[tt]
                    ap = ac[tt - ratio] if tt - ratio >= 0 else torch.tensor(1.0, device=dev)
                    x0p = ((x - (1 - at).sqrt() * eps) / at.sqrt()).clamp(-1, 1)
                    x = ap.sqrt() * x0p + (1 - ap).sqrt() * eps
                return x

        # Warm-up: one forward at this shape (a whole extra sampling run would double the bench's length).
        with torch.no_grad():
            net(xT, torch.full((b,), steps[0], device=dev, dtype=torch.int64))
        res['rows'][f'DDIM {n} steps {s}² ×{b}'] = timed(sample, 0, 2)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
