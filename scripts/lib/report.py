#!/usr/bin/env python3
"""Write RESULTS_DIR/REPORT.md from the CSVs of the sweeps: used by scripts/report.sh.

report.py RESULTS_DIR CONFIG_DIR ORACLE_DIR
Every number in the report comes from RESULTS_DIR/<study>/results.csv, owl_layers.csv,
RESULTS_DIR/machine.csv and timing.csv (written by scripts/studies.sh), and, for the comparison
with the reference implementations, ORACLE_DIR/<run>/ppl.json. The protocol text of each study
comes from its config (CONFIG_DIR/*.json).
"""
import glob
import json
import math
import os
import sys

from csvutil import num, read

METHOD_LABEL = {"dense": "dense", "magnitude": "magnitude", "wanda": "Wanda", "ria": "RIA",
                "owl_wanda": "OWL-Wanda", "sparsegpt": "SparseGPT"}
STUDY_ORDER = ["default", "modules", "layers", "calibration", "ria-a"]


def f(x, nd=2, pct=False):
    v = num(x)
    if v is None:
        return ""
    if pct:
        return "%.1f %%" % (100 * v)
    if abs(v) >= 1e4:
        return "%.4g" % v
    return "%.*f" % (nd, v)


def table(header, rows, align=None):
    align = align or ["---"] + ["---:"] * (len(header) - 1)
    out = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def setting(r):
    if r["method"] == "dense":
        return "dense"
    return r["pattern"] if r["pattern"] not in ("unstructured", "") else f"{100 * float(r['sparsity']):.0f} %"


def ppl_cols(rows):
    return [k for k in (rows[0].keys() if rows else []) if k.startswith("ppl_")]


def acc_cols(rows):
    return [k for k in (rows[0].keys() if rows else []) if k.startswith("acc_") and k != "acc_mean"]


def ds_name(col):
    return {"ppl_wikitext2": "WikiText-2", "ppl_tinystories": "TinyStories"}.get(col, col[4:])


def generic_table(rows, axes=(), extra=()):
    pc, ac = ppl_cols(rows), acc_cols(rows)
    header = ["method", "setting"] + [a for a in axes] + ["realised sparsity"] + \
             ["ppl " + ds_name(c) for c in pc]
    has_acc = any(num(r.get("acc_mean")) is not None for r in rows)
    if has_acc:
        header += ["mean acc"] + ([c[4:].replace("_", "-") for c in ac] if len(ac) > 1 else [])
    header += ["prune s", "cell s"]
    out = []
    for r in rows:
        line = [METHOD_LABEL.get(r["method"], r["method"]), setting(r)] + [r.get(a, "") for a in axes]
        line += [f(r["realised_sparsity"], 4)] + [f(r[c], 3) for c in pc]
        if has_acc:
            line += [f(r.get("acc_mean"), 3)] + ([f(r.get(c), 2) for c in ac] if len(ac) > 1 else [])
        line += [f(r.get("prune_s"), 1), f(r.get("cell_s"), 1)]
        out.append(line)
    return table(header, out)


def img(name):
    return f"![{name}](plots/{name}.png)\n\n([SVG](plots/{name}.svg))"


def load_cfg(cfg_dir, study):
    for p in sorted(glob.glob(os.path.join(cfg_dir, "*.json"))):
        try:
            c = json.load(open(p))
        except ValueError:
            continue
        if c.get("study") == study:
            return p, c
    return None, {}


def oracle_run(cell):
    """default-sweep cell id -> oracle run name (wanda-s0.5 -> wanda-u50, ria-2of4 -> ria-2of4)."""
    m, _, rest = cell.partition("-")
    if rest.startswith("s"):
        return f"{m}-u{round(100 * float(rest[1:]))}"
    return cell


def rel(a, b):
    a, b = num(a), num(b)
    if a is None or b is None or b == 0:
        return ""
    return "%+.1e" % ((a - b) / b)


