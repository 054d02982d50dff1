"""A small stylegan2-ada-pytorch network snapshot, pickled by the original's own code, for @radix/gan's pkl reader.

Run: /usr/bin/python3 tools/reference/gen_gan_snapshot.py   (a few seconds on the CPU)
The fetched snapshot of github:NVlabs/stylegan2-ada-pytorch (default git dir /work/.mirror/NVlabs+stylegan2-ada-pytorch/repo,
override with SG2ADA_GIT) is extracted to a temporary folder and imported from there; nothing of it is committed.

Stub (one): just before pickle.dump, every persistence-wrapped class's `_orig_module_src` is replaced by a short
placeholder, so the pickle does not carry NVIDIA's source code (every persistent object stores its module's source
text as `module_src`; the reader ignores it anyway). Everything else is
the original: persistence-wrapped Generator, Discriminator and AugmentPipe built from dnnlib.EasyDict kwargs as
train.py builds them, copied, put in eval mode and pickled with `pickle.dump(snapshot_data, f)` exactly as
training/training_loop.py writes network-snapshot-*.pkl (keys training_set_kwargs, G, D, G_ema, augment_pipe).

Writes packages/gan/fixtures/snapshot/:
- network-snapshot-tiny.pkl: the snapshot (G_ema's weights differ from G's: an EMA step is emulated; p = 0.3125).
- network-snapshot-evil-src.pkl: the same, but every module_src is Python code that would create a marker file
  when executed (the reader must load it without running anything).
- expected.safetensors + expected.json: inputs z, c and G_ema/G/D outputs (noise 'const', ψ 0.7, force_fp32) to
  check the loaded networks.
"""
import copy
import json
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'gan', 'fixtures', 'snapshot')
GIT = os.environ.get('SG2ADA_GIT', '/work/.mirror/NVlabs+stylegan2-ada-pytorch/repo')
PLACEHOLDER = '# module source omitted by tools/reference/gen_gan_snapshot.py (the reader never executes it)\n'
EVIL = "import os\nopen('/tmp/radix-gan-pkl-executed', 'w').write('pwned')\nos.system('touch /tmp/radix-gan-pkl-executed-2')\n"


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))
    os.replace(path + '.tmp', path)


