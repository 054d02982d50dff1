"""Reference files for the checkpoint I/O tests (packages/tensor-webgpu/src/io/*.test.ts).

Run with Debian's PyTorch: /usr/bin/python3 tools/reference/gen_io.py
Writes into packages/tensor-webgpu/fixtures/io/ (the hand-made .pth files copied from the team's reference set
live there too; see its README.md).

safetensors: Debian has no `python3-safetensors` package (`apt-cache policy python3-safetensors` finds nothing) and
only Debian's archive is reachable, so the reference .safetensors bytes are written by hand here with struct + json,
following the published format (README "Format" section of huggingface/safetensors) and the writer rules of the
library's `prepare()`/`Metadata` serializer in safetensors/src/tensor.rs, checked against its source:
  * 8-byte little-endian u64 N, then N bytes of compact JSON (serde_json: no spaces, non-ASCII not escaped),
    right-padded with spaces (0x20) so that N is a multiple of 8, then the data section;
  * "__metadata__" (str -> str) is the first key when given; tensor entries follow as
    {"dtype": ..., "shape": [...], "data_offsets": [begin, end]} in that field order;
  * tensors are sorted by dtype in descending order of the library's `Dtype` enum (BOOL < U8 < I8 < I16 < U16 < F16 <
    BF16 < I32 < U32 < F32 < F64 < I64 for the dtypes used here), ties by name (byte-wise UTF-8), and their bytes are
    laid out back to back in that order starting at offset 0.
The library's own unit tests pin a few exact byte strings (an empty file, metadata only, one F32 tensor); the TS tests
check those too.

Every file is reproducible except nested_legacy.pth, whose storage keys are CPython object ids (the tests do not
depend on them).
"""
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
OUT = os.path.join(ROOT, 'packages', 'tensor-webgpu', 'fixtures', 'io')

# The library's Dtype enum order (ascending); files list tensors in descending order of this rank.
DTYPE_RANK = ['BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64']
NUMPY = {'F64': '<f8', 'F32': '<f4', 'I64': '<i8', 'I32': '<i4', 'I16': '<i2', 'I8': 'i1', 'U32': '<u4', 'U16': '<u2',
         'U8': 'u1', 'BOOL': 'u1'}


def write_bytes(name, data):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(data)
    os.replace(tmp, path)
    print(f'wrote {path}: {len(data)} bytes', file=sys.stderr)


def write_json(name, obj):
    write_bytes(name, json.dumps(obj, indent=1, ensure_ascii=False).encode('utf-8'))


def st_bytes(dtype, values):
    """Little-endian element bytes of `values` (a torch tensor) stored as `dtype`."""
    t = values.detach().contiguous()
    if dtype == 'F16':
        return t.to(torch.float16).view(torch.int16).numpy().tobytes()
    if dtype == 'BF16':
        return t.to(torch.bfloat16).view(torch.int16).numpy().tobytes()
    return np.ascontiguousarray(t.numpy().astype(NUMPY[dtype])).tobytes()


def st_values(dtype, values):
    """The values a reader must produce, widened to float64 exactly (bf16/f16 rounded first)."""
    t = values.detach().contiguous()
    if dtype == 'F16':
        t = t.to(torch.float16)
    elif dtype == 'BF16':
        t = t.to(torch.bfloat16)
    elif dtype == 'F32':
        t = t.to(torch.float32)
    return [float(v) for v in t.to(torch.float64).flatten().tolist()]


def safetensors_file(tensors, metadata=None):
    """tensors: {name: (dtype, shape, bytes)} -> file bytes, laid out like the Python library writes them."""
    order = sorted(tensors.items(), key=lambda kv: (-DTYPE_RANK.index(kv[1][0]), kv[0].encode('utf-8')))
    parts = []
    if metadata is not None:
        parts.append('"__metadata__":' + json.dumps(metadata, separators=(',', ':'), ensure_ascii=False))
    offset = 0
    for name, (dtype, shape, data) in order:
        parts.append(json.dumps(name, ensure_ascii=False) + ':' + json.dumps(
            {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(data)]}, separators=(',', ':')))
        offset += len(data)
    header = ('{' + ','.join(parts) + '}').encode('utf-8')
    header += b' ' * (-len(header) % 8)
    return struct.pack('<Q', len(header)) + header + b''.join(data for _, (_, _, data) in order)


