"""The X -> Y H comparison figures (after the EveNet paper's Fig. 2) and their summary table.

Reads the ``result.json`` of every (point, method, seed) and writes to ``--output-dir``:
``summary.json`` (per point and method: the mean over seeds of each number, with an
uncertainty that adds in quadrature the mean statistical uncertainty and the spread
over seeds, and the per-seed values) and seven figures, each PNG + PDF + caption:
``max_sic`` (max SIC over the (M_X, M_Y) plane, one panel per method), ``winner``
(the method with the highest max SIC per point), ``steps`` (steps to the minimum
validation loss of the networks, raw and effective), ``signal_statistics``,
``ratio_to_full`` (max SIC of each method over EveNet-Full's), ``param_vs_individual``
(parameterised over individual, for the networks and XGBoost) and ``xsec_limit``
(expected 95 % CL cross-section limit over the plane for Full and XGBoost).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from evenet.atomic import atomic_output
from evenet.errors import command
from evenet.plots.figures import new_figure, save_figure
from evenet.plots.labels import mass_label
from evenet.results import read_result

log = logging.getLogger(__name__)

LABELS = {"full": "EveNet-Full", "ssl": "EveNet-SSL", "scratch": "EveNet-Scratch", "xgboost": "XGBoost",
          "param_full": "EveNet-Full (param.)", "param_ssl": "EveNet-SSL (param.)",
          "param_scratch": "EveNet-Scratch (param.)", "param_xgboost": "XGBoost (param.)"}
ORDER = list(LABELS)
NETWORKS = [m for m in ORDER if not m.endswith("xgboost")]


def summarise(paths: list[str]) -> dict:
    """{point: {method: {number: {value, error, seeds}}}} with the point's masses."""
    raw: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(list)))
    masses = {}
    for path in paths:
        result = read_result(path)
        point, method = result.extra["point"], result.extra["method"]
        name = f"MX-{point['MX']}_MY-{point['MY']}"
        masses[name] = (int(point["MX"]), int(point["MY"]))
        for key, m in result.numbers.items():
            raw[name][method][key].append((m.value, m.error, m.low, m.high))
    table = {}
    for name, methods in raw.items():
        table[name] = {"MX": masses[name][0], "MY": masses[name][1], "methods": {}}
        for method, numbers in methods.items():
            entry = {}
            for key, rows in numbers.items():
                values = np.array([r[0] for r in rows], dtype=float)
                errors = np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float)
                stat = float(np.nanmean(errors)) if np.isfinite(errors).any() else 0.0
                spread = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
                entry[key] = {"value": float(np.mean(values)), "error": float(np.hypot(stat, spread)),
                              "seeds": values.tolist(), "low": rows[0][2], "high": rows[0][3]}
            table[name]["methods"][method] = entry
    return table


def _get(table, point, method, key):
    entry = table[point]["methods"].get(method, {}).get(key)
    return (np.nan, np.nan) if entry is None else (entry["value"], entry["error"])


def _methods(table) -> list[str]:
    present = {m for row in table.values() for m in row["methods"]}
    return [m for m in ORDER if m in present]


def _plane(ax, table, values: dict[str, tuple[float, float]], fmt: str, cmap="viridis", norm=None):
    """Points of the (M_X, M_Y) plane coloured by ``values`` (value, error), each annotated; returns the scatter."""
    points = sorted(table, key=lambda p: (table[p]["MX"], table[p]["MY"]))
    x = np.array([table[p]["MX"] for p in points])
    y = np.array([table[p]["MY"] for p in points])
    v = np.array([values[p][0] for p in points], dtype=float)
    scatter = ax.scatter(x, y, c=v, s=300, cmap=cmap, norm=norm, edgecolors="black")
    for xi, yi, p in zip(x, y, points):
        value, error = values[p]
        text = "n/a" if not np.isfinite(value) else (fmt.format(value) + ("" if not np.isfinite(error) or error == 0
                                                                         else "\n$\\pm$" + fmt.format(error)))
        ax.annotate(text, (xi, yi), textcoords="offset points", xytext=(0, 12), ha="center", fontsize="x-small")
    ax.set_xlabel(mass_label("X"))
    ax.set_ylabel(mass_label("Y"))
    ax.set_xlim(x.min() - 150, x.max() + 150)
    ax.set_ylim(0, y.max() * 1.45 + 40)
    return scatter


