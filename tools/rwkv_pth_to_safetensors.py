#!/usr/bin/python3
"""tools/rwkv_pth_to_safetensors.py — converts an official RWKV-v6 checkpoint
(RWKV-x060-*.pth, a torch state_dict) into a .safetensors file that
`odinc build-model rwkv6 --weights FILE` reads. Tensor names are kept (models/rwkv6.c uses
the official names); every tensor is checked against the RWKV-v6 layout first, so an
unknown, missing or misshapen tensor is refused with its name before anything is written.

The safetensors file is written here (8-byte little-endian header length, JSON header,
raw little-endian data, 8-byte aligned), one tensor at a time.

usage: rwkv_pth_to_safetensors.py IN.pth OUT.safetensors [--dtype f32|f16|bf16]
  --dtype   the stored dtype of every tensor (default: each tensor's dtype as stored)
"""
import argparse
import json
import re
import struct
import sys

import torch

DTYPES = {'f32': torch.float32, 'f16': torch.float16, 'bf16': torch.bfloat16}
SAFETENSORS_DTYPE = {torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16',
                     torch.float64: 'F64'}


class CheckpointError(Exception):
    pass


def expected_shapes(sd):
    """Name -> shape of every tensor an RWKV-v6 checkpoint has, with the sizes read from
    the tensors that define them (C, vocab, heads, head size, ffn width, LoRA ranks)."""
    def dims(name, rank):
        if name not in sd:
            raise CheckpointError("missing tensor '%s' (not an RWKV-v6 checkpoint?)" % name)
        shape = tuple(sd[name].shape)
        if len(shape) != rank:
            raise CheckpointError("tensor '%s' has shape %s, expected rank %d"
                                  % (name, list(shape), rank))
        return shape

    V, C = dims('emb.weight', 2)
    H, N = dims('blocks.0.att.time_faaaa', 2)
    F = dims('blocks.0.ffn.key.weight', 2)[0]
    _, DM, _ = dims('blocks.0.att.time_maa_w2', 3)
    DD = dims('blocks.0.att.time_decay_w1', 2)[1]
    layers = set()
    for name in sd:
        m = re.match(r'blocks\.(\d+)\.', name)
        if m:
            layers.add(int(m.group(1)))
    n_layer = max(layers) + 1
    missing_blocks = sorted(set(range(n_layer)) - layers)
    if missing_blocks:
        raise CheckpointError('blocks %s are missing (the checkpoint has blocks up to %d)'
                              % (missing_blocks, n_layer - 1))

    shapes = {'emb.weight': (V, C), 'ln_out.weight': (C,), 'ln_out.bias': (C,),
              'head.weight': (V, C)}
    for l in range(n_layer):
        b = 'blocks.%d.' % l
        lns = ('ln0', 'ln1', 'ln2') if l == 0 else ('ln1', 'ln2')
        for ln in lns + ('att.ln_x',):
            shapes[b + ln + '.weight'] = (C,)
            shapes[b + ln + '.bias'] = (C,)
        a = b + 'att.'
        for m in 'xwkvrg':
            shapes[a + 'time_maa_' + m] = (1, 1, C)
        shapes[a + 'time_maa_w1'] = (C, 5 * DM)
        shapes[a + 'time_maa_w2'] = (5, DM, C)
        shapes[a + 'time_decay'] = (1, 1, C)
        shapes[a + 'time_decay_w1'] = (C, DD)
        shapes[a + 'time_decay_w2'] = (DD, C)
        shapes[a + 'time_faaaa'] = (H, N)
        for lin in ('receptance', 'key', 'value', 'gate', 'output'):
            shapes[a + lin + '.weight'] = (C, C)
        f = b + 'ffn.'
        shapes[f + 'time_maa_k'] = (1, 1, C)
        shapes[f + 'time_maa_r'] = (1, 1, C)
        shapes[f + 'key.weight'] = (F, C)
        shapes[f + 'receptance.weight'] = (C, C)
        shapes[f + 'value.weight'] = (C, F)
    if H * N != C:
        raise CheckpointError("time_faaaa is [%d, %d] (heads x head size) but emb.weight has "
                              "%d channels" % (H, N, C))
    return shapes


def check(sd):
    shapes = expected_shapes(sd)
    problems = []
    for name in sd:
        if name not in shapes:
            problems.append("unknown tensor '%s'" % name)
    for name, shape in shapes.items():
        if name not in sd:
            problems.append("missing tensor '%s' (expected shape %s)" % (name, list(shape)))
        elif tuple(sd[name].shape) != shape:
            problems.append("tensor '%s' has shape %s, expected %s"
                            % (name, list(sd[name].shape), list(shape)))
        elif sd[name].dtype not in SAFETENSORS_DTYPE:
            problems.append("tensor '%s' has dtype %s, expected a float type"
                            % (name, sd[name].dtype))
    if problems:
        more = '' if len(problems) <= 10 else '\n  ... and %d more' % (len(problems) - 10)
        raise CheckpointError('not an RWKV-v6 checkpoint:\n  ' + '\n  '.join(problems[:10]) + more)


def raw_bytes(t):
    """Little-endian bytes of a contiguous CPU tensor (bf16 has no numpy dtype: its bits are
    read as int16)."""
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()


def write_safetensors(path, sd, dtype):
    header, offset = {}, 0
    names = list(sd)
    for name in names:
        t = sd[name]
        dt = dtype or t.dtype
        size = t.numel() * torch.empty((), dtype=dt).element_size()
        header[name] = {'dtype': SAFETENSORS_DTYPE[dt], 'shape': list(t.shape),
                        'data_offsets': [offset, offset + size]}
        offset += size
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)  # tensor data starts 8-byte aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for name in names:
            t = sd[name]
            f.write(raw_bytes(t.to(dtype) if dtype else t))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('input', help='RWKV-v6 checkpoint (.pth, a torch state_dict)')
    p.add_argument('output', help='the .safetensors file to write')
    p.add_argument('--dtype', choices=sorted(DTYPES), default=None,
                   help='stored dtype of every tensor (default: as in the checkpoint)')
    args = p.parse_args()
    try:
        sd = torch.load(args.input, map_location='cpu')
    except Exception as e:  # a truncated file, not a pickle, ...
        sys.exit('%s: cannot load as a torch checkpoint: %s' % (args.input, e))
    if isinstance(sd, dict) and 'state_dict' in sd and isinstance(sd['state_dict'], dict):
        sd = sd['state_dict']
    if not isinstance(sd, dict) or not all(torch.is_tensor(v) for v in sd.values()):
        sys.exit('%s: not a state_dict (a dict of name -> tensor)' % args.input)
    try:
        check(sd)
    except CheckpointError as e:
        sys.exit('%s: %s' % (args.input, e))
    dtype = DTYPES[args.dtype] if args.dtype else None
    write_safetensors(args.output, sd, dtype)
    n = sum(t.numel() for t in sd.values())
    print('%s: %d tensors, %.1f M parameters -> %s' % (args.input, len(sd), n / 1e6, args.output))


if __name__ == '__main__':
    main()
