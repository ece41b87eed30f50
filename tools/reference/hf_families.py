#!/usr/bin/python3
"""Independent reference forward for the LLaMA-shaped Hugging Face families, and the test fixtures
made with it (development only: Debian's python3-torch; the C++ tests read the committed output).

The forward follows transformers' modeling_llama / modeling_mistral / modeling_qwen2 /
modeling_qwen3 (4.4x-4.5x), written here from their definitions, in float64 so that it is the
mathematical value that the fp32 C++ forward is compared with:
  - RMSNorm: w * x / sqrt(mean(x^2) + eps)
  - Linears y = x W^T + b; biases: Llama q/k/v/o if attention_bias, gate/up/down if mlp_bias;
    Qwen2 q/k/v always, o never; Qwen3 q/k/v/o if attention_bias; Mistral none
  - Qwen3: q_norm / k_norm, RMSNorm over head_dim of each head, after the projection and
    before RoPE
  - RoPE: rotate_half, inv_freq = 1 / theta^(2i/d), rope_scaling linear (inv_freq / factor) and
    llama3 (the wavelength-banded rescale of _compute_llama3_parameters)
  - grouped-query attention: query head h uses kv head h // (heads / kv_heads); scores
    q.k / sqrt(head_dim); causal mask, and Mistral's sliding window: query i sees key j iff
    i - window < j <= i
  - MLP down(silu(gate(x)) * up(x)); residuals around both blocks; final norm; lm_head (tied:
    the embedding matrix)

Usage: hf_families.py OUT_DIR   writes OUT_DIR/<case>/{config.json, model.safetensors,
reference.json} for every case below.
"""
import json
import math
import os
import struct
import sys

import torch

torch.set_default_dtype(torch.float64)

LINEARS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]


def bias_flags(cfg):
    arch = cfg["architectures"][0]
    if arch == "Qwen2ForCausalLM":
        return [True, True, True, False, False, False, False]
    if arch == "MistralForCausalLM":
        return [False] * 7
    att = bool(cfg.get("attention_bias", False))
    mlp = bool(cfg.get("mlp_bias", False)) if arch == "LlamaForCausalLM" else False
    return [att] * 4 + [mlp] * 3


def head_dim_of(cfg):
    return cfg.get("head_dim") or cfg["hidden_size"] // cfg["num_attention_heads"]


def shapes(cfg):
    """name -> shape, in transformers' state_dict order."""
    h, f = cfg["hidden_size"], cfg["intermediate_size"]
    d = head_dim_of(cfg)
    q, kv = cfg["num_attention_heads"] * d, cfg["num_key_value_heads"] * d
    lin = [(q, h), (kv, h), (kv, h), (h, q), (f, h), (f, h), (h, f)]
    bias = bias_flags(cfg)
    out = {"model.embed_tokens.weight": (cfg["vocab_size"], h)}
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        for i, name in enumerate(LINEARS):
            out[p + name + ".weight"] = lin[i]
            if bias[i]:
                out[p + name + ".bias"] = (lin[i][0],)
            if i == 3 and cfg["architectures"][0] == "Qwen3ForCausalLM":
                out[p + "self_attn.q_norm.weight"] = (d,)
                out[p + "self_attn.k_norm.weight"] = (d,)
        out[p + "input_layernorm.weight"] = (h,)
        out[p + "post_attention_layernorm.weight"] = (h,)
    out["model.norm.weight"] = (h,)
    out["lm_head.weight"] = (cfg["vocab_size"], h)
    return out


