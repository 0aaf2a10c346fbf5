#!/usr/bin/env python3
"""tools/hf_reference.py — Hugging Face reference outputs for the LM builders' tests.

Creates tiny seeded random GPT2LMHeadModel and LlamaForCausalLM models, saves their
weights with save_pretrained (safetensors) and the logits of a fixed token sequence:
  logits.npy          full forward, logits of every token          [1, T, vocab]
  logits_prefill.npy  forward of the first P tokens with use_cache  [1, P, vocab]
  logits_decode.npy   forced decode of tokens P..T-1 one at a time through HF's
                      past_key_values, one row per step             [1, T-P, vocab]
  tokens.npy          the token ids (int64)                          [1, T]
Needs torch and transformers (the device machine has them; CI does not — the outputs are
committed as tests/fixtures/lm/). Usage: hf_reference.py OUT_DIR
"""
import json
import os
import sys

import numpy as np
import torch

T, P, VOCAB = 12, 8, 256


def perturb(model, seed):
    """Give norms and biases non-trivial values so the test sees every parameter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=g))
            elif "ln" in name or "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=g))


def run(model, tokens, out_dir):
    model.eval()
    with torch.no_grad():
        full = model(tokens).logits
        pre = model(tokens[:, :P], use_cache=True)
        past, steps = pre.past_key_values, []
        for t in range(P, T):
            o = model(tokens[:, t:t + 1], past_key_values=past, use_cache=True)
            past = o.past_key_values
            steps.append(o.logits)
        dec = torch.cat(steps, dim=1)
    os.makedirs(out_dir, exist_ok=True)
    model.save_pretrained(out_dir, safe_serialization=True)
    np.save(os.path.join(out_dir, "tokens.npy"), tokens.numpy().astype(np.int64))
    np.save(os.path.join(out_dir, "logits.npy"), full.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "logits_prefill.npy"), pre.logits.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, "logits_decode.npy"), dec.numpy().astype(np.float32))
    print(out_dir, "max|logit| %.3f" % full.abs().max().item(),
          "decode-vs-full %.3g" % (dec - full[:, P:]).abs().max().item())


def main():
    import transformers
    from transformers import GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM

    out = sys.argv[1] if len(sys.argv) > 1 else "lm"
    torch.manual_seed(0)
    tokens = torch.randint(0, VOCAB, (1, T), dtype=torch.int64)

    torch.manual_seed(1)
    gcfg = GPT2Config(vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                      initializer_range=0.2, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                      layer_norm_epsilon=1e-5, activation_function="gelu_new")
    gpt2 = GPT2LMHeadModel(gcfg)
    perturb(gpt2, 11)
    run(gpt2, tokens, os.path.join(out, "gpt2"))

    torch.manual_seed(2)
    lcfg = LlamaConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=176,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=64, rope_theta=10000.0, rms_norm_eps=1e-5,
                       initializer_range=0.2, tie_word_embeddings=False,
                       attention_bias=False, mlp_bias=False)
    llama = LlamaForCausalLM(lcfg)
    perturb(llama, 12)
    run(llama, tokens, os.path.join(out, "llama"))

    with open(os.path.join(out, "versions.json"), "w") as f:
        json.dump({"torch": torch.__version__, "transformers": transformers.__version__}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
