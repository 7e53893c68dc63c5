"""Axis labels with units, written one way across the pipeline: ``quantity [unit]``.

Units are GeV and radians (the data contract); masses, momenta and energies carry
``[GeV]``, angles ``[rad]``, ratios and efficiencies none. Quantities are matplotlib
mathtext, e.g. ``axis_label(r"$m_{bb}$", "GeV")`` -> ``$m_{bb}$ [GeV]``.
"""

from __future__ import annotations

SIGNAL_EFFICIENCY = r"Signal efficiency $\varepsilon_S$"
BACKGROUND_EFFICIENCY = r"Background efficiency $\varepsilon_B$"
SIC = r"SIC $= \varepsilon_S / \sqrt{\varepsilon_B}$"
MAX_SIC = r"max SIC"
PAIRING_EFFICIENCY = "Pairing efficiency"


def axis_label(quantity: str, unit: str | None = None) -> str:
    """``quantity [unit]``, or the quantity alone when it has no unit."""
    if not quantity:
        raise ValueError("an axis label needs a quantity")
    return f"{quantity} [{unit}]" if unit else quantity


def mass_label(system: str, unit: str = "GeV") -> str:
    """Invariant-mass label, e.g. ``mass_label("bb")`` -> ``$m_{bb}$ [GeV]``."""
    return axis_label(rf"$m_{{{system}}}$", unit)


def events_label(bin_width: float | None = None, unit: str | None = None) -> str:
    """Y label of a histogram: ``Events / 10 GeV`` for fixed bins, ``Events / bin`` otherwise."""
    if bin_width is None:
        return "Events / bin"
    width = f"{bin_width:g}"
    return f"Events / {width} {unit}" if unit else f"Events / {width}"
