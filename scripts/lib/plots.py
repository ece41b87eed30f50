#!/usr/bin/env python3
"""Write the gnuplot scripts (and their data files) of every plot: used by scripts/plot.sh.

plots.py RESULTS_DIR WORK_DIR PNG_TERMINAL [CONFIG...]
  Reads RESULTS_DIR/<study>/results.csv (and owl_layers.csv), writes WORK_DIR/<plot>.dat files and
  WORK_DIR/<plot>.png.gp / <plot>.svg.gp scripts whose output is RESULTS_DIR/plots/<plot>.{png,svg};
  prints the plot names it wrote. A study whose CSV is missing or empty is skipped.
  Without CONFIGs: the built-in studies' plots, plus the "plots" of every other study whose
  RESULTS_DIR/<study>/config.json (written by sweep.sh) has them. With CONFIGs: those configs' plots
  (a config without "plots" gets one: its metrics vs sparsity per method).

A config's "plots" is a list of {"name", "x", "series", "metric", ...}:
  x        CSV column on the x axis (numeric: sparsity, nsamples, ria_a, layers, realised_sparsity, ...)
  series   CSV column whose values are the lines (default "method")
  metric   CSV column or list of columns (one panel each): ppl_<dataset>, acc_mean, acc_<task>, ...
  where    optional {column: value or [values]} filter, e.g. {"pattern": "unstructured"}
  logx, logy, title, xlabel, ylabel   optional (logy defaults to true for ppl_ columns)
Accuracy columns get standard-error bars: the se_<column> of results.csv, else lm-eval's
sqrt(p (1 - p) / (n - 1)) with n = the config's eval.zeroshot.limit (the mean: the tasks' errors
combined as independent means). The dense baseline is a dashed line.
"""
import glob
import json
import math
import os
import sys

from csvutil import num, read

METHODS = ["magnitude", "wanda", "ria", "owl_wanda", "sparsegpt"]
LABEL = {"magnitude": "magnitude", "wanda": "Wanda", "ria": "RIA", "owl_wanda": "OWL-Wanda",
         "sparsegpt": "SparseGPT", "attn": "attention only", "mlp": "MLP only", "all": "attention + MLP",
         "c4": "C4", "gsm8k": "GSM8K (math)", "tinystories": "TinyStories",
         "wikitext2": "WikiText-2", "tinystories_ds": "TinyStories"}
DS_LABEL = {"wikitext2": "WikiText-2", "tinystories": "TinyStories"}
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


class Plot:
    def __init__(self, name, work, out_dir, size=(1200, 500)):
        self.name, self.work, self.out_dir, self.size = name, work, out_dir, size
        self.body = []
        self.ndat = 0

    def dat(self, rows):
        """Write rows (tuples) to a data file; returns its path (quoted for gnuplot)."""
        self.ndat += 1
        path = os.path.join(self.work, f"{self.name}.{self.ndat}.dat")
        with open(path, "w") as f:
            for r in rows:
                f.write(" ".join(str(v) if not isinstance(v, str) else '"%s"' % v for v in r) + "\n")
        return "'%s'" % path

    def add(self, *lines):
        self.body.extend(lines)

    def write(self, png_term):
        w, h = self.size
        terms = {"png": f"set terminal {png_term} size {w},{h} enhanced font 'sans,10'"
                         + (" linewidth 1.5" if png_term == "pngcairo" else ""),
                 "svg": f"set terminal svg size {w},{h} dynamic enhanced font 'sans,10' linewidth 1.5"}
        for ext, term in terms.items():
            out = os.path.join(self.out_dir, f"{self.name}.{ext}")
            with open(os.path.join(self.work, f"{self.name}.{ext}.gp"), "w") as f:
                f.write(term + "\n")
                f.write(f"set output '{out}'\n")
                f.write("set grid lc rgb '#dddddd'\nset key top left box opaque\nset datafile missing '?'\n"
                        "set offsets 0, 0, graph 0.04, graph 0.04\n")
                f.write("\n".join(self.body) + "\nunset multiplot\nset output\n")