def section_default(res, oracle, out, cfg):
    rows = read(os.path.join(res, "default", "results.csv"))
    cal = cfg.get("calibration", {})
    comparable = (cal.get("nsamples") == 128 and cal.get("seqlen") == 512 and cal.get("seed") == 0
                  and cal.get("corpus") == "c4" and cfg.get("eval", {}).get("seqlen") == 512
                  and all(not d.get("max_windows") for d in cfg.get("eval", {}).get("ppl", [])))
    if not rows:
        out.append("*No results yet for the default sweep (results/default/results.csv).*\n")
        return
    out.append(img("default_ppl"))
    if os.path.exists(os.path.join(res, "plots", "default_acc.png")):
        out.append(img("default_acc"))
    out.append(img("default_nm"))
    out.append("Zero-shot: stories260K is at chance on the six lm-eval tasks (see "
               "`data/zeroshot/README.md`), so their accuracies, and the mean over the seven tasks, move by noise "
               "and by degenerate pruned models that always pick the same answer (BoolQ is 62 % \"yes\"); "
               "tinystories-cloze (chance 0.25) is the task that tracks the model's quality, hence its own panel.\n")
    out.append("All cells (realised sparsity = fraction of the 226,560 prunable weights that are zero; "
               "acc = lm-eval `acc` on the first items of each task, see the protocol above; "
               "prune s = `time_s.total` of the prune report; cell s = wall time of prune + all evaluations):\n")
    out.append(generic_table(rows))
    # Comparison with the oracle (upstream code, fp32 CPU) for every cell that has an oracle run.
    cmp_rows = []
    worst = {}
    for r in rows:
        run = oracle_run(r["cell"])
        pj = os.path.join(oracle, run, "ppl.json")
        if r["method"] == "dense" or not os.path.exists(pj):
            continue
        o = json.load(open(pj))
        line = [f"`{r['cell']}`", f"`{run}`", f(r["realised_sparsity"], 6)]
        for ds in ("wikitext2", "tinystories"):
            ours, ref = r.get("ppl_" + ds), o.get(ds, {}).get("ppl")
            line += [f(ours, 4), f(ref, 4), rel(ours, ref)]
            if num(ours) and ref:
                k = "SparseGPT" if r["method"] == "sparsegpt" else "magnitude / Wanda / RIA / OWL"
                worst[k] = max(worst.get(k, 0.0), abs(num(ours) - ref) / ref)
        cmp_rows.append(line)
    if cmp_rows:
        out.append("### Comparison with the oracle (upstream wanda / RIA / OWL code, fp32, CPU)\n")
        if not comparable:
            out.append("**Not comparable**: this default sweep did not use the oracle's protocol "
                       "(128 C4 windows of 512 for calibration, whole files for perplexity), so the differences "
                       "below are not a check of anything.\n")
        out.append("Perplexity of our pruned checkpoints (full files, seqlen 512) against "
                   "`reference/oracle/<run>/ppl.json` of the same run (same calibration windows, "
                   "same protocol); rel diff = (ours - oracle) / oracle.\n")
        out.append(table(["cell", "oracle run", "realised sparsity", "ppl WikiText-2", "oracle", "rel diff",
                          "ppl TinyStories", "oracle", "rel diff"], cmp_rows))
        out.append(f"Largest |rel diff| over the {len(cmp_rows)} runs: " +
                   "; ".join(f"{k}: {v:.1e}" for k, v in worst.items()) +
                   ". (The oracle README expects about 1e-4 relative for magnitude, Wanda, RIA and OWL, whose "
                   "masks must match upstream bit for bit, and a few percent for SparseGPT, whose masks depend "
                   "on float rounding in its Cholesky/OBS updates.)\n")

    # Reconstruction error per method (prune_report.json's summary over the 35 Linears).
    err = [r for r in rows if r.get("recon_error_mean")]
    out.append("### Reconstruction error per method\n")
    if not err:
        out.append("*No cell of this sweep recorded it yet: `recon_error_mean` / `recon_error_median` (the "
                   "per-Linear `||X(W - W_pruned)^T||^2 / ||X W^T||^2` of the prune report, X the Linear's "
                   "calibration inputs) are filled by cells pruned since `--reconstruct` / ALPS landed.*\n")
        return
    out.append("Per cell, the mean and median over the pruned Linears of `||X(W - W_pruned)^T||^2 / ||X W^T||^2` "
               "(X = each Linear's calibration inputs, from the already-pruned earlier layers):\n")
    out.append(table(["method", "setting", "recon error mean", "recon error median", "ppl WikiText-2", "ppl TinyStories"],
                     [[r["method"], setting(r), f(r["recon_error_mean"], 5), f(r["recon_error_median"], 5),
                       f(r.get("ppl_wikitext2"), 2), f(r.get("ppl_tinystories"), 2)] for r in err]))


