#!/usr/bin/python3
"""tools/lm_ops_reference.py — an independent PyTorch reference for the language-model ops
of docs/language-models.md (TokenShift, WKV6, RoPE, CachedAttention), written from that
page and used by tests/test_ops_lm.c.

Usage: lm_ops_reference.py OUTDIR SEED CASEFILE
CASEFILE has one case per line: `NAME OP key=value ...` (shape parameters and attributes).
For each case the script draws seeded random inputs, computes the outputs in float64 and
writes NAME_in<i>.npy (inputs, float32 / int64) and NAME_out<i>.npy (outputs, float64).
"""
import math
import os
import sys

import numpy as np
import torch


def f32(gen, *shape, lo=-1.0, hi=1.0):
    return (torch.rand(*shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo).float()


def token_shift(gen, p):
    B, T, C = p["B"], p["T"], p["C"]
    x, s = f32(gen, B, T, C), f32(gen, B, C)
    xd, sd = x.double(), s.double()
    y = torch.cat([sd[:, None, :], xd[:, :-1, :]], dim=1)
    return [x, s], [y, xd[:, -1, :]]


def wkv6(gen, p):
    B, T, H, N = p["B"], p["T"], p["H"], p["N"]
    r, k, v = f32(gen, B, T, H, N), f32(gen, B, T, H, N), f32(gen, B, T, H, N)
    # log decays -exp(w) from about -0.007 (decay near 1) to about -12 (decay near 0)
    w = f32(gen, B, T, H, N, lo=-5.0, hi=2.5)
    u, s = f32(gen, H, N), f32(gen, B, H, N, N)
    S = s.double().clone()
    ud = u.double()
    y = torch.zeros(B, T, H, N, dtype=torch.float64)
    for t in range(T):
        rt, kt, vt = r[:, t].double(), k[:, t].double(), v[:, t].double()
        kv = kt[..., :, None] * vt[..., None, :]  # [B,H,i,j]
        y[:, t] = torch.einsum("bhi,bhij->bhj", rt, ud[None, :, :, None] * kv + S)
        decay = torch.exp(-torch.exp(w[:, t].double()))
        S = decay[..., :, None] * S + kv
    return [r, k, v, w, u, s], [y, S]


def rope(gen, p):
    B, T, H, D = p["B"], p["T"], p["H"], p["D"]
    rd = p.get("rotary_dim", 0) or D
    theta, inter, pos = p.get("theta", 10000.0), p.get("interleaved", 0), p["pos"]
    x = f32(gen, B, T, H, D)
    y = x.double().clone()
    half = rd // 2
    i = torch.arange(half, dtype=torch.float64)
    inv = theta ** (-2.0 * i / rd)
    ang = (pos + torch.arange(T, dtype=torch.float64))[:, None] * inv[None, :]  # [T, half]
    cos, sin = torch.cos(ang)[None, :, None, :], torch.sin(ang)[None, :, None, :]
    xd = x.double()
    ia = torch.arange(half) * 2 if inter else torch.arange(half)
    ib = ia + 1 if inter else ia + half
    a, b = xd[..., ia], xd[..., ib]
    y[..., ia] = a * cos - b * sin
    y[..., ib] = b * cos + a * sin
    return [x, torch.tensor([pos], dtype=torch.int64)], [y]


def cached_attention(gen, p):
    B, T, Hq, Hkv, D, M, pos = p["B"], p["T"], p["Hq"], p["Hkv"], p["D"], p["M"], p["pos"]
    scale = p.get("scale", 0.0) or 1.0 / math.sqrt(D)
    q, k, v = f32(gen, B, T, Hq, D), f32(gen, B, T, Hkv, D), f32(gen, B, T, Hkv, D)
    kc, vc = f32(gen, B, Hkv, M, D), f32(gen, B, Hkv, M, D)
    kco, vco = kc.double().clone(), vc.double().clone()
    kco[:, :, pos:pos + T] = k.double().transpose(1, 2)
    vco[:, :, pos:pos + T] = v.double().transpose(1, 2)
    rows = pos + T
    g = Hq // Hkv
    kk = kco[:, :, :rows].repeat_interleave(g, dim=1)  # [B,Hq,rows,D]
    vv = vco[:, :, :rows].repeat_interleave(g, dim=1)
    qq = q.double().transpose(1, 2)  # [B,Hq,T,D]
    scores = qq @ kk.transpose(-1, -2) * scale  # [B,Hq,T,rows]
    allowed = torch.arange(rows)[None, :] <= (pos + torch.arange(T))[:, None]
    scores = scores.masked_fill(~allowed, float("-inf"))
    y = (torch.softmax(scores, dim=-1) @ vv).transpose(1, 2)  # [B,T,Hq,D]
    return [q, k, v, kc, vc, torch.tensor([pos], dtype=torch.int64)], [y, kco, vco]


OPS = {"TokenShift": token_shift, "WKV6": wkv6, "RoPE": rope, "CachedAttention": cached_attention}


def main():
    outdir, seed, casefile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(casefile) as f:
        lines = [ln.split() for ln in f if ln.strip()]
    for n, parts in enumerate(lines):
        name, op = parts[0], parts[1]
        params = {}
        for kv in parts[2:]:
            key, val = kv.split("=")
            params[key] = float(val) if "." in val else int(val)
        gen = torch.Generator().manual_seed(seed * 1000 + n)
        ins, outs = OPS[op](gen, params)
        for i, t in enumerate(ins):
            np.save(os.path.join(outdir, "%s_in%d.npy" % (name, i)), t.numpy())
        for i, t in enumerate(outs):
            np.save(os.path.join(outdir, "%s_out%d.npy" % (name, i)), t.double().contiguous().numpy())


if __name__ == "__main__":
    main()