def study_config(res, study):
    """The sweep config of a study: RESULTS/<study>/config.json (sweep.sh writes it), else the
    configs/*.json whose "study" is it."""
    for path in [os.path.join(res, study, "config.json")] + sorted(glob.glob("configs/*.json")):
        try:
            with open(path) as f:
                cfg = json.load(f)
        except (OSError, ValueError):
            continue
        if cfg.get("study") == study:
            return cfg
    return {}


def acc_stderr(row, col, cfg):
    """Standard error of an accuracy column of a results row (see the module docstring)."""
    se = num(row.get("se_" + col))
    if se is not None:
        return se
    n = ((cfg.get("eval") or {}).get("zeroshot") or {}).get("limit") or 0
    if n < 2:
        return None

    def binomial(p):
        return math.sqrt(p * (1 - p) / (n - 1))
    if col != "acc_mean":
        p = num(row.get(col))
        return binomial(p) if p is not None else None
    tasks = [k for k in row if k.startswith("acc_") and k != "acc_mean" and num(row[k]) is not None]
    if not tasks:
        return None
    return math.sqrt(sum(binomial(num(row[k])) ** 2 for k in tasks)) / len(tasks)


def dense_of(rows):
    for r in rows:
        if r["method"] == "dense":
            return r
    return None


def hline(value, label):
    """A plot clause drawing a horizontal line at value (x from the x range)."""
    return f"{value} with lines dt 2 lw 1.5 lc rgb '#444444' title '{label}'"


def ppl_vs_sparsity_panel(p, rows, dataset, title):
    dense = dense_of(rows)
    clauses = []
    for i, m in enumerate(METHODS):
        pts = sorted((num(r["sparsity"]), num(r["ppl_" + dataset])) for r in rows
                     if r["method"] == m and r["pattern"] == "unstructured" and num(r["ppl_" + dataset]))
        if pts:
            clauses.append(f"{p.dat(pts)} using 1:2 with linespoints pt {i + 5} ps 1.2 lc rgb '{COLORS[i]}' "
                           f"title '{LABEL[m]}'")
    if dense and num(dense["ppl_" + dataset]):
        clauses.append(hline(dense["ppl_" + dataset], "dense %.4g" % num(dense["ppl_" + dataset])))
    p.add(f"set title '{title}'", "set xlabel 'sparsity (fraction of weights pruned)'",
          f"set ylabel 'perplexity, {DS_LABEL[dataset]} (log scale)'", "set logscale y", "set xrange [0.25:0.95]",
          "set xtics 0.1", "plot " + ", \\\n  ".join(clauses), "unset logscale y")


