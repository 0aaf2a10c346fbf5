#!/usr/bin/python3
"""tools/rwkv6_reference.py — an independent plain-PyTorch RWKV-v6 for testing ODIN's
rwkv6 builder. It makes random weights under the official checkpoint names and shapes,
writes them as OUT/model.safetensors (format written here: 8-byte little-endian header
length, JSON header, raw little-endian data), runs the model written from
../shared/MODELS.md (sequential WKV loop, float64 arithmetic) on a token sequence and
writes, in ODIN's output naming:
  OUT/tokens.npy             int64 [1, T]
  OUT/logits.npy             float32 [1, T, vocab] (every token's logits)
  OUT/state_out.L.{att_shift,wkv,ffn_shift}.npy   the state after the T tokens
  OUT/state.L.*.npy          the initial state (zeros, or random with --init-state)
  OUT/settings               the `--set key=value` arguments of `odinc build-model rwkv6`
--wrong-shape NAME stores tensor NAME with its two axes swapped (or, for a vector, one
element short) to test the loader's shape check.

usage: rwkv6_reference.py OUT [--n_layer 2] [--n_embd 64] [--head_size 16] [--vocab 300]
                          [--dim_ffn 224] [--d_mix 8] [--d_decay 16] [--T 8] [--seed 1]
                          [--init-state] [--wrong-shape NAME]
"""
import argparse
import json
import os
import struct

import numpy as np
import torch


def make_weights(cfg, gen):
    """Random weights, large enough that every path changes the logits: mixes in (0, 1),
    decays spread over (0, 1), nonzero bonus u, LayerNorm weights around 1 with biases."""
    C, H, N, F = cfg.n_embd, cfg.n_embd // cfg.head_size, cfg.head_size, cfg.dim_ffn
    DM, DD, V = cfg.d_mix, cfg.d_decay, cfg.vocab

    def normal(*shape, std=1.0):
        return torch.randn(*shape, generator=gen, dtype=torch.float32) * std

    def uniform(*shape, lo=0.0, hi=1.0):
        return lo + (hi - lo) * torch.rand(*shape, generator=gen, dtype=torch.float32)

    def ln(prefix):
        w[prefix + '.weight'] = 1.0 + normal(C, std=0.2)
        w[prefix + '.bias'] = normal(C, std=0.1)

    w = {'emb.weight': normal(V, C)}
    for l in range(cfg.n_layer):
        b = 'blocks.%d.' % l
        if l == 0:
            ln(b + 'ln0')
        ln(b + 'ln1')
        ln(b + 'ln2')
        a = b + 'att.'
        for m in 'xwkvrg':
            w[a + 'time_maa_' + m] = uniform(1, 1, C)
        w[a + 'time_maa_w1'] = normal(C, 5 * DM, std=C ** -0.5)
        w[a + 'time_maa_w2'] = normal(5, DM, C, std=0.3 * DM ** -0.5)
        w[a + 'time_decay'] = uniform(1, 1, C, lo=-4.0, hi=1.0)
        w[a + 'time_decay_w1'] = normal(C, DD, std=C ** -0.5)
        w[a + 'time_decay_w2'] = normal(DD, C, std=0.5 * DD ** -0.5)
        w[a + 'time_faaaa'] = normal(H, N, std=0.5)
        for lin in ('receptance', 'key', 'value', 'gate', 'output'):
            w[a + lin + '.weight'] = normal(C, C, std=C ** -0.5)
        ln(a + 'ln_x')
        f = b + 'ffn.'
        w[f + 'time_maa_k'] = uniform(1, 1, C)
        w[f + 'time_maa_r'] = uniform(1, 1, C)
        w[f + 'key.weight'] = normal(F, C, std=C ** -0.5)
        w[f + 'receptance.weight'] = normal(C, C, std=C ** -0.5)
        w[f + 'value.weight'] = normal(C, F, std=F ** -0.5)
    ln('ln_out')
    w['head.weight'] = normal(V, C, std=C ** -0.5)
    return w


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape),
                        'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)  # data starts 8-byte aligned
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def time_mix(W, a, h, shift, S, cfg):
    """h [T, C] = ln1(x); shift [C]; S [H, N, N]. Returns out [T, C], new shift, new S."""
    T, C = h.shape
    H, N, DM = C // cfg.head_size, cfg.head_size, cfg.d_mix
    prev = torch.cat([shift[None, :], h[:-1]], 0)
    d = prev - h
    vec = lambda n: W[a + n].reshape(C)
    xxx = h + d * vec('time_maa_x')
    m = torch.tanh(xxx @ W[a + 'time_maa_w1'])               # [T, 5*DM]
    m = m.reshape(T, 5, DM).transpose(0, 1)                   # [5, T, DM]
    m = torch.bmm(m, W[a + 'time_maa_w2'])                    # [5, T, C]
    mw, mk, mv, mr, mg = m                                    # order w, k, v, r, g
    xw = h + d * (vec('time_maa_w') + mw)
    xk = h + d * (vec('time_maa_k') + mk)
    xv = h + d * (vec('time_maa_v') + mv)
    xr = h + d * (vec('time_maa_r') + mr)
    xg = h + d * (vec('time_maa_g') + mg)
    lin = lambda x, n: x @ W[a + n + '.weight'].T             # Linear weights are [out, in]
    r, k, v = lin(xr, 'receptance'), lin(xk, 'key'), lin(xv, 'value')
    g = lin(xg, 'gate')
    g = g * torch.sigmoid(g)
    w = vec('time_decay') + torch.tanh(xw @ W[a + 'time_decay_w1']) @ W[a + 'time_decay_w2']
    decay = torch.exp(-torch.exp(w))
    u = W[a + 'time_faaaa']                                   # [H, N]
    r, k, v, decay = (z.reshape(T, H, N) for z in (r, k, v, decay))
    y = torch.zeros(T, H, N, dtype=h.dtype)
    S = S.clone()
    for t in range(T):  # the sequential form, every head at once
        kv = k[t][:, :, None] * v[t][:, None, :]              # [H, N(i), N(j)]
        y[t] = torch.einsum('hi,hij->hj', r[t], u[:, :, None] * kv + S)
        S = decay[t][:, :, None] * S + kv
    # ln_x: GroupNorm with H groups of N channels, eps 1e-5 * 8^2
    mean = y.mean(-1, keepdim=True)
    var = ((y - mean) ** 2).mean(-1, keepdim=True)
    y = ((y - mean) / torch.sqrt(var + 64e-5)).reshape(T, C)
    y = y * W[a + 'ln_x.weight'] + W[a + 'ln_x.bias']
    return lin(y * g, 'output'), h[-1].clone(), S


