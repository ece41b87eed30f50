#!/usr/bin/env python3
"""The memory model of docs/MEMORY.md: predicted peak RSS of `prune` and `eval-ppl` from a model's
shape, the calibration tokens and the method; with --check, compared against measured runs
(summary.jsonl lines written by bench/scale-7b.sh).

  bench/memory-model.py                      the table for the models in SHAPES
  bench/memory-model.py --check W/summary.jsonl --shape llama-2-7b [--nsamples 4 --seqlen 512]
"""
import argparse
import json

GiB = 1024 ** 3
MiB = 1024 ** 2

# hidden, intermediate, layers, heads, kv heads, head_dim, vocab, stored bytes/param
SHAPES = {
    "tinyllama-1.1b": (2048, 5632, 22, 32, 4, 64, 32000, 2),
    "llama-2-7b": (4096, 11008, 32, 32, 32, 128, 32000, 2),
    "llama-2-13b": (5120, 13824, 40, 40, 40, 128, 32000, 2),
    "llama-2-70b": (8192, 28672, 80, 64, 8, 128, 32000, 2),
    "llama-3.1-8b": (4096, 14336, 32, 32, 8, 128, 128256, 2),
    "llama-3.1-70b": (8192, 28672, 80, 64, 8, 128, 128256, 2),
    "qwen2.5-72b": (8192, 29568, 80, 64, 8, 128, 152064, 2),
}

BASE = 180 * MiB  # the process before any model: LibTorch, OpenBLAS, code (prune on stories260K: 177 MiB)


def terms(shape, method, nsamples, seqlen, batch=8, spill=False):
    """Bytes of each term at the peak (fp32 compute, the default). Coefficients from the code and
    checked on a 2-layer llama-2-7b-shaped checkpoint with prune_report.json's peak_rss_mb_by_phase."""
    h, i, L, nh, kvh, hd, vocab, sb = SHAPES[shape]
    q, kv = nh * hd, kvh * hd
    layer_params = 2 * h * q + 2 * h * kv + 3 * h * i
    tb = min(batch, nsamples) * seqlen          # tokens in one forward batch
    t = {"base": BASE}
    t["layer_fp32"] = 4 * layer_params          # the fp32 master copy of one decoder layer
    # The calibration hidden states, once (updated in place; upstream keeps inps and outs); spilled
    # to disk, only the batch in use is resident.
    t["activations"] = 4 * (tb if spill else nsamples * seqlen) * h
    # One batch through the layer: gate, silu(gate), up, their product and the capture's x^2 of
    # down_proj's input ([tb, i] each, ~6 live), next to the residual stream and normed input.
    forward = 4 * tb * (6 * i + 3 * h)
    # While a layer is copied to fp32 its mapped pages are resident too (released right after).
    load = sb * layer_params
    # Scoring the largest Linear ([h, i]): the |W| and score temporaries, then the bool mask.
    score = 4 * h * i * 2 + h * i
    if method == "sparsegpt":
        # Gram matrices of the four Linear inputs (q/k/v share one, gate/up one), all alive until
        # the layer is pruned: 3 h^2 + i^2 floats. down_proj's solve then holds the damped copy,
        # its Cholesky factor, the inverse and its upper factor, partly overlapping: 3.5 i^2
        # floats measured (3.42 GiB peak on llama-2-7b layers, phase score_select).
        t["gram"] = 4 * (3 * h * h + i * i)
        t["phase"] = max(forward, load, 3.5 * 4 * i * i)
    elif method == "eval":
        # eval-ppl (LayerStream::run, whole windows at once): the compute copy of one layer, the
        # embedding and lm_head in fp32, the logits of all windows and their log-softmax.
        t["head"] = 2 * 4 * vocab * h
        t["activations"] = 4 * nsamples * seqlen * h
        t["phase"] = max(forward, 2 * 4 * nsamples * seqlen * vocab)
    else:
        t["phase"] = max(forward, load, score)
    return t


def predict(shape, method, nsamples, seqlen, batch=8, spill=False):
    return sum(terms(shape, method, nsamples, seqlen, batch, spill).values())


def box(gib):
    for size in (4, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256):
        if gib * 1.15 + 1.5 <= size:  # 15 % model margin + 1.5 GiB for the OS and page cache
            return f"{size} GiB"
    return "> 256 GiB"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", help="summary.jsonl of bench/scale-7b.sh")
    ap.add_argument("--shape", default="llama-2-7b")
    ap.add_argument("--nsamples", type=int, default=4)
    ap.add_argument("--seqlen", type=int, default=512)
    a = ap.parse_args()
    if a.check:
        kinds = {"wanda": ("wanda", False), "wanda-2of4": ("wanda", False), "wanda-spill": ("wanda", True),
                 "sparsegpt": ("sparsegpt", False), "eval-ppl wanda output, 2 x 512": ("eval", False)}
        print(f"| {a.shape} run | predicted GiB | measured GiB | error |")
        print("| --- | ---: | ---: | ---: |")
        for line in open(a.check):
            r = json.loads(line)
            if r["run"] not in kinds:
                continue
            m, spill = kinds[r["run"]]
            n, T = (2, 512) if m == "eval" else (a.nsamples, a.seqlen)
            p = predict(a.shape, m, n, T, spill=spill) / GiB
            print(f"| {r['run']} | {p:.2f} | {r['peak_rss_gib']:.2f} | {100 * (p / r['peak_rss_gib'] - 1):+.0f} % |")
        return
    print("Upstream's calibration (128 x 2048 tokens), --batch 1 (one 2048-token window per forward):")
    print("| model | Wanda | Wanda, --activations-on-disk | SparseGPT | SparseGPT, --activations-on-disk | box for SparseGPT (spilled) |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for s in SHAPES:
        w, ws = predict(s, "wanda", 128, 2048, 1) / GiB, predict(s, "wanda", 128, 2048, 1, spill=True) / GiB
        g, gs = predict(s, "sparsegpt", 128, 2048, 1) / GiB, predict(s, "sparsegpt", 128, 2048, 1, spill=True) / GiB
        print(f"| {s} | {w:.1f} GiB | {ws:.1f} GiB | {g:.1f} GiB | {gs:.1f} GiB | {box(gs)} |")


if __name__ == "__main__":
    main()