def plot_default(res, work, out, png):
    rows = read(os.path.join(res, "default", "results.csv"))
    if not rows:
        return []
    made = []
    p = Plot("default_ppl", work, out)
    p.add("set multiplot layout 1,2")
    for ds in ("wikitext2", "tinystories"):
        ppl_vs_sparsity_panel(p, rows, ds, f"Perplexity vs unstructured sparsity, {DS_LABEL[ds]}")
    p.write(png)
    made.append(p.name)

    if any(num(r.get("acc_mean")) is not None for r in rows):
        p = Plot("default_acc", work, out, (1200, 560))
        dense = dense_of(rows)
        ntasks = len([k for k in rows[0] if k.startswith("acc_") and k != "acc_mean"])
        panels = [("acc_mean", f"Mean zero-shot accuracy (lm-eval acc, {ntasks} tasks) vs sparsity", "mean accuracy")]
        if "acc_tinystories_cloze" in rows[0] and ntasks > 1:
            panels.append(("acc_tinystories_cloze", "tinystories-cloze accuracy vs sparsity (chance 0.25)",
                           "accuracy, tinystories-cloze"))
        p.add("set multiplot layout 1,%d" % len(panels))
        cfg = study_config(res, "default")
        for col, title, ylab in panels:
            clauses = []
            for i, m in enumerate(METHODS):
                # Error bars: one standard error (n = eval.zeroshot.limit items per task).
                pts = sorted((num(r["sparsity"]), num(r[col]), acc_stderr(r, col, cfg) or 0) for r in rows
                             if r["method"] == m and r["pattern"] == "unstructured" and num(r[col]) is not None)
                if pts:
                    clauses.append(f"{p.dat(pts)} using 1:2:3 with yerrorlines pt {i + 5} ps 1.2 lc rgb '{COLORS[i]}' "
                                   f"title '{LABEL[m]}'")
            if dense and num(dense[col]) is not None:
                clauses.append(hline(dense[col], "dense %.3f" % num(dense[col])))
            n = ((cfg.get("eval") or {}).get("zeroshot") or {}).get("limit")
            p.add(f"set title '{title}'", "set xlabel 'sparsity (fraction of weights pruned)'",
                  f"set ylabel '{ylab}" + (f" (bars: 1 standard error, n = {n} per task)" if n else "") + "'", "set xrange [0.25:0.95]", "set xtics 0.1", "set bmargin 7",
                  "set key below horizontal maxrows 2", "plot " + ", \\\n  ".join(clauses))
        p.write(png)
        made.append(p.name)

    # N:M vs unstructured 50 %: clustered bars per method.
    p = Plot("default_nm", work, out)
    p.add("set multiplot layout 1,2")
    for ds in ("wikitext2", "tinystories"):
        table = []
        for m in METHODS:
            vals = []
            for pat in ("unstructured", "2:4", "4:8"):
                v = [num(r["ppl_" + ds]) for r in rows if r["method"] == m and r["pattern"] == pat
                     and (pat != "unstructured" or num(r["sparsity"]) == 0.5)]
                vals.append(v[0] if v and v[0] else "?")
            if any(v != "?" for v in vals):
                table.append([LABEL[m]] + vals)
        d = p.dat(table)
        dense = dense_of(rows)
        p.add(f"set title '50 % unstructured vs 2:4 vs 4:8, {DS_LABEL[ds]}'",
              "set style data histogram", "set style histogram cluster gap 1",
              "set style fill solid 0.8 border -1", "set boxwidth 0.9", "set logscale y",
              f"set ylabel 'perplexity, {DS_LABEL[ds]} (log scale)'", "set xlabel 'method'",
              "set xrange [-0.6:%g]" % (len(table) - 0.4), "set key top left",
              f"plot {d} using 2:xtic(1) title '50 % unstructured' lc rgb '{COLORS[0]}', "
              f"'' using 3 title '2:4' lc rgb '{COLORS[1]}', '' using 4 title '4:8' lc rgb '{COLORS[2]}'"
              + (", " + hline(dense["ppl_" + ds], "dense %.4g" % num(dense["ppl_" + ds])) if dense else ""),
              "unset logscale y", "set style data points")
    p.write(png)
    made.append(p.name)
    return made


def plot_modules(res, work, out, png):
    rows = read(os.path.join(res, "modules", "results.csv"))
    if not rows:
        return []
    dense = dense_of(rows)
    p = Plot("modules", work, out, (1200, 900))
    p.add("set multiplot layout 2,2")
    for ds in ("wikitext2", "tinystories"):
        for xcol, xl, tl in (("sparsity", "sparsity of the pruned modules", "sparsity of the pruned modules"),
                             ("realised_sparsity", "fraction of all prunable weights pruned", "overall sparsity")):
            clauses = []
            for i, mod in enumerate(("attn", "mlp", "all")):
                pts = sorted((num(r[xcol]), num(r["ppl_" + ds])) for r in rows
                             if r.get("modules") == mod and r["method"] != "dense" and num(r["ppl_" + ds]))
                if pts:
                    clauses.append(f"{p.dat(pts)} using 1:2 with linespoints pt {i + 5} ps 1.2 lc rgb '{COLORS[i]}' "
                                   f"title '{LABEL[mod]}'")
            if dense:
                clauses.append(hline(dense["ppl_" + ds], "dense %.4g" % num(dense["ppl_" + ds])))
            p.add(f"set title 'Wanda on attention / MLP / both: {DS_LABEL[ds]} vs {tl}'",
                  f"set xlabel '{xl}'", f"set ylabel 'perplexity, {DS_LABEL[ds]} (log scale)'", "set logscale y",
                  "set xrange [0:0.95]", "set xtics 0.1", "plot " + ", \\\n  ".join(clauses), "unset logscale y")
    p.write(png)
    return [p.name]


