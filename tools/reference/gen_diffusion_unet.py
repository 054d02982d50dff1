"""UNet2DModel fixtures from diffusers' own model code, for @radix/diffusion's UNet2DModel.

Run: /usr/bin/python3 tools/reference/gen_diffusion_unet.py
  → packages/diffusion/fixtures/unet/<case>/{config.json, diffusion_pytorch_model.safetensors, io.safetensors, meta.json}
  (and unet/uncond-bin/ with the same weights as diffusion_pytorch_model.bin, torch.save's zip format)

diffusers is not installed here. Its model files are taken from a git checkout (DIFFUSERS_GIT, default the fetched
mirror /work/.mirror/huggingface+diffusers/repo; the commit is recorded in meta.json) into a temporary folder and
imported under minimal stubs; the fetched code is never committed.
Real diffusers files used: models/unets/unet_2d.py, models/unets/unet_2d_blocks.py, models/embeddings.py,
models/resnet.py, models/downsampling.py, models/upsampling.py, models/attention_processor.py,
models/activations.py, models/normalization.py.
Stubs (see STUBS): empty package __init__ files; diffusers.utils (BaseOutput as an OrderedDict dataclass base,
deprecate = no-op, logging = the standard library's, is_*_available = False, is_torch_version compares
torch.__version__); diffusers.utils.torch_utils (maybe_allow_in_graph = identity, apply_freeu and
maybe_adjust_dtype_for_device unused); diffusers.configuration_utils (register_to_config records the call's
arguments on self.config, ConfigMixin/LegacyConfigMixin empty); diffusers.models.modeling_utils (ModelMixin =
nn.Module with a dtype property); diffusers.image_processor.IPAdapterMaskProcessor, modeling_outputs and the two
transformer modules as unused placeholders (UNet2DModel's blocks never build them).

Weights: torch.manual_seed(case seed), then every parameter replaced by randn / sqrt(fan_in) (norm weights
1 + 0.1 randn, biases 0.1 randn), so GroupNorm affine terms and biases are exercised. Inputs: sample randn,
timesteps integers, class labels. The loss for gradients: sum(out * W) with W = sin(0.1 i) over the flat output.
"""
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
from collections import OrderedDict

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'diffusion', 'fixtures', 'unet')
GIT = os.environ.get('DIFFUSERS_GIT', '/work/.mirror/huggingface+diffusers/repo')
REAL = [
    'models/unets/unet_2d.py', 'models/unets/unet_2d_blocks.py', 'models/embeddings.py', 'models/resnet.py',
    'models/downsampling.py', 'models/upsampling.py', 'models/attention_processor.py', 'models/activations.py',
    'models/normalization.py',
]
UTILS = '''
import logging as _logging
from collections import OrderedDict
import torch
class BaseOutput(OrderedDict):
    def __post_init__(self):
        for k in self.__dataclass_fields__:
            v = getattr(self, k)
            if v is not None:
                self[k] = v
    def __getitem__(self, k):
        if isinstance(k, str):
            return OrderedDict.__getitem__(self, k)
        return list(self.values())[k]
def deprecate(*args, **kwargs):
    return None
class _Logging:
    def get_logger(self, name):
        return _logging.getLogger(name)
logging = _Logging()
def _false(*a, **k):
    return False
is_torch_npu_available = is_torch_xla_available = is_xformers_available = is_torch_xla_version = _false
def is_torch_version(op, ver):
    from packaging import version
    import operator
    ops = {'>=': operator.ge, '>': operator.gt, '<': operator.lt, '<=': operator.le, '==': operator.eq, '!=': operator.ne}
    return ops[op](version.parse(version.parse(torch.__version__).base_version), version.parse(ver))
'''
STUBS = {
    'diffusers/__init__.py': '',
    'diffusers/models/__init__.py': '',
    'diffusers/models/unets/__init__.py': '',
    'diffusers/models/transformers/__init__.py': '',
    'diffusers/utils/__init__.py': UTILS,
    'diffusers/utils/import_utils.py': 'from . import is_torch_npu_available, is_torch_xla_available, is_xformers_available, is_torch_xla_version, is_torch_version\n',
    'diffusers/utils/torch_utils.py': (
        'from . import is_torch_version\n'
        'def maybe_allow_in_graph(cls):\n    return cls\n'
        'def apply_freeu(*a, **k):\n    raise NotImplementedError("FreeU is not used by these fixtures")\n'
        'def maybe_adjust_dtype_for_device(*a, **k):\n    raise NotImplementedError("unused")\n'),
    'diffusers/configuration_utils.py': (
        'import functools, inspect\n'
        'class _Config(dict):\n    __getattr__ = dict.__getitem__\n'
        'class ConfigMixin:\n    pass\n'
        'class LegacyConfigMixin(ConfigMixin):\n    pass\n'
        'def register_to_config(init):\n'
        '    @functools.wraps(init)\n'
        '    def inner(self, *args, **kwargs):\n'
        '        sig = inspect.signature(init)\n'
        '        bound = sig.bind(self, *args, **kwargs)\n'
        '        bound.apply_defaults()\n'
        '        cfg = {k: v for k, v in bound.arguments.items() if k != "self"}\n'
        '        init(self, *args, **kwargs)\n'
        '        self.config = _Config(cfg)\n'
        '    return inner\n'),
    'diffusers/image_processor.py': 'class IPAdapterMaskProcessor:\n    pass\n',
    'diffusers/models/modeling_utils.py': (
        'import torch\n'
        'class ModelMixin(torch.nn.Module):\n'
        '    @property\n    def dtype(self):\n        return next(self.parameters()).dtype\n'
        'class LegacyModelMixin(ModelMixin):\n    pass\n'),
    'diffusers/models/modeling_outputs.py': 'class Transformer2DModelOutput:\n    pass\n',
    'diffusers/models/transformers/dual_transformer_2d.py': 'class DualTransformer2DModel:\n    pass\n',
    'diffusers/models/transformers/transformer_2d.py': 'class Transformer2DModel:\n    pass\n',
}