def channel_mix(W, f, h, shift):
    C = h.shape[1]
    prev = torch.cat([shift[None, :], h[:-1]], 0)
    d = prev - h
    xk = h + d * W[f + 'time_maa_k'].reshape(C)
    xr = h + d * W[f + 'time_maa_r'].reshape(C)
    k = torch.relu(xk @ W[f + 'key.weight'].T) ** 2
    kv = k @ W[f + 'value.weight'].T
    return torch.sigmoid(xr @ W[f + 'receptance.weight'].T) * kv, h[-1].clone()


def forward(W, cfg, tokens, state):
    """tokens: list of ids; state: dict name -> tensor (ODIN's state.* names, batch 1).
    Returns logits [T, vocab] and the new state under state_out.* names."""
    C = cfg.n_embd
    H, N = C // cfg.head_size, cfg.head_size
    x = W['emb.weight'][torch.tensor(tokens)]
    x = layer_norm(x, W['blocks.0.ln0.weight'], W['blocks.0.ln0.bias'])
    out = {}
    for l in range(cfg.n_layer):
        b = 'blocks.%d.' % l
        s = 'state.%d.' % l
        h = layer_norm(x, W[b + 'ln1.weight'], W[b + 'ln1.bias'])
        att, sh, S = time_mix(W, b + 'att.', h, state[s + 'att_shift'][0],
                              state[s + 'wkv'][0], cfg)
        x = x + att
        h = layer_norm(x, W[b + 'ln2.weight'], W[b + 'ln2.bias'])
        ffn, fsh = channel_mix(W, b + 'ffn.', h, state[s + 'ffn_shift'][0])
        x = x + ffn
        o = 'state_out.%d.' % l
        out[o + 'att_shift'] = sh[None]
        out[o + 'wkv'] = S[None]
        out[o + 'ffn_shift'] = fsh[None]
    x = layer_norm(x, W['ln_out.weight'], W['ln_out.bias'])
    return x @ W['head.weight'].T, out


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out')
    for k, v in (('n_layer', 2), ('n_embd', 64), ('head_size', 16), ('vocab', 300),
                 ('dim_ffn', 224), ('d_mix', 8), ('d_decay', 16), ('T', 8), ('seed', 1)):
        p.add_argument('--' + k, type=int, default=v)
    p.add_argument('--init-state', action='store_true')
    p.add_argument('--wrong-shape', default=None)
    cfg = p.parse_args()
    if cfg.n_embd % cfg.head_size:
        p.error('head_size must divide n_embd')
    os.makedirs(cfg.out, exist_ok=True)
    gen = torch.Generator().manual_seed(cfg.seed)
    W32 = make_weights(cfg, gen)
    stored = dict(W32)
    if cfg.wrong_shape:
        t = stored[cfg.wrong_shape]
        stored[cfg.wrong_shape] = (t.reshape(t.shape[0], -1).T.contiguous() if t.dim() == 2
                                   else t.reshape(-1)[:-1].reshape(1, 1, -1))
    write_safetensors(os.path.join(cfg.out, 'model.safetensors'), stored)
    W = {k: v.double() for k, v in W32.items()}

    C, H, N = cfg.n_embd, cfg.n_embd // cfg.head_size, cfg.head_size
    tokens = torch.randint(0, cfg.vocab, (cfg.T,), generator=gen).tolist()
    state = {}
    for l in range(cfg.n_layer):
        for name, shape, scale in (('att_shift', (1, C), 1.0), ('wkv', (1, H, N, N), 0.5),
                                   ('ffn_shift', (1, C), 1.0)):
            z = torch.zeros(shape, dtype=torch.float32)
            if cfg.init_state:
                z = torch.randn(shape, generator=gen, dtype=torch.float32) * scale
            state['state.%d.%s' % (l, name)] = z
    logits, new_state = forward(W, cfg, tokens, {k: v.double() for k, v in state.items()})

    save = lambda name, a: np.save(os.path.join(cfg.out, name + '.npy'), a)
    save('tokens', np.array([tokens], dtype=np.int64))
    save('logits', logits[None].float().numpy())
    for k, v in list(state.items()) + list(new_state.items()):
        save(k, v.float().numpy())
    with open(os.path.join(cfg.out, 'settings'), 'w') as f:
        f.write(' '.join('--set %s=%d' % (k, getattr(cfg, k)) for k in
                         ('n_layer', 'n_embd', 'head_size', 'vocab', 'dim_ffn', 'd_mix',
                          'd_decay')) + '\n')
    print('rwkv6 reference: T=%d, logits |max| %.3f, std %.3f' %
          (cfg.T, logits.abs().max().item(), logits.std().item()))


if __name__ == '__main__':
    main()
