"""Create figures in the pipeline style and write them as PNG + PDF with a caption file.

:func:`save_figure` writes, for ``path = results/xyh/figures/max_sic``::

    results/xyh/figures/max_sic.png
    results/xyh/figures/max_sic.pdf
    results/xyh/figures/max_sic.caption.rst   # reStructuredText, for Snakemake's report

all three or none: each is rendered to a temporary file first and renamed into place
only when every one of them rendered (:func:`evenet.atomic.atomic_output`). A rule
registers the PNG with ``report("...png", caption="...caption.rst", category=...)``.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from evenet.atomic import atomic_output
from evenet.plots.style import FigureStyle, apply_style, experiment_label

FIGURE_FORMATS = ("png", "pdf")
CAPTION_SUFFIX = ".caption.rst"
PNG_DPI = 150
# mplhep's CMS style sets its fonts for one 10 x 10 inch axes; smaller panels get
# proportionally smaller fonts (never below this fraction), or labels run into each other.
STYLE_PANEL_INCHES = 10.0
MIN_FONT_SCALE = 0.6


def font_scale(figsize: tuple[float, float], nrows: int = 1, ncols: int = 1) -> float:
    """Font scale for panels of ``figsize / (ncols, nrows)`` inches, relative to mplhep's 10-inch panel."""
    panel = min(figsize[0] / ncols, figsize[1] / nrows)
    return min(1.0, max(MIN_FONT_SCALE, panel / STYLE_PANEL_INCHES))


def new_figure(style: FigureStyle | None = None, label: bool = True, **subplots):
    """``plt.subplots(**subplots)`` in the pipeline style, the experiment label on the first axes.

    The layout is constrained (panels, colour bars and labels do not overlap) unless
    ``layout`` is given, and fonts shrink with the panel size (:func:`font_scale`).
    Returns ``(figure, axes)`` as ``plt.subplots`` does.
    """
    apply_style()
    import matplotlib
    import matplotlib.pyplot as plt

    subplots.setdefault("layout", "constrained")
    figsize = subplots.get("figsize", matplotlib.rcParams["figure.figsize"])
    scale = font_scale(figsize, subplots.get("nrows", 1), subplots.get("ncols", 1))
    for key in ("font.size", "axes.labelsize", "axes.titlesize", "xtick.labelsize", "ytick.labelsize",
                "legend.fontsize", "legend.title_fontsize"):
        size = matplotlib.rcParams[key]
        if isinstance(size, (int, float)):
            matplotlib.rcParams[key] = size * scale
    figure, axes = plt.subplots(**subplots)
    if label:
        first = axes.flat[0] if hasattr(axes, "flat") else axes
        experiment_label(first, style)
    return figure, axes


def figure_paths(path: str | os.PathLike) -> dict[str, Path]:
    """The files :func:`save_figure` writes for ``path`` (no suffix): png, pdf, caption."""
    stem = Path(path)
    if stem.suffix.lower() in {f".{fmt}" for fmt in FIGURE_FORMATS} or stem.name.endswith(CAPTION_SUFFIX):
        raise ValueError(f"{stem}: give the path without suffix; .png, .pdf and {CAPTION_SUFFIX} are added")
    paths = {fmt: stem.with_name(f"{stem.name}.{fmt}") for fmt in FIGURE_FORMATS}
    paths["caption"] = stem.with_name(stem.name + CAPTION_SUFFIX)
    return paths


def save_figure(figure, path: str | os.PathLike, caption: str, close: bool = True) -> dict[str, Path]:
    """Write ``figure`` as PNG (150 dpi) and PDF, and ``caption`` beside them; all or nothing.

    The saved area is the figure's tight bounding box, so no axis label is cut off.

    ``caption`` is reStructuredText (plain sentences are valid RST): say what is
    plotted, for which sample and selection, and what the error bars are. The PDF
    carries no creation date, so an unchanged figure gives an unchanged file.
    ``close`` releases the figure afterwards (also on failure). Returns the written paths.
    """
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError(f"{path}: a figure needs a caption (reStructuredText)")
    paths = figure_paths(path)
    try:
        with contextlib.ExitStack() as stack:
            temporary = {kind: stack.enter_context(atomic_output(target)) for kind, target in paths.items()}
            figure.savefig(temporary["png"], format="png", dpi=PNG_DPI, bbox_inches="tight")
            figure.savefig(temporary["pdf"], format="pdf", metadata={"CreationDate": None},
                           bbox_inches="tight")
            temporary["caption"].write_text(caption.strip() + "\n")
    finally:
        if close:
            import matplotlib.pyplot as plt

            plt.close(figure)
    return paths