def main():
    commit = subprocess.check_output(['git', '--git-dir', GIT, 'rev-parse', 'HEAD'], text=True).strip()
    tmp = tempfile.mkdtemp(prefix='sg2ada-')
    try:
        archive = subprocess.run(['git', '--git-dir', GIT, 'archive', 'HEAD'], check=True, capture_output=True).stdout
        subprocess.run(['tar', 'x', '-C', tmp], input=archive, check=True)
        sys.path.insert(0, tmp)
        import dnnlib  # noqa: E402
        from training import augment, networks  # noqa: E402
        torch.manual_seed(7)
        G_kwargs = dnnlib.EasyDict(z_dim=8, w_dim=8, mapping_kwargs=dnnlib.EasyDict(num_layers=2),
                                   synthesis_kwargs=dnnlib.EasyDict(channel_base=64, channel_max=8, num_fp16_res=2, conv_clamp=256))
        D_kwargs = dnnlib.EasyDict(architecture='resnet', channel_base=64, channel_max=8, num_fp16_res=2, conv_clamp=256,
                                   block_kwargs=dnnlib.EasyDict(), mapping_kwargs=dnnlib.EasyDict(num_layers=1),
                                   epilogue_kwargs=dnnlib.EasyDict(mbstd_group_size=2))
        common = dict(c_dim=2, img_resolution=8, img_channels=3)
        G = networks.Generator(**G_kwargs, **common).train().requires_grad_(False)
        D = networks.Discriminator(**D_kwargs, **common).train().requires_grad_(False)
        G_ema = copy.deepcopy(G).eval()
        with torch.no_grad():
            for p in G.parameters():
                p.add_(torch.randn_like(p) * 0.05)  # G moves away from G_ema, as after training steps
            for name, b in list(G.named_buffers()) + list(G_ema.named_buffers()):
                if name.endswith('w_avg'):
                    b.copy_(torch.randn_like(b) * 0.3)
            for name, p in list(G_ema.named_parameters()) + list(D.named_parameters()):
                if name.endswith('bias') or name.endswith('noise_strength'):
                    p.add_(torch.randn_like(p) * 0.2)
        augment_pipe = augment.AugmentPipe(xflip=1, rotate90=1, xint=1, scale=1, rotate=1, aniso=1, xfrac=1,
                                           brightness=1, contrast=1, lumaflip=1, hue=1, saturation=1).train().requires_grad_(False)
        augment_pipe.p.copy_(torch.as_tensor(0.3125))
        training_set_kwargs = dnnlib.EasyDict(class_name='training.dataset.ImageFolderDataset', path='~/datasets/tiny.zip',
                                              use_labels=True, max_size=16, xflip=False, resolution=8)
        snapshot_data = dict(training_set_kwargs=dict(training_set_kwargs))
        for name, module in [('G', G), ('D', D), ('G_ema', G_ema), ('augment_pipe', augment_pipe)]:
            if module is not None:
                module = copy.deepcopy(module).eval().requires_grad_(False).cpu()
            snapshot_data[name] = module
            del module
        os.makedirs(OUT, exist_ok=True)
        for fname, text in [('network-snapshot-tiny.pkl', PLACEHOLDER), ('network-snapshot-evil-src.pkl', EVIL)]:
            for m in [snapshot_data['G'], snapshot_data['D'], snapshot_data['G_ema'], snapshot_data['augment_pipe']]:
                for sub in m.modules():
                    if hasattr(type(sub), '_orig_module_src'):
                        type(sub)._orig_module_src = text
            path = os.path.join(OUT, fname)
            with open(path + '.tmp', 'wb') as f:
                pickle.dump(snapshot_data, f)
            os.replace(path + '.tmp', path)
            print(f'wrote {path}: {os.path.getsize(path)} bytes', file=sys.stderr)
        gen = torch.Generator().manual_seed(3)
        z = torch.randn([4, 8], generator=gen)
        c = torch.eye(2)[[0, 1, 1, 0]]
        Ge, Gt, Dn = snapshot_data['G_ema'], snapshot_data['G'], snapshot_data['D']
        with torch.no_grad():
            out = {
                'in.z': z, 'in.c': c,
                'out.G_ema.img': Ge(z, c, truncation_psi=0.7, noise_mode='const', force_fp32=True),
                'out.G.img': Gt(z, c, truncation_psi=0.7, noise_mode='const', force_fp32=True),
            }
            out['out.D.logits'] = Dn(out['out.G_ema.img'], c, force_fp32=True)
        write_safetensors(os.path.join(OUT, 'expected.safetensors'), out)
        meta = {
            'generator': 'tools/reference/gen_gan_snapshot.py', 'project': 'github:NVlabs/stylegan2-ada-pytorch', 'commit': commit,
            'stubs': "each persistent class's _orig_module_src is set to a placeholder before pickle.dump (no NVIDIA source in the pickle)",
            'torch': torch.__version__, 'python': sys.version.split()[0], 'pickle_protocol': pickle.DEFAULT_PROTOCOL,
            'p': 0.3125, 'training_set_kwargs': dict(training_set_kwargs),
            'G_init_kwargs': snapshot_data['G_ema'].init_kwargs, 'D_init_kwargs': snapshot_data['D'].init_kwargs,
            'augment_pipe_init_kwargs': snapshot_data['augment_pipe'].init_kwargs,
            'evil_markers': ['/tmp/radix-gan-pkl-executed', '/tmp/radix-gan-pkl-executed-2'],
        }
        with open(os.path.join(OUT, 'expected.json'), 'w') as f:
            json.dump(meta, f, indent=1, default=lambda o: dict(o))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
