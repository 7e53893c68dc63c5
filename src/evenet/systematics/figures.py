"""Figures of the pseudo-experiments as the EveNet paper's Fig. 6 / Fig. 7: per source, one panel
per metric (rows) and model (columns, side by side), the shift of every experiment coloured by
its nuisance value, the median as a line and the central 68 % / 95 % intervals as bands."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from evenet.plots.figures import new_figure, save_figure
from evenet.plots.style import FigureStyle
from evenet.systematics.readout import interval_summary
from evenet.systematics.summary import SourceShifts

NUISANCE_LABEL = {"jes": r"JES shift $\delta$", "soft_met": r"mean soft-MET magnitude [GeV]"}
METRIC_LABEL = {"max_sic": "max SIC", "pairing_efficiency": r"$\epsilon_{pair}$", "delta_d": r"$\Delta D$"}
MODEL_TITLE = {"scratch": "EveNet-Scratch", "full": "EveNet-Full", "ssl": "EveNet-SSL"}


def shift_label(metric: str, absolute: bool) -> str:
    name = METRIC_LABEL.get(metric, metric)
    return rf"{name} $-$ nominal" if absolute else rf"({name} $-$ nominal) / $\sigma_{{stat}}$"


def plot_source(shifts: SourceShifts, path, caption: str, model_order: Sequence[str] = (),
                absolute: Sequence[str] = (), style: FigureStyle | None = None,
                titles: Mapping[str, str] | None = None) -> None:
    """Write the figure of one source to ``path`` (PNG + PDF + caption)."""
    models = [m for m in model_order if m in shifts.shifts] + [m for m in shifts.shifts if m not in model_order]
    metrics = list(next(iter(shifts.shifts.values()))) if models else []
    rows, cols = max(len(metrics), 1), max(len(models), 1)
    figure, axes = new_figure(style, nrows=rows, ncols=cols, figsize=(6.0 * cols + 1.5, 4.8 * rows), squeeze=False,
                              layout="constrained")
    values = shifts.nuisance
    limit = float(np.max(np.abs(values))) if len(values) else 1.0
    colour_range = dict(vmin=-limit, vmax=limit, cmap="coolwarm") if shifts.source == "jes" else \
        dict(vmin=0.0, vmax=max(limit, 1e-9), cmap="viridis")
    scatter = None
    for r, metric in enumerate(metrics):
        for c, model in enumerate(models):
            ax = axes[r, c]
            y = shifts.shifts[model][metric]
            summary = interval_summary(y)
            ax.axhspan(summary["low_95"], summary["high_95"], color="gold", alpha=0.35, label="95 %")
            ax.axhspan(summary["low_68"], summary["high_68"], color="limegreen", alpha=0.45, label="68 %")
            ax.axhline(summary["median"], color="black", lw=1.5, label="median")
            scatter = ax.scatter(shifts.indices, y, c=values, s=18, zorder=3, **colour_range)
            ax.text(0.03, 0.92, (titles or MODEL_TITLE).get(model, model), transform=ax.transAxes, fontsize=13,
                    weight="bold")
            ax.set_xlabel("pseudo-experiment", fontsize=14)
            ax.set_ylabel(shift_label(metric, metric in absolute), fontsize=14)
            ax.tick_params(labelsize=12)
            ax.text(0.03, 0.04, f"widths: 68 % {summary['width_68']:.3g}, 95 % {summary['width_95']:.3g}",
                    transform=ax.transAxes, fontsize=11)
            low, high = summary["low_95"], summary["high_95"]
            pad = 0.6 * max(high - low, np.nanmax(np.abs(y)) if len(y) else 0.0, 1e-3)
            ax.set_ylim(min(low, np.nanmin(y, initial=low)) - pad, max(high, np.nanmax(y, initial=high)) + pad)
            if r == 0 and c == cols - 1:
                ax.legend(loc="upper right", fontsize=10)
    if scatter is not None:
        bar = figure.colorbar(scatter, ax=axes.ravel().tolist())
        bar.set_label(NUISANCE_LABEL.get(shifts.source, "nuisance"), fontsize=14)
        bar.ax.tick_params(labelsize=12)
    save_figure(figure, path, caption)