def section_modules(res, out):
    rows = read(os.path.join(res, "modules", "results.csv"))
    if not rows:
        out.append("*No results yet.*\n")
        return
    out.append(img("modules"))
    out.append(generic_table(rows, axes=["modules"]))
    # Same-budget comparison: at equal overall sparsity, which placement is cheaper?
    dense = next((r for r in rows if r["method"] == "dense"), None)
    notes = []
    for ds in ("ppl_tinystories", "ppl_wikitext2"):
        for s in ("0.5", "0.7", "0.9"):
            a = next((r for r in rows if r.get("modules") == "attn" and r["sparsity"] == s), None)
            m = next((r for r in rows if r.get("modules") == "mlp" and r["sparsity"] == s), None)
            if a and m and num(a[ds]) and num(m[ds]):
                notes.append(f"at {float(s) * 100:.0f} % of the pruned modules, {ds_name(ds)}: attention-only "
                             f"{f(a[ds], 2)} ({f(a['realised_sparsity'], 3)} of all weights) vs MLP-only "
                             f"{f(m[ds], 2)} ({f(m['realised_sparsity'], 3)})")
    if notes:
        out.append("\nReadings (from the table): " + "; ".join(notes) + "." +
                   (f" Dense: {f(dense['ppl_tinystories'], 2)} / {f(dense['ppl_wikitext2'], 2)} (TinyStories / WikiText-2)."
                    if dense else "") + "\n")


def spearman(x, y):
    def ranks(v):
        order = sorted(range(len(v)), key=lambda i: v[i])
        r = [0.0] * len(v)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and v[order[j + 1]] == v[order[i]]:
                j += 1
            for k in range(i, j + 1):
                r[order[k]] = (i + j) / 2.0
            i = j + 1
        return r
    rx, ry = ranks(x), ranks(y)
    n = len(x)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    vx = math.sqrt(sum((a - mx) ** 2 for a in rx))
    vy = math.sqrt(sum((b - my) ** 2 for b in ry))
    return cov / (vx * vy) if vx and vy else float("nan")


def section_layers(res, out):
    rows = read(os.path.join(res, "layers", "results.csv"))
    owl = read(os.path.join(res, "layers", "owl_layers.csv"))
    if not rows:
        out.append("*No results yet.*\n")
        return
    out.append(img("layers"))
    out.append(generic_table(rows, axes=["layers"]))
    single = {int(r["layers"]): r for r in rows if r.get("layers", "").isdigit()}
    if owl:
        cell = owl[0]["cell"]
        lines = []
        for o in owl:
            if o["cell"] != cell:
                continue
            l = int(o["layer"])
            r = single.get(l, {})
            lines.append([str(l), f(o["outlier_ratio_percent"], 3), f(o["layer_sparsity"], 4),
                          f(o["realised_layer_sparsity"], 4), f(r.get("ppl_wikitext2"), 3), f(r.get("ppl_tinystories"), 3)])
        out.append(f"\nOWL's allocation (from `{cell}`'s prune report, `owl_layers.csv`) next to each layer's "
                   "sensitivity (perplexity with only that layer pruned):\n")
        out.append(table(["layer", "OWL outlier ratio %", "OWL layer sparsity", "realised", "ppl WikiText-2 (only this layer)",
                          "ppl TinyStories (only this layer)"], lines))
        ls = [int(o["layer"]) for o in owl if o["cell"] == cell and int(o["layer"]) in single]
        if len(ls) >= 3:
            sens = {ds: [num(single[l][ds]) for l in ls] for ds in ("ppl_tinystories", "ppl_wikitext2")}
            dens = [-num(next(o for o in owl if o["cell"] == cell and int(o["layer"]) == l)["layer_sparsity"]) for l in ls]
            txt = []
            for ds, v in sens.items():
                if all(x is not None for x in v):
                    rho = spearman(v, dens)
                    most = ls[max(range(len(v)), key=lambda i: v[i])]
                    txt.append(f"{ds_name(ds)}: most sensitive layer {most}, Spearman rank correlation between "
                               f"sensitivity and OWL's density (1 - sparsity) = {rho:+.2f}")
            least = ls[max(range(len(dens)), key=lambda i: dens[i])]
            out.append(f"\nReadings: OWL prunes layer {least} least; " + "; ".join(txt) +
                       " (+1 would mean OWL keeps most weights exactly where pruning hurts most).\n")


