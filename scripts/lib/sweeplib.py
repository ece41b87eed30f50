#!/usr/bin/env python3
"""Glue for scripts/sweep.sh (python3 standard library only).

Paths inside a config (model, corpora files, perplexity datasets, zero-shot data_dir) may be
absolute, or relative: then they are looked up in the directory the sweep was started from
($SWEEP_CWD), the config file's directory, and the fixture root ($SHARED), in that order.

Subcommands (all paths absolute or relative to the repository root):
  plan CONFIG STUDYDIR     expand CONFIG into cells: writes STUDYDIR/runs/_plan/<cell>.sh (the exact
                           commands of the cell, with $BIN/$SHARED/$CELL_DIR/$THREADS unexpanded),
                           STUDYDIR/runs/_plan/cells.txt (cell ids, in order) and STUDYDIR/commands.sh
                           (all cells' commands, for the report); prints the study name
  prepare CONFIG STUDYDIR  write the converted calibration corpora (GSM8K -> text, TinyStories tail)
                           under STUDYDIR/runs/_work/
  row CONFIG CELLDIR       print the CSV row of a finished cell (from its JSON reports)
  collect CONFIG STUDYDIR  (re)write STUDYDIR/results.csv from the finished cells, in plan order,
                           and STUDYDIR/owl_layers.csv for cells that ran OWL
  study CONFIG             print the study name
"""
import csv
import glob
import io
import itertools
import json
import os
import subprocess
import sys

# Column order of the optional per-study axes (a config lists the ones it varies in "axes").
AXES = ["modules", "layers", "calib", "nsamples", "ria_a"]
DEFAULT_AXES = {"modules": "all", "layers": "all"}


def load(path):
    with open(path) as f:
        return json.load(f)


def load_config(path):
    """A sweep config, with its own location (for relative paths) under "_path" / "_dir"."""
    cfg = load(path)
    cfg["_path"] = path
    cfg["_dir"] = os.path.dirname(os.path.abspath(path))
    return cfg


def study_name(cfg):
    return cfg["study"]


def fmt_num(x):
    """0.5 -> '0.5', 1.0 -> '1', 0.30000000000000004 -> '0.3'."""
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return str(x)
    s = repr(round(float(x), 10))
    return s[:-2] if s.endswith(".0") else s


def cell_params(cfg, entry):
    """Cartesian product of one grid entry (lists are axes, scalars are fixed)."""
    keys = list(entry.keys())
    vals = [v if isinstance(v, list) else [v] for v in entry.values()]
    for combo in itertools.product(*vals):
        yield dict(zip(keys, combo))


_PRUNE_FACTS = None


def prune_facts():
    """`prune --print-config`: prune's own defaults (nsamples, seed, OWL's m and lambda, each method's
    parameters) and which methods, allocators and options read calibration data. Read from the
    binary ($BIN/prune, else build/bin/prune) so the sweep never restates them."""
    global _PRUNE_FACTS
    if _PRUNE_FACTS is None:
        here = os.path.dirname(os.path.abspath(__file__))
        bin_dir = os.environ.get("BIN") or os.path.join(here, "..", "..", os.environ.get("BUILD_DIR", "build"), "bin")
        prune = os.path.join(bin_dir, "prune")
        try:
            out = subprocess.run([prune, "--print-config"], check=True, capture_output=True, text=True).stdout
        except (OSError, subprocess.CalledProcessError) as e:
            raise SystemExit(f"sweep: cannot read the defaults from {prune} --print-config: {e}")
        _PRUNE_FACTS = json.loads(out)
    return _PRUNE_FACTS


def needs_calibration(base, owl, reconstruct):
    """Whether prune reads --calib for this method and options (per prune --print-config)."""
    f = prune_facts()
    return (f["methods"][base]["needs_calibration"] or (owl and f["owl"]["needs_calibration"])
            or (reconstruct and f["reconstruct"]["needs_calibration"]))


def split_method(method):
    """'owl_wanda_reconstruct' -> (owl, base method, --reconstruct): the sweep's method names are
    prune's --method with an optional owl_ prefix (--owl) and _reconstruct suffix (--reconstruct)."""
    owl = method.startswith("owl_")
    base = method[4:] if owl else method
    reconstruct = base.endswith("_reconstruct")
    return owl, base[: -len("_reconstruct")] if reconstruct else base, reconstruct


