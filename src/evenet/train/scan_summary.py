"""Summary of a fine-tuning scan: validation AUC and convergence per (variant, training fraction).

Each run directory holds the ``metrics.json`` of ``evenet train``; the scan
rules name them ``<variant>_f<fraction>_s<seed>``. Per (variant, fraction) the
summary gives the mean and sample standard deviation over seeds of the
validation AUC (at the best step) and of the steps to the minimum validation
loss (the paper's convergence metric).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from evenet.errors import InputFileError

RUN_NAME = re.compile(r"^(?P<variant>[a-z]+)_f(?P<fraction>[0-9.]+)_s(?P<seed>\d+)$")


def _mean_std(values: list[float]) -> dict:
    arr = np.asarray(values, dtype=float)
    return {"mean": float(arr.mean()), "std": float(arr.std(ddof=1)) if len(arr) > 1 else 0.0, "values": arr.tolist()}


def summarize(metrics_files: list[str | Path]) -> dict:
    groups: dict[tuple[str, float], list[dict]] = {}
    for path in map(Path, metrics_files):
        match = RUN_NAME.match(path.parent.name)
        if not match:
            raise InputFileError(f"{path}: run directory name is not <variant>_f<fraction>_s<seed>")
        try:
            metrics = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise InputFileError(f"{path}: cannot read metrics ({exc})") from None
        if metrics.get("val_auc") is None:
            raise InputFileError(f"{path}: no 'val_auc' (not a classification fine-tune?)")
        key = (match["variant"], float(match["fraction"]))
        groups.setdefault(key, []).append({"seed": int(match["seed"]), **metrics})
    rows = []
    for (variant, fraction), runs in sorted(groups.items()):
        runs.sort(key=lambda r: r["seed"])
        rows.append({
            "variant": variant,
            "train_fraction": fraction,
            "seeds": [r["seed"] for r in runs],
            "train_events": [r["train_events"] for r in runs],
            "val_auc": _mean_std([r["val_auc"] for r in runs]),
            "steps_to_min_val_loss": _mean_std([r["steps_to_min_val_loss"] for r in runs]),
        })
    return {"runs": rows}


def format_table(summary: dict) -> str:
    lines = [f"{'variant':8s} {'fraction':>8s} {'val AUC mean +- std':>22s} {'steps to min val loss':>22s}  seeds"]
    for row in summary["runs"]:
        auc, steps = row["val_auc"], row["steps_to_min_val_loss"]
        lines.append(f"{row['variant']:8s} {row['train_fraction']:8.3f} {auc['mean']:13.3f} +- {auc['std']:.3f}"
                     f" {steps['mean']:14.0f} +- {steps['std']:.0f}  {row['seeds']}")
    return "\n".join(lines)