def section_calibration(res, out):
    rows = read(os.path.join(res, "calibration", "results.csv"))
    if not rows:
        out.append("*No results yet.*\n")
        return
    out.append(img("calibration"))
    corpora = []
    for r in rows:
        if r.get("calib") and r["calib"] not in corpora:
            corpora.append(r["calib"])
    ns = sorted({int(r["nsamples"]) for r in rows if r.get("nsamples")})
    by = {(r["calib"], int(r["nsamples"])): r for r in rows if r.get("nsamples")}
    has_acc = any(num(r.get("acc_mean")) is not None for r in rows)
    for ds in ("ppl_wikitext2", "ppl_tinystories") + (("acc_mean",) if has_acc else ()):
        label = ds_name(ds) + " perplexity" if ds.startswith("ppl") else "zero-shot accuracy (mean acc)"
        lines = [[str(n)] + [f(by.get((c, n), {}).get(ds), 3) for c in corpora] for n in ns]
        out.append(f"\n{label}, Wanda 50 %, by calibration corpus (columns) and windows (rows):\n")
        out.append(table(["nsamples"] + corpora, lines))
    dense = next((r for r in rows if r["method"] == "dense"), None)
    if dense:
        out.append(f"\nDense: WikiText-2 {f(dense['ppl_wikitext2'], 3)}, TinyStories {f(dense['ppl_tinystories'], 3)}"
                   + (f", acc {f(dense.get('acc_mean'), 3)}" if has_acc else "") + ".\n")
    best = []
    for ds in ("ppl_wikitext2", "ppl_tinystories"):
        cand = [(num(r[ds]), r["calib"], r["nsamples"]) for r in rows if r["method"] != "dense" and num(r[ds])]
        if cand:
            v, c, n = min(cand)
            best.append(f"best {ds_name(ds)}: {c} with {n} window(s) ({v:.3f})")
    if best:
        out.append("Readings: " + "; ".join(best) + ".\n")
    out.append("\nAll cells:\n")
    out.append(generic_table(rows, axes=["calib", "nsamples"]))


def section_ria(res, out):
    rows = read(os.path.join(res, "ria-a", "results.csv"))
    if not rows:
        out.append("*No results yet.*\n")
        return
    out.append(img("ria_a"))
    a_vals = sorted({num(r["ria_a"]) for r in rows if num(r.get("ria_a")) is not None})
    by = {(r["pattern"], num(r["ria_a"])): r for r in rows if r["method"] == "ria"}
    pats = [p for p in ("unstructured", "2:4") if any(k[0] == p for k in by)]
    has_acc = any(num(r.get("acc_mean")) is not None for r in rows)
    cols = ["ppl_wikitext2", "ppl_tinystories"] + (["acc_mean"] if has_acc else [])
    header = ["a"] + [f"{'50 %' if p == 'unstructured' else p} {ds_name(c) if c.startswith('ppl') else 'acc'}"
                      for p in pats for c in cols]
    lines = [[f"{a:g}"] + [f(by.get((p, a), {}).get(c), 3) for p in pats for c in cols] for a in a_vals]
    out.append(table(header, lines))
    best = []
    for p in pats:
        for c in cols:
            cand = [(num(by[(p, a)][c]), a) for a in a_vals if (p, a) in by and num(by[(p, a)][c]) is not None]
            if not cand:
                continue
            v, a = (max if c == "acc_mean" else min)(cand, key=lambda t: (t[0], -t[1]) if c == "acc_mean" else t)
            d = by.get((p, 0.5), {}).get(c)
            best.append([("50 %" if p == "unstructured" else p), ds_name(c) if c.startswith("ppl") else "mean acc",
                         f"{a:g}", f(v, 3), f(d, 3)])
    out.append("\nBest a per setting (lowest perplexity; highest accuracy, ties to the smaller a):\n")
    out.append(table(["setting", "metric", "best a", "value at best a", "value at a = 0.5 (default)"], best))