def resolve(cfg, p):
    """Fill the defaults of one cell; returns (cell_id, params) or (None, reason) to skip it."""
    calib = cfg.get("calibration", {})
    q = dict(p)
    q.setdefault("sparsity", None)
    q.setdefault("pattern", None)
    method = q["method"]
    if method == "dense":
        return "dense", {"method": "dense"}
    if q["pattern"] is None and q["sparsity"] is None:
        raise SystemExit(f"config {cfg['study']}: cell {p} has neither sparsity nor pattern")
    if q["pattern"] is not None and method.startswith("owl_"):
        return None, f"{method} {q['pattern']}: prune refuses OWL with N:M (skipped)"
    q.setdefault("modules", "all")
    q.setdefault("layers", "all")
    q.setdefault("calib", calib.get("corpus", "c4"))
    q.setdefault("nsamples", calib.get("nsamples", prune_facts()["calibration"]["nsamples"]))
    if split_method(method)[1] == "ria":
        q.setdefault("ria_a", calib.get("ria_a", prune_facts()["methods"]["ria"]["params"]["a"]["default"]))
    else:
        q["ria_a"] = None
    q["layers"] = str(q["layers"])
    # The cell id: method, sparsity or pattern, then every axis that is not at its default.
    parts = [method, q["pattern"].replace(":", "of") if q["pattern"] else "s" + fmt_num(q["sparsity"])]
    if q["modules"] != "all":
        parts.append(q["modules"].replace(",", "+"))
    if q["layers"] != "all":
        parts.append("L" + q["layers"].replace(",", "+"))
    if q["calib"] != calib.get("corpus", "c4"):
        parts.append(q["calib"])
    if q["nsamples"] != calib.get("nsamples", 128):
        parts.append("n" + str(q["nsamples"]))
    if q["ria_a"] is not None and ("ria_a" in p or q["ria_a"] != 0.5):
        parts.append("a" + fmt_num(q["ria_a"]))
    return "-".join(parts), q


def cells(cfg):
    out, seen, skipped = [], set(), []
    if cfg.get("dense", True):
        out.append(("dense", {"method": "dense"}))
        seen.add("dense")
    for entry in cfg["grid"]:
        for p in cell_params(cfg, entry):
            cid, q = resolve(cfg, p)
            if cid is None:
                skipped.append(q)
                continue
            if cid in seen:
                continue
            seen.add(cid)
            out.append((cid, q))
    return out, skipped


def path_expr(cfg, rel, what):
    """Shell expression for a path of the config (see the module docstring): an absolute path as
    it is, a relative one found in $SWEEP_CWD or the config's directory as an absolute path, else
    "$SHARED/<rel>" (the fixture root, kept symbolic so plans stay the same across machines)."""
    if os.path.isabs(rel):
        found = rel
    else:
        found = None
        for base in (os.environ.get("SWEEP_CWD"), cfg.get("_dir")):
            if base and os.path.exists(os.path.join(base, rel)):
                found = os.path.normpath(os.path.join(base, rel))
                break
        if found is None:
            shared = os.environ.get("SHARED")
            if shared is None or os.path.exists(os.path.join(shared, rel)):
                return "$SHARED/" + rel
            where = [b for b in (os.environ.get("SWEEP_CWD"), cfg.get("_dir"), shared) if b]
            raise SystemExit(f"config {cfg.get('_path', cfg['study'])}: {what} '{rel}' not found "
                             f"(relative paths are looked up in {', '.join(where)})")
    if not os.path.exists(found):
        raise SystemExit(f"config {cfg.get('_path', cfg['study'])}: {what} '{rel}' not found")
    return found


def expand(expr):
    """The file a path expression names (for the steps that read it here, in Python)."""
    return os.path.join(os.environ["SHARED"], expr[len("$SHARED/"):]) if expr.startswith("$SHARED/") else expr


def corpus_path(cfg, name):
    """Shell expression of a calibration corpus and its --calib-docs mode."""
    c = cfg["corpora"][name]
    if c.get("convert"):
        return f"$STUDY_DIR/runs/_work/{name}.txt", c.get("docs")
    return path_expr(cfg, c["file"], f"corpus {name}"), c.get("docs")


def q_(s):
    """Quote for the plan script but keep $VARS expandable."""
    return '"' + s.replace('"', '\\"') + '"'