def plot_layers(res, work, out, png):
    rows = read(os.path.join(res, "layers", "results.csv"))
    owl = read(os.path.join(res, "layers", "owl_layers.csv"))
    if not rows:
        return []
    dense = dense_of(rows)
    single = sorted((int(r["layers"]), r) for r in rows
                    if r["method"] == "wanda" and r.get("layers") not in ("", "all", None) and r["layers"].isdigit())
    owl_pts = [(int(o["layer"]), 100 * num(o["layer_sparsity"])) for o in owl]
    sp = single[0][1]["sparsity"] if single else "0.7"
    p = Plot("layers", work, out)
    p.add("set multiplot layout 1,2")
    for ds in ("wikitext2", "tinystories"):
        bars = p.dat([(l, num(r["ppl_" + ds]) or "?") for l, r in single])
        clauses = [f"{bars} using 1:2 with boxes fs solid 0.7 border -1 lc rgb '{COLORS[0]}' "
                   f"title 'ppl, only this layer pruned ({100 * float(sp):.0f} %)'"]
        if dense:
            clauses.append(hline(dense["ppl_" + ds], "dense %.4g" % num(dense["ppl_" + ds])))
        if owl_pts:
            clauses.append(f"{p.dat(owl_pts)} using 1:2 axes x1y2 with linespoints pt 7 ps 1.4 lw 2 "
                           f"lc rgb '{COLORS[1]}' title 'OWL-Wanda sparsity of the layer (right axis)'")
        p.add(f"set title 'Per-layer sensitivity vs OWL allocation, {DS_LABEL[ds]}'",
              "set xlabel 'decoder layer'", f"set ylabel 'perplexity, {DS_LABEL[ds]}'",
              "set y2label 'OWL layer sparsity (%) at 70 % overall'", "set y2tics", "set ytics nomirror",
              "set boxwidth 0.6", "set xrange [-0.6:%g]" % (max([l for l, _ in single] + [4]) + 0.6), "set xtics 1",
              "set yrange [0:%g]" % (1.6 * max([num(r["ppl_" + ds]) or 0 for _, r in single] +
                                                 [num(dense["ppl_" + ds]) if dense else 0] + [1])),
              "set y2range [%g:%g]" % ((lambda lo, hi: (lo - 1, hi + 0.8 * (hi - lo) + 1))(
                  min(v for _, v in owl_pts), max(v for _, v in owl_pts)) if owl_pts else (0, 100)),
              "set key top left",
              "plot " + ", \\\n  ".join(clauses), "unset y2tics", "unset y2label", "set ytics mirror",
              "set yrange [*:*]")
    p.write(png)
    return [p.name]


