"""References for @radix/gan's StyleGAN2 networks, from stylegan2-ada-pytorch's own training/networks.py.

Run: /usr/bin/python3 tools/reference/gen_gan_networks.py   (a few seconds on the CPU)
The fetched snapshot (github:NVlabs/stylegan2-ada-pytorch, default git dir /work/.mirror/NVlabs+stylegan2-ada-pytorch/repo,
override with SG2ADA_GIT) is extracted to a temporary folder with `git archive` and imported from there; nothing of it
is committed. No stubs are needed: on the CPU its torch_utils ops take their reference paths (upfirdn2d._upfirdn2d_ref,
bias_act._bias_act_ref, conv2d_gradfix disabled), and no plugin is compiled.

Writes packages/gan/fixtures/networks/:
- networks.json: per case the Python and camelCase constructor kwargs, the state-dict keys and shapes of G and D,
  tolerances, the names of the parameters whose gradients are stored, and provenance.
- <case>.safetensors: `G.<key>` and `D.<key>` (the full state dicts: weights as initialised by the original under
  torch.manual_seed, and for *-perturbed cases with biases, noise strengths and w_avg made non-zero), inputs
  `in.z`, `in.c`, `in.real`, outputs `out.*` and gradients `grad.G.<key>`, `grad.D.<key>`, `grad.R1.<key>`, `out.r1_grads`.

Outputs (G and D in eval mode unless noted):
  out.ws_psi1         G.mapping(z, c)
  out.ws_psi07_cut3   G.mapping(z, c, truncation_psi=0.7, truncation_cutoff=3)
  out.ws_psi05        G.mapping(z, c, truncation_psi=0.5)
  out.img_const       G.synthesis(ws_psi07_cut3, noise_mode='const')   (eval: fused grouped modulated conv)
  out.img_none        G.synthesis(ws_psi07_cut3, noise_mode='none')
  out.img_const_train G.synthesis(ws_psi07_cut3, noise_mode='const') in training mode (non-fused modulated conv)
  out.logits_real     D(real, c);  out.logits_fake  D(img_const, c)
  out.w_avg_train     w_avg after one G.mapping(z, c) in training mode (the moving-average update with w_avg_beta)
Gradients (G and D in training mode, noise 'const', as training/loss.py's phases):
  G loss   softplus(-D(G.synthesis(G.mapping(z, c, skip_w_avg_update=True), noise_mode='const'), c)).mean()  → grad.G.*
  D loss   softplus(D(fake.detach(), c)).mean() + softplus(-D(real, c)).mean()                            → grad.D.*
  R1       r1 = autograd.grad(D(real, c).sum(), real, create_graph=True); loss = (r1².sum([1,2,3]) * gamma/2).mean()
           with gamma = 1 → out.r1_grads (r1 itself), out.r1_penalty, grad.R1.* (the double backward into D)
- ops.safetensors: torch_utils.ops.upfirdn2d.upfirdn2d (reference path) and conv2d_resample.conv2d_resample on
  the paths the networks do not take (asymmetric and negative padding, separable 8-tap and non-symmetric 2-D
  filters, flip_filter, up and down together, grouped transposed convolution, the generic fallback): `op.<i>.x`,
  `op.<i>.w`, `op.<i>.r`, outputs `op.<i>.y`, gradients of sum(y·r) w.r.t. x (`op.<i>.gx`) and w (`op.<i>.gw`), and
  for convolutions the double backward d/dw ‖∂sum(y·r)/∂x‖² (`op.<i>.ggw`); the arguments are in networks.json.
numFp16Res: the original cannot run fp16 layers on the CPU in torch 1.13 ("slow_conv2d_cpu" not implemented for
'Half'), so the fp16 case is computed with force_fp32=True, which is what Radix computes for every numFp16Res.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'gan', 'fixtures', 'networks')
GIT = os.environ.get('SG2ADA_GIT', '/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo')


def camel(name):
    head, *rest = name.split('_')
    return head + ''.join(p[:1].upper() + p[1:] for p in rest)


def camel_kwargs(d):
    out = {}
    for k, v in d.items():
        out[camel(k)] = camel_kwargs(v) if isinstance(v, dict) else v
    return out


def write_safetensors(path, tensors):
    header = {}
    blobs = []
    off = 0
    for name, t in tensors.items():
        t = t.detach().contiguous().to(torch.float32)
        b = t.numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


G_GRADS = ['synthesis.b4.const', 'synthesis.b4.conv1.weight', 'synthesis.b4.conv1.affine.weight', 'synthesis.b8.conv0.weight',
           'synthesis.b8.conv0.noise_strength', 'synthesis.b8.torgb.weight', 'synthesis.{last}.conv1.bias',
           'synthesis.{last}.torgb.affine.bias', 'mapping.fc0.weight', 'mapping.fc1.bias', 'mapping.embed.weight']
D_GRADS = ['b{first}.fromrgb.weight', 'b{first}.conv0.weight', 'b{first}.conv1.weight', 'b{first}.skip.weight', 'b8.conv1.bias',
           'b4.conv.bias', 'b4.fc.bias', 'b4.out.weight', 'b4.out.bias', 'mapping.embed.weight', 'mapping.fc0.weight', 'b4.fromrgb.weight']

CASES = [
    dict(name='uncond', perturb=False, batch=4,
         G=dict(z_dim=12, c_dim=0, w_dim=16, img_resolution=16, img_channels=3, mapping_kwargs=dict(num_layers=2),
                synthesis_kwargs=dict(channel_base=64, channel_max=8, num_fp16_res=0, conv_clamp=None)),
         D=dict(c_dim=0, img_resolution=16, img_channels=3, architecture='resnet', channel_base=64, channel_max=8,
                conv_clamp=None, epilogue_kwargs=dict(mbstd_group_size=2))),
    dict(name='uncond-perturbed', perturb=True, batch=4,
         G=dict(z_dim=12, c_dim=0, w_dim=16, img_resolution=16, img_channels=3, mapping_kwargs=dict(num_layers=2),
                synthesis_kwargs=dict(channel_base=64, channel_max=8, num_fp16_res=0, conv_clamp=None)),
         D=dict(c_dim=0, img_resolution=16, img_channels=3, architecture='resnet', channel_base=64, channel_max=8,
                conv_clamp=None, epilogue_kwargs=dict(mbstd_group_size=2))),
    dict(name='cond-perturbed', perturb=True, batch=4,
         G=dict(z_dim=12, c_dim=3, w_dim=16, img_resolution=16, img_channels=3, mapping_kwargs=dict(num_layers=3),
                synthesis_kwargs=dict(channel_base=64, channel_max=8, num_fp16_res=2, conv_clamp=1.5)),
         D=dict(c_dim=3, img_resolution=16, img_channels=3, architecture='resnet', channel_base=64, channel_max=8,
                num_fp16_res=2, conv_clamp=1.5, mapping_kwargs=dict(num_layers=2), epilogue_kwargs=dict(mbstd_group_size=4))),
    dict(name='arch-perturbed', perturb=True, batch=4,
         G=dict(z_dim=8, c_dim=2, w_dim=8, img_resolution=8, img_channels=1,
                mapping_kwargs=dict(num_layers=2, embed_features=6, layer_features=10),
                synthesis_kwargs=dict(channel_base=64, channel_max=8, architecture='resnet')),
         D=dict(c_dim=2, img_resolution=8, img_channels=1, architecture='skip', channel_base=64, channel_max=8, cmap_dim=6,
                mapping_kwargs=dict(num_layers=1), epilogue_kwargs=dict(mbstd_group_size=None))),
    dict(name='orig-perturbed', perturb=True, batch=2,
         G=dict(z_dim=8, c_dim=0, w_dim=8, img_resolution=8, img_channels=3, mapping_kwargs=dict(num_layers=1),
                synthesis_kwargs=dict(channel_base=64, channel_max=8, architecture='orig')),
         D=dict(c_dim=0, img_resolution=8, img_channels=3, architecture='orig', channel_base=64, channel_max=8,
                epilogue_kwargs=dict(mbstd_group_size=2, mbstd_num_channels=2))),
]


def perturb(module, gen):
    with torch.no_grad():
        for name, t in list(module.named_parameters()) + list(module.named_buffers()):
            leaf = name.split('.')[-1]
            if leaf == 'bias':
                t.add_(torch.randn(t.shape, generator=gen) * 0.2)
            elif leaf == 'noise_strength':
                t.copy_(torch.randn(t.shape, generator=gen) * 0.3)
            elif leaf == 'w_avg':
                t.copy_(torch.randn(t.shape, generator=gen) * 0.5)


def run_case(networks, spec, seed):
    torch.manual_seed(seed)
    G = networks.Generator(**spec['G'])
    D = networks.Discriminator(**spec['D'])
    gen = torch.Generator().manual_seed(seed + 1000)
    if spec['perturb']:
        perturb(G, gen)
        perturb(D, gen)
    n = spec['batch']
    z = torch.randn([n, G.z_dim], generator=gen)
    c = torch.zeros([n, G.c_dim])
    for i in range(n):
        if G.c_dim:
            c[i, i % G.c_dim] = 1
    real = torch.randn([n, G.img_channels, G.img_resolution, G.img_resolution], generator=gen)
    sd_G = {k: v.clone() for k, v in G.state_dict().items()}
    sd_D = {k: v.clone() for k, v in D.state_dict().items()}
    fp32 = dict(force_fp32=True)
    out = {}
    G.eval()
    D.eval()
    with torch.no_grad():
        out['ws_psi1'] = G.mapping(z, c)
        out['ws_psi07_cut3'] = G.mapping(z, c, truncation_psi=0.7, truncation_cutoff=3)
        out['ws_psi05'] = G.mapping(z, c, truncation_psi=0.5)
        ws = out['ws_psi07_cut3']
        out['img_const'] = G.synthesis(ws, noise_mode='const', **fp32)
        out['img_none'] = G.synthesis(ws, noise_mode='none', **fp32)
        out['logits_real'] = D(real, c, **fp32)
        out['logits_fake'] = D(out['img_const'], c, **fp32)
        G.train()
        out['img_const_train'] = G.synthesis(ws, noise_mode='const', **fp32)
    # Gradients in training mode.
    G.train()
    D.train()
    last = f'b{G.img_resolution}'
    first = str(D.img_resolution)
    g_names = [k.format(last=last) for k in G_GRADS]
    g_names = [k for k in g_names if k in dict(G.named_parameters())]
    d_names = [k.format(first=first) for k in D_GRADS]
    d_names = [k for k in d_names if k in dict(D.named_parameters())]
    grads = {}
    G.zero_grad(set_to_none=True)
    D.zero_grad(set_to_none=True)
    ws = G.mapping(z, c, skip_w_avg_update=True)
    fake = G.synthesis(ws, noise_mode='const', **fp32)
    loss_G = torch.nn.functional.softplus(-D(fake, c, **fp32)).mean()
    loss_G.backward()
    gp = dict(G.named_parameters())
    for k in g_names:
        grads[f'grad.G.{k}'] = gp[k].grad.clone()
    out['loss_G'] = loss_G.detach().reshape([1])
    D.zero_grad(set_to_none=True)
    loss_D = torch.nn.functional.softplus(D(fake.detach(), c, **fp32)).mean() + torch.nn.functional.softplus(-D(real, c, **fp32)).mean()
    loss_D.backward()
    dp = dict(D.named_parameters())
    for k in d_names:
        grads[f'grad.D.{k}'] = dp[k].grad.clone()
    out['loss_D'] = loss_D.detach().reshape([1])
    D.zero_grad(set_to_none=True)
    real_req = real.detach().requires_grad_(True)
    logits = D(real_req, c, **fp32)
    r1, = torch.autograd.grad(outputs=[logits.sum()], inputs=[real_req], create_graph=True, only_inputs=True)
    penalty = r1.square().sum([1, 2, 3])
    loss_r1 = (penalty * (1.0 / 2)).mean()
    loss_r1.backward()
    # b4.out.bias does not reach the R1 gradient at all (None), and biases that only move lrelu kinks get
    # (numerically) zero: those are listed in R1_zero and must be zero or absent in Radix too.
    r1_names = [k for k in d_names if dp[k].grad is not None and float(dp[k].grad.abs().max()) > 1e-9]
    r1_zero = [k for k in d_names if k not in r1_names]
    for k in r1_names:
        grads[f'grad.R1.{k}'] = dp[k].grad.clone()
    out['r1_grads'] = r1.detach()
    out['r1_penalty'] = penalty.detach()
    # w_avg tracking in training mode (last, since it changes the buffer).
    with torch.no_grad():
        G.mapping(z, c)
        out['w_avg_train'] = G.mapping.w_avg.clone()
    clamp = spec['G']['synthesis_kwargs'].get('conv_clamp')
    if clamp:
        frac = float((out['img_const'].abs() >= clamp - 1e-6).float().mean())
        print(f"  {spec['name']}: fraction of clamped output pixels {frac:.3f}", file=sys.stderr)
    tensors = {}
    tensors.update({f'G.{k}': v for k, v in sd_G.items()})
    tensors.update({f'D.{k}': v for k, v in sd_D.items()})
    tensors.update({'in.z': z, 'in.c': c, 'in.real': real})
    tensors.update({f'out.{k}': v for k, v in out.items()})
    tensors.update(grads)
    meta = {
        'name': spec['name'], 'seed': seed, 'perturbed': spec['perturb'], 'batch': n,
        'G_kwargs': spec['G'], 'D_kwargs': spec['D'],
        'G_config': camel_kwargs(spec['G']), 'D_config': camel_kwargs(spec['D']),
        'G_keys': [[k, list(v.shape)] for k, v in sd_G.items()],
        'D_keys': [[k, list(v.shape)] for k, v in sd_D.items()],
        'G_num_ws': G.num_ws, 'G_grads': g_names, 'D_grads': d_names, 'R1_grads': r1_names, 'R1_zero': r1_zero, 'r1_gamma': 1.0,
        'file': spec['name'] + '.safetensors',
    }
    return meta, tensors


OPS = [
    dict(op='upfirdn2d', x=[2, 3, 7, 6], f=[1, 3, 3, 1], up=2, down=1, padding=[2, 1, 0, 3]),
    dict(op='upfirdn2d', x=[2, 3, 7, 6], f=[1, 3, 3, 1], up=1, down=2, padding=[1, 2, -1, 1]),
    dict(op='upfirdn2d', x=[1, 2, 6, 5], f=[1, 2, 3, 4, 4, 3, 2, 1], up=2, down=2, padding=[3, 3, 4, 2]),
    dict(op='upfirdn2d', x=[1, 2, 4, 5], f=None, up=3, down=1, padding=[1, 1, 1, 1], gain=2),
    dict(op='upfirdn2d', x=[1, 2, 5, 5], f=[[1, 2], [3, 4]], up=1, down=1, padding=[1, 0, 0, 1], flip_filter=False),
    dict(op='upfirdn2d', x=[1, 2, 5, 5], f=[[1, 2], [3, 4]], up=2, down=1, padding=[1, 0, 0, 1], flip_filter=True),
    dict(op='conv2d_resample', x=[2, 3, 5, 5], w=[5, 3, 3, 3], f=[1, 3, 3, 1], up=2, padding=1, flip_weight=False),
    dict(op='conv2d_resample', x=[1, 6, 5, 4], w=[4, 3, 3, 3], f=[1, 3, 3, 1], up=2, padding=1, groups=2, flip_weight=False),
    dict(op='conv2d_resample', x=[2, 3, 8, 8], w=[4, 3, 3, 3], f=[1, 3, 3, 1], down=2, padding=1),
    dict(op='conv2d_resample', x=[2, 3, 5, 5], w=[4, 3, 1, 1], f=[1, 3, 3, 1], up=2),
    dict(op='conv2d_resample', x=[2, 3, 8, 8], w=[4, 3, 1, 1], f=[1, 3, 3, 1], down=2),
    dict(op='conv2d_resample', x=[1, 3, 6, 6], w=[2, 3, 3, 3], f=[1, 3, 3, 1], up=2, down=2, padding=1, flip_weight=False),
    dict(op='conv2d_resample', x=[1, 3, 6, 6], w=[2, 3, 3, 3], f=None, padding=[1, 0, 2, 1]),
]


def run_ops(tmp):
    from torch_utils.ops import conv2d_resample, upfirdn2d  # noqa: E402  (the fetched original)
    gen = torch.Generator().manual_seed(5)
    tensors, metas = {}, []
    for i, spec in enumerate(OPS):
        x = torch.randn(spec['x'], generator=gen, dtype=torch.float64).float().requires_grad_(True)
        f = None if spec['f'] is None else upfirdn2d.setup_filter(spec['f'])
        if spec['op'] == 'upfirdn2d':
            y = upfirdn2d.upfirdn2d(x, f, up=spec.get('up', 1), down=spec.get('down', 1), padding=spec['padding'],
                                    flip_filter=spec.get('flip_filter', False), gain=spec.get('gain', 1), impl='ref')
            r = torch.randn(y.shape, generator=gen)
            gx, = torch.autograd.grad((y * r).sum(), [x])
            tensors.update({f'op.{i}.x': x, f'op.{i}.r': r, f'op.{i}.y': y, f'op.{i}.gx': gx})
        else:
            w = torch.randn(spec['w'], generator=gen).requires_grad_(True)
            y = conv2d_resample.conv2d_resample(x, w, f, up=spec.get('up', 1), down=spec.get('down', 1), padding=spec.get('padding', 0),
                                                groups=spec.get('groups', 1), flip_weight=spec.get('flip_weight', True))
            r = torch.randn(y.shape, generator=gen)
            gx, gw = torch.autograd.grad((y * r).sum(), [x, w], create_graph=True)
            ggw, = torch.autograd.grad(gx.square().sum(), [w])
            tensors.update({f'op.{i}.x': x, f'op.{i}.w': w, f'op.{i}.r': r, f'op.{i}.y': y, f'op.{i}.gx': gx, f'op.{i}.gw': gw, f'op.{i}.ggw': ggw})
        metas.append({**spec, 'index': i, 'filter': None if f is None else {'shape': list(f.shape)}})
    return metas, tensors


def main():
    commit = subprocess.check_output(['git', '--git-dir', GIT, 'rev-parse', 'HEAD'], text=True).strip()
    tmp = tempfile.mkdtemp(prefix='sg2ada-')
    try:
        archive = subprocess.run(['git', '--git-dir', GIT, 'archive', 'HEAD'], check=True, capture_output=True).stdout
        subprocess.run(['tar', 'x', '-C', tmp], input=archive, check=True)
        sys.path.insert(0, tmp)
        from training import networks  # noqa: E402  (the fetched original)
        os.makedirs(OUT, exist_ok=True)
        metas = []
        for i, spec in enumerate(CASES):
            meta, tensors = run_case(networks, spec, 100 + i)
            write_safetensors(os.path.join(OUT, meta['file']), tensors)
            metas.append(meta)
            print(f"wrote {meta['file']}: {os.path.getsize(os.path.join(OUT, meta['file']))} bytes", file=sys.stderr)
        op_metas, op_tensors = run_ops(tmp)
        write_safetensors(os.path.join(OUT, 'ops.safetensors'), op_tensors)
        print(f"wrote ops.safetensors: {os.path.getsize(os.path.join(OUT, 'ops.safetensors'))} bytes", file=sys.stderr)
        body = {
            'generator': 'tools/reference/gen_gan_networks.py',
            'project': 'github:NVlabs/stylegan2-ada-pytorch', 'commit': commit,
            'code': 'training/networks.py (Generator, Discriminator) imported from a git-archive of the fetched snapshot',
            'stubs': 'none: on the CPU torch_utils falls back to its reference ops; no plugin is compiled',
            'torch': torch.__version__,
            'tolerance': {'rtol': 1e-4, 'atol': 1e-4},
            'cases': metas,
            'ops': op_metas,
        }
        path = os.path.join(OUT, 'networks.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(body, f, indent=1)
        os.replace(path + '.tmp', path)
        print(f'wrote {path}', file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