def gen_safetensors():
    g = torch.Generator().manual_seed(7)
    specs = {
        'f32.weight': ('F32', torch.randn(2, 3, generator=g)),
        'f16.weight': ('F16', torch.randn(5, generator=g) * 3),
        'bf16.weight': ('BF16', torch.randn(3, generator=g)),
        'f64.scalar': ('F64', torch.tensor(3.141592653589793, dtype=torch.float64)),
        'i64.index': ('I64', torch.tensor([[0, -5, 2 ** 31 - 1], [-2 ** 31, 7, 1]], dtype=torch.int64)),
        'i32.index': ('I32', torch.tensor([3, -1, 7], dtype=torch.int32)),
        'i16.small': ('I16', torch.tensor([-32768, 0, 32767], dtype=torch.int16)),
        'i8.tiny': ('I8', torch.tensor([-128, 5, 127], dtype=torch.int8)),
        'u8.mask': ('U8', torch.tensor([0, 255, 1], dtype=torch.uint8)),
        'u16.count': ('U16', torch.tensor([0, 65535, 3], dtype=torch.int32)),
        'u32.count': ('U32', torch.tensor([0, 4294967295, 9], dtype=torch.int64)),
        'bool.flag': ('BOOL', torch.tensor([True, False, True])),
        'empty.bias': ('F32', torch.zeros(0, 3)),
        # Names that sort differently by UTF-8 bytes than by case-folding, plus a non-ASCII name and a quote.
        'B.upper': ('F32', torch.tensor([1.5])),
        'a_b': ('F32', torch.tensor([2.5])),
        'a.b': ('F32', torch.tensor([3.5])),
        'ünï"cödé': ('F32', torch.tensor([4.5])),
    }
    tensors = {k: (d, list(v.shape), st_bytes(d, v)) for k, (d, v) in specs.items()}
    metadata = {'format': 'pt'}
    write_bytes('reference.safetensors', safetensors_file(tensors, metadata))
    expected = {'metadata': metadata, 'tensors': {
        k: {'dtype': d, 'shape': list(v.shape), 'values': st_values(d, v)} for k, (d, v) in specs.items()}}
    write_json('reference.safetensors.json', expected)
    # One tensor whose int64 values do not fit in int32 (loading it as Radix tensors must fail naming the key).
    big = torch.tensor([1, 2 ** 40], dtype=torch.int64)
    write_bytes('int64_overflow.safetensors', safetensors_file({'big.counter': ('I64', [2], st_bytes('I64', big))}))


class _Eval:
    """A pickle payload that would call builtins.eval (protocol 4: STACK_GLOBAL); a safe reader must refuse it."""

    def __reduce__(self):
        return (eval, ("open('radix-pwned-eval.txt', 'w').write('pwned')",))


def enc_tensor(t):
    t = t.detach().contiguous()
    vals = t.to(torch.float64).flatten().tolist() if t.dtype != torch.bool else [int(v) for v in t.flatten().tolist()]
    return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'values': vals}


def gen_pth():
    tiny = os.path.join(OUT, 'tiny_zip.pth')
    # Same archive recompressed with DEFLATE (torch itself writes STORED entries).
    with zipfile.ZipFile(tiny) as src:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, 'w', compression=zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
                fixed.compress_type = zipfile.ZIP_DEFLATED
                dst.writestr(fixed, src.read(info.filename))
    write_bytes('tiny_deflate.pth', buf.getvalue())

    # A module state dict (OrderedDict with _metadata -> BUILD), a Parameter, shared storages, views, nesting.
    torch.manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2))
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    ckpt = {
        'model': net.state_dict(),
        'epoch': 7,
        'tag': 'radix',
        'shared': {'base': base, 'base_t': base.t(), 'row1': base[1], 'col2': base[:, 2], 'strided': base[::2, 1::2]},
        'param': torch.nn.Parameter(torch.tensor([0.25, -0.5])),
        'list': [torch.tensor([1, 2], dtype=torch.int64), torch.tensor([[True], [False]])],
        'meta': {'lr': 0.1, 'betas': (0.9, 0.999), 'blob': b'\x00\x01'},
    }
    expected = {}
    for k, v in ckpt['model'].items():
        expected[f'model.{k}'] = enc_tensor(v)
    for k, v in ckpt['shared'].items():
        expected[f'shared.{k}'] = enc_tensor(v)
    expected['param'] = enc_tensor(ckpt['param'])
    expected['list.0'] = enc_tensor(ckpt['list'][0])
    expected['list.1'] = enc_tensor(ckpt['list'][1])
    write_json('nested_expected.json', expected)
    for name, kwargs in [('nested_zip.pth', {}), ('nested_legacy.pth', {'_use_new_zipfile_serialization': False}),
                         ('nested_zip_p4.pth', {'pickle_protocol': 4})]:
        buf = io.BytesIO()
        torch.save(ckpt, buf, **kwargs)
        write_bytes(name, buf.getvalue())

    buf = io.BytesIO()
    torch.save({'big.counter': torch.tensor([1, 2 ** 40])}, buf)
    write_bytes('int64_overflow.pth', buf.getvalue())

    write_bytes('hostile_eval_p4.pkl', pickle.dumps({'x': _Eval()}, protocol=4))
    # Protocol 0 (text opcodes) data, no globals: a reader must decode it exactly.
    proto0 = {'a': [1, -2, 3.5, 'text', None, True, 10 ** 20], 'b': ('x', 0)}
    write_bytes('protocol0.pkl', pickle.dumps(proto0, protocol=0))


def main():
    gen_safetensors()
    gen_pth()


if __name__ == '__main__':
    main()