def plot_calibration(res, work, out, png):
    rows = read(os.path.join(res, "calibration", "results.csv"))
    if not rows:
        return []
    dense = dense_of(rows)
    p = Plot("calibration", work, out, (1200, 560))
    p.add("set multiplot layout 1,2")
    corpora = []
    for r in rows:
        if r.get("calib") and r["calib"] not in corpora:
            corpora.append(r["calib"])
    for ds in ("wikitext2", "tinystories"):
        clauses = []
        for i, c in enumerate(corpora):
            pts = sorted((num(r["nsamples"]), num(r["ppl_" + ds])) for r in rows
                         if r.get("calib") == c and num(r["ppl_" + ds]))
            clauses.append(f"{p.dat(pts)} using 1:2 with linespoints pt {i + 5} ps 1.2 lc rgb '{COLORS[i]}' "
                           f"title 'calibrated on {LABEL.get(c, c)}'")
        if dense:
            clauses.append(hline(dense["ppl_" + ds], "dense %.4g" % num(dense["ppl_" + ds])))
        p.add(f"set title 'Wanda 50 %: calibration corpus and windows, {DS_LABEL[ds]}'",
              "set xlabel 'calibration windows of 512 tokens (nsamples, log scale)'",
              f"set ylabel 'perplexity, {DS_LABEL[ds]}'", "set logscale x 2", "set xrange [0.8:160]",
              "set bmargin 7", "set key below horizontal", "plot " + ", \\\n  ".join(clauses), "unset logscale x")
    p.write(png)
    return [p.name]


def plot_ria(res, work, out, png):
    rows = read(os.path.join(res, "ria-a", "results.csv"))
    if not rows:
        return []
    dense = dense_of(rows)
    p = Plot("ria_a", work, out)
    p.add("set multiplot layout 1,2")
    for ds in ("wikitext2", "tinystories"):
        clauses = []
        for i, (pat, lab) in enumerate((("unstructured", "50 % unstructured"), ("2:4", "2:4"))):
            pts = sorted((num(r["ria_a"]), num(r["ppl_" + ds])) for r in rows
                         if r["pattern"] == pat and r["method"] == "ria" and num(r["ppl_" + ds]))
            if not pts:
                continue
            best = min(pts, key=lambda t: t[1])
            clauses.append(f"{p.dat(pts)} using 1:2 with linespoints pt {i + 5} ps 1.2 lc rgb '{COLORS[i]}' title '{lab}'")
            clauses.append(f"{p.dat([best])} using 1:2 with points pt 6 ps 3 lw 2 lc rgb '{COLORS[i]}' "
                           f"title 'best a = {best[0]:g} ({lab})'")
        if dense:
            clauses.append(hline(dense["ppl_" + ds], "dense %.4g" % num(dense["ppl_" + ds])))
        p.add(f"set title 'RIA: activation exponent a, {DS_LABEL[ds]}'",
              "set xlabel 'a (score = relative importance x sqrt(activation norm)^a)'",
              f"set ylabel 'perplexity, {DS_LABEL[ds]} (log scale)'", "set logscale y", "set xrange [-0.05:1.05]",
              "set xtics 0.1", "set key top right", "plot " + ", \\\n  ".join(clauses), "unset logscale y")
    p.write(png)
    return [p.name]


def default_spec(cfg):
    """The plot of a config without "plots": its first perplexity (and mean accuracy) vs sparsity."""
    ev = cfg.get("eval") or {}
    metrics = ["ppl_" + d["name"] for d in ev.get("ppl", [])[:1]]
    if (ev.get("zeroshot") or {}).get("tasks"):
        metrics.append("acc_mean")
    return {"name": cfg["study"], "x": "sparsity", "series": "method", "metric": metrics}


def label_of(col):
    if col.startswith("ppl_"):
        return "perplexity, " + DS_LABEL.get(col[4:], col[4:])
    if col == "acc_mean":
        return "mean zero-shot accuracy (lm-eval acc)"
    if col.startswith("acc_"):
        return "accuracy, " + col[4:].replace("_", "-")
    return col.replace("_", " ")


