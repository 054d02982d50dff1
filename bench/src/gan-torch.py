# PyTorch side of bench/gan.mjs: our own reimplementation of stylegan2-ada-pytorch's Generator (mapping network with
# normalize_2nd_moment and lr multiplier, 'skip' synthesis with modulated/demodulated convolutions, FIR up/downsampling,
# noise inputs, ToRGB) and its 'resnet' Discriminator (FIR downsampling, minibatch-stddev epilogue), with the original's
# state-dict keys, so it is checked against a fixture written by the original code; one training step (G main, D main,
# D R1 with autograd.grad(create_graph=True)) and generation are timed.
#
# Usage: python3 gan-torch.py SPEC_JSON DEVICE REPS THREADS [FIXTURE_SAFETENSORS FIXTURE_JSON CASE]
# Prints one JSON object (the last line): median ms per row and the fixture check's worst errors.
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SQRT2 = math.sqrt(2)


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
        out[k] = torch.from_numpy(np.frombuffer(raw[8 + n + a:8 + n + b], dtype=kinds[v['dtype']]).reshape(v['shape']).copy())
    return out


# ---- ops: FIR filtering, resampled convolution, bias + activation ----

def setup_filter(f=(1, 3, 3, 1)):
    f = torch.tensor(f, dtype=torch.float32)
    f = torch.outer(f, f)
    return f / f.sum()


def upfirdn2d(x, f, up=1, down=1, pad=(0, 0, 0, 0), gain=1.0):
    """Upsample by zero insertion, pad (negative = crop), convolve with the (flipped) FIR filter, keep every down-th pixel."""
    n, c, h, w = x.shape
    if up > 1:
        x = F.pad(x.reshape(n, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(n, c, h * up, w * up)
    px0, px1, py0, py1 = pad
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0):x.shape[2] - max(-py1, 0), max(-px0, 0):x.shape[3] - max(-px1, 0)]
    f = (f * (gain ** (f.ndim / 2))).flip([0, 1]).to(x.dtype)
    x = F.conv2d(x, f[None, None].repeat(c, 1, 1, 1), groups=c)
    return x[:, :, ::down, ::down] if down > 1 else x


def upsample2d(x, f, up=2):
    fw = f.shape[-1]
    p0, p1 = (fw + up - 1) // 2, (fw - up) // 2
    return upfirdn2d(x, f, up=up, pad=(p0, p1, p0, p1), gain=up * up)


def _conv(x, w, stride=1, padding=0, groups=1, transpose=False, flip_weight=True):
    if not flip_weight:
        w = w.flip([2, 3])
    if transpose:
        return F.conv_transpose2d(x, w, stride=stride, padding=padding, groups=groups)
    return F.conv2d(x, w, stride=stride, padding=padding, groups=groups)


