"""Figures of the entanglement analysis from the result.json files of the network runs, the
analytic baseline and the truth ceiling, and the fine-tunes' metrics.json:

* ``<output>_fig4``: paper Fig. 4, (a) Delta D and (b) pairing efficiency against training
  size (fraction of the reference size), per variant (mean and spread over seeds), with the
  analytic baseline and the truth ceiling as lines;
* ``<output>_fig8``: the ttbar panel of paper Fig. 8, minimum validation loss against the
  optimiser steps to reach it, per variant and size.

    python -m analyses.ttbar_qe.figures --runs R1.json ... --metrics M1.json ... \
        --analytic A.json --truth T.json --output results/ttbar_qe/figures/demo
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from evenet.errors import InputFileError, command
from evenet.plots.figures import new_figure, save_figure
from evenet.results import read_result

RUN = re.compile(r"(?P<variant>scratch|ssl|full)_size(?P<size>[0-9.]+)_s(?P<seed>\d+)")
COLOURS = {"full": "tab:blue", "scratch": "goldenrod", "ssl": "tab:pink"}
NAMES = {"full": "EveNet-Full", "scratch": "Scratch", "ssl": "SSL"}


def _run_key(path) -> tuple[str, float, int]:
    match = RUN.search(str(path))
    if not match:
        raise InputFileError(f"{path}: not a <variant>_size<size>_s<seed> run")
    return match["variant"], float(match["size"]), int(match["seed"])


def _number(result, name: str) -> float:
    entry = result.numbers.get(name)
    return float("nan") if entry is None else float(entry.value)


def _delta_d(result) -> float:
    """Delta D in %, NaN (not drawn) where the unfolded D <= 1: sigma_D / (D - 1) is no precision there."""
    return 100 * _number(result, "Delta_D") if _number(result, "D") > 1 else float("nan")


def collect(runs: list[str]) -> dict:
    """variant -> size -> list over seeds of (Delta D in %, pairing efficiency in %)."""
    table: dict = defaultdict(lambda: defaultdict(list))
    for path in runs:
        variant, size, _ = _run_key(path)
        result = read_result(path)
        table[variant][size].append((_delta_d(result), 100 * _number(result, "pairing_efficiency")))
    return table


def fig4(table: dict, analytic: dict, truth: dict, output: str) -> None:
    figure, axes = new_figure(ncols=2, figsize=(11, 4.5))
    for column, (ax, ylabel) in enumerate(zip(axes, (r"$\Delta D$ [%]", "pairing efficiency [%]"))):
        for variant, by_size in table.items():
            sizes = sorted(by_size)
            values = [np.array([v[column] for v in by_size[s]]) for s in sizes]
            ax.errorbar(100 * np.array(sizes), [v.mean() for v in values],
                        yerr=[v.std(ddof=1) if len(v) > 1 else 0.0 for v in values], marker="o", capsize=3,
                        color=COLOURS[variant], label=NAMES[variant])
        for label, result, style in (("analytic (Betchart)", analytic, "--"), ("truth", truth, ":")):
            value = _delta_d(result) if column == 0 else 100 * _number(result, "pairing_efficiency")
            if not np.isfinite(value):
                ax.plot([], [], color="black" if "analytic" in label else "grey", linestyle=style,
                        label=f"{label} (D <= 1)")
                continue
            ax.axhline(value, color="grey" if label == "truth" else "black", linestyle=style, label=label)
        ax.axvline(100, color="grey", linewidth=0.8, linestyle="-.")
        ax.set_xscale("log")
        ax.set_xlabel("training size [% of reference]")
        ax.set_ylabel(ylabel)
        ax.legend(fontsize="small")
    save_figure(figure, f"{output}_fig4", caption=(
        "Precision Delta D = sigma_D / (D - 1) of the entanglement marker (left; statistical, at the configured "
        "luminosity, unfolded, threshold m_tt bin) and lepton-b pairing efficiency (right) against the "
        "fine-tuning size (per cent of the reference size), per variant (mean and spread over seeds), with the "
        "analytic neutrino solver and truth pairing + truth neutrinos as lines (paper Fig. 4). Delta D is drawn "
        "only where the unfolded D > 1 (a method with D <= 1 is listed in the legend only)."))


def fig8(metrics: list[str], output: str) -> None:
    import json

    figure, ax = new_figure()
    markers = {}
    for path in metrics:
        variant, size, _ = _run_key(path)
        try:
            best = json.loads(Path(path).read_text())["best"]
        except (OSError, ValueError, KeyError) as err:
            raise InputFileError(f"{path}: no 'best' entry ({err})") from None
        if "loss" not in best:
            continue
        marker = markers.setdefault(size, "osD^v"[len(markers) % 5])
        ax.scatter(max(best["step"], 1), best["loss"], color=COLOURS[variant], marker=marker,
                   label=f"{NAMES[variant]}, {100 * size:g} %")
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize="small")
    ax.set_xscale("log")
    ax.set_xlabel("optimiser steps to the minimum validation loss")
    ax.set_ylabel("minimum validation loss")
    save_figure(figure, f"{output}_fig8", caption=(
        "Convergence of the ttbar fine-tunes (paper Fig. 8, ttbar panel): minimum validation loss (assignment + "
        "neutrino generation) against the optimiser steps taken to reach it, per variant (colour) and training "
        "size (marker)."))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", nargs="+", required=True)
    p.add_argument("--metrics", nargs="+", required=True)
    p.add_argument("--analytic", required=True)
    p.add_argument("--truth", required=True)
    p.add_argument("--output", required=True, help="path prefix of the figures")
    return p.parse_args(argv)


@command("python -m analyses.ttbar_qe.figures")
def main(argv=None) -> int:
    args = parse_args(argv)
    fig4(collect(args.runs), read_result(args.analytic), read_result(args.truth), args.output)
    fig8(args.metrics, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
