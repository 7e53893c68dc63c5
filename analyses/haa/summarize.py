"""Runs of a target (``all`` or ``haa_study``) -> one result.json: per (model, variant, size)
the mean and spread over seeds, and the paired difference Full - Scratch.

Each run's ``result.json`` comes from :mod:`analyses.haa.evaluate`. Per group the summary
gives, for max SIC, event purity, particle purity and the convergence steps, the mean
over seeds with the sample standard deviation as its ``error`` (the seed-to-seed spread;
the mean itself is known to error / sqrt(n)). Full and Scratch runs at one seed train on
the same events (the seed is also the subset seed), so their difference is paired: per
(model, size) the differences of the seeds present in both, their mean and standard
deviation (``error``), and ``low``/``high`` = mean -/+ standard error. SSL runs are paired
with Scratch the same way (``<model>/ssl-scratch/...``). The table rows (``table`` and
``paired``, each pair naming its ``variant``) hold the per-seed values.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from evenet.errors import command
from evenet.results import Measurement, read_result, write_result

QUANTITIES = ("max_sic", "event_purity", "particle_purity", "steps_to_min_val_loss", "steps_to_best_val_accuracy",
              "train_events")
PAIRED = ("max_sic", "event_purity", "particle_purity")
PRETRAINED = ("full", "ssl")  # variants paired against Scratch


def _spread(values: list[float]) -> tuple[float, float]:
    arr = np.asarray(values, float)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else float("nan")


def collect(paths: list[Path]) -> list[dict]:
    runs = []
    for path in paths:
        result = read_result(path)
        run = dict(result.extra["run"])
        run["numbers"] = {k: m.value for k, m in result.numbers.items()}
        runs.append(run)
    return runs


def summarize(runs: list[dict]) -> tuple[dict[str, Measurement], list[dict], list[dict]]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for run in runs:
        groups[(run["model"], run["variant"], run["size"])].append(run)
    numbers: dict[str, Measurement] = {}
    table = []
    for (model, variant, size), members in sorted(groups.items()):
        members.sort(key=lambda r: r["seed"])
        row = {"model": model, "variant": variant, "size": size, "seeds": [r["seed"] for r in members]}
        for quantity in QUANTITIES:
            values = [r["numbers"][quantity] for r in members if quantity in r["numbers"]]
            values = [v for v in values if v is not None and np.isfinite(v)]
            if not values:
                continue
            mean, std = _spread(values)
            row[quantity] = {"mean": mean, "std": std, "values": values}
            numbers[f"{model}/{variant}/s{size:g}/{quantity}"] = Measurement(
                mean, std, note=f"mean over {len(values)} seeds; error = seed-to-seed standard deviation")
        table.append(row)
    paired = []
    for (model, variant, size), pretrained in sorted(groups.items()):
        if variant not in PRETRAINED or (model, "scratch", size) not in groups:
            continue
        scratch = {r["seed"]: r for r in groups[(model, "scratch", size)]}
        for quantity in PAIRED:
            diffs = {r["seed"]: r["numbers"][quantity] - scratch[r["seed"]]["numbers"][quantity]
                     for r in pretrained if r["seed"] in scratch and quantity in r["numbers"]
                     and quantity in scratch[r["seed"]]["numbers"]}
            diffs = {s: d for s, d in diffs.items() if np.isfinite(d)}
            if not diffs:
                continue
            mean, std = _spread(list(diffs.values()))
            sem = std / np.sqrt(len(diffs)) if len(diffs) > 1 else float("nan")
            numbers[f"{model}/{variant}-scratch/s{size:g}/{quantity}"] = Measurement(
                mean, std, low=mean - sem, high=mean + sem,
                note=f"paired over {len(diffs)} seeds; error = spread (std), low/high = mean -/+ standard error")
            paired.append({"model": model, "variant": variant, "size": size, "quantity": quantity, "mean": mean,
                           "std": std, "sem": sem, "per_seed": {str(s): d for s, d in sorted(diffs.items())}})
    return numbers, table, paired


def format_table(table: list[dict], paired: list[dict]) -> str:
    def cell(row, q):
        if q not in row:
            return "-"
        return f"{row[q]['mean']:.3f} +- {row[q]['std']:.3f}" if np.isfinite(row[q]["std"]) else f"{row[q]['mean']:.3f}"

    lines = ["model    variant  size   n  max SIC            event purity       particle purity"]
    for row in table:
        lines.append(f"{row['model']:8s} {row['variant']:8s} {row['size']:<6g} {len(row['seeds']):<2d} "
                     f"{cell(row, 'max_sic'):18s} {cell(row, 'event_purity'):18s} {cell(row, 'particle_purity')}")
    lines.append("paired Full - Scratch and SSL - Scratch (mean, spread, standard error):")
    for p in paired:
        lines.append(f"  {p['model']:8s} {p['variant']:4s} size {p['size']:<6g} {p['quantity']:16s} {p['mean']:+.3f}"
                     f"  std {p['std']:.3f}  sem {p['sem']:.3f}  n {len(p['per_seed'])}")
    return "\n".join(lines)


@command("python -m analyses.haa.summarize")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("results", nargs="+", type=Path, help="result.json of each run")
    p.add_argument("-o", "--output", required=True, type=Path)
    args = p.parse_args(argv)
    runs = collect(args.results)
    numbers, table, paired = summarize(runs)
    write_result(args.output, numbers, config={"runs": [str(r) for r in args.results]}, table=table,
                 paired=paired)
    print(format_table(table, paired))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