def plot_spec(cfg, spec, rows, work, out, png):
    """One plot of a config's "plots" list (see the module docstring); returns its name or None."""
    name = spec.get("name") or cfg["study"]
    x, series = spec.get("x", "sparsity"), spec.get("series", "method")
    metrics = spec["metric"] if isinstance(spec.get("metric"), list) else [spec.get("metric")]
    for col in [x, series] + metrics:
        if not col or col not in rows[0]:
            raise SystemExit(f"plot {name} of study {cfg['study']}: no column '{col}' in its results.csv "
                             f"(columns: {', '.join(rows[0].keys())})")
    where = spec.get("where") or {}

    def keep(r):
        for k, v in where.items():
            allowed = [str(a) for a in (v if isinstance(v, list) else [v])]
            if r.get(k) not in allowed and not (num(r.get(k)) is not None and
                                                 any(num(a) == num(r.get(k)) for a in allowed)):
                return False
        return True
    dense = dense_of(rows)
    sel = [r for r in rows if r["method"] != "dense" and keep(r)]
    groups = []
    for r in sel:
        if r[series] not in groups:
            groups.append(r[series])
    p = Plot(name, work, out, (600 * len(metrics) if len(metrics) > 1 else 900, 560))
    p.add("set multiplot layout 1,%d" % len(metrics))
    for col in metrics:
        acc = col.startswith("acc_")
        clauses = []
        for i, g in enumerate(groups):
            pts = sorted((num(r[x]), num(r[col])) + ((acc_stderr(r, col, cfg) or 0,) if acc else ())
                         for r in sel if r[series] == g and num(r[x]) is not None and num(r[col]) is not None)
            if pts:
                style = "1:2:3 with yerrorlines" if acc else "1:2 with linespoints"
                clauses.append(f"{p.dat(pts)} using {style} pt {i % 10 + 5} ps 1.2 "
                               f"lc rgb '{COLORS[i % len(COLORS)]}' title '{LABEL.get(g, g)}'")
        if dense and num(dense.get(col)) is not None:
            clauses.append(hline(dense[col], "dense %.4g" % num(dense[col])))
        if not clauses:
            continue
        logy = spec.get("logy", col.startswith("ppl_"))
        n = ((cfg.get("eval") or {}).get("zeroshot") or {}).get("limit")
        title = spec.get("title") or f"{label_of(col)} vs {x.replace('_', ' ')}, by {series}"
        bars = f" (bars: 1 standard error, n = {n} per task)" if acc and n else ""
        p.add(f"set title '{title}'", f"set xlabel '{spec.get('xlabel', x.replace('_', ' '))}'",
              f"set ylabel '{spec.get('ylabel', label_of(col))}" + (" (log scale)" if logy else "") + bars + "'",
              "set offsets graph 0.05, graph 0.05, graph 0.04, graph 0.04",
              "set logscale y" if logy else "unset logscale y",
              "set logscale x" if spec.get("logx") else "unset logscale x",
              "set xrange [*:*]", "set xtics autofreq", "set bmargin 7", "set key below horizontal",
              "plot " + ", \\\n  ".join(clauses))
    p.write(png)
    return p.name


def config_plots(cfg, res, work, out, png):
    rows = read(os.path.join(res, cfg["study"], "results.csv"))
    if not rows:
        print(f"plot: no results for study {cfg['study']} in {res} (skipped)", file=sys.stderr)
        return []
    specs = cfg.get("plots") or [default_spec(cfg)]
    return [n for n in (plot_spec(cfg, spec, rows, work, out, png) for spec in specs) if n]


BUILTIN = {"default": plot_default, "modules": plot_modules, "layers": plot_layers,
           "calibration": plot_calibration, "ria-a": plot_ria}


def main():
    res, work, png = sys.argv[1], sys.argv[2], sys.argv[3]
    out = os.path.join(res, "plots")
    os.makedirs(out, exist_ok=True)
    os.makedirs(work, exist_ok=True)
    made = []
    if len(sys.argv) > 4:
        for path in sys.argv[4:]:
            with open(path) as f:
                made += config_plots(json.load(f), res, work, out, png)
    else:
        for f in BUILTIN.values():
            made += f(res, work, out, png)
        for path in sorted(glob.glob(os.path.join(res, "*", "config.json"))):
            with open(path) as f:
                cfg = json.load(f)
            if cfg.get("plots") and cfg.get("study") not in BUILTIN:
                made += config_plots(cfg, res, work, out, png)
    print("\n".join(made))


if __name__ == "__main__":
    main()
