"""The summary of a target -> the paper's Fig. 3 (max SIC and pairing efficiency versus training
size, per variant and SPANet) and the H -> aa panel of Fig. 8 (steps to the minimum
validation loss versus training size). Points: mean over seeds; error bars: the seed-to-seed
standard deviation (no bar with one seed)."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from evenet.errors import InputFileError, command
from evenet.plots.figures import new_figure, save_figure
from evenet.results import read_result

STYLE = {"scratch": ("Scratch", "o", "tab:gray"), "ssl": ("SSL", "s", "tab:blue"), "full": ("Full", "D", "tab:red"),
         "spanet": ("SPANet", "^", "tab:green")}
# The paper's Fig. 3: solid Cls, dashed Cls+Asn, dotted Cls+Seg; SPANet by its colour.
MODEL_LINE = {"cls": "-", "cls_asn": "--", "cls_seg": ":", "spanet": "-"}
MODEL_LABEL = {"cls": "Cls", "cls_asn": "Cls+Asn", "cls_seg": "Cls+Seg", "spanet": ""}


def series(table: list[dict], quantity: str):
    """(model, variant) -> sizes, means, stds of a quantity."""
    out: dict[tuple[str, str], list] = {}
    for row in table:
        if quantity in row:
            out.setdefault((row["model"], row["variant"]), []).append(
                (row["size"], row[quantity]["mean"], np.nan if row[quantity]["std"] is None else row[quantity]["std"]))
    return {key: tuple(map(np.array, zip(*sorted(rows)))) for key, rows in out.items()}


def draw(ax, table: list[dict], quantity: str, ylabel: str, models=None) -> None:
    for (model, variant), (size, mean, std) in sorted(series(table, quantity).items()):
        if models is not None and model not in models:
            continue
        label, marker, colour = STYLE.get(variant, (variant, "o", "k"))
        name = f"{label} {MODEL_LABEL.get(model, model)}".strip()
        ax.errorbar(size * 100, mean, yerr=np.where(np.isfinite(std), std, 0.0), marker=marker, color=colour,
                    linestyle=MODEL_LINE.get(model, "-"), label=name, capsize=3)
    ax.set_xscale("log")
    ax.set_xlabel("training size [% of the reference]")
    ax.set_ylabel(ylabel)


@command("python -m analyses.haa.figures")
def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("summary", type=Path, help="result.json of analyses.haa.summarize")
    p.add_argument("--output", required=True, help="path prefix: <prefix>_fig3, <prefix>_fig8")
    args = p.parse_args(argv)
    result = read_result(args.summary)
    table = result.extra.get("table")
    if not isinstance(table, list) or not table:
        raise InputFileError(f"{args.summary}: no `table` of runs (not a summary of analyses.haa.summarize)")
    seeds = sorted({len(r["seeds"]) for r in table})

    figure, axes = new_figure(ncols=2, figsize=(16, 7))
    draw(axes[0], table, "max_sic", "max SIC")
    draw(axes[1], table, "event_purity", "pairing efficiency (event purity)", models={"cls_asn", "cls_seg", "spanet"})
    axes[0].legend(fontsize="x-small")
    axes[1].legend(fontsize="x-small")
    save_figure(figure, f"{args.output}_fig3",
                f"H -> aa -> 4b (m_a = 30 GeV) against multi-b QCD, test split. Left: maximum SIC (physical "
                f"weights, background yield >= 10) versus training size; right: event purity of the a -> bb "
                f"pairing (assignment head; segmentation head for Cls+Seg) on signal events with both a's reconstructable. Points: mean over seeds ({seeds} "
                f"per point); bars: seed-to-seed standard deviation. SPANet 2.1.1 trained on the same events.")

    figure, ax = new_figure()
    draw(ax, table, "steps_to_min_val_loss", "steps to minimum validation loss")
    ax.set_yscale("log")
    ax.legend(fontsize="x-small")
    save_figure(figure, f"{args.output}_fig8",
                f"H -> aa -> 4b: optimisation steps to the minimum validation loss versus training size, per "
                f"fine-tuning variant (EveNet runs; SPANet has no validation loss). Points: mean over seeds "
                f"({seeds} per point); bars: seed-to-seed standard deviation.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