def random_weights(cfg, seed):
    """Random fp32 weights: norms in [0.5, 1.5] (never unit), biases N(0, 0.2), Linears
    N(0, 1/fan_in), embedding and lm_head N(0, 1/hidden) (logits of order 1, tied or not)."""
    g = torch.Generator().manual_seed(seed)
    w = {}
    for name, shape in shapes(cfg).items():
        if name.endswith("norm.weight") or "layernorm" in name:
            t = 0.5 + torch.rand(shape, generator=g, dtype=torch.float32)
        elif name.endswith(".bias"):
            t = 0.2 * torch.randn(shape, generator=g, dtype=torch.float32)
        elif name in ("model.embed_tokens.weight", "lm_head.weight"):
            t = torch.randn(shape, generator=g, dtype=torch.float32) / math.sqrt(shape[1])
        else:
            t = torch.randn(shape, generator=g, dtype=torch.float32) / math.sqrt(shape[1])
        w[name] = t
    if cfg.get("tie_word_embeddings"):
        w["lm_head.weight"] = w["model.embed_tokens.weight"]
    return w


def inv_freq(cfg):
    d = head_dim_of(cfg)
    theta = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / theta ** (torch.arange(0, d, 2, dtype=torch.float64) / d)
    rs = cfg.get("rope_scaling") or {}
    kind = rs.get("rope_type", rs.get("type", "default"))
    if kind == "linear":
        inv = inv / rs["factor"]
    elif kind == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        wavelen = 2 * math.pi / inv
        scaled = torch.where(wavelen > old / lo, inv / factor, inv)
        smooth = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= old / hi) & (wavelen <= old / lo)
        inv = torch.where(medium, smoothed, scaled)
    else:
        assert kind == "default", kind
    return inv


def rms_norm(x, w, eps):
    return w * (x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], -1)


def forward(cfg, w, ids, window=None):
    """Logits [T, vocab] of one sequence `ids` (list of int)."""
    W = {k: v.to(torch.float64) for k, v in w.items()}
    eps = cfg["rms_norm_eps"]
    H, KV, D = cfg["num_attention_heads"], cfg["num_key_value_heads"], head_dim_of(cfg)
    T = len(ids)
    bias = bias_flags(cfg)
    qwen3 = cfg["architectures"][0] == "Qwen3ForCausalLM"
    if window is None and cfg["architectures"][0] == "MistralForCausalLM":
        window = cfg.get("sliding_window")
    pos = torch.arange(T, dtype=torch.float64)
    freqs = torch.outer(pos, inv_freq(cfg))
    emb = torch.cat([freqs, freqs], -1)
    cos, sin = emb.cos(), emb.sin()
    i_idx = torch.arange(T).view(-1, 1)
    j_idx = torch.arange(T).view(1, -1)
    allowed = j_idx <= i_idx
    if window:
        allowed &= j_idx > i_idx - window

    h = W["model.embed_tokens.weight"][torch.tensor(ids)]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."

        def lin(i, x):
            y = x @ W[p + LINEARS[i] + ".weight"].T
            return y + W[p + LINEARS[i] + ".bias"] if bias[i] else y

        x = rms_norm(h, W[p + "input_layernorm.weight"], eps)
        q = lin(0, x).view(T, H, D)
        k = lin(1, x).view(T, KV, D)
        v = lin(2, x).view(T, KV, D).transpose(0, 1)
        if qwen3:
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps)
        q, k = q.transpose(0, 1), k.transpose(0, 1)  # [heads, T, D]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = H // KV
        k = k.repeat_interleave(rep, dim=0)  # head h -> kv head h // rep
        v = v.repeat_interleave(rep, dim=0)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(D)
        scores = scores.masked_fill(~allowed, float("-inf"))
        attn = torch.softmax(scores, -1) @ v  # [H, T, D]
        h = h + lin(3, attn.transpose(0, 1).reshape(T, H * D))
        x = rms_norm(h, W[p + "post_attention_layernorm.weight"], eps)
        gate = lin(4, x)
        h = h + lin(6, gate * torch.sigmoid(gate) * lin(5, x))
    h = rms_norm(h, W["model.norm.weight"], eps)
    return h @ W["lm_head.weight"].T