CASES = {
    # (a) unconditional, attention in the second down / first up block and in the mid block (default time shift).
    'uncond-attn': {
        'seed': 1,
        'config': dict(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(8, 16), layers_per_block=1,
                       down_block_types=('DownBlock2D', 'AttnDownBlock2D'), up_block_types=('AttnUpBlock2D', 'UpBlock2D'),
                       norm_num_groups=4, attention_head_dim=4),
        'batch': 2, 'size': 8, 'timesteps': [7, 815],
    },
    # (b) class-conditional, scale_shift, two layers per block, resnet down/up sampling, mish, flipSinToCos off,
    # freqShift 1, mid block without attention.
    'class-scaleshift': {
        'seed': 2,
        'config': dict(sample_size=8, in_channels=1, out_channels=2, block_out_channels=(4, 8), layers_per_block=2,
                       down_block_types=('AttnDownBlock2D', 'AttnDownBlock2D'), up_block_types=('AttnUpBlock2D', 'AttnUpBlock2D'),
                       norm_num_groups=2, attention_head_dim=4, resnet_time_scale_shift='scale_shift', num_class_embeds=3,
                       downsample_type='resnet', upsample_type='resnet', act_fn='mish', flip_sin_to_cos=False,
                       freq_shift=1, add_attention=False, norm_eps=1e-6),
        'batch': 3, 'size': 8, 'timesteps': [0, 421, 999], 'class_labels': [2, 0, 1],
    },
    # (c) scale_shift with mid attention (whose group norm diffusers then leaves out), three levels, a 16-px sample,
    # class_embed_type 'timestep', attention_head_dim None (one head of the block's width).
    'scaleshift-midattn': {
        'seed': 3,
        'config': dict(sample_size=16, in_channels=3, out_channels=3, block_out_channels=(4, 4, 8), layers_per_block=1,
                       down_block_types=('DownBlock2D', 'DownBlock2D', 'AttnDownBlock2D'),
                       up_block_types=('AttnUpBlock2D', 'UpBlock2D', 'UpBlock2D'), norm_num_groups=2,
                       attention_head_dim=None, resnet_time_scale_shift='scale_shift', class_embed_type='timestep',
                       mid_block_scale_factor=1.5),
        'batch': 2, 'size': 16, 'timesteps': [3, 500], 'class_labels': [4, 250],
    },
}
GRAD_PARAMS = {
    'uncond-attn': ['conv_in.weight', 'time_embedding.linear_1.weight', 'mid_block.attentions.0.to_q.weight',
                    'down_blocks.1.attentions.0.group_norm.weight', 'up_blocks.1.resnets.1.conv_shortcut.bias'],
    'class-scaleshift': ['class_embedding.weight', 'down_blocks.0.downsamplers.0.conv1.weight',
                         'up_blocks.0.resnets.2.time_emb_proj.weight', 'conv_out.bias'],
    'scaleshift-midattn': ['mid_block.attentions.0.to_v.bias', 'class_embedding.linear_2.weight', 'conv_norm_out.weight'],
}


def commit():
    return subprocess.check_output(['git', '--git-dir', GIT, 'rev-parse', 'HEAD'], text=True).strip()


