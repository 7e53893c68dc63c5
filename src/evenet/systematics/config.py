"""The parameters of a variation source (JES or soft MET), read from the ``systematics`` config.

JES (``jes``): every jet's pT and energy scaled by (1 + delta), delta ~ Normal(0, ``width``)
clipped to +-``clip``; ``draw``: ``experiment`` (one delta per pseudo-experiment, the
paper's reading and the schema default) or ``event`` (one delta per event); ``met``:
``propagate`` (MET minus the change of the selected jets' transverse momentum vector,
the schema default) or ``none`` (MET left as it is).

Soft MET (``soft_met``): a transverse vector added to MET per event, magnitude from a
log-normal (``mu``, ``sigma`` of the logarithm, GeV) truncated to [0, ``max_gev``],
direction uniform in [0, 2 pi).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from evenet.errors import ConfigError

SOURCES = ("jes", "soft_met")
JES_DRAWS = ("experiment", "event")
JES_MET = ("propagate", "none")


@dataclass(frozen=True)
class JESVariation:
    width: float
    clip: float
    draw: str
    met: str
    source: str = "jes"


@dataclass(frozen=True)
class SoftMETVariation:
    mu: float
    sigma: float
    max_gev: float
    source: str = "soft_met"


Variation = JESVariation | SoftMETVariation


def _value(block: Mapping, key: str, where: str):
    if key not in block:
        raise ConfigError(f"{where}.{key}: missing (the config schema fills it; pass the whole block)")
    return block[key]


def _number(block: Mapping, key: str, where: str, minimum: float | None = 0.0, positive: bool = False) -> float:
    value = _value(block, key, where)
    bad = isinstance(value, bool) or not isinstance(value, (int, float)) or value != value
    if bad or (minimum is not None and value < minimum) or (positive and value <= 0):
        wanted = "a number > 0" if positive else "a number" if minimum is None else f"a number >= {minimum}"
        raise ConfigError(f"{where}.{key}: expected {wanted}, got {value!r}")
    return float(value)


def _choice(block: Mapping, key: str, where: str, choices: tuple[str, ...]) -> str:
    value = _value(block, key, where)
    if value not in choices:
        raise ConfigError(f"{where}.{key}: expected one of {list(choices)}, got {value!r}")
    return value


def parse_variation(source: str, block: Mapping, where: str = "systematics") -> Variation:
    """The variation of ``source`` from its config block (every key above; the schema fills the defaults)."""
    path = f"{where}.{source}"
    if source not in SOURCES:
        raise ConfigError(f"{path}: unknown variation source (known: {list(SOURCES)})")
    if not isinstance(block, Mapping):
        raise ConfigError(f"{path}: expected a mapping, got {block!r}")
    known = {"jes": {"width", "clip", "draw", "met"}, "soft_met": {"mu", "sigma", "max_gev"}}[source]
    unknown = sorted(set(block) - known)
    if unknown:
        raise ConfigError(f"{path}.{unknown[0]}: unknown key (known: {sorted(known)})")
    if source == "jes":
        return JESVariation(width=_number(block, "width", path), clip=_number(block, "clip", path),
                            draw=_choice(block, "draw", path, JES_DRAWS), met=_choice(block, "met", path, JES_MET))
    return SoftMETVariation(mu=_number(block, "mu", path, minimum=None), sigma=_number(block, "sigma", path, positive=True),
                            max_gev=_number(block, "max_gev", path))
