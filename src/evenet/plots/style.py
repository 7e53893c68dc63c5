"""The one figure style of the pipeline: mplhep's CMS style on the Agg backend, and the label.

Every figure starts with :func:`apply_style` (done by
:func:`evenet.plots.figures.new_figure`) and carries :func:`experiment_label`: bold
experiment text, italic status ("Simulation", "Open Data", "Demo", ...), and on the
right the integrated luminosity and sqrt(s), as CMS figures do. The experiment text
defaults to "EveNet": a figure made from CMS Open Data or the demo samples is not a
result of the CMS collaboration, and a bold "CMS" would suggest one. Set it per
analysis config.

Config block (e.g. ``figures:`` of an analysis YAML)::

    figures:
      experiment: EveNet
      status: Simulation      # Simulation | Open Data | Demo | any text
      sqrt_s_tev: 13
      luminosity_fb: 36.3     # omit for no luminosity
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import matplotlib

from evenet.errors import ConfigError

MPLHEP_STYLE = "CMS"


@dataclass(frozen=True)
class FigureStyle:
    """What the experiment label says."""

    experiment: str = "EveNet"
    status: str = "Simulation"
    sqrt_s_tev: float = 13.0
    luminosity_fb: float | None = None

    @classmethod
    def from_config(cls, config: Mapping | None, key: str = "figures") -> "FigureStyle":
        config = dict(config or {})
        unknown = sorted(set(config) - {"experiment", "status", "sqrt_s_tev", "luminosity_fb"})
        if unknown:
            raise ConfigError(f"{key}: unknown key(s) {unknown}")
        for name in ("experiment", "status"):
            if name in config and not isinstance(config[name], str):
                raise ConfigError(f"{key}.{name}: expected text, got {config[name]!r}")
        for name in ("sqrt_s_tev", "luminosity_fb"):
            value = config.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0):
                raise ConfigError(f"{key}.{name}: expected a positive number, got {value!r}")
        return cls(**{k: (float(v) if k in ("sqrt_s_tev", "luminosity_fb") and v is not None else v)
                      for k, v in config.items()})


def apply_style() -> None:
    """Select the non-interactive Agg backend and mplhep's style (idempotent).

    Switching to Agg closes figures open in another backend (pyplot's rule); the
    pipeline only ever writes files.
    """
    import mplhep

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg")
    mplhep.style.use(MPLHEP_STYLE)


def _number(value: float) -> str:
    return f"{value:g}"


def experiment_label(ax, style: FigureStyle | None = None, loc: int = 0):
    """Draw the label of ``style`` on ``ax`` (mplhep ``exp_label``); returns its text objects.

    ``loc`` as in mplhep: 0 above the axes (default), 1-4 inside the top-left corner.
    """
    import mplhep

    style = style or FigureStyle()
    lumi = _number(style.luminosity_fb) if style.luminosity_fb is not None else None
    return mplhep.label.exp_label(exp=style.experiment, llabel=style.status, lumi=lumi,
                                  com=_number(style.sqrt_s_tev), loc=loc, ax=ax)