def commands(cfg, cid, q):
    ev = cfg["eval"]
    seqlen = ev.get("seqlen", 512)
    lines = []
    model = q_(path_expr(cfg, cfg["model"], "model"))
    if q["method"] != "dense":
        method = q["method"]
        owl, base, reconstruct = split_method(method)
        a = ["\"$BIN/prune\"", "--model", model, "--method", base]
        a += ["--pattern", q["pattern"]] if q["pattern"] else ["--sparsity", fmt_num(q["sparsity"])]
        if owl:
            o, d = cfg.get("owl", {}), prune_facts()["owl"]
            a += ["--owl", "--owl-m", fmt_num(o.get("m", d["m"])), "--owl-lambda", fmt_num(o.get("lambda", d["lambda"]))]
        if reconstruct:
            a += ["--reconstruct"]
        if q["modules"] != "all":
            a += ["--modules", q["modules"]]
        if q["layers"] != "all":
            a += ["--layers", q["layers"]]
        if base == "ria":
            a += ["--ria-a", fmt_num(q["ria_a"])]
        if needs_calibration(base, owl, reconstruct):
            path, docs = corpus_path(cfg, q["calib"])
            a += ["--calib", q_(path)]
            if docs:
                a += ["--calib-docs", docs]
            cal = cfg.get("calibration", {})
            a += ["--nsamples", str(q["nsamples"]), "--seqlen", str(cal.get("seqlen", 512)),
                  "--seed", str(cal.get("seed", prune_facts()["calibration"]["seed"]))]
            # REPORT.md tabulates the per-Linear reconstruction error of every calibrated method;
            # methods without a Gram matrix of their own (wanda, ria) measure it only when asked.
            a += ["--reconstruction-error"]
        a += ["--out", q_("$CELL_DIR/ckpt"), "--overwrite", "--quiet", "--threads", '"$THREADS"',
              "--json", q_("$CELL_DIR/prune_report.json")]
        lines.append("step prune " + " ".join(a))
        model = q_("$CELL_DIR/ckpt")
    for d in ev["ppl"]:
        a = ["\"$BIN/eval-ppl\"", "--model", model, "--dataset", q_(path_expr(cfg, d["file"], f"dataset {d['name']}")),
             "--seqlen", str(seqlen)]
        if d.get("max_windows"):
            a += ["--max-windows", str(d["max_windows"])]
        a += ["--threads", '"$THREADS"', "--quiet", "--json", q_(f"$CELL_DIR/ppl_{d['name']}.json")]
        lines.append(f"step ppl_{d['name']} " + " ".join(a))
    zs = ev.get("zeroshot")
    if zs and zs.get("tasks"):
        a = ["\"$BIN/eval-zeroshot\"", "--model", model, "--tasks", ",".join(zs["tasks"]),
             "--data-dir", q_(path_expr(cfg, zs.get("data_dir", "data/zeroshot"), "zero-shot data_dir"))]
        if zs.get("limit"):
            a += ["--limit", str(zs["limit"])]
        a += ["--threads", '"$THREADS"', "--quiet", "--json", q_("$CELL_DIR/zeroshot.json")]
        lines.append("zeroshot " + " ".join(a))
    return lines


PLAN_HEAD = """\
# cell {cid} of study {study}: run by scripts/sweep.sh (which defines step/zeroshot, BIN, SHARED,
# STUDY_DIR, CELL_DIR, THREADS). The pruned checkpoint $CELL_DIR/ckpt is deleted after evaluation.
"""