def _planes(table, methods, key, fmt, cmap, colorbar_label):
    """One (M_X, M_Y) panel per method on a common colour scale (at most three panels a row)."""
    from matplotlib.colors import Normalize

    ncols = min(len(methods), 3)
    nrows = -(-len(methods) // ncols)
    figure, axes = new_figure(nrows=nrows, ncols=ncols, figsize=(6 * ncols + 1, 5.5 * nrows), squeeze=False)
    values = {m: {p: (_get(table, p, m, key)[0], _get(table, p, m, key)[1] if key == "max_sic" else np.nan)
                  for p in table} for m in methods}
    finite = [v for m in methods for v, _ in values[m].values() if np.isfinite(v)]
    norm = Normalize(min(finite), max(finite)) if finite else None
    scatter = None
    for ax, method in zip(axes.flat, methods):
        scatter = _plane(ax, table, values[method], fmt, cmap=cmap, norm=norm)
        ax.text(0.04, 0.96, LABELS[method], transform=ax.transAxes, va="top", fontsize="small")
    for ax in axes.flat[len(methods):]:
        ax.set_axis_off()
    if finite:
        figure.colorbar(scatter, ax=axes, label=colorbar_label)
    return figure


def figure_max_sic(table, out: Path):
    figure = _planes(table, _methods(table), "max_sic", "{:.2f}", "viridis", "max SIC")
    save_figure(figure, out / "max_sic", "Maximum significance improvement (SIC = eps_S / sqrt(eps_B), weighted "
                "background yield >= the configured floor) over the (M_X, M_Y) plane, one panel per method on a common "
                "colour scale, on the test split of the demo samples. Uncertainties: statistical (sum of w^2) in "
                "quadrature with the spread over seeds.")


def figure_winner(table, out: Path):
    methods = _methods(table)
    figure, ax = new_figure(figsize=(7, 5.5))
    colours = {m: f"C{i}" for i, m in enumerate(methods)}
    for p, row in table.items():
        scores = {m: _get(table, p, m, "max_sic") for m in methods}
        finite = {m: v for m, v in scores.items() if np.isfinite(v[0])}
        if not finite:
            continue
        best = max(finite, key=lambda m: finite[m][0])
        second = sorted((v for m, v in finite.items() if m != best), key=lambda v: -v[0])
        margin = ""
        if second:
            (vb, eb), (vs, es) = finite[best], second[0]
            margin = f"\n+{(vb - vs) / max(np.hypot(eb, es), 1e-12):.1f}$\\sigma$"
        ax.scatter(row["MX"], row["MY"], s=400, color=colours[best], edgecolors="black")
        ax.annotate(LABELS[best] + margin, (row["MX"], row["MY"]), textcoords="offset points", xytext=(0, 16),
                    ha="center", fontsize="x-small")
    for m in methods:
        ax.scatter([], [], color=colours[m], label=LABELS[m])
    ax.legend(fontsize="x-small", loc="upper left")
    ax.set_xlabel(mass_label("X"))
    ax.set_ylabel(mass_label("Y"))
    xs, ys = [r["MX"] for r in table.values()], [r["MY"] for r in table.values()]
    ax.set_xlim(min(xs) - 150, max(xs) + 150)
    ax.set_ylim(0, max(ys) * 1.5 + 20)
    save_figure(figure, out / "winner", "The method with the highest maximum SIC at each mass point, and its margin "
                "over the runner-up in units of their combined uncertainty.")


def _points_axis(ax, table):
    points = sorted(table, key=lambda p: (table[p]["MX"], table[p]["MY"]))
    ax.set_xticks(range(len(points)))
    ax.set_xticklabels([f"{table[p]['MX']}/{table[p]['MY']}" for p in points], rotation=30, fontsize="small")
    ax.set_xlabel("$(M_X, M_Y)$ [GeV]")
    return points


def figure_steps(table, out: Path):
    methods = [m for m in _methods(table) if m in NETWORKS]
    figure, axes = new_figure(nrows=1, ncols=2, figsize=(12, 5), squeeze=False)
    for ax, key, title in zip(axes.flat, ("steps_to_min_val_loss", "effective_steps"), ("optimiser steps", "effective steps")):
        points = _points_axis(ax, table)
        width = 0.8 / max(len(methods), 1)
        for i, m in enumerate(methods):
            values = [_get(table, p, m, key) for p in points]
            ax.bar(np.arange(len(points)) + (i - (len(methods) - 1) / 2) * width, [v for v, _ in values], width,
                   yerr=[e for _, e in values], label=LABELS[m])
        ax.set_ylabel(f"{title} to min. validation loss")
        ax.set_ylim(0, ax.get_ylim()[1] * 1.35)
        ax.legend(fontsize="x-small", ncols=len(methods), loc="upper center")
    save_figure(figure, out / "steps", "Steps to the minimum validation loss of each network, per mass point: "
                "optimiser steps (left) and effective steps = steps x devices x batch size / reference batch (right). "
                "Error bars: spread over seeds (none for a single seed).")


def figure_signal_statistics(table, out: Path):
    figure, ax = new_figure(figsize=(7, 5.5))
    method = _methods(table)[0]
    values = {}
    for p in table:
        train = _get(table, p, method, "signal_train_events")[0]
        val = _get(table, p, method, "signal_val_events")[0]
        test = _get(table, p, method, "signal_test_events")[0]
        values[p] = (train + val + test, np.nan)
    scatter = _plane(ax, table, values, "{:.0f}", cmap="magma")
    figure.colorbar(scatter, ax=ax, label="selected signal events")
    save_figure(figure, out / "signal_statistics", "Selected signal events per mass point (all splits; train/val/test "
                "= 70/20/10 %), the statistics each individual model learns from.")


def _ratio_axes(ax, table, pairs, title):
    points = _points_axis(ax, table)
    for k, (num, den, label) in enumerate(pairs):
        ratios, errors = [], []
        for p in points:
            (a, ea), (b, eb) = _get(table, p, num, "max_sic"), _get(table, p, den, "max_sic")
            r = a / b if b else np.nan
            ratios.append(r)
            errors.append(abs(r) * np.hypot(ea / a if a else 0, eb / b if b else 0))
        ax.errorbar(np.arange(len(points)) + 0.06 * (k - len(pairs) / 2), ratios, yerr=errors, fmt="o", label=label)
    ax.axhline(1.0, color="grey", lw=1, ls="--")
    ax.set_ylabel(title)
    ax.legend(fontsize="x-small")


def figure_ratio_to_full(table, out: Path):
    figure, ax = new_figure(figsize=(8, 5))
    others = [m for m in _methods(table) if m != "full"]
    if "full" in _methods(table):
        _ratio_axes(ax, table, [(m, "full", LABELS[m]) for m in others], "max SIC / EveNet-Full")
    else:
        ax.text(0.5, 0.5, "no EveNet-Full results", ha="center", transform=ax.transAxes)
    save_figure(figure, out / "ratio_to_full", "Maximum SIC of each method divided by that of EveNet-Full (individual "
                "fine-tune) at each mass point; error bars propagate both uncertainties as uncorrelated.")


def figure_param_vs_individual(table, out: Path):
    figure, ax = new_figure(figsize=(8, 5))
    methods = _methods(table)
    pairs = [(f"param_{m}", m, f"{LABELS[m]}: param. / individual") for m in ("full", "ssl", "scratch", "xgboost")
             if m in methods and f"param_{m}" in methods]
    if pairs:
        _ratio_axes(ax, table, pairs, "max SIC parameterised / individual")
    else:
        ax.text(0.5, 0.5, "no parameterised and individual pair", ha="center", transform=ax.transAxes)
    save_figure(figure, out / "param_vs_individual", "Maximum SIC of the parameterised model (one model over the grid, "
                "(M_X, M_Y) as inputs) divided by that of the individual model of each point, for each method that has "
                "both.")


def figure_xsec_limit(table, out: Path):
    methods = [m for m in ("full", "xgboost") if m in _methods(table)]
    figure = _planes(table, methods, "xsec_limit", "{:.3g}", "viridis_r", "expected 95% CL limit [pb]")
    save_figure(figure, out / "xsec_limit", "Expected 95 % CL upper limit (CLs, asymptotic, pyhf; binned score with MC "
                "statistical uncertainties) on the X -> YH -> bb WW* cross section at the configured luminosity, for "
                "EveNet-Full and XGBoost (individual models), on a common colour scale. Mean over seeds.")


FIGURES = (figure_max_sic, figure_winner, figure_steps, figure_signal_statistics, figure_ratio_to_full,
           figure_param_vs_individual, figure_xsec_limit)


@command("python -m analyses.xyh.figures")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyses.xyh.figures", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="result.json files of the points and methods")
    parser.add_argument("--output-dir", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    table = summarise(args.results)
    out = Path(args.output_dir)
    for make in FIGURES:
        make(table, out)
    with atomic_output(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(table, indent=1, default=float))
    log.info("%s: %d points, methods %s", out, len(table), ", ".join(_methods(table)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
