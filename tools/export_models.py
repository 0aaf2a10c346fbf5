#!/usr/bin/python3
"""tools/export_models.py — the benchmark models as ONNX files, their inputs as .npy, and a
manifest (name, file, inputs, FLOPs) that tools/bench.sh reads.

Run with Debian's interpreter (/usr/bin/python3: python3-torch, python3-torchvision,
python3-onnx). No downloads: every weight is random from torch.manual_seed.

    /usr/bin/python3 tools/export_models.py OUT_DIR [--only a,b] [--force]
                     [--odinc build/odinc] [--reference]

A model whose .onnx and input files already exist is kept (so repeated bench runs compare
the same weights); --force re-exports. --odinc builds the GPT-2-style models with ODIN's own
builder (`odinc build-model gpt2 ... -o X.onnx`); without it they are skipped.
--reference also writes torch's output for each torch model as NAME.ref.npy, so a test can
check ODIN against torch as an independent reference.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import torch
import torchvision

OPSET = 13
# Models exported at another opset: the transformer at 17, where LayerNormalization exists.
OPSET_OF = {"transformer": 17}
SEED = 0


class MatMulW(torch.nn.Module):
    """x @ W with W a weight: exports as one MatMul whose right operand is an initializer."""

    def __init__(self, k, n):
        super().__init__()
        self.w = torch.nn.Parameter(torch.randn(k, n) / k ** 0.5)

    def forward(self, x):
        return torch.matmul(x, self.w)


class Transformer(torch.nn.Module):
    """A small causal transformer encoder: 2 post-norm layers, d_model 64, 4 heads, FFN 128,
    batch_first. The causal mask is a constant buffer, so the graph has one input."""

    def __init__(self, seq=16, d_model=64, heads=4, layers=2):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(d_model, heads, dim_feedforward=128,
                                                 dropout=0.0, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        # -inf above the diagonal: what nn.Transformer.generate_square_subsequent_mask gives.
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), float("-inf")), 1))

    def forward(self, x):
        return self.enc(x, mask=self.mask)


def mlp():
    return torch.nn.Sequential(
        torch.nn.Linear(784, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 512), torch.nn.ReLU(),
        torch.nn.Linear(512, 10))


# name -> (module factory, input shape). The factory runs right after torch.manual_seed.
TORCH_MODELS = {
    "mlp_b1": (mlp, [1, 784]),
    "mlp_b64": (mlp, [64, 784]),
    "resnet18": (lambda: torchvision.models.resnet18(weights=None), [1, 3, 224, 224]),
    "mobilenet_v2": (lambda: torchvision.models.mobilenet_v2(weights=None), [1, 3, 224, 224]),
    "transformer": (Transformer, [2, 16, 64]),
    "matmul_1x768x2304": (lambda: MatMulW(768, 2304), [1, 768]),
    "matmul_128x768x768": (lambda: MatMulW(768, 768), [128, 768]),
    "matmul_512x512x512": (lambda: MatMulW(512, 512), [512, 512]),
}
# name -> `odinc build-model` arguments.
ODIN_MODELS = {
    "gpt2_s32": ["gpt2", "--set", "seq=32"],
    "gpt2_s128": ["gpt2", "--set", "seq=128"],
}
ALL = list(TORCH_MODELS) + list(ODIN_MODELS)


def export_torch(name, out_dir, reference):
    factory, shape = TORCH_MODELS[name]
    torch.manual_seed(SEED)
    model = factory().eval()
    x = torch.rand(shape) * 2 - 1
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, (x,), path, input_names=["x"], output_names=["y"],
                          opset_version=OPSET_OF.get(name, OPSET), do_constant_folding=True)
        y = model(x)
    np.save(os.path.join(out_dir, name + ".x.npy"), x.numpy().astype(np.float32))
    if reference:
        np.save(os.path.join(out_dir, name + ".ref.npy"), y.numpy().astype(np.float32))


def export_odin(name, out_dir, odinc):
    path = os.path.join(out_dir, name + ".onnx")
    subprocess.run([odinc, "build-model"] + ODIN_MODELS[name] + ["-o", path], check=True)
    # Random inputs from the declared types: token ids small enough for any table.
    rng = np.random.default_rng(SEED)
    for inp in onnx.load(path, load_external_data=False).graph.input:
        tt = inp.type.tensor_type
        dims = [d.dim_value for d in tt.shape.dim]
        dtype = onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[tt.elem_type]
        if np.issubdtype(dtype, np.integer):
            data = rng.integers(0, 100, size=dims).astype(dtype)
        else:
            data = (rng.random(dims) * 2 - 1).astype(dtype)
        np.save(os.path.join(out_dir, "%s.%s.npy" % (name, inp.name)), data)


def input_files(name, out_dir):
    """{input name: .npy path} for every graph input that is not an initializer."""
    m = onnx.load(os.path.join(out_dir, name + ".onnx"), load_external_data=False)
    inits = {t.name for t in m.graph.initializer}
    return {i.name: os.path.join(out_dir, "%s.%s.npy" % (name, i.name))
            for i in m.graph.input if i.name not in inits}


def count_flops(path):
    """Multiply-adds of MatMul, Gemm and Conv counted as 2 FLOPs each (the usual
    convention); elementwise ops are not counted."""
    m = onnx.shape_inference.infer_shapes(onnx.load(path))
    shapes = {}
    for vi in list(m.graph.input) + list(m.graph.value_info) + list(m.graph.output):
        dims = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        shapes[vi.name] = dims
    for t in m.graph.initializer:
        shapes[t.name] = list(t.dims)
    total = 0
    for n in m.graph.node:
        if n.op_type == "MatMul" and n.output[0] in shapes and n.input[0] in shapes:
            a, y = shapes[n.input[0]], shapes[n.output[0]]
            total += 2 * int(np.prod(y)) * a[-1]
        elif n.op_type == "Gemm" and n.output[0] in shapes:
            a = shapes[n.input[0]]
            trans_a = any(at.name == "transA" and at.i for at in n.attribute)
            k = a[0] if trans_a else a[1]
            total += 2 * int(np.prod(shapes[n.output[0]])) * k
        elif n.op_type == "Conv" and n.output[0] in shapes:
            w = shapes[n.input[1]]  # [Cout, Cin/group, kh, kw]
            total += 2 * int(np.prod(shapes[n.output[0]])) * int(np.prod(w[1:]))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--only", help="comma-separated model names (default: all)")
    ap.add_argument("--force", action="store_true", help="re-export existing models")
    ap.add_argument("--odinc", help="odinc binary, for the GPT-2-style models")
    ap.add_argument("--reference", action="store_true", help="also write torch outputs")
    args = ap.parse_args()
    names = args.only.split(",") if args.only else ALL
    for n in names:
        if n not in ALL:
            sys.exit("export_models.py: unknown model '%s' (known: %s)" % (n, ", ".join(ALL)))
    os.makedirs(args.out_dir, exist_ok=True)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    manifest = []
    for n in names:
        if n in ODIN_MODELS and not args.odinc:
            print("export_models.py: skipping %s (needs --odinc)" % n, file=sys.stderr)
            continue
        path = os.path.join(args.out_dir, n + ".onnx")
        have = os.path.exists(path) and all(
            os.path.exists(f) for f in input_files(n, args.out_dir).values())
        if n in TORCH_MODELS and args.reference:
            have = have and os.path.exists(os.path.join(args.out_dir, n + ".ref.npy"))
        if args.force or not have:
            print("export_models.py: exporting %s" % n, file=sys.stderr)
            if n in TORCH_MODELS:
                export_torch(n, args.out_dir, args.reference)
            else:
                export_odin(n, args.out_dir, args.odinc)
        entry = {"name": n, "file": path, "inputs": input_files(n, args.out_dir),
                 "flops": count_flops(path)}
        manifest.append(entry)
    with open(os.path.join(args.out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)


if __name__ == "__main__":
    main()