def conv2d_resample(x, w, f=None, up=1, down=1, padding=0, groups=1, flip_weight=True):
    """stylegan2-ada's conv2d_resample: the same fast paths (1×1 + resampling, strided conv, transposed conv + FIR)."""
    cout, cin_g, kh, kw = w.shape
    fw = f.shape[-1] if f is not None else 1
    px0 = px1 = py0 = py1 = padding
    if up > 1:
        px0 += (fw + up - 1) // 2
        px1 += (fw - up) // 2
        py0, py1 = px0, px1
    if down > 1:
        px0 += (fw - down + 1) // 2
        px1 += (fw - down) // 2
        py0, py1 = px0, px1
    if kw == 1 and kh == 1 and down > 1 and up == 1:
        x = upfirdn2d(x, f, down=down, pad=(px0, px1, py0, py1))
        return _conv(x, w, groups=groups, flip_weight=flip_weight)
    if kw == 1 and kh == 1 and up > 1 and down == 1:
        x = _conv(x, w, groups=groups, flip_weight=flip_weight)
        return upfirdn2d(x, f, up=up, pad=(px0, px1, py0, py1), gain=up * up)
    if down > 1 and up == 1:
        x = upfirdn2d(x, f, pad=(px0, px1, py0, py1))
        return _conv(x, w, stride=down, groups=groups, flip_weight=flip_weight)
    if up > 1:
        if groups == 1:
            w = w.transpose(0, 1)
        else:
            w = w.reshape(groups, cout // groups, cin_g, kh, kw).transpose(1, 2).reshape(groups * cin_g, cout // groups, kh, kw)
        px0 -= kw - 1
        px1 -= kw - up
        py0 -= kh - 1
        py1 -= kh - up
        pxt = max(min(-px0, -px1), 0)
        pyt = max(min(-py0, -py1), 0)
        x = _conv(x, w, stride=up, padding=[pyt, pxt], groups=groups, transpose=True, flip_weight=not flip_weight)
        x = upfirdn2d(x, f, pad=(px0 + pxt, px1 + pxt, py0 + pyt, py1 + pyt), gain=up * up)
        return upfirdn2d(x, f, down=down) if down > 1 else x
    if px0 == px1 and py0 == py1 and px0 >= 0 and py0 >= 0:
        return _conv(x, w, padding=[py0, px0], groups=groups, flip_weight=flip_weight)
    x = upfirdn2d(x, f, pad=(px0, px1, py0, py1)) if f is not None else F.pad(x, [px0, px1, py0, py1])
    return _conv(x, w, groups=groups, flip_weight=flip_weight)


def bias_act(x, b, act='linear', gain=None, clamp=None):
    if b is not None:
        x = x + b.reshape([1, -1] + [1] * (x.ndim - 2))
    if act == 'lrelu':
        x = F.leaky_relu(x, 0.2)
    gain = (SQRT2 if act == 'lrelu' else 1.0) if gain is None else gain
    if gain != 1:
        x = x * gain
    if clamp is not None:
        x = x.clamp(-clamp, clamp)
    return x


def normalize_2nd_moment(x, eps=1e-8):
    return x * (x.square().mean(dim=1, keepdim=True) + eps).rsqrt()


def modulated_conv2d(x, weight, styles, noise=None, up=1, padding=0, resample_filter=None, demodulate=True, flip_weight=True, fused=True):
    n = x.shape[0]
    cout, cin, kh, kw = weight.shape
    w = weight.unsqueeze(0) * styles.reshape(n, 1, -1, 1, 1)
    dcoefs = (w.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt() if demodulate else None
    if not fused:
        x = x * styles.reshape(n, -1, 1, 1)
        x = conv2d_resample(x, weight, f=resample_filter, up=up, padding=padding, flip_weight=flip_weight)
        if demodulate:
            x = x * dcoefs.reshape(n, -1, 1, 1)
        return x + noise if noise is not None else x
    if demodulate:
        w = w * dcoefs.reshape(n, -1, 1, 1, 1)
    x = conv2d_resample(x.reshape(1, -1, *x.shape[2:]), w.reshape(-1, cin, kh, kw), f=resample_filter, up=up, padding=padding, groups=n, flip_weight=flip_weight)
    x = x.reshape(n, -1, *x.shape[2:])
    return x + noise if noise is not None else x


# ---- layers (the original's names, parameters and buffers) ----

class FullyConnectedLayer(nn.Module):
    def __init__(self, cin, cout, bias=True, activation='linear', lr_multiplier=1.0, bias_init=0.0):
        super().__init__()
        self.activation = activation
        self.weight = nn.Parameter(torch.randn([cout, cin]) / lr_multiplier)
        self.bias = nn.Parameter(torch.full([cout], float(bias_init))) if bias else None
        self.weight_gain = lr_multiplier / math.sqrt(cin)
        self.bias_gain = lr_multiplier

    def forward(self, x):
        w = self.weight * self.weight_gain
        b = self.bias * self.bias_gain if self.bias is not None else None
        if self.activation == 'linear' and b is not None:
            return torch.addmm(b.unsqueeze(0), x, w.t())
        return bias_act(x.matmul(w.t()), b, act=self.activation)


class Conv2dLayer(nn.Module):
    def __init__(self, cin, cout, k, bias=True, activation='linear', up=1, down=1, conv_clamp=None):
        super().__init__()
        self.activation, self.up, self.down, self.conv_clamp = activation, up, down, conv_clamp
        self.register_buffer('resample_filter', setup_filter())
        self.padding = k // 2
        self.weight_gain = 1 / math.sqrt(cin * k * k)
        self.act_gain = SQRT2 if activation == 'lrelu' else 1.0
        self.weight = nn.Parameter(torch.randn([cout, cin, k, k]))
        self.bias = nn.Parameter(torch.zeros([cout])) if bias else None

    def forward(self, x, gain=1.0):
        x = conv2d_resample(x, self.weight * self.weight_gain, f=self.resample_filter, up=self.up, down=self.down, padding=self.padding, flip_weight=(self.up == 1))
        clamp = self.conv_clamp * gain if self.conv_clamp is not None else None
        return bias_act(x, self.bias, act=self.activation, gain=self.act_gain * gain, clamp=clamp)


class MappingNetwork(nn.Module):
    def __init__(self, z_dim, c_dim, w_dim, num_ws, num_layers=8, lr_multiplier=0.01, w_avg_beta=0.995):
        super().__init__()
        self.z_dim, self.c_dim, self.w_dim, self.num_ws, self.num_layers, self.w_avg_beta = z_dim, c_dim, w_dim, num_ws, num_layers, w_avg_beta
        embed = w_dim if c_dim > 0 else 0
        feats = [z_dim + embed] + [w_dim] * (num_layers - 1) + [w_dim]
        if c_dim > 0:
            self.embed = FullyConnectedLayer(c_dim, embed)
        for i in range(num_layers):
            setattr(self, f'fc{i}', FullyConnectedLayer(feats[i], feats[i + 1], activation='lrelu', lr_multiplier=lr_multiplier))
        if num_ws is not None and w_avg_beta is not None:
            self.register_buffer('w_avg', torch.zeros([w_dim]))

    def forward(self, z, c):
        x = normalize_2nd_moment(z) if self.z_dim > 0 else None
        if self.c_dim > 0:
            y = normalize_2nd_moment(self.embed(c))
            x = torch.cat([x, y], dim=1) if x is not None else y
        for i in range(self.num_layers):
            x = getattr(self, f'fc{i}')(x)
        if self.w_avg_beta is not None and self.training:
            self.w_avg.copy_(x.detach().mean(dim=0).lerp(self.w_avg, self.w_avg_beta))
        return x.unsqueeze(1).repeat([1, self.num_ws, 1]) if self.num_ws is not None else x


class SynthesisLayer(nn.Module):
    def __init__(self, cin, cout, w_dim, res, k=3, up=1, conv_clamp=None):
        super().__init__()
        self.res, self.up, self.padding, self.conv_clamp = res, up, k // 2, conv_clamp
        self.register_buffer('resample_filter', setup_filter())
        self.affine = FullyConnectedLayer(w_dim, cin, bias_init=1)
        self.weight = nn.Parameter(torch.randn([cout, cin, k, k]))
        self.register_buffer('noise_const', torch.randn([res, res]))
        self.noise_strength = nn.Parameter(torch.zeros([]))
        self.bias = nn.Parameter(torch.zeros([cout]))

    def forward(self, x, w, noise_mode='random', fused=True):
        styles = self.affine(w)
        if noise_mode == 'random':
            noise = torch.randn([x.shape[0], 1, self.res, self.res], device=x.device) * self.noise_strength
        else:
            noise = self.noise_const * self.noise_strength if noise_mode == 'const' else None
        x = modulated_conv2d(x, self.weight, styles, noise=noise, up=self.up, padding=self.padding, resample_filter=self.resample_filter, flip_weight=(self.up == 1), fused=fused)
        return bias_act(x, self.bias, act='lrelu', clamp=self.conv_clamp)


class ToRGBLayer(nn.Module):
    def __init__(self, cin, cout, w_dim, conv_clamp=None):
        super().__init__()
        self.conv_clamp = conv_clamp
        self.affine = FullyConnectedLayer(w_dim, cin, bias_init=1)
        self.weight = nn.Parameter(torch.randn([cout, cin, 1, 1]))
        self.bias = nn.Parameter(torch.zeros([cout]))
        self.weight_gain = 1 / math.sqrt(cin)

    def forward(self, x, w, fused=True):
        x = modulated_conv2d(x, self.weight, self.affine(w) * self.weight_gain, demodulate=False, fused=fused)
        return bias_act(x, self.bias, clamp=self.conv_clamp)


class SynthesisBlock(nn.Module):
    def __init__(self, cin, cout, w_dim, res, img_channels, conv_clamp=None):
        super().__init__()
        self.cin = cin
        self.register_buffer('resample_filter', setup_filter())
        if cin == 0:
            self.const = nn.Parameter(torch.randn([cout, res, res]))
        else:
            self.conv0 = SynthesisLayer(cin, cout, w_dim, res, up=2, conv_clamp=conv_clamp)
        self.conv1 = SynthesisLayer(cout, cout, w_dim, res, conv_clamp=conv_clamp)
        self.torgb = ToRGBLayer(cout, img_channels, w_dim, conv_clamp=conv_clamp)
        self.num_conv = 1 if cin == 0 else 2

    def forward(self, x, img, ws, noise_mode='random'):
        fused = not self.training
        ws = ws.unbind(dim=1)
        if self.cin == 0:
            x = self.conv1(self.const.unsqueeze(0).repeat([ws[0].shape[0], 1, 1, 1]), ws[0], noise_mode, fused)
        else:
            x = self.conv0(x, ws[0], noise_mode, fused)
            x = self.conv1(x, ws[1], noise_mode, fused)
        if img is not None:
            img = upsample2d(img, self.resample_filter)
        y = self.torgb(x, ws[self.num_conv], fused)
        return x, (img + y if img is not None else y)


class SynthesisNetwork(nn.Module):
    def __init__(self, w_dim, img_resolution, img_channels, channel_base, channel_max, conv_clamp=None):
        super().__init__()
        self.resolutions = [2 ** i for i in range(2, int(math.log2(img_resolution)) + 1)]
        ch = {r: min(channel_base // r, channel_max) for r in self.resolutions}
        self.num_ws = 0
        for r in self.resolutions:
            b = SynthesisBlock(ch[r // 2] if r > 4 else 0, ch[r], w_dim, r, img_channels, conv_clamp)
            self.num_ws += b.num_conv
            if r == img_resolution:
                self.num_ws += 1
            setattr(self, f'b{r}', b)

    def forward(self, ws, noise_mode='random'):
        x = img = None
        i = 0
        for r in self.resolutions:
            b = getattr(self, f'b{r}')
            x, img = b(x, img, ws.narrow(1, i, b.num_conv + 1), noise_mode)
            i += b.num_conv
        return img


class Generator(nn.Module):
    def __init__(self, g):
        super().__init__()
        s = g.get('synthesisKwargs', {})
        self.z_dim, self.c_dim = g['zDim'], g['cDim']
        self.synthesis = SynthesisNetwork(g['wDim'], g['imgResolution'], g['imgChannels'], s.get('channelBase', 32768), s.get('channelMax', 512), s.get('convClamp'))
        self.mapping = MappingNetwork(g['zDim'], g['cDim'], g['wDim'], self.synthesis.num_ws, g.get('mappingKwargs', {}).get('numLayers', 8))

    def forward(self, z, c, noise_mode='random'):
        return self.synthesis(self.mapping(z, c), noise_mode)


class MinibatchStdLayer(nn.Module):
    def __init__(self, group_size, num_channels=1):
        super().__init__()
        self.group_size, self.num_channels = group_size, num_channels

    def forward(self, x):
        n, c, h, w = x.shape
        g = min(self.group_size, n) if self.group_size is not None else n
        f = self.num_channels
        y = x.reshape(g, -1, f, c // f, h, w)
        y = (y - y.mean(dim=0)).square().mean(dim=0)
        y = (y + 1e-8).sqrt().mean(dim=[2, 3, 4]).reshape(-1, f, 1, 1).repeat(g, 1, h, w)
        return torch.cat([x, y], dim=1)


class DiscriminatorBlock(nn.Module):
    def __init__(self, cin, tmp, cout, img_channels, conv_clamp=None):
        super().__init__()
        self.cin = cin
        self.register_buffer('resample_filter', setup_filter())
        if cin == 0:
            self.fromrgb = Conv2dLayer(img_channels, tmp, 1, activation='lrelu', conv_clamp=conv_clamp)
        self.conv0 = Conv2dLayer(tmp, tmp, 3, activation='lrelu', conv_clamp=conv_clamp)
        self.conv1 = Conv2dLayer(tmp, cout, 3, activation='lrelu', down=2, conv_clamp=conv_clamp)
        self.skip = Conv2dLayer(tmp, cout, 1, bias=False, down=2)

    def forward(self, x, img):
        if self.cin == 0:
            y = self.fromrgb(img)
            x = x + y if x is not None else y
        y = self.skip(x, gain=math.sqrt(0.5))
        x = self.conv1(self.conv0(x), gain=math.sqrt(0.5))
        return y + x


class DiscriminatorEpilogue(nn.Module):
    def __init__(self, cin, res, mbstd_group_size=4, mbstd_num_channels=1, conv_clamp=None):
        super().__init__()
        self.mbstd = MinibatchStdLayer(mbstd_group_size, mbstd_num_channels) if mbstd_num_channels > 0 else None
        self.conv = Conv2dLayer(cin + mbstd_num_channels, cin, 3, activation='lrelu', conv_clamp=conv_clamp)
        self.fc = FullyConnectedLayer(cin * res * res, cin, activation='lrelu')
        self.out = FullyConnectedLayer(cin, 1)

    def forward(self, x):
        if self.mbstd is not None:
            x = self.mbstd(x)
        return self.out(self.fc(self.conv(x).flatten(1)))


class Discriminator(nn.Module):
    """The 'resnet' Discriminator, unconditional (the bench's configuration)."""

    def __init__(self, d):
        if d.get('cDim', 0) != 0 or d.get('architecture', 'resnet') != 'resnet':
            raise ValueError('gan-torch.py: only the unconditional resnet discriminator is reimplemented')
        super().__init__()
        r = d['imgResolution']
        base, cmax = d.get('channelBase', 32768), d.get('channelMax', 512)
        self.resolutions = [2 ** i for i in range(int(math.log2(r)), 2, -1)]
        ch = {x: min(base // x, cmax) for x in self.resolutions + [4]}
        for x in self.resolutions:
            setattr(self, f'b{x}', DiscriminatorBlock(ch[x] if x < r else 0, ch[x], ch[x // 2], d['imgChannels'], d.get('convClamp')))
        e = d.get('epilogueKwargs', {})
        self.b4 = DiscriminatorEpilogue(ch[4], 4, e.get('mbstdGroupSize', 4), e.get('mbstdNumChannels', 1), d.get('convClamp'))

    def forward(self, img, c=None):
        x = None
        for r in self.resolutions:
            x = getattr(self, f'b{r}')(x, img)
            img = None
        return self.b4(x)


def check(weights_path, cases_path, case_name):
    """Worst |ours − original| on a fixture of tools/reference/gen_gan_networks.py (stylegan2-ada-pytorch's own code)."""
    case = next(c for c in json.load(open(cases_path))['cases'] if c['name'] == case_name)
    all_t = read_safetensors(weights_path)
    G, D = Generator(case['G_config']), Discriminator(case['D_config'])
    G.load_state_dict({k[2:]: v for k, v in all_t.items() if k.startswith('G.')}, strict=True)
    D.load_state_dict({k[2:]: v for k, v in all_t.items() if k.startswith('D.')}, strict=True)
    G.eval()
    err = lambda a, b: float((a - b).abs().max())
    with torch.no_grad():
        ws = G.mapping(all_t['in.z'], None)
        out = {'ws': err(ws, all_t['out.ws_psi1'])}
        out['img_const'] = err(G.synthesis(all_t['out.ws_psi07_cut3'], 'const'), all_t['out.img_const'])
        out['logits_real'] = err(D(all_t['in.real']), all_t['out.logits_real'])
        G.train()
        out['img_const_train'] = err(G.synthesis(all_t['out.ws_psi07_cut3'], 'const'), all_t['out.img_const_train'])
    x = all_t['in.real'].clone().requires_grad_()
    (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
    out['r1_penalty'] = err(g.square().sum([1, 2, 3]), all_t['out.r1_penalty'])
    return {'fixture': case_name, 'maxAbsErr': out, 'worst': max(out.values())}


def main():
    spec = json.loads(sys.argv[1])
    device = sys.argv[2] if len(sys.argv) > 2 else 'cpu'
    reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    threads = int(sys.argv[4]) if len(sys.argv) > 4 else 2
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    dev = torch.device(device)
    res = {'torch': torch.__version__, 'device': device, 'threads': torch.get_num_threads(), 'rows': {}}
    if len(sys.argv) > 7:
        res['check'] = check(sys.argv[5], sys.argv[6], sys.argv[7])
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

    for case in spec['cases']:
        r, b = case['size'], case['batch']
        G = Generator(case['G']).to(dev)
        D = Discriminator(case['D']).to(dev)
        adam = lambda p: torch.optim.Adam(p, lr=spec['lr'], betas=tuple(spec['betas']), eps=1e-8)
        optG, optD = adam(G.parameters()), adam(D.parameters())
        real = torch.rand(b, 3, r, r, device=dev) * 2 - 1
        gamma = case['gamma']
        z_dim = case['G']['zDim']

        def g_step():
            G.requires_grad_(True)
            D.requires_grad_(False)
            logits = D(G(torch.randn(b, z_dim, device=dev), None))
            F.softplus(-logits).mean().backward()
            optG.step()
            optG.zero_grad(set_to_none=True)

        def d_step():
            G.requires_grad_(False)
            D.requires_grad_(True)
            with torch.no_grad():
                fake = G(torch.randn(b, z_dim, device=dev), None)
            (F.softplus(-D(real)).mean() + F.softplus(D(fake)).mean()).backward()
            optD.step()
            optD.zero_grad(set_to_none=True)

        def r1_step():
            G.requires_grad_(False)
            D.requires_grad_(True)
            x = real.detach().requires_grad_(True)
            (g,) = torch.autograd.grad(D(x).sum(), x, create_graph=True)
            (g.square().sum([1, 2, 3]) * (gamma / 2)).mean().backward()
            optD.step()
            optD.zero_grad(set_to_none=True)

        G.train()
        D.train()
        for name, fn in [('G main', g_step), ('D main', d_step), ('D R1', r1_step)]:
            res['rows'][f'{name} {r}² ×{b}'] = timed(fn, 1, reps)
        G.eval()
        zg = torch.randn(case['genBatch'], z_dim, device=dev)

        def generate():
            with torch.no_grad():
                return G(zg, None, 'const')

        res['rows'][f'generate {r}² ×{case["genBatch"]}'] = timed(generate, 1, reps)
    print(json.dumps(res))


if __name__ == '__main__':
    main()