def cmd_plan(cfg_path, study_dir):
    cfg = load_config(cfg_path)
    plan_dir = os.path.join(study_dir, "runs", "_plan")
    os.makedirs(plan_dir, exist_ok=True)
    for f in glob.glob(os.path.join(plan_dir, "*.sh")):
        os.remove(f)
    cl, skipped = cells(cfg)
    for s in skipped:
        print(f"sweep[{cfg['study']}]: {s}", file=sys.stderr)
    allcmds = io.StringIO()
    allcmds.write(f"# Every cell of study '{cfg['study']}' ({len(cl)} cells), as run by scripts/sweep.sh "
                  f"{os.path.relpath(cfg_path)}.\n# BIN=${{BUILD_DIR:-build}}/bin, SHARED=${{PRUNEKIT_SHARED:-../shared}}, "
                  "THREADS=1; `step NAME CMD` runs CMD, `zeroshot CMD` runs it when eval-zeroshot exists.\n")
    with open(os.path.join(plan_dir, "cells.txt.tmp"), "w") as f:
        for cid, q in cl:
            body = PLAN_HEAD.format(cid=cid, study=cfg["study"]) + "\n".join(commands(cfg, cid, q)) + "\n"
            with open(os.path.join(plan_dir, cid + ".sh"), "w") as g:
                g.write(body)
            with open(os.path.join(plan_dir, cid + ".json"), "w") as g:
                json.dump(q, g)
            f.write(cid + "\n")
            allcmds.write(f"\n## {cid}\n" + "\n".join(commands(cfg, cid, q)) + "\n")
    os.replace(os.path.join(plan_dir, "cells.txt.tmp"), os.path.join(plan_dir, "cells.txt"))
    with open(os.path.join(study_dir, "commands.sh"), "w") as g:
        g.write(allcmds.getvalue())
    print(cfg["study"])


def cmd_prepare(cfg_path, study_dir):
    cfg = load_config(cfg_path)
    work = os.path.join(study_dir, "runs", "_work")
    for name, c in cfg.get("corpora", {}).items():
        conv = c.get("convert")
        if not conv:
            continue
        os.makedirs(work, exist_ok=True)
        src = expand(path_expr(cfg, c["file"], f"corpus {name}"))
        dst = os.path.join(work, name + ".txt")
        if conv == "gsm8k":
            # JSON lines {"question","answer"} -> plain text, one problem per paragraph.
            parts = []
            with open(src, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        r = json.loads(line)
                        parts.append(r["question"].strip() + "\n" + r["answer"].strip())
            text = "\n\n".join(parts) + "\n"
        elif conv == "tail":
            # The text after the first blank line past `skip_fraction` of the file (so that it is
            # disjoint from the first windows that the reduced perplexity protocol evaluates).
            with open(src, encoding="utf-8") as f:
                full = f.read()
            cut = full.find("\n\n", int(len(full) * float(c.get("skip_fraction", 0.5))))
            text = full[cut + 2:] if cut >= 0 else full
        else:
            raise SystemExit(f"corpus {name}: unknown convert '{conv}'")
        tmp = dst + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, dst)
        print(f"sweep[{cfg['study']}]: calibration corpus {name}: {c['file']} -> "
              f"{os.path.relpath(dst)} ({conv}, {len(text)} chars)", file=sys.stderr)


def header(cfg):
    h = ["cell", "method", "sparsity", "pattern"] + [a for a in AXES if a in cfg.get("axes", [])]
    h += ["realised_sparsity", "selected_sparsity", "recon_error_mean", "recon_error_median"]
    h += ["ppl_" + d["name"] for d in cfg["eval"]["ppl"]]
    zs = cfg["eval"].get("zeroshot") or {}
    if zs.get("tasks"):
        h += ["acc_mean"] + ["acc_" + t.replace("-", "_") for t in zs["tasks"]]
        # Standard errors (lm-eval's acc_stderr; the mean's from the tasks' as independent means).
        h += ["se_acc_mean"] + ["se_acc_" + t.replace("-", "_") for t in zs["tasks"]]
    h += ["prune_s", "eval_s", "cell_s", "cell_cpu_s"]
    return h