def token_nll(logits, ids):
    """NLL of ids[t+1] given the prefix, t = 0 .. T-2."""
    lp = torch.log_softmax(logits[:-1], -1)
    return [-lp[t, ids[t + 1]].item() for t in range(len(ids) - 1)]


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        data = t.to(torch.float32).contiguous().numpy().tobytes() if hasattr(t, "numpy") else None
        blobs.append(data)
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def base_config(arch, model_type, **kw):
    cfg = {"architectures": [arch], "model_type": model_type, "hidden_act": "silu", "hidden_size": 64,
           "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
           "num_key_value_heads": 2, "vocab_size": 128, "max_position_embeddings": 64,
           "rms_norm_eps": 1e-6, "rope_theta": 10000.0, "rope_scaling": None, "tie_word_embeddings": False,
           "torch_dtype": "float32", "bos_token_id": 1, "eos_token_id": 2}
    cfg.update(kw)
    return cfg


# name -> (config, stored names to drop, seed). Each covers what the real family needs and the
# paths of the forward that no trained fixture exercises.
CASES = {
    # Qwen2: q/k/v biases (o none), head_dim implicit, linear rope scaling.
    "qwen2": (base_config("Qwen2ForCausalLM", "qwen2", rope_scaling={"type": "linear", "factor": 2.0},
                          use_sliding_window=False, sliding_window=4096), [], 11),
    # Qwen3: q_norm/k_norm, explicit head_dim 32 != hidden/heads 16 (o_proj is [64, 128]), tied
    # embedding stored once as model.embed_tokens.weight, theta 1e6.
    "qwen3": (base_config("Qwen3ForCausalLM", "qwen3", head_dim=32, rope_theta=1000000.0,
                          tie_word_embeddings=True, attention_bias=False), ["lm_head.weight"], 12),
    # Llama with every bias, MQA (1 kv head), explicit head_dim 24, llama3 rope scaling with a
    # small original context so all three wavelength bands occur; tied embedding stored only as
    # lm_head.weight.
    "llama-bias": (base_config("LlamaForCausalLM", "llama", num_key_value_heads=1, head_dim=24,
                               attention_bias=True, mlp_bias=True, tie_word_embeddings=True,
                               rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                             "high_freq_factor": 4.0, "original_max_position_embeddings": 16}),
                   ["model.embed_tokens.weight"], 13),
    # Mistral: sliding window 8 over 32-token sequences.
    "mistral-window": (base_config("MistralForCausalLM", "mistral", sliding_window=8), [], 14),
}
SEQLEN, NSEQ = 32, 2


def main():
    out = sys.argv[1]
    for name, (cfg, drop, seed) in CASES.items():
        d = os.path.join(out, name)
        os.makedirs(d, exist_ok=True)
        w = random_weights(cfg, seed)
        stored = {k: v for k, v in w.items() if k not in drop}
        if cfg.get("tie_word_embeddings") and not drop:
            stored.pop("lm_head.weight")
        write_safetensors(os.path.join(d, "model.safetensors"), stored)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        g = torch.Generator().manual_seed(seed + 1000)
        seqs = torch.randint(0, cfg["vocab_size"], (NSEQ, SEQLEN), generator=g).tolist()
        nll = []
        for s in seqs:
            nll.append(token_nll(forward(cfg, w, s), s))
        flat = [x for row in nll for x in row]
        ref = {"note": "tools/reference/hf_families.py: float64 forward of the HF definition",
               "seqlen": SEQLEN, "input_ids": seqs, "token_nll": nll,
               "ppl": math.exp(sum(flat) / len(flat)),
               "logits_seq0": [[round(x, 7) for x in row] for row in forward(cfg, w, seqs[0]).tolist()]}
        if cfg["architectures"][0] == "MistralForCausalLM":
            # Negative control: the same sequences with full causal attention.
            full = [x for s in seqs for x in token_nll(forward(cfg, w, s, window=0), s)]
            ref["ppl_without_window"] = math.exp(sum(full) / len(full))
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(ref, f)
            f.write("\n")
        print(f"{name}: ppl {ref['ppl']:.6f}", flush=True)


if __name__ == "__main__":
    main()