def main():
    res, cfg_dir, oracle = sys.argv[1:4]
    machine = {r["key"]: r["value"] for r in read(os.path.join(res, "machine.csv"))}
    timing = read(os.path.join(res, "timing.csv"))
    out = ["# prunekit studies on stories260K\n",
           "Generated by `scripts/report.sh` from `results/*/results.csv`, `owl_layers.csv`, `machine.csv`, "
           "`timing.csv` and, for the oracle comparison, `reference/oracle/<run>/ppl.json`. Do not edit by hand: "
           "rerun `scripts/report.sh`.\n"]
    out.append("## How it was run\n")
    out.append("```sh\nscripts/studies.sh          # = the five sweeps below in one pool of $JOBS cells, then plot + report\n"
               "# which runs:\nscripts/sweep.sh configs/sweep-default.json configs/study-ria-a.json configs/study-modules.json \\\n"
               "                 configs/study-layers.json configs/study-calibration.json\nscripts/plot.sh\nscripts/report.sh\n```\n")
    out.append("Each cell runs `prune` (checkpoint deleted after evaluation), `eval-ppl` per dataset and `eval-zeroshot`, "
               "each as one process with `--threads 1`, two cells at a time (`JOBS`, default `nproc`). The exact commands "
               "of every cell are in `results/<study>/commands.sh`; for example the default sweep's Wanda 50 % cell:\n")
    cmds = os.path.join(res, "default", "commands.sh")
    if os.path.exists(cmds):
        txt = open(cmds).read()
        i = txt.find("## wanda-s0.5\n")
        if i >= 0:
            block = txt[i:].split("\n\n")[0]
            out.append("```sh\n" + block.replace("\" --", "\" \\\n    --").replace(" --out", " \\\n    --out") + "\n```\n")
    if machine:
        out.append("**Machine**: " + ", ".join(f"{k}: {v}" for k, v in machine.items()) + "\n")
    # Per-study totals from the CSVs.
    tot = []
    all_cw = all_cc = 0.0
    per_study_cc = {}
    jobs = num(machine.get("parallel cells (JOBS)")) or 2
    for s in STUDY_ORDER:
        rows = read(os.path.join(res, s, "results.csv"))
        if rows:
            cw = sum(num(r.get("cell_s")) or 0 for r in rows)
            cc = sum(num(r.get("cell_cpu_s")) or 0 for r in rows)
            per_study_cc[s] = cc
            all_cw += cw
            all_cc += cc
            tot.append([s, str(len(rows)), f(cw, 0), f(cc, 0), f(cc / jobs / 60, 1)])
    if timing:
        tl = []
        for t in timing:
            busy = num(t.get("machine_busy_cpu_s"))
            tl.append([t["started"], f"{t['cells_run']} of {t['cells_total']}", f(t["sweep_s"], 0),
                       f(num(t["sweep_s"]) / 60, 1) if num(t["sweep_s"]) else "", f(t["plots_s"], 1),
                       f(num(t["total_s"]) / 60, 1) if num(t["total_s"]) else "", f(busy, 0) if busy else "n/a"])
        out.append("**Wall time** of `scripts/studies.sh` (`timing.csv`; one row per invocation that ran cells: "
                   "a resumed run adds a row):\n")
        out.append(table(["started", "cells run", "sweep s", "sweep min", "plots s", "total min",
                          "machine busy CPU s during the sweep"], tl))
        total_min = sum(num(t["total_s"]) or 0 for t in timing) / 60
        est = all_cc / jobs / 60
        txt = (f"Target: the default sweep and the four studies in under 30 minutes on 2 cores. Measured: "
               f"**{total_min:.1f} min** wall in total. The cells' own CPU time (user + system, all their processes, "
               f"from the CSVs) is {all_cc:.0f} s, i.e. {est:.1f} min when {jobs:g} cells run at a time with nothing "
               f"else on the machine")
        if "default" in per_study_cc:
            txt += (f"; the default sweep alone (29 cells, full-file perplexity on 1.11 M tokens per cell) is "
                    f"{per_study_cc['default'] / jobs / 60:.1f} min of that, the four studies "
                    f"{(all_cc - per_study_cc['default']) / jobs / 60:.1f} min")
        txt += "."
        if len(timing) == 1 and num(timing[0].get("machine_busy_cpu_s")) and num(timing[0]["sweep_s"]):
            busy, wall = num(timing[0]["machine_busy_cpu_s"]), num(timing[0]["sweep_s"])
            other = max(0.0, busy - all_cc)
            txt += (f" During the sweep the machine's {machine.get('cores', '2')} cores were busy for {busy:.0f} CPU s, "
                    f"{other:.0f} of them ({100 * other / (wall * float(machine.get('cores', 2))):.0f} % of the cores' "
                    f"time) spent by processes other than the cells.")
        out.append(txt + "\n")
    if tot:
        tot.append(["**all**", str(sum(int(t[1]) for t in tot)), f(all_cw, 0), f(all_cc, 0), f(all_cc / jobs / 60, 1)])
        out.append(f"Per study, from the CSVs (sums over cells; {jobs:g} cells run at a time, so a sweep's wall time is "
                   f"about 1/{jobs:g} of the sum of its cells' wall times; CPU s / {jobs:g} estimates it on an "
                   "otherwise idle machine):\n")
        out.append(table(["study", "cells", "sum of cell wall s", "sum of cell CPU s",
                          f"CPU s / {jobs:g} (min)"], tot))
    out.append("\n## Protocols\n")
    prot = []
    for s in STUDY_ORDER:
        p, c = load_cfg(cfg_dir, s)
        if not c:
            continue
        cal = c.get("calibration", {})
        prot.append([f"[{s}](#{s})", f"`{os.path.relpath(p, os.path.dirname(cfg_dir.rstrip('/')) or '.')}`",
                     f"{cal.get('nsamples')} x {cal.get('seqlen')} tokens from {cal.get('corpus')}, seed {cal.get('seed')}",
                     c.get("protocol", "")])
    out.append(table(["study", "config", "calibration (default)", "evaluation"], prot, ["---"] * 4))
    out.append("\nThe reduced protocols of the four studies are comparable within a study (same windows, same items "
               "for every cell) but not with the full-file numbers of the default sweep or of the oracle.\n")
    sections = [("default", section_default), ("modules", section_modules), ("layers", section_layers),
                ("calibration", section_calibration), ("ria-a", section_ria)]
    for s, fn in sections:
        p, c = load_cfg(cfg_dir, s)
        out.append(f"\n<a id=\"{s}\"></a>\n## {c.get('title', s)}\n")
        if c.get("description"):
            out.append(c["description"] + "\n")
        if c.get("protocol"):
            out.append(f"Evaluation: {c['protocol']}.\n")
        if s == "default":
            fn(res, oracle, out, c)
        else:
            fn(res, out)
    with open(os.path.join(res, "REPORT.md.tmp"), "w") as fh:
        fh.write("\n\n".join(b.strip("\n") for b in out if b.strip()) + "\n")
    os.replace(os.path.join(res, "REPORT.md.tmp"), os.path.join(res, "REPORT.md"))


if __name__ == "__main__":
    main()