def jload(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def row(cfg, cell_dir):
    q = jload(os.path.join(cell_dir, "cell.json")) or {}
    tm = jload(os.path.join(cell_dir, "timing.json")) or {}
    r = {"cell": os.path.basename(cell_dir.rstrip("/")), "method": q.get("method", "")}
    if q.get("method") == "dense":
        r.update(sparsity=0, pattern="dense", realised_sparsity=0, selected_sparsity=0)
    else:
        if q.get("pattern"):
            n, m = q["pattern"].split(":")
            r.update(sparsity=fmt_num(int(n) / int(m)), pattern=q["pattern"])
        else:
            r.update(sparsity=fmt_num(q["sparsity"]), pattern="unstructured")
        for a in AXES:
            v = q.get(a)
            r[a] = "" if v is None else fmt_num(v) if isinstance(v, (int, float)) else v
        pr = jload(os.path.join(cell_dir, "prune_report.json")) or {}
        r["realised_sparsity"] = "%.6f" % pr["total_sparsity"] if "total_sparsity" in pr else ""
        r["selected_sparsity"] = "%.6f" % pr["selected_sparsity"] if "selected_sparsity" in pr else ""
        r["prune_s"] = "%.2f" % pr["time_s"]["total"] if "time_s" in pr else ""
        re = pr.get("reconstruction_error") or {}
        r["recon_error_mean"] = "%.6f" % re["mean"] if "mean" in re else ""
        r["recon_error_median"] = "%.6f" % re["median"] if "median" in re else ""
    for d in cfg["eval"]["ppl"]:
        p = jload(os.path.join(cell_dir, f"ppl_{d['name']}.json"))
        r["ppl_" + d["name"]] = "%.4f" % p["ppl"] if p else ""
    zs = cfg["eval"].get("zeroshot") or {}
    z = jload(os.path.join(cell_dir, "zeroshot.json"))
    if zs.get("tasks") and z:
        accs = [z["tasks"][t]["acc"] for t in zs["tasks"] if t in z["tasks"]]
        r["acc_mean"] = "%.4f" % (sum(accs) / len(accs)) if accs else ""
        for t in zs["tasks"]:
            r["acc_" + t.replace("-", "_")] = "%.4f" % z["tasks"][t]["acc"] if t in z["tasks"] else ""
        ses = [z["tasks"][t]["acc_stderr"] for t in zs["tasks"] if t in z["tasks"]]
        r["se_acc_mean"] = "%.4f" % (sum(se * se for se in ses) ** 0.5 / len(ses)) if ses else ""
        for t in zs["tasks"]:
            r["se_acc_" + t.replace("-", "_")] = "%.4f" % z["tasks"][t]["acc_stderr"] if t in z["tasks"] else ""
    for k in ("eval_s", "cell_s", "cell_cpu_s"):
        r[k] = "%.2f" % tm[k] if k in tm else ""
    return r


def csv_text(cfg, rows):
    h = header(cfg)
    s = io.StringIO()
    w = csv.DictWriter(s, fieldnames=h, extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: r.get(k, "") for k in h})
    return s.getvalue()


def cmd_row(cfg_path, cell_dir):
    cfg = load_config(cfg_path)
    sys.stdout.write(csv_text(cfg, [row(cfg, cell_dir)]).split("\n", 1)[1])


def atomic_write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def cmd_collect(cfg_path, study_dir):
    cfg = load_config(cfg_path)
    runs = os.path.join(study_dir, "runs")
    try:
        with open(os.path.join(runs, "_plan", "cells.txt")) as f:
            order = [l.strip() for l in f if l.strip()]
    except OSError:
        order = []
    rows, owl = [], []
    for cid in order:
        cdir = os.path.join(runs, cid)
        if not os.path.exists(os.path.join(cdir, "done")):
            continue
        rows.append(row(cfg, cdir))
        pr = jload(os.path.join(cdir, "prune_report.json")) or {}
        o = pr.get("owl")
        if o:
            for i, s in enumerate(o["layer_sparsity"]):
                owl.append({"cell": cid, "layer": i, "outlier_ratio_percent": "%.6f" % o["outlier_ratio_percent"][i],
                            "layer_density": "%.6f" % o["layer_density"][i], "layer_sparsity": "%.6f" % s,
                            "realised_layer_sparsity": "%.6f" % pr["layers"][i]["sparsity"]})
    atomic_write(os.path.join(study_dir, "results.csv"), csv_text(cfg, rows))
    if owl:
        s = io.StringIO()
        w = csv.DictWriter(s, fieldnames=list(owl[0].keys()), lineterminator="\n")
        w.writeheader()
        w.writerows(owl)
        atomic_write(os.path.join(study_dir, "owl_layers.csv"), s.getvalue())
    return len(rows), len(order)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "plan":
        cmd_plan(sys.argv[2], sys.argv[3])
    elif cmd == "prepare":
        cmd_prepare(sys.argv[2], sys.argv[3])
    elif cmd == "row":
        cmd_row(sys.argv[2], sys.argv[3])
    elif cmd == "collect":
        n, total = cmd_collect(sys.argv[2], sys.argv[3])
        print(f"{n}/{total}")
    elif cmd == "study":
        print(study_name(load_config(sys.argv[2])))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