def setup(dest):
    c = commit()
    for p in REAL:
        text = subprocess.check_output(['git', '--git-dir', GIT, 'show', f'{c}:src/diffusers/{p}'])
        full = os.path.join(dest, 'diffusers', p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'wb') as f:
            f.write(text)
    for p, body in STUBS.items():
        full = os.path.join(dest, p)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(body)
    sys.path.insert(0, dest)
    return c


def safetensors_bytes(tensors, metadata=None):
    """The safetensors layout: u64 header length, JSON header (dtype, shape, data_offsets), raw little-endian data."""
    names = {torch.float32: 'F32', torch.int64: 'I64', torch.int32: 'I32'}
    header, blobs, off = {}, [], 0
    if metadata:
        header['__metadata__'] = metadata
    for k, t in tensors.items():
        t = t.detach().contiguous()
        b = t.numpy().tobytes()
        header[k] = {'dtype': names[t.dtype], 'shape': list(t.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'wb') as f:
        f.write(data)
    os.replace(path + '.tmp', path)


def write_json(path, body):
    write_bytes(path, (json.dumps(body, indent=2) + '\n').encode())


def randomise(model):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith('bias'):
                p.copy_(0.1 * torch.randn_like(p))
            elif 'norm' in name and p.ndim == 1:
                p.copy_(1 + 0.1 * torch.randn_like(p))
            else:
                fan_in = p[0].numel() if p.ndim > 1 else p.shape[0]
                p.copy_(torch.randn_like(p) / math.sqrt(fan_in))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        c = setup(tmp)
        from diffusers.models.unets.unet_2d import UNet2DModel  # noqa: E402
        for name, spec in CASES.items():
            torch.manual_seed(spec['seed'])
            model = UNet2DModel(**spec['config'])
            randomise(model)
            model.eval()
            cfg = {'_class_name': 'UNet2DModel', '_diffusers_version': 'git ' + c[:12]}
            for k, v in model.config.items():
                cfg[k] = list(v) if isinstance(v, tuple) else v
            n, s = spec['batch'], spec['size']
            sample = torch.randn(n, spec['config']['in_channels'], s, s).requires_grad_(True)
            timesteps = torch.tensor(spec['timesteps'], dtype=torch.long)
            labels = torch.tensor(spec['class_labels'], dtype=torch.long) if 'class_labels' in spec else None
            out = model(sample, timesteps, class_labels=labels).sample
            w = torch.sin(0.1 * torch.arange(out.numel(), dtype=torch.float32)).reshape(out.shape)
            loss = (out * w).sum()
            params = dict(model.named_parameters())
            wanted = [params[k] for k in GRAD_PARAMS[name]]
            grads = torch.autograd.grad(loss, [sample] + wanted)
            sd = OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())
            d = os.path.join(OUT, name)
            write_json(os.path.join(d, 'config.json'), cfg)
            write_bytes(os.path.join(d, 'diffusion_pytorch_model.safetensors'), safetensors_bytes(sd, {'format': 'pt'}))
            io = OrderedDict([('sample', sample.detach()), ('timesteps', timesteps), ('output', out.detach()),
                              ('grad.sample', grads[0])])
            if labels is not None:
                io['class_labels'] = labels
            for k, g in zip(GRAD_PARAMS[name], grads[1:]):
                io['grad.' + k] = g
            write_bytes(os.path.join(d, 'io.safetensors'), safetensors_bytes(io))
            meta = {
                'generator': 'tools/reference/gen_diffusion_unet.py', 'project': 'huggingface/diffusers', 'commit': c,
                'files': REAL, 'stubs': sorted(STUBS), 'torch': torch.__version__, 'seed': spec['seed'],
                'loss': 'sum(output * sin(0.1 * flat index))', 'gradParams': GRAD_PARAMS[name],
                'stateDictKeys': [[k, list(v.shape)] for k, v in sd.items()],
            }
            write_json(os.path.join(d, 'meta.json'), meta)
            if name == 'uncond-attn':
                b = os.path.join(OUT, 'uncond-bin')
                write_json(os.path.join(b, 'config.json'), cfg)
                os.makedirs(b, exist_ok=True)
                torch.save(sd, os.path.join(b, 'diffusion_pytorch_model.bin.tmp'))
                os.replace(os.path.join(b, 'diffusion_pytorch_model.bin.tmp'), os.path.join(b, 'diffusion_pytorch_model.bin'))
            total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
            print(f'{name}: {len(sd)} tensors, {sum(v.numel() for v in sd.values())} values, {total} bytes, '
                  f'|out| max {out.abs().max().item():.3f}', file=sys.stderr)


if __name__ == '__main__':
    main()
